/**
 * Namespace registry: names to ids (cached), and the namespace RPCs' rules: RegisterNamespace,
 * UpdateNamespace, DeprecateNamespace, DeleteNamespace (the rename and the final removal); creates the configured namespaces at startup. Shared by the
 * frontend (every request names its namespace) and history (through its NamespaceLookup port:
 * children in other namespaces, retention of closed runs).
 * Does not own: the namespace store (src/persistence) or the RPCs' wire shapes (src/frontend).
 */
import { AlreadyExistsError, FailedPreconditionError, InvalidArgumentError, NamespaceNotFoundError } from '../common/errors';
import { newUuid } from '../common/ids';
import { FORMAT, jsonBlob, readJsonBlob, type NamespaceRow, type NamespaceStore } from '../persistence';

export type NamespaceStateName = 'registered' | 'deprecated' | 'deleted';

export interface NamespaceInfo {
  id: string;
  name: string;
  description: string;
  ownerEmail: string;
  /** kept for rows written before retentionMs existed */
  retentionDays: number;
  retentionMs?: number;
  state?: NamespaceStateName;
  data?: Record<string, string>;
  createdTimeMs: number;
}

export const DAY_MS = 86_400_000;
export const DEFAULT_RETENTION_MS = 3 * DAY_MS;

export interface NamespaceChanges {
  description?: string;
  ownerEmail?: string;
  retentionMs?: number;
  data?: Record<string, string>;
  state?: NamespaceStateName;
}

export function retentionOf(ns: NamespaceInfo): number {
  return ns.retentionMs ?? ns.retentionDays * DAY_MS;
}

export class NamespaceRegistry {
  private readonly cacheByName = new Map<string, NamespaceInfo>();
  private readonly cacheById = new Map<string, NamespaceInfo>();

  /** `minRetentionMs`: the shortest retention RegisterNamespace / UpdateNamespace accept (1 day unless configured) */
  constructor(
    private readonly store: NamespaceStore,
    readonly minRetentionMs = DAY_MS,
  ) {}

  async ensure(names: string[]): Promise<void> {
    for (const name of names) {
      const info: NamespaceInfo = {
        id: newUuid(),
        name,
        description: '',
        ownerEmail: '',
        retentionDays: 3,
        retentionMs: DEFAULT_RETENTION_MS,
        state: 'registered',
        createdTimeMs: Date.now(),
      };
      await this.store.createNamespace({ id: info.id, name, info: jsonBlob(info, FORMAT.namespace), isGlobal: false });
    }
  }

  private fromRow(r: NamespaceRow): NamespaceInfo {
    const info: NamespaceInfo = { state: 'registered', ...readJsonBlob<NamespaceInfo>(r.info, FORMAT.namespace), id: r.id, name: r.name };
    this.cacheByName.set(info.name, info);
    this.cacheById.set(info.id, info);
    return info;
  }

  async resolve(name: string | null | undefined): Promise<NamespaceInfo> {
    if (!name) throw new NamespaceNotFoundError('');
    const hit = this.cacheByName.get(name);
    if (hit) return hit;
    const row = await this.store.getNamespaceByName(name);
    if (!row) throw new NamespaceNotFoundError(name);
    return this.fromRow(row);
  }

  /** The namespace named `name`, or undefined when there is none (other errors are thrown). */
  async byName(name: string): Promise<NamespaceInfo | undefined> {
    try {
      return await this.resolve(name);
    } catch (err) {
      if (err instanceof NamespaceNotFoundError) return undefined;
      throw err;
    }
  }

  /** Like resolve, for calls that start new work: a deprecated namespace accepts none. */
  async resolveActive(name: string | null | undefined): Promise<NamespaceInfo> {
    const ns = await this.resolve(name);
    if (ns.state === 'deprecated') throw new FailedPreconditionError(`Namespace ${ns.name} is deprecated: it accepts no new workflows.`);
    return ns;
  }

  async byIdOrUndefined(id: string): Promise<NamespaceInfo | undefined> {
    const hit = this.cacheById.get(id);
    if (hit) return hit;
    const row = await this.store.getNamespaceById(id);
    return row ? this.fromRow(row) : undefined;
  }

  async list(): Promise<NamespaceInfo[]> {
    const rows = await this.store.listNamespaces();
    return rows.map((r) => this.fromRow(r));
  }

  private checkRetention(field: string, ms: number): void {
    if (ms < this.minRetentionMs) {
      throw new InvalidArgumentError(field, `${ms / 1000}s is below the minimum retention of ${this.minRetentionMs / 1000}s`);
    }
  }

  /** `name` was checked by the frontend (RegisterNamespace's validator). */
  async register(name: string, c: NamespaceChanges): Promise<NamespaceInfo> {
    const retentionMs = c.retentionMs ?? DEFAULT_RETENTION_MS;
    this.checkRetention('workflowExecutionRetentionPeriod', retentionMs);
    const info: NamespaceInfo = {
      id: newUuid(),
      name,
      description: c.description ?? '',
      ownerEmail: c.ownerEmail ?? '',
      retentionDays: retentionMs / DAY_MS,
      retentionMs,
      state: 'registered',
      data: c.data ?? {},
      createdTimeMs: Date.now(),
    };
    const created = await this.store.createNamespace({ id: info.id, name, info: jsonBlob(info, FORMAT.namespace), isGlobal: false });
    if (!created) throw new AlreadyExistsError('Namespace already exists.');
    this.cacheByName.set(name, info);
    this.cacheById.set(info.id, info);
    return info;
  }

  async update(name: string, c: NamespaceChanges): Promise<NamespaceInfo> {
    const row = await this.store.getNamespaceByName(name);
    if (!row) throw new NamespaceNotFoundError(name);
    const cur = this.fromRow(row);
    if (c.retentionMs !== undefined) this.checkRetention('config.workflowExecutionRetentionTtl', c.retentionMs);
    const next: NamespaceInfo = {
      ...cur,
      description: c.description ?? cur.description,
      ownerEmail: c.ownerEmail ?? cur.ownerEmail,
      retentionMs: c.retentionMs ?? retentionOf(cur),
      retentionDays: (c.retentionMs ?? retentionOf(cur)) / DAY_MS,
      data: { ...(cur.data ?? {}), ...(c.data ?? {}) },
      state: c.state ?? cur.state,
    };
    const ok = await this.store.updateNamespace({ id: cur.id, name: cur.name, info: jsonBlob(next, FORMAT.namespace), isGlobal: row.isGlobal });
    if (!ok) throw new NamespaceNotFoundError(name);
    this.cacheByName.set(next.name, next);
    this.cacheById.set(next.id, next);
    return next;
  }

  /**
   * DeleteNamespace's first step, as Temporal: the namespace is marked deleted and renamed
   * `<name>-deleted-<5 chars>` at once, so its name is free and calls naming it fail NotFound; its
   * executions are reclaimed afterwards (then `remove`). Returns the new name.
   */
  async markDeleted(name: string): Promise<NamespaceInfo> {
    const row = await this.store.getNamespaceByName(name);
    if (!row) throw new NamespaceNotFoundError(name);
    const cur = this.fromRow(row);
    if (cur.state === 'deleted') throw new FailedPreconditionError(`Namespace ${name} is already being deleted.`);
    for (let tries = 0; tries < 5; tries++) {
      const next: NamespaceInfo = { ...cur, name: `${name}-deleted-${newUuid().replace(/-/g, '').slice(0, 5)}`, state: 'deleted' };
      const ok = await this.store.renameNamespace(name, { id: cur.id, name: next.name, info: jsonBlob(next, FORMAT.namespace), isGlobal: row.isGlobal });
      if (!ok) continue;
      this.cacheByName.delete(name);
      this.cacheByName.set(next.name, next);
      this.cacheById.set(next.id, next);
      return next;
    }
    throw new FailedPreconditionError(`Namespace ${name} changed while it was being deleted; try again.`);
  }

  /** The last step of DeleteNamespace: the namespace row goes. */
  async remove(ns: NamespaceInfo): Promise<void> {
    await this.store.deleteNamespace(ns.id);
    this.cacheByName.delete(ns.name);
    this.cacheById.delete(ns.id);
  }

  /** Retention for history (fresh from the store, so other processes' updates count). */
  async retentionMs(namespaceId: string): Promise<number> {
    const row = await this.store.getNamespaceById(namespaceId);
    if (!row) return this.cacheById.has(namespaceId) ? retentionOf(this.cacheById.get(namespaceId)!) : DEFAULT_RETENTION_MS;
    return retentionOf(this.fromRow(row));
  }
}
