/**
 * The warning printed when a listener is bound beyond loopback without TLS: anyone who can reach the
 * address can read and change every workflow (and, without authorization, do so as anyone).
 */
import { isIP } from 'node:net';
import type { Logger } from '../common/logger';

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  return isIP(h) === 4 && h.startsWith('127.');
}

/** Warns (on stderr, through the log) when `host` is not loopback and the listener has no TLS. */
export function warnIfExposed(log: Logger, what: string, host: string, tls: boolean, authorization: boolean): void {
  if (isLoopback(host) || tls) return;
  const msg =
    `the ${what} listens on ${host} without TLS: anyone on the network can read the traffic` +
    (authorization ? ' (including the tokens it carries)' : ', and with no authorization, start, signal and terminate any workflow') +
    '. Turn on TLS (global.tls.frontend / --tls-cert-path; ui.tls for the Web UI) or bind to 127.0.0.1.';
  log.warn(msg);
  process.stderr.write(`warning: ${msg}\n`);
}
