import fs from 'node:fs';
import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import { parse } from 'csv-parse';
import postgres from 'postgres';
import { copyIn } from './copy-in.js';
import { inputError } from '../errors.js';
import type { Tx } from '../db/connection.js';
import type { FilePlan } from './plan.js';
import { finish } from './record.js';
import { RejectBuffer } from './rejects.js';
import { nextBatchId } from './tables.js';

interface Helpers {
  /** The COPY statement for the file's batch (creating its partition where the raw table is partitioned). */
  copy: (format: 'csv' | 'text', batchId: number) => Promise<string>;
}

/** COPY text format escaping of one value. */
function escapeText(value: string): string {
  return /[\\\t\n\r]/.test(value)
    ? value.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r')
    : value;
}

/**
 * The careful pass for a file that COPY refused although the scanner passed it: csv-parse reads every
 * record, each value is sent in COPY's text format. If COPY still refuses, the error names the file.
 */
export async function fallbackLoad(tx: Tx, plan: FilePlan, runId: number, h: Helpers):
  Promise<{ rows: number; rejected: number }> {
  const { file, header, columns } = plan;
  const batchId = await nextBatchId(tx);
  const rejects = new RejectBuffer(file.table.name, file.relPath, batchId);
  const hash = createHash('sha256');
  const lineage = `\t${escapeText(file.relPath)}\t`;
  const width = header.names.length;
  let rows = 0;
  let first = true;
  const parser = parse({
    bom: true, relax_column_count: true, info: true, raw: true, skip_empty_lines: true,
    skip_records_with_error: true,
  });
  parser.on('skip', (e: { lines?: number; message: string; raw?: string }) =>
    rejects.add(e.lines ?? null, e.message, e.raw ?? null));
  const toText = new Transform({
    objectMode: false,
    writableObjectMode: true,
    transform(item: { record: string[]; info: { lines: number }; raw: string }, _enc, done) {
      if (first) {
        first = false; // the header, checked before
        return done();
      }
      const line = item.info.lines - (item.raw.match(/\n/g)?.length ?? 0);
      const { record } = item;
      let reason: string | null = null;
      if (record.length !== width) reason = `expected ${width} fields, found ${record.length}`;
      else if (item.raw.includes('\0')) reason = 'NUL byte';
      else if (item.raw.includes('\uFFFD')) reason = 'invalid UTF-8';
      if (reason) {
        rejects.add(line, reason, item.raw.replace(/\r?\n?$/, ''));
        return done();
      }
      const values: string[] = [];
      for (let i = 0; i < width; i++) if (columns[i] !== null) values.push(escapeText(record[i]));
      rows++;
      done(null, `${values.join('\t')}${values.length ? lineage : lineage.slice(1)}${line}\t${batchId}\n`);
    },
  });
  try {
    const source = fs.createReadStream(file.path, { highWaterMark: 1 << 20 });
    // hash inside the pipeline: a 'data' listener on the source would start it flowing before the COPY
    // is ready, and the chunks read meanwhile would be lost (a file recorded as loaded with rows missing)
    const hasher = new Transform({
      transform(chunk: Buffer, _enc, done) {
        hash.update(chunk);
        done(null, chunk);
      },
    });
    await copyIn(tx, await h.copy('text', batchId), source, hasher, parser, toText);
    const counts = { rows, rejected: rejects.count };
    await finish(tx, plan, { batchId, sha256: hash.digest('hex'), counts, rejects, runId });
    return counts;
  } catch (e) {
    if (e instanceof postgres.PostgresError) {
      const where = e.where ? ` (${e.where.split('\n')[0]})` : '';
      throw inputError(`landing file "${file.relPath}" could not be loaded into ${file.table.schema}.${file.table.name}: ` +
        `${e.message}${where}; fix the file or the raw table, then run again (nothing of it was loaded)`);
    }
    throw e;
  } finally {
    rejects.dispose();
  }
}
