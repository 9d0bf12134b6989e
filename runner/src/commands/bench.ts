import { linkSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import postgres from 'postgres';
import { parseArgs, num, str } from './args.js';
import { defaultOf, specOf } from './flags.js';
import type { CommandContext } from '../cli.js';
import { connect } from '../db/connection.js';
import { usageError } from '../errors.js';
import { generateData, defaultGenerateOptions } from '../tools/generate.js';
import { benchCitusPipeline } from '../tools/bench-citus.js';
import { writeFile } from '../files/write.js';
import { runnerRoot } from '../sql/templates.js';
import {
  figure, increment, machine, must, runner, salesFile, serverVersion, timed, tmp, viewProject, viewScript, median, type Figure,
} from '../tools/bench.js';

const scales = {
  small: { ingestRows: 1_000_000, views: 1000, sales: 1_000_000, customers: 100_000 },
  large: { ingestRows: 10_000_000, views: 1000, sales: 10_000_000, customers: 1_000_000 },
};

/** `npm run bench`: the figures of DESIGN.md §9, measured side by side, as ratios where there is a peer. */
export async function run(argv: string[], ctx: CommandContext): Promise<number> {
  const args = parseArgs(argv, specOf('bench'), 'bench');
  const scaleName = str(args, 'scale') ?? defaultOf<string>('bench', 'scale');
  const preset = scales[scaleName as keyof typeof scales];
  if (!preset) throw usageError(`unknown --scale "${scaleName}"; use small or large`);
  const scale = { ...preset, sales: num(args, 'sales', preset.sales, 1000), customers: num(args, 'customers', preset.customers, 100) };
  const runs = num(args, 'runs', defaultOf('bench', 'runs'), 1);
  const only = new Set((str(args, 'only') ?? defaultOf<string>('bench', 'only')).split(','));
  const target = str(args, 'target') ?? 'postgres';
  if (!['postgres', 'citus'].includes(target)) throw usageError(`unknown --target "${target}"; use postgres or citus`);
  const log = (m: string) => process.stderr.write(`bench: ${m}\n`);

  const server = await connect({ projectDir: ctx.projectDir, databaseUrl: str(args, 'database-url'), logger: ctx.logger, max: 2 });
  const figures: Figure[] = [];
  const base = new URL(server.url);
  const dbUrl = (name: string) => Object.assign(new URL(base.toString()), { pathname: `/${name}` }).toString();
  const admin = server.sql;
  const fresh = async (name: string, template?: string) => {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.unsafe(`create database ${name}${template ? ` template ${template}` : ''}`);
    return dbUrl(name);
  };
  try {
    const version = await serverVersion(server.url);
    if (target === 'citus') {
      // the pipeline on the local cluster beside single-node PostgreSQL; the other figures are single-node ones
      const shards = args.flags.shards === undefined ? undefined : num(args, 'shards', 32, 1);
      figures.push(...await benchCitusPipeline({ sales: scale.sales, customers: scale.customers, runs, log, fresh, shards }));
    } else {
      if (only.has('ingest')) figures.push(...await benchIngestCase(scale.ingestRows, runs, fresh, log, ctx));
      if (only.has('views')) figures.push(...await benchViews(scale.views, runs, fresh, log));
      if (only.has('compile')) figures.push(...await benchCompile(runs, log));
      if (only.has('pipeline')) figures.push(...await benchPipeline(scale, runs, fresh, admin, log));
    }
    printTable(figures);
    const out = { generated_at: new Date().toISOString(), scale: scaleName, target, runs, machine: machine(version), figures };
    writeFile(join(ctx.projectDir, 'target', 'bench.json'), JSON.stringify(out, null, 2));
    process.stdout.write(`\nwritten to target/bench.json\n`);
    return 0;
  } finally {
    for (const name of ['sadp_bench_ingest', 'sadp_bench_views', 'sadp_bench_pipe', 'sadp_bench_sample']) {
      await admin.unsafe(`drop database if exists ${name} with (force)`).catch(() => {});
    }
    await server.close();
  }
}

type Fresh = (name: string, template?: string) => Promise<string>;

async function benchIngestCase(rows: number, runs: number, fresh: Fresh, log: (m: string) => void, ctx: CommandContext) {
  log(`ingest: generating ${rows} sales rows…`);
  const dir = tmp('sadp-bench-ingest-');
  const file = await salesFile(join(dir, 'landing'), rows, ctx.logger);
  const project = join(dir, 'project');
  mkdirSync(join(project, 'models'), { recursive: true });
  writeFileSync(join(project, 'models', 'sources.yml'), `sources:\n  - name: raw\n    schema: raw\n    tables:\n      - name: sales\n` +
    `        columns: [sale_id, customer_id, product_id, store_id, sale_timestamp, quantity, revenue]\n`);
  const cols = 'sale_id, customer_id, product_id, store_id, sale_timestamp, quantity, revenue';
  const runnerRate: number[] = [];
  const psqlRate: number[] = [];
  let rss = 0;
  for (let i = 0; i < runs; i++) {
    const url = await fresh('sadp_bench_ingest');
    const r = await must(runner(['ingest', '--project-dir', project, '--data-dir', join(dir, 'landing')], url), 'runner ingest');
    runnerRate.push(Math.round(rows / (r.ms / 1000)));
    rss = Math.max(rss, r.rssMb ?? 0);
    await fresh('sadp_bench_ingest');
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    await sql.unsafe(`create table public.sales (${cols.split(', ').map((c) => `${c} text`).join(', ')},
      _file text default 'sales.csv', _line bigint, _batch_id bigint default 1, _loaded_at timestamptz default now())`);
    await sql.end();
    const p = await must(timed('psql', [url, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c',
      `\\copy public.sales (${cols}) from '${file}' with (format csv, header true)`]), 'psql \\copy');
    psqlRate.push(Math.round(rows / (p.ms / 1000)));
    log(`ingest run ${i + 1}: runner ${runnerRate[i]} rows/s, psql ${psqlRate[i]} rows/s`);
  }
  const ratio = median(runnerRate) / median(psqlRate);
  return [
    figure(`ingest ${rows} sales rows: runner (whole command)`, 'rows/s', runnerRate, { peak_rss_mb: rss }),
    figure(`ingest ${rows} sales rows: psql \\copy`, 'rows/s', psqlRate),
    figure('ingest ratio runner / psql (rows/s, medians)', 'x', [Number(ratio.toFixed(3))], { goal: '>= 0.9', met: ratio >= 0.9 }),
  ];
}

async function benchViews(n: number, runs: number, fresh: Fresh, log: (m: string) => void): Promise<Figure[]> {
  const project = tmp('sadp-bench-views-');
  viewProject(project, n);
  const url = await fresh('sadp_bench_views');
  await must(runner(['compile', '--project-dir', project], url), 'compile');
  const script = join(project, 'views.sql');
  writeFileSync(script, viewScript(project, n));
  const runnerMs: number[] = [];
  const coldMs: number[] = [];
  const psqlMs: number[] = [];
  let rss = 0;
  const build = () => must(runner(['build-models', '--project-dir', project, '--threads', '1', '--skip-tests'], url), 'runner views');
  // warm both paths once (catalog caches, first create)
  await must(timed('psql', [url, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', script]), 'psql -f');
  for (let i = 0; i < runs; i++) {
    // a run after an unchanged project takes its renderings from target/.render-cache.json, as every run
    // after the first does; a run without that cache renders all 1,000 models again
    const r = await build();
    runnerMs.push(Math.round(r.ms));
    rss = Math.max(rss, r.rssMb ?? 0);
    const p = await must(timed('psql', [url, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', script]), 'psql -f');
    psqlMs.push(Math.round(p.ms));
    rmSync(join(project, 'target', '.render-cache.json'), { force: true });
    coldMs.push(Math.round((await build()).ms));
    log(`views run ${i + 1}: runner ${runnerMs[i]} ms (render cache removed: ${coldMs[i]} ms), psql ${psqlMs[i]} ms`);
  }
  const ratio = median(runnerMs) / median(psqlMs);
  const cold = median(coldMs) / median(psqlMs);
  return [
    figure(`${n} view models, --threads 1, runner / psql -f (medians ${median(runnerMs)} / ${median(psqlMs)} ms)`, 'x',
      [Number(ratio.toFixed(3))], { goal: '<= 1.2', met: ratio <= 1.2, peak_rss_mb: rss, note: `runner ms ${runnerMs.join(', ')}; psql ms ${psqlMs.join(', ')}` }),
    figure(`${n} view models as above, render cache removed before each run (medians ${median(coldMs)} / ${median(psqlMs)} ms)`, 'x',
      [Number(cold.toFixed(3))], { note: `runner ms ${coldMs.join(', ')}` }),
  ];
}

/**
 * `compile` of 10,000 view models, the whole command: cold (no target/, as after a clone or `clean`)
 * and warm (nothing changed since the last compile), alternated.
 */
async function benchCompile(runs: number, log: (m: string) => void): Promise<Figure[]> {
  const n = 10_000;
  const project = tmp('sadp-bench-compile-');
  viewProject(project, n);
  const compile = () => must(runner(['compile', '--project-dir', project], 'postgres://unused@127.0.0.1:1/none'), 'compile');
  // what the command itself reports: reading, rendering and the DAG, before writing target/
  const inner = (r: { stdout: string }) => Number(/read, render and DAG (\d+) ms/.exec(r.stdout)?.[1] ?? NaN);
  const cold: number[] = [];
  const warm: number[] = [];
  const coldInner: number[] = [];
  const warmInner: number[] = [];
  let rss = 0;
  for (let i = 0; i < Math.max(runs, 3); i++) {
    rmSync(join(project, 'target'), { recursive: true, force: true });
    const c = await compile();
    const w = await compile();
    cold.push(Math.round(c.ms));
    warm.push(Math.round(w.ms));
    coldInner.push(inner(c));
    warmInner.push(inner(w));
    rss = Math.max(rss, c.rssMb ?? 0, w.rssMb ?? 0);
    log(`compile ${n} models: cold ${cold[i]} ms (read, render and DAG ${coldInner[i]} ms), warm ${warm[i]} ms (${warmInner[i]} ms)`);
  }
  rmSync(project, { recursive: true, force: true });
  const seconds = (xs: number[]) => xs.map((x) => x / 1000);
  return [
    figure(`compile ${n} models, cold (no target/), whole command`, 's', seconds(cold),
      { goal: '<= 3 s', met: median(cold) <= 3000, peak_rss_mb: rss, note: `read, render and DAG ms ${coldInner.join(', ')}` }),
    figure(`compile ${n} models, warm (nothing changed), whole command`, 's', seconds(warm),
      { goal: '<= 1 s', met: median(warm) <= 1000, note: `read, render and DAG ms ${warmInner.join(', ')}` }),
  ];
}

const fingerprint = async (url: string) => {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [r] = await sql`select
      (select md5(string_agg(concat_ws('|', customer_id, full_name, email, loyalty_tier, effective_start_date, effective_end_date, is_current), ',' order by customer_id, effective_start_date)) from analytics.dim_customer) as dim_customer,
      (select md5(string_agg(concat_ws('|', f.sale_id, d.customer_id, d.effective_start_date, f.product_id, f.store_id, f.date_key, f.sale_timestamp, f.quantity, f.revenue), ',' order by f.sale_id))
         from analytics.fact_sales f left join analytics.dim_customer d on d.customer_key = f.customer_key) as fact_sales,
      (select count(*) from analytics.fact_sales) as fact_rows`;
    return r;
  } finally {
    await sql.end();
  }
};

async function benchPipeline(scale: (typeof scales)['small'], runs: number, fresh: Fresh, admin: postgres.Sql, log: (m: string) => void) {
  const dir = tmp('sadp-bench-pipe-');
  const baseDir = join(dir, 'base');
  log(`pipeline: generating ${scale.sales} sales and ${scale.customers} customers…`);
  await generateData({ ...defaultGenerateOptions(), outDir: baseDir, sales: scale.sales, customers: scale.customers,
    products: 2000, stores: 50, updateBatches: 2, logger: { event() {}, info() {}, warn() {} } });
  const repo = join(runnerRoot, '..');
  const baseUrl = await fresh('sadp_bench_pipe');
  const first = await must(runner(['build-models', '--project-dir', repo, '--data-dir', baseDir], baseUrl), 'first build');
  const results = JSON.parse(readFileSync(join(repo, 'target', 'run_results.json'), 'utf8')) as { results: { node: string; ms: number; kind: string }[] };
  const stages = results.results.filter((r) => r.kind !== 'test' && r.kind !== 'unit_test').map((r) => `${r.node} ${(r.ms / 1000).toFixed(2)} s`).join(', ');
  const figures: Figure[] = [figure(`first build, ${scale.sales} sales / ${scale.customers} customers (${stages})`, 's',
    [first.ms / 1000], { peak_rss_mb: first.rssMb })];
  await admin.unsafe(`select pg_terminate_backend(pid) from pg_stat_activity where datname = 'sadp_bench_pipe'`);
  const inc: number[] = [];
  const full: number[] = [];
  const snapshotMs: number[] = [];
  let changedKeys = 0;
  let equal = true;
  let rss = 0;
  for (let i = 0; i < runs; i++) {
    const landing = join(dir, `run${i}`);
    mkdirSync(landing);
    for (const f of readdirSync(baseDir)) linkSync(join(baseDir, f), join(landing, f));
    await increment(baseDir, landing, scale.sales, scale.customers);
    const url = await fresh('sadp_bench_sample', 'sadp_bench_pipe');
    const a = await must(runner(['build-models', '--project-dir', repo, '--data-dir', landing], url), 'incremental build');
    inc.push(a.ms / 1000);
    rss = Math.max(rss, a.rssMb ?? 0);
    const ran = JSON.parse(readFileSync(join(repo, 'target', 'run_results.json'), 'utf8')) as { run_id: number; results: { node: string; ms: number }[] };
    snapshotMs.push(ran.results.find((r) => r.node === 'dim_customer')?.ms ?? 0);
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    changedKeys = Number((await sql`select count(distinct key) as n from meta.snapshot_changes where run_id = ${ran.run_id}`)[0].n);
    await sql.end();
    const afterIncremental = await fingerprint(url);
    const b = await must(runner(['build-models', '--project-dir', repo, '--data-dir', landing, '--full-refresh'], url), 'full refresh');
    full.push(b.ms / 1000);
    rss = Math.max(rss, b.rssMb ?? 0);
    const afterFull = await fingerprint(url);
    equal &&= JSON.stringify(afterIncremental) === JSON.stringify(afterFull);
    log(`pipeline run ${i + 1}: incremental ${inc[i].toFixed(2)} s, full refresh ${full[i].toFixed(2)} s, tables equal: ${equal}`);
  }
  const ratio = median(inc) / median(full);
  figures.push(
    figure('incremental build after +1% sales and one late update batch', 's', inc, { peak_rss_mb: rss }),
    figure('--full-refresh of the same data', 's', full),
    figure(`incremental / full-refresh (medians); tables identical: ${equal}`, 'x', [Number(ratio.toFixed(3))],
      { goal: '<= 0.1', met: ratio <= 0.1 && equal }),
    figure(`snapshot dim_customer in the incremental run (${changedKeys} changed keys)`, 's', snapshotMs.map((x) => x / 1000)),
  );
  return figures;
}

function printTable(figures: Figure[]) {
  const rows = figures.map((f) => [f.name, f.unit, fmt(f.min), fmt(f.median), fmt(f.max), f.goal ?? '', f.met === undefined ? '' : f.met ? 'met' : 'NOT met',
    f.peak_rss_mb ? `${f.peak_rss_mb} MB` : '']);
  const head = ['figure', 'unit', 'min', 'median', 'max', 'goal', '', 'peak RSS'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i >= 2 && i <= 4 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
  process.stdout.write([line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n') + '\n');
}

const fmt = (x: number) => (x >= 1000 ? String(Math.round(x)) : x >= 10 ? x.toFixed(1) : x.toFixed(3));
