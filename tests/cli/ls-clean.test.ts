import { expect } from 'chai';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeProject } from '../support/files.js';
import { runCli } from '../support/cli.js';

const files = {
  'package.json': '{"name": "shop"}',
  'models/sources.yml': 'sources:\n  - name: raw\n    tables:\n      - name: orders\n        columns: [order_id, amount]\n      - name: refunds\n        columns: [order_id]\n',
  'models/staging/stg_orders.sql': 'select order_id::int as order_id, amount::numeric as amount from {{source "raw" "orders"}}',
  'models/marts/order_totals.sql': '{{config materialized="table" tags="daily"}}\nselect count(*) as orders from {{ref "stg_orders"}}',
  'models/snapshots/order_history.sql': '{{config unique_key="order_id"}}\nselect * from {{ref "stg_orders"}}',
  'models/marts/schema.yml': 'models:\n  - name: order_totals\n    columns:\n      - name: orders\n        tests: [not_null]\n',
  'models/tests/no_negative_totals.sql': 'select * from {{ref "order_totals"}} where orders < 0',
  'seeds/regions.csv': 'region_id,name\n1,north\n',
  'analyses/orders_per_day.sql': 'select * from {{ref "stg_orders"}}',
};

describe('ls and clean: what dbt users reach for, without a database', function () {
  this.timeout(60_000);
  let dir: string;
  const cli = (...args: string[]) => runCli([...args, '--project-dir', dir], { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });

  before(() => {
    dir = makeProject(files, 'sadp-ls-');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('should list every model, snapshot, test, source, seed and analysis by name', async () => {
    const out = await cli('ls');
    expect(out.code, out.stderr).to.equal(0);
    expect(out.stdout.trim().split('\n')).to.have.members([
      'orders_per_day', 'order_totals', 'stg_orders', 'regions', 'order_history', 'raw.orders', 'raw.refunds',
      'no_negative_totals', 'not_null_order_totals_orders',
    ]);
  });

  it('should list a selection with its tests, and only the kinds asked for', async () => {
    const out = await cli('ls', '--select', 'order_totals');
    expect(out.stdout.trim().split('\n')).to.deep.equal(['order_totals', 'no_negative_totals', 'not_null_order_totals_orders']);
    const upstream = await cli('ls', '--select', '+order_totals', '--resource-type', 'source', 'model');
    expect(upstream.stdout.trim().split('\n')).to.deep.equal(['order_totals', 'stg_orders', 'raw.orders']);
    const sources = await cli('ls', '--select', 'source:raw', '--exclude', 'source:raw.refunds');
    expect(sources.stdout.trim()).to.equal('raw.orders');
    const tagged = await cli('ls', '--select', 'tag:daily', '--resource-type', 'model');
    expect(tagged.stdout.trim()).to.equal('order_totals');
  });

  it('should print paths, or one JSON object per resource with dbt\'s unique_id', async () => {
    const paths = await cli('ls', '--resource-type', 'seed', 'snapshot', 'source', '--output', 'path');
    expect(paths.stdout.trim().split('\n')).to.deep.equal(['seeds/regions.csv', 'models/snapshots/order_history.sql', 'models/sources.yml']);
    const json = await cli('ls', '--select', 'order_totals', '--output', 'json');
    const rows = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows[0]).to.deep.include({ unique_id: 'model.shop.order_totals', resource_type: 'model', path: 'models/marts/order_totals.sql',
      materialized: 'table', tags: ['daily'], depends_on: ['stg_orders'] });
    expect(rows.map((r) => r.unique_id)).to.include('test.shop.not_null_order_totals_orders');
  });

  it('should refuse an unknown resource type or selector with exit 2 and the fix', async () => {
    const kind = await cli('ls', '--resource-type', 'modle');
    expect(kind.code).to.equal(2);
    expect(kind.stderr).to.include('unknown --resource-type "modle"; use model, snapshot, test, source, seed, analysis');
    const source = await cli('ls', '--select', 'source:raw.order');
    expect(source.code).to.equal(2);
    expect(source.stderr).to.include('selector "source:raw.order" matches no source; did you mean "raw.orders"?');
  });

  it('should write dbt\'s unique_ids and the seeds into the manifest', async () => {
    expect((await cli('compile')).code).to.equal(0);
    const manifest = JSON.parse(readFileSync(join(dir, 'target', 'manifest.json'), 'utf8'));
    expect(manifest.nodes.order_totals.unique_id).to.equal('model.shop.order_totals');
    expect(manifest.nodes.order_history.unique_id).to.equal('snapshot.shop.order_history');
    expect(manifest.nodes.no_negative_totals.unique_id).to.equal('test.shop.no_negative_totals');
    expect(manifest.nodes.order_totals.tests[0].unique_id).to.equal('test.shop.not_null_order_totals_orders');
    expect(manifest.sources['raw.orders'].unique_id).to.equal('source.shop.raw.orders');
    expect(manifest.seeds.regions).to.deep.include({ unique_id: 'seed.shop.regions', resource_type: 'seed', path: 'seeds/regions.csv' });
  });

  it('should remove target/ and nothing else', async () => {
    expect((await cli('compile')).code).to.equal(0);
    expect(existsSync(join(dir, 'target', 'manifest.json'))).to.equal(true);
    const out = await cli('clean');
    expect(out.code, out.stderr).to.equal(0);
    expect(out.stdout).to.include('removed target/');
    expect(existsSync(join(dir, 'target'))).to.equal(false);
    for (const f of Object.keys(files)) expect(existsSync(join(dir, f)), f).to.equal(true);
    expect((await cli('clean')).stdout).to.include('nothing to clean');
  });

  it('should delete the embedded warehouse only with --all --yes', async () => {
    mkdirSync(join(dir, '.data', 'postgres'), { recursive: true });
    writeFileSync(join(dir, '.data', 'postgres', 'PG_VERSION'), '15\n');
    const unsure = await cli('clean', '--all');
    expect(unsure.code).to.equal(2);
    expect(unsure.stderr).to.include('add --yes to confirm (npm run clean -- --all --yes)');
    expect(existsSync(join(dir, '.data', 'postgres', 'PG_VERSION'))).to.equal(true);
    const sure = await cli('clean', '--all', '--yes');
    expect(sure.code, sure.stderr).to.equal(0);
    expect(sure.stdout).to.include('.data/postgres/ (the embedded warehouse)');
    expect(existsSync(join(dir, '.data', 'postgres'))).to.equal(false);
    expect(existsSync(join(dir, 'models', 'sources.yml'))).to.equal(true);
  });
});
