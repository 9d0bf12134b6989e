import { expect } from 'chai';
import { suiteFolders, writeFiles } from '../support/files.js';
import { suiteDatabase, type TestDatabase } from '../support/database.js';
import { byNode, readRunResults, runCli, type CliResult } from '../support/cli.js';

/** Sales rows 1..n as a table model: (sale_id, quantity, revenue, store_code, note). */
const salesSource = (n: number, note = (i: number) => `'n${i}'`) =>
  `select * from (values ${Array.from({ length: n }, (_, k) => k + 1)
    .map((i) => `(${i}, ${i + 1}, ${i * 10}.50::numeric(12,2), ${i % 2 + 1}, ${note(i)}::text)`).join(', ')})\n` +
  'as sales (sale_id, quantity, revenue, store_code, note)';

const incremental = (columns: string, config = '') =>
  `{{config materialized="incremental" unique_key="sale_id"${config}}}\n` +
  `select ${columns}\nfrom {{ref "sales_src"}}\n` +
  '{{#if is_incremental}}where sale_id > (select max(sale_id) from {{this}}){{/if}}';

async function columnsOf(db: TestDatabase, table: string) {
  const rows = await db.sql`select column_name, data_type from information_schema.columns
    where table_schema = 'analytics' and table_name = ${table} order by ordinal_position`;
  return Object.fromEntries(rows.map((r) => [r.column_name, r.data_type]));
}

describe('cli: on_schema_change', function () {
  this.timeout(120_000);
  let db: TestDatabase;
  suiteDatabase((d) => (db = d));
  const project = suiteFolders('sadp-schema-change-');
  const build = (dir: string, ...args: string[]) =>
    runCli(['build-models', '--project-dir', dir, '--threads', '1', ...args], { DATABASE_URL: db.url });

  describe('an incremental model that gains a column', () => {
    let dir: string;
    let failed: CliResult;
    const columns = 'sale_id, quantity, revenue, store_code';
    const withUnitRevenue = `${columns}, (revenue / quantity)::numeric(12,2) as unit_revenue`;

    before(async () => {
      dir = project({
        'models/marts/sales_src.sql': salesSource(3),
        'models/marts/fact_sales.sql': incremental(columns),
        'models/marts/sales_report.sql': '{{config materialized="view"}}\nselect count(*) as sales from {{ref "fact_sales"}}',
      });
      const first = await build(dir);
      expect(first.code, first.stderr).to.equal(0);
      writeFiles(dir, { 'models/marts/sales_src.sql': salesSource(5), 'models/marts/fact_sales.sql': incremental(withUnitRevenue) });
      failed = await build(dir);
    });

    it('should fail the node with exit code 1 and skip what reads it, by default', () => {
      expect(failed.code, failed.stderr).to.equal(1);
      const results = byNode(readRunResults(dir).results);
      expect(results.get('fact_sales')!.status).to.equal('error');
      expect(results.get('sales_report')!.status).to.equal('skipped');
    });

    it('should name the model, the added column with its type, and both fixes', () => {
      const message = byNode(readRunResults(dir).results).get('fact_sales')!.message!;
      expect(message).to.include('"fact_sales" (models/marts/fact_sales.sql)');
      expect(message).to.match(/added: +"unit_revenue" numeric\(12,2\)/);
      expect(message).to.include('on_schema_change="append_new_columns"');
      expect(message).to.include('"sync_all_columns"');
      expect(message).to.include('--full-refresh --select fact_sales');
      expect(failed.stderr).to.include('unit_revenue');
    });

    it('should leave the table untouched', async () => {
      expect(Object.keys(await columnsOf(db, 'fact_sales'))).to.deep.equal(['sale_id', 'quantity', 'revenue', 'store_code']);
      const [{ n }] = await db.sql`select count(*)::int as n from analytics.fact_sales`;
      expect(n).to.equal(3);
    });

    describe('with on_schema_change="append_new_columns"', () => {
      let appended: CliResult;
      let merged: Record<string, unknown>[];

      before(async () => {
        writeFiles(dir, { 'models/marts/fact_sales.sql': incremental(withUnitRevenue, ' on_schema_change="append_new_columns"') });
        appended = await build(dir);
        merged = [...await db.sql`select sale_id, quantity, revenue, store_code, unit_revenue from analytics.fact_sales order by sale_id`];
      });

      it('should add the column and merge the new rows', () => {
        expect(appended.code, appended.stderr).to.equal(0);
        expect(merged.map((r) => r.sale_id)).to.deep.equal([1, 2, 3, 4, 5]);
      });

      it('should leave the rows already there NULL in the new column and fill it in the new rows', () => {
        expect(merged.slice(0, 3).map((r) => r.unit_revenue)).to.deep.equal([null, null, null]);
        expect(merged.slice(3).map((r) => r.unit_revenue)).to.deep.equal(['8.10', '8.42']);
      });

      it('should give the new rows what a full refresh gives them', async () => {
        const refreshed = await build(dir, '--full-refresh', '--select', 'fact_sales');
        expect(refreshed.code, refreshed.stderr).to.equal(0);
        const rebuilt = await db.sql`select sale_id, quantity, revenue, store_code, unit_revenue from analytics.fact_sales order by sale_id`;
        expect(rebuilt.slice(3)).to.deep.equal(merged.slice(3));
        expect(rebuilt[0].unit_revenue).to.equal('5.25');
      });

      it('should build, not leave alone, a model whose SQL alone changed, and add its new column', async () => {
        writeFiles(dir, { 'models/marts/fact_sales.sql':
          incremental(`${withUnitRevenue}, 'store ' || store_code as store_label`, ' on_schema_change="append_new_columns"') });
        const cli = await build(dir, '--select', 'fact_sales');
        expect(cli.code, cli.stderr).to.equal(0);
        expect(byNode(readRunResults(dir).results).get('fact_sales')!.message ?? '').to.not.include('unchanged');
        expect(await columnsOf(db, 'fact_sales')).to.have.property('store_label', 'text');
      });
    });
  });

  describe('an incremental model with on_schema_change="sync_all_columns"', () => {
    let dir: string;
    let synced: CliResult;
    const sync = ' on_schema_change="sync_all_columns"';

    before(async () => {
      dir = project({
        'models/marts/sales_src.sql': salesSource(2),
        'models/marts/fact_synced.sql': incremental('sale_id, quantity, store_code, note', sync),
      });
      const first = await build(dir);
      expect(first.code, first.stderr).to.equal(0);
      writeFiles(dir, {
        'models/marts/sales_src.sql': salesSource(3),
        'models/marts/fact_synced.sql': incremental(`sale_id, store_code::text as store_code, note, 'web' as channel`, sync),
      });
      synced = await build(dir);
    });

    it('should drop the removed column, retype the changed one and add the new one', async () => {
      expect(synced.code, synced.stderr).to.equal(0);
      expect(await columnsOf(db, 'fact_synced')).to.deep.equal({ sale_id: 'integer', store_code: 'text', note: 'text', channel: 'text' });
    });

    it('should keep the values of the rows already there, cast to the new type', async () => {
      const rows = await db.sql`select sale_id, store_code, channel from analytics.fact_synced order by sale_id`;
      expect(rows.map((r) => [r.sale_id, r.store_code, r.channel])).to.deep.equal([[1, '2', null], [2, '1', null], [3, '2', 'web']]);
    });

    it('should fail clearly, and write nothing, when the values cannot take the new type', async () => {
      writeFiles(dir, {
        'models/marts/sales_src.sql': salesSource(4),
        // the stored notes ('n1', …) are no integers
        'models/marts/fact_synced.sql': incremental(
          `sale_id, store_code::text as store_code, case when sale_id > 3 then 1 end as note, 'web' as channel`, sync),
      });
      const cli = await build(dir);
      expect(cli.code, cli.stderr).to.equal(1);
      const message = byNode(readRunResults(dir).results).get('fact_synced')!.message!;
      expect(message).to.include('cannot change column "note" from text to integer');
      expect(message).to.include('invalid input syntax for type integer');
      expect(message).to.include('--full-refresh --select fact_synced');
      expect(await columnsOf(db, 'fact_synced')).to.deep.equal({ sale_id: 'integer', store_code: 'text', note: 'text', channel: 'text' });
      const [{ n }] = await db.sql`select count(*)::int as n from analytics.fact_synced`;
      expect(n).to.equal(3);
    });
  });

  describe('an incremental model with on_schema_change="ignore"', () => {
    it('should merge the columns the table has: a new one stays out, a removed one gets NULL', async () => {
      const ignore = ' on_schema_change="ignore"';
      const dir = project({
        'models/marts/sales_src.sql': salesSource(2),
        'models/marts/fact_ignoring.sql': incremental('sale_id, quantity, note', ignore),
      });
      const first = await build(dir);
      expect(first.code, first.stderr).to.equal(0);
      writeFiles(dir, { 'models/marts/sales_src.sql': salesSource(3), 'models/marts/fact_ignoring.sql': incremental('sale_id, note, store_code', ignore) });
      const cli = await build(dir);
      expect(cli.code, cli.stderr).to.equal(0);
      expect(Object.keys(await columnsOf(db, 'fact_ignoring'))).to.deep.equal(['sale_id', 'quantity', 'note']);
      expect(cli.stderr).to.include('fact_ignoring: on_schema_change=\\"ignore\\": \\"store_code\\" not added');
      const rows = await db.sql`select sale_id, quantity, note from analytics.fact_ignoring order by sale_id`;
      expect(rows.map((r) => [r.sale_id, r.quantity, r.note])).to.deep.equal([[1, 2, 'n1'], [2, 3, 'n2'], [3, null, 'n3']]);
    });
  });

  describe('an unknown value', () => {
    /** `compile` of a project with `files`: exit 2 and each of `says` on stderr. */
    const refused = async (files: Record<string, string>, says: string[]) => {
      const cli = await runCli(['compile', '--project-dir', project(files)]);
      expect(cli.code, cli.stderr).to.equal(2);
      for (const text of says) expect(cli.stderr).to.include(text);
    };

    it('should be a configuration error at compile time, with the file, the line and the closest value', () => refused({
      'models/marts/fact_typo.sql': '{{config materialized="incremental" unique_key="id"\n  on_schema_change="append_new_column"}}\nselect 1 as id',
    }, ['unknown on_schema_change "append_new_column" in models/marts/fact_typo.sql:2', 'did you mean "append_new_columns"?']));

    it('should name the YAML file and its line when set there', () => refused({
      'models/marts/other.sql': 'select 1 as id',
      'models/marts/fact_typo.sql': '{{config materialized="incremental" unique_key="id"}}\nselect 1 as id',
      'models/marts/schema.yml': 'models:\n  - name: other\n  - name: fact_typo\n    config:\n      on_schema_change: sync_al_columns\n',
    }, ['unknown on_schema_change "sync_al_columns" in models/marts/schema.yml:5', 'did you mean "sync_all_columns"?']));
  });
});
