import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { suiteFolders, writeFiles } from '../support/files.js';
import { suiteDatabase, type TestDatabase } from '../support/database.js';
import { byNode, readRunResults, runCli } from '../support/cli.js';

/** A URL nothing listens on: `compile` must not need it. */
const closedPort = 'postgres://x@127.0.0.1:1/none';

describe('runner: the project checked before anything runs', function () {
  this.timeout(120_000);
  let db: TestDatabase;
  suiteDatabase((d) => (db = d));
  const project = suiteFolders('sadp-validation-');
  const compile = (dir: string) => runCli(['compile', '--project-dir', dir], { DATABASE_URL: closedPort });
  const build = (dir: string, ...args: string[]) => runCli(['build-models', '--project-dir', dir, ...args], { DATABASE_URL: db.url });
  const untouched = async () => {
    const [{ n }] = await db.sql`select count(*)::int as n from pg_namespace where nspname in ('meta', 'analytics')`;
    expect(n, 'the database was touched').to.equal(0);
  };
  const sales = 'select 1 as sale_id, \'north\' as region';

  it('should exit 2 on a misspelt key in schema.yml, naming the file, line and column and the key meant', async () => {
    const dir = project({
      'models/fact_sales.sql': sales,
      'models/schema.yml': [
        'version: 2',
        'models:',
        '  - name: fact_sales',
        '    descripton: one row per sale',
        '    colums:',
        '      - name: sale_id',
        '        tests: [unique]',
        '    columns:',
        '      - name: region',
        '        test: [not_null]',
        '',
      ].join('\n'),
    });
    for (const out of [await compile(dir), await build(dir)]) {
      expect(out.code, out.stderr).to.equal(2);
      expect(out.stderr).to.include('unknown key "descripton" in model "fact_sales" (models/schema.yml:4:5); did you mean "description"?');
      expect(out.stderr).to.include('unknown key "colums" in model "fact_sales" (models/schema.yml:5:5); did you mean "columns"?');
      expect(out.stderr).to.include('unknown key "test" in column "region" of model "fact_sales" (models/schema.yml:10:9); did you mean "tests"');
    }
    await untouched();
  });

  it('should check the keys of sources, their freshness, test arguments, config blocks and unit tests', async () => {
    const dir = project({
      'models/fact_sales.sql': sales,
      'models/sources.yml': [
        'sources:',
        '  - name: raw',
        '    tables:',
        '      - name: sales',
        '        colunms: [sale_id]',
        '        freshness: {warn_after: {count: 1, period: hour}, error_afterr: {count: 2, period: hour}}',
        '',
      ].join('\n'),
      'models/schema.yml': [
        'defaults:',
        '  materialised: table',
        'models:',
        '  - name: fact_sales',
        '    config: {uniqe_key: sale_id}',
        '    columns:',
        '      - name: region',
        '        tests:',
        '          - accepted_values: {values: [north], severty: warn}',
        'unit_tests:',
        '  - name: t',
        '    model: fact_sales',
        '    expcet: {rows: []}',
        '',
      ].join('\n'),
    });
    const out = await compile(dir);
    expect(out.code, out.stderr).to.equal(2);
    for (const says of [
      'unknown key "colunms" in table "sales" of source "raw" (models/sources.yml:5:9); did you mean "columns"?',
      'unknown key "error_afterr" in the freshness of table "sales" of source "raw" (models/sources.yml:6:59); did you mean "error_after"',
      'unknown key "materialised" in the folder\'s defaults (models/schema.yml:2:3); did you mean "materialized"?',
      'unknown key "uniqe_key" in the config of model "fact_sales" (models/schema.yml:5:14); did you mean "unique_key"?',
      'unknown key "severty" in test "accepted_values" of column "region" of model "fact_sales" (models/schema.yml:9:48); did you mean "severity"?',
      'unknown key "expcet" in unit test "t" (models/schema.yml:13:5); did you mean "expect"?',
    ]) expect(out.stderr).to.include(says);
  });

  it('should resolve tests at compile time: an unknown kind or model named at its line in schema.yml', async () => {
    const dir = project({
      'models/fact_sales.sql': sales,
      'models/dim_region.sql': 'select \'north\' as region',
      'models/schema.yml': [
        'models:',
        '  - name: fact_sales',
        '    columns:',
        '      - name: sale_id',
        '        tests: [not_null, uniqe]',
        '      - name: region',
        '        tests:',
        '          - relationships:',
        '              to: ref("dim_regoin")',
        '              field: region',
        '',
      ].join('\n'),
    });
    for (const out of [await compile(dir), await build(dir)]) {
      expect(out.code, out.stderr).to.equal(2);
      expect(out.stderr).to.include('unknown test "uniqe" on column "fact_sales.sale_id" (models/schema.yml:5:27); did you mean "unique"?');
      expect(out.stderr).to.include('test "relationships" on column "fact_sales.region" points at unknown model "dim_regoin" ' +
        '(models/schema.yml:9:15); did you mean "dim_region"?');
    }
    await untouched();
  });

  it('should show the Handlebars form of Jinja, at its line, and exit 2', async () => {
    const dir = project({
      'models/dim_region.sql': 'select \'north\' as region',
      'models/fact_sales.sql': [
        '{{ config(materialized=\'incremental\', unique_key=\'sale_id\') }}',
        '{# dbt habits #}',
        'select * from {{ ref("dim_region") }}',
        '{% if is_incremental() %}',
        'where region > (select max(region) from {{this}})',
        '{% endif %}',
        '',
      ].join('\n'),
    });
    const out = await compile(dir);
    expect(out.code, out.stderr).to.equal(2);
    for (const says of [
      'models/fact_sales.sql:1: {{ config(materialized=\'incremental\', unique_key=\'sale_id\') }} is Jinja (dbt\'s syntax); ' +
        'write {{config materialized="incremental" unique_key="sale_id"}}',
      'models/fact_sales.sql:2: {# dbt habits #} is Jinja (dbt\'s syntax); write {{!-- dbt habits --}}',
      'models/fact_sales.sql:3: {{ ref("dim_region") }} is Jinja (dbt\'s syntax); write {{ref "dim_region"}}',
      'models/fact_sales.sql:4: {% if is_incremental() %} is Jinja (dbt\'s syntax); write {{#if is_incremental}}',
      'models/fact_sales.sql:6: {% endif %} is Jinja (dbt\'s syntax); write {{/if}}',
    ]) expect(out.stderr).to.include(says);
    expect(out.stderr).to.not.include('Expecting');
  });

  it('should run each test of a shared scan alone when the scan fails: only the bad test fails', async () => {
    // a relationships test comparing text with integers: the database refuses it, not the project's checks
    const dir = project({
      'models/dim_region.sql': 'select 1 as region_id',
      'models/dim_store.sql': 'select 1 as store_id, \'north\'::text as region union all select 2, null',
      'models/schema.yml': [
        'models:',
        '  - name: dim_store',
        '    columns:',
        '      - name: store_id',
        '        tests: [not_null]',
        '      - name: region',
        '        tests: [not_null, {accepted_values: {values: [north, south]}}, {relationships: {to: dim_region, field: region_id}}]',
        '',
      ].join('\n'),
    });
    const out = await build(dir, '--skip-ingest');
    expect(out.code, out.stderr).to.equal(1);
    const results = byNode(readRunResults(dir).results);
    expect(results.get('not_null_dim_store_store_id')).to.include({ status: 'pass', rows: 0 });
    expect(results.get('accepted_values_dim_store_region')).to.include({ status: 'pass', rows: 0 });
    expect(results.get('not_null_dim_store_region')).to.include({ status: 'fail', rows: 1 });
    expect(results.get('relationships_dim_store_region')?.status).to.equal('fail');
    expect(results.get('relationships_dim_store_region')?.message).to.include('could not run').and.include('operator does not exist');
  });

  it('should check the columns that settings and tests name before any model is built, never naming a work table', async () => {
    const dir = project({
      'models/dim_region.sql': 'select \'north\'::text as region',
      'models/fact_sales.sql': '{{config materialized="incremental"\n   unique_key="sale_idd"}}\nselect 1 as sale_id, \'north\'::text as region\n',
      'models/customers.sql': '{{config materialized="snapshot" unique_key="customer_id" check_cols="tier,emial"}}\n' +
        'select 1 as customer_id, \'Gold\' as tier, \'a@b.c\' as email\n',
      'models/schema.yml': [
        'models:',
        '  - name: fact_sales',
        '    columns:',
        '      - name: regoin',
        '        tests: [not_null]',
        '      - name: region',
        '        tests:',
        '          - relationships: {to: dim_region, field: regon}',
        '',
      ].join('\n'),
    });
    const out = await build(dir, '--skip-ingest');
    expect(out.code, out.stderr).to.equal(2);
    for (const says of [
      'unique_key of model "fact_sales" names column "sale_idd", which model "fact_sales" does not have (models/fact_sales.sql:2); did you mean "sale_id"?',
      'check_cols of model "customers" names column "emial", which model "customers" does not have (models/customers.sql:1); did you mean "email"?',
      'test "not_null" on column "fact_sales.regoin" names column "regoin", which model "fact_sales" does not have (models/schema.yml:4:9); ' +
        'did you mean "region"?',
      'test "relationships" on column "fact_sales.region" names column "regon", which model "dim_region" does not have (models/schema.yml:8:45); ' +
        'did you mean "region"?',
    ]) expect(out.stderr).to.include(says);
    expect(out.stderr).to.not.include('__sadp_');
    const [{ n }] = await db.sql`select count(*)::int as n from pg_class c join pg_namespace s on s.oid = c.relnamespace
      where s.nspname = 'analytics' and c.relname in ('fact_sales', 'customers')`;
    expect(n, 'a model was built').to.equal(0);

    // fixed, it builds; what passed is not worked out again, and a new mistake is still found
    writeFiles(dir, {
      'models/fact_sales.sql': '{{config materialized="incremental" unique_key="sale_id"}}\nselect 1 as sale_id, \'north\'::text as region\n',
      'models/customers.sql': '{{config materialized="snapshot" unique_key="customer_id" check_cols="tier,email"}}\n' +
        'select 1 as customer_id, \'Gold\' as tier, \'a@b.c\' as email\n',
      'models/schema.yml': 'models:\n  - name: fact_sales\n    columns:\n      - name: region\n        tests: [{relationships: {to: dim_region, field: region}}]\n',
    });
    const fixed = await build(dir, '--skip-ingest');
    expect(fixed.code, fixed.stderr).to.equal(0);
    expect(existsSync(join(dir, 'target', '.column-checks.json'))).to.equal(true);
    writeFiles(dir, { 'models/fact_sales.sql': '{{config materialized="incremental" unique_key="id"}}\nselect 1 as sale_id\n' });
    const again = await build(dir, '--skip-ingest');
    expect(again.code, again.stderr).to.equal(2);
    expect(again.stderr).to.include('unique_key of model "fact_sales" names column "id", which model "fact_sales" does not have ' +
      '(models/fact_sales.sql:1); did you mean "sale_id"?');
    expect(again.stderr).to.include('names column "region", which model "fact_sales" does not have (models/schema.yml:4:9); its columns are sale_id');
  });
});
