import { expect } from 'chai';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { makeProject, writeFiles } from '../support/files.js';
import { createDatabase, type TestDatabase } from '../support/database.js';
import { runCli, type CliResult } from '../support/cli.js';

// a JavaScript stack trace: "    at fn (file:///…)" or "    at file:///…"; a message's own "  at line 3 of …" is not one
const noTrace = (out: CliResult) => expect(out.stderr + out.stdout).to.not.match(/internal error|\n\s+at (?:\S+ \()?(?:file|node):/);
const warnings = (out: CliResult): string[] => out.stderr.split('\n').filter((l) => l.startsWith('{'))
  .map((l) => JSON.parse(l) as { event: string; message?: string }).filter((e) => e.event === 'warn').map((e) => e.message!);

/**
 * Bad projects through the CLI, beyond runner-errors.test.ts (cycle, unknown ref, template syntax error,
 * unknown helper, duplicate names, and the config typo through runPipeline are there).
 */
describe('reliability: bad projects through the CLI', function () {
  this.timeout(60_000);
  let db: TestDatabase;
  const dirs: string[] = [];
  const build = (files: Record<string, string>) => {
    const dir = makeProject(files);
    dirs.push(dir);
    return runCli(['build-models', '--project-dir', dir], { DATABASE_URL: db.url });
  };

  before(async () => {
    db = await createDatabase();
  });
  after(async () => {
    await db.drop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('should warn about a config typo on stderr, naming the closest key, and exit 0 with the model built', async () => {
    const out = await build({ 'models/marts/wide.sql': 'select 1 as one\n{{config materialized="table" uniqe_key="one"}}' });
    expect(out.code, out.stderr).to.equal(0);
    expect(warnings(out).some((w) => /unknown config key "uniqe_key" in models\/marts\/wide\.sql:2; did you mean "unique_key"\?/.test(w)))
      .to.equal(true, warnings(out).join('\n'));
    const [{ kind }] = await db.sql`select relkind as kind from pg_class where oid = 'analytics.wide'::regclass`;
    expect(kind).to.equal('r');
  });

  it('should exit 2 on an unknown source, naming the file and the closest source', async () => {
    const out = await build({
      'models/sources.yml': 'sources:\n  - name: raw\n    tables:\n      - name: sales\n        columns: [sale_id]\n',
      'models/staging/stg_sales.sql': 'select sale_id\nfrom {{source "raw" "sale"}}',
    });
    expect(out.code, out.stderr).to.equal(2);
    expect(out.stderr).to.match(/unknown source "raw\.sale" \(models\/staging\/stg_sales\.sql:2\); did you mean "raw\.sales"/);
    noTrace(out);
  });

  it('should exit 2 on an unknown materialization, naming the file and the closest one', async () => {
    const out = await build({ 'models/marts/t.sql': '-- one row\n{{config materialized="tabel"}}\nselect 1 as one' });
    expect(out.code, out.stderr).to.equal(2);
    expect(out.stderr).to.match(/unknown materialization "tabel" in models\/marts\/t\.sql:2; did you mean "table"/);
    noTrace(out);
  });

  it('should name the file of a project materialization template that does not parse', async () => {
    const out = await build({
      'macros/materializations/table.sql': 'create table {{relation}} as {{#if x}}\n{{sql}}\n',
      'models/one.sql': '{{config materialized="table"}}\nselect 1 as one',
    });
    expect(out.code).to.not.equal(0);
    expect(out.stdout + out.stderr).to.include('cannot parse template "macros/materializations/table.sql"');
    noTrace(out);
  });

  it('should exit 2 on YAML that does not parse, naming the file', async () => {
    const out = await build({ 'models/schema.yml': 'models:\n  - name: one\n   columns: [\n', 'models/one.sql': 'select 1 as one' });
    expect(out.code, out.stderr).to.equal(2);
    expect(out.stderr).to.match(/YAML error in models\/schema\.yml:3:\d+/);
    noTrace(out);
  });

  it('should exit 1 on SQL the database refuses, naming the model file and keeping the message of the database', async () => {
    const out = await build({ 'models/marts/bad.sql': 'select 1 as one\nfrom nowhere_at_all' });
    expect(out.code, out.stderr).to.equal(1);
    expect(out.stderr).to.include('models/marts/bad.sql');
    expect(out.stderr).to.include('relation \\"nowhere_at_all\\" does not exist');
    noTrace(out);
  });

  it('should name the cycle of models that refer to each other through an ephemeral model', async () => {
    const out = await build({
      'models/a.sql': '{{config materialized="ephemeral"}}\nselect * from {{ref "b"}}',
      'models/b.sql': 'select * from {{ref "a"}}',
    });
    expect(out.code, out.stderr).to.equal(2);
    expect(out.stderr).to.match(/dependency cycle: (a -> b -> a|b -> a -> b)/);
    noTrace(out);
  });
});

describe('reliability: names from projects and CSV headers are quoted', function () {
  this.timeout(60_000);
  const evil = '"; drop table canary; --';
  let db: TestDatabase;
  let dir: string;
  let out: CliResult;

  before(async () => {
    db = await createDatabase();
    await db.sql`create table public.canary (alive boolean)`;
    await db.sql`insert into public.canary values (true)`;
    dir = makeProject({
      'models/sources.yml': [
        'sources:',
        '  - name: raw',
        '    tables:',
        '      - name: things',
        `        columns: [thing_id, ${JSON.stringify(evil)}]`,
        '        required: [thing_id]',
      ].join('\n') + '\n',
      'models/staging/stg_things.sql': '{{config materialized="table"}}\n' +
        `select thing_id::int as thing_id, ${'"' + evil.replace(/"/g, '""') + '"'} as payload\nfrom {{source "raw" "things"}}`,
      'models/marts/odd "name".sql': 'select payload, count(*) as n from {{ref "stg_things"}} group by payload',
    });
    const csvField = `"${evil.replace(/"/g, '""')}"`;
    writeFiles(join(dir, 'data', 'raw'), { 'things.csv': `thing_id,${csvField}\n1,${csvField}\n2,plain\n` });
    out = await runCli(['build-models', '--project-dir', dir], { DATABASE_URL: db.url });
  });
  after(async () => {
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('should build, storing the column with that name and its values as data', async () => {
    expect(out.code, out.stderr).to.equal(0);
    noTrace(out);
    const columns = await db.sql`select column_name from information_schema.columns
      where table_schema = 'raw' and table_name = 'things' order by ordinal_position`;
    expect(columns.map((c) => c.column_name)).to.include(evil);
    const rows = await db.sql`select thing_id, payload from staging.stg_things order by thing_id`;
    expect(rows.map((r) => [r.thing_id, r.payload])).to.deep.equal([[1, evil], [2, 'plain']]);
  });

  it('should build a model whose file name holds a double quote and a space', async () => {
    const rows = await db.sql`select payload, n::int as n from analytics.${db.sql('odd "name"')} order by payload`;
    expect(rows.map((r) => [r.payload, r.n])).to.deep.equal([[evil, 1], ['plain', 1]]);
  });

  it('should harm nothing else in the database', async () => {
    const [{ alive }] = await db.sql`select alive from public.canary`;
    expect(alive).to.equal(true);
  });
});
