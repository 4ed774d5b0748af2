/**
 * The `server start-dev` flags a Temporal user brings from `temporal server start-dev`:
 * `--search-attribute NAME=TYPE` (registered in every namespace the dev server creates),
 * `--dynamic-config-value KEY=JSON` for the keys this server implements (DYNAMIC_CONFIG_KEYS; any
 * other key is refused, never ignored), and the start-up banner. Parsing only: the command
 * (server-commands.ts) applies them.
 */
import { Connection } from '@temporalio/client';
import { temporal } from '../common/proto';
import type { Limits } from '../history';
import { UsageError } from '../schema/errors';
import { parseDuration } from './proto-json';

import enums = temporal.api.enums.v1;

export const SEARCH_ATTRIBUTE_TYPES = ['Text', 'Keyword', 'Int', 'Double', 'Bool', 'Datetime', 'KeywordList'] as const;

export interface DevSearchAttribute {
  name: string;
  type: (typeof SEARCH_ATTRIBUTE_TYPES)[number];
}

/** `NAME=TYPE`, the type as the `temporal` CLI spells it (case-insensitive). */
export function parseSearchAttribute(v: string): DevSearchAttribute {
  const eq = v.indexOf('=');
  const name = eq > 0 ? v.slice(0, eq).trim() : '';
  const typeText = eq > 0 ? v.slice(eq + 1).trim() : '';
  if (!name || !typeText) throw new UsageError(`--search-attribute "${v}" must be NAME=TYPE, e.g. CustomerId=Keyword`);
  const type = SEARCH_ATTRIBUTE_TYPES.find((t) => t.toLowerCase() === typeText.toLowerCase());
  if (!type) throw new UsageError(`--search-attribute "${v}": the type "${typeText}" is not one of ${SEARCH_ATTRIBUTE_TYPES.join(', ')}`);
  return { name, type };
}

function indexedValueType(t: DevSearchAttribute['type']): number {
  return (enums.IndexedValueType as unknown as Record<string, number>)[`INDEXED_VALUE_TYPE_${t.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()}`]!;
}

/** The server options the supported dynamic config keys set. */
export interface DynamicConfigOverrides {
  limits: Partial<Limits>;
  /** the history service's in-memory caches (history.cacheMaxSize, history.eventsCacheMaxSizeBytes) */
  caches: { mutableStates?: number; historyBytes?: number };
  longPollTimeoutMs?: number;
}

interface DynamicConfigKey {
  /** what the value is, for the help and the refusal */
  value: string;
  apply(v: unknown, into: DynamicConfigOverrides, key: string): void;
}

function positiveInteger(v: unknown, key: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0)
    throw new UsageError(`--dynamic-config-value ${key}: ${JSON.stringify(v)} is not a whole number above 0`);
  return v;
}

const limit =
  (field: keyof Limits): DynamicConfigKey['apply'] =>
  (v, into, key) => {
    into.limits[field] = positiveInteger(v, key);
  };

/** Temporal's dynamic config keys this server implements, with the value each takes. */
export const DYNAMIC_CONFIG_KEYS: Readonly<Record<string, DynamicConfigKey>> = {
  'limit.blobSize.error': { value: 'bytes', apply: limit('blobSizeLimitError') },
  'limit.blobSize.warn': { value: 'bytes', apply: limit('blobSizeLimitWarn') },
  'limit.memoSize.error': { value: 'bytes', apply: limit('memoSizeLimitError') },
  'limit.memoSize.warn': { value: 'bytes', apply: limit('memoSizeLimitWarn') },
  'limit.historyCount.error': { value: 'events', apply: limit('historyCountLimitError') },
  'limit.historyCount.warn': { value: 'events', apply: limit('historyCountLimitWarn') },
  'limit.historySize.error': { value: 'bytes', apply: limit('historySizeLimitError') },
  'limit.historySize.warn': { value: 'bytes', apply: limit('historySizeLimitWarn') },
  'history.cacheMaxSize': {
    value: 'executions (a whole number above 0)',
    apply(v, into, key) {
      into.caches.mutableStates = positiveInteger(v, key);
    },
  },
  'history.eventsCacheMaxSizeBytes': {
    value: 'bytes (0 turns the cache off)',
    apply(v, into, key) {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
        throw new UsageError(`--dynamic-config-value ${key}: ${JSON.stringify(v)} is not a whole number of bytes (0 turns the cache off)`);
      into.caches.historyBytes = v;
    },
  },
  'matching.longPollExpirationInterval': {
    value: 'a duration string, e.g. "30s"',
    apply(v, into, key) {
      if (typeof v !== 'string') throw new UsageError(`--dynamic-config-value ${key}: ${JSON.stringify(v)} is not a duration such as "30s" (quoted)`);
      const d = parseDuration(`--dynamic-config-value ${key}`, v);
      const ms = Number(d.seconds) * 1000 + Math.round(Number(d.nanos ?? 0) / 1e6);
      if (!(ms > 0)) throw new UsageError(`--dynamic-config-value ${key}: "${v}" must be longer than 0`);
      into.longPollTimeoutMs = ms;
    },
  },
};

/** Applies `KEY=JSON_VALUE` pairs (JSON as in Temporal: strings quoted) to fresh overrides. */
export function parseDynamicConfig(values: readonly string[]): DynamicConfigOverrides {
  const out: DynamicConfigOverrides = { limits: {}, caches: {} };
  for (const pair of values) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--dynamic-config-value "${pair}" must be KEY=JSON_VALUE, e.g. limit.blobSize.error=1048576`);
    const key = pair.slice(0, eq).trim();
    const raw = pair.slice(eq + 1);
    const def = DYNAMIC_CONFIG_KEYS[key];
    if (!def)
      throw new UsageError(`--dynamic-config-value: this server does not implement the key "${key}"; it knows ${Object.keys(DYNAMIC_CONFIG_KEYS).join(', ')}`);
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      throw new UsageError(`--dynamic-config-value ${key}: the value ${raw} is not JSON (${def.value}; quote strings: ${key}='"…"')`);
    }
    def.apply(value, out, key);
  }
  return out;
}

/**
 * Registers the search attributes in each namespace through the server's own OperatorService (as an
 * operator would); one already there with the same type is fine, another type is refused.
 */
export async function registerSearchAttributes(address: string, namespaces: readonly string[], attrs: readonly DevSearchAttribute[]): Promise<void> {
  if (attrs.length === 0) return;
  const conn = await Connection.connect({ address });
  try {
    for (const namespace of namespaces) {
      const existing = (await conn.operatorService.listSearchAttributes({ namespace })).customAttributes ?? {};
      const toAdd: Record<string, number> = {};
      for (const a of attrs) {
        const want = indexedValueType(a.type);
        const have = existing[a.name];
        if (have === undefined) toAdd[a.name] = want;
        else if (Number(have) !== want) {
          throw new UsageError(
            `--search-attribute ${a.name}=${a.type}: namespace ${namespace} already defines ${a.name} as ${enums.IndexedValueType[Number(have)] ?? have}`,
          );
        }
      }
      if (Object.keys(toAdd).length > 0) await conn.operatorService.addSearchAttributes({ namespace, searchAttributes: toAdd });
    }
  } finally {
    await conn.close();
  }
}

/** The lines `temporal server start-dev` prints, labels right-aligned. */
export function devServerBanner(version: string, rows: readonly [label: string, value: string][]): string {
  const width = Math.max(...rows.map(([l]) => l.length));
  return `temporal-ts ${version} development server (not for production)\n\n${rows.map(([l, v]) => `${l.padStart(width)}: ${v}`).join('\n')}\n\n`;
}
