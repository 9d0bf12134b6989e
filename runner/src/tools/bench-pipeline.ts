import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { statement } from '../sql/statements.js';
import { baseData, handwrittenScript, landingWithIncrement, shippedProject } from './bench-data.js';
import { figure, fingerprint, median, must, nodeSeconds, psql, query, runner, seconds, tmp, whereTimeGoes, type Figure, type Fresh, type Log } from './bench.js';

export interface PipelineBench {
  sales: number;
  customers: number;
  runs: number;
  fresh: Fresh;
  log: Log;
}

/** The pipeline's figures and, per step, where the time of its last runs went. */
export interface PipelineResult {
  figures: Figure[];
  where: string[];
}

/**
 * The shipped project on `sales`/`customers` rows as a user runs it (the runner's command, data tests on):
 * 1. a full build, `build-models --full-refresh --skip-ingest`, against the hand-written star schema
 *    (`psql -f`) on the same raw tables, alternated;
 * 2. an incremental run after a second delivery (+1% sales, updates for 1% of the customers, a fifth of
 *    them late), the whole command with its ingest, on a copy of the built warehouse kept under one name
 *    (the unit tests passed there before, as on a user's warehouse), against `--full-refresh` of the same
 *    data; both leave identical tables.
 */
export async function benchPipeline(o: PipelineBench): Promise<PipelineResult> {
  const dir = tmp('sadp-bench-pipe-');
  const base = join(dir, 'base');
  const all = join(dir, 'all');
  o.log(`pipeline: generating ${o.sales} sales and ${o.customers} customers…`);
  await baseData(base, o.sales, o.customers);
  await landingWithIncrement(base, all, o.sales, o.customers);
  const project = shippedProject(join(dir, 'project'));
  const build = (url: string, args: string[]) =>
    must(runner(['build-models', '--project-dir', project, ...args], url), `build-models ${args.join(' ')}`);

  const url = await o.fresh('sadp_bench_pipe');
  const first = await build(url, ['--data-dir', base]);
  o.log(`pipeline: first build ${(first.ms / 1000).toFixed(2)} s`);
  const runnerFull: number[] = [];
  const hand: number[] = [];
  let fullNodes = new Map<string, number>();
  let rss = first.rssMb ?? 0;
  const full = async () => {
    const r = await build(url, ['--full-refresh', '--skip-ingest']);
    runnerFull.push(r.ms);
    rss = Math.max(rss, r.rssMb ?? 0);
    fullNodes = nodeSeconds(project);
  };
  const handwritten = async () => hand.push((await must(psql(url, ['-f', handwrittenScript]), 'the hand-written star schema')).ms);
  for (let i = 0; i < o.runs; i++) {
    for (const side of i % 2 ? [handwritten, full] : [full, handwritten]) await side();
    o.log(`full build ${i + 1}: runner ${(runnerFull[i] / 1000).toFixed(2)} s, hand-written ${(hand[i] / 1000).toFixed(2)} s`);
  }
  await query(url, statement('bench/drop-handwritten'));

  // each incremental sample starts from the same built warehouse, copied under the same name
  const copy = () => o.fresh('sadp_bench_inc', 'sadp_bench_pipe');
  await build(await copy(), ['--data-dir', base]);
  const inc: number[] = [];
  const refresh: number[] = [];
  let incNodes = new Map<string, number>();
  let identical = true;
  let changed = 0;
  for (let i = 0; i < o.runs; i++) {
    const incUrl = await copy();
    const a = await build(incUrl, ['--data-dir', all]);
    inc.push(a.ms);
    incNodes = nodeSeconds(project);
    const runId = (JSON.parse(readFileSync(join(project, 'target', 'run_results.json'), 'utf8')) as { run_id: number }).run_id;
    changed = Number((await query(incUrl, statement('bench/changed-keys'), [runId]))[0].n);
    const afterIncremental = await fingerprint(incUrl);
    refresh.push((await build(incUrl, ['--full-refresh', '--skip-ingest'])).ms);
    identical &&= afterIncremental === (await fingerprint(incUrl));
    o.log(`incremental ${i + 1}: ${(inc[i] / 1000).toFixed(2)} s, full refresh of the same data ${(refresh[i] / 1000).toFixed(2)} s, identical: ${identical}`);
  }

  const fullRatio = median(runnerFull) / median(hand);
  const incRatio = median(inc) / median(refresh);
  return {
    figures: [
      figure(`first build, ${o.sales} sales / ${o.customers} customers, ingest included`, 's', seconds([first.ms])),
      figure('full build: build-models --full-refresh --skip-ingest (tests on)', 's', seconds(runnerFull), { peak_rss_mb: rss }),
      figure('full build: the hand-written star schema, psql -f, same raw tables', 's', seconds(hand)),
      figure('full build: runner / hand-written (medians)', 'x', [Number(fullRatio.toFixed(3))], { goal: '<= 1.0', met: fullRatio <= 1 }),
      figure(`incremental run: +1% sales, ${changed} customers versioned (a fifth late), whole command`, 's', seconds(inc)),
      figure('incremental run: --full-refresh of the same data', 's', seconds(refresh)),
      figure(`incremental / full refresh (medians); tables identical: ${identical}`, 'x', [Number(incRatio.toFixed(3))],
        { goal: '<= 0.1', met: incRatio <= 0.1 && identical }),
    ],
    where: [`full build (last): ${whereTimeGoes(fullNodes)}`, `incremental run (last): ${whereTimeGoes(incNodes)}`],
  };
}
