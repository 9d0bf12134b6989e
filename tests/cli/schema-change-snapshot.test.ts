import { expect } from 'chai';
import { suiteFolders, writeFiles } from '../support/files.js';
import { suiteDatabase, type TestDatabase } from '../support/database.js';
import { byNode, readRunResults, runCli } from '../support/cli.js';

/** on_schema_change on snapshots: the tracked columns of the SELECT against the snapshot's table. */
describe('cli: on_schema_change of snapshots', function () {
  this.timeout(120_000);
  let db: TestDatabase;
  suiteDatabase((d) => (db = d));
  const project = suiteFolders('sadp-schema-change-snapshot-');
  const build = (dir: string, ...args: string[]) =>
    runCli(['build-models', '--project-dir', dir, '--threads', '1', ...args], { DATABASE_URL: db.url });
  const typeOf = async (table: string) => Object.fromEntries((await db.sql`select column_name, data_type
    from information_schema.columns where table_schema = 'analytics' and table_name = ${table}`).map((r) => [r.column_name, r.data_type]));

  describe('a snapshot whose SELECT changes', () => {
    let dir: string;
    const events = (email: boolean) => `select * from (values
      (1, 'Ann', 'Bronze', '2026-01-01'::timestamp${email ? `, 'ann@example.com'` : ''}),
      (1, 'Ann', 'Gold', '2026-02-01'::timestamp${email ? `, 'ann@example.com'` : ''}),
      (2, 'Bob', 'Silver', '2026-01-15'::timestamp${email ? `, 'bob@example.com'` : ''})
    ) as events (customer_id, full_name, tier, updated_at${email ? ', email' : ''})`;
    const snapshot = (columns: string, config = '') =>
      `{{config unique_key="customer_id" updated_at="updated_at"${config}}}\nselect ${columns}, updated_at from {{ref "customer_events"}}`;
    const versions = async () => [...await db.sql`select * from analytics.dim_cust order by customer_id, effective_start_date`];
    let first: Record<string, unknown>[];

    before(async () => {
      dir = project({
        'models/marts/customer_events.sql': events(false),
        'models/snapshots/dim_cust.sql': snapshot('customer_id, full_name, tier'),
      });
      const cli = await build(dir);
      expect(cli.code, cli.stderr).to.equal(0);
      first = await versions();
    });

    it('should fail by default, name the tracked column that came and both fixes, and leave the table as it was', async () => {
      writeFiles(dir, {
        'models/marts/customer_events.sql': events(true),
        'models/snapshots/dim_cust.sql': snapshot('customer_id, full_name, tier, email'),
      });
      const cli = await build(dir);
      expect(cli.code, cli.stderr).to.equal(1);
      const message = byNode(readRunResults(dir).results).get('dim_cust')!.message!;
      expect(message).to.include('snapshot "dim_cust" (models/snapshots/dim_cust.sql)');
      expect(message).to.match(/added: +"email" text/);
      expect(message).to.include('on_schema_change="append_new_columns"');
      expect(message).to.include('--full-refresh --select dim_cust');
      expect(await versions()).to.deep.equal(first);
    });

    it('should add the column with append_new_columns, keeping every version and its key', async () => {
      writeFiles(dir, { 'models/snapshots/dim_cust.sql': snapshot('customer_id, full_name, tier, email', ' on_schema_change="append_new_columns"') });
      const cli = await build(dir);
      expect(cli.code, cli.stderr).to.equal(0);
      const after = await versions();
      expect(after.map((r) => r.customer_key)).to.deep.equal(first.map((r) => r.customer_key));
      // every key had events in this run: its versions were recomputed from them, with the new column
      expect(after.map((r) => r.email)).to.deep.equal(['ann@example.com', 'ann@example.com', 'bob@example.com']);
    });

    it('should drop and retype tracked columns with sync_all_columns, keeping every version', async () => {
      writeFiles(dir, { 'models/snapshots/dim_cust.sql':
        snapshot('customer_id, full_name::varchar(40) as full_name, tier', ' on_schema_change="sync_all_columns"') });
      const cli = await build(dir);
      expect(cli.code, cli.stderr).to.equal(0);
      const columns = await typeOf('dim_cust');
      expect(columns).to.not.have.property('email');
      expect(columns.full_name).to.equal('character varying');
      expect((await versions()).map((r) => [r.customer_key, r.full_name, r.tier])).to.deep.equal(first.map((r) => [r.customer_key, r.full_name, r.tier]));
    });

    it('should take the new shape on --full-refresh, keeping its history and keys', async () => {
      writeFiles(dir, { 'models/snapshots/dim_cust.sql': snapshot('customer_id, full_name, tier, email') });
      const cli = await build(dir, '--full-refresh', '--select', 'dim_cust');
      expect(cli.code, cli.stderr).to.equal(0);
      expect((await versions()).map((r) => [r.customer_key, r.email])).to.deep.equal(
        first.map((r, i) => [r.customer_key, ['ann@example.com', 'ann@example.com', 'bob@example.com'][i]]));
    });
  });

  describe('a snapshot without updated_at that gains a column', () => {
    let dir: string;
    const stores = (names: [string, string], region: boolean) => `select * from (values
      (1, '${names[0]}'${region ? `, 'North'` : ''}), (2, '${names[1]}'${region ? `, 'South'` : ''})
    ) as stores (store_id, store_name${region ? ', region' : ''})`;
    const snapshot = (columns: string) =>
      `{{config unique_key="store_id" on_schema_change="append_new_columns"}}\nselect ${columns} from {{ref "stores_src"}}`;
    const versions = async () => [...await db.sql`select store_id, store_name, region, is_current
      from analytics.dim_store_snap order by store_id, effective_start_date`];

    before(async () => {
      dir = project({
        'models/marts/stores_src.sql': stores(['Main St', 'Harbour'], false),
        'models/snapshots/dim_store_snap.sql': snapshot('store_id, store_name'),
      });
      const runs: Record<string, string>[] = [{}, { 'models/marts/stores_src.sql': stores(['Main Street', 'Harbour'], false) }, {
        'models/marts/stores_src.sql': stores(['Main Street', 'Harbour'], true),
        'models/snapshots/dim_store_snap.sql': snapshot('store_id, store_name, region'),
      }];
      for (const files of runs) {
        writeFiles(dir, files);
        const cli = await build(dir);
        expect(cli.code, cli.stderr).to.equal(0);
      }
    });

    it('should open no version for the new column: the current versions take its value, history stays NULL', async () => {
      expect((await versions()).map((r) => [r.store_id, r.store_name, r.region, r.is_current])).to.deep.equal([
        [1, 'Main St', null, false], [1, 'Main Street', 'North', true], [2, 'Harbour', 'South', true]]);
    });

    it('should open versions on the next run only for what changed', async () => {
      writeFiles(dir, { 'models/marts/stores_src.sql': stores(['Main Street', 'Harbour Front'], true) });
      const cli = await build(dir);
      expect(cli.code, cli.stderr).to.equal(0);
      expect((await versions()).map((r) => [r.store_id, r.store_name, r.region])).to.deep.equal([
        [1, 'Main St', null], [1, 'Main Street', 'North'], [2, 'Harbour', 'South'], [2, 'Harbour Front', 'South']]);
    });
  });
});
