import { expect } from 'chai';
import { prepare } from '../../runner/src/compile/prepare.js';
import { UserError } from '../../runner/src/errors.js';
import { collectingLogger } from '../../runner/src/log.js';
import { diffRows, formatDiff } from '../../runner/src/unit/diff.js';
import { parseRows } from '../../runner/src/unit/rows.js';
import { parseUnitTests } from '../../runner/src/unit/spec.js';
import { suiteFolders } from '../support/files.js';
import { ordersProject } from '../support/unit-projects.js';

describe('unit tests: reading the YAML', () => {
  const folder = suiteFolders('sadp-unit-spec-');

  /** The unit tests of ordersProject with `yaml` as its unit_tests.yml. */
  const parse = (yaml: string) => {
    const { project, compiled } = prepare(folder({ ...ordersProject, 'models/marts/unit_tests.yml': yaml }), collectingLogger());
    return parseUnitTests(project.unitTests, compiled.nodes);
  };
  const refusal = (yaml: string): UserError => {
    try {
      parse(yaml);
    } catch (e) {
      return e as UserError;
    }
    throw new Error('expected the unit tests to be refused');
  };

  it('should read a plain test, a step test and a view test with their inputs and rows', () => {
    const [totals, orders, big] = parse(ordersProject['models/marts/unit_tests.yml']);
    expect(totals).to.include({ id: 'unit_test.customer_totals.totals_per_customer', model: 'customer_totals', mode: 'select',
      file: 'models/marts/unit_tests.yml' });
    expect(totals.steps[0].given).to.deep.equal([{ input: 'ref("stg_orders")', kind: 'ref', name: 'stg_orders', replace: false,
      rows: [{ order_id: '1', customer_id: '7', amount: '10.50' }, { order_id: '2', customer_id: '7', amount: '20' },
        { order_id: '3', customer_id: '8', amount: '5' }] }]);
    expect(totals.steps[0].expect).to.deep.equal([{ customer_id: 7, total: 30.5, orders: 2 }, { customer_id: 8, total: 5, orders: 1 }]);
    expect(orders.mode).to.equal('build');
    expect(orders.steps).to.have.length(2);
    expect(orders.steps[1].given[0]).to.include({ kind: 'source', name: 'raw.orders', input: 'source("raw", "orders")' });
    expect(big.steps[0].expect).to.deep.equal([{ customer_id: 2 }]);
  });

  it('should read CSV rows as COPY does: an empty field is NULL, a quoted empty one the empty string', () => {
    expect(parseRows('a,b,c\n1,,""\n" x ",y,z\n')).to.deep.equal([{ a: '1', b: null, c: '' }, { a: ' x ', b: 'y', c: 'z' }]);
  });

  it('should give back a YAML timestamp as the text it was written as', () => {
    const [test] = parse(`unit_tests:
  - name: t
    model: customer_totals
    given: [{input: ref("stg_orders"), rows: [{order_id: 1, amount: 2025-01-02 10:30:00}, {order_id: 2, amount: 2025-01-02}]}]
    expect: {rows: []}
`);
    expect(test.steps[0].given[0].rows).to.deep.equal([{ order_id: 1, amount: '2025-01-02 10:30:00' }, { order_id: 2, amount: '2025-01-02' }]);
  });

  it('should refuse a misspelt model, naming the file and the test and the closest model (exit 2)', () => {
    const e = refusal('unit_tests:\n  - name: t\n    model: customer_total\n    expect: {rows: []}\n');
    expect(e.exitCode).to.equal(2);
    expect(e.message).to.equal('unit test "t" (models/marts/unit_tests.yml): unknown model "customer_total"; did you mean "customer_totals"?');
  });

  it('should refuse an input the model does not read, naming what it reads (exit 2)', () => {
    const e = refusal('unit_tests:\n  - name: t\n    model: customer_totals\n    given: [{input: ref("stg_order"), rows: []}]\n    expect: {rows: []}\n');
    expect(e.exitCode).to.equal(2);
    expect(e.message).to.include('unit test "t" (models/marts/unit_tests.yml): input ref("stg_order") is not read by model "customer_totals"')
      .and.include('did you mean ref("stg_orders")?');
    expect(refusal('unit_tests:\n  - name: t\n    model: customer_totals\n    given: [{input: stg_orders}]\n    expect: {rows: []}\n').message)
      .to.include('input "stg_orders" should read ref("model") or source("source", "table")');
  });

  it('should refuse an unknown key, expected rows naming different columns, and two tests of one name', () => {
    expect(refusal('unit_tests:\n  - name: t\n    model: lonely\n    expcet: {rows: []}\n').message)
      .to.equal('unknown key "expcet" in unit test "t" (models/marts/unit_tests.yml:4:5); did you mean "expect"?');
    expect(refusal('unit_tests:\n  - name: t\n    model: lonely\n    expect: {rows: [{one: 1}, {two: 2}]}\n').message)
      .to.include('expect: row 1 does not name two; every expected row names the same columns');
    expect(refusal('unit_tests:\n  - {name: t, model: lonely, expect: []}\n  - {name: t, model: lonely, expect: []}\n').message)
      .to.include('two unit tests of model "lonely" are named "t"');
    expect(refusal('unit_tests:\n  - {name: t, model: lonely, given: [], steps: [{expect: []}]}\n').message)
      .to.include('has steps: put given and expect inside each step');
    expect(refusal('unit_tests:\n  - {name: t, model: lonely, this: [], expect: []}\n').message).to.include('"this" gives the table before an incremental run');
  });
});

describe('unit tests: comparing rows', () => {
  const columns = ['id', 'name', 'tier'];

  it('should find equal rows in any order, counting duplicates', () => {
    expect(diffRows(columns, [['1', 'a', null], ['2', 'b', 'Gold']], [['2', 'b', 'Gold'], ['1', 'a', null]], [0])).to.equal(undefined);
    const d = diffRows(columns, [['1', 'a', null], ['1', 'a', null]], [['1', 'a', null]], [])!;
    expect(d.missing).to.deep.equal([['1', 'a', null]]);
    expect(d.extra).to.deep.equal([]);
  });

  it('should show a missing and an extra row with the same key as one changed row, column by column', () => {
    const d = diffRows(columns, [['1', 'a', 'Gold'], ['2', 'b', null]], [['1', 'a', null], ['3', 'c', 'x y']], [0])!;
    expect(d.changed).to.deep.equal([{ expected: ['1', 'a', 'Gold'], actual: ['1', 'a', null] }]);
    expect(formatDiff(d, [0])).to.equal([
      'expected 2 row(s), got 2: 1 changed, 1 missing, 1 extra',
      '  changed  id=1',
      '             tier: expected Gold, got NULL',
      '  missing  id=2, name=b, tier=NULL',
      '  extra    id=3, name=c, tier=x y',
    ].join('\n'));
  });

  it('should quote a value that could be misread', () => {
    const d = diffRows(['v'], [['']], [['NULL'], [' a'], ['a, b=c']], [])!;
    expect(formatDiff(d, [])).to.include('missing  v=""').and.include('extra    v="NULL"').and.include('extra    v=" a"')
      .and.include('extra    v="a, b=c"');
  });
});
