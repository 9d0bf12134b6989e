import { expect } from 'chai';
import { rmSync } from 'node:fs';
import { collectingLogger } from '../../runner/src/log.js';
import { runPipeline } from '../../runner/src/run/pipeline.js';
import { makeProject, writeFiles } from '../support/files.js';
import { createDatabase, type TestDatabase } from '../support/database.js';

describe('meta.node_runs', function () {
  let db: TestDatabase;
  let dir: string;

  before(async function () {
    db = await createDatabase();
    dir = makeProject({
      'models/staging/stg_items.sql': 'select * from (values (1, 10), (2, 20), (3, 30)) as items (item_id, price)\n',
      'models/intermediate/int_expensive_items.sql': 'select * from {{ref "stg_items"}} where price > 10\n',
      'models/marts/dim_items.sql': 'select * from {{ref "int_expensive_items"}}\n',
      'models/marts/fact_prices.sql': 'select item_id, price from {{ref "stg_items"}}\n',
    }, 'sadp-node-runs-');
  });

  after(async function () {
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const nodeRuns = (runId: number) => db.sql`
    select node, status, ms, rows, started_at, finished_at from meta.node_runs where run_id = ${runId} order by node`;

  it('should hold one row per built node with its status, duration and rows', async function () {
    const summary = await runPipeline({ projectDir: dir, command: 'build-models', databaseUrl: db.url, threads: 2, logger: collectingLogger() });
    expect(summary.status).to.equal('success');
    const rows = await nodeRuns(summary.run_id);
    expect(rows.map((r) => r.node)).to.deep.equal(['dim_items', 'fact_prices', 'stg_items']); // the ephemeral model is inlined, not run
    const byNode = new Map(rows.map((r) => [r.node, r]));
    for (const r of rows) {
      expect(r.status, r.node).to.equal('success');
      expect(Number(r.ms), r.node).to.be.a('number').and.at.least(0);
      expect(r.started_at, r.node).to.be.instanceOf(Date);
      expect(r.finished_at.getTime(), r.node).to.be.at.least(r.started_at.getTime());
    }
    expect(Number(byNode.get('dim_items')!.rows)).to.equal(2);
    expect(Number(byNode.get('fact_prices')!.rows)).to.equal(3);
    expect(byNode.get('stg_items')!.rows).to.equal(null); // a view counts no rows
    const reported = new Map(summary.results.map((r) => [r.node, r.ms]));
    for (const r of rows) expect(Number(r.ms), r.node).to.equal(reported.get(r.node));
  });

  it('should record a failed node and the nodes skipped because of it', async function () {
    writeFiles(dir, { 'models/marts/fact_prices.sql': 'select item_id, price / 0 as price from {{ref "stg_items"}}\n',
      'models/marts/agg_prices.sql': 'select count(*) as n from {{ref "fact_prices"}}\n' });
    const summary = await runPipeline({ projectDir: dir, command: 'build-models', databaseUrl: db.url, threads: 2, logger: collectingLogger() });
    expect(summary.status).to.equal('error');
    const byNode = new Map((await nodeRuns(summary.run_id)).map((r) => [r.node, r]));
    expect([...byNode.keys()].sort()).to.deep.equal(['agg_prices', 'dim_items', 'fact_prices', 'stg_items']);
    expect(byNode.get('fact_prices')!.status).to.equal('error');
    expect(byNode.get('agg_prices')!.status).to.equal('skipped');
    expect(byNode.get('dim_items')!.status).to.equal('success');
  });
});
