/**
 * What the cluster page shows about upgrades. `UpgradeStatusProvider` is the seam; the provider used
 * by the servers reads the same status as `temporal-ts admin upgrade status` (src/upgrade/status.ts):
 * schema versions of both stores, the version history, the shard-metadata and data rewrites, and
 * the next step.
 */
import type { UpgradeStatusView } from '../api-types';
import { readUpgradeStatus, type UpgradeStatusInput } from '../../upgrade/status';

export type UpgradeStatus = UpgradeStatusView;

export interface UpgradeStatusProvider {
  /** server version, each store's schema version and required version, shard count, rewrites, version history */
  getUpgradeStatus(): Promise<UpgradeStatus>;
}

export class DatabaseUpgradeStatusProvider implements UpgradeStatusProvider {
  constructor(private readonly input: UpgradeStatusInput) {}

  getUpgradeStatus(): Promise<UpgradeStatus> {
    return readUpgradeStatus(this.input);
  }
}
