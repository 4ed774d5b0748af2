/**
 * The Web UI's HTTP guards, checked before any route runs: the `Host` header against an allow-list
 * (DNS rebinding: a page of attacker.example whose name now resolves to 127.0.0.1 reaches us with
 * `Host: attacker.example`), the `Origin` of state-changing requests (a cross-site page may send a
 * POST, even if it cannot read the answer), and the security headers every answer carries.
 */
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { IncomingMessage } from 'node:http';

/** Sent on every answer: no framing, no sniffing, scripts and data only from this server. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

const WILDCARDS = new Set(['0.0.0.0', '::', '']);

function normalizeHost(h: string): string {
  return h
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '');
}

/**
 * The host names this UI answers to: localhost (and *.localhost), loopback addresses, the address it
 * is bound to (every local interface's address when bound to a wildcard), and `extra`
 * (`ui.allowedHosts`; an entry starting with "." allows that domain's subdomains too).
 */
export class HostAllowList {
  private readonly exact = new Set<string>(['localhost', '127.0.0.1', '::1']);
  private readonly suffixes: string[] = ['.localhost'];

  constructor(boundHost: string, extra: readonly string[] = []) {
    const bound = normalizeHost(boundHost);
    if (WILDCARDS.has(bound)) {
      for (const addrs of Object.values(networkInterfaces())) for (const a of addrs ?? []) this.exact.add(normalizeHost(a.address.replace(/%.*$/, '')));
    } else this.exact.add(bound);
    for (const e of extra) {
      const n = normalizeHost(e);
      if (n.startsWith('.')) this.suffixes.push(n);
      else if (n) this.exact.add(n);
    }
  }

  /** The hostname of a Host header value (`name`, `name:port`, `[v6]:port`); undefined if malformed. */
  static hostnameOf(header: string | undefined): string | undefined {
    if (!header) return undefined;
    const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]\s/@]+)(?::(\d{1,5}))?$/.exec(header.trim());
    if (!m) return undefined;
    return normalizeHost(m[1]!);
  }

  allows(hostname: string): boolean {
    const h = normalizeHost(hostname);
    if (this.exact.has(h)) return true;
    if (isIP(h) === 4 && h.startsWith('127.')) return true;
    return this.suffixes.some((s) => h.endsWith(s));
  }

  describe(): string {
    return [...this.exact, ...this.suffixes.map((s) => `*${s}`)].join(', ');
  }
}

export type GuardVerdict = { ok: true } | { ok: false; status: number; message: string };

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The Host check for every request; the Origin check for every state-changing one. */
export function checkRequest(req: IncomingMessage, hosts: HostAllowList): GuardVerdict {
  const host = HostAllowList.hostnameOf(req.headers.host);
  if (host === undefined) return { ok: false, status: 400, message: 'the Host header is missing or malformed' };
  if (!hosts.allows(host))
    return {
      ok: false,
      status: 421,
      message: `Host "${host}" is not one this server answers to (${hosts.describe()}); add it to ui.allowedHosts in the server config to allow it`,
    };
  const method = req.method ?? 'GET';
  if (!SAFE_METHODS.has(method)) {
    // Browsers send Origin with every cross-origin request and every same-origin POST from fetch();
    // a request without one comes from a program (curl, a script), which CORS never protected.
    const origin = req.headers.origin;
    if (origin !== undefined) {
      let originHost: string | undefined;
      try {
        const u = new URL(origin);
        originHost = u.protocol === 'http:' || u.protocol === 'https:' ? normalizeHost(u.hostname) : undefined;
      } catch {
        originHost = undefined;
      }
      if (originHost === undefined || !hosts.allows(originHost) || originHost !== host)
        return { ok: false, status: 403, message: `Origin "${origin.slice(0, 200)}" may not change anything here: only pages of this server may` };
    }
  }
  return { ok: true };
}
