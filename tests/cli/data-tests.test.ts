import { expect } from 'chai';
import { rmSync } from 'node:fs';
import { makeProject, writeFiles } from '../support/files.js';
import { createDatabase, type TestDatabase } from '../support/database.js';
import { byNode, readRunResults, runCli } from '../support/cli.js';

const schemaYml = `
models:
  - name: customers
    columns:
      - name: customer_id
        tests: [unique, not_null]
      - name: email
        tests: [not_null]
      - name: tier
        tests:
          - accepted_values: {values: [Bronze, Silver, Gold]}
  - name: orders
    columns:
      - name: customer_id
        tests:
          - relationships: {to: customers, field: customer_id, severity: warn}
  - name: customer_history
    tests:
      - scd2_valid: {unique_key: customer_id, valid_from: valid_from, valid_to: valid_to, current_flag: is_current}
`;

const goodModels: Record<string, string> = {
  'models/schema.yml': schemaYml,
  'models/marts/customers.sql': `
select * from (values (1, 'a@x.io', 'Gold'), (2, 'b@x.io', 'Silver'), (3, 'c@x.io', null))
  as v(customer_id, email, tier)`,
  // customer 99 has no row in customers: an orphan the warn-severity test reports
  'models/marts/orders.sql': `
select * from (values (10, 1, 5.00), (11, 2, 7.50), (12, 99, 1.00)) as v(order_id, customer_id, amount)`,
  'models/marts/customer_history.sql': `
select customer_id, valid_from::timestamp, valid_to::timestamp, is_current from (values
  (1, '2025-01-01', '2025-02-01', false), (1, '2025-02-01', null, true),
  (2, '2025-01-05', null, true)) as v(customer_id, valid_from, valid_to, is_current)`,
  'models/tests/no_negative_amounts.sql': 'select order_id from {{ref "orders"}} where amount < 0',
};

describe('runner: data tests', function () {
  this.timeout(60_000);
  let db: TestDatabase;
  let dir: string;

  before(async () => {
    db = await createDatabase();
    dir = makeProject(goodModels);
  });
  after(async () => {
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const build = () => runCli(['build-models', '--project-dir', dir], { DATABASE_URL: db.url });
  const testResults = () => byNode(readRunResults(dir).results.filter((r) => r.kind === 'test'));

  describe('on data that keeps every rule', () => {
    let out: Awaited<ReturnType<typeof build>>;
    before(async () => {
      out = await build();
    });

    it('should pass every error-severity test and exit 0 though a warn-severity test finds orphans', () => {
      expect(out.code, out.stderr).to.equal(0);
      const tests = testResults();
      expect(Object.fromEntries([...tests].map(([name, r]) => [name, r.status]))).to.deep.equal({
        unique_customers_customer_id: 'pass',
        not_null_customers_customer_id: 'pass',
        not_null_customers_email: 'pass',
        accepted_values_customers_tier: 'pass',
        relationships_orders_customer_id: 'warn',
        scd2_valid_customer_history: 'pass',
        no_negative_amounts: 'pass',
      });
      expect(tests.get('relationships_orders_customer_id')!.rows).to.equal(1);
    });
  });

  describe('on data that breaks the rules', () => {
    let out: Awaited<ReturnType<typeof build>>;
    before(async () => {
      writeFiles(dir, {
        'models/marts/customers.sql': `
select * from (values (1, 'a@x.io', 'Gold'), (1, 'a2@x.io', 'Gold'), (2, null, 'Silver'), (3, 'c@x.io', 'Diamond'),
  (null, 'n@x.io', 'Bronze'))
  as v(customer_id, email, tier)`,
        'models/marts/orders.sql': `
select * from (values (10, 1, 5.00), (11, 2, -7.50)) as v(order_id, customer_id, amount)`,
        // customer 1: two current versions that overlap; customer 2: a gap between versions
        'models/marts/customer_history.sql': `
select customer_id, valid_from::timestamp, valid_to::timestamp, is_current from (values
  (1, '2025-01-01', null, true), (1, '2025-02-01', null, true),
  (2, '2025-01-01', '2025-01-10', false), (2, '2025-01-20', null, true)) as v(customer_id, valid_from, valid_to, is_current)`,
      });
      out = await build();
    });

    it('should exit 1 because error-severity tests failed', () => {
      expect(out.code, out.stderr).to.equal(1);
      expect(readRunResults(dir).status).to.equal('error');
    });

    it('should fail each broken test with the number of failing rows', () => {
      const tests = testResults();
      const outcome = (name: string) => [tests.get(name)!.status, tests.get(name)!.rows];
      expect(outcome('unique_customers_customer_id')).to.deep.equal(['fail', 1]);
      expect(outcome('not_null_customers_customer_id')).to.deep.equal(['fail', 1]);
      expect(outcome('not_null_customers_email')).to.deep.equal(['fail', 1]);
      expect(outcome('accepted_values_customers_tier')).to.deep.equal(['fail', 1]);
      expect(outcome('no_negative_amounts')).to.deep.equal(['fail', 1]);
      // customer 1: two current versions, one overlapping the next; customer 2: a gap
      expect(outcome('scd2_valid_customer_history')).to.deep.equal(['fail', 3]);
      expect(tests.get('relationships_orders_customer_id')!.status).to.equal('pass');
    });
  });

  describe('a warn-severity test alone', () => {
    it('should not fail the run', async () => {
      const warnOnly = makeProject({
        'models/schema.yml': `
models:
  - name: things
    columns:
      - name: id
        tests:
          - unique: {severity: warn}
`,
        'models/marts/things.sql': 'select * from (values (1), (1)) as v(id)',
      });
      try {
        const res = await runCli(['build-models', '--project-dir', warnOnly], { DATABASE_URL: db.url });
        expect(res.code, res.stderr).to.equal(0);
        const [test] = readRunResults(warnOnly).results.filter((r) => r.kind === 'test');
        expect([test.node, test.status, test.rows]).to.deep.equal(['unique_things_id', 'warn', 1]);
      } finally {
        rmSync(warnOnly, { recursive: true, force: true });
      }
    });
  });
});
