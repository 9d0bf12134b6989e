import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/cli.js';
import { adminUrl } from '../support/database.js';

/** `npm run bench` on a tiny scale: every figure with its goal, and the pipeline's two builds equal. */
describe('bench', function () {
  this.timeout(240_000);
  let dir: string;

  before(() => (dir = mkdtempSync(join(os.tmpdir(), 'sadp-bench-test-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('should measure the shipped project against the hand-written SQL and psql, with goals', async function () {
    const r = await runCli(['bench', '--project-dir', dir, '--only', 'pipeline,ingest', '--sales', '3000', '--customers', '300',
      '--ingest-rows', '5000', '--runs', '1'], { DATABASE_URL: adminUrl });
    expect(r.code, r.stderr).to.equal(0);
    for (const figure of ['full build: runner / hand-written (medians)', 'incremental / full refresh (medians); tables identical: true',
      'ingest: runner / psql \\copy (rows/s, medians)']) {
      expect(r.stdout).to.include(figure);
    }
    const bench = JSON.parse(readFileSync(join(dir, 'target', 'bench.json'), 'utf8')) as
      { figures: { name: string; goal?: string; samples: number[] }[]; where: string[] };
    expect(bench.figures.filter((f) => f.goal).map((f) => f.goal)).to.deep.equal(['<= 1.0', '<= 0.1', '>= 0.9']);
    for (const f of bench.figures) expect(f.samples.every((s) => s > 0), f.name).to.equal(true);
    expect(bench.where.join('\n')).to.match(/full build \(last\): .*fact_sales [\d.]+ s/);
    expect(r.stdout).to.include('where the time goes');
  });
});
