import fs from 'node:fs';
import { inputError } from '../errors.js';
import type { CsvHeader } from './csv-header.js';
import type { LandingFile } from './landing.js';

/** How a big file is split for loading: one part per `partBytes`, at most `maxParts`. */
export interface PartOptions {
  partBytes: number;
  maxParts: number;
}

/** A byte range of a landing file that loads on a connection of its own, and its first physical line. */
export interface Part {
  start: number;
  end: number;
  firstLine: number;
  /** Bytes to pass over at its start: the first part's header. */
  skip: number;
}

/**
 * Where the k-th split of n falls, as a share of the file. The first part gets more than its n-th: it
 * starts at once, on the file's own transaction, while each helper first opens a transaction and makes
 * its table, and the rest of the file is hashed on the helpers' thread once the first part is read.
 */
export function splitShare(k: number, n: number): number {
  const first = Math.min(0.9, 1.1 / n);
  return first + ((k - 1) * (1 - first)) / (n - 1);
}

/** How many parts a file loads in: one per `partBytes`, at most `maxParts`. */
export const partsOf = (bytes: number, options: PartOptions) => Math.min(options.maxParts, Math.floor(bytes / options.partBytes));

/**
 * Splits a file into `n` parts just after the first line break past each `splitShare` of its bytes, and counts
 * the physical lines before each split (a line break inside a quoted field counts too: `_line` is the
 * physical line). Whether a split is a record boundary shows only when the part before it is scanned.
 */
export async function splitFile(file: LandingFile, header: CsvHeader, bytes: number, n: number): Promise<Part[]> {
  // synchronous reads of 4 MiB, yielding between them (a read through the thread pool per chunk roughly
  // doubles the time); begun by `ingest` before the tables are ready, for any file big enough to split,
  // also one whose raw table then turns out to be plain (made by an old migration) and loads whole
  const fd = fs.openSync(file.path, 'r');
  try {
    const starts = [header.bytes];
    const probe = Buffer.allocUnsafe(1 << 16);
    for (let k = 1; k < n; k++) {
      const at = Math.max(Math.floor(bytes * splitShare(k, n)), starts[starts.length - 1]);
      const got = fs.readSync(fd, probe, 0, probe.length, at);
      const lf = probe.subarray(0, got).indexOf(10);
      if (lf < 0 || at + lf + 1 >= bytes) break;
      starts.push(at + lf + 1);
    }
    const lines = [header.lines + 1];
    const buf = Buffer.allocUnsafe(4 << 20);
    let count = 0;
    let pos = 0;
    for (let k = 1; k < starts.length; k++) {
      while (pos < starts[k]) {
        const got = fs.readSync(fd, buf, 0, Math.min(buf.length, starts[k] - pos), pos);
        if (got === 0) throw inputError(`landing file "${file.relPath}" shrank while it was being loaded`);
        for (let i = buf.indexOf(10); i >= 0 && i < got; i = buf.indexOf(10, i + 1)) count++;
        pos += got;
        // let the round trips that run meanwhile go on
        await new Promise((r) => setImmediate(r));
      }
      lines.push(count + 1);
    }
    return starts.map((start, k) => ({
      start: k === 0 ? 0 : start,
      end: k + 1 < starts.length ? starts[k + 1] : bytes,
      firstLine: lines[k],
      skip: k === 0 ? header.bytes : 0,
    }));
  } finally {
    fs.closeSync(fd);
  }
}

/** The lines of part `k` of a file: [from, to), `null` for the file's start and end. */
export function linesOf(parts: Part[], k: number): { from: number | null; to: number | null } {
  return { from: k === 0 ? null : parts[k].firstLine, to: k + 1 < parts.length ? parts[k + 1].firstLine : null };
}
