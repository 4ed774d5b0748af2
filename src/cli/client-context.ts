/**
 * What every `temporal-ts workflow|operator` command shares: Temporal's global and connection flags
 * (--address, --namespace/-n, --output/-o, --color, --identity), the connection to the server, and
 * turning gRPC errors into one sentence a person can act on.
 */
import { type Command, Option } from 'commander';
import { Connection } from '@temporalio/client';
import { connect as tcpConnect, isIP } from 'node:net';
import { userInfo, hostname } from 'node:os';
import { ClientSecurityError, clientSecurity, mergeClientSecurity, tlsWanted, type ClientSecurityOptions } from '../common/client-security';
import { CliError, COLOR_MODES, colorEnabled, OUTPUT_FORMATS, Printer, type ColorMode, type OutputFormat } from './output';

export const DEFAULT_ADDRESS = '127.0.0.1:7233';

export interface GlobalFlags extends ClientSecurityOptions {
  address: string;
  namespace: string;
  output: OutputFormat;
  color: ColorMode;
  identity?: string;
}

/** Adds the global/connection flags to a command group; its subcommands read them with optsWithGlobals(). */
export function addClientOptions(cmd: Command): Command {
  cmd
    .addOption(new Option('--address <host:port>', 'temporal-ts (Temporal) frontend gRPC endpoint').env('TEMPORAL_ADDRESS').default(DEFAULT_ADDRESS))
    .addOption(new Option('-n, --namespace <name>', 'namespace').env('TEMPORAL_NAMESPACE').default('default'))
    .addOption(new Option('-o, --output <format>', 'output format').choices(OUTPUT_FORMATS).default('text'))
    .addOption(new Option('--color <when>', 'output colouring (auto: only on a terminal)').choices(COLOR_MODES).default('auto'))
    .addOption(new Option('--identity <identity>', 'identity of the client sending requests'));
  return addSecurityOptions(cmd);
}

/** "true"/"false" for --tls [bool] (bare --tls: true), as the `temporal` CLI's --tls=false. */
function boolArg(flag: string) {
  return (v: string): boolean => {
    if (/^(true|1|yes)$/i.test(v)) return true;
    if (/^(false|0|no)$/i.test(v)) return false;
    throw new CliError(`${flag} "${v}" must be true or false`);
  };
}

/**
 * The `temporal` CLI's TLS and API key flags (their TEMPORAL_TLS_* / TEMPORAL_API_KEY variables are
 * read by mergeClientSecurity, which also takes the older names).
 */
export function addSecurityOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('--tls [enabled]', 'connect with TLS (implied by the other --tls-* flags and by --api-key; --tls=false turns it off)').argParser(
        boolArg('--tls'),
      ),
    )
    .addOption(new Option('--tls-cert-path <file>', 'client certificate (PEM) for mTLS'))
    .addOption(new Option('--tls-key-path <file>', 'private key (PEM) of the client certificate'))
    .addOption(new Option('--tls-ca-path <file>', "CA certificate (PEM) the server's certificate is verified with"))
    .addOption(new Option('--tls-server-name <name>', "the name the server's certificate is checked for (default: the --address host)"))
    .addOption(new Option('--tls-disable-host-verification', "do not check the server certificate's host name (the chain is still verified)"))
    .addOption(new Option('--api-key <key>', 'sent as "authorization: Bearer <key>" with every call (a JWT when the server has authorization on)'));
}

/** The flags' security options over the environment's; TLS on by default with an API key, as the `temporal` CLI. */
export function securityOf(flags: ClientSecurityOptions): ClientSecurityOptions {
  const o = mergeClientSecurity({
    tls: flags.tls,
    tlsCertPath: flags.tlsCertPath,
    tlsKeyPath: flags.tlsKeyPath,
    tlsCaPath: flags.tlsCaPath,
    tlsServerName: flags.tlsServerName,
    tlsDisableHostVerification: flags.tlsDisableHostVerification,
    apiKey: flags.apiKey,
  });
  if (o.apiKey && o.tls === undefined) o.tls = true;
  return o;
}

/** Flags of the command and of its groups (global flags may be given before or after the subcommand). */
export function flagsOf<T extends object>(cmd: Command): GlobalFlags & T {
  const o = cmd.optsWithGlobals<GlobalFlags & T>();
  // An environment variable set to '' counts as unset (commander would take the empty string).
  if (!o.address) o.address = DEFAULT_ADDRESS;
  if (!o.namespace) o.namespace = 'default';
  return o;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Fn = (...a: any) => any;
type Methods<S> = { [K in keyof S]: S[K] extends Fn ? K : never }[keyof S];
type WS = Connection['workflowService'];
type OS = Connection['operatorService'];

export interface CliContext {
  connection: Connection;
  namespace: string;
  address: string;
  identity: string;
  out: Printer;
  /** A WorkflowService call whose failure becomes a clear CliError naming the method. */
  workflow<K extends Methods<WS>>(method: K, req: Parameters<Extract<WS[K], Fn>>[0]): ReturnType<Extract<WS[K], Fn>>;
  operator<K extends Methods<OS>>(method: K, req: Parameters<Extract<OS[K], Fn>>[0]): ReturnType<Extract<OS[K], Fn>>;
}

function parseAddress(address: string): { host: string; port: number } {
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(address.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || !m[1] || !(port > 0 && port < 65536)) throw new CliError(`--address "${address}" is not HOST:PORT (for example 127.0.0.1:7233)`);
  return { host: m[1], port };
}

const unreachable = (address: string, why: string) =>
  new CliError(`cannot reach the temporal-ts server at ${address}: ${why}; start it with \`temporal-ts server start-dev\` or pass --address`);

/** Fails fast on a refused connection (gRPC would otherwise wait for its whole connect timeout). */
function probe(host: string, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = tcpConnect({ host, port });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(unreachable(address, 'no answer within 5s'));
    }, 5000);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.end();
      resolve();
    });
    sock.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(unreachable(address, err.code === 'ECONNREFUSED' ? `connection refused (${err.message})` : err.message));
    });
  });
}

const GRPC_CODE_NAMES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
];

interface GrpcLike {
  code: number;
  details?: string;
  message?: string;
}

function grpcCause(err: unknown): GrpcLike | undefined {
  for (let cur = err, i = 0; cur && typeof cur === 'object' && i < 5; cur = (cur as { cause?: unknown }).cause, i++) {
    if (typeof (cur as GrpcLike).code === 'number') return cur as GrpcLike;
  }
  return undefined;
}

/** One sentence for a failed call of `service.method`. */
export function rpcError(err: unknown, service: string, method: string, address: string): CliError {
  if (err instanceof CliError) return err;
  const g = grpcCause(err);
  if (!g) return new CliError(`${service}.${method} failed: ${err instanceof Error ? err.message : String(err)}`);
  const details = (g.details || g.message || '').trim();
  const code = GRPC_CODE_NAMES[g.code] ?? String(g.code);
  method = method.charAt(0).toUpperCase() + method.slice(1);
  switch (code) {
    case 'UNIMPLEMENTED':
      return new CliError(`the server at ${address} does not implement ${service}.${method} yet (UNIMPLEMENTED: ${details})`);
    case 'UNAVAILABLE':
      return unreachable(address, details || 'unavailable');
    case 'UNAUTHENTICATED':
      return new CliError(`${details} (UNAUTHENTICATED): pass a token with --api-key (or TEMPORAL_API_KEY)`);
    case 'PERMISSION_DENIED':
      return new CliError(`${details} (PERMISSION_DENIED)`);
    case 'DEADLINE_EXCEEDED':
      return new CliError(`${service}.${method} timed out: the server at ${address} did not answer in time (${details})`);
    case 'NOT_FOUND':
    case 'ALREADY_EXISTS':
    case 'INVALID_ARGUMENT':
    case 'FAILED_PRECONDITION':
      return new CliError(`${details} (${code})`);
    default:
      return new CliError(`${service}.${method} failed: ${details} (${code})`);
  }
}

/** Connects (after a fast TCP probe), runs `fn`, and always closes the connection. */
export async function withClient<T>(flags: GlobalFlags, fn: (ctx: CliContext) => Promise<T>): Promise<T> {
  const address = flags.address;
  const { host, port } = parseAddress(address);
  await probe(host, port, address);
  let security;
  const sec = securityOf(flags);
  // grpc-js sends an IP address as the TLS server name, which Node flags as deprecated (DEP0123) on
  // every connect; the certificate's IP entries are still checked, so the warning only adds noise
  if (tlsWanted(sec) && !sec.tlsServerName && isIP(host)) process.noDeprecation = true;
  try {
    security = clientSecurity(sec);
  } catch (err) {
    if (err instanceof ClientSecurityError) throw new CliError(err.message);
    throw err;
  }
  let connection: Connection;
  try {
    connection = await Connection.connect({ address, connectTimeout: '10s', ...security });
  } catch (err) {
    // the connect's GetSystemInfo refused: a token that does not verify, not an unreachable server
    const g = grpcCause(err);
    if (g && (g.code === 16 || g.code === 7)) throw rpcError(g, 'WorkflowService', 'getSystemInfo', address);
    // the TCP probe answered, so the port is open: most often a TLS mismatch
    const hint = tlsWanted(sec)
      ? ' (the port is open: check --tls-ca-path, --tls-server-name and the client certificate, or whether the server uses TLS at all)'
      : ' (the port is open: if the server uses TLS, pass --tls-ca-path, and --tls-cert-path/--tls-key-path when it requires client certificates)';
    throw unreachable(address, `${err instanceof Error ? err.message : String(err)}${hint}`);
  }
  const call = <S extends object>(service: string, svc: S) =>
    ((method: string, req: unknown) =>
      (svc as Record<string, (r: unknown) => Promise<unknown>>)[method]!.call(svc, req).catch((err: unknown) => {
        throw rpcError(err, service, method, address);
      })) as never;
  const ctx: CliContext = {
    connection,
    namespace: flags.namespace,
    address,
    identity: flags.identity ?? `${safeUser()}@${hostname()} temporal-ts-cli`,
    out: new Printer(flags.output, flags.output === 'text' && colorEnabled(flags.color)),
    workflow: call('WorkflowService', connection.workflowService),
    operator: call('OperatorService', connection.operatorService),
  };
  try {
    return await fn(ctx);
  } finally {
    await connection.close();
  }
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

/** Repeatable flags: `-i 1 -i 2` -> ['1', '2']. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
