/** Reads a server_version_history row the same way on every plugin (drivers return numbers or strings). */
import type { DataBlob } from './blob';
import type { ServerVersionRow } from './interfaces';

export function serverVersionRow(r: Record<string, unknown>): ServerVersionRow {
  const present = (v: unknown) => v !== null && v !== undefined;
  return {
    serverVersion: String(r.server_version),
    firstStartedMs: Number(r.first_started_time),
    activatedMs: present(r.activated_time) ? Number(r.activated_time) : undefined,
    progress: present(r.data) ? ({ data: r.data as Buffer, encoding: String(r.data_encoding) } satisfies DataBlob) : undefined,
  };
}
