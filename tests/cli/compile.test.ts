import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { collectingLogger } from '../../runner/src/log.js';
import { prepare } from '../../runner/src/compile/prepare.js';
import { makeProject, suiteFolders } from '../support/files.js';
import { runCli } from '../support/cli.js';
import { renderCacheProject } from '../support/projects.js';

/** A URL nothing listens on: a command that needs no database must not notice it. */
const closedPort = 'postgres://x@127.0.0.1:1/none';

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

describe('compile: the render cache in target/', () => {
  const project = suiteFolders('sadp-render-cache-');
  const files = renderCacheProject;

  it('should write again a compiled file or manifest deleted since, and rewrite only what changed', async () => {
    const dir = project(files);
    const env = { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' };
    expect((await runCli(['compile', '--project-dir', dir], env)).code).to.equal(0);
    const compiledA = join(dir, 'target/compiled/models/a.sql');
    const manifest = join(dir, 'target/manifest.json');
    const before = readFileSync(manifest, 'utf8');
    rmSync(compiledA);
    rmSync(manifest);
    expect((await runCli(['compile', '--project-dir', dir], env)).code).to.equal(0);
    expect(existsSync(compiledA)).to.equal(true);
    expect(JSON.parse(readFileSync(manifest, 'utf8')).nodes).to.deep.equal(JSON.parse(before).nodes);
    // an unchanged manifest keeps its generated_at; a change writes it anew
    const stamp = JSON.parse(readFileSync(manifest, 'utf8')).generated_at;
    expect((await runCli(['compile', '--project-dir', dir], env)).code).to.equal(0);
    expect(JSON.parse(readFileSync(manifest, 'utf8')).generated_at).to.equal(stamp);
    writeFileSync(join(dir, 'models/c.sql'), 'select 3 as id');
    expect((await runCli(['compile', '--project-dir', dir], env)).stdout).to.match(/2 unchanged since the last compile/);
    expect(readFileSync(join(dir, 'target/compiled/models/c.sql'), 'utf8')).to.contain('select 3 as id');
    expect(JSON.parse(readFileSync(manifest, 'utf8')).nodes.c.checksum).not.to.equal(JSON.parse(before).nodes.c.checksum);
  });
});
