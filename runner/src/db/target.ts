import type postgres from 'postgres';
import { statement } from '../sql/statements.js';
import type { Target } from '../sql/templates.js';

/** What the database is: plain PostgreSQL, or a Citus coordinator with worker nodes. */
export interface TargetInfo {
  target: Target;
  /** Active worker nodes (Citus only; 0 otherwise). */
  workers: number;
}

export const postgresTarget: TargetInfo = { target: 'postgres', workers: 0 };

/**
 * The target of a database whose first query (db/ping) said whether it has the citus extension. Citus
 * without workers keeps every table on the coordinator, which is PostgreSQL as far as the runner goes.
 */
export async function detectTarget(sql: postgres.Sql<Record<string, never>>, hasCitus: boolean): Promise<TargetInfo> {
  if (!hasCitus) return postgresTarget;
  const [{ workers }] = await sql.unsafe(statement('db/workers', {}, 'citus'));
  return workers > 0 ? { target: 'citus', workers: Number(workers) } : postgresTarget;
}

/** Where a run builds, for its first log line: `on host:5432/db`, and on Citus that it runs distributed. */
export function describeTarget(info: TargetInfo, display: string): string {
  return info.target === 'citus'
    ? `on ${display}, distributed: Citus coordinator with ${info.workers} worker node${info.workers === 1 ? '' : 's'}`
    : `on ${display}`;
}
