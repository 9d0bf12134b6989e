/**
 * The embedded warehouse at hand (issue: an analyst's first day): `npm run sql` queries it, and
 * `npm run db -- start` keeps it running between commands so that psql and the hints can reach it.
 */
import { expect } from 'chai';
import postgres from 'postgres';
import { dataDirectoryFor } from '../../runner/src/db/embedded-setup.js';
import { makeProject } from '../support/files.js';
import { runCli } from '../support/cli.js';
import { removeProject, serversOn } from '../support/embedded.js';

const files = {
  'models/sources.yml': 'sources:\n  - name: raw\n    tables:\n      - name: orders\n        columns: [order_id, amount]\n',
  'models/staging/stg_orders.sql': `{{config materialized="incremental" unique_key="order_id" reject_column="_reject_reason" reject_source="orders"}}
select nullif(order_id, '')::int as order_id, amount, _file, _line, _batch_id,
       case when amount !~ '^[0-9]+$' then 'amount is not a number: ' || amount end as _reject_reason
from {{source "raw" "orders"}}`,
  'models/marts/order_totals.sql': 'select count(*) as orders from {{ref "stg_orders"}}',
  'models/marts/schema.yml': 'models:\n  - name: order_totals\n    columns:\n      - name: orders\n        tests:\n          - accepted_values: { values: [99] }\n',
  'data/raw/orders.csv': 'order_id,amount\n1,10\n2,ten\n3,30\n',
};

describe('the embedded warehouse at hand: npm run sql and npm run db', function () {
  this.timeout(180_000);
  let dir: string;
  const cli = (...args: string[]) => runCli([...args, '--project-dir', dir], { DATABASE_URL: undefined });

  before(() => {
    dir = makeProject(files, 'sadp-at-hand-');
  });
  after(async () => {
    await cli('db', 'stop');
    removeProject(dir);
  });

  it('should start the embedded server for one query when none is kept, print a table and stop it again', async () => {
    const out = await cli('sql', 'select 1 as one, null::text as nothing');
    expect(out.code, out.stderr).to.equal(0);
    expect(out.stdout).to.equal('one | nothing\n----+--------\n  1 | null\n(1 row)\n');
    expect(serversOn(dataDirectoryFor(dir))).to.deep.equal([]);
  });

  it('should keep the server running after db start, and let every command use it', async () => {
    const started = await cli('db', 'start');
    expect(started.code, started.stderr).to.equal(0);
    const url = /at (postgres:\/\/\S+)/.exec(started.stdout)![1];
    const pids = serversOn(dataDirectoryFor(dir));
    expect(pids).to.have.length(1);
    const built = await cli('build-models');
    expect(built.code, built.stdout).to.equal(1); // the accepted_values test fails on purpose
    expect(serversOn(dataDirectoryFor(dir)), 'the build used the kept server and left it running').to.deep.equal(pids);
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      expect((await sql`select order_id from staging.stg_orders order by 1`).map((r) => r.order_id)).to.deep.equal([1, 3]);
    } finally {
      await sql.end();
    }
    const url2 = await cli('db', 'url');
    expect(url2.stdout.trim()).to.equal(url);
    expect((await cli('db', 'status')).stdout).to.match(/^running at postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres/);
    const overridden = await cli('db', 'status', '--database-url', 'postgres://someone:secret@elsewhere:5432/warehouse');
    expect(overridden.stdout).to.include('DATABASE_URL is set: commands use postgres://someone:***@elsewhere:5432/warehouse, not the embedded server');
  });

  it('should name the command that shows the rows behind a failing test and the rejected records, and that command should show them', async () => {
    // a full refresh rejects the bad record again (a plain build would leave the unchanged models alone)
    const built = await cli('build-models', '--full-refresh');
    const hint = /rejected records, newest first: (npm run sql -- '.*')$/m.exec(built.stdout)?.[1];
    expect(hint, built.stdout).to.be.a('string');
    const query = /^npm run sql -- '(.*)'$/.exec(hint!)![1].replace(/'\\''/g, "'");
    const rejected = await cli('sql', query, '--format', 'csv');
    expect(rejected.code, rejected.stderr).to.equal(0);
    expect(rejected.stdout).to.match(/^stage,source,file,line,reason\n/);
    expect(rejected.stdout).to.include('staging,orders,orders.csv,3,amount is not a number: ten');
    const failing = /failed test accepted_values_order_totals_orders: .*to see them: npm run sql -- '(.*)'$/m.exec(built.stdout);
    expect(failing, built.stdout).to.not.equal(null);
    const rows = await cli('sql', failing![1].replace(/'\\''/g, "'"), '--format', 'json');
    expect(rows.code, rows.stderr).to.equal(0);
    expect(JSON.parse(rows.stdout)).to.have.length(1);
  });

  it('should print CSV and JSON with every row, and a table with its first rows and a note', async () => {
    const csv = await cli('sql', "select n, 'a,b' as t from generate_series(1, 150) as n", '--format', 'csv');
    expect(csv.stdout.split('\n')).to.have.length(152); // header, 150 rows, the final newline
    expect(csv.stdout.split('\n')[1]).to.equal('1,"a,b"');
    const json = await cli('sql', 'select n from generate_series(1, 3) as n where n > 5', '--format', 'json');
    expect(JSON.parse(json.stdout)).to.deep.equal([]);
    const table = await cli('sql', 'select n from generate_series(1, 150) as n');
    expect(table.stdout).to.match(/\(100 rows; more not shown: --limit N, or --format csv for all\)\n$/);
  });

  it('should refuse to write (exit 1), name a bad query (exit 1) and a bad format (exit 2)', async () => {
    const write = await cli('sql', 'drop table staging.stg_orders');
    expect(write.code).to.equal(1);
    expect(write.stderr).to.match(/cannot execute DROP TABLE in a read-only transaction/);
    const bad = await cli('sql', 'select nope from staging.stg_orders');
    expect(bad.code).to.equal(1);
    expect(bad.stderr).to.match(/column "nope" does not exist \(at character 8 of the query\)/);
    const format = await cli('sql', 'select 1', '--format', 'xml');
    expect(format.code).to.equal(2);
    expect(format.stderr).to.match(/unknown --format "xml"; use table, csv or json/);
  });

  it('should give the docs column types from the embedded warehouse', async () => {
    const out = await cli('docs');
    expect(out.code, out.stderr).to.equal(0);
    expect(out.stdout).to.match(/with column types/);
  });

  it('should stop the kept server with db stop, after which db url says how to start it', async () => {
    const stopped = await cli('db', 'stop');
    expect(stopped.stdout).to.equal('stopped the embedded PostgreSQL\n');
    expect(serversOn(dataDirectoryFor(dir))).to.deep.equal([]);
    const url = await cli('db', 'url');
    expect(url.code).to.equal(2);
    expect(url.stderr).to.match(/no embedded PostgreSQL is running; start it with: npm run db -- start/);
    expect((await cli('db', 'stop')).stdout).to.equal('no embedded PostgreSQL was running\n');
  });

  it('should name the closest action to a misspelt one, with exit code 2', async () => {
    const typo = await cli('db', 'strat');
    expect(typo.code).to.equal(2);
    expect(typo.stderr).to.include('unknown action "strat" for "db"; did you mean "start"?');
  });
});
