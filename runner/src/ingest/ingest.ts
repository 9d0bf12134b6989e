import type { Sql } from '../db/connection.js';
import { ensureMeta } from '../db/meta.js';
import { inputError } from '../errors.js';
import type { Logger } from '../log.js';
import type { SourceTable } from '../project/sources.js';
import type { Target } from '../sql/templates.js';
import { listLandingFiles } from './landing.js';
import { ingestLanes, partsPerFile } from './lanes.js';
import { loadFile, skipped, type IngestedFile } from './load.js';
import { dropStrayParts } from './partitions.js';
import { planFiles } from './plan.js';
import { partsOf, splitFile, type PartOptions } from './split.js';
import { analyzeGrown, ensureTables, keepBatchIdsAhead } from './tables.js';

export interface IngestOptions {
  sql: Sql;
  /** The landing directory. */
  dataDir: string;
  /** The project's declared sources. */
  tables: SourceTable[];
  runId: number;
  logger: Logger;
  /** How many sources load at once (default 2); each takes a connection of `sql`. */
  parallel?: number;
  /**
   * A file into a partitioned raw table loads in parts side by side, one part per `partBytes` (default
   * 16 MiB), at most `maxParts` (default: the CPUs, at most 4); each part takes a connection of `sql`,
   * so the pool must have `parallel × maxParts` connections free (two lanes waiting for helpers that
   * wait for a connection would wait forever).
   */
  partBytes?: number;
  maxParts?: number;
  /** The meta schema is known to be up to date (the run made sure of it): no round trip to check again. */
  metaReady?: boolean;
  /** The database's target: on Citus a file's partitions are placed like its raw table. */
  target?: Target;
}

export interface IngestSummary {
  files: IngestedFile[];
  rows: number;
  rejected: number;
  /** CSV files that match no source; left alone. */
  unmatched: string[];
}

/**
 * Loads new landing files into the raw layer (DESIGN §3). Every file is checked before anything is
 * written: a bad header, an empty or unreadable file, or a file changed since it was ingested is an input
 * error (exit 2) that changes nothing. Then each new file is streamed into `COPY` in one transaction with
 * its `meta.ingested_files` row; malformed records go to `staging.rejected_rows`.
 */
export async function ingest(opts: IngestOptions): Promise<IngestSummary> {
  const { sql, logger, tables } = opts;
  const summary: IngestSummary = { files: [], rows: 0, rejected: 0, unmatched: [] };
  if (tables.length === 0) return summary;
  const { matched, unmatched } = listLandingFiles(opts.dataDir, tables);
  summary.unmatched = unmatched;
  if (matched.length === 0 && unmatched.length === 0) {
    throw inputError(`landing directory "${opts.dataDir}" holds no CSV file; put the source files there ` +
      `(e.g. ${tables[0].name}.csv) or pass --data-dir`);
  }
  if (unmatched.length) {
    logger.warn(`${unmatched.length} landing file(s) match no source and were left alone: ` +
      `${unmatched.map((f) => `"${f}"`).join(', ')} (sources: ${tables.map((t) => t.name).join(', ')})`);
  }
  const plans = await planFiles(sql, matched, logger, opts.metaReady);
  const parts: PartOptions = {
    partBytes: opts.partBytes ?? 16 << 20,
    maxParts: Math.max(1, opts.maxParts ?? partsPerFile()),
  };
  // the lines before each split point of a big file are counted while the tables are made ready (that
  // is round trips to the server), not after
  for (const p of plans) {
    const n = p.skip ? 1 : partsOf(p.bytes, parts);
    if (n > 1) {
      p.split = { n, parts: splitFile(p.file, p.header, p.bytes, n) };
      p.split.parts.catch(() => {});
    }
  }
  if (plans.some((p) => !p.skip)) {
    if (!opts.metaReady) await ensureMeta(sql);
    const loading = [...new Set(plans.filter((p) => !p.skip).map((p) => p.file.table))];
    const raw = await ensureTables(sql, loading, opts.target);
    for (const p of plans) {
      p.partitioned = raw.partitioned.has(p.file.table);
      p.placement = raw.placement.get(p.file.table);
    }
    for (const t of raw.partitioned) await dropStrayParts(sql, t);
    await keepBatchIdsAhead(sql);
  }
  // the files of one source load in order, one transaction each; two sources load side by side (the
  // server parses each COPY on one core)
  const results: IngestedFile[] = new Array(plans.length);
  const queues = new Map<SourceTable, number[]>();
  plans.forEach((p, i) => queues.set(p.file.table, [...(queues.get(p.file.table) ?? []), i]));
  const pending = [...queues.values()];
  const lane = async () => {
    for (let queue = pending.shift(); queue; queue = pending.shift()) {
      for (const i of queue) results[i] = plans[i].skip ? skipped(plans[i], logger) : await loadFile(sql, plans[i], opts.runId, logger, parts);
    }
  };
  const lanes = await Promise.allSettled(Array.from({ length: Math.min(opts.parallel ?? ingestLanes, pending.length) }, lane));
  const failed = lanes.find((l): l is PromiseRejectedResult => l.status === 'rejected');
  if (failed) throw failed.reason;
  for (const result of results) {
    summary.files.push(result);
    summary.rows += result.rows;
    summary.rejected += result.rejected;
  }
  const grown = new Map<SourceTable, number>();
  plans.forEach((p, i) => {
    if (!p.skip && !p.partitioned && summary.files[i].rows > 0) grown.set(p.file.table, (grown.get(p.file.table) ?? 0) + summary.files[i].rows);
  });
  for (const [table, rows] of grown) await analyzeGrown(sql, table, rows);
  return summary;
}
