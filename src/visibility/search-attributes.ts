/**
 * Search attributes: the predefined (system) ones, the typed columns custom ones map to, and the
 * conversion of SDK payloads to typed values (validation) and back (list responses).
 *
 * Custom attributes of a namespace are rows of custom_search_attributes (name, type, column); a
 * SearchAttributeRegistry caches them per namespace. Payload values are JSON ("json/plain"); the
 * legacy SDK API sends every value as an array, so a one-element array is accepted for scalar types.
 */
import { temporal } from '../common/proto';

export type SaType = 'Text' | 'Keyword' | 'Int' | 'Double' | 'Bool' | 'Datetime' | 'KeywordList';

const IVT = temporal.api.enums.v1.IndexedValueType;
export const SA_TYPE_BY_ENUM: Record<number, SaType> = {
  [IVT.INDEXED_VALUE_TYPE_TEXT]: 'Text',
  [IVT.INDEXED_VALUE_TYPE_KEYWORD]: 'Keyword',
  [IVT.INDEXED_VALUE_TYPE_INT]: 'Int',
  [IVT.INDEXED_VALUE_TYPE_DOUBLE]: 'Double',
  [IVT.INDEXED_VALUE_TYPE_BOOL]: 'Bool',
  [IVT.INDEXED_VALUE_TYPE_DATETIME]: 'Datetime',
  [IVT.INDEXED_VALUE_TYPE_KEYWORD_LIST]: 'KeywordList',
};
export const ENUM_BY_SA_TYPE: Record<SaType, number> = {
  Text: IVT.INDEXED_VALUE_TYPE_TEXT,
  Keyword: IVT.INDEXED_VALUE_TYPE_KEYWORD,
  Int: IVT.INDEXED_VALUE_TYPE_INT,
  Double: IVT.INDEXED_VALUE_TYPE_DOUBLE,
  Bool: IVT.INDEXED_VALUE_TYPE_BOOL,
  Datetime: IVT.INDEXED_VALUE_TYPE_DATETIME,
  KeywordList: IVT.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

/** The typed columns of executions_visibility that custom attributes are mapped to. */
export const CUSTOM_COLUMNS: Record<SaType, string[]> = {
  Bool: ['Bool01', 'Bool02', 'Bool03'],
  Datetime: ['Datetime01', 'Datetime02', 'Datetime03'],
  Double: ['Double01', 'Double02', 'Double03'],
  Int: ['Int01', 'Int02', 'Int03'],
  Keyword: ['Keyword01', 'Keyword02', 'Keyword03', 'Keyword04', 'Keyword05', 'Keyword06', 'Keyword07', 'Keyword08', 'Keyword09', 'Keyword10'],
  Text: ['Text01', 'Text02', 'Text03'],
  KeywordList: ['KeywordList01', 'KeywordList02', 'KeywordList03'],
};
export const ALL_CUSTOM_COLUMNS: string[] = Object.values(CUSTOM_COLUMNS).flat();

/** How a query may use an attribute: its type and the one column it reads. */
export interface AttributeDef {
  name: string;
  type: SaType;
  /** undefined: known (may be upserted) but not searchable in the SQL store */
  column: string | undefined;
  system: boolean;
  /** values need a special conversion: status names, durations */
  special?: 'status' | 'duration';
}

/**
 * Schedules have visibility rows too (history's schedules/stored-schedule.ts): workflow type
 * "temporal-sys-scheduler-workflow", TemporalNamespaceDivision "TemporalScheduler". Without columns
 * of their own (no schema change), the two schedule attributes are SQL expressions over existing
 * columns: the division follows from the workflow type, and a schedule row's history_length (a
 * schedule has no history) carries TemporalSchedulePaused as 1 or 0. Only constants reach the SQL.
 */
export const SCHEDULER_WORKFLOW_TYPE = 'temporal-sys-scheduler-workflow';
const NAMESPACE_DIVISION_EXPR = `(CASE WHEN workflow_type_name = '${SCHEDULER_WORKFLOW_TYPE}' THEN 'TemporalScheduler' END)`;
const SCHEDULE_PAUSED_EXPR = `(CASE WHEN workflow_type_name = '${SCHEDULER_WORKFLOW_TYPE}' THEN history_length = 1 END)`;

const sys = (name: string, type: SaType, column: string | undefined, special?: AttributeDef['special']): AttributeDef => ({
  name,
  type,
  column,
  system: true,
  special,
});

/** Temporal's predefined search attributes, by name. */
export const SYSTEM_ATTRIBUTES: ReadonlyMap<string, AttributeDef> = new Map(
  [
    sys('WorkflowId', 'Keyword', 'workflow_id'),
    sys('WorkflowType', 'Keyword', 'workflow_type_name'),
    sys('RunId', 'Keyword', 'run_id'),
    sys('TaskQueue', 'Keyword', 'task_queue'),
    sys('ExecutionStatus', 'Keyword', 'status', 'status'),
    sys('StartTime', 'Datetime', 'start_time'),
    sys('CloseTime', 'Datetime', 'close_time'),
    sys('ExecutionTime', 'Datetime', 'execution_time'),
    sys('ExecutionDuration', 'Int', 'execution_duration', 'duration'),
    sys('HistoryLength', 'Int', 'history_length'),
    sys('HistorySizeBytes', 'Int', 'history_size_bytes'),
    sys('StateTransitionCount', 'Int', 'state_transition_count'),
    sys('ParentWorkflowId', 'Keyword', 'parent_workflow_id'),
    sys('ParentRunId', 'Keyword', 'parent_run_id'),
    sys('RootWorkflowId', 'Keyword', 'root_workflow_id'),
    sys('RootRunId', 'Keyword', 'root_run_id'),
    // written by SDKs and the server, kept in the search_attributes JSON only
    sys('TemporalChangeVersion', 'KeywordList', undefined),
    sys('BinaryChecksums', 'KeywordList', undefined),
    sys('BuildIds', 'KeywordList', undefined),
    sys('BatcherNamespace', 'Keyword', undefined),
    sys('BatcherUser', 'Keyword', undefined),
    sys('TemporalScheduledStartTime', 'Datetime', undefined),
    sys('TemporalScheduledById', 'Keyword', undefined),
    sys('TemporalSchedulePaused', 'Bool', SCHEDULE_PAUSED_EXPR),
    sys('TemporalNamespaceDivision', 'Keyword', NAMESPACE_DIVISION_EXPR),
  ].map((d) => [d.name, d]),
);

/** System attributes a workflow may set itself (upsert / start); the rest are server-owned. */
const WRITABLE_SYSTEM = new Set([
  'TemporalChangeVersion',
  'BinaryChecksums',
  'BuildIds',
  'BatcherNamespace',
  'BatcherUser',
  'TemporalScheduledStartTime',
  'TemporalScheduledById',
  'TemporalSchedulePaused',
  'TemporalNamespaceDivision',
]);

export interface CustomAttribute {
  name: string;
  type: SaType;
  column: string;
}

export class SearchAttributeError extends Error {}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})([Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?)?([Zz]|[+-]\d{2}:\d{2})?$/;

/** RFC 3339 (or a plain date) to epoch ms; undefined when not a valid date-time. */
export function parseDatetime(s: string): number | undefined {
  const m = RFC3339.exec(s);
  if (!m) return undefined;
  let iso = s.replace(' ', 'T');
  if (m[4] && !m[9]) iso += 'Z';
  if (!m[4]) iso += 'T00:00:00Z';
  // Date.parse keeps milliseconds only: trim longer fractions
  iso = iso.replace(/(\.\d{3})\d+/, '$1');
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms : undefined;
}

const DURATION_UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go-style duration ("1h30m", "2.5s", "100ms") to milliseconds; undefined when malformed. */
export function parseDuration(s: string): number | undefined {
  if (!/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(s)) return undefined;
  let ms = 0;
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) ms += Number(m[1]) * DURATION_UNIT_MS[m[2]!]!;
  return Number.isFinite(ms) ? ms : undefined;
}

/** The typed value of one attribute: what goes to its column and into the search_attributes JSON. */
export interface TypedValue {
  /** JSON-safe value kept in the search_attributes JSON (Datetime as the RFC 3339 string) */
  json: unknown;
  /** the column value (Datetime as epoch ms, Bool as boolean, KeywordList as a JSON string) */
  column: unknown;
}

type IPayload = temporal.api.common.v1.IPayload;

function payloadJson(name: string, p: IPayload): unknown {
  const enc = p.metadata?.encoding ? Buffer.from(p.metadata.encoding).toString() : 'json/plain';
  if (enc === 'binary/null') return null;
  if (enc !== 'json/plain') throw new SearchAttributeError(`search attribute ${name}: value must be JSON-encoded (encoding json/plain), got ${enc}`);
  const text = p.data ? Buffer.from(p.data).toString('utf8') : '';
  if (text === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new SearchAttributeError(`search attribute ${name}: value is not valid JSON`);
  }
}

/** Convert a decoded JSON value to the attribute's type; null removes the attribute. */
export function typedValue(name: string, type: SaType, raw: unknown): TypedValue | null {
  const bad = (why: string): never => {
    throw new SearchAttributeError(`search attribute ${name} is of type ${type}: ${why}`);
  };
  let v = raw;
  if (v === null || v === undefined) return null;
  if (type === 'KeywordList') {
    if (typeof v === 'string') v = [v];
    if (!Array.isArray(v)) bad(`expected a list of strings, got ${describe(v)}`);
    const list = v as unknown[];
    if (list.length === 0) return null;
    if (!list.every((x) => typeof x === 'string')) bad('every element must be a string');
    return { json: list, column: JSON.stringify(list) };
  }
  if (Array.isArray(v)) {
    if (v.length === 0) return null;
    if (v.length > 1) bad(`expected one value, got a list of ${v.length}`);
    v = v[0];
  }
  switch (type) {
    case 'Keyword':
    case 'Text':
      if (typeof v !== 'string') bad(`expected a string, got ${describe(v)}`);
      if (type === 'Keyword' && (v as string).length > 255) bad('a Keyword value is limited to 255 characters');
      return { json: v, column: v };
    case 'Int':
      if (typeof v !== 'number' || !Number.isSafeInteger(v)) bad(`expected an integer, got ${describe(v)}`);
      return { json: v, column: v };
    case 'Double':
      if (typeof v !== 'number' || !Number.isFinite(v)) bad(`expected a number, got ${describe(v)}`);
      return { json: v, column: v };
    case 'Bool':
      if (typeof v !== 'boolean') bad(`expected true or false, got ${describe(v)}`);
      return { json: v, column: v };
    case 'Datetime': {
      const ms = typeof v === 'string' ? parseDatetime(v) : undefined;
      if (ms === undefined) bad(`expected an RFC 3339 date-time string, got ${describe(v)}`);
      return { json: new Date(ms!).toISOString(), column: ms };
    }
  }
}

function describe(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return `${Array.isArray(v) ? 'list' : typeof v} ${s.length > 40 ? `${s.slice(0, 40)}...` : s}`;
}

/** Decode one payload for an attribute of `type`. */
export function decodeAttribute(name: string, type: SaType, p: IPayload): TypedValue | null {
  return typedValue(name, type, payloadJson(name, p));
}

/** A payload for a list response (typed: metadata.type lets the SDK rebuild typedSearchAttributes). */
export function encodeAttribute(type: SaType, json: unknown): IPayload {
  return {
    metadata: { encoding: Buffer.from('json/plain'), type: Buffer.from(type) },
    data: Buffer.from(JSON.stringify(json)),
  };
}

/** The attributes a namespace knows: system ones plus its custom ones. */
export class NamespaceAttributes {
  readonly custom = new Map<string, CustomAttribute>();

  constructor(custom: CustomAttribute[]) {
    for (const c of custom) this.custom.set(c.name, c);
  }

  lookup(name: string): AttributeDef | undefined {
    const s = SYSTEM_ATTRIBUTES.get(name);
    if (s) return s;
    const c = this.custom.get(name);
    return c ? { name: c.name, type: c.type, column: c.column, system: false } : undefined;
  }

  /**
   * Check the attributes a workflow sets (start or upsert); throws SearchAttributeError naming the
   * first bad one. Returns the typed values (null = removal).
   */
  validate(fields: Record<string, IPayload> | null | undefined): Map<string, TypedValue | null> {
    const out = new Map<string, TypedValue | null>();
    for (const [name, payload] of Object.entries(fields ?? {})) {
      const sys = SYSTEM_ATTRIBUTES.get(name);
      if (sys && !WRITABLE_SYSTEM.has(name)) throw new SearchAttributeError(`search attribute ${name} is a system attribute and is set by the server only`);
      const def = sys ?? this.lookup(name);
      if (!def) throw new SearchAttributeError(`search attribute ${name} is not defined in this namespace; add it first (OperatorService.AddSearchAttributes)`);
      out.set(name, decodeAttribute(name, def.type, payload));
    }
    return out;
  }
}

/** Merge upserted payloads into the current ones; a null (or, for search attributes, an empty list) removes one. */
export function mergeIndexedFields(
  current: Record<string, IPayload> | null | undefined,
  upsert: Record<string, IPayload> | null | undefined,
  emptyListRemoves = true,
): Record<string, IPayload> {
  const out: Record<string, IPayload> = { ...(current ?? {}) };
  for (const [k, p] of Object.entries(upsert ?? {})) {
    let v: unknown;
    try {
      v = payloadJson(k, p);
    } catch {
      v = 'x';
    }
    if (v === null || (emptyListRemoves && Array.isArray(v) && v.length === 0)) delete out[k];
    else out[k] = p;
  }
  return out;
}
