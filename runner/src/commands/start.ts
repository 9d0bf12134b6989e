import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs, str } from './args.js';
import { specOf } from './flags.js';
import type { CommandContext } from '../cli.js';
import { connect } from '../db/connection.js';
import { defaultGenerateOptions, generateData } from '../tools/generate.js';
import { compileAnalysis } from '../compile/analysis.js';
import { prepare } from '../compile/prepare.js';
import { runPipeline } from '../run/pipeline.js';
import { printSummary } from './build-models.js';

const hasCsv = (dir: string): boolean =>
  existsSync(dir) && readdirSync(dir, { withFileTypes: true }).some((e) =>
    (e.isFile() && e.name.endsWith('.csv')) || (e.isDirectory() && hasCsv(join(dir, e.name))));

/** Formats rows as an aligned text table (numbers right-aligned). */
export function table(rows: Record<string, unknown>[]): string {
  if (!rows.length) return '(no rows)';
  const cols = Object.keys(rows[0]);
  const cell = (v: unknown) => (v === null || v === undefined ? '' : String(v));
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const numeric = cols.map((c) => rows.every((r) => r[c] === null || /^-?[\d.]+$/.test(cell(r[c]))));
  const line = (vals: string[]) => vals.map((v, i) => (numeric[i] ? v.padStart(width[i]) : v.padEnd(width[i]))).join('  ');
  return [line(cols), line(width.map((w) => '-'.repeat(w))), ...rows.map((r) => line(cols.map((c) => cell(r[c]))))].join('\n');
}

/**
 * The quick start: generates the default dataset into data/raw/ when it holds no CSV, builds every
 * model, then prints two analyses of the project (analyses/warehouse_counts.sql: what the warehouse
 * holds; analyses/revenue_by_loyalty_tier.sql: the question SCD2 exists to answer).
 */
export async function run(argv: string[], ctx: CommandContext): Promise<number> {
  const args = parseArgs(argv, specOf('start'), 'start');
  const dataDir = str(args, 'data-dir') ?? join(ctx.projectDir, 'data', 'raw');
  if (!hasCsv(dataDir)) {
    process.stdout.write(`no CSV in ${dataDir}: generating the default dataset…\n`);
    await generateData({ ...defaultGenerateOptions(), updateBatches: 3, outDir: dataDir, logger: ctx.logger });
  }
  const db = await connect({ projectDir: ctx.projectDir, databaseUrl: str(args, 'database-url'), logger: ctx.logger, max: 6 });
  try {
    const summary = await runPipeline({ projectDir: ctx.projectDir, command: 'build-models', dataDir, logger: ctx.logger, db });
    printSummary(summary);
    if (summary.exitCode !== 0) return summary.exitCode;
    const prepared = prepare(ctx.projectDir, ctx.logger);
    const query = (name: string) => db.sql.unsafe(compileAnalysis(prepared.project, prepared.compiled, name));
    const [counts, history] = await Promise.all([query('warehouse_counts'), query('revenue_by_loyalty_tier')]);
    process.stdout.write(`\n${table(counts)}\n\nRevenue by loyalty tier: as the customer was at the time of sale (SCD2) vs as they are now\n${table(history)}\n`);
    process.stdout.write(`\nnext: npm run docs (lineage and models in target/docs/index.html), npm run build-models, npm test\n`);
    return 0;
  } finally {
    await db.close();
  }
}
