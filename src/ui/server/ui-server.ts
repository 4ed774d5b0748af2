/**
 * The Web UI's HTTP server (node:http, no framework: a dozen routes and static files do not need
 * one). Serves the React app built by Vite into dist/ui/ and the JSON API under /api/v1/, which
 * calls the server's own gRPC frontend through @temporalio/client.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';
import { Connection, type ConnectionOptions } from '@temporalio/client';
import type { ApiError } from '../api-types';
import { packageRoot } from '../../common/package-info';
import { ApiHttpError, UiApi, badRequest, type ApiDeps } from './api';
import type { UpgradeStatusProvider } from './upgrade-status';
import { NOTES_ROUTE } from './release-notes';
import { HostAllowList, SECURITY_HEADERS, checkRequest } from './http-guard';

export interface UiServerOptions {
  /** port to listen on (0: any free port) */
  port: number;
  host?: string;
  /** the gRPC frontend, host:port */
  frontendAddress: string;
  upgradeStatus: UpgradeStatusProvider;
  /** the cluster page's members (admin cluster describe) */
  clusterMembers?: ApiDeps['clusterMembers'];
  releaseFeedFile?: string;
  /** built assets; default <installation>/dist/ui */
  staticDir?: string;
  /** `ui.allowedHosts`: host names besides localhost and the bound address the UI answers to */
  allowedHosts?: readonly string[];
  /** TLS and the token of the UI's own gRPC connection to the frontend (see src/server/web-ui.ts) */
  frontendConnection?: Omit<ConnectionOptions, 'address'>;
  /** serve HTTPS with this certificate and key (PEM files) */
  https?: { certFile: string; keyFile: string };
}

export interface RunningUiServer {
  port: number;
  url: string;
  stop(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.map': 'application/json',
  '.woff2': 'font/woff2',
};

const MAX_BODY = 2 * 1024 * 1024;

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function sendError(res: ServerResponse, err: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (err instanceof ApiHttpError) {
    const body: ApiError = { error: { codeName: err.codeName, message: err.message, ...(err.grpcCode !== undefined ? { code: err.grpcCode } : {}) } };
    sendJson(res, err.httpStatus, body);
    return;
  }
  const body: ApiError = { error: { codeName: 'INTERNAL', message: err instanceof Error ? err.message : String(err) } };
  sendJson(res, 500, body);
}

async function readJsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const type = String(req.headers['content-type'] ?? '');
  // Only JSON bodies: a cross-site HTML form cannot send one without a CORS preflight, which we never grant.
  if (!type.startsWith('application/json')) throw new ApiHttpError(415, 'BAD_REQUEST', 'POST bodies must be JSON (Content-Type: application/json)');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new ApiHttpError(413, 'BAD_REQUEST', 'request body is too large');
    chunks.push(c as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text.trim()) return {};
  try {
    const v = JSON.parse(text) as unknown;
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
    return v as Record<string, unknown>;
  } catch (err) {
    throw badRequest(`request body is not a JSON object: ${(err as Error).message}`);
  }
}

const str = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));

function pageSizeOf(v: string | null, dflt: number, max: number): number {
  if (v === null || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > max) throw badRequest(`pageSize must be a whole number from 1 to ${max}`);
  return n;
}

/** A %-escaped path segment; a malformed escape is the client's error (400), never ours. */
function decodeSegment(p: string): string {
  try {
    return decodeURIComponent(p);
  } catch {
    throw badRequest(`the path segment "${p.slice(0, 100)}" has a malformed % escape`);
  }
}

/** The request's URL; a request target that is no URL (`GET http://a:99999/`) is a 400. */
function requestUrl(req: IncomingMessage): URL {
  const target = req.url ?? '/';
  try {
    // origin-form targets only: an absolute-form target (a proxy request) keeps just its path
    const u = new URL(target, 'http://localhost');
    return target.startsWith('/') ? u : new URL(`${u.pathname}${u.search}`, 'http://localhost');
  } catch {
    throw badRequest(`the request target "${target.slice(0, 100)}" is not a valid URL`);
  }
}

/** The API router: returns undefined for paths that are not API routes. */
async function routeApi(api: UiApi, req: IncomingMessage, url: URL): Promise<{ status: number; body: unknown } | undefined> {
  const segments = url.pathname.split('/').slice(1);
  if (segments[0] !== 'api' || segments[1] !== 'v1') return undefined;
  const parts = segments.map(decodeSegment);
  const r = parts.slice(2);
  const q = url.searchParams;
  const method = req.method ?? 'GET';
  const ok = (body: unknown, status = 200) => ({ status, body });
  const get = method === 'GET' || method === 'HEAD';

  if (r.length === 1 && r[0] === 'namespaces' && get) return ok(await api.namespaces());
  if (r.length === 1 && r[0] === 'cluster' && get) return ok(await api.cluster());
  if (r.length === 1 && r[0] === 'version-info' && get) return ok(await api.versionInfo());
  if (r[0] === 'namespaces' && r.length >= 3) {
    const ns = r[1]!;
    if (r.length === 3 && r[2] === 'count' && get) return ok(await api.count(ns, q.get('query') ?? ''));
    if (r.length === 3 && r[2] === 'workflows') {
      if (get)
        return ok(
          await api.list(ns, q.get('query') ?? '', q.get('status') || undefined, pageSizeOf(q.get('pageSize'), 50, 1000), q.get('nextPageToken') || undefined),
        );
      if (method === 'POST') {
        const b = await readJsonBody(req);
        return ok(await api.start(ns, str(b.workflowType), str(b.taskQueue), str(b.workflowId), b.input === undefined ? undefined : str(b.input)), 201);
      }
    }
    if (r[2] === 'schedules') {
      if (r.length === 3 && get)
        return ok(await api.schedules(ns, q.get('query') ?? '', pageSizeOf(q.get('pageSize'), 50, 1000), q.get('nextPageToken') || undefined));
      if (r.length === 4 && get) return ok(await api.schedule(ns, r[3]!));
      if (r.length === 5 && method === 'POST') {
        const b = await readJsonBody(req);
        if (r[4] === 'pause' || r[4] === 'unpause' || r[4] === 'trigger') return ok(await api.patchSchedule(ns, r[3]!, r[4], str(b.note)));
        if (r[4] === 'delete') return ok(await api.deleteSchedule(ns, r[3]!));
      }
    }
    if (r.length === 4 && r[2] === 'task-queues' && get) return ok(await api.taskQueue(ns, r[3]!));
    if (r[2] === 'workflows' && r.length >= 4) {
      const wid = r[3]!;
      const runId = q.get('runId') ?? '';
      if (r.length === 4 && get) return ok(await api.describe(ns, wid, runId));
      if (r.length === 5 && get) {
        if (r[4] === 'history') return ok(await api.history(ns, wid, runId, pageSizeOf(q.get('pageSize'), 100, 1000), q.get('nextPageToken') || undefined));
        if (r[4] === 'stack-trace') return ok(await api.stackTrace(ns, wid, runId));
        if (r[4] === 'children') return ok(await api.children(ns, wid, runId));
      }
      if (r.length === 5 && method === 'POST') {
        const b = await readJsonBody(req);
        const rid = str(b.runId) || runId;
        if (r[4] === 'signal') return ok(await api.signal(ns, wid, rid, str(b.signalName), b.input === undefined ? undefined : str(b.input)));
        if (r[4] === 'cancel') return ok(await api.cancel(ns, wid, rid, str(b.reason)));
        if (r[4] === 'terminate') return ok(await api.terminate(ns, wid, rid, str(b.reason)));
        if (r[4] === 'reset') return ok(await api.reset(ns, wid, rid, Number(b.eventId), str(b.reason), b.reapplySignals !== false));
        if (r[4] === 'delete') return ok(await api.deleteWorkflow(ns, wid, rid));
      }
    }
  }
  throw new ApiHttpError(404, 'BAD_REQUEST', `no API route ${method} ${url.pathname}`);
}

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>temporal-ts Web UI</title>
<p>The Web UI's assets are not built. Run <code>npm run build</code> in the temporal-ts directory (it runs <code>vite build</code> into <code>dist/ui/</code>), then reload.</p>
<p>The JSON API is available under <a href="/api/v1/namespaces">/api/v1/</a>.</p>`;

function serveStatic(staticDir: string, url: URL, res: ServerResponse): void {
  const index = join(staticDir, 'index.html');
  if (!existsSync(index)) {
    res.writeHead(503, { 'content-type': 'text/html; charset=utf-8' });
    res.end(NOT_BUILT);
    return;
  }
  let rel: string;
  try {
    rel = normalize(decodeURIComponent(url.pathname)).replace(/^[/\\]+/, '');
  } catch {
    rel = '';
  }
  let file = join(staticDir, rel);
  if (rel.includes('\0') || !file.startsWith(staticDir + sep) || !existsSync(file) || !statSync(file).isFile()) file = index; // SPA routes
  const immutable = file.includes(`${sep}assets${sep}`);
  const stream = createReadStream(file);
  stream.once('error', (err) => sendError(res, err));
  stream.once('open', () => {
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
    stream.pipe(res);
  });
}

/** /release-notes/<version>: the notes file a release feed names (see ./release-notes.ts), as text. */
async function serveReleaseNotes(api: UiApi, url: URL, res: ServerResponse): Promise<void> {
  await api.versionInfo(); // the links of the current answer
  const out = await api.releaseNotes.read(decodeSegment(url.pathname.slice(NOTES_ROUTE.length)));
  res.writeHead(out.status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache' });
  res.end(out.text);
}

export async function startUiServer(opts: UiServerOptions): Promise<RunningUiServer> {
  const staticDir = normalize(opts.staticDir ?? join(packageRoot(), 'dist', 'ui'));
  const connection = await Connection.connect({ ...opts.frontendConnection, address: opts.frontendAddress });
  const api = new UiApi({ connection, upgradeStatus: opts.upgradeStatus, clusterMembers: opts.clusterMembers, releaseFeedFile: opts.releaseFeedFile });
  const host = opts.host ?? '127.0.0.1';
  const hosts = new HostAllowList(host, opts.allowedHosts);
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    const verdict = checkRequest(req, hosts);
    if (!verdict.ok) {
      req.resume(); // the body is not read: drain it so the connection's next request can be parsed
      throw new ApiHttpError(verdict.status, 'BAD_REQUEST', verdict.message);
    }
    const url = requestUrl(req);
    if (url.pathname.startsWith(NOTES_ROUTE) && (req.method === 'GET' || req.method === 'HEAD')) return serveReleaseNotes(api, url, res);
    const out = await routeApi(api, req, url);
    if (out) sendJson(res, out.status, out.body);
    else if (req.method === 'GET' || req.method === 'HEAD') serveStatic(staticDir, url, res);
    else sendJson(res, 405, { error: { codeName: 'BAD_REQUEST', message: `${req.method} is not allowed here` } } satisfies ApiError);
  };
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    // every failure of a handler (sync or async) is an answer; nothing a request sends reaches the process
    handle(req, res).catch((err: unknown) => {
      try {
        sendError(res, err);
      } catch {
        res.destroy();
      }
    });
  };
  const server = opts.https
    ? createHttpsServer({ cert: readFileSync(opts.https.certFile), key: readFileSync(opts.https.keyFile) }, onRequest)
    : createHttpServer(onRequest);
  // a request the HTTP parser refuses (bad request line, header, chunking): 400 and close, as Node does
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (socket.writable && err.code !== 'ECONNRESET') socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return {
    port,
    url: `${opts.https ? 'https' : 'http'}://${shownHost}:${port}`,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await connection.close();
    },
  };
}
