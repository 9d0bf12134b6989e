import { projectError } from '../errors.js';
import type { Freshness, FreshnessThreshold, SourceTable } from './sources.js';

const periods = ['minute', 'hour', 'day'];

/**
 * A source table's `freshness:` and `loaded_at_field:`, as dbt reads them: the table's own over its
 * group's; `freshness: null` on a table turns its group's off.
 */
export function freshnessOf(group: Record<string, unknown>, table: Record<string, unknown>, where: string): Pick<SourceTable, 'freshness' | 'loadedAtField'> {
  const raw = Object.hasOwn(table, 'freshness') ? table.freshness : group.freshness;
  const field = table.loaded_at_field ?? group.loaded_at_field;
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw projectError(`"freshness" of ${where} must be a mapping, like freshness: {warn_after: {count: 12, period: hour}}`);
  }
  const f = raw as Record<string, unknown>;
  const freshness: Freshness = {
    warn_after: thresholdOf(f.warn_after, `freshness.warn_after of ${where}`),
    error_after: thresholdOf(f.error_after, `freshness.error_after of ${where}`),
  };
  if (!freshness.warn_after && !freshness.error_after) {
    throw projectError(`"freshness" of ${where} needs warn_after or error_after, like {warn_after: {count: 12, period: hour}}`);
  }
  return { freshness, loadedAtField: field === undefined ? undefined : String(field) };
}

function thresholdOf(raw: unknown, where: string): FreshnessThreshold | undefined {
  if (raw === undefined || raw === null) return undefined;
  const t = raw as Record<string, unknown>;
  const count = Number(t.count);
  if (!Number.isFinite(count) || count <= 0 || !periods.includes(String(t.period))) {
    throw projectError(`${where} needs a count > 0 and a period (minute, hour or day), like {count: 12, period: hour}; got ${JSON.stringify(raw)}`);
  }
  return { count, period: t.period as FreshnessThreshold['period'] };
}

/** A threshold in seconds. */
export const secondsOf = (t: FreshnessThreshold) => t.count * { minute: 60, hour: 3600, day: 86_400 }[t.period];
