/** A run ends with one summary line, on a terminal as in a pipe. */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { createDatabase, type TestDatabase } from '../support/database.js';
import { suiteFolders } from '../support/files.js';
import { cliPath, runCli } from '../support/cli.js';

const files = {
  'models/staging/stg_numbers.sql': 'select g as id from generate_series(1, 3) as g',
  'models/marts/doubled.sql': 'select id, id * 2 as twice from {{ref "stg_numbers"}}',
};

/** Lines that sum up a whole run: the summary (`run 3 success, 2 nodes, …`) or a `run 3 finished` notice. */
const summaries = (text: string) => text.split(/\r?\n/).filter((l) => /^run \d+ (success|error|failed|finished)/.test(l.replace(/\x1b\[[0-9;]*m/g, '')));

describe('the end of a run: one summary line', function () {
  this.timeout(60_000);
  let test: TestDatabase;
  const folder = suiteFolders('sadp-run-summary-');
  before(async () => {
    test = await createDatabase();
  });
  after(async () => {
    await test.drop();
  });

  it('should print one summary line on a terminal', () => {
    const dir = folder(files);
    const command = [process.execPath, cliPath, 'build-models', '--project-dir', dir].map((a) => `'${a}'`).join(' ');
    // a pseudo-terminal, as a user's shell gives: the readable log, not JSON
    const out = spawnSync('script', ['-qec', command, '/dev/null'], { env: { ...process.env, DATABASE_URL: test.url }, encoding: 'utf8' });
    expect(out.status, out.stdout).to.equal(0);
    expect(out.stdout, 'the readable log, not JSON').to.match(/SUCCESS.* doubled/);
    expect(summaries(out.stdout), out.stdout).to.have.length(1);
    expect(summaries(out.stdout)[0]).to.match(/^run \d+ success, 2 nodes/);
  });

  it('should print one summary line on stdout when not on a terminal, and log the run\'s end as JSON', async () => {
    const out = await runCli(['build-models', '--project-dir', folder(files)], { DATABASE_URL: test.url });
    expect(out.code).to.equal(0);
    expect(summaries(out.stdout)).to.have.length(1);
    expect(summaries(out.stderr)).to.deep.equal([]);
    expect(out.stderr).to.match(/"event":"run".*"status":"success"/);
  });

  it('should print a failed node\'s whole message on stdout when not on a terminal: its file, line and fix', async () => {
    const broken = { ...files, 'models/marts/broken.sql': 'select id,\n  nosuch as oops\nfrom {{ref "stg_numbers"}}' };
    const out = await runCli(['build-models', '--project-dir', folder(broken)], { DATABASE_URL: test.url });
    expect(out.code, out.stderr).to.equal(1);
    expect(out.stdout).to.match(/error in broken: model "broken" failed .*column "nosuch" does not exist/);
    expect(out.stdout).to.include('at models/marts/broken.sql:2: nosuch as oops');
    expect(out.stdout).to.include('compiled SQL: target/run/models/marts/broken.sql');
  });

  it('should count one node as one node', async () => {
    const one = await runCli(['build-models', '--project-dir', folder(files), '--select', 'stg_numbers'], { DATABASE_URL: test.url });
    expect(one.code, one.stderr).to.equal(0);
    expect(summaries(one.stdout)[0]).to.match(/^run \d+ success, 1 node, /);
  });
});
