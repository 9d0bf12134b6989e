import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { copyIn } from './copy-in.js';
import type { Sql } from '../db/connection.js';
import { statement } from '../sql/statements.js';

const csvField = (s: string) => `"${s.replace(/"/g, '""')}"`;
const MEMORY_LIMIT = 10_000;

/**
 * The bad records of one file, collected while its COPY runs (the connection is busy until then) and
 * written after it. Beyond a few thousand they spill to a temporary file, so memory stays bounded.
 */
export class RejectBuffer {
  count = 0;
  private lines: string[] = [];
  private spill: { dir: string; file: string; fd: number } | null = null;

  private readonly head: string;
  private readonly tail: string;

  constructor(source: string, file: string, batchId: number | null, stage = 'ingest') {
    this.head = `${csvField(source)},${csvField(file)},`;
    this.tail = `,${csvField(stage)},${batchId ?? ''},`;
  }

  add(line: number | null, reason: string, record: Buffer | string | null): void {
    this.count++;
    const text = record === null ? null
      : (typeof record === 'string' ? record : record.toString('utf8')).replace(/\0/g, '\uFFFD').slice(0, 1000);
    this.lines.push(`${this.head}${line ?? ''},${csvField(reason)}${this.tail}${text === null ? '' : csvField(text)}\n`);
    if (this.lines.length >= MEMORY_LIMIT) this.spillLines();
  }

  private spillLines(): void {
    if (!this.spill) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sadp-rejects-'));
      const file = path.join(dir, 'rejects.csv');
      this.spill = { dir, file, fd: fs.openSync(file, 'w') };
    }
    fs.writeSync(this.spill.fd, this.lines.join(''));
    this.lines = [];
  }

  /** Writes the collected records to `staging.rejected_rows` (within the caller's transaction). */
  async write(sql: Sql): Promise<void> {
    if (this.count === 0) return;
    const spill = this.spill;
    const memory = this.lines;
    async function* rows() {
      if (spill) {
        fs.closeSync(spill.fd);
        spill.fd = -1;
        yield* fs.createReadStream(spill.file, { highWaterMark: 1 << 20 });
      }
      yield Buffer.from(memory.join(''));
    }
    try {
      await copyIn(sql, statement('ingest/copy-rejects'), Readable.from(rows()));
    } finally {
      this.dispose();
    }
  }

  dispose(): void {
    if (!this.spill) return;
    if (this.spill.fd >= 0) fs.closeSync(this.spill.fd);
    fs.rmSync(this.spill.dir, { recursive: true, force: true });
    this.spill = null;
  }
}
