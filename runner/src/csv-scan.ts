import { Transform, type TransformCallback } from 'node:stream';
import { isUtf8 } from 'node:buffer';

/**
 * The fast path of ingestion: a byte-level CSV scanner that turns a landing file into `COPY … FROM STDIN
 * WITH (FORMAT csv)` input. It finds record boundaries (quotes may hold line breaks) and the physical line
 * each record starts on, checks every record (field count, RFC 4180 quoting, UTF-8, NUL bytes) and passes
 * good records through byte for byte, each followed by its lineage: `,<file>,<line>,<batch>\n`. Bad records
 * never reach COPY; they go to `reject`. Only records that PostgreSQL's CSV parser reads exactly as this
 * scanner does are sent, so the server splits records where the scanner did.
 */
export interface CopyScannerOptions {
  /** Fields every record must have: the header's width. */
  fields: number;
  /** Which header fields are loaded; `null` when all are. */
  keep: boolean[] | null;
  /** Lineage bytes written after a record's fields and before its line number, e.g. `,sales.csv,`. */
  prefix: Buffer;
  /** Lineage bytes after the line number, e.g. `,17\n`. */
  suffix: Buffer;
  /** Physical line of the first byte after `skipBytes` (the header is line 1). */
  firstLine: number;
  /** Bytes to pass over before the first record: the BOM and the header record. */
  skipBytes: number;
  /** Sees every byte of the file, header included (for its sha256). */
  onChunk?: (chunk: Buffer) => void;
  reject: (line: number, reason: string, record: Buffer) => void;
  /** A record longer than this (an unterminated quote, most likely) is given up on. Default 64 MiB. */
  maxRecordBytes?: number;
}

const QUOTE = 34;
const COMMA = 44;
const LF = 10;
const CR = 13;

export class CopyScanner extends Transform {
  rows = 0;
  rejected = 0;
  private readonly opts: CopyScannerOptions;
  private readonly max: number;
  private line: number;
  private skip: number;
  private carry: Buffer | null = null;
  private waiting: Buffer[] = [];
  private waitingBytes = 0;
  private dropLine = false;

  constructor(options: CopyScannerOptions) {
    super({ readableHighWaterMark: 1 << 20 });
    this.opts = options;
    this.max = options.maxRecordBytes ?? 64 << 20;
    this.line = options.firstLine;
    this.skip = options.skipBytes;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    try {
      this.opts.onChunk?.(chunk);
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length);
        this.skip -= n;
        chunk = chunk.subarray(n);
      }
      if (this.dropLine) chunk = this.skipOverlongLine(chunk);
      if (chunk.length === 0) return done();
      let buf = chunk;
      if (this.carry) {
        // a record longer than a chunk: wait until the data at least doubles, so rescans stay linear
        this.waiting.push(chunk);
        this.waitingBytes += chunk.length;
        if (this.waitingBytes < this.carry.length) return done();
        buf = Buffer.concat([this.carry, ...this.waiting]);
        this.carry = null;
        this.waiting = [];
        this.waitingBytes = 0;
      }
      const rest = this.scan(buf, false);
      if (rest < buf.length) {
        const tail = buf.subarray(rest);
        if (tail.length > this.max) this.giveUp(tail);
        else this.carry = tail.length < 65536 ? Buffer.from(tail) : tail;
      }
      done();
    } catch (e) {
      done(e as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    try {
      if (this.carry) {
        const buf = this.waiting.length ? Buffer.concat([this.carry, ...this.waiting]) : this.carry;
        this.carry = null;
        this.waiting = [];
        this.scan(buf, true);
      }
      done();
    } catch (e) {
      done(e as Error);
    }
  }

  /** A record that outgrew the limit: reject its first physical line and resume after it. */
  private giveUp(tail: Buffer): void {
    const nl = tail.indexOf(LF);
    this.reject(this.line, `record longer than ${this.max} bytes (an unterminated quoted field?)`, tail, 0, nl < 0 ? tail.length : nl);
    this.line++;
    if (nl < 0) {
      this.dropLine = true;
      return;
    }
    this.scanRest(tail.subarray(nl + 1));
  }

  private scanRest(buf: Buffer): void {
    const rest = this.scan(buf, false);
    if (rest < buf.length) this.carry = Buffer.from(buf.subarray(rest));
  }

  private skipOverlongLine(chunk: Buffer): Buffer {
    const nl = chunk.indexOf(LF);
    if (nl < 0) return chunk.subarray(chunk.length);
    this.dropLine = false;
    return chunk.subarray(nl + 1);
  }

  private reject(line: number, reason: string, buf: Buffer, start: number, end: number): void {
    if (end > start && buf[end - 1] === CR) end--;
    this.rejected++;
    this.opts.reject(line, reason, buf.subarray(start, Math.min(end, start + 4096)));
  }

  /**
   * Scans complete records from the start of `buf`, sends the good ones downstream and returns where the
   * first incomplete record starts (`buf.length` when none). With `final`, the end of `buf` ends a record.
   * The hot loop only classifies bytes; quoted fields are skipped with `indexOf`.
   */
  private scan(buf: Buffer, final: boolean): number {
    const n = buf.length;
    const complete = final ? n : buf.lastIndexOf(LF) + 1;
    // one native check for the whole chunk; only a chunk that fails is checked record by record
    this.checkUtf8 = complete > 0 && !isUtf8(buf.subarray(0, complete));
    this.nul = buf.indexOf(0);
    this.out = Buffer.allocUnsafe(Math.max(65536, n + (n >> 1)));
    this.o = 0;
    let p = 0;
    let stop = n;
    let recStart = 0;
    let recLine = this.line;
    let line = recLine;
    let commas = 0;
    let bad: string | null = null;
    while (p < n) {
      const c = buf[p];
      if (c > COMMA) {
        p++;
      } else if (c === COMMA) {
        commas++;
        p++;
      } else if (c === LF) {
        const end = p > recStart && buf[p - 1] === CR ? p - 1 : p;
        this.record(buf, recStart, end, recLine, commas + 1, bad);
        line++;
        recStart = ++p;
        recLine = line;
        commas = 0;
        bad = null;
      } else if (c === QUOTE) {
        if (p !== recStart && buf[p - 1] !== COMMA) {
          bad ??= 'quote inside an unquoted field';
          p++;
          continue;
        }
        let close = buf.indexOf(QUOTE, p + 1);
        while (close >= 0 && close + 1 < n && buf[close + 1] === QUOTE) close = buf.indexOf(QUOTE, close + 2);
        if (close < 0 || (close + 1 >= n && !final)) {
          if (!final) { stop = recStart; break; }
          // the end of the file inside quotes: the quote swallowed every line after it
          const lf = buf.indexOf(LF, p);
          if (lf < 0) {
            this.reject(recLine, 'unterminated quoted field', buf, recStart, n);
            recStart = p = n;
            break;
          }
          p = this.recover(buf, recStart, recLine);
          recStart = p;
          line = recLine = recLine + 1;
          commas = 0;
          bad = null;
          continue;
        }
        for (let lf = buf.indexOf(LF, p + 1); lf >= 0 && lf < close; lf = buf.indexOf(LF, lf + 1)) line++;
        p = close + 1;
        const d = p < n ? buf[p] : COMMA;
        if (d !== COMMA && d !== LF && d !== CR) {
          if (line === recLine) {
            bad ??= 'unexpected text after a closing quote';
          } else {
            // line breaks inside and text after: the quote most likely opened by mistake
            p = this.recover(buf, recStart, recLine);
            recStart = p;
            line = recLine = recLine + 1;
            commas = 0;
            bad = null;
          }
        }
      } else if (c === CR) {
        if (p + 1 < n && buf[p + 1] !== LF) bad ??= 'carriage return outside quotes';
        p++;
      } else {
        p++;
      }
    }
    if (stop === n && recStart < n) {
      if (final) {
        const end = buf[n - 1] === CR ? n - 1 : n;
        this.record(buf, recStart, end, recLine, commas + 1, bad);
        recStart = n;
      } else {
        stop = recStart;
      }
    }
    this.line = recLine;
    if (this.o > 0) this.push(this.out.subarray(0, this.o));
    this.out = EMPTY;
    return stop;
  }

  private checkUtf8 = false;
  private nul = -1;
  private out = EMPTY;
  private o = 0;

  /** Checks one record and writes it with its lineage, or rejects it. */
  private record(buf: Buffer, start: number, end: number, line: number, fields: number, bad: string | null): void {
    if (end === start) return; // a blank line is no record
    if (bad === null && fields !== this.opts.fields) bad = `expected ${this.opts.fields} fields, found ${fields}`;
    if (bad === null && this.nul >= 0) {
      if (this.nul < start) this.nul = buf.indexOf(0, start);
      if (this.nul >= 0 && this.nul < end) bad = 'NUL byte';
    }
    if (bad === null && this.checkUtf8 && !isUtf8(buf.subarray(start, end))) bad = 'invalid UTF-8';
    if (bad !== null) {
      this.reject(line, bad, buf, start, end);
      return;
    }
    const { prefix, suffix, keep } = this.opts;
    const need = end - start + prefix.length + suffix.length + 17;
    if (this.o + need > this.out.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.out.length * 2, this.o + need));
      this.out.copy(grown, 0, 0, this.o);
      this.out = grown;
    }
    const out = this.out;
    let o = this.o;
    if (keep !== null) {
      o = copyKept(buf, start, end, keep, out, o);
    } else if (end - start > 256) {
      o += buf.copy(out, o, start, end);
    } else {
      for (let i = start; i < end; i++) out[o++] = buf[i];
    }
    for (let i = 0; i < prefix.length; i++) out[o++] = prefix[i];
    let digits = 1;
    for (let v = line; v >= 10; v = Math.floor(v / 10)) digits++;
    for (let i = digits - 1, v = line; i >= 0; i--, v = Math.floor(v / 10)) out[o + i] = 48 + (v % 10);
    o += digits;
    for (let i = 0; i < suffix.length; i++) out[o++] = suffix[i];
    this.o = o;
    this.rows++;
  }

  /** Rejects the first physical line of a record whose quote ran away; scanning resumes on the next line. */
  private recover(buf: Buffer, recStart: number, line: number): number {
    const lf = buf.indexOf(LF, recStart);
    this.reject(line, 'unterminated quoted field', buf, recStart, lf);
    return lf + 1;
  }
}

const EMPTY = Buffer.alloc(0);

/** Copies the kept fields of a well-formed record, comma-separated; returns the new output position. */
function copyKept(buf: Buffer, start: number, end: number, keep: boolean[], out: Buffer, o: number): number {
  let first = true;
  for (let i = start, field = 0; ; field++) {
    let j: number;
    if (buf[i] === QUOTE && i < end) {
      let close = buf.indexOf(QUOTE, i + 1);
      while (buf[close + 1] === QUOTE) close = buf.indexOf(QUOTE, close + 2);
      j = close + 1;
    } else {
      j = buf.indexOf(COMMA, i);
      if (j < 0 || j > end) j = end;
    }
    if (keep[field]) {
      if (!first) out[o++] = COMMA;
      o += buf.copy(out, o, i, j);
      first = false;
    }
    if (j >= end) return o;
    i = j + 1;
  }
}
