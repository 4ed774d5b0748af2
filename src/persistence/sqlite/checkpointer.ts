/**
 * Checkpoints of a SQLite database in WAL mode, on a thread of their own. SQLite's automatic
 * checkpoint runs inside the COMMIT that crosses the WAL size limit, on the committing thread: the
 * server's event loop would stop for its two fsyncs every few megabytes of writes. The server's
 * connection therefore turns it off (wal_autocheckpoint=0) and this thread, with its own connection,
 * runs PASSIVE checkpoints at an interval (checkpoint-worker.ts). The server's writes never wait for
 * it; a checkpoint copies only frames that are already committed.
 */
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import type { Logger } from '../../common/logger';

const DEFAULT_INTERVAL_MS = 500;

export class Checkpointer {
  private readonly worker: Worker;
  private readonly ready: Promise<void>;

  constructor(path: string, log?: Pick<Logger, 'warn'>, intervalMs = DEFAULT_INTERVAL_MS) {
    this.worker = new Worker(join(__dirname, 'checkpoint-worker.js'), { workerData: { path, intervalMs } });
    // the thread must not keep a process alive that has nothing else to do
    this.worker.unref();
    this.ready = new Promise((resolve, reject) => {
      this.worker.once('error', reject);
      this.worker.once('message', () => resolve());
    });
    this.worker.on('message', (m: unknown) => {
      if (m && typeof m === 'object' && 'error' in m)
        log?.warn({ path, err: (m as { error: string }).error }, 'SQLite checkpoint failed; the next one retries');
    });
  }

  /** A last checkpoint, then the thread ends (before the server's connection closes: the last one to close cleans the WAL up). */
  async stop(): Promise<void> {
    await this.ready.catch(() => undefined);
    await new Promise<void>((resolve) => {
      const done = (): void => {
        this.worker.off('exit', done);
        resolve();
      };
      this.worker.on('message', (m: unknown) => {
        if (m === 'stopped') void this.worker.terminate().then(done, done);
      });
      this.worker.once('exit', done);
      this.worker.postMessage('stop');
    });
  }
}
