import type { Database } from '../db/connection.js';
import { interruption, isConnectionLoss, withDeadline } from '../db/loss.js';
import type { TargetInfo } from '../db/target.js';
import { statement } from '../sql/statements.js';
import type { NodeResult, RunContext, RunOptions, Watermark } from './context.js';

type Sql = Database['sql'];

/**
 * Opens the run's row in meta.runs, first marking as aborted any run still 'running': holding the run
 * lock, no other run is alive, so such a run was killed or lost its database.
 */
export async function startRun(sql: Sql, opts: RunOptions, threads: number, target: TargetInfo): Promise<number> {
  await sql.unsafe(statement('run/abort-unfinished'));
  const args = JSON.stringify({ select: opts.select, exclude: opts.exclude, full_refresh: opts.fullRefresh ?? false, threads });
  const [run] = await sql.unsafe(statement('run/start'), [opts.command, args, target.target, target.workers]);
  return Number(run.run_id);
}

/** The watermark of each node: the run in which it last succeeded, and the last batch landed by then. */
export async function readWatermarks(sql: Sql): Promise<Map<string, Watermark>> {
  const rows = await sql.unsafe(statement('run/previous'));
  return new Map(rows.map((r) => [r.node as string, { run_id: Number(r.run_id), batch_id: Number(r.batch_id) }]));
}

/** Records that failed validation in this run's staging models (ingest counts its own). */
export async function rejectedInStaging(sql: Sql, started: Date): Promise<number> {
  const [counted] = await sql.unsafe(statement('run/rejected-in-staging'), [started]).catch(() => [{ n: 0 }]);
  return counted.n as number;
}

/**
 * Writes every node's outcome and the run's end. Through the lock's session while it lives; without it
 * (lost), through the pool, then through a connection of its own: the pool may still hold connections
 * the server ended a moment ago that it doesn't know are closed yet. A few tries, waiting longer each
 * time; a server gone for good must not keep the command from ending.
 */
export async function finishRun(ctx: Pick<RunContext, 'db' | 'lock' | 'runId' | 'results' | 'logger'>,
  status: string, failure?: string): Promise<void> {
  const { db, lock } = ctx;
  let single: Sql | undefined;
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        const via = attempt === 0 ? (lock.held ? lock.conn as unknown as Sql : db.sql) : (single ??= db.single());
        await withDeadline(record(via, ctx.runId, status, ctx.results, failure), 10_000, 'CONNECTION_CLOSED', 'no answer within 10 s');
        return;
      } catch (e) {
        if (!isConnectionLoss(e) || attempt >= 4 || interruption.signal) throw e;
        await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
      }
    }
  } catch (e) {
    ctx.logger.warn(interruption.signal
      ? `the run is not recorded as ended (interrupted by ${interruption.signal}); the next run marks it aborted`
      : `could not record the run: ${(e as Error).message}`);
  } finally {
    await single?.end({ timeout: 1 }).catch(() => {});
  }
}

async function record(sql: Sql, runId: number, status: string, results: NodeResult[], message?: string): Promise<void> {
  if (!runId) return;
  const rows = results.filter((r) => r.kind === 'model' && r.node !== 'run').map((r) => ({
    run_id: runId, node: r.node, status: r.status, ms: r.ms, rows: r.rows, message: r.message ?? null,
    started_at: r.started_at ?? null, finished_at: r.finished_at ?? new Date().toISOString(),
  }));
  if (rows.length) await sql.unsafe(statement('run/record-nodes'), [rows as never]);
  await sql.unsafe(statement('run/finish'), [runId, status, message ?? null]);
}
