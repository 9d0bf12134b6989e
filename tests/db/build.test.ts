import { expect } from 'chai';
import { collectingLogger } from '../../runner/src/log.js';
import type { RunSummary } from '../../runner/src/run/context.js';
import { runPipeline } from '../../runner/src/run/pipeline.js';
import { suiteFolders, writeFiles } from '../support/files.js';
import { suiteDatabase, type TestDatabase } from '../support/database.js';
import { byNode } from '../support/cli.js';
import { buildProject } from '../support/build.js';

/** Five models over a landing table the test controls: view, ephemeral, table with a macro, incremental, view. */
const fiveModels: Record<string, string> = {
  'macros/cents.sql': '{{!-- an amount in whole cents --}}\nround({{args.[0]}} * 100)::bigint',
  'models/staging/stg_orders.sql': `
select order_id, customer, amount, updated_at
from landing.orders`,
  'models/staging/int_big_orders.sql': `{{config materialized="ephemeral"}}
select order_id, customer, amount, updated_at from {{ref "stg_orders"}} where amount >= 10`,
  'models/marts/customer_totals.sql': `
select customer, sum({{cents "amount"}}) as total_cents, count(*) as orders
from {{ref "stg_orders"}}
group by customer`,
  'models/marts/big_orders.sql': `{{config materialized="incremental" unique_key="order_id"}}
select order_id, customer, amount, updated_at
from {{ref "int_big_orders"}}
{{#if is_incremental}}
where updated_at > (select max(updated_at) from {{this}})
{{/if}}`,
  'models/marts/order_report.sql': `{{config materialized="view"}}
select big.order_id, big.amount, totals.total_cents
from {{ref "big_orders"}} as big
inner join {{ref "customer_totals"}} as totals on totals.customer = big.customer`,
};

describe('runner: building a project', function () {
  this.timeout(60_000);
  let db: TestDatabase;
  suiteDatabase((d) => (db = d));
  const project = suiteFolders();

  describe('five models with a macro', () => {
    let dir: string;
    let first: RunSummary;

    before(async () => {
      await db.sql`create schema landing`;
      await db.sql`create table landing.orders (order_id int, customer text, amount numeric(12,2), updated_at timestamp)`;
      await db.sql`insert into landing.orders values
        (1, 'ann', 12.50, '2025-01-01 10:00'), (2, 'ann', 3.00, '2025-01-01 11:00'),
        (3, 'bob', 40.00, '2025-01-02 09:00'), (4, 'cid', 10.00, '2025-01-02 12:00')`;
      dir = project(fiveModels);
      first = await buildProject(dir, db);
    });

    it('should succeed and build every non-ephemeral model', () => {
      expect(first.exitCode, JSON.stringify(first.results)).to.equal(0);
      const models = first.results.filter((r) => r.kind === 'model').map((r) => r.node).sort();
      expect(models).to.deep.equal(['big_orders', 'customer_totals', 'order_report', 'stg_orders']);
      expect(first.results.every((r) => r.status === 'success')).to.equal(true);
    });

    it('should start every model only after the models it refers to have finished', () => {
      const at = byNode(first.results as never);
      const parents: Record<string, string[]> = {
        customer_totals: ['stg_orders'], big_orders: ['stg_orders'], order_report: ['big_orders', 'customer_totals'],
      };
      for (const [child, ps] of Object.entries(parents)) {
        for (const p of ps) expect(Date.parse(at.get(child)!.started_at!)).to.be.at.least(Date.parse(at.get(p)!.finished_at!));
      }
    });

    it('should create each model with its materialization and leave the ephemeral one out of the database', async () => {
      const rels = await db.sql`select table_schema || '.' || table_name as name, table_type from information_schema.tables
        where table_schema in ('staging', 'analytics') order by 1`;
      expect(rels.map((r) => [r.name, r.table_type])).to.deep.equal([
        ['analytics.big_orders', 'BASE TABLE'], ['analytics.customer_totals', 'BASE TABLE'],
        ['analytics.order_report', 'VIEW'], ['staging.stg_orders', 'VIEW'],
      ]);
    });

    it('should compute the rows of the table through the macro', async () => {
      const rows = await db.sql`select customer, total_cents::int as cents, orders::int from analytics.customer_totals order by customer`;
      expect(rows.map((r) => [r.customer, r.cents, r.orders])).to.deep.equal([['ann', 1550, 2], ['bob', 4000, 1], ['cid', 1000, 1]]);
    });

    it('should fill the incremental model from the inlined ephemeral model', async () => {
      const rows = await db.sql`select order_id, amount::text from analytics.big_orders order by order_id`;
      expect(rows.map((r) => [r.order_id, r.amount])).to.deep.equal([[1, '12.50'], [3, '40.00'], [4, '10.00']]);
      const report = await db.sql`select order_id, total_cents::int as cents from analytics.order_report order by order_id`;
      expect(report.map((r) => [r.order_id, r.cents])).to.deep.equal([[1, 1550], [3, 4000], [4, 1000]]);
    });

    it('should merge only new and changed keys into the incremental model on the next run', async () => {
      const before = await db.sql`select order_id, xmin::text as xmin from analytics.big_orders order by order_id`;
      await db.sql`update landing.orders set amount = 55.00, updated_at = '2025-01-03 08:00' where order_id = 3`;
      await db.sql`insert into landing.orders values (5, 'bob', 20.00, '2025-01-03 09:00'), (6, 'dee', 1.00, '2025-01-03 10:00')`;
      const second = await buildProject(dir, db);
      expect(second.exitCode).to.equal(0);
      const inc = second.results.find((r) => r.node === 'big_orders')!;
      expect(inc.rows).to.equal(2); // order 3 (changed) and order 5 (new); 6 is too small
      const after = await db.sql`select order_id, amount::text, xmin::text as xmin from analytics.big_orders order by order_id`;
      expect(after.map((r) => [r.order_id, r.amount])).to.deep.equal([[1, '12.50'], [3, '55.00'], [4, '10.00'], [5, '20.00']]);
      // rows of keys the run did not bring were not rewritten
      const untouched = (id: number, rows: typeof before) => rows.find((r) => r.order_id === id)!.xmin;
      expect(untouched(1, after)).to.equal(untouched(1, before));
      expect(untouched(4, after)).to.equal(untouched(4, before));
      expect(untouched(3, after)).to.not.equal(untouched(3, before));
      const [{ n }] = await db.sql`select count(*)::int as n from analytics.big_orders where order_id = 3`;
      expect(n).to.equal(1);
    });

    it('should rebuild the incremental model from scratch with --full-refresh', async () => {
      await db.sql`delete from landing.orders where order_id = 1`;
      const run = await buildProject(dir, db, { fullRefresh: true });
      expect(run.exitCode).to.equal(0);
      const ids = await db.sql`select order_id from analytics.big_orders order by order_id`;
      expect(ids.map((r) => r.order_id)).to.deep.equal([3, 4, 5]);
    });
  });

  describe('relations that users build on models', () => {
    it("should keep a user's own view on a model table through a rebuild, showing the new rows", async () => {
      await db.sql`create table landing.stock (item text, qty int)`;
      await db.sql`insert into landing.stock values ('apple', 3)`;
      const dir = project({ 'models/marts/stock_levels.sql': 'select item, qty from landing.stock' });
      expect((await buildProject(dir, db)).exitCode).to.equal(0);
      await db.sql`create view public.my_stock as select item, qty * 2 as double_qty from analytics.stock_levels`;
      await db.sql`insert into landing.stock values ('pear', 5)`;
      const again = await buildProject(dir, db);
      expect(again.exitCode).to.equal(0);
      const rows = await db.sql`select item, double_qty from public.my_stock order by item`;
      expect(rows.map((r) => [r.item, r.double_qty])).to.deep.equal([['apple', 6], ['pear', 10]]);
    });

    it("should keep a user's own view on a model view through a rebuild", async () => {
      const dir = project({ 'models/staging/stg_stock.sql': 'select item, qty from landing.stock' });
      expect((await buildProject(dir, db)).exitCode).to.equal(0);
      await db.sql`create view public.my_stg_stock as select item from staging.stg_stock`;
      writeFiles(dir, { 'models/staging/stg_stock.sql': 'select item, qty from landing.stock where qty > 3' });
      expect((await buildProject(dir, db)).exitCode).to.equal(0);
      const rows = await db.sql`select item from public.my_stg_stock`;
      expect(rows.map((r) => r.item)).to.deep.equal(['pear']);
    });

    it('should recreate a view model whose columns changed', async () => {
      const dir = project({ 'models/staging/stg_shape.sql': 'select 1 as a, 2 as b' });
      expect((await buildProject(dir, db)).exitCode).to.equal(0);
      writeFiles(dir, { 'models/staging/stg_shape.sql': `select 'x'::text as c, 1 as a` });
      const run = await buildProject(dir, db);
      expect(run.exitCode, JSON.stringify(run.results)).to.equal(0);
      const cols = await db.sql`select column_name from information_schema.columns
        where table_schema = 'staging' and table_name = 'stg_shape' order by ordinal_position`;
      expect(cols.map((c) => c.column_name)).to.deep.equal(['c', 'a']);
      const [row] = await db.sql`select c, a from staging.stg_shape`;
      expect([row.c, row.a]).to.deep.equal(['x', 1]);
    });

    it('should turn a view model into a table when its materialization changes', async () => {
      const dir = project({ 'models/staging/stg_kind.sql': 'select 1 as a' });
      expect((await buildProject(dir, db)).exitCode).to.equal(0);
      writeFiles(dir, { 'models/staging/stg_kind.sql': '{{config materialized="table"}}\nselect 2 as a' });
      expect((await buildProject(dir, db)).exitCode).to.equal(0);
      const [{ kind }] = await db.sql`select c.relkind as kind from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'staging' and c.relname = 'stg_kind'`;
      expect(kind).to.equal('r');
      const [{ a }] = await db.sql`select a from staging.stg_kind`;
      expect(a).to.equal(2);
    });
  });

  describe('a config key with a typo', () => {
    it('should warn about an unknown config key, naming the closest key, and still build', async () => {
      const dir = project({ 'models/marts/wide.sql': '{{config materialised="table" tags="daily"}}\nselect 1 as one' });
      const logger = collectingLogger();
      const summary = await runPipeline({ projectDir: dir, command: 'build-models', databaseUrl: db.url, logger });
      expect(summary.exitCode).to.equal(0);
      const warnings = logger.events.filter((e) => e.event === 'warn').map((e) => e.message);
      expect(warnings.some((w) => w!.includes('"materialised"') && w!.includes('did you mean "materialized"'))).to.equal(true);
      const [{ n }] = await db.sql`select count(*)::int as n from analytics.wide`;
      expect(n).to.equal(1);
    });
  });
});
