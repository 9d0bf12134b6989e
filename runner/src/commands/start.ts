import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs, str } from './args.js';
import { specOf } from './flags.js';
import type { CommandContext } from '../cli.js';
import { connect } from '../db/connection.js';
import { defaultGenerateOptions, generateData } from '../tools/generate.js';
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
 * model, then shows what the warehouse holds and the question SCD2 exists to answer.
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
    const counts = await db.sql`
      select 'analytics.fact_sales' as "table", count(*) as rows from analytics.fact_sales
      union all select 'analytics.dim_customer (versions)', count(*) from analytics.dim_customer where customer_key <> -1
      union all select 'analytics.dim_customer (customers)', count(distinct customer_id) from analytics.dim_customer where customer_key <> -1
      union all select 'analytics.dim_product', count(*) from analytics.dim_product
      union all select 'analytics.dim_store', count(*) from analytics.dim_store
      union all select 'analytics.dim_date', count(*) from analytics.dim_date
      union all select 'staging.rejected_rows', count(*) from staging.rejected_rows`;
    const history = await db.sql`
      with sales as (
        select fact.revenue, at_sale.loyalty_tier as tier_at_sale, today.loyalty_tier as tier_now
        from analytics.fact_sales as fact
        inner join analytics.dim_customer as at_sale on at_sale.customer_key = fact.customer_key
        left join analytics.dim_customer as today on today.customer_id = fact.customer_id and today.is_current
      ),
      tiers as (
        select coalesce(tier_at_sale, '(none)') as tier, revenue, 'at_sale' as basis from sales
        union all
        select coalesce(tier_now, '(none)'), revenue, 'now' from sales
      )
      select tier as loyalty_tier,
             sum(revenue) filter (where basis = 'at_sale') as "revenue by tier at time of sale",
             sum(revenue) filter (where basis = 'now') as "revenue by current tier"
      from tiers group by tier
      order by array_position(array['Bronze', 'Silver', 'Gold', 'Platinum', '(none)'], tier)`;
    process.stdout.write(`\n${table(counts)}\n\nRevenue by loyalty tier: as the customer was at the time of sale (SCD2) vs as they are now\n${table(history)}\n`);
    process.stdout.write(`\nnext: npm run docs (lineage and models in target/docs/index.html), npm run build-models, npm test\n`);
    return 0;
  } finally {
    await db.close();
  }
}
