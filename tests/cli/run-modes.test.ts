import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { suiteFolders } from '../support/files.js';
import { createDatabase, type TestDatabase } from '../support/database.js';
import { runCli } from '../support/cli.js';

const files = {
  'models/staging/stg_numbers.sql': 'select g as id from generate_series(1, 3) as g',
  'models/marts/doubled.sql': 'select id, id * 2 as twice from {{ref "stg_numbers"}}',
  'models/marts/schema.yml': 'models:\n  - name: doubled\n    columns:\n      - name: id\n        tests: [unique, not_null]\n',
};

describe('run modes: --tests-only and OpenLineage events', function () {
  this.timeout(60_000);
  let test: TestDatabase;
  const folder = suiteFolders();
  const project = () => folder(files);
  before(async () => {
    test = await createDatabase();
  });
  after(async () => {
    await test.drop();
  });

  it('should run the data tests against what is built and build nothing with --tests-only', async () => {
    const dir = project();
    expect((await runCli(['build-models', '--project-dir', dir], { DATABASE_URL: test.url })).code).to.equal(0);
    await test.sql.unsafe('insert into analytics.doubled values (1, 2)');
    const out = await runCli(['build-models', '--tests-only', '--project-dir', dir], { DATABASE_URL: test.url });
    expect(out.code, 'the duplicate id fails the unique test').to.equal(1);
    const [{ n }] = await test.sql`select count(*)::int as n from analytics.doubled`;
    expect(n, 'the table was not rebuilt').to.equal(4);
    const results = JSON.parse(readFileSync(join(dir, 'target', 'run_results.json'), 'utf8')) as { results: { node: string; kind: string; status: string }[] };
    expect(results.results.filter((r) => r.kind === 'model')).to.deep.equal([]);
    expect(results.results.find((r) => r.node === 'unique_doubled_id')!.status).to.equal('fail');
  });

  it('should write OpenLineage START and COMPLETE events for the run and each node when OPENLINEAGE_FILE is set', async () => {
    const dir = project();
    const file = join(dir, 'lineage.jsonl');
    expect((await runCli(['build-models', '--project-dir', dir], { DATABASE_URL: test.url, OPENLINEAGE_FILE: file })).code).to.equal(0);
    const events = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as {
      eventType: string; job: { name: string }; inputs?: { name: string }[]; outputs?: { name: string }[] });
    const of = (job: string) => events.filter((e) => e.job.name.endsWith(job)).map((e) => e.eventType);
    expect(of('pipeline')).to.deep.equal(['START', 'COMPLETE']);
    expect(of('.doubled')).to.deep.equal(['START', 'COMPLETE']);
    const done = events.find((e) => e.job.name.endsWith('.doubled') && e.eventType === 'COMPLETE')!;
    expect(done.inputs!.map((i) => i.name)).to.deep.equal([`${test.name}.staging.stg_numbers`]);
    expect(done.outputs!.map((o) => o.name)).to.deep.equal([`${test.name}.analytics.doubled`]);
  });
});
