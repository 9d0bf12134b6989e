import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { figure, median, must, psql, runner, seconds, tmp, type Figure, type Fresh, type Log } from './bench.js';

/** A project with `n` trivial view models: chains of ten, each model reading the one before it. */
export function viewProject(dir: string, n: number) {
  mkdirSync(join(dir, 'models'), { recursive: true });
  for (let i = 0; i < n; i++) {
    const body = i % 10 === 0 ? `select ${i} as id, 'm_${i}'::text as name` : `select id + 1 as id, name from {{ref "m_${i - 1}"}}`;
    writeFileSync(join(dir, 'models', `m_${i}.sql`), `{{config materialized="view" schema="bench_views"}}\n${body}\n`);
  }
}

/** The SQL psql runs for the same views: what the runner compiled, one statement per view. */
export function viewScript(projectDir: string, n: number): string {
  const parts = ['create schema if not exists bench_views;'];
  for (let i = 0; i < n; i++) {
    const sql = readFileSync(join(projectDir, 'target', 'compiled', 'models', `m_${i}.sql`), 'utf8').trim();
    parts.push(`create or replace view "bench_views"."m_${i}" as\n${sql};`);
  }
  return parts.join('\n');
}

/**
 * `n` view models with `--threads 1` against `psql -f` of the same statements, on a warm database (both
 * sides have created the views once), alternated: the runner's fixed cost per command shows here.
 */
export async function benchViews(n: number, runs: number, fresh: Fresh, log: Log): Promise<Figure[]> {
  const project = tmp('sadp-bench-views-');
  viewProject(project, n);
  const url = await fresh('sadp_bench_views');
  const build = () => must(runner(['build-models', '--project-dir', project, '--threads', '1'], url), 'runner views');
  await must(runner(['compile', '--project-dir', project], url), 'compile');
  await build();
  const script = join(project, 'views.sql');
  writeFileSync(script, viewScript(project, n));
  const viaPsql = () => must(psql(url, ['-f', script]), 'psql -f');
  await viaPsql();
  const runnerMs: number[] = [];
  const coldMs: number[] = [];
  const psqlMs: number[] = [];
  let rss = 0;
  for (let i = 0; i < runs; i++) {
    const sides = i % 2 ? [viaPsql, build] : [build, viaPsql];
    for (const side of sides) {
      const r = await side();
      (side === build ? runnerMs : psqlMs).push(Math.round(r.ms));
      if (side === build) rss = Math.max(rss, r.rssMb ?? 0);
    }
    // the same run without target/.render-cache.json: as the first command after a clone renders
    rmSync(join(project, 'target', '.render-cache.json'), { force: true });
    coldMs.push(Math.round((await build()).ms));
    log(`views run ${i + 1}: runner ${runnerMs[i]} ms (render cache removed: ${coldMs[i]} ms), psql ${psqlMs[i]} ms`);
  }
  rmSync(project, { recursive: true, force: true });
  const ratio = median(runnerMs) / median(psqlMs);
  return [
    figure(`${n} views, --threads 1, warm database: runner (whole command)`, 's', seconds(runnerMs), { peak_rss_mb: rss }),
    figure(`${n} views: psql -f of the same statements`, 's', seconds(psqlMs)),
    figure(`${n} views: runner / psql -f (medians)`, 'x', [Number(ratio.toFixed(3))], { goal: '<= 1.2', met: ratio <= 1.2 }),
    figure(`${n} views: runner without its render cache / psql -f (medians)`, 'x', [Number((median(coldMs) / median(psqlMs)).toFixed(3))]),
  ];
}

/**
 * `compile` of 10,000 view models, the whole command: cold (no target/, as after a clone or `clean`)
 * and warm (nothing changed since the last compile), alternated.
 */
export async function benchCompile(runs: number, log: Log): Promise<Figure[]> {
  const n = 10_000;
  const project = tmp('sadp-bench-compile-');
  viewProject(project, n);
  const compile = () => must(runner(['compile', '--project-dir', project], 'postgres://unused@127.0.0.1:1/none'), 'compile');
  const cold: number[] = [];
  const warm: number[] = [];
  let rss = 0;
  const aside = tmp('sadp-bench-compile-old-');
  for (let i = 0; i < runs; i++) {
    // cold is a project without target/ (after a clone); the last one's is put aside, not deleted: deleting
    // ten thousand files makes the file system slow for a while, and the figure would measure that
    if (existsSync(join(project, 'target'))) renameSync(join(project, 'target'), join(aside, String(i)));
    const c = await compile();
    const w = await compile();
    cold.push(Math.round(c.ms));
    warm.push(Math.round(w.ms));
    rss = Math.max(rss, c.rssMb ?? 0, w.rssMb ?? 0);
    log(`compile ${n} models: cold ${cold[i]} ms, warm ${warm[i]} ms`);
  }
  rmSync(project, { recursive: true, force: true });
  rmSync(aside, { recursive: true, force: true });
  return [
    figure(`compile ${n} models, cold (no target/), whole command`, 's', seconds(cold), { goal: '<= 3', met: median(cold) <= 3000, peak_rss_mb: rss }),
    figure(`compile ${n} models, warm (nothing changed), whole command`, 's', seconds(warm), { goal: '<= 1', met: median(warm) <= 1000 }),
  ];
}
