import { join } from 'node:path';
import { parseArgs, num, str } from './args.js';
import { defaultOf, specOf } from './flags.js';
import type { CommandContext } from '../cli.js';
import { connect } from '../db/connection.js';
import { usageError } from '../errors.js';
import { writeFile } from '../files/write.js';
import { statement } from '../sql/statements.js';
import { machine, serverVersion, type Figure } from '../tools/bench.js';
import { benchCitusPipeline } from '../tools/bench-citus.js';
import { benchIngest } from '../tools/bench-ingest.js';
import { benchPipeline } from '../tools/bench-pipeline.js';
import { benchCompile, benchViews } from '../tools/bench-views.js';

const scales = {
  small: { ingestRows: 5_000_000, views: 1000, sales: 1_000_000, customers: 100_000 },
  large: { ingestRows: 20_000_000, views: 1000, sales: 10_000_000, customers: 1_000_000 },
};

/** `npm run bench`: the figures of DESIGN.md §9, measured side by side, as ratios where there is a peer. */
export async function run(argv: string[], ctx: CommandContext): Promise<number> {
  const args = parseArgs(argv, specOf('bench'), 'bench');
  const scaleName = str(args, 'scale') ?? defaultOf<string>('bench', 'scale');
  const preset = scales[scaleName as keyof typeof scales];
  if (!preset) throw usageError(`unknown --scale "${scaleName}"; use small or large`);
  const scale = { ...preset, sales: num(args, 'sales', preset.sales, 1000), customers: num(args, 'customers', preset.customers, 100),
    ingestRows: num(args, 'ingest-rows', preset.ingestRows, 1000) };
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
    await admin.unsafe(statement('bench/drop-database', { name }));
    // a template's own sessions (autovacuum among them) would make the copy fail
    if (template) await admin.unsafe(statement('bench/disconnect'), [template]);
    await admin.unsafe(statement('bench/create-database', { name, template }));
    return dbUrl(name);
  };
  const where: string[] = [];
  try {
    const version = await serverVersion(server.url);
    if (target === 'citus') {
      // the pipeline on the local cluster beside single-node PostgreSQL; the other figures are single-node ones
      const shards = args.flags.shards === undefined ? undefined : num(args, 'shards', 32, 1);
      figures.push(...await benchCitusPipeline({ sales: scale.sales, customers: scale.customers, runs, log, fresh, shards }));
    } else {
      if (only.has('pipeline')) {
        const pipeline = await benchPipeline({ sales: scale.sales, customers: scale.customers, runs, fresh, log });
        figures.push(...pipeline.figures);
        where.push(...pipeline.where);
      }
      if (only.has('ingest')) figures.push(...await benchIngest(scale.ingestRows, runs, fresh, log));
      if (only.has('views')) figures.push(...await benchViews(scale.views, runs, fresh, log));
      if (only.has('compile')) figures.push(...await benchCompile(runs, log));
    }
    printTable(figures);
    if (where.length) process.stdout.write(`\nwhere the time goes:\n${where.map((w) => `  ${w}`).join('\n')}\n`);
    const out = { generated_at: new Date().toISOString(), scale: scaleName, target, runs, machine: machine(version), figures, where };
    writeFile(join(ctx.projectDir, 'target', 'bench.json'), JSON.stringify(out, null, 2));
    process.stdout.write(`\nwritten to target/bench.json\n`);
    return 0;
  } finally {
    for (const name of ['sadp_bench_ingest', 'sadp_bench_views', 'sadp_bench_pipe', 'sadp_bench_inc']) {
      await admin.unsafe(statement('bench/drop-database', { name })).catch(() => {});
    }
    await server.close();
  }
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
