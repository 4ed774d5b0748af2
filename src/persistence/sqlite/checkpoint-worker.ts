/**
 * The body of the SQLite checkpoint thread (see checkpointer.ts): its own connection to the database
 * file, a PASSIVE checkpoint every `intervalMs` (it copies committed WAL frames into the database file
 * and syncs both, never waiting on or blocking the server's writer), a last one when told to stop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const { path, intervalMs } = workerData as { path: string; intervalMs: number };
const port = parentPort!;
const db = new Database(path);
db.pragma('busy_timeout = 5000');

function checkpoint(): void {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (err) {
    port.postMessage({ error: (err as Error).message });
  }
}

const timer = setInterval(checkpoint, intervalMs);
port.on('message', (m: unknown) => {
  if (m !== 'stop') return;
  clearInterval(timer);
  checkpoint();
  db.close();
  port.postMessage('stopped');
});
port.postMessage('ready');
