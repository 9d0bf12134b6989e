/**
 * A run leaves alone a table, incremental model or snapshot of which nothing changed since its last
 * success (issue: performance at the floor): what it reads, and what it is made of.
 */
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunSummary } from '../../runner/src/run/context.js';
import { buildProject } from '../support/build.js';
import { suiteDatabase, type TestDatabase } from '../support/database.js';
import { suiteFolders } from '../support/files.js';

const files = {
  'models/sources.yml': 'sources:\n  - name: raw\n    tables:\n      - name: orders\n        columns: [order_id, amount]\n',
  'models/staging/stg_orders.sql': `{{config materialized="incremental" unique_key="order_id"}}
select order_id::int as order_id, amount::int as amount, _batch_id from {{source "raw" "orders"}}
{{#if is_incremental}}where _batch_id > {{prev.batch_id}}{{/if}}`,
  'models/staging/int_orders.sql': '{{config materialized="view"}}\nselect order_id, amount from {{ref "stg_orders"}}',
  'models/marts/order_totals.sql': 'select count(*) as orders, sum(amount) as amount from {{ref "int_orders"}}',
  'models/marts/outside.sql': 'select count(*) as n from landing.extra',
  'models/marts/schema.yml': 'models:\n  - name: order_totals\n    columns:\n      - name: orders\n        tests: [not_null]\n',
  'data/raw/orders.csv': 'order_id,amount\n1,10\n2,20\n',
};

describe('nodes left alone when nothing of them changed', function () {
  this.timeout(120_000);
  let db: TestDatabase;
  suiteDatabase((d) => (db = d));
  const folder = suiteFolders();
  let dir: string;

  const build = async (more = {}) => {
    const summary = await buildProject(dir, db, { skipIngest: false, ...more });
    expect(summary.exitCode, JSON.stringify(summary.results.filter((r) => r.status !== 'success' && r.status !== 'pass'))).to.equal(0);
    return summary;
  };
  /** The models the run built, as opposed to left alone. */
  const built = (summary: RunSummary) => summary.results
    .filter((r) => r.kind === 'model' && r.status === 'success' && !(r.message ?? '').startsWith('unchanged')).map((r) => r.node).sort();
  const unchanged = (summary: RunSummary) => summary.results
    .filter((r) => (r.message ?? '').startsWith('unchanged: nothing it reads or is made of changed since run')).map((r) => r.node).sort();

  before(async () => {
    await db.sql.unsafe('create schema landing; create table landing.extra (x int); insert into landing.extra values (1)');
    dir = folder(files);
    await build();
  });

  it('should leave alone every table and incremental model when no file landed and nothing was edited', async () => {
    const again = await build();
    expect(unchanged(again)).to.deep.equal(['order_totals', 'stg_orders']);
    // a view is rebuilt every run; a model naming a table itself (not through source or ref) is built too
    expect(built(again)).to.deep.equal(['int_orders', 'outside']);
    const [totals] = await db.sql`select orders::int, amount::int from analytics.order_totals`;
    expect(totals).to.deep.equal({ orders: 2, amount: 30 });
  });

  it('should check no rows again in the data tests of a model left alone, after a pass', async () => {
    const again = await build();
    const test = again.results.find((r) => r.node === 'not_null_order_totals_orders')!;
    expect(test).to.include({ status: 'pass', scope: 'changed rows', rows: 0 });
  });

  it('should build again what reads a newly landed file, through the view between them', async () => {
    writeFileSync(join(dir, 'data', 'raw', 'orders_2.csv'), 'order_id,amount\n3,30\n');
    const next = await build();
    expect(built(next)).to.deep.equal(['int_orders', 'order_totals', 'outside', 'stg_orders']);
    const [totals] = await db.sql`select orders::int, amount::int from analytics.order_totals`;
    expect(totals).to.deep.equal({ orders: 3, amount: 60 });
  });

  it('should build a model again when it or a view it reads was edited', async () => {
    writeFileSync(join(dir, 'models', 'staging', 'int_orders.sql'), '{{config materialized="view"}}\nselect order_id, amount * 2 as amount from {{ref "stg_orders"}}');
    const edited = await build();
    expect(built(edited)).to.include('order_totals');
    expect(unchanged(edited)).to.deep.equal(['stg_orders']);
    const [totals] = await db.sql`select amount::int from analytics.order_totals`;
    expect(totals.amount).to.equal(120);
  });

  it('should build a model again whose data test failed last time, and everything with --full-refresh', async () => {
    await db.sql`update analytics.order_totals set orders = null`;
    const failed = await buildProject(dir, db, { select: 'order_totals', testsOnly: true });
    expect(failed.exitCode).to.equal(1);
    const repaired = await build();
    expect(built(repaired)).to.include('order_totals');
    expect((await db.sql`select orders::int from analytics.order_totals`)[0].orders).to.equal(3);
    expect(unchanged(await build({ fullRefresh: true }))).to.deep.equal([]);
  });
});
