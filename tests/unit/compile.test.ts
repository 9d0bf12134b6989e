import { expect } from 'chai';
import { compiledSql, resolveSql } from '../../runner/src/compile/compile.js';
import { prepare } from '../../runner/src/compile/prepare.js';
import { collectingLogger } from '../../runner/src/log.js';
import { suiteFolders } from '../support/files.js';

/**
 *   raw.orders ── stg_orders ── int_big_orders (ephemeral) ── int_order_counts (ephemeral) ── fact_orders
 *   reports/ (schema and materialization from its YAML defaults); a singular test; a disabled model
 */
const shop: Record<string, string> = {
  'models/sources.yml': 'sources:\n  - name: raw\n    tables:\n      - name: orders\n        columns: [order_id, customer_id]\n',
  'models/staging/stg_orders.sql': 'select order_id::int as order_id, customer_id::int as customer_id\nfrom {{source "raw" "orders"}}',
  'models/staging/int_big_orders.sql': '{{config materialized="ephemeral"}}\nselect * from {{ref "stg_orders"}} where order_id > 10;\n',
  'models/intermediate/int_order_counts.sql': 'select customer_id, count(*) as orders from {{ref "int_big_orders"}} group by customer_id',
  'models/marts/fact_orders.sql': '{{config materialized="table" alias="orders_fact" tags="daily, finance" unique_key="order_id, customer_id"}}\n' +
    '-- one row per customer\nwith ranked as (select * from {{ref "int_order_counts"}})\nselect * from ranked',
  'models/marts/dim_customers.sql': 'select distinct customer_id from {{ref "stg_orders"}}',
  'models/marts/marts.yml': 'models:\n  - name: dim_customers\n    config:\n      materialized: view\n      tags: [yaml]\n' +
    '  - name: fact_orders\n    config:\n      materialized: view\n',
  'models/reports/defaults.yml': 'defaults:\n  schema: reporting\n  materialized: table\n',
  'models/reports/order_report.sql': 'select * from {{ref "fact_orders"}}',
  'models/reports/weekly/weekly_report.sql': '{{config schema="weekly"}}\nselect * from {{ref "order_report"}}',
  'models/tests/orders_have_customers.sql': 'select * from {{ref "stg_orders"}} where customer_id is null',
  'models/marts/old_model.sql': '{{config enabled=false}}\nselect * from {{ref "nowhere"}}',
};

describe('compile: a project into nodes and SQL', () => {
  const folder = suiteFolders('sadp-compile-');
  let compiled: ReturnType<typeof prepare>['compiled'];
  const sqlOf = (name: string) => compiledSql(compiled.nodes.get(name)!, compiled);
  const configOf = (name: string) => compiled.nodes.get(name)!.config;

  before(() => {
    compiled = prepare(folder(shop), collectingLogger()).compiled;
  });

  it('should turn sources and refs into quoted relations and record them as dependencies', () => {
    const stg = compiled.nodes.get('stg_orders')!;
    expect(stg.sources).to.deep.equal(['raw.orders']);
    expect(stg.refs).to.deep.equal([]);
    expect(sqlOf('stg_orders')).to.equal('select order_id::int as order_id, customer_id::int as customer_id\nfrom "raw"."orders"');
    expect(compiled.nodes.get('order_report')!.refs).to.deep.equal(['fact_orders']);
    // a relation is its schema and its alias
    expect(sqlOf('order_report')).to.equal('select * from "analytics"."orders_fact"');
    expect(sqlOf('weekly_report')).to.equal('select * from "reporting"."order_report"');
  });

  it('should take a model\'s config from its file over its YAML over its folder defaults', () => {
    expect(configOf('stg_orders')).to.include({ materialized: 'view', schema: 'staging' });
    expect(configOf('int_order_counts')).to.include({ materialized: 'ephemeral', schema: 'staging' });
    expect(configOf('int_big_orders')).to.include({ materialized: 'ephemeral', schema: 'staging' });
    expect(configOf('dim_customers')).to.include({ materialized: 'view', schema: 'analytics' });
    expect(configOf('dim_customers').tags).to.deep.equal(['yaml']);
    expect(configOf('fact_orders')).to.include({ materialized: 'table', schema: 'analytics', alias: 'orders_fact' });
    expect(configOf('fact_orders').tags).to.deep.equal(['daily', 'finance']);
    expect(configOf('fact_orders').unique_key).to.deep.equal(['order_id', 'customer_id']);
    expect(configOf('order_report')).to.include({ materialized: 'table', schema: 'reporting' });
    expect(configOf('weekly_report')).to.include({ materialized: 'table', schema: 'weekly' });
    expect(configOf('orders_have_customers').materialized).to.equal('test');
    expect(compiled.nodes.has('old_model')).to.equal(false);
  });

  it('should inline ephemeral models as CTEs, in dependency order, ahead of the model\'s own', () => {
    const fact = sqlOf('fact_orders');
    expect(fact).to.equal([
      '-- one row per customer',
      'with __cte_int_big_orders as (',
      '', // the line of its {{config}}
      'select * from "staging"."stg_orders" where order_id > 10',
      '),',
      '__cte_int_order_counts as (',
      'select customer_id, count(*) as orders from __cte_int_big_orders group by customer_id',
      '),',
      'ranked as (select * from __cte_int_order_counts)',
      'select * from ranked',
    ].join('\n'));
    expect(sqlOf('int_order_counts')).to.match(/^with __cte_int_big_orders as \(\n[^]*\)\nselect customer_id, count\(\*\) as orders from __cte_int_big_orders/);
  });

  it('should inline what `renderOf` gives for the ephemeral models when resolving', () => {
    const fact = compiled.nodes.get('fact_orders')!;
    const again = resolveSql(fact.rendered, fact, compiled.nodes, compiled.sources,
      (n) => n.rendered.replace('order_id > 10', 'order_id > 20'));
    expect(again).to.include('where order_id > 20');
    expect(again.trim()).to.equal(sqlOf('fact_orders').replace('order_id > 10', 'order_id > 20'));
  });

  it('should refuse an unknown ref with exit code 2, naming the file, the line and the closest model', () => {
    const dir = folder({
      'models/staging/stg_sales.sql': 'select 1 as sale_id',
      'models/staging/stg_stores.sql': 'select 1 as store_id',
      'models/marts/fact_sales.sql': 'select sale_id\n\nfrom {{ref "stg_sale"}}',
    });
    expect(() => prepare(dir, collectingLogger())).to.throw('model "fact_sales" refers to unknown model "stg_sale" ' +
      '(models/marts/fact_sales.sql:3); did you mean "stg_sales" or "stg_stores"?').with.property('exitCode', 2);
  });

  it('should refuse an unknown source with exit code 2, naming the file, the line and the closest source', () => {
    const dir = folder({
      'models/sources.yml': 'sources:\n  - name: raw\n    tables:\n      - name: orders\n        columns: [order_id]\n',
      'models/stg_orders.sql': 'select 1\nfrom {{source "raw" "order"}}',
    });
    expect(() => prepare(dir, collectingLogger())).to.throw(/model "stg_orders" reads unknown source "raw.order" \(models\/stg_orders\.sql:2\); did you mean "raw.orders"\?/)
      .with.property('exitCode', 2);
  });

  it('should refuse an unknown materialization, naming the file and the closest one', () => {
    const dir = folder({ 'models/m.sql': '{{config materialized="tabel"}}\nselect 1' });
    expect(() => prepare(dir, collectingLogger())).to.throw(/unknown materialization "tabel" in models\/m\.sql:1.*did you mean "table"/);
  });
});

describe('compile: template errors', () => {
  const folder = suiteFolders('sadp-compile-');
  const compileError = (files: Record<string, string>) => {
    try {
      prepare(folder(files), collectingLogger());
    } catch (e) {
      return e as Error & { exitCode?: number };
    }
    throw new Error('the project compiled');
  };

  it('should name the file and line of a syntax error, with exit code 2', () => {
    const error = compileError({ 'models/ok.sql': 'select 1 as one', 'models/broken.sql': 'select 1 as a\n\nfrom {{ref "ok" }\nwhere 1 = 1\n' });
    expect(error.message).to.match(/^template error in models\/broken\.sql:3: /);
    expect(error.message).to.include('fix the Handlebars syntax in that file');
    expect(error.exitCode).to.equal(2);
  });

  it('should name the block left open, closed by the wrong tag or closed twice, and its line', () => {
    const cases: [string, string][] = [
      ['select 1\n{{#if is_incremental}}\nwhere 1 = 1\n', 'models/m.sql:2: {{#if}} is never closed; add {{/if}} where the block ends'],
      ['select 1\n{{#if is_incremental}}\n{{/each}}', 'models/m.sql:3: {{/each}} closes {{#if}} of line 2; close it with {{/if}}'],
      ['{{!-- {{/if}} in a comment --}}\nselect 1\n{{/if}}', 'models/m.sql:3: {{/if}} closes a block that was never opened'],
    ];
    for (const [text, says] of cases) expect(compileError({ 'models/m.sql': text }).message).to.include(`template error in ${says}`);
  });

  it('should name an unknown helper, its line and the closest helper, or the macro file that would define it', () => {
    const typo = compileError({ 'models/ok.sql': 'select 1 as one', 'models/typo.sql': 'select one\nfrom {{reff "ok"}}' });
    expect(typo.message).to.include('unknown helper or variable "reff" in models/typo.sql:2').and.include('did you mean "ref"');
    const missing = compileError({ 'models/m.sql': 'select {{cents_to_dollars "amount"}}' });
    expect(missing.message).to.include('macros/cents_to_dollars.sql would define this one');
  });

  it('should refuse a macro named like a built-in helper, naming its file', () => {
    expect(compileError({ 'models/m.sql': 'select 1', 'macros/ref.sql': 'x' }).message)
      .to.equal('macro "ref" (macros/ref.sql) has the name of a built-in helper; rename it');
  });

  it('should not take a materialization or test template the project overrides for a macro', () => {
    const { project, compiled: overridden } = prepare(folder({
      'models/m.sql': "select '{{macro_with_arg snapshot=\"dim\"}}' as snapshot_name",
      'macros/macro_with_arg.sql': '{{snapshot}}',
      'macros/materializations/snapshot.sql': 'create table {{relation}} as {{sql}}',
      'macros/tests/unique.sql': 'select 1',
    }), collectingLogger());
    expect(project.macros.map((m) => m.name)).to.deep.equal(['macro_with_arg']);
    expect(compiledSql(overridden.nodes.get('m')!, overridden)).to.equal("select 'dim' as snapshot_name");
  });
});
