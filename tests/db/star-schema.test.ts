import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Database } from '../../runner/src/db/connection.js';
import { repoRoot } from '../support/files.js';
import { pipeline, resetWarehouse, suiteWarehouse, suiteLandingDirs } from '../support/warehouse.js';

const header = {
  customers: 'customer_id,full_name,email,loyalty_tier,created_at',
  customers_updates: 'customer_id,full_name,email,loyalty_tier,updated_at',
  products: 'product_id,product_name,category,unit_price',
  stores: 'store_id,store_name,region',
  sales: 'sale_id,customer_id,product_id,store_id,sale_timestamp,quantity,revenue',
};
type Source = keyof typeof header;
const sourceOf = (file: string) => (Object.keys(header) as Source[]).filter((s) => file === `${s}.csv` || file.startsWith(`${s}_`))
  .sort((a, b) => b.length - a.length)[0];

describe('the star schema (DESIGN.md §4–§6)', function () {
  this.timeout(120_000);
  const landingDir = suiteLandingDirs();
  const warehouse = suiteWarehouse();
  let db: Database;
  let dir: string;
  const write = (file: string, lines: string[]) => writeFileSync(join(dir, file), [header[sourceOf(file)], ...lines].join('\n') + '\n');
  const facts = () => db.sql`
    select sale_id, customer_key, customer_id, product_id, store_id, date_key,
           to_char(sale_timestamp, 'YYYY-MM-DD HH24:MI:SS') as sale_timestamp, quantity, revenue::text as revenue
    from analytics.fact_sales order by sale_id`;
  const keyOf = async (customerId: number, tier: string) =>
    (await db.sql`select customer_key from analytics.dim_customer where customer_id = ${customerId} and loyalty_tier = ${tier}`)[0]?.customer_key;

  beforeEach(async () => {
    db = warehouse.db;
    await resetWarehouse(db);
    dir = landingDir();
    write('products.csv', ['10,Pen,Office,1.50', '11,Ink,Office,3.00']);
    write('stores.csv', ['1,North,N', '2,South,S']);
  });

  describe('staging', () => {
    it('should type every column and record each invalid record in staging.rejected_rows with file, line and reason', async () => {
      write('customers.csv', ['1, Ann ,ANN@X.COM ,gold,2025-01-01 10:00:00', 'x,Bad,b@x,Gold,2025-01-01', '2,Bo,,DIAMOND,2025-01-01',
        '3,Cy,c@x,,2025-02-30 10:00:00', '4,Di,d@x,silver,2025-01-01T10:00:00+02:00']);
      write('sales.csv', ['100,1,10,1,2025-01-02 10:00:00,2,3.00', '101,1,10,1,2025-01-02T11:00:00Z,0,3.00',
        '102,1,10,1,2025-13-01 00:00:00,1,1.5', '103,1,10,1,2025-01-02 12:00:00,1,1e3', '104,1,10,1,2025-01-02 12:00:00,1,12.340', '106,1,10,1,2025-01-02 12:00:00,1,12.345',
        '105,,10,1,2025-01-02 12:00:00,1,1.00', '-7,1,10,1,2025-01-02 12:00:00,1,1.00']);
      await pipeline(db, dir);
      const customers = await db.sql`select customer_id, full_name, email, loyalty_tier,
        to_char(created_at, 'YYYY-MM-DD HH24:MI:SS') as created_at from staging.stg_customers order by customer_id`;
      expect(customers).to.deep.equal([
        { customer_id: 1, full_name: 'Ann', email: 'ann@x.com', loyalty_tier: 'Gold', created_at: '2025-01-01 10:00:00' },
        { customer_id: 4, full_name: 'Di', email: 'd@x', loyalty_tier: 'Silver', created_at: '2025-01-01 08:00:00' },
      ]);
      const rejected = await db.sql`select source, file, line::int as line, reason from staging.rejected_rows order by source, line`;
      expect(rejected.map((r) => [r.source, r.file, r.line])).to.deep.equal([
        ['customers', 'customers.csv', 3], ['customers', 'customers.csv', 4], ['customers', 'customers.csv', 5],
        ['sales', 'sales.csv', 3], ['sales', 'sales.csv', 4], ['sales', 'sales.csv', 5], ['sales', 'sales.csv', 7], ['sales', 'sales.csv', 8],
        ['sales', 'sales.csv', 9],
      ]);
      expect(rejected[0].reason).to.match(/customer_id is not a positive integer/);
      expect(rejected[1].reason).to.match(/loyalty_tier/);
      expect(rejected[2].reason).to.match(/created_at is not an ISO 8601 timestamp/);
      expect(rejected.find((r) => r.line === 8 && r.source === 'sales')!.reason).to.equal('customer_id is missing');
      expect(rejected.find((r) => r.line === 7 && r.source === 'sales')!.reason).to.match(/revenue is not an exact decimal with at most 2 decimal places/);
      const sales = await db.sql`select sale_id, revenue::text as revenue, quantity from staging.stg_sales order by sale_id`;
      expect(sales).to.deep.equal([{ sale_id: 100, revenue: '3.00', quantity: 2 }, { sale_id: 104, revenue: '12.34', quantity: 1 }]);
      const [{ type }] = await db.sql`select format_type(atttypid, atttypmod) as type from pg_attribute
        where attrelid = 'analytics.fact_sales'::regclass and attname = 'revenue'`;
      expect(type).to.equal('numeric(12,2)');
      // the raw tables a build read have statistics, so the next incremental run probes their batch index
      const unanalyzed = await db.sql`select relname from pg_class where relnamespace = 'raw'::regnamespace
        and relkind = 'r' and reltuples < 0`;
      expect(unanalyzed.map((r) => r.relname)).to.deep.equal([]);
    });

    it('should give every table of DESIGN §4–§6 its columns with their types, money as numeric(12,2) in every layer', async () => {
      write('customers.csv', ['1,Ann,a@x,Gold,2025-01-01 10:00:00']);
      write('sales.csv', ['100,1,10,1,2025-01-02 10:00:00,2,3.00']);
      await pipeline(db, dir);
      await pipeline(db, dir); // the incremental models merge on the second run: their columns stay as built
      const columns = await db.sql`select c.relnamespace::regnamespace::text || '.' || c.relname as t, a.attname as name,
          format_type(a.atttypid, a.atttypmod) as type
        from pg_attribute a join pg_class c on c.oid = a.attrelid
        where c.relnamespace in ('staging'::regnamespace, 'analytics'::regnamespace) and c.relkind in ('r', 'v', 'p')
          and a.attnum > 0 and not a.attisdropped and a.attname not like '\\_%'
        order by 1, a.attnum`;
      const byTable: Record<string, string[]> = {};
      for (const c of columns) (byTable[c.t as string] ??= []).push(`${c.name} ${c.type}`);
      const ts = 'timestamp without time zone';
      expect(byTable).to.deep.include({
        'staging.stg_customers': ['customer_id bigint', 'full_name text', 'email text', 'loyalty_tier text', `created_at ${ts}`],
        'staging.stg_customers_updates': ['customer_id bigint', 'full_name text', 'email text', 'loyalty_tier text', `updated_at ${ts}`],
        'staging.stg_products': ['product_id bigint', 'product_name text', 'category text', 'unit_price numeric(12,2)'],
        'staging.stg_stores': ['store_id bigint', 'store_name text', 'region text'],
        'staging.stg_sales': ['sale_id bigint', 'customer_id bigint', 'product_id bigint', 'store_id bigint', `sale_timestamp ${ts}`,
          'quantity integer', 'revenue numeric(12,2)'],
        'analytics.dim_customer': ['customer_key bigint', 'customer_id bigint', 'full_name text', 'email text', 'loyalty_tier text',
          `effective_start_date ${ts}`, `effective_end_date ${ts}`, 'is_current boolean'],
        'analytics.dim_product': ['product_id bigint', 'product_name text', 'category text', 'unit_price numeric(12,2)'],
        'analytics.dim_store': ['store_id bigint', 'store_name text', 'region text'],
        'analytics.dim_date': ['date_key integer', 'full_date date', 'year integer', 'quarter integer', 'month integer', 'month_name text',
          'day_of_month integer', 'day_of_week integer', 'day_name text', 'iso_week integer', 'is_weekend boolean'],
        'analytics.fact_sales': ['sale_id bigint', 'customer_key bigint', 'customer_id bigint', 'product_id bigint', 'store_id bigint',
          'date_key integer', `sale_timestamp ${ts}`, 'quantity integer', 'revenue numeric(12,2)'],
      });
    });

    it('should turn the plain numeric money columns of an older build into numeric(12,2), except under a view (migration 0007)', async () => {
      write('customers.csv', ['1,Ann,a@x,Gold,2025-01-01 10:00:00']);
      write('sales.csv', ['100,1,10,1,2025-01-02 10:00:00,2,3.00', '101,1,11,1,2025-01-03 10:00:00,1,12.5']);
      await pipeline(db, dir);
      // what a build before the fix left: money as plain numeric; and a user's view on products
      await db.sql.unsafe(`alter table staging.stg_sales alter column revenue type numeric;
        alter table staging.stg_products alter column unit_price type numeric;
        create view public.product_prices as select product_id, unit_price from staging.stg_products`);
      const type = async (rel: string, col: string) => (await db.sql`select format_type(atttypid, atttypmod) as t from pg_attribute
        where attrelid = ${rel}::regclass and attname = ${col}`)[0].t;
      const migration = readFileSync(join(repoRoot, 'migrations', '0007-money-columns-numeric-12-2.sql'), 'utf8');
      try {
        await db.sql.unsafe(migration);
        expect(await type('staging.stg_sales', 'revenue')).to.equal('numeric(12,2)');
        expect(await type('staging.stg_products', 'unit_price')).to.equal('numeric');
        const sales = await db.sql`select sale_id, revenue::text as revenue from staging.stg_sales order by sale_id`;
        expect(sales.map((r) => [r.sale_id, r.revenue])).to.deep.equal([[100, '3.00'], [101, '12.50']]);
        write('sales_2.csv', ['102,1,10,2,2025-01-04 10:00:00,1,4.10']);
        await pipeline(db, dir);
        expect((await facts()).map((f) => f.revenue)).to.deep.equal(['3.00', '12.50', '4.10']);
      } finally {
        await db.sql.unsafe('drop view if exists public.product_prices');
      }
    });

    it('should keep, for one sale_id, the record of the later file by name (byte order), whatever the arrival order', async () => {
      write('sales_2025-06.csv', ['100,1,10,1,2025-06-01 10:00:00,1,9.00']);
      await pipeline(db, dir);
      write('sales.csv', ['100,1,10,1,2025-01-01 10:00:00,1,1.00', '100,1,10,2,2025-01-01 10:00:00,1,2.00']);
      await pipeline(db, dir);
      expect((await facts()).map((f) => [f.sale_id, f.revenue])).to.deep.equal([[100, '9.00']]);
      write('sales_2025-07.csv', ['100,1,11,2,2025-07-01 10:00:00,3,7.00', '100,1,11,2,2025-07-01 10:00:00,3,8.00']);
      await pipeline(db, dir);
      expect((await facts()).map((f) => [f.sale_id, f.revenue, f.product_id])).to.deep.equal([[100, '8.00', 11]]);
    });

    it('should keep dim_product and dim_store to one row per id from the last file by name, then the last line', async () => {
      write('products_b.csv', ['10,Pen v2,Office,2.00']);
      write('products_a.csv', ['10,Pen v1,Office,1.75', '12,Pad,Paper,0.99']);
      await pipeline(db, dir);
      expect(await db.sql`select product_id, product_name, unit_price::text as unit_price from analytics.dim_product order by 1`)
        .to.deep.equal([{ product_id: 10, product_name: 'Pen v2', unit_price: '2.00' }, { product_id: 11, product_name: 'Ink', unit_price: '3.00' },
          { product_id: 12, product_name: 'Pad', unit_price: '0.99' }]);
    });
  });

  describe('fact_sales and dim_date', () => {
    it('should point each sale at the version in effect, the first version before history, and -1 without history', async () => {
      write('customers.csv', ['1,Ann,a@x,Bronze,2025-01-10 00:00:00', '2,Bo,b@x,Gold,2025-01-01 00:00:00']);
      write('customers_updates.csv', ['1,Ann,a@x,Gold,2025-02-01 00:00:00']);
      write('sales.csv', ['1,1,10,1,2025-01-01 00:00:00,1,1.00', '2,1,10,1,2025-01-15 00:00:00,1,1.00',
        '3,1,10,1,2025-02-01 00:00:00,1,1.00', '4,99,10,1,2025-02-01 00:00:00,1,1.00', '5,2,77,9,2025-03-31 23:59:59,1,1.00']);
      await pipeline(db, dir);
      const bronze = await keyOf(1, 'Bronze');
      const gold = await keyOf(1, 'Gold');
      expect((await facts()).map((f) => [f.sale_id, f.customer_key])).to.deep.equal([
        [1, bronze], [2, bronze], [3, gold], [4, -1], [5, await keyOf(2, 'Gold')]]);
      const orphan = (await facts()).find((f) => f.sale_id === 5)!;
      expect([orphan.product_id, orphan.store_id, orphan.date_key], 'orphans are kept as given').to.deep.equal([77, 9, 20250331]);
      const [days] = await db.sql`select count(*)::int as n, min(full_date)::text as first, max(full_date)::text as last from analytics.dim_date`;
      expect(days).to.deep.equal({ n: 90, first: '2025-01-01', last: '2025-03-31' });
      const [monday] = await db.sql`select date_key, year, quarter, month, month_name, day_of_month, day_of_week, day_name, iso_week, is_weekend
        from analytics.dim_date where full_date = '2025-03-31'`;
      expect(monday).to.deep.equal({ date_key: 20250331, year: 2025, quarter: 1, month: 3, month_name: 'March', day_of_month: 31,
        day_of_week: 1, day_name: 'Monday', iso_week: 14, is_weekend: false });
    });

    it('should re-point the sales a late customer event moves, and equal a --full-refresh', async () => {
      write('customers.csv', ['1,Ann,a@x,Bronze,2025-01-01 00:00:00', '2,Bo,b@x,Silver,2025-01-01 00:00:00']);
      write('sales.csv', ['1,1,10,1,2025-01-05 00:00:00,1,1.00', '2,1,10,1,2025-03-05 00:00:00,1,2.00', '3,2,10,1,2025-03-05 00:00:00,1,2.00']);
      await pipeline(db, dir);
      const bronze = await keyOf(1, 'Bronze');
      expect((await facts()).map((f) => f.customer_key)).to.deep.equal([bronze, bronze, await keyOf(2, 'Silver')]);
      write('customers_updates_late.csv', ['1,Ann,a@x,Gold,2025-03-01 00:00:00']);
      write('sales_2.csv', ['4,1,11,2,2025-04-01 00:00:00,2,6.00']);
      const summary = await pipeline(db, dir);
      const gold = await keyOf(1, 'Gold');
      const incremental = await facts();
      expect(incremental.map((f) => [f.sale_id, f.customer_key])).to.deep.equal([[1, bronze], [2, gold], [3, await keyOf(2, 'Silver')], [4, gold]]);
      const factRun = summary.results.find((r) => r.node === 'fact_sales')!;
      // sale 1 keeps its version: the merge leaves it as it is
      expect(factRun.rows, 'the new sale and the sale the late event moved').to.equal(2);
      await pipeline(db, dir, { fullRefresh: true });
      expect(await facts()).to.deep.equal(incremental);
    });

    it('should give dim_customer statistics when its first merge fills it, and leave a small merge to autovacuum', async () => {
      const customers = Array.from({ length: 40 }, (_, i) => `${i + 1},C${i + 1},c${i + 1}@x,Bronze,2025-01-01 00:00:00`);
      write('customers.csv', customers);
      write('sales.csv', ['1,1,10,1,2025-01-05 00:00:00,1,1.00']);
      await pipeline(db, dir);
      const stats = async () => (await db.sql`
        select (select count(*)::int from pg_stats where schemaname = 'analytics' and tablename = 'dim_customer') as columns,
               (select reltuples::int from pg_class where oid = 'analytics.dim_customer'::regclass) as rows`)[0];
      // the table was made empty by a migration: without statistics the planner guesses (see snapshot.sql)
      expect(await stats()).to.deep.equal({ columns: 8, rows: 41 });
      write('customers_updates_1.csv', ['1,C1,c1@x,Gold,2025-02-01 00:00:00']);
      await pipeline(db, dir);
      expect((await db.sql`select count(*)::int as n from analytics.dim_customer`)[0].n).to.equal(42);
      expect(await stats(), 'one changed key of 40: not analyzed again').to.deep.equal({ columns: 8, rows: 41 });
    });

    it('should give the same tables when the files arrive in batches in any order as when loaded at once', async () => {
      const files: [string, string[]][] = [
        ['customers.csv', ['1,Ann,a@x,Bronze,2025-01-01 00:00:00', '2,Bo,b@x,Silver,2025-01-01 00:00:00']],
        ['customers_updates_1.csv', ['1,Ann,a@y,Bronze,2025-02-01 00:00:00', '2,Bo,b@x,Gold,2025-02-15 00:00:00']],
        ['customers_updates_2.csv', ['1,Ann,a@y,Gold,2025-01-15 00:00:00', '3,Cy,c@x,,2025-01-20 00:00:00']],
        ['sales.csv', ['1,1,10,1,2025-01-05 00:00:00,1,1.00', '2,1,10,1,2025-01-20 00:00:00,1,2.00', '3,2,10,1,2025-03-05 00:00:00,1,2.00']],
        ['sales_2.csv', ['4,3,11,2,2025-01-10 00:00:00,2,6.00', '2,1,10,2,2025-02-20 00:00:00,1,2.50']],
      ];
      const snapshot = async () => ({
        dim: await db.sql`select customer_id, full_name, email, loyalty_tier, effective_start_date::text as s, effective_end_date::text as e, is_current
          from analytics.dim_customer order by customer_id, effective_start_date`,
        fact: await db.sql`select f.sale_id, d.customer_id, d.effective_start_date::text as version, f.revenue::text as revenue, f.store_id
          from analytics.fact_sales f join analytics.dim_customer d on d.customer_key = f.customer_key order by f.sale_id`,
      });
      for (const [name, lines] of files) write(name, lines);
      await pipeline(db, dir);
      const atOnce = await snapshot();
      for (const order of [[4, 2, 0], [1, 3], [2, 0, 4, 1, 3]]) {
        await resetWarehouse(db);
        dir = landingDir();
        write('products.csv', ['10,Pen,Office,1.50', '11,Ink,Office,3.00']);
        write('stores.csv', ['1,North,N', '2,South,S']);
        for (const i of order) {
          write(files[i][0], files[i][1]);
          await pipeline(db, dir);
        }
        for (const [name, lines] of files) write(name, lines);
        await pipeline(db, dir);
        expect(await snapshot(), `order ${order.join(',')}`).to.deep.equal(atOnce);
      }
    });
  });
});
