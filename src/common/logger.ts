/**
 * The one logger factory (pino). `json`: one JSON object a line (for log collectors, the default of
 * `server start`); `pretty`: one readable line a record, `HH:MM:SS.mmm LEVEL message key=value ...`
 * (the default of `server start-dev`, for a terminal).
 */
import { Writable } from 'node:stream';
import pino from 'pino';

export type Logger = pino.Logger;

export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export function createLogger(level = 'info', format: LogFormat = 'json'): Logger {
  const base = { service: 'temporal-ts' };
  return format === 'pretty' ? pino({ level, base }, prettyStream(process.stdout)) : pino({ level, base });
}

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const OMIT = new Set(['level', 'time', 'msg', 'service', 'pid', 'hostname']);

function value(v: unknown): string {
  if (typeof v === 'string') return /[\s"=]/.test(v) ? JSON.stringify(v) : v;
  if (v && typeof v === 'object' && 'message' in v) return JSON.stringify((v as { message: unknown }).message);
  return JSON.stringify(v);
}

/** One pino record (a JSON line) as a readable line. */
export function prettyLine(json: string): string {
  let r: Record<string, unknown>;
  try {
    r = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const t = new Date(typeof r.time === 'number' ? r.time : Date.now()).toISOString().slice(11, 23);
  const level = (LEVEL_NAMES[Number(r.level)] ?? String(r.level)).padEnd(5);
  const fields = Object.entries(r)
    .filter(([k]) => !OMIT.has(k))
    .map(([k, v]) => `${k}=${value(v)}`);
  return `${t} ${level} ${String(r.msg ?? '')}${fields.length > 0 ? ' ' + fields.join(' ') : ''}`;
}

function prettyStream(out: NodeJS.WritableStream): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) out.write(prettyLine(line) + '\n');
      done();
    },
  });
}
