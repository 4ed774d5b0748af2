/**
 * SQLite stays single-process: a server on a SQLite file holds `<file>.server.lock` (its pid, host,
 * port and start time) while it runs. A second server process on the same file is refused at start
 * with an error naming the running one; a lock left by a process that is gone (SIGKILL, crash) is
 * taken over. Several processes on one database need PostgreSQL or MySQL (cluster membership).
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';

export class DatabaseInUseError extends Error {
  override name = 'DatabaseInUseError';
}

interface LockInfo {
  pid: number;
  host: string;
  port: number;
  startedAt: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface SqliteLock {
  release(): void;
}

/** Takes the lock of a SQLite database file for this server process, or throws DatabaseInUseError. */
export function lockSqliteDatabase(file: string, port: number): SqliteLock {
  if (!file || file === ':memory:' || file.startsWith('file::memory:')) return { release: () => undefined };
  const path = `${resolve(file)}.server.lock`;
  const mine: LockInfo = { pid: process.pid, host: hostname(), port, startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let held: LockInfo | undefined;
      try {
        held = JSON.parse(readFileSync(path, 'utf8')) as LockInfo;
      } catch {
        held = undefined; // being written, or damaged: looked at again below
      }
      if (held && held.pid !== process.pid) {
        const running = held.host !== mine.host || alive(held.pid);
        if (running) {
          throw new DatabaseInUseError(
            `the SQLite database ${resolve(file)} is in use by another temporal-ts server: pid ${held.pid} on ${held.host}, gRPC port ${held.port}, started ${held.startedAt}. ` +
              `SQLite serves one server process: stop that one first (or, if it is gone, delete ${path}). To run several server processes on one database, use PostgreSQL or MySQL.`,
          );
        }
      }
      if (!held && attempt === 0) continue;
      rmSync(path, { force: true }); // left by a process that is gone (or by this one)
      continue;
    }
    writeSync(fd, JSON.stringify(mine));
    closeSync(fd);
    return {
      release: () => {
        try {
          const now = JSON.parse(readFileSync(path, 'utf8')) as LockInfo;
          if (now.pid === process.pid && now.startedAt === mine.startedAt) rmSync(path, { force: true });
        } catch {
          // already gone
        }
      },
    };
  }
  throw new DatabaseInUseError(`could not take the lock ${path} of the SQLite database ${resolve(file)}; is another server starting on it?`);
}
