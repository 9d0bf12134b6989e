import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { collectingLogger } from '../runner/src/log.js';
import { prepare } from '../runner/src/compile/prepare.js';
import { runPipeline } from '../runner/src/run/pipeline.js';
import { createDatabase, makeProject, runCli, type TestDatabase } from './support.js';

/** A URL nothing listens on: a command that needs no database must not notice it. */
const closedPort = 'postgres://x@127.0.0.1:1/none';

describe('runner: project errors', function () {
  this.timeout(60_000);
  let db: TestDatabase;
  const dirs: string[] = [];
  const project = (files: Record<string, string>) => {
    const dir = makeProject(files);
    dirs.push(dir);
    return dir;
  };
  // a real database, so that exit code 2 cannot come from a failed connection
  const build = (dir: string) => runCli(['build-models', '--project-dir', dir], { DATABASE_URL: db.url });

  before(async () => {
    db = await createDatabase();
  });
  after(async () => {
    await db.drop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('should exit 2 on a dependency cycle and print the cycle', async () => {
    const dir = project({
      'models/a.sql': 'select * from {{ref "b"}}',
      'models/b.sql': 'select * from {{ref "c"}}',
      'models/c.sql': 'select * from {{ref "a"}}',
      'models/d.sql': 'select 1 as one',
    });
    const out = await build(dir);
    expect(out.code).to.equal(2);
    expect(out.stderr).to.include('a -> b -> c -> a');
    expect(out.stderr).to.include('models/a.sql');
    // found before the run touched the database
    const [{ n }] = await db.sql`select count(*)::int as n from pg_namespace where nspname in ('meta', 'analytics')`;
    expect(n).to.equal(0);
  });

  it('should exit 2 on an unknown ref, naming the file and line and the closest model', async () => {
    const dir = project({
      'models/staging/stg_sales.sql': 'select 1 as sale_id',
      'models/staging/stg_stores.sql': 'select 1 as store_id',
      'models/marts/fact_sales.sql': 'select sale_id\n\nfrom {{ref "stg_sale"}}',
    });
    const out = await build(dir);
    expect(out.code).to.equal(2);
    expect(out.stderr).to.include('"stg_sale"');
    expect(out.stderr).to.include('models/marts/fact_sales.sql:3');
    expect(out.stderr).to.include('did you mean "stg_sales"');
  });

  it('should exit 2 on a template syntax error, naming the file and line', async () => {
    const dir = project({
      'models/ok.sql': 'select 1 as one',
      'models/broken.sql': 'select 1 as a\n\nfrom {{ref "ok" }\nwhere 1 = 1\n',
    });
    const out = await build(dir);
    expect(out.code).to.equal(2);
    expect(out.stderr).to.include('models/broken.sql:3');
    expect(out.stderr).to.not.include('internal error');
  });

  it('should name the line of a block left open, closed by the wrong tag or closed twice', async () => {
    const cases: [string, string][] = [
      ['select 1 as a\n{{!-- {{#if x}} in a comment is no block --}}\n{{#if is_incremental}}\nwhere 1 = 1\n',
        'models/m.sql:3: {{#if}} is never closed; add {{/if}} where the block ends'],
      ['select 1 as a\n{{#if is_incremental}}\nwhere 1 = 1\n{{/each}}\n', 'models/m.sql:4: {{/each}} closes {{#if}} of line 2; close it with {{/if}}'],
      ['select 1 as a\n{{#if is_incremental}}\n{{#each x}}{{/each}}\n{{/if}}\n{{/if}}\n', 'models/m.sql:5: {{/if}} closes a block that was never opened'],
    ];
    for (const [text, says] of cases) {
      const out = await runCli(['compile', '--project-dir', project({ 'models/m.sql': text })]);
      expect(out.code, out.stderr).to.equal(2);
      expect(out.stderr).to.include(`template error in ${says}`);
    }
  });

  it('should exit 2 on an unknown helper, naming the file and line and the closest helper', async () => {
    const dir = project({
      'models/ok.sql': 'select 1 as one',
      'models/typo.sql': 'select one\nfrom {{reff "ok"}}',
    });
    const out = await build(dir);
    expect(out.code).to.equal(2);
    expect(out.stderr).to.include('"reff"');
    expect(out.stderr).to.include('models/typo.sql:2');
    expect(out.stderr).to.include('did you mean "ref"');
  });

  it('should exit 2 when two models share a name, naming both files', async () => {
    const dir = project({
      'models/staging/orders.sql': 'select 1 as id',
      'models/marts/orders.sql': 'select 2 as id',
    });
    const out = await build(dir);
    expect(out.code).to.equal(2);
    expect(out.stderr).to.include('models/staging/orders.sql');
    expect(out.stderr).to.include('models/marts/orders.sql');
  });

  it('should exit 2 on an unknown flag and suggest the closest one', async () => {
    const dir = project({ 'models/one.sql': 'select 1 as one' });
    const out = await runCli(['build-models', '--project-dir', dir, '--thread', '2'], { DATABASE_URL: db.url });
    expect(out.code).to.equal(2);
    expect(out.stderr).to.include('did you mean "--threads"');
  });

  it('should exit 2 when the project folder has no models', async () => {
    const out = await runCli(['compile', '--project-dir', join(project({}), 'nowhere')], { DATABASE_URL: closedPort });
    expect(out.code).to.equal(2);
    expect(out.stderr).to.include('models/');
  });

  it('should warn about an unknown config key, naming the closest key, and still build', async () => {
    const dir = project({ 'models/marts/wide.sql': '{{config materialised="table" tags="daily"}}\nselect 1 as one' });
    const logger = collectingLogger();
    const summary = await runPipeline({ projectDir: dir, command: 'build-models', databaseUrl: db.url, logger });
    expect(summary.exitCode).to.equal(0);
    const warnings = logger.events.filter((e) => e.event === 'warn').map((e) => e.message);
    expect(warnings.some((w) => w!.includes('"materialised"') && w!.includes('did you mean "materialized"'))).to.equal(true);
    const [{ n }] = await db.sql`select count(*)::int as n from analytics.wide`;
    expect(n).to.equal(1);
  });
});

describe('runner: compile without a database', function () {
  this.timeout(30_000);
  let dir: string;
  let out: Awaited<ReturnType<typeof runCli>>;
  const files: Record<string, string> = {
    'macros/cents.sql': '{{!-- an amount in whole cents --}}\nround({{args.[0]}} * 100)::bigint',
    'models/staging/stg_sales.sql': 'select 1 as sale_id, 2.5 as amount',
    'models/staging/int_sales.sql': '{{config materialized="ephemeral"}}\nselect sale_id, amount from {{ref "stg_sales"}}',
    'models/marts/fact_sales.sql':
      '{{config materialized="incremental" unique_key="sale_id" tags="daily"}}\nselect sale_id, {{cents "amount"}} as cents from {{ref "int_sales"}}',
  };

  before(async () => {
    dir = makeProject(files);
    out = await runCli(['compile', '--project-dir', dir], { DATABASE_URL: closedPort });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('should succeed with the database unreachable', () => {
    expect(out.code, out.stderr).to.equal(0);
  });

  it('should write the compiled SQL of every model, refs resolved and ephemeral models inlined', () => {
    const fact = readFileSync(join(dir, 'target/compiled/models/marts/fact_sales.sql'), 'utf8');
    expect(fact).to.include('"staging"."stg_sales"');
    expect(fact).to.match(/^with __cte_int_sales as \(/);
    expect(fact).to.include('round(amount * 100)::bigint');
    expect(fact).to.not.match(/[\u0001\u0002]|\{\{/);
    expect(readFileSync(join(dir, 'target/compiled/models/staging/stg_sales.sql'), 'utf8').trim())
      .to.equal('select 1 as sale_id, 2.5 as amount');
    expect(existsSync(join(dir, 'target/compiled/models/staging/int_sales.sql'))).to.equal(true);
  });

  it('should write a manifest with each node, its config, dependencies and checksum', () => {
    const manifest = JSON.parse(readFileSync(join(dir, 'target/manifest.json'), 'utf8'));
    expect(Object.keys(manifest.nodes).sort()).to.deep.equal(['fact_sales', 'int_sales', 'stg_sales']);
    const fact = manifest.nodes.fact_sales;
    expect(fact.path).to.equal('models/marts/fact_sales.sql');
    expect(fact.config.materialized).to.equal('incremental');
    expect(fact.config.unique_key).to.equal('sale_id');
    expect(fact.config.tags).to.deep.equal(['daily']);
    expect(fact.config.schema).to.equal('analytics');
    expect(fact.depends_on.nodes).to.deep.equal(['int_sales']);
    expect(manifest.nodes.int_sales.depends_on.nodes).to.deep.equal(['stg_sales']);
    expect(fact.checksum).to.equal(createHash('sha256').update(files['models/marts/fact_sales.sql']).digest('hex'));
    expect(manifest.order.indexOf('stg_sales')).to.be.below(manifest.order.indexOf('fact_sales'));
  });

  it('should plan the same nodes through the exported functions as through the CLI', () => {
    const { compiled, graph } = prepare(dir, collectingLogger());
    expect([...compiled.nodes.keys()].sort()).to.deep.equal(['fact_sales', 'int_sales', 'stg_sales']);
    expect(graph.parents.get('fact_sales')).to.deep.equal(['int_sales']);
  });

  it('should print one model\'s SQL when the selection names exactly one', async () => {
    const one = await runCli(['compile', '--project-dir', dir, '--select', 'stg_sales'], { DATABASE_URL: closedPort });
    expect(one.code).to.equal(0);
    expect(one.stdout.trim()).to.equal('select 1 as sale_id, 2.5 as amount');
  });
});
