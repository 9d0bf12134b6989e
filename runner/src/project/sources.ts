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
  columnDescriptions?: Record<string, string>;
  /** Where its raw table lives on Citus (`distributed_by`, `distribution`); ignored on PostgreSQL. */
  distribution?: Distribution;
}

/** The lineage columns every raw table has after its source columns. */
export const lineageColumns = ['_file', '_line', '_batch_id', '_loaded_at'] as const;
