import { expect } from 'chai';
import { suiteFolders, writeFiles } from '../support/files.js';
import { suiteDatabase, type TestDatabase } from '../support/database.js';
import { byNode, readRunResults, runCli } from '../support/cli.js';
import { buildProject } from '../support/build.js';

describe('runner: building a project', function () {
  this.timeout(60_000);
  let db: TestDatabase;
  suiteDatabase((d) => (db = d));
  const project = suiteFolders();

  describe('a failing model', () => {
    let dir: string;
    let cli: Awaited<ReturnType<typeof runCli>>;

    before(async () => {
      dir = project({
        'models/marts/base_numbers.sql': 'select n from generate_series(1, 3) as n',
        'models/marts/fragile.sql': 'select n, n * 10 as tens from {{ref "base_numbers"}}',
        'models/marts/fragile_child.sql': 'select n from {{ref "fragile"}}',
        'models/marts/fragile_grandchild.sql': '{{config materialized="view"}}\nselect n from {{ref "fragile_child"}}',
        'models/marts/independent.sql': `select 'v1' as version`,
      });
      const first = await buildProject(dir, db);
      expect(first.exitCode, JSON.stringify(first.results)).to.equal(0);
      writeFiles(dir, {
        // fails at run time, not at compile time
        'models/marts/fragile.sql': 'select n,\n  n / (n - n) as tens\nfrom {{ref "base_numbers"}}',
        'models/marts/independent.sql': `select 'v2' as version`,
      });
      cli = await runCli(['build-models', '--project-dir', dir, '--threads', '1'], { DATABASE_URL: db.url });
    });

    it('should exit with code 1', () => {
      expect(cli.code, cli.stderr).to.equal(1);
    });

    it('should leave the previous table of the failed model intact and readable', async () => {
      const rows = await db.sql`select n, tens from analytics.fragile order by n`;
      expect(rows.map((r) => [r.n, r.tens])).to.deep.equal([[1, 10], [2, 20], [3, 30]]);
      const leftovers = await db.sql`select relname from pg_class where relname like '%sadp_tmp%'`;
      expect(leftovers).to.have.length(0);
    });

    it('should skip the models downstream of the failure and still run an independent one', async () => {
      const results = byNode(readRunResults(dir).results);
      expect(results.get('fragile')!.status).to.equal('error');
      expect(results.get('fragile_child')!.status).to.equal('skipped');
      expect(results.get('fragile_grandchild')!.status).to.equal('skipped');
      expect(results.get('independent')!.status).to.equal('success');
      expect(results.get('base_numbers')!.status).to.equal('success');
      const [{ version }] = await db.sql`select version from analytics.independent`;
      expect(version).to.equal('v2');
    });

    it('should name the model file and keep the database message in the error', () => {
      const message = readRunResults(dir).results.find((r) => r.node === 'fragile')!.message!;
      expect(message).to.include('models/marts/fragile.sql');
      expect(message).to.include('division by zero');
      expect(cli.stderr).to.include('models/marts/fragile.sql');
      expect(cli.stderr).to.include('division by zero');
    });

    it('should record the failure and the skips in meta.node_runs', async () => {
      const rows = await db.sql`select node, status from meta.node_runs
        where run_id = (select max(run_id) from meta.runs) order by node`;
      expect(Object.fromEntries(rows.map((r) => [r.node, r.status]))).to.deep.equal({
        base_numbers: 'success', fragile: 'error', fragile_child: 'skipped', fragile_grandchild: 'skipped', independent: 'success',
      });
    });
  });
});
