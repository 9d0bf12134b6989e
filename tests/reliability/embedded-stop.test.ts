import { expect } from 'chai';
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { makeProject, writeFiles } from '../support/files.js';
import { readRunResults, runCli, startCli } from '../support/cli.js';
import { removeProject, serversOn } from '../support/embedded.js';

describe('runner: the embedded PostgreSQL', () => {
  describe('when the command ends early', function () {
    this.timeout(120_000);
    let dir: string;
    let dataDir: string;
    before(() => {
      dir = makeProject({
        'models/marts/base.sql': 'select 1 as id',
        'models/marts/slow.sql': 'select id from {{ref "base"}}, (select pg_sleep(30)) as pause',
      }, 'sadp-embedded-');
      chmodSync(dir, 0o755);
      dataDir = join(dir, '.data', 'postgres');
    });
    after(() => removeProject(dir));

    it('should stop the server on Ctrl-C while a node runs', async () => {
      const run = startCli(['build-models', '--project-dir', dir], { DATABASE_URL: undefined });
      for (let i = 0; i < 600 && !run.out.stderr.includes('"node":"slow","status":"start"'); i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(run.out.stderr).to.include('"node":"slow","status":"start"');
      expect(serversOn(dataDir)).to.have.length.at.least(1);
      const t0 = Date.now();
      run.child.kill('SIGINT');
      const out = await run.done;
      expect(out.code).to.equal(130);
      expect(Date.now() - t0).to.be.below(15_000);
      // what stopped the run is the interruption, not the database
      expect(out.stderr).to.not.include('lost the connection');
      expect(serversOn(dataDir)).to.deep.equal([]);
    });

    it('should stop the server when a node fails, and the next run should complete the work', async () => {
      writeFiles(dir, { 'models/marts/slow.sql': 'select id / 0 as id from {{ref "base"}}' });
      const failed = await runCli(['build-models', '--project-dir', dir], { DATABASE_URL: undefined });
      expect(failed.code, failed.stderr).to.equal(1);
      expect(serversOn(dataDir)).to.deep.equal([]);
      writeFiles(dir, { 'models/marts/slow.sql': 'select id from {{ref "base"}}' });
      const fixed = await runCli(['build-models', '--project-dir', dir], { DATABASE_URL: undefined });
      expect(fixed.code, fixed.stderr).to.equal(0);
      expect(readRunResults(dir).results.map((r) => r.status)).to.deep.equal(['success', 'success']);
      expect(serversOn(dataDir)).to.deep.equal([]);
    });
  });
});
