import { expect } from 'chai';
import { existsSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { adminUrl, makeProject, runCli, type CliResult } from './support.js';

const password = 's3cretpw';
const server = new URL(adminUrl);
const cases = [
  {
    what: 'nothing listens on the port',
    url: `postgres://root:${password}@127.0.0.1:1/x`,
    says: [/cannot connect to the database at 127\.0\.0\.1:1\/x/, /connection refused/, /check DATABASE_URL \(host and port\)/],
  },
  {
    what: 'the user does not exist',
    url: `postgres://nosuchuser:${password}@${server.host}/test`,
    says: [/cannot connect to the database at/, /check the user name and password in DATABASE_URL/],
  },
  {
    what: 'the database does not exist',
    url: `postgres://root:${password}@${server.host}/sadp_no_such_database`,
    says: [/database "sadp_no_such_database" does not exist/, /create it \(createdb\) or fix the database name/],
  },
];

/** Every text file the run left under target/. */
function artifacts(dir: string): string {
  const target = join(dir, 'target');
  if (!existsSync(target)) return '';
  const walk = (d: string): string[] => readdirSync(d).flatMap((f) => {
    const p = join(d, f);
    return statSync(p).isDirectory() ? walk(p) : [readFileSync(p, 'utf8')];
  });
  return walk(target).join('\n');
}

describe('reliability: an unreachable database or wrong credentials', function () {
  this.timeout(60_000);
  const dirs: string[] = [];
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  for (const c of cases) {
    describe(`when ${c.what}`, () => {
      let dir: string;
      let out: CliResult;
      let ms: number;
      let viaFlag: CliResult;
      before(async () => {
        dir = makeProject({ 'models/marts/one.sql': 'select 1 as one' });
        dirs.push(dir);
        const t0 = Date.now();
        out = await runCli(['build-models', '--project-dir', dir], { DATABASE_URL: c.url });
        ms = Date.now() - t0;
        viaFlag = await runCli(['snapshot', '--project-dir', dir, '--database-url', c.url], { DATABASE_URL: undefined });
      });

      it('should exit 2 within a few seconds', () => {
        expect(out.code, out.stderr).to.equal(2);
        expect(viaFlag.code, viaFlag.stderr).to.equal(2);
        expect(ms).to.be.below(8_000);
      });

      it('should say what to check, without a stack trace', () => {
        for (const s of c.says) expect(out.stderr).to.match(s);
        expect(out.stderr).to.match(/^error: /m);
        expect(out.stderr + viaFlag.stderr).to.not.match(/internal error|\n\s+at /);
      });

      it('should never show the password: not on stderr, stdout or in target/', () => {
        const everything = [out.stderr, out.stdout, viaFlag.stderr, viaFlag.stdout, artifacts(dir)].join('\n');
        expect(everything).to.not.include(password);
      });

      it('should record the failure in target/run_results.json, redacted', () => {
        const results = JSON.parse(readFileSync(join(dir, 'target', 'run_results.json'), 'utf8'));
        expect(results.status).to.equal('error');
        expect(results.exitCode).to.equal(2);
        expect(results.results[0].message).to.match(c.says[0]);
      });
    });
  }
});
