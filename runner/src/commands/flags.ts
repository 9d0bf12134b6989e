/**
 * What each command is and which flags it takes: the parser reads its flag types from here and
 * `--help` prints the same table, so a flag can't be accepted and undocumented (or the other way round).
 */
import type { FlagSpec } from './args.js';

interface Flag {
  type: FlagSpec[string];
  /** The value's placeholder in the help, for flags that take one. */
  arg?: string;
  text: string;
  /** The value the command takes without the flag: the help shows it, the command reads it from here. */
  default?: number | string;
}

interface Command {
  /** The file in commands/ that runs it. */
  module: string;
  /** Positional arguments, if any. */
  usage?: string;
  summary: string;
  flags: Record<string, Flag>;
}

const dataDir: Flag = { type: 'string', arg: 'DIR', text: 'landing folder of the source CSVs (default: data/raw of the project)' };
const lockTimeout: Flag = { type: 'number', arg: 'SECONDS', text: 'how long to wait for another run on the same database', default: 60 };
const threads: Flag = { type: 'number', arg: 'N', text: 'models built side by side, each on its own connection', default: 4 };
const fullRefresh: Flag = { type: 'boolean', text: 'rebuild incremental models from all of raw instead of merging the new batches' };
const selectForms = 'name, +name (with its parents), name+ (with its children), tag:x, path:dir, materialized:snapshot; several separated by spaces or commas';
const select: Flag = { type: 'list', arg: 'S…', text: `models to build: ${selectForms}` };
const exclude: Flag = { type: 'list', arg: 'S…', text: 'models to leave out, same forms as --select' };
const vars: Flag = { type: 'string', arg: 'JSON|YAML', text: `values for {{var "key"}} in the models, as a mapping: '{"key": "value"}'; over the vars: of the project's YAML` };

export const commandTable: Record<string, Command> = {
  'build-models': {
    module: 'build-models',
    summary: 'ingest new landing files, build every model in DAG order, run the data tests',
    flags: {
      'data-dir': dataDir, select, exclude, 'full-refresh': fullRefresh, threads, 'lock-timeout': lockTimeout, vars,
      'skip-tests': { type: 'boolean', text: 'build without running the data tests' },
      'skip-ingest': { type: 'boolean', text: 'build from what raw holds, without looking at the landing folder' },
      'tests-only': { type: 'boolean', text: 'run the data tests of the selected models, build nothing' },
      'full-tests': { type: 'boolean', text: 'check every row, not only the rows a merge wrote' },
      'skip-unit-tests': { type: 'boolean', text: "build without running the selected models' unit tests first" },
    },
  },
  'unit-tests': {
    module: 'unit-tests',
    summary: "run the models' unit tests (unit_tests: in the models' YAML) on temporary tables; the warehouse is left as it is",
    flags: { select: { ...select, text: 'models whose unit tests run, same forms as build-models' }, exclude, 'lock-timeout': lockTimeout, vars },
  },
  snapshot: {
    module: 'build-models',
    summary: 'ingest, then build only the snapshots (SCD2) and what they depend on',
    flags: { 'data-dir': dataDir, select: { ...select, text: 'snapshots to build (default: every snapshot)' },
      'full-refresh': { ...fullRefresh, text: 'recompute every key\'s history from all of raw (the snapshot keeps its table and its surrogate keys)' },
      threads, 'lock-timeout': lockTimeout, vars },
  },
  ingest: {
    module: 'build-models',
    summary: 'load new landing files into the raw layer only',
    flags: { 'data-dir': dataDir, 'lock-timeout': lockTimeout },
  },
  compile: {
    module: 'compile',
    summary: 'render every model to target/compiled/ and write target/manifest.json (no database); with a --select of one model, print its SQL',
    flags: { select: { ...select, text: `one model whose compiled SQL to print (every model is compiled and written either way): ${selectForms}` }, exclude, vars },
  },
  'generate-data': {
    module: 'generate-data',
    summary: 'write synthetic source CSVs, or one more delivery for them (the same seed gives byte-identical files)',
    flags: {
      out: { type: 'string', arg: 'DIR', text: 'where to write them (default: data/raw of the project)' },
      seed: { type: 'number', arg: 'N', text: 'random seed (default 42)' },
      customers: { type: 'number', arg: 'N', text: 'customers (default 500)' },
      products: { type: 'number', arg: 'N', text: 'products (default 200)' },
      stores: { type: 'number', arg: 'N', text: 'stores (default 20)' },
      sales: { type: 'number', arg: 'N', text: 'sales (default 50,000; with --update-batch: 0; streamed, any size)' },
      'update-batches': { type: 'number', arg: 'N', text: 'customers_updates_<date>.csv files, each named by the day its span of time ends (default 1)' },
      'update-rate': { type: 'number', arg: 'R', text: 'share of customers updated, 0 to 1 (default 0.18)' },
      'update-batch': { type: 'boolean', text: 'add one delivery to the data set already in --out: customers_updates_<date>.csv dated after its last file, with ids and times continuing it (and sales_<date>.csv with --sales N)' },
    },
  },
  ls: {
    module: 'ls',
    summary: 'list the models, tests, sources, seeds and analyses a selection picks (no database)',
    flags: {
      select: { ...select, text: 'what to list: the forms of build-models, and source:raw.sales or source:raw (default: everything)' },
      exclude,
      'resource-type': { type: 'list', arg: 'T…', text: 'only these kinds: model, snapshot, test, source, seed, analysis' },
      output: { type: 'string', arg: 'name|path|json', text: 'what to print per resource', default: 'name' },
      vars,
    },
  },
  'source-freshness': {
    module: 'source-freshness',
    summary: "how long ago each source with freshness: in its YAML last landed a file (its raw table's _loaded_at); exit 1 when one is past error_after",
    flags: { select: { type: 'list', arg: 'S…', text: 'sources to check: raw.sales or raw (default: every source with freshness:)' } },
  },
  retry: {
    module: 'retry',
    summary: 'run again, with the same flags, what failed or was skipped in the last run (target/run_results.json)',
    flags: { threads, 'lock-timeout': lockTimeout },
  },
  clean: {
    module: 'clean',
    summary: 'remove target/; with --all --yes, the embedded warehouse (.data/postgres) too',
    flags: {
      all: { type: 'boolean', text: 'also the embedded warehouse in .data/postgres (every run\'s history): needs --yes' },
      yes: { type: 'boolean', text: 'confirm --all' },
    },
  },
  start: {
    module: 'start',
    summary: 'generate data if the landing folder holds no CSV, build, print a summary',
    flags: { 'data-dir': dataDir },
  },
  docs: {
    module: 'docs',
    summary: 'write the documentation site to target/docs/index.html (column types too when a database is given)',
    flags: { vars },
  },
  show: {
    module: 'show',
    usage: '<model>',
    summary: "run one model's SELECT against the built relations and print its first rows",
    flags: { limit: { type: 'number', arg: 'N', text: 'rows to print', default: 10 }, vars },
  },
  sql: {
    module: 'sql',
    usage: '"<query>"',
    summary: 'run one read-only query against the target (the embedded warehouse included) and print its rows',
    flags: {
      format: { type: 'string', arg: 'table|csv|json', text: 'how to print the rows', default: 'table' },
      limit: { type: 'number', arg: 'N', text: 'rows to print (default: 100 for a table, all for csv and json)' },
    },
  },
  db: {
    module: 'db',
    usage: 'start|stop|status|url|psql',
    summary: 'keep the embedded PostgreSQL running between commands (start, stop, status), print its URL, open psql on it',
    flags: {},
  },
  'airflow-dag': {
    module: 'airflow-dag',
    summary: 'write the Airflow DAG from the manifest',
    flags: {
      out: { type: 'string', arg: 'FILE', text: 'where to write it (default: airflow/dags/sales_analytics_pipeline_dag.py)' },
      'dag-id': { type: 'string', arg: 'ID', text: 'the DAG id (default: sales_analytics_pipeline)' },
      pool: { type: 'string', arg: 'NAME', text: 'Airflow pool for the model tasks' },
      check: { type: 'boolean', text: 'write nothing; fail when the file on disk is stale' },
    },
  },
  bench: {
    module: 'bench',
    summary: 'the benchmarks of DESIGN §9: prints a table and writes target/bench.json',
    flags: {
      scale: { type: 'string', arg: 'small|large', text: 'small: pipeline 1M sales / 100k customers, ingest 5M rows; large: 10M / 1M, ingest 20M', default: 'small' },
      only: { type: 'string', arg: 'LIST', text: 'some of ingest,views,compile,pipeline', default: 'ingest,views,compile,pipeline' },
      runs: { type: 'number', arg: 'N', text: 'runs per figure; the table gives min, median, max', default: 3 },
      sales: { type: 'number', arg: 'N', text: 'sales of the pipeline figure (default: the scale\'s)' },
      customers: { type: 'number', arg: 'N', text: 'customers of the pipeline figure (default: the scale\'s)' },
      'ingest-rows': { type: 'number', arg: 'N', text: 'rows of the ingest figure (default: the scale\'s)' },
      target: { type: 'string', arg: 'postgres|citus', text: 'citus: the pipeline on the local Citus cluster beside single-node PostgreSQL', default: 'postgres' },
      shards: { type: 'number', arg: 'N', text: 'with --target citus: shards per distributed table (default: the cluster\'s citus.shard_count)' },
    },
  },
};

const common: Record<string, Flag> = {
  'project-dir': { type: 'string', arg: 'DIR', text: 'the project folder (models/, macros/, seeds/, migrations/); default: the current folder' },
  'database-url': { type: 'string', arg: 'URL', text: 'PostgreSQL to use (default: $DATABASE_URL, else an embedded PostgreSQL in .data/postgres)' },
};

/** The flag types of a command, for `parseArgs`. */
export function specOf(command: string): FlagSpec {
  return Object.fromEntries(Object.entries(commandTable[command].flags).map(([name, f]) => [name, f.type]));
}

/** What `command` takes without `--flag`. */
export function defaultOf<T extends number | string>(command: string, flag: string): T {
  const value = commandTable[command].flags[flag].default;
  if (value === undefined) throw new Error(`no default for --${flag} of ${command}`);
  return value as T;
}

const flagLines = (flags: Record<string, Flag>) => {
  const heads = Object.entries(flags).map(([name, f]) => [`--${name}${f.arg ? ` ${f.arg}` : ''}`,
    f.default === undefined ? f.text : `${f.text} (default ${f.default})`]);
  const width = Math.max(0, ...heads.map(([h]) => h.length));
  return heads.map(([h, t]) => `  ${h.padEnd(width)}  ${t}`).join('\n');
};

/** `npm run <command> -- --help`. */
export function helpOf(command: string): string {
  const c = commandTable[command];
  const own = Object.keys(c.flags).length ? `flags:\n${flagLines(c.flags)}\n\n` : '';
  return `usage: npm run ${command} -- ${c.usage ? `${c.usage} ` : ''}[flags]\n   or: npx sadp ${command} ${c.usage ? `${c.usage} ` : ''}[flags]\n\n${c.summary}\n\n${own}common flags:\n${flagLines(common)}`;
}

/** `npm run help`: every command, one line each. */
export function overview(): string {
  const width = Math.max(...Object.keys(commandTable).map((n) => n.length));
  return `usage: npm run <command> -- [flags]   (npm run <command> -- --help for its flags)\n   or: npx sadp <command> [flags]\n\ncommands:\n` +
    Object.entries(commandTable).map(([n, c]) => `  ${n.padEnd(width)}  ${c.summary}`).join('\n') +
    `\n\ncommon flags:\n${flagLines(common)}`;
}
