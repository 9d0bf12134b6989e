/**
 * Views are only definitions: the runner sends the ready ones (and, with one thread, the views that
 * depend only on them) in one round trip. A failing view must still fail alone, with its dependents
 * skipped and everything else built.
 */
import { expect } from 'chai';
import { makeProject } from '../support/files.js';
import { suiteDatabase, type TestDatabase } from '../support/database.js';
import { byNode, readRunResults, runCli } from '../support/cli.js';

describe('views built together in one round trip', function () {
  this.timeout(120_000);
  let db: TestDatabase;
  const dirs = suiteDatabase((d) => (db = d));

  const build = async (files: Record<string, string>, ...flags: string[]) => {
    const dir = makeProject(files);
    dirs.push(dir);
    const out = await runCli(['build-models', '--project-dir', dir, '--threads', '1', ...flags], { DATABASE_URL: db.url });
    return { out, results: byNode(readRunResults(dir).results) };
  };

  it('should build a chain of views in one group, in DAG order', async () => {
    const files: Record<string, string> = { 'models/v_0.sql': '{{config materialized="view" schema="grouped"}}\nselect 1 as n' };
    for (let i = 1; i < 20; i++) files[`models/v_${i}.sql`] = `{{config materialized="view" schema="grouped"}}\nselect n + 1 as n from {{ref "v_${i - 1}"}}`;
    const { out, results } = await build(files);
    expect(out.code, out.stderr).to.equal(0);
    const starts = new Set([...results.values()].filter((r) => r.kind === 'model').map((r) => r.started_at));
    expect(starts.size, 'one round trip for all 20 views').to.equal(1);
    const [{ n }] = await db.sql`select n from grouped.v_19`;
    expect(n).to.equal(20);
  });

  it('should find the failing view of a group, skip what depends on it and build the rest', async () => {
    const { out, results } = await build({
      'models/v_ok.sql': '{{config materialized="view" schema="mixed"}}\nselect 1 as id',
      'models/v_bad.sql': '{{config materialized="view" schema="mixed"}}\nselect id from no_such_table',
      'models/v_after_bad.sql': '{{config materialized="view" schema="mixed"}}\nselect id from {{ref "v_bad"}}',
      'models/v_after_ok.sql': '{{config materialized="view" schema="mixed"}}\nselect id + 1 as id from {{ref "v_ok"}}',
      'models/t_end.sql': '{{config materialized="table" schema="mixed"}}\nselect id from {{ref "v_after_ok"}}',
    });
    expect(out.code).to.equal(1);
    expect(results.get('v_ok')!.status).to.equal('success');
    expect(results.get('v_after_ok')!.status).to.equal('success');
    expect(results.get('t_end')!.status).to.equal('success');
    expect(results.get('v_bad')!.status).to.equal('error');
    expect(results.get('v_bad')!.message).to.match(/v_bad\.sql/).and.match(/no_such_table/);
    expect(results.get('v_after_bad')!).to.include({ status: 'skipped' });
    const views = (await db.sql`select table_name from information_schema.views where table_schema = 'mixed' order by 1`)
      .map((r) => r.table_name);
    expect(views).to.deep.equal(['v_after_ok', 'v_ok']);
    const [{ id }] = await db.sql`select id from mixed.t_end`;
    expect(id).to.equal(2);
  });
});
