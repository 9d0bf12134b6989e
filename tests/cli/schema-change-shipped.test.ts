import { expect } from 'chai';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { copyOfProject } from '../support/files.js';
import { suiteDatabase, type TestDatabase } from '../support/database.js';
import { byNode, readRunResults, runCli } from '../support/cli.js';

/** The analyst's first day of issue 15: a column added to the shipped fact_sales is never dropped silently. */
describe('cli: a column added to the shipped fact_sales', function () {
  this.timeout(180_000);
  let db: TestDatabase;
  suiteDatabase((d) => (db = d));
  let dir: string;
  const fact = () => join(dir, 'models/marts/fact_sales.sql');
  const cli = (...args: string[]) => runCli([...args, '--project-dir', dir], { DATABASE_URL: db.url });
  const unitRevenue = async () => (await db.sql`select count(*)::int as rows, count(unit_revenue)::int as filled
    from analytics.fact_sales`)[0];

  before(async () => {
    dir = copyOfProject('sadp-schema-change-shipped-');
    const generated = await cli('generate-data', '--out', join(dir, 'data/raw'), '--customers', '30', '--products', '5',
      '--stores', '3', '--sales', '300', '--update-batches', '1');
    expect(generated.code, generated.stderr).to.equal(0);
    const first = await cli('build-models', '--data-dir', join(dir, 'data/raw'), '--skip-tests');
    expect(first.code, first.stderr).to.equal(0);
    const text = readFileSync(fact(), 'utf8');
    writeFileSync(fact(), text.replace('sales.revenue::numeric(12, 2) as revenue',
      'sales.revenue::numeric(12, 2) as revenue,\n    (sales.revenue / sales.quantity)::numeric(12, 2) as unit_revenue'));
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('should fail fact_sales by default, naming the column and the fixes, and leave its table as it was', async () => {
    const out = await cli('build-models', '--data-dir', join(dir, 'data/raw'), '--select', 'fact_sales+', '--skip-tests');
    expect(out.code, out.stderr).to.equal(1);
    const message = byNode(readRunResults(dir).results).get('fact_sales')!.message!;
    expect(message).to.match(/added: +"unit_revenue" numeric\(12,2\)/);
    expect(message).to.include('on_schema_change="append_new_columns"');
    expect(message).to.include('--full-refresh --select fact_sales');
    const [{ exists }] = await db.sql`select exists (select 1 from information_schema.columns
      where table_schema = 'analytics' and table_name = 'fact_sales' and column_name = 'unit_revenue') as exists`;
    expect(exists).to.equal(false);
  });

  it('should add the column with append_new_columns, and fill it for every sale on --full-refresh', async () => {
    writeFileSync(fact(), readFileSync(fact(), 'utf8').replace('unique_key="sale_id"', 'unique_key="sale_id" on_schema_change="append_new_columns"'));
    const appended = await cli('build-models', '--data-dir', join(dir, 'data/raw'), '--select', 'fact_sales+', '--skip-tests');
    expect(appended.code, appended.stderr).to.equal(0);
    const after = await unitRevenue();
    expect(after.rows).to.be.greaterThan(0);
    // no new sales landed: the rows already there keep NULL until they are rewritten
    expect(after.filled).to.equal(0);
    const refreshed = await cli('build-models', '--data-dir', join(dir, 'data/raw'), '--select', 'fact_sales', '--full-refresh', '--skip-tests');
    expect(refreshed.code, refreshed.stderr).to.equal(0);
    const full = await unitRevenue();
    expect(full).to.deep.equal({ rows: after.rows, filled: after.rows });
  });
});
