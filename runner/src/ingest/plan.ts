import fs from 'node:fs';
import type { Sql } from '../db/connection.js';
import type { Distribution } from '../compile/distribution.js';
import { inputError, UserError } from '../errors.js';
import { sha256File } from '../files/hash.js';
import type { Logger } from '../log.js';
import { statement } from '../sql/statements.js';
import { readHeader, type CsvHeader } from './csv-header.js';
import type { LandingFile } from './landing.js';
import type { Part } from './split.js';

/** A file checked and ready: which declared column each header field feeds (`null`: not loaded). */
export interface FilePlan {
  file: LandingFile;
  header: CsvHeader;
  columns: (string | null)[];
  bytes: number;
  /** The file's modification time, in nanoseconds since the epoch (as text: it exceeds 2^53). */
  mtimeNs?: string;
  /** Nothing is loaded: a file of this name was ingested before. */
  skip?: 'ingested';
  /** The raw table is partitioned: the file becomes a partition of its own (see `loadFile`). */
  partitioned?: boolean;
  /** Citus: how the raw table is placed; the file's partitions are placed alike. */
  placement?: Distribution;
  /** A big file's split into `n` parts, begun while the tables are made ready. */
  split?: { n: number; parts: Promise<Part[]> };
}

/** Checks every matched file; throws one input error listing every problem, before anything is written. */
export async function planFiles(sql: Sql, files: LandingFile[], logger: Logger, metaReady = false): Promise<FilePlan[]> {
  const known = await ingestedFiles(sql, metaReady);
  const problems: string[] = [];
  const plans: FilePlan[] = [];
  for (const file of files) {
    try {
      const stat = fs.statSync(file.path, { bigint: true });
      const bytes = Number(stat.size);
      const mtimeNs = stat.mtimeNs.toString();
      const before = known.get(file.relPath);
      if (before) {
        // the same size and modification time as when it was ingested: the same file, as make and
        // rsync assume; otherwise its content decides
        if (before.bytes !== bytes || before.mtimeNs !== mtimeNs) {
          const now = await sha256File(file.path, file.relPath);
          if (now !== before.sha256) {
            throw inputError(`landing file "${file.relPath}" was ingested before with different content ` +
              `(sha256 ${before.sha256.slice(0, 12)}… then, ${now.slice(0, 12)}… now); landing files are immutable: ` +
              `deliver corrections as a new file`);
          }
          // touched, not changed: remember its new time so the next run needs no hash
          await sql.unsafe(statement('ingest/touch-file'), [mtimeNs, file.relPath]);
        }
        plans.push({ file, header: { names: [], bytes: 0, lines: 0 }, columns: [], bytes, mtimeNs, skip: 'ingested' });
        continue;
      }
      const header = readHeader(file.path, file.relPath);
      // a delivery is identified by its name: a new name loads even when its bytes equal an earlier file's
      plans.push({ file, header, columns: mapColumns(file, header, logger), bytes, mtimeNs });
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      problems.push(e.message);
    }
  }
  if (problems.length === 1) throw inputError(`${problems[0]}; nothing was ingested`);
  if (problems.length > 1) {
    throw inputError(`${problems.length} landing files can't be ingested; nothing was ingested:\n  ${problems.join('\n  ')}`);
  }
  return plans;
}

function mapColumns(file: LandingFile, header: CsvHeader, logger: Logger): (string | null)[] {
  const table = file.table;
  const declared = new Map(table.columns.map((c) => [c, c]));
  const folded = new Map(table.columns.map((c) => [c.toLowerCase(), c]));
  const used = new Set<string>();
  const extra: string[] = [];
  const columns = header.names.map((name) => {
    const column = declared.get(name) ?? folded.get(name.toLowerCase());
    if (!column) {
      extra.push(name);
      return null;
    }
    if (used.has(column)) {
      throw inputError(`the header of landing file "${file.relPath}" names column "${column}" twice; rename one of them`);
    }
    used.add(column);
    return column;
  });
  const missing = table.required.filter((c) => !used.has(c));
  if (missing.length) {
    throw inputError(`landing file "${file.relPath}" lacks required column${missing.length > 1 ? 's' : ''} ` +
      `${missing.map((c) => `"${c}"`).join(', ')} of source "${table.name}" (its header has ` +
      `${header.names.map((c) => `"${c}"`).join(', ')}); add the column to the file's header line`);
  }
  if (extra.length) {
    logger.warn(`landing file "${file.relPath}" has column${extra.length > 1 ? 's' : ''} ` +
      `${extra.map((c) => `"${c}"`).join(', ')} that source "${table.name}" doesn't declare; not loaded`);
  }
  return columns;
}

async function ingestedFiles(sql: Sql, metaReady: boolean): Promise<Map<string, { sha256: string; bytes: number; mtimeNs: string | null }>> {
  if (!metaReady) {
    const [{ exists }] = await sql.unsafe(statement('ingest/meta-ready'));
    if (!exists) return new Map();
  }
  const rows = await sql.unsafe(statement('ingest/ingested-files'));
  return new Map(rows.map((r) => [r.file_name as string,
    { sha256: r.sha256 as string, bytes: Number(r.bytes), mtimeNs: r.mtime_ns as string | null }]));
}
