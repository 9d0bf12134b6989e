import { expect } from 'chai';
import { copyFileSync, mkdtempSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../../runner/src/errors.js';
import { ingest, type IngestSummary } from '../../runner/src/ingest/ingest.js';
import { collectingLogger } from '../../runner/src/log.js';
import type { Sql } from '../../runner/src/db/connection.js';
import type { SourceTable } from '../../runner/src/project/sources.js';
import { writeFiles } from '../support/files.js';
import { suiteDatabase } from '../support/database.js';

const source = (name: string, columns: string[], required = columns, schema = 'raw'): SourceTable =>
  ({ source: 'raw', name, schema, columns, required });
const salesColumns = ['sale_id', 'customer_id', 'quantity'];
const tables = [source('sales', salesColumns), source('customers', ['customer_id', 'email'], ['customer_id'])];

describe('ingest: loading landing files into raw', function () {
  this.timeout(60_000);
  let sql: Sql;
  const dirs = suiteDatabase((db) => (sql = db.sql as unknown as Sql));
  const landing = (files: Record<string, string | Buffer>) => {
    const dir = mkdtempSync(join(tmpdir(), 'sadp-ingest-'));
    dirs.push(dir);
    for (const [name, content] of Object.entries(files)) {
      if (typeof content === 'string') writeFiles(dir, { [name]: content });
      else writeFileSync(join(dir, name), content);
    }
    return dir;
  };
  const logger = collectingLogger();
  const run = (dir: string, t: SourceTable[] = tables): Promise<IngestSummary> =>
    ingest({ sql, dataDir: dir, tables: t, runId: 1, logger });
  const rows = (query: string) => sql.unsafe(query) as Promise<Record<string, unknown>[]>;
  /** What a refused ingest must leave as it was. */
  const state = async () => {
    const [meta] = await rows(`select to_regclass('meta.ingested_files') is not null as m, to_regclass('raw.sales') is not null as s`);
    return {
      files: meta.m ? (await rows('select count(*)::int as n from meta.ingested_files'))[0].n : 0,
      sales: meta.s ? (await rows('select count(*)::int as n from raw.sales'))[0].n : 0,
    };
  };
  const expectInputError = async (promise: Promise<unknown>, ...patterns: RegExp[]) => {
    let error: unknown;
    try {
      await promise;
    } catch (e) {
      error = e;
    }
    expect(error, 'an error').to.be.instanceOf(UserError);
    expect((error as UserError).exitCode).to.equal(2);
    for (const p of patterns) expect((error as UserError).message).to.match(p);
  };
  const reset = () => sql.unsafe(`drop schema if exists raw cascade; drop schema if exists meta cascade;
    drop schema if exists staging cascade; drop schema if exists other cascade`);

  beforeEach(reset);

  it('should load every record with its file, physical line and batch', async () => {
    const dir = landing({
      'sales.csv': 'sale_id,customer_id,quantity\n1,10,2\n2,11,1\n',
      'sales/2026-01.csv': 'sale_id,customer_id,quantity\n3,12,5',
      'customers.csv': 'customer_id,email\n10,a@example.com\n',
    });
    const summary = await run(dir);
    expect(summary.rows).to.equal(4);
    expect(summary.files.map((f) => [f.file, f.source, f.rows, f.skipped])).to.deep.equal([
      ['customers.csv', 'customers', 1, false],
      ['sales.csv', 'sales', 2, false],
      ['sales/2026-01.csv', 'sales', 1, false],
    ]);
    const loaded = await rows(`select sale_id, _file, _line::int, m.file_name = s._file as same
      from raw.sales s join meta.ingested_files m on m.batch_id = s._batch_id order by sale_id`);
    expect(loaded.map((r) => [r.sale_id, r._file, r._line, r.same])).to.deep.equal([
      ['1', 'sales.csv', 2, true], ['2', 'sales.csv', 3, true], ['3', 'sales/2026-01.csv', 2, true],
    ]);
    const meta = await rows(`select file_name, source, rows::int, rejected::int, length(sha256) as len, bytes::int
      from meta.ingested_files order by file_name`);
    expect(meta[1]).to.deep.equal({ file_name: 'sales.csv', source: 'sales', rows: 2, rejected: 0, len: 64, bytes: 43 });
  });

  it('should skip a file ingested before and load nothing on a rerun', async () => {
    const dir = landing({ 'sales.csv': 'sale_id,customer_id,quantity\n1,10,2\n' });
    await run(dir);
    const before = await state();
    const again = await run(dir);
    expect(again.rows).to.equal(0);
    expect(again.files).to.deep.equal([{ file: 'sales.csv', source: 'sales', rows: 0, rejected: 0, skipped: true }]);
    expect(await state()).to.deep.equal(before);
  });

  it('should hand out batch ids above every ingested batch after the sequence was restarted behind them', async () => {
    const dir = landing({ 'sales.csv': 'sale_id,customer_id,quantity\n1,10,2\n', 'sales_2.csv': 'sale_id,customer_id,quantity\n2,11,1\n' });
    await run(dir);
    const [{ top }] = await rows(`select max(batch_id)::int as top from meta.ingested_files`);
    // what a restore that left the sequence at its start does
    await rows(`select setval(pg_get_serial_sequence('meta.ingested_files', 'batch_id'), 1, false)`);
    writeFiles(dir, { 'sales_3.csv': 'sale_id,customer_id,quantity\n3,12,5\n' });
    const later = await run(dir);
    expect(later.files.filter((f) => !f.skipped).map((f) => [f.file, f.rows])).to.deep.equal([['sales_3.csv', 1]]);
    const [added] = await rows(`select batch_id::int as id from meta.ingested_files where file_name = 'sales_3.csv'`);
    expect(added.id).to.equal((top as number) + 1);
    const loaded = await rows(`select sale_id from raw.sales where _batch_id > ${top as number}`);
    expect(loaded.map((r) => r.sale_id)).to.deep.equal(['3']);
  });

  it('should take a file touched since it was ingested (same content, new time) as ingested', async () => {
    const dir = landing({ 'sales.csv': 'sale_id,customer_id,quantity\n1,10,2\n' });
    await run(dir);
    const later = new Date(Date.now() + 60_000);
    utimesSync(join(dir, 'sales.csv'), later, later);
    const again = await run(dir);
    expect(again.files).to.deep.equal([{ file: 'sales.csv', source: 'sales', rows: 0, rejected: 0, skipped: true }]);
    // the new time is remembered, so the next run trusts size and time again
    const [{ mtime }] = await rows(`select mtime_ns::text as mtime from meta.ingested_files`);
    expect(BigInt(mtime as string)).to.equal(statSync(join(dir, 'sales.csv'), { bigint: true }).mtimeNs);
  });

  it('should refuse a file changed under a name ingested before, and load no other file', async () => {
    const dir = landing({ 'sales.csv': 'sale_id,customer_id,quantity\n1,10,2\n' });
    await run(dir);
    const before = await state();
    writeFiles(dir, { 'sales.csv': 'sale_id,customer_id,quantity\n1,10,3\n', 'sales_2026.csv': 'sale_id,customer_id,quantity\n9,9,9\n' });
    await expectInputError(run(dir), /landing file "sales.csv" was ingested before with different content/,
      /sha256 [0-9a-f]{12}… then, [0-9a-f]{12}… now/, /deliver corrections as a new file/);
    expect(await state()).to.deep.equal(before);
  });

  it('should load a byte-identical copy under a new name as a new delivery', async () => {
    const dir = landing({ 'sales.csv': 'sale_id,customer_id,quantity\n1,10,2\n' });
    await run(dir);
    copyFileSync(join(dir, 'sales.csv'), join(dir, 'sales_again.csv'));
    const summary = await run(dir);
    expect(summary.files.find((f) => f.file === 'sales_again.csv')).to.include({ rows: 1, skipped: false });
    expect((await rows('select _file, count(*)::int as n from raw.sales group by _file order by _file')).map((r) => [r._file, r.n]))
      .to.deep.equal([['sales.csv', 1], ['sales_again.csv', 1]]);
    expect((await run(dir)).files.every((f) => f.skipped)).to.equal(true);
  });

  it('should number physical lines right with CRLF line ends and quoted multi-line fields', async () => {
    const dir = landing({
      'customers.csv': 'customer_id,email\r\n1,"first\r\nsecond"\r\n2,plain\r\n\r\n3,"a\nb\nc"\r\n4,"say ""hi"", ok"\r\n5,',
    });
    await run(dir);
    const loaded = await rows('select customer_id, email, _line::int from raw.customers order by _line');
    expect(loaded).to.deep.equal([
      { customer_id: '1', email: 'first\r\nsecond', _line: 2 },
      { customer_id: '2', email: 'plain', _line: 4 },
      { customer_id: '3', email: 'a\nb\nc', _line: 6 },
      { customer_id: '4', email: 'say "hi", ok', _line: 9 },
      { customer_id: '5', email: '', _line: 10 },
    ]);
  });

  it('should quarantine malformed records with file, line and reason while the rest loads', async () => {
    const content = Buffer.concat([
      Buffer.from('sale_id,customer_id,quantity\n'),
      Buffer.from('1,10,2\n'), // line 2: good
      Buffer.from('2,10,2,extra\n'), // 3: too many fields
      Buffer.from('3,10\n'), // 4: too few
      Buffer.from('4,"10"x,2\n'), // 5: text after a closing quote
      Buffer.from('5,1"0,2\n'), // 6: quote inside an unquoted field
      Buffer.from('6,'), Buffer.from([0xff, 0xfe]), Buffer.from(',2\n'), // 7: invalid UTF-8
      Buffer.from('7,1\u00000,2\n'), // 8: NUL byte
      Buffer.from('8,"runaway,2\n'), // 9: a quote that never closes on its line
      Buffer.from('9,12,3\n'), // 10: good
      Buffer.from('10,"ok\nstill ok",4\n'), // 11-12: good, multi-line
    ]);
    const dir = landing({ 'sales_bad.csv': content, 'sales_good.csv': 'sale_id,customer_id,quantity\n100,1,1\n' });
    const summary = await run(dir);
    expect(summary.files.map((f) => [f.file, f.rows, f.rejected])).to.deep.equal([['sales_bad.csv', 3, 7], ['sales_good.csv', 1, 0]]);
    const loaded = await rows(`select sale_id, _line::int from raw.sales where _file = 'sales_bad.csv' order by _line`);
    expect(loaded.map((r) => [r.sale_id, r._line])).to.deep.equal([['1', 2], ['9', 10], ['10', 11]]);
    const rejected = await rows(`select source, file, line::int, reason, stage, record, batch_id = (select batch_id from
      meta.ingested_files where file_name = 'sales_bad.csv') as batch from staging.rejected_rows order by line`);
    expect(rejected.map((r) => [r.line, r.reason])).to.deep.equal([
      [3, 'expected 3 fields, found 4'],
      [4, 'expected 3 fields, found 2'],
      [5, 'unexpected text after a closing quote'],
      [6, 'quote inside an unquoted field'],
      [7, 'invalid UTF-8'],
      [8, 'NUL byte'],
      [9, 'unterminated quoted field'],
    ]);
    expect(rejected.every((r) => r.source === 'sales' && r.file === 'sales_bad.csv' && r.stage === 'ingest' && r.batch))
      .to.equal(true);
    expect(rejected[0].record).to.equal('2,10,2,extra');
    expect(rejected[4].record).to.equal('6,\uFFFD\uFFFD,2');
    const [meta] = await rows(`select rows::int, rejected::int from meta.ingested_files where file_name = 'sales_bad.csv'`);
    expect(meta).to.deep.equal({ rows: 3, rejected: 7 });
  });

  it('should reject only the first line of a quote left open at the end of the file', async () => {
    const dir = landing({ 'sales.csv': 'sale_id,customer_id,quantity\n1,1,1\n2,"open,1\n3,3,3\n4,4,4\n' });
    const summary = await run(dir);
    expect(summary.files[0]).to.include({ rows: 3, rejected: 1 });
    const rejected = await rows('select line::int, reason, record from staging.rejected_rows');
    expect(rejected).to.deep.equal([{ line: 3, reason: 'unterminated quoted field', record: '2,"open,1' }]);
    expect((await rows('select string_agg(sale_id, \',\' order by _line) as ids from raw.sales'))[0].ids).to.equal('1,3,4');
  });

  it('should refuse a file missing a required column, naming file and column, and change nothing', async () => {
    const dir = landing({ 'sales.csv': 'sale_id,customer_id,quantity\n1,10,2\n' });
    await run(dir);
    const before = await state();
    writeFiles(dir, { 'sales_2026.csv': 'sale_id,qty\n1,2\n', 'sales_2027.csv': 'sale_id,customer_id,quantity\n5,5,5\n' });
    await expectInputError(run(dir), /"sales_2026.csv" lacks required columns "customer_id", "quantity"/);
    expect(await state()).to.deep.equal(before);
  });

  it('should refuse an empty file, naming it, and change nothing', async () => {
    const dir = landing({ 'sales.csv': 'sale_id,customer_id,quantity\n1,10,2\n', 'sales_empty.csv': '' });
    await expectInputError(run(dir), /landing file "sales_empty.csv" is empty/);
    expect(await state()).to.deep.equal({ files: 0, sales: 0 });
  });

  it('should refuse a file whose first line is blank', async () => {
    const dir = landing({ 'sales.csv': '\n1,10,2\n' });
    await expectInputError(run(dir), /"sales.csv" has no header line/);
  });

  it('should refuse a header that names a column twice or is not UTF-8', async () => {
    await expectInputError(run(landing({ 'sales.csv': 'sale_id,customer_id,quantity,sale_id\n' })), /"sales.csv" names column "sale_id" twice/);
    await expectInputError(run(landing({ 'sales.csv': Buffer.from([0x73, 0xff, 0x0a]) })), /"sales.csv" is not valid UTF-8/);
  });

  it('should refuse a file with lone CR line breaks, saying so, and change nothing', async () => {
    const dir = landing({ 'sales.csv': 'sale_id,customer_id,quantity\r1,10,2\r2,10,3\r' });
    await expectInputError(run(dir), /"sales.csv" ends its lines with a lone carriage return \(CR/, /save it with LF or CRLF line breaks/);
    expect(await state()).to.deep.equal({ files: 0, sales: 0 });
  });

  it('should record a header-only file with zero rows', async () => {
    const dir = landing({ 'sales.csv': 'sale_id,customer_id,quantity\n' });
    const summary = await run(dir);
    expect(summary.files).to.deep.equal([{ file: 'sales.csv', source: 'sales', rows: 0, rejected: 0, skipped: false }]);
    expect(await state()).to.deep.equal({ files: 1, sales: 0 });
    expect((await run(dir)).files[0].skipped).to.equal(true);
  });

  it('should refuse a directory without any CSV file, naming it', async () => {
    const dir = landing({ 'readme.txt': 'nothing here' });
    await expectInputError(run(dir), new RegExp(`"${dir}" holds no CSV file`));
    expect(await state()).to.deep.equal({ files: 0, sales: 0 });
  });

  it('should warn about files that match no source and leave them alone', async () => {
    const dir = landing({ 'sales.csv': 'sale_id,customer_id,quantity\n1,1,1\n', 'inventory.csv': 'x\n1\n' });
    logger.events.length = 0;
    const summary = await run(dir);
    expect(summary.unmatched).to.deep.equal(['inventory.csv']);
    expect(logger.events.some((e) => e.event === 'warn' && String(e.message).includes('"inventory.csv"'))).to.equal(true);
  });

  it('should strip a UTF-8 BOM, map columns in any order and keep empty fields as empty strings', async () => {
    await run(landing({ 'sales.csv': '\uFEFFquantity,sale_id,customer_id\n2,1,\n,2,""\n' }));
    const loaded = await rows('select sale_id, customer_id, quantity from raw.sales order by _line');
    expect(loaded).to.deep.equal([
      { sale_id: '1', customer_id: '', quantity: '2' },
      { sale_id: '2', customer_id: '', quantity: '' },
    ]);
  });

  it('should warn about an undeclared column and not load it', async () => {
    const dir = landing({ 'customers.csv': 'note,customer_id,email,"x,y"\nhello,1,a@b.c,z\n"multi\nline",2,d@e.f,w\n' });
    logger.events.length = 0;
    await run(dir);
    expect(logger.events.some((e) => e.event === 'warn' && /"note", "x,y" that source "customers" doesn't declare/.test(String(e.message))))
      .to.equal(true);
    const loaded = await rows('select *, _line::text as line from raw.customers order by _line');
    expect(loaded.map((r) => [r.customer_id, r.email, r.line])).to.deep.equal([['1', 'a@b.c', '2'], ['2', 'd@e.f', '3']]);
    expect(Object.keys(loaded[0])).to.not.include('note');
  });

  it('should load optional columns missing from the header as NULL', async () => {
    await run(landing({ 'customers.csv': 'customer_id\n1\n' }));
    expect(await rows('select customer_id, email from raw.customers')).to.deep.equal([{ customer_id: '1', email: null }]);
  });

  it('should store a column named like an SQL injection as data', async () => {
    const evil = '"; drop table x; --';
    await sql.unsafe('create table public.x (a int)');
    const t = [source('evil', ['id', evil], ['id', evil], 'other')];
    await run(landing({ 'evil.csv': `id,"""; drop table x; --"\n1,"'); drop table x; --"\n` }), t);
    const loaded = await rows('select * from other.evil');
    expect(loaded[0]).to.include({ id: '1', [evil]: "'); drop table x; --" });
    expect((await rows(`select to_regclass('public.x') is not null as kept`))[0].kept).to.equal(true);
  });

  it('should load a 1 MB field', async () => {
    const big = 'x'.repeat(1 << 20);
    await run(landing({ 'customers.csv': `customer_id,email\n1,"${big}\n${big}"\n2,${big}\n3,small\n` }));
    const loaded = await rows('select customer_id, length(email) as len, _line::int from raw.customers order by _line');
    expect(loaded).to.deep.equal([
      { customer_id: '1', len: (2 << 20) + 1, _line: 2 },
      { customer_id: '2', len: 1 << 20, _line: 4 },
      { customer_id: '3', len: 5, _line: 5 },
    ]);
  });

  it('should name the file and change nothing when the database refuses its records', async () => {
    await sql.unsafe(`create schema raw; create table raw.sales (sale_id text, customer_id text, quantity text
      check (quantity <> 'boom'), _file text not null, _line bigint not null, _batch_id bigint not null,
      _loaded_at timestamptz not null default now())`);
    const dir = landing({ 'sales.csv': 'sale_id,customer_id,quantity\n1,1,1\n2,2,boom\n' });
    // several times: the careful pass once lost the file's start to a race and reported 0 rows loaded
    for (let i = 0; i < 12; i++) {
      await expectInputError(run(dir), /landing file "sales.csv" could not be loaded into raw.sales: .*check constraint/);
      expect(await state()).to.deep.equal({ files: 0, sales: 0 });
    }
  });
});
