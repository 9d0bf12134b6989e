import { expect } from 'chai';
import fc from 'fast-check';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import postgres from 'postgres';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ingest } from '../../runner/src/ingest/ingest.js';
import { collectingLogger } from '../../runner/src/log.js';
import type { Sql } from '../../runner/src/db/connection.js';
import type { SourceTable } from '../../runner/src/project/sources.js';
import { repoRoot } from '../support/files.js';
import { suiteDatabase, type TestDatabase } from '../support/database.js';

const sales: SourceTable = { source: 'raw', name: 'sales', schema: 'raw', columns: ['sale_id', 'note', 'quantity'], required: ['sale_id'] };

/** Records of every shape the scanner tells apart; some are malformed on purpose. */
const record = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.nat(999), fc.stringMatching(/^[a-z ]{0,8}$/), fc.nat(9)).map(([a, b, c]) => `${a},${b},${c}`) },
  { weight: 2, arbitrary: fc.tuple(fc.nat(999), fc.constantFrom('"a\nb"', '"x\r\ny\nz"', '"say ""hi"", ok"', '"\n"'), fc.nat(9)).map(([a, b, c]) => `${a},${b},${c}`) },
  { weight: 1, arbitrary: fc.constantFrom('1,2', '1,2,3,4', '5,"ab"c,1', '6,a"b,1', '7,"open,1', '', '8,\u0000,1') },
);
const file = fc.tuple(fc.array(record, { minLength: 1, maxLength: 60 }), fc.constantFrom('\n', '\r\n'), fc.boolean(), fc.boolean())
  .map(([records, eol, extraColumn, finalEol]) => {
    const header = extraColumn ? 'sale_id,note,quantity,unused' : 'sale_id,note,quantity';
    const body = records.map((r) => (extraColumn && r !== '' ? `${r},u` : r));
    return `${header}${eol}${body.join(eol)}${finalEol ? eol : ''}`;
  });

describe('ingest: a big file loads in parts side by side', function () {
  this.timeout(120_000);
  let db: TestDatabase;
  let sql: Sql;
  const dirs = suiteDatabase((d) => {
    db = d;
    sql = d.sql as unknown as Sql;
  });
  const landing = (content: string | Buffer, name = 'sales.csv') => {
    const dir = mkdtempSync(join(tmpdir(), 'sadp-parts-'));
    dirs.push(dir);
    writeFileSync(join(dir, name), content);
    return dir;
  };
  const rows = (query: string) => sql.unsafe(query) as Promise<Record<string, unknown>[]>;
  const reset = () => sql.unsafe(`drop schema if exists raw cascade; drop schema if exists raw_batches cascade;
    drop schema if exists meta cascade; drop schema if exists staging cascade`);
  /** Everything a load leaves: the rows with their lineage, the quarantined records and the file's record. */
  const loaded = async () => ({
    raw: await rows(`select sale_id, note, quantity, _file, _line::int, _batch_id = (select max(batch_id) from meta.ingested_files) as batch
      from raw.sales order by _line`),
    rejected: await rows('select line::int, reason, record from staging.rejected_rows order by line, reason'),
    meta: await rows('select file_name, sha256, rows::int, rejected::int from meta.ingested_files'),
  });
  /** The partitions under raw.sales, with their bounds, at any depth. */
  const partitions = async () => (await rows(`select c.relname as name, pg_get_expr(c.relpartbound, c.oid) as bound
    from pg_partition_tree('raw.sales') t join pg_class c on c.oid = t.relid where t.level > 0 order by t.level, c.relname`))
    .map((r) => `${r.name} ${r.bound}`);
  const leaves = async () => (await rows(`select count(*)::int as n from pg_partition_tree('raw.sales') where isleaf`))[0].n as number;
  const strays = async () => (await rows(`select relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'raw_batches' and c.relkind = 'r' and not c.relispartition order by 1`)).map((r) => r.relname);

  beforeEach(reset);

  it('should load the same rows, lines and rejects in parts as whole, wherever the splits fall', async () => {
    let split = 0;
    await fc.assert(fc.asyncProperty(file, fc.integer({ min: 2, max: 4 }), fc.integer({ min: 8, max: 200 }), async (content, maxParts, partBytes) => {
      const dir = landing(content);
      await reset();
      await ingest({ sql, dataDir: dir, tables: [sales], runId: 1, logger: collectingLogger(), maxParts: 1 });
      const whole = await loaded();
      await reset();
      const logger = collectingLogger();
      await ingest({ sql, dataDir: dir, tables: [sales], runId: 1, logger, maxParts, partBytes });
      expect(await loaded()).to.deep.equal(whole);
      expect(await strays()).to.deep.equal([]);
      if ((await leaves()) > 1) split++;
      rmSync(dir, { recursive: true, force: true });
    }), { numRuns: Number(process.env.INGEST_PARTS_RUNS ?? 40) });
    expect(split, 'files that loaded in more than one part').to.be.greaterThan(0);
  });

  it('should name each part after its batch, bound it by line and keep file and batch out of the stream', async () => {
    const body = Array.from({ length: 300 }, (_, i) => `${i + 1},n${i},1`).join('\n');
    const dir = landing(`sale_id,note,quantity\n${body}\n`);
    const logger = collectingLogger();
    const summary = await ingest({ sql, dataDir: dir, tables: [sales], runId: 1, logger, maxParts: 3, partBytes: 1000 });
    expect(summary.rows).to.equal(300);
    const batch = (await rows('select batch_id::int as batch from meta.ingested_files'))[0].batch as number;
    const bounds = await partitions();
    expect(bounds).to.have.length(4);
    expect(bounds[0]).to.equal(`sales_b${batch} FOR VALUES IN ('${batch}')`);
    expect(bounds[1]).to.match(new RegExp(`^sales_b${batch}_1 FOR VALUES FROM \\(MINVALUE\\) TO \\('\\d+'\\)$`));
    expect(bounds[3]).to.match(new RegExp(`^sales_b${batch}_3 FOR VALUES FROM \\('\\d+'\\) TO \\(MAXVALUE\\)$`));
    // each part holds the lines its bounds say, and every line is there once
    const perPart = await rows(`select tableoid::regclass::text as part, min(_line)::int as lo, max(_line)::int as hi, count(*)::int as n
      from raw.sales group by 1 order by 2`);
    expect(perPart.map((p) => p.n).reduce((a, b) => (a as number) + (b as number))).to.equal(300);
    expect(perPart[0].lo).to.equal(2);
    expect(perPart[1].lo).to.equal((perPart[0].hi as number) + 1);
    expect(perPart[2].hi).to.equal(301);
    // one load time for the whole file, though its parts were written by three transactions
    expect((await rows('select count(distinct _loaded_at)::int as n from raw.sales'))[0].n).to.equal(1);
    const [sha] = await rows('select sha256 from meta.ingested_files');
    const { createHash } = await import('node:crypto');
    expect(sha.sha256).to.equal(createHash('sha256').update(readFileSync(join(dir, 'sales.csv'))).digest('hex'));
  });

  it('should load a file whole when a split falls inside a quoted field', async () => {
    // one record whose quoted field spans most of the file: every split point lies inside it
    const note = Array.from({ length: 200 }, (_, i) => `line ${i}`).join('\n');
    const dir = landing(`sale_id,note,quantity\n1,a,1\n2,"${note}",2\n3,c,3\n`);
    const logger = collectingLogger();
    const summary = await ingest({ sql, dataDir: dir, tables: [sales], runId: 1, logger, maxParts: 2, partBytes: 500 });
    expect(summary.files[0]).to.include({ rows: 3, rejected: 0 });
    expect((await rows('select sale_id, _line::int from raw.sales order by _line')).map((r) => [r.sale_id, r._line]))
      .to.deep.equal([['1', 2], ['2', 3], ['3', 203]]);
    expect(await leaves()).to.equal(1);
    expect(await strays()).to.deep.equal([]);
    expect(logger.events.map((e) => e.message).join("\n")).to.match(/line break inside a quoted field where it was split/);
  });

  it('should drop the parts of a load that fails, and the parts a killed load left behind', async () => {
    const body = Array.from({ length: 300 }, (_, i) => `${i + 1},n${i},1`).join('\n');
    const content = `sale_id,note,quantity\n${body}\n`;
    await ingest({ sql, dataDir: landing(content), tables: [sales], runId: 1, logger: collectingLogger(), maxParts: 2, partBytes: 1000 });
    // a load that fails after its helpers' parts were committed (a record the raw table refuses)
    await sql.unsafe(`alter table raw.sales add constraint sales_note_short check (length(note) < 6) not valid`);
    const failing = ingest({ sql, dataDir: landing(`${content}301,${'x'.repeat(8)},1\n`, 'sales_copy.csv'), tables: [sales], runId: 1,
      logger: collectingLogger(), maxParts: 2, partBytes: 1000 });
    await failing.then(() => expect.fail('the load should fail'), (e: Error) => expect(e.message).to.match(/sales_copy\.csv/));
    await sql.unsafe(`alter table raw.sales drop constraint sales_note_short`);
    expect(await strays()).to.deep.equal([]);
    expect((await rows('select count(*)::int as n from raw.sales'))[0].n).to.equal(300);
    // a part a killed load committed but never attached; a table of someone else's in the same schema
    await sql.unsafe(`create table raw_batches.sales_b999_2 (like raw.sales); create table raw_batches.sales_backup (like raw.sales)`);
    await ingest({ sql, dataDir: landing('sale_id,note,quantity\n1,x,1\n', 'sales_more.csv'), tables: [sales], runId: 1, logger: collectingLogger() });
    expect(await strays()).to.deep.equal(['sales_backup']);
  });

  it('should give a source with a long name distinct partition names within 63 bytes', async () => {
    const long = { ...sales, name: `sales_${'ü'.repeat(40)}`, schema: `raw_${'x'.repeat(58)}` };
    const body = Array.from({ length: 300 }, (_, i) => `${i + 1},n${i},1`).join('\n');
    for (const name of [`${long.name}.csv`, `${long.name}_2.csv`]) {
      await ingest({ sql, dataDir: landing(`sale_id,note,quantity\n${body}\n${name},x,1\n`, name), tables: [long], runId: 1,
        logger: collectingLogger(), maxParts: 2, partBytes: 1000 });
    }
    const n = await rows(`select count(*)::int as n from ${'"' + long.schema + '"'}."${long.name}"`);
    expect(n[0].n).to.equal(602);
    const names = (await rows(`select c.relname, octet_length(c.relname) as bytes, n.nspname from pg_class c
      join pg_namespace n on n.oid = c.relnamespace where c.relispartition and c.relname like 'sales_%'`));
    expect(names).to.have.length(6); // two files, each a partition of two parts
    expect(new Set(names.map((r) => r.relname)).size).to.equal(6);
    expect(names.every((r) => (r.bytes as number) <= 63 && (r.nspname as string).endsWith('_batches'))).to.equal(true);
    await sql.unsafe(`drop schema ${'"' + long.schema + '"'} cascade; drop schema if exists "${names[0].nspname}" cascade`);
  });

  it('should load two sources in parts side by side on a pool of lanes × parts connections', async () => {
    const customers: SourceTable = { source: 'raw', name: 'customers', schema: 'raw', columns: ['id', 'name'], required: ['id'] };
    const dir = mkdtempSync(join(tmpdir(), 'sadp-parts-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'sales.csv'), `sale_id,note,quantity\n${Array.from({ length: 400 }, (_, i) => `${i},n,1`).join('\n')}\n`);
    writeFileSync(join(dir, 'customers.csv'), `id,name\n${Array.from({ length: 400 }, (_, i) => `${i},c${i}`).join('\n')}\n`);
    // what the runner leaves for ingest: each lane's file transaction and its helpers (fewer would wait forever)
    const pool = postgres(db.url, { max: 2 * 2, onnotice: () => {} }) as unknown as Sql;
    try {
      const summary = await ingest({ sql: pool, dataDir: dir, tables: [sales, customers], runId: 1, logger: collectingLogger(), maxParts: 2, partBytes: 1000, parallel: 2 });
      expect(summary.rows).to.equal(800);
      expect((await rows(`select count(*)::int as n from pg_partition_tree('raw.customers') where isleaf`))[0].n).to.equal(2);
      expect(await leaves()).to.equal(2);
    } finally {
      await pool.end();
    }
  });

  it('should read only the partitions of new batches for a batch filter', async () => {
    for (const name of ['sales_1.csv', 'sales_2.csv', 'sales_3.csv']) {
      await ingest({ sql, dataDir: landing(`sale_id,note,quantity\n1,${name},1\n`, name), tables: [sales], runId: 1, logger: collectingLogger() });
    }
    const batch = (await rows('select max(batch_id)::int as batch from meta.ingested_files'))[0].batch as number;
    const plan = (await rows(`explain (costs off) select * from raw.sales where _batch_id > ${batch - 1}`)).map((r) => r['QUERY PLAN']).join('\n');
    expect(plan).to.include(`sales_b${batch}`);
    expect(plan).not.to.include(`sales_b${batch - 1}`);
  });

  it('should keep loading into a plain raw table, and the migration should make it partitioned with its rows', async () => {
    await sql.unsafe(`create schema raw; create table raw.sales (sale_id text, note text, quantity text, _file text not null,
      _line bigint not null, _batch_id bigint not null, _loaded_at timestamptz not null default now());
      create index sales_batch on raw.sales (_batch_id)`);
    await ingest({ sql, dataDir: landing('sale_id,note,quantity\n1,a,1\n2,b,2\n'), tables: [sales], runId: 1, logger: collectingLogger() });
    const before = await loaded();
    expect(before.raw).to.have.length(2);
    const migration = readFileSync(join(repoRoot, 'migrations', '0006-partition-raw-by-batch.sql'), 'utf8');
    // a view on the raw table would follow the old table: the migration refuses, naming it
    await sql.unsafe('create view public.sales_copy as select * from raw.sales');
    let refused: unknown;
    await sql.unsafe(migration).catch((e) => (refused = e));
    expect((refused as Error)?.message).to.match(/raw\.sales has views that depend on it \(sales_copy\)/);
    await sql.unsafe('drop view public.sales_copy');
    await sql.unsafe(migration);
    expect((await rows(`select relkind from pg_class where oid = 'raw.sales'::regclass`))[0].relkind).to.equal('p');
    expect(await loaded()).to.deep.equal(before);
    const batch = (await rows('select max(batch_id)::int as batch from meta.ingested_files'))[0].batch as number;
    expect(await partitions()).to.deep.equal([`sales_before_partitioning FOR VALUES IN ('${batch}')`]);
    await ingest({ sql, dataDir: landing('sale_id,note,quantity\n3,c,3\n', 'sales_2.csv'), tables: [sales], runId: 1, logger: collectingLogger() });
    expect((await rows('select count(*)::int as n from raw.sales'))[0].n).to.equal(3);
  });
});
