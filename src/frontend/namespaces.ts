/** Namespace registry: names to ids, cached; creates the configured namespaces at startup. */
import { NamespaceNotFoundError } from '../common/errors';
import { newUuid } from '../common/ids';
import { FORMAT, jsonBlob, readJsonBlob, type NamespaceStore } from '../persistence/engine';

export interface NamespaceInfo {
  id: string;
  name: string;
  description: string;
  ownerEmail: string;
  retentionDays: number;
  createdTimeMs: number;
}

export class NamespaceRegistry {
  private readonly byName = new Map<string, NamespaceInfo>();

  constructor(private readonly store: NamespaceStore) {}

  async ensure(names: string[]): Promise<void> {
    for (const name of names) {
      const info: NamespaceInfo = { id: newUuid(), name, description: '', ownerEmail: '', retentionDays: 3, createdTimeMs: Date.now() };
      await this.store.createNamespace({ id: info.id, name, info: jsonBlob(info, FORMAT.namespace), isGlobal: false });
    }
  }

  async resolve(name: string | null | undefined): Promise<NamespaceInfo> {
    if (!name) throw new NamespaceNotFoundError('');
    const hit = this.byName.get(name);
    if (hit) return hit;
    const row = await this.store.getNamespaceByName(name);
    if (!row) throw new NamespaceNotFoundError(name);
    const info = { ...readJsonBlob<NamespaceInfo>(row.info, FORMAT.namespace), id: row.id, name: row.name };
    this.byName.set(name, info);
    return info;
  }

  async list(): Promise<NamespaceInfo[]> {
    const rows = await this.store.listNamespaces();
    return rows.map((r) => ({ ...readJsonBlob<NamespaceInfo>(r.info, FORMAT.namespace), id: r.id, name: r.name }));
  }
}
