/**
 * Compiles a List Filter AST to a parameterised SQL condition for one dialect. Values only ever
 * travel as parameters; identifiers only ever come from the attribute -> column map
 * (SYSTEM_ATTRIBUTES and the namespace's custom_search_attributes rows), so no byte of the query
 * text reaches the SQL text. Placeholders are written as `?` and renumbered by the plugin's executor
 * (`$1..$n` on PostgreSQL). What differs per database (full text, JSON lists, STARTS_WITH, booleans)
 * is the plugin's dialect (src/persistence/<plugin>/dialect.ts).
 *
 * Type rules (Temporal's): Keyword: = != < <= > >= IN BETWEEN STARTS_WITH; Int, Double, Datetime:
 * comparisons, IN, BETWEEN; Bool: = !=; Text: = != (full-text "any word" match); KeywordList: = !=
 * IN ("contains"); every attribute: IS [NOT] NULL. ORDER BY: StartTime, CloseTime, ExecutionTime and
 * custom Keyword/Int/Double/Datetime attributes. GROUP BY: ExecutionStatus, in Count only.
 */
import { WorkflowExecutionStatus } from '../../common/proto';
import type { SqlDialect } from '../../persistence';
import { parseDatetime, parseDuration, type AttributeDef, type SaType } from '../search-attributes';
import { QueryError } from './errors';
import type { AttrRef, Expr, Literal, Query } from './parser';

export interface AttributeLookup {
  lookup(name: string): AttributeDef | undefined;
}

export interface CompiledQuery {
  /** an SQL condition over executions_visibility ("1=1" when the query has none) */
  where: string;
  params: unknown[];
  /** empty: the default order (running first, then close time, start time descending) */
  orderBy: { column: string; desc: boolean }[];
  groupByStatus: boolean;
}

export const MAX_PARAMS = 5000;
const MAX_TEXT_WORDS = 32;

export const STATUS_NAMES: Record<string, number> = {
  Running: WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING,
  Completed: WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED,
  Failed: WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_FAILED,
  Canceled: WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_CANCELED,
  Terminated: WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_TERMINATED,
  ContinuedAsNew: WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW,
  TimedOut: WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_TIMED_OUT,
};
export const STATUS_BY_CODE: Record<number, string> = Object.fromEntries(Object.entries(STATUS_NAMES).map(([k, v]) => [v, k]));
const STATUS_LOWER = new Map(Object.entries(STATUS_NAMES).map(([k, v]) => [k.toLowerCase(), v]));

type OpKind = 'eq' | 'range' | 'in' | 'between' | 'startsWith';
const ALLOWED: Record<SaType | 'Status', Set<OpKind>> = {
  Keyword: new Set(['eq', 'range', 'in', 'between', 'startsWith']),
  Int: new Set(['eq', 'range', 'in', 'between']),
  Double: new Set(['eq', 'range', 'in', 'between']),
  Datetime: new Set(['eq', 'range', 'in', 'between']),
  Bool: new Set(['eq']),
  Text: new Set(['eq']),
  KeywordList: new Set(['eq', 'in']),
  Status: new Set(['eq', 'in']),
};
const OP_LABEL: Record<OpKind, string> = { eq: '= and !=', range: '<, <=, >, >=', in: 'IN', between: 'BETWEEN', startsWith: 'STARTS_WITH' };
const SORTABLE_SYSTEM = new Set(['StartTime', 'CloseTime', 'ExecutionTime']);
const SORTABLE_CUSTOM = new Set<SaType>(['Keyword', 'Int', 'Double', 'Datetime']);

export function compileQuery(q: Query, attrs: AttributeLookup, dialect: SqlDialect, purpose: 'list' | 'count'): CompiledQuery {
  return new Compiler(attrs, dialect).compile(q, purpose);
}

class Compiler {
  readonly params: unknown[] = [];

  constructor(
    private readonly attrs: AttributeLookup,
    private readonly d: SqlDialect,
  ) {}

  compile(q: Query, purpose: 'list' | 'count'): CompiledQuery {
    const where = q.where ? this.expr(q.where) : '1=1';
    let groupByStatus = false;
    if (q.groupBy.length > 0) {
      const g = q.groupBy[0]!;
      if (purpose !== 'count') throw new QueryError('GROUP BY is only supported by CountWorkflowExecutions', g.pos);
      if (q.groupBy.length > 1) throw new QueryError('GROUP BY supports one attribute (ExecutionStatus)', q.groupBy[1]!.pos);
      if (g.name !== 'ExecutionStatus') throw new QueryError(`GROUP BY ${clip(g.name)} is not supported; only GROUP BY ExecutionStatus is`, g.pos);
      groupByStatus = true;
    }
    const orderBy: CompiledQuery['orderBy'] = [];
    for (const o of q.orderBy) {
      if (purpose === 'count') throw new QueryError('ORDER BY is not supported by CountWorkflowExecutions', o.attr.pos);
      const def = this.resolve(o.attr);
      if (def.system ? !SORTABLE_SYSTEM.has(def.name) : !SORTABLE_CUSTOM.has(def.type)) {
        throw new QueryError(
          `ORDER BY ${clip(def.name)} is not supported; sort by StartTime, CloseTime, ExecutionTime or a custom Keyword, Int, Double or Datetime attribute`,
          o.attr.pos,
        );
      }
      if (orderBy.some((x) => x.column === def.column)) throw new QueryError(`ORDER BY lists ${def.name} twice`, o.attr.pos);
      orderBy.push({ column: def.column!, desc: o.desc });
    }
    return { where, params: this.params, orderBy, groupByStatus };
  }

  private p(v: unknown): string {
    if (this.params.length >= MAX_PARAMS) throw new QueryError(`the query has more than ${MAX_PARAMS} values`, undefined);
    this.params.push(v);
    return '?';
  }

  private resolve(a: AttrRef): AttributeDef & { column: string } {
    const def = this.attrs.lookup(a.name);
    if (!def) throw new QueryError(`unknown search attribute ${clip(a.name)}`, a.pos);
    if (!def.column) throw new QueryError(`search attribute ${def.name} cannot be used in queries on the SQL visibility store`, a.pos);
    return def as AttributeDef & { column: string };
  }

  private check(def: AttributeDef, op: OpKind, pos: number): void {
    const t = def.special === 'status' ? 'Status' : def.type;
    if (!ALLOWED[t].has(op)) {
      const ok = [...ALLOWED[t]].map((k) => OP_LABEL[k]).join(', ');
      throw new QueryError(`operator ${OP_LABEL[op]} is not supported for ${def.name} (type ${def.type}); use ${ok}, IS NULL`, pos);
    }
  }

  private expr(e: Expr): string {
    switch (e.kind) {
      case 'and':
      case 'or':
        return `(${e.terms.map((t) => this.expr(t)).join(e.kind === 'and' ? ' AND ' : ' OR ')})`;
      case 'not':
        return `(NOT ${this.expr(e.expr)})`;
      case 'isNull': {
        const def = this.resolve(e.attr);
        return `(${def.column} IS ${e.negated ? 'NOT ' : ''}NULL)`;
      }
      case 'cmp': {
        const def = this.resolve(e.attr);
        const eq = e.op === '=' || e.op === '!=';
        this.check(def, eq ? 'eq' : 'range', e.pos);
        if (def.type === 'Text') return this.text(def.column, e.value, e.op === '!=');
        if (def.type === 'KeywordList') {
          const c = this.d.listContains(def.column, this.str(def, e.value), this.params);
          return e.op === '!=' ? `(${def.column} IS NOT NULL AND NOT ${c})` : c;
        }
        return `(${def.column} ${e.op} ${this.p(this.convert(def, e.value))})`;
      }
      case 'in': {
        const def = this.resolve(e.attr);
        this.check(def, 'in', e.pos);
        if (def.type === 'KeywordList') {
          const ors = e.values.map((v) => this.d.listContains(def.column, this.str(def, v), this.params)).join(' OR ');
          return e.negated ? `(${def.column} IS NOT NULL AND NOT (${ors}))` : `(${ors})`;
        }
        const list = e.values.map((v) => this.p(this.convert(def, v))).join(', ');
        return `(${def.column} ${e.negated ? 'NOT IN' : 'IN'} (${list}))`;
      }
      case 'between': {
        const def = this.resolve(e.attr);
        this.check(def, 'between', e.pos);
        const lo = this.p(this.convert(def, e.low));
        const hi = this.p(this.convert(def, e.high));
        return `(${def.column} ${e.negated ? 'NOT BETWEEN' : 'BETWEEN'} ${lo} AND ${hi})`;
      }
      case 'startsWith': {
        const def = this.resolve(e.attr);
        this.check(def, 'startsWith', e.pos);
        const prefix = this.str(def, e.value);
        if (this.params.length >= MAX_PARAMS) throw new QueryError(`the query has more than ${MAX_PARAMS} values`, undefined);
        return this.d.startsWith(def.column, prefix, e.negated, this.params);
      }
    }
  }

  private text(column: string, v: Literal, negated: boolean): string {
    if (v.kind !== 'string') throw new QueryError(`a Text attribute is compared with a string, got ${lit(v)}`, v.pos);
    const words = v.value
      .split(/[^\p{L}\p{N}]+/u)
      .filter((w) => w.length > 0)
      .slice(0, MAX_TEXT_WORDS);
    const sql = words.length === 0 ? '(1=0)' : this.d.fullText(column, words, this.params);
    // MySQL's MATCH is 0, not NULL, on a NULL column: keep "!=" from matching rows without a value
    return negated ? `(${column} IS NOT NULL AND NOT ${sql})` : sql;
  }

  private str(def: AttributeDef, v: Literal): string {
    if (v.kind !== 'string') throw new QueryError(`${def.name} is a ${def.type} attribute: compare it with a string, got ${lit(v)}`, v.pos);
    return v.value;
  }

  /** A literal as the column's parameter value. */
  private convert(def: AttributeDef, v: Literal): unknown {
    const bad = (want: string): never => {
      throw new QueryError(`${def.name} is a ${def.type} attribute: expected ${want}, got ${lit(v)}`, v.pos);
    };
    if (def.special === 'status') {
      if (v.kind === 'string') {
        const code = STATUS_LOWER.get(v.value.toLowerCase());
        if (code === undefined) throw new QueryError(`unknown ExecutionStatus '${clip(v.value)}'; use one of ${Object.keys(STATUS_NAMES).join(', ')}`, v.pos);
        return code;
      }
      if (v.kind === 'number' && Number.isInteger(v.value) && STATUS_BY_CODE[v.value]) return v.value;
      return bad(`an execution status name such as 'Running'`);
    }
    if (def.special === 'duration') {
      if (v.kind === 'string') {
        const ms = parseDuration(v.value);
        if (ms === undefined) return bad(`a duration such as '1h30m' or '250ms', or an integer of nanoseconds`);
        return Math.round(ms!);
      }
      if (v.kind === 'number' && Number.isSafeInteger(v.value)) return Math.round(v.value / 1e6);
      return bad('a duration string or an integer of nanoseconds');
    }
    switch (def.type) {
      case 'Keyword':
      case 'Text':
      case 'KeywordList':
        return this.str(def, v);
      case 'Int': {
        const n = v.kind === 'number' ? v.value : v.kind === 'string' && /^-?\d+$/.test(v.value) ? Number(v.value) : NaN;
        if (!Number.isSafeInteger(n)) return bad('an integer');
        return n;
      }
      case 'Double': {
        const n = v.kind === 'number' ? v.value : v.kind === 'string' && /^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(v.value) ? Number(v.value) : NaN;
        if (!Number.isFinite(n)) return bad('a number');
        return n;
      }
      case 'Bool': {
        if (v.kind === 'bool') return this.d.bool(v.value);
        if (v.kind === 'string' && /^(true|false)$/i.test(v.value)) return this.d.bool(v.value.toLowerCase() === 'true');
        return bad('true or false');
      }
      case 'Datetime': {
        if (v.kind === 'string') {
          const ms = parseDatetime(v.value);
          if (ms === undefined) return bad(`an RFC 3339 date-time such as '2024-05-01T00:00:00Z'`);
          return ms;
        }
        // Temporal also takes epoch nanoseconds
        if (v.kind === 'number' && Number.isInteger(v.value) && Math.abs(v.value) < 1e22) return Math.floor(v.value / 1e6);
        return bad('an RFC 3339 date-time string');
      }
    }
  }
}

function clip(s: string): string {
  return s.length > 60 ? `${s.slice(0, 60)}...` : s;
}

function lit(v: Literal): string {
  if (v.kind === 'string') return `the string '${clip(v.value)}'`;
  if (v.kind === 'number') return `the number ${clip(v.text)}`;
  return v.value ? 'TRUE' : 'FALSE';
}
