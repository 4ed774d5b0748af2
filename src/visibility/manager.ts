/**
 * The visibility service's implementation (interface in index.ts): builds a run's visibility row
 * from the ExecutionSnapshot history's visibility queue hands it, answers List / Count / Scan /
 * ListOpen / ListClosed with the List Filter language, and owns the custom search attribute
 * mappings of each namespace (OperatorService).
 *
 * Paging. Default order is Temporal's: running runs first (newest start first), then closed runs by
 * close time, newest first; ties by start time, then run id. It is read in two phases (running, then
 * closed) with keyset page tokens, so each phase can walk an index. A query with ORDER BY pages by
 * offset.
 */
import { AlreadyExistsError, InvalidArgumentError, NotFoundError } from '../common/errors';
import { api, fromB64, msToDuration, msToTimestamp, type IPayload, type temporal } from '../common/proto';
import { compileQuery, STATUS_BY_CODE, type CompiledQuery } from './query/compiler';
import { parseQuery, type Expr, type Query } from './query/parser';
import {
  ALL_CUSTOM_COLUMNS,
  CUSTOM_COLUMNS,
  decodeAttribute,
  encodeAttribute,
  ENUM_BY_SA_TYPE,
  NamespaceAttributes,
  SA_TYPE_BY_ENUM,
  SCHEDULER_WORKFLOW_TYPE,
  SearchAttributeError,
  SYSTEM_ATTRIBUTES,
  type CustomAttribute,
} from './search-attributes';
import { toNumber, type Row, type VisibilityRecord, type VisibilityStore } from './store';
import type { ExecutionSnapshot, OpenOrClosedFilter, SearchAttributeListing } from './types';

type IWorkflowExecutionInfo = temporal.api.workflow.v1.IWorkflowExecutionInfo;

export const DEFAULT_PAGE_SIZE = 1000;
export const MAX_PAGE_SIZE = 1000;

/** Custom attributes per namespace, cached; `ttlMs` bounds staleness across server processes. */
export class SearchAttributeRegistry {
  private readonly cache = new Map<string, { at: number; attrs: NamespaceAttributes }>();

  constructor(
    private readonly store: VisibilityStore,
    private readonly ttlMs = 2000,
  ) {}

  async get(namespaceId: string, maxAgeMs = this.ttlMs): Promise<NamespaceAttributes> {
    const hit = this.cache.get(namespaceId);
    if (hit && Date.now() - hit.at <= maxAgeMs) return hit.attrs;
    const attrs = new NamespaceAttributes(await this.store.listCustomAttributes(namespaceId));
    this.cache.set(namespaceId, { at: Date.now(), attrs });
    return attrs;
  }

  /** The cached attributes (system ones only when never loaded): for synchronous validation. */
  peek(namespaceId: string): NamespaceAttributes {
    return this.cache.get(namespaceId)?.attrs ?? new NamespaceAttributes([]);
  }

  invalidate(namespaceId: string): void {
    this.cache.delete(namespaceId);
  }
}

const SELECT_COLUMNS =
  'workflow_id, run_id, workflow_type_name, task_queue, status, start_time, execution_time, close_time, history_length, history_size_bytes, execution_duration, memo, parent_workflow_id, parent_run_id, search_attributes';
const CLOSED_ORDER = 'close_time DESC, start_time DESC, run_id ASC';

interface PageToken {
  /** default order: phase and the last row's keys */
  p?: 'open' | 'closed';
  c?: number;
  s?: number;
  r?: string;
  /** ORDER BY queries: offset */
  o?: number;
}

export interface ListResult {
  executions: IWorkflowExecutionInfo[];
  nextPageToken: Buffer | undefined;
}

export class VisibilityManager {
  readonly registry: SearchAttributeRegistry;

  constructor(readonly store: VisibilityStore) {
    this.registry = new SearchAttributeRegistry(store);
  }

  close(): Promise<void> {
    return this.store.close();
  }

  // ---------------------------------------------------------------- writing (history's visibility queue)
  async recordExecution(e: ExecutionSnapshot): Promise<void> {
    await this.store.upsertExecution(await this.recordFor(e));
  }

  deleteExecution(namespaceId: string, runId: string): Promise<void> {
    return this.store.deleteExecution(namespaceId, runId);
  }

  async searchAttributeProblem(namespaceId: string, fields: Record<string, IPayload> | null | undefined): Promise<string | undefined> {
    if (!fields || Object.keys(fields).length === 0) return undefined;
    try {
      (await this.registry.get(namespaceId)).validate(fields);
      return undefined;
    } catch (err) {
      if (err instanceof SearchAttributeError) return err.message;
      throw err;
    }
  }

  /** The row of a run: its search attributes typed by the namespace's current definitions. */
  async recordFor(e: ExecutionSnapshot): Promise<VisibilityRecord> {
    const attrs = await this.registry.get(e.namespaceId);
    const json: Record<string, unknown> = {};
    const columns: Record<string, unknown> = {};
    if (e.searchAttributes) {
      const sa = api.common.v1.SearchAttributes.decode(e.searchAttributes);
      for (const [name, payload] of Object.entries(sa.indexedFields ?? {})) {
        const def = attrs.lookup(name);
        if (!def) continue; // removed from the namespace since it was set
        let v;
        try {
          v = decodeAttribute(name, def.type, payload);
        } catch {
          continue; // validated when set; a type change since then drops the value
        }
        if (!v) continue;
        json[name] = v.json;
        if (!def.system && def.column) columns[def.column] = v.column;
      }
    }
    return {
      namespaceId: e.namespaceId,
      runId: e.runId,
      workflowId: e.workflowId,
      workflowTypeName: e.workflowType,
      taskQueue: e.taskQueue,
      status: e.status,
      startTimeMs: e.startTimeMs,
      executionTimeMs: e.executionTimeMs,
      closeTimeMs: e.closeTimeMs,
      historyLength: e.historyLength,
      historySizeBytes: e.historySizeBytes,
      executionDurationMs: e.closeTimeMs === null ? null : Math.max(0, e.closeTimeMs - e.startTimeMs),
      stateTransitionCount: null,
      memo: e.memo,
      encoding: e.memo ? 'proto3' : null,
      parentWorkflowId: null,
      parentRunId: null,
      rootWorkflowId: e.workflowId,
      rootRunId: e.runId,
      searchAttributes: Object.keys(json).length > 0 ? json : null,
      columns,
    };
  }

  // ---------------------------------------------------------------- queries
  private async compile(namespaceId: string, query: string | Query, purpose: 'list' | 'count'): Promise<{ c: CompiledQuery; attrs: NamespaceAttributes }> {
    const attrs = await this.registry.get(namespaceId);
    const ast = typeof query === 'string' ? parseQuery(query) : query;
    const c = compileQuery(ast, attrs, this.store.dialect, purpose);
    // As Temporal: rows of a namespace division (schedules) are listed only by a query that names it.
    if (!JSON.stringify(ast.where ?? null).includes('"TemporalNamespaceDivision"')) {
      c.where = `(${c.where}) AND workflow_type_name <> ?`;
      c.params.push(SCHEDULER_WORKFLOW_TYPE);
    }
    return { c, attrs };
  }

  async list(namespaceId: string, query: string | Query, pageSize: number, token: Uint8Array | null | undefined): Promise<ListResult> {
    const size = pageSize > 0 ? Math.min(pageSize, MAX_PAGE_SIZE) : DEFAULT_PAGE_SIZE;
    const { c, attrs } = await this.compile(namespaceId, query, 'list');
    const tok = decodeToken(token);
    const base = `SELECT ${SELECT_COLUMNS} FROM executions_visibility WHERE namespace_id = ? AND ${c.where}`;
    const rows: Row[] = [];
    let next: PageToken | undefined;
    if (c.orderBy.length > 0) {
      const offset = tok.o ?? 0;
      const order = [...c.orderBy.map((o) => `${o.column} ${o.desc ? 'DESC' : 'ASC'}`), 'run_id ASC'].join(', ');
      const got = await this.store.select(`${base} ORDER BY ${order} LIMIT ${size + 1} OFFSET ${offset}`, [namespaceId, ...c.params]);
      rows.push(...got.slice(0, size));
      if (got.length > size) next = { o: offset + size };
    } else {
      if (tok.p !== 'closed') {
        const keyset = tok.p === 'open' ? ' AND (start_time < ? OR (start_time = ? AND run_id > ?))' : '';
        const kp = tok.p === 'open' ? [tok.s, tok.s, tok.r] : [];
        const got = await this.store.select(`${base} AND close_time IS NULL${keyset} ORDER BY start_time DESC, run_id ASC LIMIT ${size + 1}`, [
          namespaceId,
          ...c.params,
          ...kp,
        ]);
        rows.push(...got.slice(0, size));
        if (got.length > size) {
          const last = rows[rows.length - 1]!;
          next = { p: 'open', s: toNumber(last.start_time)!, r: String(last.run_id) };
        }
      }
      if (!next) {
        // the closed phase; with want = 0 it only tells whether a next page exists
        const want = size - rows.length;
        const resume = tok.p === 'closed' && tok.c !== undefined;
        const keyset = resume ? ' AND (close_time < ? OR (close_time = ? AND (start_time < ? OR (start_time = ? AND run_id > ?))))' : '';
        const kp = resume ? [tok.c, tok.c, tok.s, tok.s, tok.r] : [];
        const got = await this.store.select(`${base} AND close_time IS NOT NULL${keyset} ORDER BY ${CLOSED_ORDER} LIMIT ${want + 1}`, [
          namespaceId,
          ...c.params,
          ...kp,
        ]);
        rows.push(...got.slice(0, want));
        if (got.length > want) {
          const last = want > 0 ? rows[rows.length - 1]! : undefined;
          next = last
            ? { p: 'closed', c: toNumber(last.close_time)!, s: toNumber(last.start_time)!, r: String(last.run_id) }
            : resume
              ? { ...tok }
              : { p: 'closed' };
        }
      }
    }
    return { executions: rows.map((r) => this.info(r, attrs)), nextPageToken: next ? Buffer.from(JSON.stringify(next)) : undefined };
  }

  async count(namespaceId: string, query: string): Promise<{ count: number; groups: { groupValues: object[]; count: number }[] }> {
    const { c } = await this.compile(namespaceId, query, 'count');
    const where = `FROM executions_visibility WHERE namespace_id = ? AND ${c.where}`;
    if (!c.groupByStatus) {
      const rows = await this.store.select(`SELECT COUNT(*) AS n ${where}`, [namespaceId, ...c.params]);
      return { count: toNumber(rows[0]?.n) ?? 0, groups: [] };
    }
    const rows = await this.store.select(`SELECT status, COUNT(*) AS n ${where} GROUP BY status ORDER BY status`, [namespaceId, ...c.params]);
    let total = 0;
    const groups = rows.map((r) => {
      const n = toNumber(r.n) ?? 0;
      total += n;
      return { groupValues: [encodeAttribute('Keyword', STATUS_BY_CODE[toNumber(r.status)!] ?? String(r.status))], count: n };
    });
    return { count: total, groups };
  }

  /** ListOpen/ListClosedWorkflowExecutions: their typed filters become a query AST. */
  async listOpenOrClosed(namespaceId: string, closed: boolean, req: OpenOrClosedFilter): Promise<ListResult> {
    const terms: Expr[] = [];
    const a = (name: string) => ({ name, pos: 0 });
    const s = (value: string) => ({ kind: 'string' as const, value, pos: 0 });
    const n = (value: number) => ({ kind: 'number' as const, value, text: String(value), pos: 0 });
    terms.push({ kind: 'cmp', attr: a('ExecutionStatus'), op: closed ? '!=' : '=', value: s('Running'), pos: 0 });
    const tf = req.startTimeFilter;
    if (tf) {
      const ts = (t: object | null | undefined) => (t ? new Date(timestampMsOf(t)).toISOString() : undefined);
      const lo = ts(tf.earliestTime);
      const hi = ts(tf.latestTime);
      const attr = a(closed ? 'CloseTime' : 'StartTime');
      if (lo) terms.push({ kind: 'cmp', attr, op: '>=', value: s(lo), pos: 0 });
      if (hi) terms.push({ kind: 'cmp', attr, op: '<=', value: s(hi), pos: 0 });
    }
    if (req.executionFilter?.workflowId) terms.push({ kind: 'cmp', attr: a('WorkflowId'), op: '=', value: s(req.executionFilter.workflowId), pos: 0 });
    if (req.executionFilter?.runId) terms.push({ kind: 'cmp', attr: a('RunId'), op: '=', value: s(req.executionFilter.runId), pos: 0 });
    if (req.typeFilter?.name) terms.push({ kind: 'cmp', attr: a('WorkflowType'), op: '=', value: s(req.typeFilter.name), pos: 0 });
    if (closed && req.statusFilter?.status) terms.push({ kind: 'cmp', attr: a('ExecutionStatus'), op: '=', value: n(Number(req.statusFilter.status)), pos: 0 });
    const query: Query = { where: { kind: 'and', terms, pos: 0 }, groupBy: [], orderBy: [] };
    return this.list(namespaceId, query, req.maximumPageSize ?? 0, req.nextPageToken);
  }

  private info(r: Row, attrs: NamespaceAttributes): IWorkflowExecutionInfo {
    const closeMs = toNumber(r.close_time);
    const startMs = toNumber(r.start_time)!;
    const execMs = toNumber(r.execution_time) ?? startMs;
    const durMs = toNumber(r.execution_duration);
    let sa: Record<string, unknown> | null = null;
    const raw = r.search_attributes;
    if (typeof raw === 'string' && raw !== '') sa = JSON.parse(raw) as Record<string, unknown>;
    else if (raw && typeof raw === 'object' && !Buffer.isBuffer(raw)) sa = raw as Record<string, unknown>;
    const indexedFields: Record<string, object> = {};
    for (const [name, v] of Object.entries(sa ?? {})) {
      const def = attrs.lookup(name);
      if (def) indexedFields[name] = encodeAttribute(def.type, v);
    }
    const memo = r.memo ? fromB64(api.common.v1.Memo, Buffer.from(r.memo as Uint8Array).toString('base64')) : undefined;
    return {
      execution: { workflowId: String(r.workflow_id), runId: String(r.run_id) },
      type: { name: String(r.workflow_type_name) },
      startTime: msToTimestamp(startMs),
      closeTime: closeMs === null ? undefined : msToTimestamp(closeMs),
      executionTime: msToTimestamp(execMs),
      status: toNumber(r.status)!,
      historyLength: (toNumber(r.history_length) ?? 0) as never,
      historySizeBytes: (toNumber(r.history_size_bytes) ?? 0) as never,
      executionDuration: durMs === null ? undefined : msToDuration(durMs),
      memo,
      searchAttributes: { indexedFields },
      taskQueue: String(r.task_queue),
      rootExecution: { workflowId: String(r.workflow_id), runId: String(r.run_id) },
    } as IWorkflowExecutionInfo;
  }

  // ---------------------------------------------------------------- search attribute admin
  async listAttributes(namespaceId: string): Promise<SearchAttributeListing> {
    const attrs = await this.registry.get(namespaceId, 0);
    const customAttributes: Record<string, number> = {};
    const storageSchema: Record<string, string> = {};
    for (const c of attrs.custom.values()) {
      customAttributes[c.name] = ENUM_BY_SA_TYPE[c.type];
      storageSchema[c.name] = c.column;
    }
    const systemAttributes: Record<string, number> = {};
    for (const s of SYSTEM_ATTRIBUTES.values()) systemAttributes[s.name] = ENUM_BY_SA_TYPE[s.type];
    return { customAttributes, systemAttributes, storageSchema };
  }

  async addAttributes(namespaceId: string, namespaceName: string, requested: Record<string, number>): Promise<void> {
    const entries = Object.entries(requested ?? {});
    if (entries.length === 0) throw new InvalidArgumentError('searchAttributes', 'is empty: name at least one search attribute and its type');
    const current = await this.registry.get(namespaceId, 0);
    const used = new Set([...current.custom.values()].map((c) => c.column));
    const adding: CustomAttribute[] = [];
    for (const [name, code] of entries) {
      if (!/^[A-Za-z_][A-Za-z0-9_.-]{0,254}$/.test(name)) {
        throw new InvalidArgumentError(
          'searchAttributes',
          `search attribute name "${name.slice(0, 60)}" is invalid: use letters, digits, '_', '.', '-', starting with a letter or '_'`,
        );
      }
      const type = SA_TYPE_BY_ENUM[Number(code)];
      if (!type)
        throw new InvalidArgumentError(
          'searchAttributes',
          `search attribute ${name} has an unknown type (${String(code)}); use Text, Keyword, Int, Double, Bool, Datetime or KeywordList`,
        );
      if (SYSTEM_ATTRIBUTES.has(name))
        throw new InvalidArgumentError('searchAttributes', `search attribute ${name} is a system search attribute; its name is reserved`);
      const existing = current.custom.get(name);
      if (existing) throw new AlreadyExistsError(`Search attribute ${name} already exists in namespace ${namespaceName} (type ${existing.type}).`);
      const column = CUSTOM_COLUMNS[type].find((col) => !used.has(col));
      if (!column) {
        throw new InvalidArgumentError(
          'searchAttributes',
          `cannot add search attribute ${name} of type ${type}: all ${CUSTOM_COLUMNS[type].length} ${type} columns of the SQL visibility store (${CUSTOM_COLUMNS[type].join(', ')}) are in use in namespace ${namespaceName}; remove one first`,
        );
      }
      used.add(column);
      adding.push({ name, type, column });
    }
    await this.store.addCustomAttributes(namespaceId, adding);
    this.registry.invalidate(namespaceId);
  }

  async removeAttributes(namespaceId: string, namespaceName: string, names: string[]): Promise<void> {
    if (!names || names.length === 0) throw new InvalidArgumentError('searchAttributes', 'is empty: name at least one search attribute to remove');
    const current = await this.registry.get(namespaceId, 0);
    const removing: CustomAttribute[] = [];
    for (const name of names) {
      if (SYSTEM_ATTRIBUTES.has(name))
        throw new InvalidArgumentError('searchAttributes', `search attribute ${name} is a system search attribute and cannot be removed`);
      const c = current.custom.get(name);
      if (!c) throw new NotFoundError(`Search attribute ${name.slice(0, 100)} doesn't exist in namespace ${namespaceName}.`);
      if (!ALL_CUSTOM_COLUMNS.includes(c.column)) throw new Error(`bad column ${c.column}`);
      removing.push(c);
    }
    await this.store.removeCustomAttributes(namespaceId, removing);
    this.registry.invalidate(namespaceId);
  }
}

function timestampMsOf(t: object): number {
  const x = t as { seconds?: unknown; nanos?: number | null };
  const secs = typeof x.seconds === 'object' && x.seconds !== null ? Number((x.seconds as { toString(): string }).toString()) : Number(x.seconds ?? 0);
  return secs * 1000 + Math.floor((x.nanos ?? 0) / 1e6);
}

function decodeToken(b: Uint8Array | null | undefined): PageToken {
  if (!b || b.length === 0) return {};
  try {
    const t = JSON.parse(Buffer.from(b).toString('utf8')) as PageToken;
    const okNum = (v: unknown) => v === undefined || (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0);
    if (typeof t !== 'object' || t === null || !okNum(t.o) || !okNum(t.c) || !okNum(t.s) || (t.r !== undefined && typeof t.r !== 'string'))
      throw new Error('shape');
    if (t.p !== undefined && t.p !== 'open' && t.p !== 'closed') throw new Error('phase');
    return t;
  } catch {
    throw new InvalidArgumentError('nextPageToken', 'is not a page token this server returned for this query');
  }
}
