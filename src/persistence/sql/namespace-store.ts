/**
 * Namespaces (namespaces, namespace_metadata), written once for every SQL plugin. The one
 * namespace_metadata row holds the notification version: every namespace write takes it under a row
 * lock first, which serialises namespace writers and gives each change its own version.
 */
import type { NamespaceRow, NamespaceStore } from '../interfaces';
import type { SqlExecutor } from './executor';
import { blob, flag, num } from './rows';
import { stmt, type Row } from './statement';

/** Temporal's constant partition of the namespace tables. */
const PARTITION = 54321;

const namespaceRow = (r: Row): NamespaceRow => ({
  id: String(r.id),
  name: String(r.name),
  notificationVersion: num(r.notification_version),
  info: blob(r.data, r.data_encoding),
  isGlobal: flag(r.is_global),
});

export class SqlNamespaceStore implements NamespaceStore {
  constructor(private readonly db: SqlExecutor) {}

  createNamespace(row: Omit<NamespaceRow, 'notificationVersion'>): Promise<boolean> {
    const d = this.db.dialect;
    return this.db.transact(function* () {
      // the metadata row serialises namespace writers: lock it (creating it at version 1) first
      yield stmt(`INSERT INTO namespace_metadata (partition_id, notification_version) VALUES (?, 1) ${d.ignoreDuplicate(['partition_id'])}`, [PARTITION]);
      const meta = yield stmt(`SELECT notification_version FROM namespace_metadata WHERE partition_id = ?${d.forUpdate}`, [PARTITION]);
      const exists = yield stmt(`SELECT 1 FROM namespaces WHERE partition_id = ? AND name = ?${d.forUpdate}`, [PARTITION, row.name]);
      if (exists.rows.length > 0) return false;
      const version = num(meta.rows[0]!.notification_version);
      yield stmt('UPDATE namespace_metadata SET notification_version = ? WHERE partition_id = ?', [version + 1, PARTITION]);
      yield stmt('INSERT INTO namespaces (partition_id, id, name, notification_version, data, data_encoding, is_global) VALUES (?, ?, ?, ?, ?, ?, ?)', [
        PARTITION,
        row.id,
        row.name,
        version,
        row.info.data,
        row.info.encoding,
        d.bool(row.isGlobal),
      ]);
      return true;
    });
  }

  updateNamespace(row: Omit<NamespaceRow, 'notificationVersion'>): Promise<boolean> {
    const d = this.db.dialect;
    return this.db.transact(function* () {
      const meta = yield stmt(`SELECT notification_version FROM namespace_metadata WHERE partition_id = ?${d.forUpdate}`, [PARTITION]);
      const version = meta.rows[0] ? num(meta.rows[0].notification_version) : 1;
      const { count } = yield stmt(
        'UPDATE namespaces SET data = ?, data_encoding = ?, notification_version = ? WHERE partition_id = ? AND id = ? AND name = ?',
        [row.info.data, row.info.encoding, version, PARTITION, row.id, row.name],
      );
      if (count !== 1) return false;
      if (meta.rows[0]) yield stmt('UPDATE namespace_metadata SET notification_version = ? WHERE partition_id = ?', [version + 1, PARTITION]);
      return true;
    });
  }

  renameNamespace(oldName: string, row: Omit<NamespaceRow, 'notificationVersion'>): Promise<boolean> {
    const d = this.db.dialect;
    return this.db.transact(function* () {
      const meta = yield stmt(`SELECT notification_version FROM namespace_metadata WHERE partition_id = ?${d.forUpdate}`, [PARTITION]);
      const version = meta.rows[0] ? num(meta.rows[0].notification_version) : 1;
      const taken = yield stmt(`SELECT 1 FROM namespaces WHERE partition_id = ? AND name = ?${d.forUpdate}`, [PARTITION, row.name]);
      if (taken.rows.length > 0) return false;
      const { count } = yield stmt(
        'UPDATE namespaces SET name = ?, data = ?, data_encoding = ?, notification_version = ? WHERE partition_id = ? AND id = ? AND name = ?',
        [row.name, row.info.data, row.info.encoding, version, PARTITION, row.id, oldName],
      );
      if (count !== 1) return false;
      if (meta.rows[0]) yield stmt('UPDATE namespace_metadata SET notification_version = ? WHERE partition_id = ?', [version + 1, PARTITION]);
      return true;
    });
  }

  async deleteNamespace(id: string): Promise<void> {
    await this.db.transact(function* () {
      yield stmt('DELETE FROM namespaces WHERE partition_id = ? AND id = ?', [PARTITION, id]);
    });
  }

  async getNamespaceByName(name: string): Promise<NamespaceRow | undefined> {
    const [r] = await this.db.read(stmt('SELECT * FROM namespaces WHERE partition_id = ? AND name = ?', [PARTITION, name]));
    return r ? namespaceRow(r) : undefined;
  }

  async getNamespaceById(id: string): Promise<NamespaceRow | undefined> {
    const [r] = await this.db.read(stmt('SELECT * FROM namespaces WHERE partition_id = ? AND id = ?', [PARTITION, id]));
    return r ? namespaceRow(r) : undefined;
  }

  async listNamespaces(): Promise<NamespaceRow[]> {
    const rows = await this.db.read(stmt(`SELECT * FROM namespaces WHERE partition_id = ? ORDER BY ${this.db.dialect.byteOrder('name')}`, [PARTITION]));
    return rows.map(namespaceRow);
  }
}
