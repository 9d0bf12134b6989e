import fs from 'node:fs';
import path from 'node:path';
import postgres from 'postgres';
import type { Sql } from '../db/connection.js';
import { copyIn } from './copy-in.js';
import { readHeader } from './csv-header.js';
import { inputError } from '../errors.js';
import { sha256File } from '../files/hash.js';
import { byteOrder } from './landing.js';
import type { Logger } from '../log.js';
import { ident, qualified } from '../sql/quote.js';

export interface SeedsOptions {
  sql: Sql;
  /** The project's `seeds/` folder; each `<name>.csv` becomes table `<schema>.<name>`. */
  seedsDir: string;
  /** Default `seeds`. */
  schema?: string;
  logger: Logger;
}

export interface SeedResult {
  name: string;
  rows: number;
  /** False when the file was unchanged since its last load (nothing done). */
  loaded: boolean;
}

type Tx = postgres.TransactionSql<Record<string, never>>;

const seedsDdl = `
create schema if not exists meta;
create table if not exists meta.seeds (
  name      text primary key,
  sha256    text not null,
  rows      bigint,
  loaded_at timestamptz not null default now()
)`;

/**
 * Loads every `seeds/<name>.csv` into a table of text columns named by its header, only when the file
 * changed (by sha256) or the table is missing. The new table is built under a temporary name and swapped
 * in within one transaction; when views depend on the old table it is refilled in place instead, so they
 * survive.
 */
export async function loadSeeds(opts: SeedsOptions): Promise<SeedResult[]> {
  const { sql, logger } = opts;
  const schema = opts.schema ?? 'seeds';
  if (!fs.existsSync(opts.seedsDir)) return [];
  const files = fs.readdirSync(opts.seedsDir).filter((f) => f.toLowerCase().endsWith('.csv')).sort(byteOrder);
  if (files.length === 0) return [];
  await sql.unsafe(seedsDdl);
  const results: SeedResult[] = [];
  for (const file of files) {
    const started = performance.now();
    const name = file.slice(0, -4);
    const full = path.join(opts.seedsDir, file);
    const header = readHeader(full, `seeds/${file}`, 'seed file');
    if (header.names.some((n) => n === '')) {
      throw inputError(`seed file "seeds/${file}" has an empty column name in its header; name every column`);
    }
    const sha = await sha256File(full, `seeds/${file}`);
    const [state] = await sql`select
        (select sha256 from meta.seeds where name = ${name}) as sha256,
        (select rows::text from meta.seeds where name = ${name}) as rows,
        to_regclass(${qualified(schema, name)}) is not null as exists`;
    if (state.sha256 === sha && state.exists) {
      results.push({ name, rows: Number(state.rows), loaded: false });
      logger.event({ event: 'seed', node: name, status: 'skipped', rows: Number(state.rows) });
      continue;
    }
    const rows = await sql.begin((tx: Tx) => replace(tx, schema, name, full, header, sha));
    results.push({ name, rows, loaded: true });
    logger.event({ event: 'seed', node: name, status: 'success', rows, ms: Math.round(performance.now() - started) });
  }
  return results;
}

async function replace(tx: Tx, schema: string, name: string, file: string,
  header: { names: string[]; bytes: number; lines: number }, sha: string): Promise<number> {
  const target = qualified(schema, name);
  const tempName = `_sadp_new_${name}`.slice(0, 63);
  const temp = qualified(schema, tempName);
  const columns = header.names.map(ident).join(', ');
  await tx.unsafe(`create schema if not exists ${ident(schema)}; drop table if exists ${temp};
    create table ${temp} (${header.names.map((n) => `${ident(n)} text`).join(', ')})`);
  try {
    await copyIn(tx, `copy ${temp} (${columns}) from stdin with (format csv)`,
      fs.createReadStream(file, { start: header.bytes, highWaterMark: 1 << 20 }));
  } catch (e) {
    if (!(e instanceof postgres.PostgresError)) throw e;
    // COPY counts lines from the first byte it saw, after the header
    const where = (e.where ?? '').replace(/line (\d+)/, (_m, n: string) => `line ${Number(n) + header.lines}`);
    throw inputError(`seed file "seeds/${path.basename(file)}" could not be loaded: ${e.message}` +
      `${where ? ` (${where.split('\n')[0]})` : ''}; fix the file`);
  }
  const [{ rows }] = await tx.unsafe(`select count(*)::text as rows from ${temp}`);
  const [{ exists, dependents, same }] = await tx`select
      to_regclass(${target}) is not null as exists,
      (select count(*) from pg_depend d join pg_rewrite r on r.oid = d.objid
        where d.refobjid = to_regclass(${target}) and r.ev_class <> d.refobjid)::int as dependents,
      (select array_agg(attname::text order by attnum) from pg_attribute
        where attrelid = to_regclass(${target}) and attnum > 0 and not attisdropped) = ${header.names}::text[] as same`;
  if (!exists) {
    await tx.unsafe(`alter table ${temp} rename to ${ident(name)}`);
  } else if (dependents === 0) {
    await tx.unsafe(`drop table ${target}; alter table ${temp} rename to ${ident(name)}`);
  } else if (same) {
    // views depend on the table: refill it in place so they keep working
    await tx.unsafe(`truncate ${target}; insert into ${target} select * from ${temp}; drop table ${temp}`);
  } else {
    throw inputError(`seed "${name}" changed its columns, but views depend on ${schema}.${name}; ` +
      `drop or change those views first (no table is dropped with CASCADE)`);
  }
  await tx`insert into meta.seeds (name, sha256, rows) values (${name}, ${sha}, ${rows})
    on conflict (name) do update set sha256 = excluded.sha256, rows = excluded.rows, loaded_at = now()`;
  return Number(rows);
}
