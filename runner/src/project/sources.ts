import type { Distribution } from '../compile/distribution.js';

/** A landing source table declared in the project (`sources:` in a YAML file under `models/`). */
export interface SourceTable {
  /** The source group, as in `{{source "raw" "sales"}}`. */
  source: string;
  /** The table name; also the landing-file prefix (`sales.csv`, `sales_*.csv`, `sales/`). */
  name: string;
  /** The schema the raw table lives in (default: the source group's name). */
  schema: string;
  /** Every column the files carry, in order; stored as text. */
  columns: string[];
  /** Columns a file's header must have (default: all of `columns`). */
  required: string[];
  description?: string;
  /** The YAML file that declares it, relative to the project. */
  file?: string;
  columnDescriptions?: Record<string, string>;
  /** `freshness:` of the table (or its source group): how old its newest load may get. */
  freshness?: Freshness;
  /** `loaded_at_field:` the column that says when a row landed (default `_loaded_at`). */
  loadedAtField?: string;
  /** Where its raw table lives on Citus (`distributed_by`, `distribution`); ignored on PostgreSQL. */
  distribution?: Distribution;
}

/** The lineage columns every raw table has after its source columns. */
export const lineageColumns = ['_file', '_line', '_batch_id', '_loaded_at'] as const;

/** `{count: 12, period: hour}`, as dbt writes a freshness threshold. */
export interface FreshnessThreshold {
  count: number;
  period: 'minute' | 'hour' | 'day';
}

/** `freshness: {warn_after: …, error_after: …}` on a source table or its group. */
export interface Freshness {
  warn_after?: FreshnessThreshold;
  error_after?: FreshnessThreshold;
}
