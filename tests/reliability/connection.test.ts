import { expect } from 'chai';
import { existsSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { makeProject } from '../support/files.js';
import { adminUrl } from '../support/database.js';
import { runCli, type CliResult } from '../support/cli.js';

const password = 's3cretpw';
const server = new URL(adminUrl);
/** A server that accepts connections and never says a word (a hung server; a dropping firewall waits as long). */
const silent: { server?: Server; port?: number; sockets: Socket[] } = { sockets: [] };
const cases = [
  {
    what: 'the server accepts the connection and never answers',
    get url() {
      return `postgres://root:${password}@127.0.0.1:${silent.port}/x`;
    },
    says: [/cannot connect to the database at 127\.0\.0\.1:\d+\/x/, /no answer within 5 s/, /check the host, port and any firewall/],
    within: 12_000,
  },
  {
    // where the network drops packets to it (as here), the connection never opens and the driver keeps
    // retrying; where it refuses or has no route, the answer is quicker; either way a bounded exit 2
    what: 'the host never answers (a private address nothing routes to)',
    url: `postgres://root:${password}@10.255.255.1:5432/x`,
    says: [/cannot connect to the database at 10\.255\.255\.1:5432\/x: /, /check /],
    within: 12_000,
  },
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
  before(async () => {
    silent.server = createServer((socket) => silent.sockets.push(socket));
    await new Promise<void>((r) => silent.server!.listen(0, '127.0.0.1', () => r()));
    silent.port = (silent.server.address() as { port: number }).port;
  });
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    for (const socket of silent.sockets) socket.destroy();
    silent.server?.close();
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
        expect(ms).to.be.below((c as { within?: number }).within ?? 8_000);
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
