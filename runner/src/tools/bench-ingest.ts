import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { statement } from '../sql/statements.js';
import { salesFile, shippedProject } from './bench-data.js';
import { figure, median, must, psql, query, runner, tmp, type Figure, type Fresh, type Log } from './bench.js';

const columns = 'sale_id, customer_id, product_id, store_id, sale_timestamp, quantity, revenue';

/**
 * Ingest of one `rows`-row sales file into a warehouse already set up (the shipped project's migrations
 * applied, the raw tables there), the runner's whole command against `psql \copy` of the same file into
 * a table of the raw table's shape; alternated, each on a new database.
 */
export async function benchIngest(rows: number, runs: number, fresh: Fresh, log: Log): Promise<Figure[]> {
  log(`ingest: generating ${rows} sales rows…`);
  const dir = tmp('sadp-bench-ingest-');
  const { landing, setup, file } = await salesFile(dir, rows);
  const project = shippedProject(join(dir, 'project'));
  const viaRunner = async () => {
    const url = await fresh('sadp_bench_ingest');
    await must(runner(['ingest', '--project-dir', project, '--data-dir', setup], url), 'runner set-up');
    return must(runner(['ingest', '--project-dir', project, '--data-dir', landing], url), 'runner ingest');
  };
  const viaPsql = async () => {
    const url = await fresh('sadp_bench_ingest');
    await query(url, statement('bench/copy-table'));
    return must(psql(url, ['-c', `\\copy public.sales (${columns}) from '${file}' with (format csv, header true)`]), 'psql \\copy');
  };
  const runnerRate: number[] = [];
  const psqlRate: number[] = [];
  let rss = 0;
  for (let i = 0; i < runs; i++) {
    for (const side of i % 2 ? [viaPsql, viaRunner] : [viaRunner, viaPsql]) {
      const r = await side();
      (side === viaRunner ? runnerRate : psqlRate).push(Math.round(rows / (r.ms / 1000)));
      if (side === viaRunner) rss = Math.max(rss, r.rssMb ?? 0);
    }
    log(`ingest run ${i + 1}: runner ${runnerRate[i]} rows/s, psql ${psqlRate[i]} rows/s`);
  }
  rmSync(dir, { recursive: true, force: true });
  const ratio = median(runnerRate) / median(psqlRate);
  return [
    figure(`ingest ${rows} sales rows into a set-up warehouse: runner (whole command)`, 'rows/s', runnerRate, { peak_rss_mb: rss }),
    figure(`ingest ${rows} sales rows: psql \\copy`, 'rows/s', psqlRate),
    figure('ingest: runner / psql \\copy (rows/s, medians)', 'x', [Number(ratio.toFixed(3))], { goal: '>= 0.9', met: ratio >= 0.9 }),
  ];
}
