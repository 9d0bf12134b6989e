import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { byNode, readRunResults, suiteProject } from '../support/cli.js';

const files = {
  'models/vars.yml': 'vars:\n  min_amount: 5\n',
  'models/sources.yml': 'sources:\n  - name: raw\n    tables:\n      - name: orders\n        columns: [order_id, amount]\n',
  'data/raw/orders.csv': 'order_id,amount\n1,3\n2,7\n3,12\n',
  'models/marts/big_orders.sql': `{{config materialized="table"}}
select order_id::int, amount::int from {{source "raw" "orders"}}
where amount::int >= {{var "min_amount"}} and '{{var "region" default="north"}}' = 'north'`,
  'models/marts/labels.sql': `{{config materialized="table"}}
select order_id, {{quote (var "label" "plain")}} as label from {{ref "big_orders"}}`,
};

describe('--vars: values the models read as {{var "key"}}', function () {
  this.timeout(120_000);
  const suite = suiteProject(files, 'sadp-vars-');
  const { cli } = suite;

  it('should render the YAML vars: and the defaults, and --vars over them (JSON or YAML)', async () => {
    const plain = await cli('compile', '--select', 'big_orders');
    expect(plain.code, plain.stderr).to.equal(0);
    expect(plain.stdout).to.include("where amount::int >= 5 and 'north' = 'north'");
    const json = await cli('compile', '--select', 'big_orders', '--vars', '{"min_amount": 10, "region": "south"}');
    expect(json.stdout).to.include("where amount::int >= 10 and 'south' = 'north'");
    const yaml = await cli('compile', '--select', 'labels', '--vars', 'label: gold');
    expect(yaml.stdout).to.include("'gold' as label");
  });

  it('should build with the vars, and build again only what a changed var changes', async () => {
    const first = await cli('build-models', '--vars', '{"min_amount": 10}');
    expect(first.code, first.stderr).to.equal(0);
    expect((await suite.db.sql`select order_id from analytics.big_orders`).map((r) => r.order_id)).to.deep.equal([3]);
    const same = await cli('build-models', '--vars', '{"min_amount": 10}');
    expect(same.code, same.stderr).to.equal(0);
    expect(byNode(readRunResults(suite.dir).results).get('big_orders')!.message).to.match(/^unchanged/);
    const changed = await cli('build-models', '--vars', '{"min_amount": 6}');
    expect(changed.code, changed.stderr).to.equal(0);
    expect(byNode(readRunResults(suite.dir).results).get('big_orders')!.message ?? '').not.to.match(/^unchanged/);
    expect((await suite.db.sql`select order_id from analytics.big_orders order by 1`).map((r) => r.order_id)).to.deep.equal([2, 3]);
  });

  it('should record dbt\'s unique_id and execution_time beside ms in run_results.json', async () => {
    const results = JSON.parse(readFileSync(join(suite.dir, 'target', 'run_results.json'), 'utf8')).results as Record<string, unknown>[];
    const model = results.find((r) => r.node === 'big_orders')!;
    expect(model.unique_id).to.match(/^model\.sadp_vars_\w+\.big_orders$/);
    expect(model.execution_time).to.equal((model.ms as number) / 1000);
  });

  it('should fail to compile, naming the model, the line and the var, when a var is not set and has no default', async () => {
    writeFileSync(join(suite.dir, 'models', 'marts', 'cutoff.sql'), 'select 1 as one\nwhere current_date > {{var "cutoff_date"}}');
    const out = await cli('compile');
    expect(out.code).to.equal(2);
    expect(out.stderr).to.include('model "cutoff" (models/marts/cutoff.sql:2) uses var "cutoff_date", which is not set');
    expect(out.stderr).to.include(`--vars '{"cutoff_date": "…"}'`);
    expect(out.stderr).to.include('{{var "cutoff_date" default="…"}}');
    const given = await cli('compile', '--select', 'cutoff', '--vars', '{"cutoff_date": "\'2026-01-01\'::date"}');
    expect(given.code, given.stderr).to.equal(0);
    expect(given.stdout).to.include("current_date > '2026-01-01'::date");
  });

  it('should refuse --vars that are not a mapping with exit 2', async () => {
    const out = await cli('compile', '--vars', '[1, 2]');
    expect(out.code).to.equal(2);
    expect(out.stderr).to.include(`--vars needs a mapping of names to values, like --vars '{"key": "value"}'`);
  });
});
