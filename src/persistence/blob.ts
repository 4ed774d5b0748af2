/**
 * Encoded blobs. Every blob we persist carries an encoding of the form "<codec>/v<format version>"
 * ("json/v1", "proto3/v1"). Readers check both parts and refuse a format they do not know, so a blob
 * written by a newer data format is never silently misread.
 */
export type BlobCodec = 'json' | 'proto3';

export interface DataBlob {
  readonly data: Buffer;
  /** e.g. "json/v1" */
  readonly encoding: string;
}

export class UnsupportedBlobEncodingError extends Error {
  constructor(
    readonly encoding: string,
    readonly expected: string,
  ) {
    super(`unsupported blob encoding ${JSON.stringify(encoding)} (this server reads ${expected})`);
  }
}

export function encodingOf(codec: BlobCodec, version: number): string {
  return `${codec}/v${version}`;
}

const ENCODING_RE = /^([a-z0-9]+)\/v(\d+)$/;
/**
 * Parsed encodings: every blob read parses one and a database holds a handful of distinct ones, so
 * the regex runs once per string. Bounded so that a table of odd (but valid) encodings cannot grow it.
 */
const parsedEncodings = new Map<string, Readonly<{ codec: string; version: number }>>();
const MAX_PARSED_ENCODINGS = 64;

export function parseEncoding(encoding: string): Readonly<{ codec: string; version: number }> {
  const known = parsedEncodings.get(encoding);
  if (known) return known;
  const m = ENCODING_RE.exec(encoding);
  if (!m) throw new UnsupportedBlobEncodingError(encoding, 'codec/vN');
  const parsed = Object.freeze({ codec: m[1]!, version: Number(m[2]) });
  if (parsedEncodings.size < MAX_PARSED_ENCODINGS) parsedEncodings.set(encoding, parsed);
  return parsed;
}

/**
 * Current data-format versions of each kind of blob: what this release writes. A release reads its
 * own formats and those of the minor before it (READABLE); rows still in an older one are rewritten
 * when touched and by the background data-format rewrite (src/history/data-rewrite.ts).
 */
export const FORMAT = {
  /** v2 (0.2.0): every collection and the retry-chain fields are always present (v1 omitted them) */
  mutableState: 2,
  executionState: 1,
  /** v2 (0.2.0): records the server version that last rewrote the shard */
  shardInfo: 2,
  historyBatch: 1,
  task: 1,
  taskQueueInfo: 1,
  namespace: 1,
  clusterMetadata: 1,
  /** the start-up work status kept with a server_version_history row */
  serverVersionStatus: 1,
} as const;

export type FormatKind = keyof typeof FORMAT;

/**
 * The format versions each kind may be read in: the one this release writes and the one the previous
 * minor wrote (0.2.x wrote mutable state and shard info v2, as 0.3.x does: 0.1.x's v1 is no longer
 * read, and the start-up check refuses a database whose 0.2.x rewrite of it has not finished).
 */
export const READABLE: { readonly [K in FormatKind]: readonly number[] } = {
  mutableState: [2],
  executionState: [1],
  shardInfo: [2],
  historyBatch: [1],
  task: [1],
  taskQueueInfo: [1],
  namespace: [1],
  clusterMetadata: [1],
  serverVersionStatus: [1],
};

/** The format version a blob was written in (e.g. 1 for "json/v1"). */
export function formatVersionOf(blob: DataBlob): number {
  return parseEncoding(blob.encoding).version;
}

export function jsonBlob(value: unknown, version: number): DataBlob {
  return { data: Buffer.from(JSON.stringify(value), 'utf8'), encoding: encodingOf('json', version) };
}

/** Decode a JSON blob whose format version must be one of `readable` (default: exactly `current`). */
export function readJsonBlob<T>(blob: DataBlob, current: number, readable: readonly number[] = [current]): T {
  const { codec, version } = parseEncoding(blob.encoding);
  if (codec !== 'json' || !readable.includes(version)) {
    throw new UnsupportedBlobEncodingError(blob.encoding, readable.map((v) => encodingOf('json', v)).join(', '));
  }
  return JSON.parse(blob.data.toString('utf8')) as T;
}

export function protoBlob(bytes: Uint8Array, version: number): DataBlob {
  return { data: Buffer.from(bytes), encoding: encodingOf('proto3', version) };
}

export function readProtoBlob(blob: DataBlob, current: number, readable: readonly number[] = [current]): Buffer {
  const { codec, version } = parseEncoding(blob.encoding);
  if (codec !== 'proto3' || !readable.includes(version)) {
    throw new UnsupportedBlobEncodingError(blob.encoding, readable.map((v) => encodingOf('proto3', v)).join(', '));
  }
  return blob.data;
}
