import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { statement } from '../sql/statements.js';
import { runnerRoot } from '../sql/templates.js';
import { baseData, landingWithIncrement, shippedProject } from './bench-data.js';
import { figure, fingerprint, median, must, nodeSeconds, query, runner, tmp, type Figure, type Timed } from './bench.js';

const run = promisify(execFile);

export interface CitusBenchOptions {
  sales: number;
  customers: number;
  runs: number;
  /** A fresh single-node database of this name, as the other figures make them; returns its URL. */
  fresh: (name: string) => Promise<string>;
  log: (message: string) => void;
  /** Shards per distributed table; the cluster's own setting when absent. */
  shards?: number;
}

/** The local cluster's script (DESIGN §10): `../shared/citus/cluster.sh` beside the repository, or CITUS_CLUSTER_SH. */
const clusterScript = () => process.env.CITUS_CLUSTER_SH ?? join(runnerRoot, '..', '..', 'shared', 'citus', 'cluster.sh');

async function clusterDatabase(name: string, shards?: number): Promise<string> {
  await run(clusterScript(), ['dropdb', name]).catch(() => {});
  const url = (await run(clusterScript(), ['createdb', name])).stdout.trim().split('\n').pop()!;
  if (shards) {
    await query(url, statement('bench/shard-count', { name, shards }, 'citus'));
  }
  return url;
}

interface Side {
  first: number[];
  incremental: number[];
  /** Per node, seconds in the first build and in the incremental run (the last run's). */
  nodes: Map<string, [number, number]>;
}

/**
 * `npm run bench -- --target citus`: the pipeline figures on the local Citus cluster (a coordinator and two
 * workers) beside single-node PostgreSQL, on the same files: a first build, then an incremental run
 * after +1% sales and a late customer update batch, each compared table for table with the other
 * side's; runs alternate which side goes first. Ratios are cluster / single node; where the time goes
 * is each node's seconds on both.
 */
export async function benchCitusPipeline(o: CitusBenchOptions): Promise<Figure[]> {
  const dir = tmp('sadp-bench-citus-');
  const base = join(dir, 'base');
  o.log(`citus: generating ${o.sales} sales and ${o.customers} customers…`);
  await baseData(base, o.sales, o.customers);
  // the incremental run reads `all`: the base files again (landed already: skipped) and the later ones
  const all = join(dir, 'all');
  await landingWithIncrement(base, all, o.sales, o.customers);
  const repo = shippedProject(join(dir, 'project'));
  const sides: Record<'postgres' | 'citus', Side> = {
    postgres: { first: [], incremental: [], nodes: new Map() },
    citus: { first: [], incremental: [], nodes: new Map() },
  };
  let identical = true;
  for (let i = 0; i < o.runs; i++) {
    const order: ('postgres' | 'citus')[] = i % 2 ? ['citus', 'postgres'] : ['postgres', 'citus'];
    const prints: string[] = [];
    for (const target of order) {
      const url = target === 'citus' ? await clusterDatabase('sadp_bench_citus', o.shards) : await o.fresh('sadp_bench_pipe');
      const build = (landing: string): Promise<Timed> =>
        must(runner(['build-models', '--project-dir', repo, '--data-dir', landing], url), `${target} build`);
      const first = await build(base);
      const firstNodes = nodeSeconds(repo);
      const incremental = await build(all);
      const incNodes = nodeSeconds(repo);
      sides[target].first.push(first.ms / 1000);
      sides[target].incremental.push(incremental.ms / 1000);
      sides[target].nodes = new Map([...firstNodes].map(([n, s]) => [n, [s, incNodes.get(n) ?? 0]]));
      prints.push(await fingerprint(url));
      o.log(`citus run ${i + 1}, ${target}: first build ${(first.ms / 1000).toFixed(2)} s, incremental ${(incremental.ms / 1000).toFixed(2)} s`);
    }
    identical &&= prints[0] === prints[1];
  }
  await run(clusterScript(), ['dropdb', 'sadp_bench_citus']).catch(() => {});
  const [pg, citus] = [sides.postgres, sides.citus];
  const where = [...citus.nodes].map(([n, [f, inc]]) => {
    const [pf, pi] = pg.nodes.get(n) ?? [0, 0];
    return `${n} ${f.toFixed(2)}/${pf.toFixed(2)} s, ${inc.toFixed(2)}/${pi.toFixed(2)} s`;
  }).join('; ');
  const ratio = (a: number[], b: number[]) => Number((median(a) / median(b)).toFixed(2));
  return [
    figure(`citus: first build, ${o.sales} sales / ${o.customers} customers, cluster (coordinator + 2 workers)`, 's', citus.first),
    figure('citus: first build, single-node PostgreSQL, same files', 's', pg.first),
    figure(`citus: first build, cluster / single node (medians); tables identical: ${identical}`, 'x', [ratio(citus.first, pg.first)]),
    figure('citus: incremental run (+1% sales, a late update batch), cluster', 's', citus.incremental),
    figure('citus: incremental run, single-node PostgreSQL', 's', pg.incremental),
    figure(`citus: incremental run, cluster / single node (medians); tables identical: ${identical}`, 'x',
      [ratio(citus.incremental, pg.incremental)], { note: `per node, cluster/single node, first build then incremental: ${where}` }),
  ];
}
