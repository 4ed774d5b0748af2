/**
 * Reading column values the same way on every driver: BIGINT arrives as a number (better-sqlite3) or
 * a string (pg, mysql2 with bigNumberStrings) and is read with Number (our values stay below 2^53);
 * booleans as true/false (PostgreSQL) or 0/1; blobs as Buffers (or Uint8Arrays, copied then).
 */
import type { DataBlob } from '../blob';

export const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v));

export const optNum = (v: unknown): number | undefined => (v === null || v === undefined ? undefined : num(v));

export const flag = (v: unknown): boolean => v === true || (v !== false && v !== null && v !== undefined && Number(v) !== 0);

export const bytes = (v: unknown): Buffer => (Buffer.isBuffer(v) ? v : Buffer.from(v as Uint8Array));

export const blob = (data: unknown, encoding: unknown): DataBlob => ({ data: bytes(data), encoding: String(encoding) });
