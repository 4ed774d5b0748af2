/**
 * What a versioned directory's statements do to tables, read from the SQL alone: the tables each
 * version creates, drops or renames, the columns it adds, drops or renames, and the tables and
 * columns it expects to find from before its first version (its base). From that: the tables and
 * columns a database at version V must have, what later versions would add, and which store the
 * directory builds. This is how a directory and a database are matched whatever their folders are
 * called. Statements it cannot read (DO blocks, procedures) teach it nothing; it never guesses.
 * Comparing the shape with a real database is store-identity.ts's job.
 */
import type { StoreName, VersionedDir } from './versioned-dir';
import { type SchemaVersion, ZERO_VERSION, compareVersions, formatVersion } from './version';

export type Effect =
  | { readonly kind: 'createTable'; readonly table: string; readonly ifNotExists: boolean; readonly columns: readonly string[] }
  | { readonly kind: 'dropTable'; readonly table: string; readonly ifExists: boolean }
  | { readonly kind: 'renameTable'; readonly table: string; readonly to: string }
  | { readonly kind: 'addColumn'; readonly table: string; readonly column: string; readonly ifNotExists: boolean }
  | { readonly kind: 'dropColumn'; readonly table: string; readonly column: string; readonly ifExists: boolean }
  | { readonly kind: 'renameColumn'; readonly table: string; readonly column: string; readonly to: string }
  /** The statement needs the table to exist (ALTER, CREATE INDEX/TRIGGER … ON, INSERT/UPDATE/DELETE). */
  | { readonly kind: 'uses'; readonly table: string };

/** Tables (lower case) with the columns known to be in them (lower case; possibly not all of them). */
export type TableShape = Map<string, Set<string>>;

const IDENT = String.raw`(?:"[^"]+"|\x60[^\x60]+\x60|\[[^\]]+\]|[A-Za-z_][A-Za-z0-9_$]*)`;
const NAME = String.raw`(${IDENT}(?:\s*\.\s*${IDENT})?)`;

/** The last part of a possibly qualified, possibly quoted name, in lower case. */
function unquote(name: string): string {
  const last = name.split(/\s*\.\s*(?=(?:"|`|\[|[A-Za-z_]))/).pop()!;
  return last.replace(/^["`[]|["`\]]$/g, '').toLowerCase();
}

/** Splits at `sep` outside parentheses and quotes. */
function splitTopLevel(text: string, sep: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"' || c === '`') quote = c;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === sep && depth === 0) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out.map((s) => s.trim()).filter((s) => s !== '');
}

/** The text inside the parenthesis that opens at `open`, or undefined when it never closes. */
function parenthesized(text: string, open: number): string | undefined {
  let depth = 0;
  let quote: string | undefined;
  for (let i = open; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"' || c === '`') quote = c;
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return text.slice(open + 1, i);
  }
  return undefined;
}

// Words that start a table constraint (not a column) in a CREATE TABLE body or an ALTER … ADD/DROP.
const NOT_A_COLUMN = new Set(['primary', 'unique', 'key', 'index', 'constraint', 'foreign', 'check', 'fulltext', 'spatial', 'exclude', 'like', 'period', 'partition', 'default']);

function columnName(item: string): string | undefined {
  const m = new RegExp(`^${IDENT}`).exec(item);
  if (!m) return undefined;
  const name = unquote(m[0]);
  return NOT_A_COLUMN.has(name) && !/^["`[]/.test(m[0]) ? undefined : name;
}

function alterClauses(table: string, rest: string): Effect[] {
  const out: Effect[] = [{ kind: 'uses', table }];
  for (const clause of splitTopLevel(rest, ',')) {
    let m: RegExpExecArray | null;
    if ((m = new RegExp(`^RENAME\\s+COLUMN\\s+${NAME}\\s+TO\\s+${NAME}`, 'i').exec(clause))) {
      out.push({ kind: 'renameColumn', table, column: unquote(m[1]!), to: unquote(m[2]!) });
    } else if ((m = new RegExp(`^RENAME\\s+(?:TO\\s+|AS\\s+)?${NAME}\\s*$`, 'i').exec(clause)) && !/^(COLUMN|INDEX|KEY|CONSTRAINT)$/i.test(m[1]!)) {
      out.push({ kind: 'renameTable', table, to: unquote(m[1]!) });
    } else if ((m = new RegExp(`^CHANGE\\s+(?:COLUMN\\s+)?${NAME}\\s+${NAME}`, 'i').exec(clause))) {
      if (unquote(m[1]!) !== unquote(m[2]!)) out.push({ kind: 'renameColumn', table, column: unquote(m[1]!), to: unquote(m[2]!) });
    } else if ((m = /^ADD\s+(COLUMN\s+)?(IF\s+NOT\s+EXISTS\s+)?(.*)$/is.exec(clause))) {
      const column = m[3]!.startsWith('(') ? undefined : columnName(m[3]!);
      if (column) out.push({ kind: 'addColumn', table, column, ifNotExists: Boolean(m[2]) });
    } else if ((m = /^DROP\s+(COLUMN\s+)?(IF\s+EXISTS\s+)?(.*)$/is.exec(clause))) {
      const column = columnName(m[3]!);
      if (column) out.push({ kind: 'dropColumn', table, column, ifExists: Boolean(m[2]) });
    }
  }
  return out;
}

/** What one statement does to tables; [] for a statement this reader does not understand. */
export function statementEffects(statement: string): Effect[] {
  const sql = statement.replace(/\s+/g, ' ').trim();
  let m: RegExpExecArray | null;
  if ((m = new RegExp(`^CREATE (?:(?:GLOBAL |LOCAL )?(TEMP|TEMPORARY) )?(?:UNLOGGED )?(VIRTUAL )?TABLE (IF NOT EXISTS )?${NAME}\\s*(.*)$`, 'is').exec(sql))) {
    if (m[1]) return []; // a temporary table is gone after the session
    const table = unquote(m[4]!);
    const rest = m[5]!;
    const body = !m[2] && rest.startsWith('(') ? parenthesized(rest, 0) : undefined;
    const columns = body === undefined ? [] : splitTopLevel(body, ',').flatMap((item) => columnName(item) ?? []);
    return [{ kind: 'createTable', table, ifNotExists: Boolean(m[3]), columns }];
  }
  if ((m = new RegExp(`^DROP TABLE (IF EXISTS )?(${NAME}(?:\\s*,\\s*${NAME})*)`, 'i').exec(sql))) {
    return splitTopLevel(m[2]!, ',').map((t) => ({ kind: 'dropTable' as const, table: unquote(t.split(/\s/)[0]!), ifExists: Boolean(m![1]) }));
  }
  if ((m = new RegExp(`^ALTER TABLE (?:IF EXISTS )?(?:ONLY )?${NAME} (.*)$`, 'is').exec(sql))) {
    return alterClauses(unquote(m[1]!), m[2]!);
  }
  if ((m = new RegExp(`^CREATE (?:UNIQUE |FULLTEXT |SPATIAL )?INDEX\\b.*?\\bON (?:ONLY )?${NAME}`, 'is').exec(sql))) {
    return [{ kind: 'uses', table: unquote(m[1]!) }];
  }
  if ((m = new RegExp(`^CREATE (?:TEMP |TEMPORARY )?TRIGGER\\b.*?\\bON ${NAME}`, 'is').exec(sql))) {
    return [{ kind: 'uses', table: unquote(m[1]!) }];
  }
  if ((m = new RegExp(`^(?:INSERT (?:IGNORE )?INTO|REPLACE INTO|UPDATE|DELETE FROM) ${NAME}`, 'i').exec(sql))) {
    return [{ kind: 'uses', table: unquote(m[1]!) }];
  }
  return [];
}

export interface VersionEffects {
  readonly version: SchemaVersion;
  readonly effects: readonly Effect[];
}

export interface DirShape {
  /** The version the directory's first step upgrades from (0.0 when it starts from nothing). */
  readonly base: SchemaVersion;
  /** Tables and columns a database at the base version has. */
  readonly baseShape: TableShape;
  readonly versions: readonly VersionEffects[];
  /** Which stores the directory's tables belong to (by their marker tables; empty when unknown). */
  readonly stores: ReadonlySet<StoreName>;
  /**
   * "table" and "table.column" entries the versions leave behind that the full schema.sql does not
   * have (Temporal's cluster_metadata, created by v1.0 and never dropped): an upgraded database keeps
   * them, one made from schema.sql never had them, so neither is required of a database.
   */
  readonly optional: ReadonlySet<string>;
}

const STORE_MARKERS: Record<StoreName, readonly string[]> = {
  temporal: ['executions', 'current_executions', 'shards', 'history_node'],
  visibility: ['executions_visibility'],
};

/** The stores whose marker tables are among `tables`: Temporal's dev server keeps both in one file. */
export function storesOf(tables: Iterable<string>): Set<StoreName> {
  const set = new Set([...tables].map((t) => t.toLowerCase()));
  return new Set((Object.keys(STORE_MARKERS) as StoreName[]).filter((s) => STORE_MARKERS[s].some((t) => set.has(t))));
}

function copyShape(s: TableShape): TableShape {
  return new Map([...s].map(([t, cols]) => [t, new Set(cols)]));
}

/** Applies one effect to a shape (what the database looks like after the statement ran). */
export function applyEffect(shape: TableShape, e: Effect): void {
  switch (e.kind) {
    case 'createTable':
      if (!shape.has(e.table)) shape.set(e.table, new Set(e.columns));
      return;
    case 'dropTable':
      shape.delete(e.table);
      return;
    case 'renameTable': {
      const cols = shape.get(e.table);
      shape.delete(e.table);
      if (cols) shape.set(e.to, cols);
      return;
    }
    case 'addColumn':
      shape.get(e.table)?.add(e.column);
      return;
    case 'dropColumn':
      shape.get(e.table)?.delete(e.column);
      return;
    case 'renameColumn': {
      const cols = shape.get(e.table);
      if (cols?.delete(e.column)) cols.add(e.to);
      return;
    }
    case 'uses':
      return;
  }
}

function replay(start: TableShape, effects: readonly Effect[]): TableShape {
  const s = copyShape(start);
  for (const e of effects) applyEffect(s, e);
  return s;
}

/** Undoes one effect (what the database looked like before the statement ran). */
function undoEffect(shape: TableShape, e: Effect): void {
  switch (e.kind) {
    case 'createTable':
      shape.delete(e.table);
      return;
    case 'dropTable':
      if (!shape.has(e.table)) shape.set(e.table, new Set());
      return;
    case 'renameTable':
      applyEffect(shape, { kind: 'renameTable', table: e.to, to: e.table });
      return;
    case 'addColumn':
      shape.get(e.table)?.delete(e.column);
      return;
    case 'dropColumn':
      shape.get(e.table)?.add(e.column);
      return;
    case 'renameColumn':
      applyEffect(shape, { kind: 'renameColumn', table: e.table, column: e.to, to: e.column });
      return;
    case 'uses':
      return;
  }
}

/** What the versions use before they create it: the part of the base the statements name. */
function namedBase(versions: readonly VersionEffects[]): TableShape {
  const base: TableShape = new Map();
  const seen: TableShape = new Map();
  for (const e of versions.flatMap((v) => v.effects)) {
    if (e.kind !== 'createTable' && !(e.kind === 'dropTable' && e.ifExists) && !seen.has(e.table)) {
      seen.set(e.table, new Set());
      base.set(e.table, new Set());
    }
    // A column dropped or renamed before any version added it was in a base table from the start.
    if (((e.kind === 'dropColumn' && !e.ifExists) || e.kind === 'renameColumn') && base.has(e.table) && !seen.get(e.table)?.has(e.column)) {
      base.get(e.table)!.add(e.column);
      seen.get(e.table)!.add(e.column);
    }
    applyEffect(seen, e);
  }
  return base;
}

/**
 * Reads every version's statements, and the full schema.sql beside versioned/ when it is there and
 * plausibly the same store (it has at least half of the tables the versions leave): it names the
 * tables of a base the versions do not create, and shows which leftovers of old versions a database
 * made from it lacks.
 */
export function dirShape(dir: VersionedDir): DirShape {
  const versions = dir.steps.map((s) => ({ version: s.version, effects: s.files.flatMap((f) => f.statements.flatMap((st) => statementEffects(st.sql))) }));
  const all = versions.flatMap((v) => v.effects);
  let baseShape = namedBase(versions);
  const newest = replay(baseShape, all);
  const full = replay(new Map(), dir.fullSchema?.statements.flatMap((st) => statementEffects(st.sql)) ?? []);
  const plausible = full.size > 0 && [...newest.keys()].filter((t) => full.has(t)).length * 2 >= newest.size;
  const optional = new Set<string>();
  if (plausible) {
    for (const [t, cols] of newest) {
      if (!full.has(t)) optional.add(t);
      else for (const c of cols) if (!full.get(t)!.has(c)) optional.add(`${t}.${c}`);
    }
    if (compareVersions(dir.base, ZERO_VERSION) !== 0) {
      const union = copyShape(newest);
      for (const [t, cols] of full) union.set(t, new Set([...(union.get(t) ?? []), ...cols]));
      for (const e of [...all].reverse()) undoEffect(union, e);
      baseShape = union;
    }
  }
  const created = all.flatMap((e) => (e.kind === 'createTable' ? [e.table] : []));
  return { base: dir.base, baseShape, versions, stores: storesOf([...baseShape.keys(), ...created, ...(plausible ? full.keys() : [])]), optional };
}

/** The tables and columns a database at `version` must have, by this directory. */
export function shapeAt(shape: DirShape, version: SchemaVersion): TableShape {
  const s = copyShape(shape.baseShape);
  for (const v of shape.versions) {
    if (compareVersions(v.version, version) > 0) break;
    for (const e of v.effects) applyEffect(s, e);
  }
  return s;
}

/** What versions after `version` add that a database at `version` cannot have yet: "table t", "column t.c". */
export function additionsAfter(shape: DirShape, version: SchemaVersion): string[] {
  const at = shapeAt(shape, version);
  const out = new Set<string>();
  for (const v of shape.versions) {
    if (compareVersions(v.version, version) <= 0) continue;
    for (const e of v.effects) {
      if (e.kind === 'createTable' && !at.has(e.table)) out.add(`table ${e.table}`);
      if (e.kind === 'addColumn' && at.has(e.table) && !at.get(e.table)!.has(e.column)) out.add(`column ${e.table}.${e.column}`);
    }
  }
  return [...out];
}

/** The versions a shape can be checked at: the base (when the directory does not start from nothing) and every version. */
export function knownVersions(shape: DirShape): SchemaVersion[] {
  const all = shape.versions.map((v) => v.version);
  return compareVersions(shape.base, ZERO_VERSION) === 0 ? all : [shape.base, ...all];
}

export const describeVersions = (vs: readonly SchemaVersion[]): string => vs.map((v) => formatVersion(v)).join(', ');
