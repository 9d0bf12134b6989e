/**
 * DESIGN §3–§4: a delivery is identified by its name, and of two records for one key the later file by
 * name (its path relative to the landing folder, in byte order) wins, whatever the order of arrival, and
 * whatever the database's locale.
 */
import { expect } from 'chai';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import postgres from 'postgres';
import type { Database } from '../../runner/src/db/connection.js';
import { adminUrl } from '../support/database.js';
import { openDatabase, pipeline, resetWarehouse, suiteWarehouse, suiteLandingDirs } from '../support/warehouse.js';

const header = {
  sales: 'sale_id,customer_id,product_id,store_id,sale_timestamp,quantity,revenue',
  customers_updates: 'customer_id,full_name,email,loyalty_tier,updated_at',
};

/** Every order of `items`. */
const orders = <T>(items: T[]): T[][] => items.length <= 1 ? [items]
  : items.flatMap((x, i) => orders([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [x, ...rest]));

describe('the later file by name wins (DESIGN §3–§4)', function () {
  this.timeout(300_000);
  const landingDir = suiteLandingDirs();
  const warehouse = suiteWarehouse();

  /** Three deliveries: `_1` and `_15` differ, `_2` is a byte copy of `_1` (the latest name: its value wins). */
  const deliveries = (source: keyof typeof header, one: string, fifteen: string) => {
    const files = landingDir();
    writeFileSync(join(files, `${source}_1.csv`), `${header[source]}\n${one}\n`);
    writeFileSync(join(files, `${source}_15.csv`), `${header[source]}\n${fifteen}\n`);
    copyFileSync(join(files, `${source}_1.csv`), join(files, `${source}_2.csv`));
    return { files, names: [`${source}_1.csv`, `${source}_15.csv`, `${source}_2.csv`] };
  };

  /** Delivers the files in `order`, one run each, then checks the result and that --full-refresh agrees. */
  const deliverInOrder = async (files: string, order: string[], read: () => Promise<unknown>) => {
    await resetWarehouse(warehouse.db);
    const dir = landingDir();
    for (const name of order) {
      copyFileSync(join(files, name), join(dir, name));
      await pipeline(warehouse.db, dir, { skipTests: true });
    }
    const incremental = await read();
    await pipeline(warehouse.db, dir, { fullRefresh: true, skipTests: true });
    expect(await read(), `--full-refresh after ${order.join(', ')}`).to.deep.equal(incremental);
    return incremental;
  };

  it('should let a byte copy of an earlier sales file under a later name win, in one run and in every arrival order', async () => {
    const { files, names } = deliveries('sales', '7,1,1,1,2025-01-02 10:00:00,1,10.00', '7,1,1,1,2025-01-02 10:00:00,1,15.00');
    const revenue = async () => (await warehouse.db.sql`select revenue::text as revenue from analytics.fact_sales where sale_id = 7`)[0]?.revenue;
    await resetWarehouse(warehouse.db);
    const all = landingDir();
    for (const n of names) copyFileSync(join(files, n), join(all, n));
    await pipeline(warehouse.db, all, { skipTests: true });
    expect(await revenue(), 'one run').to.equal('10.00');
    for (const order of orders(names)) expect(await deliverInOrder(files, order, revenue), order.join(', ')).to.equal('10.00');
  });

  it('should let a byte copy of an earlier customers_updates file under a later name win, in every arrival order', async () => {
    const { files, names } = deliveries('customers_updates', '1,Ann,ann@x.com,Gold,2025-01-02 10:00:00',
      '1,Ann,ann@x.com,Silver,2025-01-02 10:00:00');
    const tiers = async () => (await warehouse.db.sql`select loyalty_tier from analytics.dim_customer where customer_id = 1
      order by effective_start_date` as { loyalty_tier: string }[]).map((r) => r.loyalty_tier);
    for (const order of orders(names)) expect(await deliverInOrder(files, order, tiers), order.join(', ')).to.deep.equal(['Gold']);
  });

  it('should order files in subfolders by their path relative to the landing folder, in byte order', async () => {
    await resetWarehouse(warehouse.db);
    const dir = landingDir();
    mkdirSync(join(dir, 'sales'));
    // "sales/b.csv" comes after "sales/B.csv" and "sales/a.csv" in byte order
    writeFileSync(join(dir, 'sales', 'b.csv'), `${header.sales}\n7,1,1,1,2025-01-02 10:00:00,1,30.00\n`);
    writeFileSync(join(dir, 'sales', 'B.csv'), `${header.sales}\n7,1,1,1,2025-01-02 10:00:00,1,20.00\n`);
    writeFileSync(join(dir, 'sales', 'a.csv'), `${header.sales}\n7,1,1,1,2025-01-02 10:00:00,1,10.00\n`);
    await pipeline(warehouse.db, dir, { skipTests: true });
    expect((await warehouse.db.sql`select revenue::text as r, _file from staging.stg_sales where sale_id = 7`)[0])
      .to.deep.equal({ r: '30.00', _file: 'sales/b.csv' });
  });
});

describe('case folding whatever the database\'s locale (DESIGN §4)', function () {
  this.timeout(120_000);
  const landingDir = suiteLandingDirs();
  let name: string;
  let db: Database;

  before(async () => {
    name = `sadp_c_${process.pid}_${Date.now()}`;
    const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${name} template template0 encoding 'UTF8' lc_collate 'C' lc_ctype 'C'`);
    await admin.end();
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    db = await openDatabase(url.toString());
  });
  after(async () => {
    await db.close();
    const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  });

  it('should fold JOSÉ@X.COM and josé@x.com into one version on a database whose LC_CTYPE is C', async () => {
    const dir = landingDir();
    writeFileSync(join(dir, 'customers.csv'), 'customer_id,full_name,email,loyalty_tier,created_at\n1,José,JOSÉ@X.COM,GOLD,2025-01-01 10:00:00\n');
    writeFileSync(join(dir, 'customers_updates_1.csv'), 'customer_id,full_name,email,loyalty_tier,updated_at\n1,José,josé@x.com,gold,2025-02-01 10:00:00\n');
    await pipeline(db, dir, { skipTests: true });
    const [{ ctype }] = await db.sql`select datctype as ctype from pg_database where datname = current_database()`;
    expect(ctype).to.equal('C');
    expect(await db.sql`select email, loyalty_tier from analytics.dim_customer where customer_id = 1`)
      .to.deep.equal([{ email: 'josé@x.com', loyalty_tier: 'Gold' }]);
  });
});
