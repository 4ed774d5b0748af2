/**
 * The shape of an upgrade's status, shared by `temporal-ts admin upgrade status`, the Web UI's JSON
 * API and its pages. Types only, with no imports, so the browser bundle can use them too.
 */
export interface StoreSchemaState {
  store: 'temporal' | 'visibility';
  plugin: string;
  database: string;
  /** the version recorded in schema_version; null when it could not be read (see error) */
  current: string | null;
  minCompatible: string | null;
  required: string;
  /**
   * "ok" | "behind" (the server would refuse to start) | "ahead" (newer, compatible) |
   * "incompatible" (newer, and too new for this release: the server would refuse) | "missing" (no
   * schema_version row: not set up) | "unknown" (could not be read, or not a version: see error)
   */
  state: 'ok' | 'behind' | 'ahead' | 'incompatible' | 'missing' | 'unknown';
  error?: string;
}

export interface RewriteProgress {
  /** "not-applicable": this release has no such rewrite; "unknown": its records could not be read (see note) */
  state: 'not-applicable' | 'pending' | 'running' | 'done' | 'failed' | 'unknown';
  done: number | null;
  total: number | null;
  note: string;
}

export interface VersionHistoryItem {
  serverVersion: string;
  firstStartedTime: string | null;
  activatedTime: string | null;
  note?: string;
}

export interface UpgradeStatus {
  serverVersion: string;
  stores: StoreSchemaState[];
  shardCount: number;
  shardMetadataRewrite: RewriteProgress;
  dataRewrite: RewriteProgress;
  versionHistory: VersionHistoryItem[];
  /** What to do next, as a sentence; its commands are in nextCommands. */
  nextStep: string;
  /** The command lines of the next step, in order, each pasteable as it is (absolute paths). */
  nextCommands: string[];
  /** where the status comes from */
  source: string;
}
