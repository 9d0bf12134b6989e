import { expect } from 'chai';
import { rmSync } from 'node:fs';
import { makeProject } from '../support/files.js';
import { byNode, readRunResults, runCli, suiteProject } from '../support/cli.js';

const files = {
  // a project's own generic test: the rows where the column is not above the given minimum
  'macros/tests/greater_than.sql': `{{!-- rows whose column is not above the minimum --}}
select * from {{model}} where not ({{column}} > {{min}})`,
  'macros/tests/row_count_at_least.sql': `select count(*) as found from {{model}} having count(*) < {{rows}}`,
  'models/marts/order_lines.sql': `{{config materialized="table"}}
select * from (values (1, 1, 5.00), (1, 2, 7.50), (2, 1, 0.00), (2, 1, 3.00)) as v(order_id, line_no, amount)`,
  'models/marts/schema.yml': `
models:
  - name: order_lines
    tests:
      - unique_combination_of_columns: {combination_of_columns: [order_id, line_no]}
      - row_count_at_least: {rows: 10, severity: warn}
      - row_count_at_least: {rows: 2}
    columns:
      - name: amount
        tests:
          - greater_than: {min: 0}
      - name: line_no
        tests:
          - greater_than: {min: 0}
          - not_null
`,
};

describe('custom generic tests (macros/tests/<name>.sql) and unique_combination_of_columns', function () {
  this.timeout(60_000);
  const suite = suiteProject(files, 'sadp-custom-tests-');
  const { cli } = suite;

  it('should run a project\'s own test kinds beside the built-in ones, with their arguments and severity', async () => {
    const out = await cli('build-models');
    expect(out.code, out.stdout).to.equal(1);
    const tests = byNode(readRunResults(suite.dir).results.filter((r) => r.kind === 'test'));
    expect(Object.fromEntries([...tests].map(([name, r]) => [name, [r.status, r.rows]]))).to.deep.equal({
      unique_combination_of_columns_order_lines: ['fail', 1],
      row_count_at_least_order_lines: ['warn', 1],
      row_count_at_least_order_lines_2: ['pass', 0],
      greater_than_order_lines_amount: ['fail', 1],
      greater_than_order_lines_line_no: ['pass', 0],
      not_null_order_lines_line_no: ['pass', 0],
    });
    expect(out.stdout).to.match(/failed test unique_combination_of_columns_order_lines: 1 failing row/);
  });

  it('should say how to write the columns when combination_of_columns is missing or misspelt', async () => {
    const run = async (test: string) => {
      const bad = makeProject({ ...files, 'models/marts/schema.yml': `models:\n  - name: order_lines\n    tests:\n      - ${test}\n` }, 'sadp-custom-tests-');
      try {
        return await runCli(['build-models', '--project-dir', bad], { DATABASE_URL: suite.db.url });
      } finally {
        rmSync(bad, { recursive: true, force: true });
      }
    };
    const missing = await run('unique_combination_of_columns');
    expect(missing.code).to.equal(2);
    expect(missing.stderr).to.include('test unique_combination_of_columns on model "order_lines" needs its columns: ' +
      'unique_combination_of_columns: {combination_of_columns: [a, b]}');
    const misspelt = await run('unique_combination_of_columns: {columns: [order_id]}');
    expect(misspelt.code).to.equal(2);
    expect(misspelt.stderr).to.match(/unknown key "columns" .*models\/marts\/schema\.yml:4:.*did you mean "combination_of_columns"/);
  });
});
