import type { CompiledProject } from '../compile/compile.js';
import type { Graph } from '../dag/graph.js';
import type { Database } from '../db/connection.js';
import type { RunLock } from '../db/lock.js';
import type { Logger } from '../log.js';
import type { Project } from '../project/project.js';
import type { LineageEmitter } from '../publish/openlineage.js';

/** What a locked run (`build-models`, `snapshot`, `ingest`) is asked to do. */
export interface RunOptions {
  projectDir: string;
  command: 'build-models' | 'snapshot' | 'ingest' | 'run';
  databaseUrl?: string;
  dataDir?: string;
  select?: string;
  exclude?: string;
  /** `--vars`: values of `{{var}}` over the project's. */
  vars?: Record<string, unknown>;
  fullRefresh?: boolean;
  threads?: number;
  /** How long to wait for another run's lock. */
  lockTimeoutMs?: number;
  skipTests?: boolean;
  /** Build without running the selected models' unit tests first. */
  skipUnitTests?: boolean;
  skipIngest?: boolean;
  /** Run the data tests of the selected models against what is built, building nothing. */
  testsOnly?: boolean;
  /** Check every row, even where a test could check only the rows this run wrote. */
  fullTests?: boolean;
  logger: Logger;
  /** The command's flags as given (without --database-url and --project-dir): `retry` runs again with them. */
  args?: string[];
  /** An already open database (tests, bench); otherwise `connect` is used and closed at the end. */
  db?: Database;
  /** Called inside a node's transaction before each of its statements runs (tests read their plans). */
  beforeStatement?: StatementHook;
}

/** Sees a statement of a node's materialization on the node's connection, before it runs. */
export type StatementHook = (node: string, statement: string, conn: { unsafe(query: string): Promise<unknown> }) => Promise<void>;

export interface NodeResult {
  node: string;
  path?: string;
  /** `source`: a source table's freshness, checked after ingest. */
  kind: 'model' | 'test' | 'ingest' | 'unit_test' | 'source';
  status: 'success' | 'error' | 'skipped' | 'pass' | 'fail' | 'warn';
  ms: number;
  rows: number | null;
  message?: string;
  started_at?: string;
  finished_at?: string;
  thread?: number;
  /** Data tests: 'changed rows' when the test checked only the rows this run wrote. */
  scope?: 'all rows' | 'changed rows';
  /** dbt's name for it (`source.<project>.raw.sales`), where the node's name alone doesn't tell. */
  unique_id?: string;
}

export interface RunSummary {
  run_id: number;
  command: string;
  /** The command's flags (see RunOptions.args). */
  args?: string[];
  status: 'success' | 'error';
  /** Where the run built: 'postgres', or 'citus' (distributed over `workers` worker nodes). */
  target?: 'postgres' | 'citus';
  workers?: number;
  exitCode: number;
  results: NodeResult[];
  ingest?: unknown;
  /** Records that failed validation in this run's staging models. */
  rejected_in_staging?: number;
  started_at: string;
  finished_at: string;
  ms: number;
}

/** What a node saw when it last succeeded: the run, and the highest batch landed by then (0 when never). */
export interface Watermark {
  run_id: number;
  batch_id: number;
}

/**
 * The keys of the rows a merge wrote, kept in a table of their own (`meta.written_…`, rewritten by each
 * merge in its transaction): the run's data tests may check just the rows with these keys.
 */
export interface WrittenKeys {
  /** The table of keys, quoted. */
  relation: string;
  /** The key columns, quoted, as the model's table names them. */
  columns: string[];
  /** Nothing was written: the node was left alone, unchanged. */
  none?: boolean;
}

/** What this run's builds leave for its data tests. */
export interface Written {
  /** Incremental and snapshot nodes merged (not rebuilt) in this run: the keys of the rows they wrote. */
  keys: Map<string, WrittenKeys>;
  /** Each watermarked node's last success before this run. */
  previous: Map<string, Watermark>;
}

/** One run, as the steps after the lock see it: what was asked, what it runs on, what it has done so far. */
export interface RunContext {
  opts: RunOptions;
  logger: Logger;
  db: Database;
  project: Project;
  compiled: CompiledProject;
  graph: Graph;
  /** The selected nodes, in DAG order. */
  planned: string[];
  runId: number;
  threads: number;
  lock: RunLock;
  lineage: LineageEmitter;
  /** Every node's and test's outcome so far. */
  results: NodeResult[];
  /** Per model with unit tests: settles when they are done; rejects when one failed (the model is not built). */
  unitGates: Map<string, Promise<void>>;
  written: Written;
}
