import { expect } from 'chai';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase, type TestDatabase } from '../support/database.js';
import { runCli, type CliResult } from '../support/cli.js';
import { repoProject } from '../support/files.js';
import { fingerprints } from '../support/reliability.js';

/** A small, valid delivery of every source. */
const first: Record<string, string> = {
  'customers.csv': 'customer_id,full_name,email,loyalty_tier,created_at\n' +
    '1,Ada Lovelace,ada@example.com,Gold,2025-01-01 10:00:00\n2,Alan Turing,alan@example.com,Silver,2025-01-02 10:00:00\n',
  'products.csv': 'product_id,product_name,category,unit_price\n10,Tea,Drinks,3.50\n11,Cake,Food,4.25\n',
  'stores.csv': 'store_id,store_name,region\n100,Harbour,North\n',
  'sales.csv': 'sale_id,customer_id,product_id,store_id,sale_timestamp,quantity,revenue\n' +
    '1,1,10,100,2025-02-01 09:00:00,2,7.00\n2,2,11,100,2025-02-02 09:00:00,1,4.25\n',
};
const salesHeader = 'sale_id,customer_id,product_id,store_id,sale_timestamp,quantity,revenue';
const customersHeader = 'customer_id,full_name,email,loyalty_tier,created_at';

/** The warnings of a run, from its JSON log on stderr. */
const warnings = (out: CliResult): string => out.stderr.split('\n').filter((l) => l.startsWith('{'))
  .map((l) => JSON.parse(l) as { event: string; message?: string }).filter((e) => e.event === 'warn')
  .map((e) => e.message).join('\n');

describe('reliability: bad landing files through build-models', function () {
  this.timeout(120_000);
  let db: TestDatabase;
  let landing: string;
  const write = (name: string, content: string | Buffer) => writeFileSync(join(landing, name), content);
  const build = () => runCli(['build-models', '--project-dir', repoProject(), '--data-dir', landing], { DATABASE_URL: db.url });
  const one = async <T>(query: string): Promise<T> => (await db.sql.unsafe(query))[0] as T;
  /** The data and the ingest bookkeeping: what a refused file must leave exactly as it was. */
  const state = async () => ({
    tables: await fingerprints(db.sql as never, false),
    files: await db.sql`select file_name, sha256 from meta.ingested_files order by file_name`,
  });
  const expectNoTrace = (out: CliResult) => expect(out.stderr + out.stdout).to.not.match(/internal error|\n\s+at /);

  /** Delivers `name`, builds, and expects exit 2 naming `patterns`, nothing changed; then removes the file. */
  const refused = async (name: string, content: string | Buffer, ...patterns: RegExp[]) => {
    const before = await state();
    write(name, content);
    const out = await build();
    unlinkSync(join(landing, name));
    expect(out.code, out.stderr).to.equal(2);
    for (const p of patterns) expect(out.stderr).to.match(p);
    expect(out.stderr).to.match(/nothing was ingested/);
    expectNoTrace(out);
    expect(await state()).to.deep.equal(before);
  };
  const accepted = async (name: string, content: string | Buffer) => {
    write(name, content);
    const out = await build();
    expect(out.code, out.stderr.slice(-3000)).to.equal(0);
    expectNoTrace(out);
    return out;
  };

  before(async () => {
    db = await createDatabase();
    landing = mkdtempSync(join(tmpdir(), 'sadp-bad-input-'));
    for (const [name, text] of Object.entries(first)) write(name, text);
    const out = await build();
    expect(out.code, out.stderr).to.equal(0);
  });
  after(async () => {
    await db.drop();
    rmSync(landing, { recursive: true, force: true });
  });

  it('should refuse a file missing a required column with exit 2, naming file and column, and change nothing', async () => {
    await refused('sales_2025-03.csv', 'sale_id,customer_id,product_id,store_id,sale_timestamp,quantity\n3,1,10,100,2025-03-01 09:00:00,1\n',
      /"sales_2025-03\.csv"/, /lacks required column "revenue"/, /add the column to the file's header line/);
  });

  it('should refuse an empty file with exit 2, naming it, and change nothing', async () => {
    await refused('stores_2025-03.csv', '', /"stores_2025-03\.csv" is empty/);
  });

  it('should refuse a binary file with exit 2, naming it, and change nothing', async () => {
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 37 + 11) % 256))]);
    await refused('products_image.csv', png, /"products_image\.csv"/, /not valid UTF-8|lacks required column/);
  });

  it('should refuse a header that names a column twice with exit 2, and change nothing', async () => {
    await refused('customers_2025-03.csv', 'customer_id,full_name,customer_id,created_at\n5,Eve,5,2025-03-01 10:00:00\n',
      /"customers_2025-03\.csv" names column "customer_id" twice/);
  });

  it('should refuse a file changed under a name ingested before with exit 2, and change nothing', async () => {
    const original = readFileSync(join(landing, 'sales.csv'));
    const before = await state();
    write('sales.csv', `${salesHeader}\n1,1,10,100,2025-02-01 09:00:00,3,10.50\n2,2,11,100,2025-02-02 09:00:00,1,4.25\n`);
    const out = await build();
    write('sales.csv', original);
    expect(out.code, out.stderr).to.equal(2);
    expect(out.stderr).to.match(/landing file "sales\.csv" was ingested before with different content/);
    expect(out.stderr).to.match(/deliver corrections as a new file/);
    expectNoTrace(out);
    expect(await state()).to.deep.equal(before);
  });

  it('should load a renamed copy of an ingested file as a new delivery, changing no table of the warehouse', async () => {
    const before = await state();
    copyFileSync(join(landing, 'sales.csv'), join(landing, 'sales_copy.csv'));
    const out = await build();
    expect(out.code, out.stderr).to.equal(0);
    expect(await one(`select count(*)::int as n from raw.sales where _file = 'sales_copy.csv'`)).to.deep.equal({ n: 2 });
    const analytics = (tables: Record<string, string>) => Object.entries(tables).filter(([name]) => name.startsWith('analytics.')).sort();
    expect(analytics((await state()).tables)).to.deep.equal(analytics(before.tables));
  });

  it('should warn about an unknown extra column, not load it, and load the rest', async () => {
    const out = await accepted('customers_2025-04.csv',
      'customer_id,full_name,email,loyalty_tier,created_at,favourite_colour\n3,Grace Hopper,grace@example.com,platinum,2025-04-01 10:00:00,teal\n');
    expect(warnings(out)).to.match(/"customers_2025-04\.csv" has column "favourite_colour" that source "customers" doesn't declare/);
    expect(await one(`select customer_id::int, full_name, loyalty_tier from analytics.dim_customer where customer_id = 3`))
      .to.deep.equal({ customer_id: 3, full_name: 'Grace Hopper', loyalty_tier: 'Platinum' });
    const [{ n }] = await db.sql`select count(*)::int as n from information_schema.columns
      where table_schema = 'raw' and column_name = 'favourite_colour'`;
    expect(n).to.equal(0);
  });

  it('should record a header-only file with zero rows', async () => {
    await accepted('stores_2025-04.csv', 'store_id,store_name,region\n');
    expect(await one(`select rows::int, rejected::int from meta.ingested_files where file_name = 'stores_2025-04.csv'`))
      .to.deep.equal({ rows: 0, rejected: 0 });
  });

  it('should load CRLF line ends, a BOM and quoted newlines as the values they stand for', async () => {
    await accepted('customers_2025-05.csv', `\uFEFF${customersHeader}\r\n` +
      '4,"Katherine\r\nJohnson",kj@example.com,Bronze,2025-05-01 10:00:00\r\n5,Dorothy Vaughan,dv@example.com,Gold,2025-05-02 10:00:00\r\n');
    await accepted('sales_2025-05.csv', `${salesHeader}\r\n10,5,11,100,2025-05-03 09:00:00,3,12.75\r\n`);
    const customers = await db.sql`select customer_id::int, full_name, loyalty_tier, _line::int as line from staging.stg_customers
      where customer_id in (4, 5) order by customer_id`;
    expect(customers.map((r) => ({ ...r }))).to.deep.equal([
      { customer_id: 4, full_name: 'Katherine\r\nJohnson', loyalty_tier: 'Bronze', line: 2 },
      { customer_id: 5, full_name: 'Dorothy Vaughan', loyalty_tier: 'Gold', line: 4 },
    ]);
    expect(await one(`select quantity::int, revenue::text, customer_key > 0 as known from analytics.fact_sales where sale_id = 10`))
      .to.deep.equal({ quantity: 3, revenue: '12.75', known: true });
  });

  it('should load a 1 MB field whole', async () => {
    const name = 'x'.repeat(1 << 20);
    await accepted('customers_2025-06.csv', `${customersHeader}\n6,${name},big@example.com,Silver,2025-06-01 10:00:00\n`);
    expect(await one(`select length(full_name) as len from analytics.dim_customer where customer_id = 6`)).to.deep.equal({ len: 1 << 20 });
  });

  it('should put records with invalid UTF-8 or the wrong field count in rejected_rows, with file, line and reason, and load the rest', async () => {
    const content = Buffer.concat([
      Buffer.from(`${salesHeader}\n`),
      Buffer.from('20,1,10,100,2025-06-01 09:00:00,1,3.50\n'), // line 2: good
      Buffer.from('21,1,10,100,2025-06-01 09:00:00,1,'), Buffer.from([0xc3, 0x28]), Buffer.from('\n'), // 3: invalid UTF-8
      Buffer.from('22,1,10,100,2025-06-01 09:00:00,1\n'), // 4: a field short
      Buffer.from('23,2,11,100,2025-06-02 09:00:00,2,8.50\n'), // 5: good
    ]);
    await accepted('sales_2025-06.csv', content);
    const rejected = await db.sql`select line::int, reason from staging.rejected_rows where file = 'sales_2025-06.csv' order by line`;
    expect(rejected.map((r) => r.line)).to.deep.equal([3, 4]);
    expect(rejected[0].reason).to.match(/UTF-8/i);
    expect(rejected[1].reason).to.match(/field/i);
    const loaded = await db.sql`select sale_id::int from analytics.fact_sales where sale_id between 20 and 23 order by sale_id`;
    expect(loaded.map((r) => r.sale_id)).to.deep.equal([20, 23]);
  });
});
