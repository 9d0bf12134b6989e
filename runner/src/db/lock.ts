import { UserError } from '../errors.js';
import type { Sql } from './connection.js';
import type { Session } from './session.js';
import { statement } from '../sql/statements.js';

/** One key for the whole database: two runs never interleave, whatever they select. */
const LOCK_KEY = 7_246_315_001;

export interface RunLock {
  release(): Promise<void>;
  /** The reserved connection that holds the lock; also used for bookkeeping. */
  conn: Session['sql'];
  /** False once the connection holding the lock is gone (and with it the lock): the run must stop. */
  readonly held: boolean;
}

/**
 * Takes the advisory lock of the database on a reserved connection, waiting at most `timeoutMs`. A lock
 * held by a killed run disappears with its connection, so nothing is ever left behind.
 */
export async function acquireRunLock(reserve: () => Promise<Session>, timeoutMs: number,
  onWait: (holder: string) => void): Promise<RunLock> {
  const session = await reserve();
  const conn = session.sql;
  const deadline = Date.now() + timeoutMs;
  let told = false;
  for (;;) {
    const [{ ok }] = await conn.unsafe(statement('lock/take'), [LOCK_KEY]);
    if (ok) break;
    const holder = await describeHolder(conn as unknown as Sql);
    if (Date.now() >= deadline) {
      session.release();
      throw new UserError('locked', `another run holds this database: ${holder}; waited ${Math.round(timeoutMs / 1000)} s. ` +
        `Wait for it to finish or raise --lock-timeout`);
    }
    if (!told) {
      onWait(holder);
      told = true;
    }
    await new Promise((r) => setTimeout(r, Math.min(250, Math.max(10, deadline - Date.now()))));
  }
  return {
    conn,
    get held() {
      return session.alive;
    },
    async release() {
      // a lost connection took the lock with it
      if (session.alive) await conn.unsafe(statement('lock/release'), [LOCK_KEY]).catch(() => {});
      session.release();
    },
  };
}

async function describeHolder(sql: Sql): Promise<string> {
  const [holder] = await sql.unsafe(statement('lock/holder'), [LOCK_KEY % 2 ** 32, Math.floor(LOCK_KEY / 2 ** 32)]);
  if (!holder) return 'a run that just finished';
  const [run] = await sql.unsafe(statement('lock/holder-run'), [holder.pid]).catch(() => []);
  return run
    ? `run ${run.run_id} (${run.command}, started ${new Date(run.started_at).toISOString()}, backend pid ${holder.pid})`
    : `backend pid ${holder.pid} (${holder.application_name || 'unknown application'})`;
}
