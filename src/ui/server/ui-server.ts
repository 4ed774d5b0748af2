/**
 * The Web UI's HTTP server (node:http, no framework: a dozen routes and static files do not need
 * one). Serves the React app built by Vite into dist/ui/ and the JSON API under /api/v1/, which
 * calls the server's own gRPC frontend through @temporalio/client.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { Connection } from '@temporalio/client';
import type { ApiError } from '../api-types';
import { packageRoot } from '../../common/package-info';
import { ApiHttpError, UiApi, badRequest } from './api';
import type { UpgradeStatusProvider } from './upgrade-status';
import { NOTES_ROUTE } from './release-notes';

export interface UiServerOptions {
  /** port to listen on (0: any free port) */
  port: number;
  host?: string;
  /** the gRPC frontend, host:port */
  frontendAddress: string;
  upgradeStatus: UpgradeStatusProvider;
  releaseFeedFile?: string;
  /** built assets; default <installation>/dist/ui */
  staticDir?: string;
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

/** The API router: returns undefined for paths that are not API routes. */
async function routeApi(api: UiApi, req: IncomingMessage, url: URL): Promise<{ status: number; body: unknown } | undefined> {
  const parts = url.pathname
    .split('/')
    .slice(1)
    .map((p) => decodeURIComponent(p));
  if (parts[0] !== 'api' || parts[1] !== 'v1') return undefined;
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
  if (!file.startsWith(staticDir + sep) || !existsSync(file) || !statSync(file).isFile()) file = index; // SPA routes
  const immutable = file.includes(`${sep}assets${sep}`);
  res.writeHead(200, {
    'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
    'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    'x-content-type-options': 'nosniff',
  });
  createReadStream(file).pipe(res);
}

/** /release-notes/<version>: the notes file a release feed names (see ./release-notes.ts), as text. */
async function serveReleaseNotes(api: UiApi, url: URL, res: ServerResponse): Promise<void> {
  await api.versionInfo(); // the links of the current answer
  const out = await api.releaseNotes.read(decodeURIComponent(url.pathname.slice(NOTES_ROUTE.length)));
  res.writeHead(out.status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' });
  res.end(out.text);
}

export async function startUiServer(opts: UiServerOptions): Promise<RunningUiServer> {
  const staticDir = normalize(opts.staticDir ?? join(packageRoot(), 'dist', 'ui'));
  const connection = await Connection.connect({ address: opts.frontendAddress });
  const api = new UiApi({ connection, upgradeStatus: opts.upgradeStatus, releaseFeedFile: opts.releaseFeedFile });
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname.startsWith(NOTES_ROUTE) && (req.method === 'GET' || req.method === 'HEAD')) {
      serveReleaseNotes(api, url, res).catch((err: unknown) => sendError(res, err));
      return;
    }
    routeApi(api, req, url).then(
      (out) => {
        if (out) sendJson(res, out.status, out.body);
        else if (req.method === 'GET' || req.method === 'HEAD') serveStatic(staticDir, url, res);
        else sendJson(res, 405, { error: { codeName: 'BAD_REQUEST', message: `${req.method} is not allowed here` } } satisfies ApiError);
      },
      (err: unknown) => sendError(res, err),
    );
  });
  const host = opts.host ?? '127.0.0.1';
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
    url: `http://${shownHost}:${port}`,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await connection.close();
    },
  };
}
