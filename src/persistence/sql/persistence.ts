/**
 * One opened database as the bundle of stores a server process needs, every store the shared SQL
 * one over the plugin's executor. Closing the bundle closes the executor (its pool or connection).
 */
import type { PersistenceBundle } from '../interfaces';
import { SqlClusterMetadataStore } from './cluster-metadata-store';
import { SqlDataRewriteStore } from './data-rewrite-store';
import { SqlExecutionStore } from './execution-store';
import type { SqlExecutor } from './executor';
import { SqlMembershipStore } from './membership-store';
import { SqlNamespaceStore } from './namespace-store';
import { SqlShardStore } from './shard-store';
import { SqlTaskStore } from './task-store';

export class SqlPersistence implements PersistenceBundle {
  readonly shards: SqlShardStore;
  readonly executions: SqlExecutionStore;
  readonly tasks: SqlTaskStore;
  readonly namespaces: SqlNamespaceStore;
  readonly cluster: SqlClusterMetadataStore;
  readonly dataRewrite: SqlDataRewriteStore;
  readonly membership: SqlMembershipStore;

  constructor(readonly executor: SqlExecutor) {
    this.shards = new SqlShardStore(executor);
    this.executions = new SqlExecutionStore(executor);
    this.tasks = new SqlTaskStore(executor);
    this.namespaces = new SqlNamespaceStore(executor);
    this.cluster = new SqlClusterMetadataStore(executor);
    this.dataRewrite = new SqlDataRewriteStore(executor);
    this.membership = new SqlMembershipStore(executor);
  }

  close(): Promise<void> {
    return this.executor.close();
  }
}
