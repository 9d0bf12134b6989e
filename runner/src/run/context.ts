import type { Database } from '../db/connection.js';
import type { Logger } from '../log.js';

export interface RunOptions {
  projectDir: string;
  command: 'build-models' | 'snapshot' | 'ingest' | 'run';
  databaseUrl?: string;
  dataDir?: string;
  select?: string;
  exclude?: string;
  fullRefresh?: boolean;
  threads?: number;
  /** How long to wait for another run's lock. */
  lockTimeoutMs?: number;
  skipTests?: boolean;
  skipIngest?: boolean;
  /** Run the data tests of the selected models against what is built, building nothing. */
  testsOnly?: boolean;
  /** Check every row, even where a test could check only the rows this run wrote. */
  fullTests?: boolean;
  logger: Logger;
  /** An already open database (tests, bench); otherwise `connect` is used and closed at the end. */
  db?: Database;
}

export interface NodeResult {
  node: string;
  path?: string;
  kind: 'model' | 'test' | 'ingest';
  status: 'success' | 'error' | 'skipped' | 'pass' | 'fail' | 'warn';
  ms: number;
  rows: number | null;
  message?: string;
  started_at?: string;
  finished_at?: string;
  thread?: number;
  /** Data tests: 'changed rows' when the test checked only the rows this run wrote. */
  scope?: 'all rows' | 'changed rows';
}

export interface RunSummary {
  run_id: number;
  command: string;
  status: 'success' | 'error';
  exitCode: number;
  results: NodeResult[];
  ingest?: unknown;
  /** Records that failed validation in this run's staging models. */
  rejected_in_staging?: number;
  started_at: string;
  finished_at: string;
  ms: number;
}
