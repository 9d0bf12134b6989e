import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Database } from '../../runner/src/db/connection.js';
import { customerCsv, expectedHistory, type CustomerEvent } from '../support/scd2-reference.js';
import { dimCustomerRows, natural, pipeline, resetWarehouse, suiteWarehouse, suiteLandingDirs } from '../support/warehouse.js';

type Ev = Omit<CustomerEvent, 'file' | 'line'>;
const ev = (customer_id: number, at: string, full_name: string | null, email: string | null, loyalty_tier: string | null): Ev =>
  ({ customer_id, at, full_name, email, loyalty_tier });

describe('dim_customer (SCD type 2, DESIGN.md §5)', function () {
  this.timeout(120_000);
  const landingDir = suiteLandingDirs();
  const warehouse = suiteWarehouse();
  let db: Database;
  let dir: string;
  const files = new Map<string, Ev[]>();

  /** Lands `events` as `file` and runs the snapshot. */
  async function land(file: string, events: Ev[], command: 'snapshot' | 'build-models' = 'snapshot') {
    files.set(file, events);
    writeFileSync(join(dir, file), customerCsv(file, events));
    await pipeline(db, dir, { command, skipTests: command === 'snapshot' });
  }

  function expected() {
    const all: CustomerEvent[] = [];
    for (const [file, events] of files) events.forEach((e, i) => all.push({ ...e, file, line: i + 2 }));
    return expectedHistory(all);
  }

  beforeEach(async () => {
    db = warehouse.db;
    await resetWarehouse(db);
    files.clear();
    dir = landingDir();
  });

  it('rule 1: should chain versions half-open with no gaps or overlaps and exactly one current row', async () => {
    await land('customers.csv', [ev(1, '2025-01-01 09:00:00', 'Ann', 'ann@x.com', 'Bronze')]);
    await land('customers_updates_1.csv', [ev(1, '2025-02-01 09:00:00', 'Ann', 'ann@x.com', 'Silver'),
      ev(1, '2025-03-01 09:00:00', 'Ann', 'ann@y.com', 'Silver')]);
    const rows = await dimCustomerRows(db);
    expect(rows.map((r) => [r.start, r.end, r.is_current])).to.deep.equal([
      ['2025-01-01 09:00:00', '2025-02-01 09:00:00', false],
      ['2025-02-01 09:00:00', '2025-03-01 09:00:00', false],
      ['2025-03-01 09:00:00', null, true],
    ]);
    const [unknown] = await db.sql`select * from analytics.dim_customer where customer_key = -1`;
    expect(unknown, 'the unknown member').to.exist;
  });

  it('rule 2: should give several changes of one customer in one file one version each, in time order', async () => {
    await land('customers.csv', [ev(7, '2025-01-01 00:00:00', 'Bo', 'bo@x.com', 'Gold')]);
    await land('customers_updates.csv', [
      ev(7, '2025-05-01 00:00:00', 'Bo', 'bo@x.com', 'Platinum'),
      ev(7, '2025-03-01 00:00:00', 'Bo', 'bo@z.com', 'Gold'),
      ev(7, '2025-04-01 00:00:00', 'Bob', 'bo@z.com', 'Gold'),
    ]);
    expect(natural(await dimCustomerRows(db))).to.deep.equal(expected());
    expect((await dimCustomerRows(db)).map((r) => r.start)).to.deep.equal(
      ['2025-01-01 00:00:00', '2025-03-01 00:00:00', '2025-04-01 00:00:00', '2025-05-01 00:00:00']);
  });

  it('rule 3: should change nothing for an event identical to the version in effect, nor for a rerun', async () => {
    await land('customers.csv', [ev(3, '2025-01-01 00:00:00', 'Cy', 'cy@x.com', 'Silver')]);
    const before = await dimCustomerRows(db);
    await land('customers_updates_1.csv', [ev(3, '2025-02-01 00:00:00', 'Cy', ' CY@X.com ', 'silver')]);
    await pipeline(db, dir, { command: 'snapshot' });
    expect(await dimCustomerRows(db)).to.deep.equal(before);
  });

  it('rule 4: should splice a late event into history, splitting the version it falls in', async () => {
    await land('customers.csv', [ev(4, '2025-01-01 00:00:00', 'Di', 'di@x.com', 'Bronze')]);
    await land('customers_updates_1.csv', [ev(4, '2025-06-01 00:00:00', 'Di', 'di@x.com', 'Gold')]);
    const [first, second] = await dimCustomerRows(db);
    await land('customers_updates_2.csv', [ev(4, '2025-03-01 00:00:00', 'Di', 'di@x.com', 'Silver')]);
    const rows = await dimCustomerRows(db);
    expect(natural(rows)).to.deep.equal(expected());
    expect(rows.map((r) => [r.loyalty_tier, r.start, r.end])).to.deep.equal([
      ['Bronze', '2025-01-01 00:00:00', '2025-03-01 00:00:00'],
      ['Silver', '2025-03-01 00:00:00', '2025-06-01 00:00:00'],
      ['Gold', '2025-06-01 00:00:00', null],
    ]);
    expect(rows[0].customer_key, 'the split version keeps its key').to.equal(first.customer_key);
    expect(rows[2].customer_key, 'the later version keeps its key').to.equal(second.customer_key);
  });

  it('rule 4: should restore a later no-op event as a version of its own when a late change lands before it', async () => {
    await land('customers.csv', [ev(5, '2025-01-01 00:00:00', 'Ed', 'ed@x.com', 'Bronze')]);
    await land('customers_updates_1.csv', [ev(5, '2025-05-01 00:00:00', 'Ed', 'ed@x.com', 'Bronze')]);
    expect(await dimCustomerRows(db)).to.have.length(1);
    await land('customers_updates_2.csv', [ev(5, '2025-03-01 00:00:00', 'Ed', 'ed@x.com', 'Gold')]);
    expect(natural(await dimCustomerRows(db))).to.deep.equal(expected());
    expect(await dimCustomerRows(db)).to.have.length(3);
  });

  it('rule 5: should start the history of a customer first seen in customers_updates there', async () => {
    await land('customers.csv', [ev(1, '2025-01-01 00:00:00', 'Ann', 'ann@x.com', 'Bronze')]);
    await land('customers_updates.csv', [ev(900, '2025-04-01 12:00:00', 'New', 'new@x.com', null)]);
    const rows = (await dimCustomerRows(db)).filter((r) => r.customer_id === 900);
    expect(natural(rows)).to.deep.equal([{ customer_id: 900, full_name: 'New', email: 'new@x.com', loyalty_tier: null,
      start: '2025-04-01 12:00:00', end: null, is_current: true }]);
  });

  it('rule 6: should give the same table for any split into batches and any order, keeping surviving keys', async () => {
    const a = [ev(1, '2025-01-01 00:00:00', 'A', 'a@x', 'Bronze'), ev(2, '2025-01-01 00:00:00', 'B', 'b@x', null)];
    const b = [ev(1, '2025-03-01 00:00:00', 'A', 'a@x', 'Gold'), ev(2, '2025-02-01 00:00:00', 'B', 'b@x', 'Silver')];
    const c = [ev(1, '2025-02-01 00:00:00', 'A', 'a@x', 'Silver'), ev(2, '2025-02-01 00:00:00', 'B', 'b@y', 'Silver')];
    await land('customers_updates_b.csv', b);
    await land('customers_updates_c.csv', c);
    await land('customers.csv', a);
    const incremental = await dimCustomerRows(db);
    expect(natural(incremental)).to.deep.equal(expected());
    await pipeline(db, dir, { command: 'snapshot', fullRefresh: true });
    const rebuilt = await dimCustomerRows(db);
    expect(natural(rebuilt)).to.deep.equal(natural(incremental));
    expect(rebuilt.map((r) => r.customer_key)).to.deep.equal(incremental.map((r) => r.customer_key));
  });

  it('rule 6: should let the record of the later file by name (byte order), then the later line, win a tie', async () => {
    await land('customers_updates_2025-06.csv', [ev(8, '2025-01-01 00:00:00', 'Late', 'l@x', 'Gold')]);
    await land('customers_updates.csv', [ev(8, '2025-01-01T00:00:00', 'Early', 'e@x', 'Bronze'),
      ev(8, '2025-01-01 02:00:00+02:00', 'Early2', 'e@x', 'Bronze')]);
    const rows = await dimCustomerRows(db);
    expect(rows.map((r) => r.full_name)).to.deep.equal(['Late']);
    expect(natural(rows)).to.deep.equal(expected());
  });

  it('should compare NULLs safely: NULL to a value is a change, NULL to NULL is not', async () => {
    await land('customers.csv', [ev(6, '2025-01-01 00:00:00', 'Fy', null, null)]);
    await land('customers_updates_1.csv', [ev(6, '2025-02-01 00:00:00', 'Fy', '', ' '),
      ev(6, '2025-03-01 00:00:00', 'Fy', null, 'Gold'), ev(6, '2025-04-01 00:00:00', 'Fy', null, null)]);
    expect((await dimCustomerRows(db)).map((r) => r.loyalty_tier)).to.deep.equal([null, 'Gold', null]);
  });

  it('rule 7: should refuse an overlapping version and a second current row in the database itself', async () => {
    await land('customers.csv', [ev(9, '2025-01-01 00:00:00', 'Gu', 'g@x', 'Gold')]);
    let refused: { code?: string } | undefined;
    try {
      await db.sql`insert into analytics.dim_customer (customer_id, full_name, effective_start_date, effective_end_date, is_current)
        values (9, 'Gu', '2024-12-01', '2025-02-01', false)`;
    } catch (e) {
      refused = e as { code?: string };
    }
    expect(refused?.code, 'exclusion constraint').to.equal('23P01');
    refused = undefined;
    try {
      await db.sql`insert into analytics.dim_customer (customer_id, full_name, effective_start_date, effective_end_date, is_current)
        values (9, 'Gu', '2020-01-01', null, true)`;
    } catch (e) {
      refused = e as { code?: string };
    }
    expect(refused?.code, 'a second current row').to.be.oneOf(['23505', '23P01']);
    const [{ n }] = await db.sql`select count(*)::int as n from pg_constraint where conrelid = 'analytics.dim_customer'::regclass and contype = 'x'`;
    expect(n).to.equal(1);
  });
});
