/**
 * Temporal's JWT key provider (`global.authorization.jwtKeyProvider`): the public keys tokens are
 * signed with, from JWKS documents at `keySourceURIs` (file://, http://, https://), loaded at start
 * (a source that cannot be read fails the start, naming it) and again every `refreshInterval`, and
 * at once (at most every 5 s) when a token names a key id no source had. Verification is the `jose`
 * library's; only asymmetric algorithms are accepted (the keys are public).
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import type { Logger } from '../../common/logger';

const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
const MISS_REFRESH_MS = 5000;

export class KeySourceError extends Error {
  override name = 'KeySourceError';
}

async function fetchJwks(uri: string): Promise<JSONWebKeySet> {
  let text: string;
  try {
    if (uri.startsWith('file://')) text = await readFile(fileURLToPath(uri), 'utf8');
    else {
      const res = await fetch(uri, { signal: AbortSignal.timeout(10_000) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      text = await res.text();
    }
  } catch (err) {
    throw new KeySourceError(`global.authorization.jwtKeyProvider.keySourceURIs: ${uri} cannot be read: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new KeySourceError(`global.authorization.jwtKeyProvider.keySourceURIs: ${uri} is not JSON: ${(err as Error).message}`);
  }
  const keys = (doc as { keys?: unknown }).keys;
  if (!Array.isArray(keys)) throw new KeySourceError(`global.authorization.jwtKeyProvider.keySourceURIs: ${uri} is not a JWKS document (no "keys" list)`);
  return { keys: keys as JSONWebKeySet['keys'] };
}

export class JwtKeyProvider {
  private keySet: ReturnType<typeof createLocalJWKSet> | undefined;
  private kids = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private lastLoad = 0;
  private loading: Promise<void> | undefined;

  constructor(
    private readonly uris: readonly string[],
    private readonly refreshMs: number,
    private readonly log?: Logger,
  ) {}

  /** Loads every source (throws KeySourceError naming one that fails), then refreshes in the background. */
  async start(): Promise<void> {
    await this.load();
    this.timer = setInterval(() => {
      this.reload().catch((err: unknown) => this.log?.warn({ err: (err as Error).message }, 'JWT keys not refreshed; the previous keys stay in use'));
    }, this.refreshMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private async load(): Promise<void> {
    const sets = await Promise.all(this.uris.map(fetchJwks));
    const keys = sets.flatMap((s) => s.keys);
    this.keySet = createLocalJWKSet({ keys });
    this.kids = new Set(keys.map((k) => k.kid).filter((k): k is string => typeof k === 'string'));
    this.lastLoad = Date.now();
  }

  private reload(): Promise<void> {
    this.loading ??= this.load().finally(() => (this.loading = undefined));
    return this.loading;
  }

  /** The verified payload of `token`; throws (jose's errors) when it does not verify. */
  async verify(token: string): Promise<JWTPayload> {
    const kid = readKid(token);
    if (kid !== undefined && !this.kids.has(kid) && Date.now() - this.lastLoad > MISS_REFRESH_MS) {
      await this.reload().catch((err: unknown) => this.log?.warn({ err: (err as Error).message }, 'JWT keys not refreshed'));
    }
    if (!this.keySet) throw new KeySourceError('the JWT keys are not loaded');
    const { payload } = await jwtVerify(token, this.keySet, { algorithms: ALGORITHMS });
    return payload;
  }
}

function readKid(token: string): string | undefined {
  try {
    const header = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8')) as { kid?: unknown };
    return typeof header.kid === 'string' ? header.kid : undefined;
  } catch {
    return undefined;
  }
}
