/**
 * Matches a database with a versioned directory by what they hold, never by folder names: which
 * store each is (marker tables), whether the database has every table and column the directory
 * gives a database at its recorded version, and whether the versions still to apply would create
 * what the database already has (or change what it lacks). Each finding is a phrase for the
 * operator's message; nothing here writes to the database. The SQL reading is dir-shape.ts's.
 */
import { BOOKKEEPING_TABLES, type SchemaAdminDB } from '../persistence/schema-admin';
import { type DirShape, type TableShape, additionsAfter, applyEffect, shapeAt, storesOf } from './dir-shape';
import type { StoreName } from './versioned-dir';
import { type SchemaVersion, compareVersions, formatVersion } from './version';

/** The database's own tables (bookkeeping left out) with all their columns, in lower case. */
export async function readDbShape(db: SchemaAdminDB): Promise<TableShape> {
  const out: TableShape = new Map();
  for (const [table, columns] of await db.listColumns()) {
    const t = table.toLowerCase();
    if (!BOOKKEEPING_TABLES.includes(t)) out.set(t, new Set(columns.map((c) => c.toLowerCase())));
  }
  return out;
}

/** "a, b, c and 4 more" */
export function listSome(items: readonly string[], max = 6): string {
  return items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}

/**
 * How a database's tables fit what a directory gives a database at one version: what is missing
 * ("table t", "column t.c"), what only later versions add but the database already has, and how
 * many of the tables the version needs are there at all.
 */
export interface Fit {
  readonly missing: readonly string[];
  readonly later: readonly string[];
  readonly required: number;
  readonly present: number;
}

export function fitAt(shape: DirShape, version: SchemaVersion, actual: TableShape): Fit {
  const missing: string[] = [];
  let required = 0;
  let present = 0;
  for (const [table, columns] of shapeAt(shape, version)) {
    if (shape.optional.has(table)) continue;
    required++;
    const have = actual.get(table);
    if (!have) {
      missing.push(`table ${table}`);
      continue;
    }
    present++;
    for (const c of columns) if (!have.has(c) && !shape.optional.has(`${table}.${c}`)) missing.push(`column ${table}.${c}`);
  }
  const later = additionsAfter(shape, version).filter((what) => {
    const [kind, name] = what.split(' ') as [string, string];
    if (kind === 'table') return actual.has(name);
    const [t, c] = name.split('.') as [string, string];
    return actual.get(t)?.has(c) ?? false;
  });
  return { missing, later, required, present };
}

/**
 * True when the database holds the directory's store at all: at least half of the tables the
 * version needs are there. A few missing ones are reported, not refused: a database made from a
 * full schema.sql lacks leftovers of old versions the directory's own schema.sql (if any) would name.
 */
export function holdsStore(fit: Fit): boolean {
  return fit.required === 0 || fit.present * 2 >= fit.required;
}

/**
 * The versions (base included) the tables fit best: the same store, nothing of a later version,
 * and the fewest missing tables and columns. Empty when no version fits.
 */
export function bestMatches(shape: DirShape, candidates: readonly SchemaVersion[], actual: TableShape): SchemaVersion[] {
  const fits = candidates.map((v) => ({ v, f: fitAt(shape, v, actual) })).filter(({ f }) => holdsStore(f) && f.later.length === 0 && f.required > 0);
  const least = Math.min(...fits.map(({ f }) => f.missing.length));
  return fits.filter(({ f }) => f.missing.length === least).map(({ v }) => v);
}

/**
 * A sentence when the directory builds one store and the database holds the other; undefined when
 * they agree or either cannot be told (an empty database, a directory without marker tables).
 */
export function storeMismatch(shape: DirShape, actual: TableShape, dirPath: string, dbLabel: string): string | undefined {
  const dirStore: StoreName | undefined = shape.stores.size === 1 ? [...shape.stores][0] : undefined;
  const dbStores = storesOf(actual.keys());
  if (!dirStore || dbStores.size === 0 || dbStores.has(dirStore)) return undefined;
  const dbStore = [...dbStores][0]!;
  return `${dirPath} is the ${dirStore} store's directory, but ${dbLabel} holds the ${dbStore} store; use ./schema/.../${dbStore}/versioned for this database, or --db the ${dirStore} database (told by their tables, whatever the folders are called: the directory's versions make the ${dirStore} store's tables, the database has the ${dbStore} store's)`;
}

/**
 * Walks the versions to apply over the database's real tables: a CREATE of a table (or ADD of a
 * column) that is already there, or a change to a table or column that is not, is a finding. The
 * version an interrupted run left half-applied (`resumed`) is walked without findings: its
 * statements that took effect are expected to be there.
 */
export function conflictsOf(shape: DirShape, versions: readonly SchemaVersion[], actual: TableShape, resumed?: string): string[] {
  const s: TableShape = new Map([...actual].map(([t, c]) => [t, new Set(c)]));
  const out: string[] = [];
  for (const v of shape.versions) {
    if (!versions.some((x) => compareVersions(x, v.version) === 0)) continue;
    const name = `v${formatVersion(v.version)}`;
    const lenient = formatVersion(v.version) === resumed;
    for (const e of v.effects) {
      const table = s.get(e.table);
      if (!lenient) {
        if (e.kind === 'createTable') {
          if (!e.ifNotExists && table) out.push(`${name} creates table ${e.table}, which is already there`);
        } else if (!table) {
          if (!(e.kind === 'dropTable' && e.ifExists)) out.push(`${name} changes table ${e.table}, which is not there`);
        } else if (e.kind === 'addColumn' && !e.ifNotExists && table.has(e.column)) {
          out.push(`${name} adds column ${e.table}.${e.column}, which is already there`);
        } else if (((e.kind === 'dropColumn' && !e.ifExists) || e.kind === 'renameColumn') && !table.has(e.column)) {
          out.push(`${name} changes column ${e.table}.${e.column}, which is not there`);
        }
      }
      applyEffect(s, e);
    }
  }
  return out;
}
