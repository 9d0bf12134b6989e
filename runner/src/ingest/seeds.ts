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
import { ensureMeta } from '../db/meta.js';
import { qualified } from '../sql/quote.js';
import { statement } from '../sql/statements.js';

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
  await ensureMeta(sql);
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
    const [state] = await sql.unsafe(statement('seeds/state'), [name, qualified(schema, name)]);
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
  await tx.unsafe(statement('seeds/new-table', { schema, temp, columns: header.names }));
  try {
    await copyIn(tx, statement('seeds/copy', { temp, columns: header.names }),
      fs.createReadStream(file, { start: header.bytes, highWaterMark: 1 << 20 }));
  } catch (e) {
    if (!(e instanceof postgres.PostgresError)) throw e;
    // COPY counts lines from the first byte it saw, after the header
    const where = (e.where ?? '').replace(/line (\d+)/, (_m, n: string) => `line ${Number(n) + header.lines}`);
    throw inputError(`seed file "seeds/${path.basename(file)}" could not be loaded: ${e.message}` +
      `${where ? ` (${where.split('\n')[0]})` : ''}; fix the file`);
  }
  const [{ rows }] = await tx.unsafe(statement('seeds/count', { temp }));
  const [{ exists, dependents, same }] = await tx.unsafe(statement('seeds/target'), [target, header.names]);
  if (!exists || dependents === 0) {
    await tx.unsafe(statement('seeds/swap', { drop: exists, target, temp, name }));
  } else if (same) {
    await tx.unsafe(statement('seeds/refill', { target, temp }));
  } else {
    throw inputError(`seed "${name}" changed its columns, but views depend on ${schema}.${name}; ` +
      `drop or change those views first (no table is dropped with CASCADE)`);
  }
  await tx.unsafe(statement('seeds/record'), [name, sha, rows]);
  return Number(rows);
}
