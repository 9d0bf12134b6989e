import { expect } from 'chai';
import { suiteDatabase, type TestDatabase } from '../support/database.js';
import { readRunResults, runCli } from '../support/cli.js';
import { suiteFolders, writeFiles } from '../support/files.js';
import { ordersProject } from '../support/unit-projects.js';

/** ordersProject with its unit tests' `from` replaced by `to` (a mistake in a test, or in a model). */
const edited = (path: string, from: string, to: string) => {
  const text = ordersProject[path];
  if (!text.includes(from)) throw new Error(`"${from}" is not in ${path}`);
  return { ...ordersProject, [path]: text.replace(from, to) };
};
const yaml = 'models/marts/unit_tests.yml';

describe('npm run unit-tests', function () {
  this.timeout(60_000);
  let db: TestDatabase;
  suiteDatabase((d) => (db = d));
  const project = suiteFolders('sadp-unit-cli-');
  const unitTests = (dir: string, ...args: string[]) =>
    runCli(['unit-tests', '--project-dir', dir, ...args], { DATABASE_URL: db.url });

  it('should pass each test, log each as a JSON line and record them in run_results.json', async () => {
    const dir = project(ordersProject);
    const cli = await unitTests(dir);
    expect(cli.code, cli.stderr + cli.stdout).to.equal(0);
    expect(cli.stdout.replace(/\d+ ms/g, 'n ms')).to.equal([
      'PASS stg_orders: a_later_batch_replaces_an_order (n ms)',
      'PASS customer_totals: totals_per_customer (n ms)',
      'PASS big_customers: only_big_ones (n ms)',
      '3 unit tests: 3 passed, 0 failed (n ms)\n'].join('\n'));
    const logged = cli.stderr.trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.event === 'unit_test');
    // two sessions share the tests out: the log has them in the order they end
    expect(logged.map((e) => [e.node, e.status, e.file])).to.have.deep.members([
      ['unit_test.stg_orders.a_later_batch_replaces_an_order', 'pass', yaml],
      ['unit_test.customer_totals.totals_per_customer', 'pass', yaml],
      ['unit_test.big_customers.only_big_ones', 'pass', yaml],
    ]);
    const results = readRunResults(dir);
    expect(results).to.include({ status: 'success', exitCode: 0 });
    expect(results.results.map((r) => [r.node, r.kind, r.status])).to.deep.equal([
      ['unit_test.stg_orders.a_later_batch_replaces_an_order', 'unit_test', 'pass'],
      ['unit_test.customer_totals.totals_per_customer', 'unit_test', 'pass'],
      ['unit_test.big_customers.only_big_ones', 'unit_test', 'pass'],
    ]);
  });

  it('should run only the tests of the selected models, and say when there are none', async () => {
    const dir = project(ordersProject);
    expect((await unitTests(dir, '--select', 'customer_totals+')).stdout).to.include('\n2 unit tests: 2 passed');
    const none = await unitTests(dir, '--select', 'lonely');
    expect(none.code).to.equal(0);
    expect(none.stdout).to.equal('no unit tests for the selected models\n');
  });

  it('should print the file, the test and a diff of the rows, and exit 1, when a model is wrong', async () => {
    const dir = project(edited('models/marts/customer_totals.sql', 'count(*)::int as orders', 'count(distinct amount > 10)::int as orders'));
    const cli = await unitTests(dir);
    expect(cli.code).to.equal(1);
    expect(cli.stdout).to.include([
      'FAIL customer_totals: unit test "totals_per_customer" (models/marts/unit_tests.yml) failed',
      '  expected 2 row(s), got 2: 1 changed',
      '    changed  customer_id=7',
      '               orders: expected 2, got 1'].join('\n'));
    expect(cli.stdout).to.include('3 unit tests: 2 passed, 1 failed');
    expect(readRunResults(dir)).to.include({ status: 'error', exitCode: 1 });
  });

  it('should refuse a misspelt input, model or column with exit code 2, naming the file and the test', async () => {
    const cases: [Record<string, string>, string][] = [
      [edited(yaml, 'input: ref("stg_orders")', 'input: ref("stg_order")'),
        'unit test "totals_per_customer" (models/marts/unit_tests.yml): input ref("stg_order") is not read by model "customer_totals"; did you mean ref("stg_orders")?'],
      [edited(yaml, 'model: big_customers', 'model: big_customer'),
        'unit test "only_big_ones" (models/marts/unit_tests.yml): unknown model "big_customer"; did you mean "big_customers"?'],
      [edited(yaml, 'order_id,customer_id,amount\n', 'order_id,customer,amount\n'),
        'unit test "totals_per_customer" (models/marts/unit_tests.yml): ref("stg_orders") has no column "customer"; did you mean "customer_id"?'],
      [edited(yaml, '{customer_id: 7, total: 30.5, orders: 2}', '{customer_id: 7, totl: 30.5, orders: 2}'),
        'unit test "totals_per_customer" (models/marts/unit_tests.yml): expect: row 1 does not name total; every expected row names the same columns'],
    ];
    for (const [files, says] of cases) {
      const cli = await unitTests(project(files));
      expect(cli.code, cli.stderr).to.equal(2);
      expect(cli.stderr).to.include(`error: ${says}`);
    }
    const column = await unitTests(project(edited(yaml, 'rows: [{customer_id: 2}]', 'rows: [{customer: 2}]')));
    expect(column.code).to.equal(2);
    expect(column.stderr).to.include('error: unit test "only_big_ones" (models/marts/unit_tests.yml): expect names column "customer", ' +
      'which model "big_customers" does not have; did you mean "customer_id"?');
  });

  it('should let build-models run only the unit tests not known to pass with the same code and database', async () => {
    const dir = project({ ...ordersProject, 'data/raw/orders.csv': 'order_id,customer_id,amount\n1,7,200\n' });
    const build = () => runCli(['build-models', '--project-dir', dir], { DATABASE_URL: db.url });
    const ran = () => readRunResults(dir).results.filter((r) => r.kind === 'unit_test').map((r) => r.node);
    expect((await unitTests(dir)).code).to.equal(0);
    expect((await build()).code).to.equal(0);
    expect(ran()).to.deep.equal([]);
    writeFiles(dir, { 'models/marts/lonely.sql': 'select 2 as one\n' });
    expect((await build()).code).to.equal(0);
    expect(ran()).to.have.length(3);
    await build();
    expect(ran()).to.deep.equal([]);
  });

  it('should stop build-models from building a model whose unit test fails, and what reads it, unless --skip-unit-tests', async () => {
    const dir = project({ ...edited('models/marts/customer_totals.sql', 'sum(amount)', 'sum(amount) + 1'),
      'data/raw/orders.csv': 'order_id,customer_id,amount\n1,7,200\n' });
    const cli = await runCli(['build-models', '--project-dir', dir], { DATABASE_URL: db.url });
    expect(cli.code).to.equal(1);
    const status = Object.fromEntries(readRunResults(dir).results.map((r) => [r.node, r.status]));
    expect(status).to.include({ 'unit_test.customer_totals.totals_per_customer': 'fail', customer_totals: 'error', big_customers: 'skipped',
      stg_orders: 'success', lonely: 'success' });
    expect(cli.stdout).to.include('3 unit tests: 2 passed, 1 failed')
      .and.include('total: expected 30.5, got 31.5')
      .and.include('error in customer_totals: model "customer_totals" not built: its unit test "totals_per_customer" failed (models/marts/unit_tests.yml)');
    const skipped = await runCli(['build-models', '--project-dir', dir, '--skip-unit-tests'], { DATABASE_URL: db.url });
    expect(skipped.code, skipped.stdout).to.equal(0);
    expect(readRunResults(dir).results.some((r) => r.kind === 'unit_test')).to.equal(false);
  });
});
