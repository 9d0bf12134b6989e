import fs from 'node:fs';
import path from 'node:path';
import { inputError } from '../errors.js';
import type { SourceTable } from '../project/sources.js';

/** A landing file and the source it belongs to. */
export interface LandingFile {
  /** Absolute path. */
  path: string;
  /** Path relative to the landing directory, with `/` separators; stored in raw as `_file`. */
  relPath: string;
  table: SourceTable;
}

/**
 * The source a landing file belongs to (DESIGN §3): its name is `S.csv` or `S_<anything>.csv`, or it lies
 * in a folder `S/` at any depth. Where several sources match, the longest name wins, so
 * `customers_updates_2026-02.csv` is `customers_updates`, not `customers`.
 */
export function matchSource(relPath: string, tables: SourceTable[]): SourceTable | undefined {
  const parts = relPath.split(/[\\/]/).filter((p) => p !== '');
  const base = parts[parts.length - 1] ?? '';
  if (!base.toLowerCase().endsWith('.csv')) return undefined;
  const stem = base.slice(0, -4);
  const folders = parts.slice(0, -1);
  let best: SourceTable | undefined;
  for (const table of tables) {
    const n = table.name;
    const matches = stem === n || stem.startsWith(n + '_') || folders.includes(n);
    if (matches && (!best || n.length > best.name.length)) best = table;
  }
  return best;
}

/** Byte order of the UTF-8 encodings, as the C collation compares (`sales.csv` < `sales_2025-06.csv`). */
export function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * Every `*.csv` under `dataDir` (recursively), split into files that belong to a source and files that
 * don't; both sorted by relative path in byte order. A missing directory is an input error.
 */
export function listLandingFiles(
  dataDir: string,
  tables: SourceTable[],
): { matched: LandingFile[]; unmatched: string[] } {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dataDir);
  } catch {
    throw inputError(`landing directory "${dataDir}" doesn't exist; create it or pass --data-dir`);
  }
  if (!stat.isDirectory()) throw inputError(`landing directory "${dataDir}" is not a directory; pass --data-dir`);
  const found: string[] = [];
  const walk = (dir: string, rel: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const relPath = rel ? `${rel}/${entry.name}` : entry.name;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full, relPath);
      else if ((entry.isFile() || entry.isSymbolicLink()) && entry.name.toLowerCase().endsWith('.csv')) found.push(relPath);
    }
  };
  walk(dataDir, '');
  found.sort(byteOrder);
  const matched: LandingFile[] = [];
  const unmatched: string[] = [];
  for (const relPath of found) {
    const table = matchSource(relPath, tables);
    if (table) matched.push({ path: path.join(dataDir, relPath), relPath, table });
    else unmatched.push(relPath);
  }
  return { matched, unmatched };
}
