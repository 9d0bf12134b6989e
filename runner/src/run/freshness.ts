import { isConnectionLoss } from '../db/loss.js';
import { secondsOf } from '../project/freshness.js';
import type { FreshnessThreshold, SourceTable } from '../project/sources.js';
import { statement } from '../sql/statements.js';

/** How fresh one source table is: its newest load, its age and what its thresholds make of that. */
export interface FreshnessResult {
  /** `raw.sales`. */
  source: string;
  status: 'pass' | 'warn' | 'error';
  max_loaded_at: string | null;
  age_seconds: number | null;
  warn_after?: FreshnessThreshold;
  error_after?: FreshnessThreshold;
  message: string;
}

interface Queryable {
  unsafe(query: string): Promise<unknown>;
}

/** The source tables with `freshness:`; the others are not checked. */
export const withFreshness = (tables: SourceTable[]) => tables.filter((t) => t.freshness);

/**
 * Asks each table with `freshness:` for its newest load (max of `loaded_at_field`, `_loaded_at` by
 * default) and compares its age with `error_after`, then `warn_after`. A table that is missing or
 * empty is an error: nothing landed at all.
 */
export async function checkFreshness(sql: Queryable, tables: SourceTable[]): Promise<FreshnessResult[]> {
  return Promise.all(withFreshness(tables).map(async (t) => {
    const source = `${t.source}.${t.name}`;
    const base = { source, warn_after: t.freshness!.warn_after, error_after: t.freshness!.error_after };
    let row: { max_loaded_at: Date | null; age_seconds: number | null };
    try {
      [row] = await sql.unsafe(statement('sources/freshness', { schema: t.schema, name: t.name, loaded_at_field: t.loadedAtField ?? '_loaded_at' })) as typeof row[];
    } catch (e) {
      if (isConnectionLoss(e)) throw e;
      return { ...base, status: 'error' as const, max_loaded_at: null, age_seconds: null,
        message: `cannot tell when ${source} last loaded: ${(e as Error).message}; ingest its files first, or fix loaded_at_field` };
    }
    if (row.max_loaded_at === null || row.age_seconds === null) {
      return { ...base, status: 'error' as const, max_loaded_at: null, age_seconds: null, message: `${source} has no rows: nothing ever landed` };
    }
    const age = Number(row.age_seconds);
    const over = (th?: FreshnessThreshold) => th !== undefined && age > secondsOf(th);
    const status = over(t.freshness!.error_after) ? 'error' : over(t.freshness!.warn_after) ? 'warn' : 'pass';
    const limit = status === 'error' ? t.freshness!.error_after : status === 'warn' ? t.freshness!.warn_after : undefined;
    const message = `last loaded ${ageText(age)} ago (${new Date(row.max_loaded_at).toISOString()})` +
      (limit ? `, more than its ${status === 'error' ? 'error_after' : 'warn_after'} of ${limit.count} ${limit.period}(s)` : '');
    return { ...base, status, max_loaded_at: new Date(row.max_loaded_at).toISOString(), age_seconds: Math.round(age), message };
  }));
}

/** `3 d 4 h`, `2 h 5 min`, `42 s`: an age as a person reads it. */
export function ageText(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`;
}
