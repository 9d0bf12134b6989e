import { expect } from 'chai';
import { compiledSql } from '../../runner/src/compile/compile.js';
import { prepare } from '../../runner/src/compile/prepare.js';
import { readCatalog } from '../../runner/src/db/catalog.js';
import type { Sql } from '../../runner/src/db/connection.js';
import { ensureMeta } from '../../runner/src/db/meta.js';
import { statement } from '../../runner/src/sql/statements.js';
import { collectingLogger } from '../../runner/src/log.js';
import { materialize, NodeSqlError, type NodeOutcome } from '../../runner/src/run/materialize.js';
import { loadTemplates } from '../../runner/src/sql/templates.js';
import { suiteFolders, writeFiles } from '../support/files.js';
import { suiteDatabase, type TestDatabase } from '../support/database.js';

/**
 * One node's materialization (runner/templates/postgres/materializations/*.sql) run as the pipeline runs
 * it: compiled from a model file, against the catalog as it stands, on one reserved connection.
 */
describe('materialize: one node into the database', function () {
  let db: TestDatabase;
  suiteDatabase((d) => (db = d));
  const folder = suiteFolders('sadp-materialize-');
  const templates = loadTemplates('materializations');
  let dir: string;
  let runId = 0;

  /** Writes `models/<name>.sql` and materializes it as the next run would; `ran.xid` is the writing transaction's. */
  async function build(name: string, text: string, options: { fullRefresh?: boolean } = {}): Promise<NodeOutcome> {
    writeFiles(dir, { [`models/${name}.sql`]: text });
    const { compiled } = prepare(dir, collectingLogger());
    const node = compiled.nodes.get(name)!;
    const catalog = await readCatalog(db.sql as unknown as Sql, [node.config.schema]);
    const conn = await db.sql.reserve();
    try {
      return await materialize(conn as never, node, compiledSql(node, compiled), {
        runId: ++runId, fullRefresh: Boolean(options.fullRefresh), catalog, templates,
      });
    } finally {
      conn.release();
    }
  }
  const failure = (e: unknown) => ((e as NodeSqlError).cause as Error).message;
  const oid = async (relation: string) => (await db.sql`select ${relation}::regclass::oid::int as oid`)[0].oid as number;
  const buildRelations = () => db.sql`select relname from pg_class where relname like '%\\_\\_sadp\\_%'`;

  before(async () => {
    dir = folder();
    await ensureMeta(db.sql as unknown as Sql);
    await db.sql.unsafe(`${statement('ingest/rejected-rows')};
      create schema analytics; create schema landing;
      create table landing.orders (order_id int, status text);
      insert into landing.orders values (1, 'new'), (2, 'new');`);
  });

  describe('a table', () => {
    const model = '{{config materialized="table"}}\nselect order_id, status from landing.orders';

    it('should be built beside the old table and swapped in, leaving no build table behind', async () => {
      const first = await build('orders', model);
      expect(first.rows).to.equal(2);
      const before = await oid('analytics.orders');
      await db.sql`insert into landing.orders values (3, 'new')`;
      const second = await build('orders', model);
      expect(second.rows).to.equal(3);
      expect(second.sql).to.include('"analytics"."orders__sadp_tmp_');
      expect(await oid('analytics.orders')).not.to.equal(before);
      expect((await db.sql`select order_id from analytics.orders order by 1`).map((r) => r.order_id)).to.deep.equal([1, 2, 3]);
      expect(await buildRelations()).to.deep.equal([]);
    });

    it('should make the indexes its config lists: a column, columns in parentheses, an expression', async () => {
      await build('indexed', '{{config materialized="table" indexes="order_id, (status, order_id), (lower(status))"}}\n' +
        'select order_id, status from landing.orders');
      const defs = (await db.sql`select indexdef from pg_indexes where schemaname = 'analytics' and tablename = 'indexed' order by 1`)
        .map((r) => String(r.indexdef).replace(/^.* USING btree /, ''));
      expect(defs).to.have.members(['(order_id)', '(status, order_id)', '(lower(status))']);
    });

    it('should keep one of each index when it is refilled in place again and again (a view depends on it)', async () => {
      const model = '{{config materialized="incremental" unique_key="order_id" indexes="status, (status, order_id)"}}\n' +
        'select order_id, status from landing.orders';
      await build('refilled', model);
      await db.sql`create view analytics.refilled_view as select * from analytics.refilled`;
      for (let i = 0; i < 3; i++) await build('refilled', model, { fullRefresh: true });
      const defs = (await db.sql`select indexdef from pg_indexes where schemaname = 'analytics' and tablename = 'refilled' order by 1`)
        .map((r) => String(r.indexdef).replace(/^CREATE (UNIQUE )?INDEX \S+ ON \S+ USING btree /, '$1'));
      expect(defs).to.have.members(['UNIQUE (order_id)', '(status)', '(status, order_id)']);
      expect((await db.sql`select count(*)::int as n from analytics.refilled_view`)[0].n).to.equal(3);
      await db.sql`drop view analytics.refilled_view`;
    });

    it('should refill the table in place when a user\'s view depends on it, so that the view survives (no CASCADE)', async () => {
      await db.sql`create view public.open_orders as select order_id from analytics.orders where status = 'new'`;
      const before = await oid('analytics.orders');
      await db.sql`insert into landing.orders values (4, 'new')`;
      const out = await build('orders', model);
      expect(out.rows).to.equal(4);
      expect(out.sql).not.to.match(/cascade/i);
      expect(await oid('analytics.orders')).to.equal(before);
      expect((await db.sql`select order_id from public.open_orders order by 1`).map((r) => r.order_id)).to.deep.equal([1, 2, 3, 4]);
      expect(await buildRelations()).to.deep.equal([]);
    });

    it('should leave the old table as it was when the build fails, all or nothing', async () => {
      // fails in the SELECT, before anything is replaced
      let error: unknown;
      await build('orders', '{{config materialized="table"}}\nselect order_id, 1 / (order_id - 4) as status from landing.orders')
        .catch((e) => (error = e));
      expect(error).to.be.instanceOf(NodeSqlError);
      expect(failure(error)).to.include('division by zero');
      // fails after the old rows were taken out (the view's table is refilled in place): they come back
      error = undefined;
      await build('orders', '{{config materialized="table"}}\nselect order_id, status, 1 as extra from landing.orders')
        .catch((e) => (error = e));
      expect(failure(error)).to.match(/more expressions than target columns/);
      expect((await db.sql`select order_id, status from analytics.orders order by 1`).map((r) => [r.order_id, r.status]))
        .to.deep.equal([[1, 'new'], [2, 'new'], [3, 'new'], [4, 'new']]);
      expect((await db.sql`select count(*)::int as n from public.open_orders`)[0].n).to.equal(4);
      expect(await buildRelations()).to.deep.equal([]);
      await db.sql`drop view public.open_orders`;
    });
  });

  describe('a view', () => {
    it('should be replaced in place, so that a view built on it keeps working', async () => {
      await build('order_status', 'select order_id, status from landing.orders where order_id < 3');
      await db.sql`create view public.order_ids as select order_id from analytics.order_status`;
      const before = await oid('analytics.order_status');
      const out = await build('order_status', 'select order_id, status from landing.orders where order_id < 4');
      expect(out.rows).to.equal(null);
      expect(await oid('analytics.order_status')).to.equal(before);
      expect((await db.sql`select order_id from public.order_ids order by 1`).map((r) => r.order_id)).to.deep.equal([1, 2, 3]);
      await db.sql`drop view public.order_ids`;
    });

    it('should be dropped and created again when its columns change', async () => {
      const out = await build('order_status', 'select status, order_id::text as order_ref from landing.orders');
      expect(out.sql).to.match(/drop view if exists "analytics"."order_status"/);
      const columns = await db.sql`select column_name, data_type from information_schema.columns
        where table_schema = 'analytics' and table_name = 'order_status' order by ordinal_position`;
      expect(columns.map((c) => [c.column_name, c.data_type])).to.deep.equal([['status', 'text'], ['order_ref', 'text']]);
    });

    it('should take the place of a table of the same name', async () => {
      await build('order_kind', '{{config materialized="table"}}\nselect 1 as kind');
      await build('order_kind', 'select 2 as kind');
      const [{ relkind }] = await db.sql`select relkind from pg_class where oid = 'analytics.order_kind'::regclass`;
      expect(relkind).to.equal('v');
      expect((await db.sql`select kind from analytics.order_kind`)[0].kind).to.equal(2);
    });
  });

  describe('an incremental model', () => {
    const model = '{{config materialized="incremental" unique_key="order_id"}}\nselect order_id, status from landing.orders';
    const rows = () => db.sql`select order_id, status, xmin::text as xmin from analytics.order_log order by order_id`;

    it('should merge on unique_key: replace the rows of keys it brings, add new keys, rewrite nothing unchanged', async () => {
      const first = await build('order_log', model);
      expect(first.rows).to.equal(4);
      expect(first.written).to.equal(undefined); // a first build: every row is new
      const before = await rows();
      await db.sql`update landing.orders set status = 'paid' where order_id = 2`;
      await db.sql`insert into landing.orders values (5, 'new')`;
      const merge = await build('order_log', model);
      expect(merge.rows).to.equal(2);
      const after = await rows();
      expect(after.map((r) => [r.order_id, r.status])).to.deep.equal([[1, 'new'], [2, 'paid'], [3, 'new'], [4, 'new'], [5, 'new']]);
      const rewritten = after.filter((r) => r.xmin !== before.find((b) => b.order_id === r.order_id)?.xmin).map((r) => r.order_id);
      expect(rewritten).to.deep.equal([2, 5]);
      expect(merge.written?.columns).to.deep.equal(['"order_id"']);
      expect((await db.sql.unsafe(`select order_id from ${merge.written!.relation} order by 1`)).map((r) => r.order_id))
        .to.deep.equal([2, 5]);
      expect(after.find((r) => r.order_id === 1)!.xmin).to.equal(before.find((r) => r.order_id === 1)!.xmin);
      const [state] = await db.sql`select run_id from meta.node_state where node = 'order_log'`;
      expect(Number(state.run_id)).to.equal(runId);
    });

    it('should leave the table and its watermark as they were when the merge fails', async () => {
      const before = await rows();
      const [state] = await db.sql`select run_id from meta.node_state where node = 'order_log'`;
      let error: unknown;
      await build('order_log', '{{config materialized="incremental" unique_key="order_id"}}\n' +
        'select order_id, case when order_id = 5 then (1 / 0)::text else \'void\' end as status from landing.orders')
        .catch((e) => (error = e));
      expect(failure(error)).to.include('division by zero');
      expect(await rows()).to.deep.equal(before);
      expect((await db.sql`select run_id from meta.node_state where node = 'order_log'`)[0].run_id).to.equal(state.run_id);
    });

    it('should send the rows with a reject_column to staging.rejected_rows, and keep the others', async () => {
      await db.sql`create table landing.deliveries (delivery_id text, _file text, _line bigint, _batch_id bigint)`;
      await db.sql`insert into landing.deliveries values ('1', 'deliveries.csv', 2, 1), ('x', 'deliveries.csv', 3, 1), ('3', 'deliveries.csv', 4, 1)`;
      const text = '{{config materialized="incremental" unique_key="delivery_id" reject_column="problem"}}\n' +
        'select case when delivery_id ~ \'^[0-9]+$\' then delivery_id::int end as delivery_id, _file, _line, _batch_id,\n' +
        '  case when delivery_id !~ \'^[0-9]+$\' then \'delivery_id is not an integer\' end as problem\nfrom landing.deliveries';
      const rejected = () => db.sql`select source, file, line::int, reason, stage, batch_id::int from staging.rejected_rows order by line`;
      const first = await build('deliveries', text);
      expect(first.rows).to.equal(2);
      expect((await db.sql`select delivery_id from analytics.deliveries order by 1`).map((r) => r.delivery_id)).to.deep.equal([1, 3]);
      const columns = await db.sql`select column_name from information_schema.columns
        where table_schema = 'analytics' and table_name = 'deliveries' order by ordinal_position`;
      expect(columns.map((c) => c.column_name)).to.deep.equal(['delivery_id', '_file', '_line', '_batch_id']);
      const expected = [{ source: 'deliveries', file: 'deliveries.csv', line: 3, reason: 'delivery_id is not an integer', stage: 'staging', batch_id: 1 }];
      expect(await rejected()).to.deep.equal(expected);
      // a full refresh records the rejects again in place of the old ones
      expect((await build('deliveries', text, { fullRefresh: true })).rows).to.equal(2);
      expect(await rejected()).to.deep.equal(expected);
    });
  });
});
