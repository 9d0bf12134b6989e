/**
 * Data tests on incremental models check only the rows a run merged when that is as good as checking
 * every row: the test passed on everything before, and the parent of a relationships test lost no value.
 * Everything else checks every row; `--full-tests` forces it.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { rmSync } from 'node:fs';
import { makeProject } from '../support/files.js';
import { createDatabase, type TestDatabase } from '../support/database.js';
import { byNode, readRunResults, runCli } from '../support/cli.js';

const project: Record<string, string> = {
  'models/schema.yml': `
models:
  - name: orders
    columns:
      - name: order_id
        tests: [unique, not_null]
      - name: customer_id
        tests:
          - relationships: {to: customers, field: customer_id}
      - name: amount
        tests: [not_null]
`,
  'models/customers.sql': `{{config materialized="table"}}
select customer_id from public.src_customers`,
  // each landed row has a sequence number; a later row of an order replaces the stored one
  'models/orders.sql': `{{config materialized="incremental" unique_key="order_id"}}
select distinct on (order_id) seq, order_id, customer_id, amount from public.src_orders
{{#if is_incremental}}where seq > (select coalesce(max(seq), 0) from {{this}}){{/if}}
order by order_id, seq desc`,
};

type TestRow = { status: string; rows: number | null; scope?: string; message?: string };

describe('data tests that check only the rows a run wrote', function () {
  this.timeout(240_000);
  let db: TestDatabase;
  let dir: string;
  let nextOrder = 1;

  const build = async (...flags: string[]) => {
    const out = await runCli(['build-models', '--project-dir', dir, ...flags], { DATABASE_URL: db.url });
    const tests = byNode(readRunResults(dir).results.filter((r) => r.kind === 'test')) as Map<string, TestRow>;
    return { code: out.code, stderr: out.stderr, tests };
  };
  /** Lands orders for the next build: customer ids (null amount where the id is negative). */
  const land = async (customers: number[]) => {
    for (const c of customers) {
      await db.sql`insert into public.src_orders (order_id, customer_id, amount) values (${nextOrder++}, ${Math.abs(c)}, ${c < 0 ? null : 9.99})`;
    }
  };
  /** Lands a new version of an order already landed, pointing at another customer. */
  const replace = async (order: number, customer: number) => {
    await db.sql`insert into public.src_orders (order_id, customer_id, amount) values (${order}, ${customer}, 1)`;
  };
  const schemaOf = async (table: string) => {
    const [row] = await db.sql`select table_schema from information_schema.tables
      where table_name = ${table} and table_schema <> 'public'`;
    return row.table_schema as string;
  };
  const scopes = (tests: Map<string, TestRow>) => Object.fromEntries([...tests].map(([k, v]) => [k, `${v.status} ${v.scope}`]));

  beforeEach(async () => {
    db = await createDatabase();
    dir = makeProject(project);
    nextOrder = 1;
    await db.sql.unsafe(`create table public.src_customers (customer_id int);
      insert into public.src_customers values (1), (2), (3);
      create table public.src_orders (seq serial, order_id int, customer_id int, amount numeric)`);
    await land([1, 2, 3]);
  });
  afterEach(async () => {
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('should check every row on the first build and only the merged rows once every test passed', async () => {
    const first = await build();
    expect(first.code, first.stderr).to.equal(0);
    expect(scopes(first.tests)).to.deep.equal({
      unique_orders_order_id: 'pass all rows',
      not_null_orders_order_id: 'pass all rows',
      relationships_orders_customer_id: 'pass all rows',
      not_null_orders_amount: 'pass all rows',
    });
    await land([1, 3]);
    const second = await build();
    expect(second.code, second.stderr).to.equal(0);
    expect(scopes(second.tests)).to.deep.equal({
      unique_orders_order_id: 'pass changed rows',
      not_null_orders_order_id: 'pass changed rows',
      relationships_orders_customer_id: 'pass changed rows',
      not_null_orders_amount: 'pass changed rows',
    });
  });

  it('should find a bad merged row, and check every row again until the test passes', async () => {
    expect((await build()).code).to.equal(0);
    await land([2, -3]);
    const bad = await build();
    expect(bad.code).to.equal(1);
    expect(bad.tests.get('not_null_orders_amount')).to.include({ status: 'fail', rows: 1, scope: 'changed rows' });
    // good rows come next, but the bad one is still there: every row is checked, and it still fails
    await land([1]);
    const still = await build();
    expect(still.code).to.equal(1);
    expect(still.tests.get('not_null_orders_amount')).to.include({ status: 'fail', rows: 1, scope: 'all rows' });
    await db.sql`update public.src_orders set amount = 1 where amount is null`;
    await db.sql.unsafe(`update ${await schemaOf('orders')}.orders set amount = 1 where amount is null`);
    const fixed = await build();
    expect(fixed.code, fixed.stderr).to.equal(0);
    expect(fixed.tests.get('not_null_orders_amount')).to.include({ status: 'pass', scope: 'all rows' });
    await land([2]);
    expect((await build()).tests.get('not_null_orders_amount')).to.include({ status: 'pass', scope: 'changed rows' });
  });

  it('should check every child row when the parent lost a value the children point at', async () => {
    expect((await build()).code).to.equal(0);
    await db.sql`delete from public.src_customers where customer_id = 2`;
    await land([1]);
    const after = await build();
    expect(after.code).to.equal(1);
    // the new order is fine; the old order of customer 2 is now an orphan
    expect(after.tests.get('relationships_orders_customer_id')).to.include({ status: 'fail', rows: 1, scope: 'all rows' });
    expect(after.tests.get('not_null_orders_amount')).to.include({ status: 'pass', scope: 'changed rows' });
    const [removed] = await db.sql`select removed from meta.key_removals where node = 'customers' and field = 'customer_id'
      order by run_id desc limit 1`;
    expect(Number(removed.removed)).to.equal(1);
  });

  it('should check every row after a build that skipped the tests', async () => {
    expect((await build()).code).to.equal(0);
    await land([-1]);
    expect((await build('--skip-tests')).code).to.equal(0);
    await land([2]);
    const next = await build();
    expect(next.code).to.equal(1);
    expect(next.tests.get('not_null_orders_amount')).to.include({ status: 'fail', rows: 1, scope: 'all rows' });
  });

  it('should check every row with --full-tests, where a change made outside the runner shows', async () => {
    expect((await build()).code).to.equal(0);
    // nobody but the runner should write to a model's table; if somebody does, --full-tests finds it
    await db.sql.unsafe(`update ${await schemaOf('orders')}.orders set amount = null where order_id = 1`);
    await land([1]);
    const scoped = await build();
    expect(scoped.tests.get('not_null_orders_amount')).to.include({ status: 'pass', scope: 'changed rows' });
    const full = await build('--full-tests');
    expect(full.code).to.equal(1);
    expect(full.tests.get('not_null_orders_amount')).to.include({ status: 'fail', rows: 1, scope: 'all rows' });
  });

  it('should keep checking changed rows while a relationships test fails, and count what a full check counts', async () => {
    expect((await build()).code).to.equal(0);
    await land([9, 9, 8]);
    const orphans = await build();
    expect(orphans.tests.get('relationships_orders_customer_id')).to.include({ status: 'fail', rows: 2, scope: 'changed rows' });
    await land([7, 1]);
    const more = await build();
    expect(more.tests.get('relationships_orders_customer_id')).to.include({ status: 'fail', rows: 3, scope: 'changed rows' });
    // the query a failure shows checks every row: run as given, it lists the three orphans
    const message = more.tests.get('relationships_orders_customer_id')!.message!;
    expect(message).to.include('checked: the rows this run wrote and the values that failed last time');
    const command = /; to see them: npm run sql -- '(.*)'$/s.exec(message)![1];
    const query = command.replace(/'\\''/g, "'");
    expect(query).to.not.include('xmin');
    expect(await db.sql.unsafe(query)).to.have.length(3);
    // order 6 (customer 8) now points at customer 1; customer 9 arrives: only 7 is left
    await replace(6, 1);
    await db.sql`insert into public.src_customers values (9)`;
    const fewer = await build();
    expect(fewer.tests.get('relationships_orders_customer_id')).to.include({ status: 'fail', rows: 1, scope: 'changed rows' });
    const full = await build('--full-tests');
    expect(full.tests.get('relationships_orders_customer_id')).to.include({ status: 'fail', rows: 1, scope: 'all rows' });
  });

  it('should give every test the outcome a check of every row gives, whatever lands and whatever the parent loses', async () => {
    // a step: orders landing (negative id: null amount; 9: no such customer), an order landing again for
    // another customer, or a customer leaving or coming
    const step = fc.oneof(
      fc.record({ land: fc.array(fc.constantFrom(1, 2, 3, -2, 9), { minLength: 1, maxLength: 3 }) }),
      fc.record({ replace: fc.tuple(fc.integer({ min: 1, max: 4 }), fc.constantFrom(1, 3, 9)) }),
      fc.record({ drop: fc.constantFrom(1, 2, 3) }),
      fc.record({ add: fc.constantFrom(2, 9) }),
    );
    await fc.assert(fc.asyncProperty(fc.array(step, { minLength: 2, maxLength: 4 }), async (steps) => {
      await db.sql.unsafe(`drop schema if exists meta cascade; drop schema if exists analytics cascade;
        drop table if exists public.orders, public.customers;
        truncate public.src_orders; truncate public.src_customers; insert into public.src_customers values (1), (2), (3)`);
      nextOrder = 1;
      await land([1, 2, 3]);
      await build();
      for (const s of steps) {
        if ('land' in s) await land(s.land);
        if ('replace' in s) await replace(...s.replace);
        if ('drop' in s) await db.sql`delete from public.src_customers where customer_id = ${s.drop}`;
        if ('add' in s) await db.sql`insert into public.src_customers values (${s.add})`;
        const run = await build();
        const full = await build('--tests-only');
        for (const [name, t] of run.tests) {
          const { status, rows } = full.tests.get(name)!;
          expect({ status: t.status, rows: t.rows }, `${name} after ${JSON.stringify(steps)}`).to.deep.equal({ status, rows });
        }
      }
    }), { numRuns: Number(process.env.CHANGED_ROWS_PROPERTY_RUNS ?? 8) });
  });
});
