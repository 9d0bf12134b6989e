import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { byNode, readRunResults, suiteProject } from '../support/cli.js';

const sources = (ordersFreshness: string) => `
sources:
  - name: raw
    freshness: {warn_after: {count: 12, period: hour}}
    tables:
      - name: orders
        columns: [order_id, amount]
        freshness: ${ordersFreshness}
      - name: customers
        columns: [customer_id]
      - name: notes
        columns: [note]
        freshness: null
`;

const files = {
  'models/sources.yml': sources('{warn_after: {count: 2, period: hour}, error_after: {count: 1, period: day}}'),
  'models/staging/stg_orders.sql': 'select order_id::int as order_id from {{source "raw" "orders"}}',
  'models/staging/stg_customers.sql': 'select customer_id::int as customer_id from {{source "raw" "customers"}}',
  'data/raw/orders.csv': 'order_id,amount\n1,10\n',
  'data/raw/customers.csv': 'customer_id\n7\n',
};

describe('source freshness: how long ago each source last landed a file', function () {
  this.timeout(120_000);
  const suite = suiteProject(files, 'sadp-freshness-');
  const { cli } = suite;
  const age = (table: string, interval: string) => suite.db.sql.unsafe(`update raw.${table} set _loaded_at = now() - interval '${interval}'`);

  it('should call a source that never landed an error (exit 1), naming it', async () => {
    const out = await cli('source-freshness');
    expect(out.code, out.stderr).to.equal(1);
    expect(out.stdout).to.match(/ERROR\s+raw\.orders\s+-\s+cannot tell when raw\.orders last loaded: .*ingest its files first/);
  });

  it('should pass every table that landed lately, checking only the tables with freshness:', async () => {
    expect((await cli('build-models')).code).to.equal(0);
    const out = await cli('source-freshness');
    expect(out.code, out.stderr).to.equal(0);
    expect(out.stdout).to.match(/PASS\s+raw\.customers\s+\d+ s\s+last loaded \d+ s ago/);
    expect(out.stdout).to.match(/PASS\s+raw\.orders/);
    expect(out.stdout).not.to.include('raw.notes');
    expect(out.stdout).to.include('2 source table(s): 2 fresh, 0 warned, 0 past error_after or never loaded');
    const written = JSON.parse(readFileSync(join(suite.dir, 'target', 'sources.json'), 'utf8'));
    expect(written.results.map((r: { unique_id: string }) => r.unique_id)).to.have.members(
      [`source.${written.results[0].unique_id.split('.')[1]}.raw.orders`, `source.${written.results[0].unique_id.split('.')[1]}.raw.customers`]);
  });

  it('should warn past warn_after (exit 0) and fail past error_after (exit 1), with the age', async () => {
    await age('orders', '3 hours');
    const warned = await cli('source-freshness', '--select', 'raw.orders');
    expect(warned.code, warned.stderr).to.equal(0);
    expect(warned.stdout).to.match(/WARN\s+raw\.orders\s+3 h 0 min\s+last loaded 3 h 0 min ago \(.*\), more than its warn_after of 2 hour\(s\)/);
    expect(warned.stdout).not.to.include('raw.customers');
    await age('orders', '2 days');
    const failed = await cli('source-freshness');
    expect(failed.code).to.equal(1);
    expect(failed.stdout).to.match(/ERROR\s+raw\.orders\s+2 d 0 h\s+.*more than its error_after of 1 day\(s\)/);
    expect(failed.stdout).to.match(/PASS\s+raw\.customers/);
  });

  it('should check freshness after ingest in build-models: a warning, and an error that fails the run', async () => {
    await age('orders', '3 hours');
    const warned = await cli('build-models');
    expect(warned.code, warned.stdout).to.equal(0);
    expect(warned.stderr).to.include('source raw.orders is stale: last loaded 3 h 0 min ago');
    expect(byNode(readRunResults(suite.dir).results).get('raw.orders')).to.deep.include({ kind: 'source', status: 'warn' });
    await age('orders', '2 days');
    const failed = await cli('build-models');
    expect(failed.code).to.equal(1);
    expect(failed.stdout).to.match(/error in raw\.orders: source raw\.orders is stale \(error\): last loaded 2 d 0 h ago/);
    const results = byNode(readRunResults(suite.dir).results);
    expect(results.get('raw.orders')).to.deep.include({ kind: 'source', status: 'error' });
    expect(results.get('stg_orders')!.status).to.equal('success');
  });

  it('should refuse a freshness without a period, naming the table and the file', async () => {
    writeFileSync(join(suite.dir, 'models', 'sources.yml'), sources('{error_after: {count: 1}}'));
    const out = await cli('source-freshness');
    expect(out.code).to.equal(2);
    expect(out.stderr).to.include('freshness.error_after of source table "raw.orders" in "models/sources.yml" needs a count > 0 and a period (minute, hour or day)');
  });
});
