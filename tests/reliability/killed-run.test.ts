import { expect } from 'chai';
import { suiteFolders, writeFiles } from '../support/files.js';
import { suiteDatabase, type TestDatabase } from '../support/database.js';
import { startCli } from '../support/cli.js';
import { buildProject } from '../support/build.js';

describe('runner: building a project', function () {
  this.timeout(60_000);
  let db: TestDatabase;
  suiteDatabase((d) => (db = d));
  const project = suiteFolders();

  describe('a killed run', () => {
    it('should leave the table as it was, and the next run should complete the work', async () => {
      const dir = project({ 'models/marts/prices.sql': 'select 1 as id, 10 as price' });
      expect((await buildProject(dir, db)).exitCode).to.equal(0);
      writeFiles(dir, { 'models/marts/prices.sql': 'select 1 as id, 20 as price from (select pg_sleep(2)) as pause' });
      const run = startCli(['build-models', '--project-dir', dir], { DATABASE_URL: db.url });
      for (let i = 0; i < 200 && !run.out.stderr.includes('"node":"prices","status":"start"'); i++) {
        await new Promise((r) => setTimeout(r, 25));
      }
      await new Promise((r) => setTimeout(r, 300)); // inside the node's transaction now
      run.child.kill('SIGKILL');
      await run.done;
      const [{ price }] = await db.sql`select price from analytics.prices`;
      expect(price).to.equal(10);

      writeFiles(dir, { 'models/marts/prices.sql': 'select 1 as id, 30 as price' });
      const next = await buildProject(dir, db);
      expect(next.exitCode).to.equal(0);
      const rows = await db.sql`select id, price from analytics.prices`;
      expect(rows.map((r) => [r.id, r.price])).to.deep.equal([[1, 30]]);
      const leftovers = await db.sql`select relname from pg_class where relname like 'prices%'`;
      expect(leftovers.map((r) => r.relname)).to.deep.equal(['prices']);
    });
  });
});
