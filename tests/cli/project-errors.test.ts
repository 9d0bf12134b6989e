import { expect } from 'chai';
import { join } from 'node:path';
import { suiteFolders } from '../support/files.js';
import { suiteDatabase, type TestDatabase } from '../support/database.js';
import { runCli } from '../support/cli.js';

/** A URL nothing listens on: a command that needs no database must not notice it. */
const closedPort = 'postgres://x@127.0.0.1:1/none';

describe('runner: project errors', function () {
  this.timeout(60_000);
  let db: TestDatabase;
  suiteDatabase((d) => (db = d));
  const project = suiteFolders();
  // a real database, so that exit code 2 cannot come from a failed connection
  const build = (dir: string) => runCli(['build-models', '--project-dir', dir], { DATABASE_URL: db.url });

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

  it('should exit 2 on YAML that does not parse, naming the file, line and column', async () => {
    const dir = project({
      'models/one.sql': 'select 1 as one',
      'models/schema.yml': 'models:\n  - name: one\n   description: one indent short\n',
    });
    const out = await runCli(['compile', '--project-dir', dir], { DATABASE_URL: closedPort });
    expect(out.code).to.equal(2);
    expect(out.stderr).to.include('YAML error in models/schema.yml:3:4: bad indentation of a sequence entry; fix the YAML');
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
});
