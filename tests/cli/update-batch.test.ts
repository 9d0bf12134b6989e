/**
 * New data on demand: `generate-data --update-batch` adds one dated delivery to a landing folder already
 * loaded, and the next build versions exactly the customers it changes and re-points their sales.
 */
import { expect } from 'chai';
import { cpSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { createDatabase, type TestDatabase } from '../support/database.js';
import { repoProject, suiteFolders } from '../support/files.js';
import { runCli } from '../support/cli.js';

type Version = { customer_key: string; customer_id: string; start: string; end: string | null };

/** Sales whose customer_key isn't the version in effect at the sale (DESIGN §6), or the first, or -1. */
const misPointed = `select fact.sale_id from analytics.fact_sales as fact
  where fact.customer_key is distinct from coalesce(
    (select dim.customer_key from analytics.dim_customer as dim where dim.customer_id = fact.customer_id
       and dim.effective_start_date <= fact.sale_timestamp
       and (dim.effective_end_date is null or fact.sale_timestamp < dim.effective_end_date)),
    (select dim.customer_key from analytics.dim_customer as dim where dim.customer_id = fact.customer_id
       order by dim.effective_start_date limit 1),
    -1)`;

describe('generate-data --update-batch: one more delivery for a loaded landing folder', function () {
  this.timeout(300_000);
  let test: TestDatabase;
  const folder = suiteFolders('sadp-update-batch-');
  let landing: string;
  const build = (...more: string[]) => runCli(['build-models', '--project-dir', repoProject(), '--data-dir', landing,
    '--skip-unit-tests', ...more], { DATABASE_URL: test.url });
  const versions = async () => (await test.sql.unsafe(`select customer_key::text, customer_id::text,
      effective_start_date::text as start, effective_end_date::text as end
    from analytics.dim_customer where customer_key <> -1 order by customer_key`)) as unknown as Version[];
  const keysBySale = async () => new Map((await test.sql.unsafe('select sale_id::text, customer_key::text from analytics.fact_sales'))
    .map((r) => [r.sale_id as string, r.customer_key as string]));
  let versionsBefore: Version[];
  let salesBefore: Map<string, string>;
  let generated: { code: number | null; stdout: string; stderr: string };
  let added: string[];

  before(async () => {
    test = await createDatabase();
    landing = folder();
    const made = await runCli(['generate-data', '--out', landing, '--seed', '11', '--customers', '80', '--sales', '2000', '--update-batches', '2']);
    expect(made.code, made.stderr).to.equal(0);
    const first = await build();
    expect(first.code, first.stdout + first.stderr).to.equal(0);
    versionsBefore = await versions();
    salesBefore = await keysBySale();
    const was = readdirSync(landing);
    generated = await runCli(['generate-data', '--out', landing, '--update-batch', '--sales', '300', '--seed', '11']);
    added = readdirSync(landing).filter((f) => !was.includes(f)).sort();
  });
  after(async () => {
    await test.drop();
  });

  it('should write one customers_updates file dated after the last one, and one sales file of the same date', () => {
    expect(generated.code, generated.stderr).to.equal(0);
    expect(added).to.deep.equal(['customers_updates_2026-01-31.csv', 'sales_2026-01-31.csv']);
    expect(generated.stdout).to.match(/customers_updates_2026-01-31\.csv\s+\d+ rows/).and.match(/sales_2026-01-31\.csv\s+300 rows/);
  });

  it('should continue the sale ids and refer to customers, products and stores the data set has', () => {
    const rows = (file: string) => parse(readFileSync(join(landing, file)), { columns: true }) as Record<string, string>[];
    const sales = rows('sales_2026-01-31.csv');
    expect(sales.map((s) => Number(s.sale_id))).to.deep.equal(Array.from({ length: 300 }, (_, i) => 2001 + i));
    // the data set's customers: those of customers.csv and those first seen in its update files
    const customers = new Set(readdirSync(landing).filter((f) => f.startsWith('customers') && f !== added[0])
      .flatMap((f) => rows(f).map((c) => c.customer_id)));
    const products = new Set(rows('products.csv').map((p) => p.product_id));
    const stores = new Set(rows('stores.csv').map((s) => s.store_id));
    for (const s of sales) {
      expect(customers.has(s.customer_id) && products.has(s.product_id) && stores.has(s.store_id), `sale ${s.sale_id}`).to.equal(true);
      expect(s.sale_timestamp.slice(0, 10) >= '2026-01-01' && s.sale_timestamp.slice(0, 10) < '2026-01-31', s.sale_timestamp).to.equal(true);
    }
    const newcomers = rows('customers_updates_2026-01-31.csv').filter((u) => !customers.has(u.customer_id));
    expect(newcomers.map((u) => Number(u.customer_id))).to.deep.equal([Math.max(...[...customers].map(Number)) + 1]);
  });

  it('should write the same bytes for the same data set and seed, and date the next batch after this one', async () => {
    const again = folder();
    cpSync(landing, again, { recursive: true, filter: (src) => !added.some((f) => src.endsWith(f)) });
    const out = await runCli(['generate-data', '--out', again, '--update-batch', '--sales', '300', '--seed', '11']);
    expect(out.code, out.stderr).to.equal(0);
    for (const f of added) expect(readFileSync(join(again, f)).equals(readFileSync(join(landing, f))), f).to.equal(true);
    const next = await runCli(['generate-data', '--out', again, '--update-batch']);
    expect(next.stdout, 'the next batch follows this one').to.match(/customers_updates_2026-03-02\.csv/);
  });

  it('should refuse flags that shape a whole data set, and a folder without one, with exit 2', async () => {
    const whole = await runCli(['generate-data', '--out', landing, '--update-batch', '--customers', '5']);
    expect(whole.code).to.equal(2);
    expect(whole.stderr).to.include('flag "--customers" doesn\'t go with "--update-batch"');
    const empty = await runCli(['generate-data', '--out', folder(), '--update-batch']);
    expect(empty.code).to.equal(2);
    expect(empty.stderr).to.match(/--update-batch continues a data set, and ".*" holds no customers files; run generate-data --out .* first/);
  });

  describe('after an incremental build of the new delivery', () => {
    let versionsAfter: Version[];
    let updated: Set<string>;
    before(async () => {
      const out = await build();
      expect(out.code, out.stdout + out.stderr).to.equal(0);
      versionsAfter = await versions();
      updated = new Set((parse(readFileSync(join(landing, added[0])), { columns: true }) as Record<string, string>[]).map((u) => u.customer_id));
    });

    it('should give new versions to exactly the customers of the new file, and keep every other row as it was', () => {
      const old = new Set(versionsBefore.map((v) => v.customer_key));
      const versioned = new Set(versionsAfter.filter((v) => !old.has(v.customer_key)).map((v) => v.customer_id));
      expect([...versioned].sort()).to.deep.equal([...updated].sort());
      const untouched = (vs: Version[]) => vs.filter((v) => !updated.has(v.customer_id));
      expect(untouched(versionsAfter)).to.deep.equal(untouched(versionsBefore));
      // a version keeps its key as long as it exists: the changed customers' old versions are all still there
      expect(versionsBefore.every((v) => versionsAfter.some((a) => a.customer_key === v.customer_key))).to.equal(true);
    });

    it('should point every sale at the version in effect at its time, re-pointing old sales after a late change', async () => {
      expect(await test.sql.unsafe(misPointed)).to.deep.equal([]);
      const now = await keysBySale();
      expect(now.size).to.equal(salesBefore.size + 300);
      const moved = [...salesBefore].filter(([sale, key]) => now.get(sale) !== key).map(([sale]) => sale);
      expect(moved.length, 'a late change splits a version that older sales fall in').to.be.greaterThan(0);
      const customerOf = new Map((await test.sql.unsafe('select sale_id::text, customer_id::text from analytics.fact_sales')).map((r) => [r.sale_id, r.customer_id]));
      expect(moved.every((sale) => updated.has(customerOf.get(sale)))).to.equal(true);
    });

    it('should equal a --full-refresh of the same files', async () => {
      const pointed = `select fact.sale_id, fact.customer_id, dim.effective_start_date::text as version
        from analytics.fact_sales as fact left join analytics.dim_customer as dim using (customer_key) order by fact.sale_id`;
      const incremental = await test.sql.unsafe(pointed);
      const refreshed = await build('--full-refresh');
      expect(refreshed.code, refreshed.stdout + refreshed.stderr).to.equal(0);
      expect(await test.sql.unsafe(pointed)).to.deep.equal(incremental);
      const history = (vs: Version[]) => vs.map(({ customer_id, start, end }) => `${customer_id} ${start} ${end}`).sort();
      expect(history(await versions())).to.deep.equal(history(versionsAfter));
    });
  });
});
