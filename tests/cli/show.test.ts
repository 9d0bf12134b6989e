import { expect } from 'chai';
import { rmSync } from 'node:fs';
import { collectingLogger } from '../../runner/src/log.js';
import { runPipeline } from '../../runner/src/run/pipeline.js';
import { makeProject, writeFiles } from '../support/files.js';
import { createDatabase, type TestDatabase } from '../support/database.js';
import { runCli } from '../support/cli.js';

describe('show', function () {
  let db: TestDatabase;
  let dir: string;

  before(async function () {
    db = await createDatabase();
    dir = makeProject({
      'models/staging/stg_items.sql': "select * from (values (1, 'apple', 10.5), (2, null, 2), (3, 'pear', 300)) as items (item_id, item_name, price)\n",
      'models/marts/fact_items.sql': '-- priced items\nselect item_id, item_name, price from {{ref "stg_items"}} order by item_id;\n-- the end\n',
    }, 'sadp-show-');
    const summary = await runPipeline({ projectDir: dir, command: 'build-models', databaseUrl: db.url, logger: collectingLogger() });
    expect(summary.status).to.equal('success');
  });

  after(async function () {
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const show = (...args: string[]) => runCli(['show', ...args, '--project-dir', dir], { DATABASE_URL: db.url });

  it('should print the first rows as an aligned table', async function () {
    const result = await show('fact_items', '--limit', '2');
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stdout).to.equal([
      'item_id | item_name | price',
      '--------+-----------+------',
      '      1 | apple     |  10.5',
      '      2 | null      |     2',
      '(2 rows, --limit 2)',
      '',
    ].join('\n'));
  });

  it('should run a model that is not built yet against what is built, and build nothing', async function () {
    writeFiles(dir, { 'models/marts/agg_items.sql': 'select count(*) as item_count from {{ref "fact_items"}}\n' });
    const result = await show('agg_items');
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stdout).to.include('3');
    const [{ exists }] = await db.sql`select to_regclass('analytics.agg_items') is not null as exists`;
    expect(exists).to.equal(false);
  });

  it('should reject an unknown model with a suggestion', async function () {
    const result = await show('fact_item');
    expect(result.code).to.equal(2);
    expect(result.stderr).to.include('no model named "fact_item"; did you mean "fact_items"');
  });

  it('should say what to build when the model reads something not built', async function () {
    writeFiles(dir, { 'models/marts/agg_more.sql': 'select * from {{ref "agg_items"}}\n' });
    const result = await show('agg_more');
    expect(result.code).to.equal(1);
    expect(result.stderr).to.include('npm run build-models -- --select +agg_more');
  });
});
