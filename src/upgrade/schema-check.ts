/**
 * The server's start-up check of both stores' schemas as an operator meets it: every store that is
 * not ready is named in one refusal (never the first one only, which would refuse the operator again
 * for the next store), each with the temporal-sql-tool command lines that fix it, pasteable as
 * printed (src/upgrade/tool-commands.ts); a schema too new for this release names the release that
 * needs it, from releases.json (this installation's, then the configured release feed) and the
 * versions that ran on the database. Reading and classifying one store's schema_version is
 * src/schema/compatibility.ts's job; `admin upgrade status` reuses the advice given here.
 */
import { openPersistence } from '../persistence';
import type { SqlConnectConfig } from '../persistence/sql-config';
import { SchemaCompatibilityError, readStoreSchema, type StoreSchemaReading, type StoreSchemaStatus } from '../schema/compatibility';
import { errorMessage } from '../schema/errors';
import { formatVersion } from '../schema/version';
import type { StoreName } from '../schema/versioned-dir';
import { readReleaseFeed } from './release-feed';
import { loadReleaseManifest, releaseNeedingSchema, type ReleaseManifest } from './releases';
import { compareServerVersions, parseServerVersion, type ServerVersion } from './server-version';
import { baselineSchemaCommand, passwordNote, setupSchemaCommands, updateSchemaCommand } from './tool-commands';

export interface StoreToCheck {
  readonly store: StoreName;
  readonly config: SqlConnectConfig;
}

export interface SchemaAdviceOptions {
  /** `upgrade.releaseFeed` (a URL or a file): consulted for a schema newer than this installation knows */
  readonly releaseFeed?: string;
  /** versions recorded in server_version_history (the newest one names the release to run) */
  readonly ranOnDatabase?: readonly string[];
  /** this binary's version: only a newer one that ran can have upgraded the schema past it */
  readonly binaryVersion: string;
}

/**
 * Who needs a schema this release is too old for, as the end of a sentence: the release whose
 * schema it is, from releases.json of this installation or the release feed; failing that, the
 * newest version that ran on the database.
 */
export async function tooNewAdvice(store: StoreName, schemaVersion: string, o: SchemaAdviceOptions): Promise<string> {
  const sources: { manifest: ReleaseManifest; where: string }[] = [];
  try {
    sources.push({ manifest: loadReleaseManifest(), where: "this installation's releases.json" });
  } catch {
    // an installation without its releases.json still gets the rest of the advice
  }
  if (o.releaseFeed) {
    try {
      sources.push({ manifest: await readReleaseFeed(o.releaseFeed, 5000), where: `the release feed ${o.releaseFeed}` });
    } catch {
      // the feed is an extra source here; its own checker reports why it cannot be read
    }
  }
  for (const { manifest, where } of sources) {
    const r = releaseNeedingSchema(manifest, store, schemaVersion);
    if (r) return `the ${store} store's schema ${schemaVersion} is the one temporal-ts ${r.version} needs (says ${where}): run ${r.version} or a newer release`;
  }
  const binary = parseServerVersion(o.binaryVersion);
  const ran = newestVersion(
    (o.ranOnDatabase ?? []).filter((t) => {
      const v = parseServerVersion(t);
      return v !== undefined && (!binary || compareServerVersions(v, binary) > 0);
    }),
  );
  const newestKnown = sources[0]?.manifest.releases.at(-1);
  const known = newestKnown ? ` (it lists releases up to ${newestKnown.version}, which needs ${store} schema ${newestKnown.schema[store].version})` : '';
  return (
    `no release in this installation's releases.json${known}${o.releaseFeed ? ' or in the release feed' : ''} needs ${store} schema ${schemaVersion}, so a newer release upgraded it` +
    (ran
      ? `; the newest version that ran on this database is ${ran.text}: run ${ran.text} or a newer release`
      : ': run the release that upgraded it, or a newer one')
  );
}

function newestVersion(texts: readonly string[]): ServerVersion | undefined {
  let best: ServerVersion | undefined;
  for (const t of texts) {
    const v = parseServerVersion(t);
    if (v && (!best || compareServerVersions(v, best) > 0)) best = v;
  }
  return best;
}

/** The versions in server_version_history, or none when they cannot be read (a schema not set up). */
export async function readRanVersions(config: SqlConnectConfig, clusterName: string): Promise<string[]> {
  try {
    const store = await openPersistence(config);
    try {
      return (await store.cluster.listServerVersions(clusterName)).map((r) => r.serverVersion);
    } finally {
      await store.close();
    }
  } catch {
    return [];
  }
}

/** What is wrong with one store's schema, for people, and the commands that fix it (none: none can). */
export interface SchemaProblem {
  readonly store: StoreName;
  readonly problem: string;
  readonly commands: readonly string[];
}

async function problemOf(r: StoreSchemaReading, s: StoreToCheck, o: SchemaAdviceOptions): Promise<SchemaProblem | undefined> {
  const required = formatVersion(r.required);
  const where = `the ${s.store} store (${r.label})`;
  switch (r.state) {
    case 'ok':
    case 'ahead':
      return undefined;
    case 'missing':
      if (r.tablesWithoutVersion) {
        // made without the schema tool (Temporal's dev server does that): record the version its
        // tables are at (the tool checks them first and names the version they match), then upgrade
        return {
          store: s.store,
          problem: `${where} has ${r.tablesWithoutVersion} table(s) but no schema version: it was made without the schema tool; this server needs ${required}`,
          commands: [baselineSchemaCommand(s.config, s.store), updateSchemaCommand(s.config, s.store)],
        };
      }
      return {
        store: s.store,
        problem: `${where} has no schema yet (no schema_version row); this server needs ${required}`,
        commands: setupSchemaCommands(s.config, s.store, { createDatabase: false }),
      };
    case 'damaged':
      return {
        store: s.store,
        problem: `${where} records schema version "${r.currentText ?? ''}", which is not a version; the schema_version table is damaged: restore it from a backup`,
        commands: [],
      };
    case 'behind':
      return {
        store: s.store,
        problem: `${where} is at schema version ${r.currentText ?? '?'}, but this server needs ${required}`,
        commands: [updateSchemaCommand(s.config, s.store)],
      };
    case 'incompatible':
      return {
        store: s.store,
        problem: `${where} is at schema version ${r.currentText ?? '?'}, which is compatible only with servers that need ${r.minCompatibleText ?? '?'} or later; this server (temporal-ts ${o.binaryVersion}) needs ${required}. ${capitalize(await tooNewAdvice(s.store, r.currentText ?? '?', o))}`,
        commands: [],
      };
  }
}

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * Checks every store before anything is served; returns their versions when all can run this
 * release, else throws one SchemaCompatibilityError naming every store that cannot, and every
 * command to run. Nothing is changed either way.
 */
export async function checkSchemasForStart(
  stores: readonly StoreToCheck[],
  o: { binaryVersion: string; clusterName: string; releaseFeed?: string },
): Promise<StoreSchemaStatus[]> {
  const readings: StoreSchemaReading[] = [];
  for (const s of stores) {
    try {
      readings.push(await readStoreSchema(s.store, s.config));
    } catch (err) {
      throw new SchemaCompatibilityError(`cannot check the ${s.store} store's schema: ${errorMessage(err)}`);
    }
  }
  const tooNew = readings.some((r) => r.state === 'incompatible');
  const defaultStore = stores.find((s) => s.store === 'temporal');
  const ranOnDatabase = tooNew && defaultStore ? await readRanVersions(defaultStore.config, o.clusterName) : [];
  const problems: SchemaProblem[] = [];
  for (const [i, r] of readings.entries()) {
    const p = await problemOf(r, stores[i]!, { ...o, ranOnDatabase });
    if (p) problems.push(p);
  }
  if (problems.length > 0) throw new SchemaCompatibilityError(refusal(problems, stores));
  return readings.map((r) => ({
    store: r.store,
    database: r.label,
    current: r.currentText ?? '',
    minCompatible: r.minCompatibleText ?? '',
    required: formatVersion(r.required),
  }));
}

function refusal(problems: readonly SchemaProblem[], stores: readonly StoreToCheck[]): string {
  const lines = [`this server cannot start on ${problems.length === 1 ? 'this schema' : 'these schemas'}; nothing was changed:`];
  for (const p of problems) lines.push(`  ${p.problem}`);
  const commands = problems.flatMap((p) => p.commands);
  if (commands.length > 0) {
    const fixable = problems.filter((p) => p.commands.length > 0).map((p) => p.store);
    const note = passwordNote(stores.filter((s) => fixable.includes(s.store)).map((s) => s.config));
    lines.push(
      `Upgrade the schema${fixable.length === 1 ? '' : 's'} first (the upgrade page's step 1) with these commands${note ? ` (${note})` : ''}, then start the server again:`,
    );
    for (const c of commands) lines.push(`  ${c}`);
  }
  return lines.join('\n');
}
