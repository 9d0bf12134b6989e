import { Transform, type TransformCallback } from 'node:stream';
import { isUtf8 } from 'node:buffer';
import { BAIL, csvKernel, CsvKernel, DONE } from './csv-kernel.js';

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
  /** False: the JavaScript loop scans every record, without the WebAssembly kernel (for comparing them). */
  kernel?: boolean;
}

const QUOTE = 34;
const COMMA = 44;
const LF = 10;
const CR = 13;

export class CopyScanner extends Transform {
  rows = 0;
  rejected = 0;
  /**
   * False when the input ended inside a quoted field or a record was given up on: the end of the input
   * was then no record boundary. A part of a file split for parallel loading must end cleanly, or the
   * split point was inside a record and the file is loaded whole.
   */
  cleanEnd = true;
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
    this.fields = options.fields;
    this.prefix = options.prefix;
    this.suffix = options.suffix;
    this.keep = options.keep;
    this.lineage = options.prefix.length + options.suffix.length + 24;
    this.max = options.maxRecordBytes ?? 64 << 20;
    this.line = options.firstLine;
    this.skip = options.skipBytes;
    this.kernel = options.kernel !== false && options.keep === null && CsvKernel.fits(options.prefix, options.suffix)
      ? csvKernel(options.fields, options.prefix, options.suffix) : null;
  }

  /** Writes the plain records; null where only the JavaScript loop below runs. */
  private readonly kernel: CsvKernel | null;
  /** The chunk in the kernel's memory: the kernel scans only that. */
  private loaded: Buffer | null = null;

  /** The pieces of input as one Buffer: in the kernel's memory when there is a kernel. */
  private join(pieces: Buffer[]): Buffer {
    if (this.kernel) return (this.loaded = this.kernel.load(pieces));
    return pieces.length === 1 ? pieces[0] : Buffer.concat(pieces);
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
      let pieces = [chunk];
      if (this.carry) {
        // a record longer than a chunk: wait until the data at least doubles, so rescans stay linear
        this.waiting.push(chunk);
        this.waitingBytes += chunk.length;
        if (this.waitingBytes < this.carry.length) return done();
        pieces = [this.carry, ...this.waiting];
        this.carry = null;
        this.waiting = [];
        this.waitingBytes = 0;
      }
      const buf = this.join(pieces);
      const rest = this.scan(buf, false);
      if (rest < buf.length) {
        const tail = buf.subarray(rest);
        if (tail.length > this.max) this.giveUp(tail);
        // the kernel's memory is reused by the next chunk: what is carried over is copied out of it
        else this.carry = tail.length < 65536 || buf === this.loaded ? Buffer.from(tail) : tail;
      }
      done();
    } catch (e) {
      done(e as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    try {
      if (this.carry) {
        const buf = this.join([this.carry, ...this.waiting]);
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
    this.cleanEnd = false;
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
    // a copy: the record may be in the kernel's memory, which the next chunk reuses
    this.opts.reject(line, reason, Buffer.from(buf.subarray(start, Math.min(end, start + 4096))));
  }

  /**
   * Scans complete records from the start of `buf`, sends the good ones downstream and returns where the
   * first incomplete record starts (`buf.length` when none). With `final`, the end of `buf` ends a record.
   * The kernel writes the plain records; each record it leaves is scanned here, and after a few of them
   * in one chunk the rest of the chunk too.
   */
  private scan(buf: Buffer, final: boolean): number {
    const n = buf.length;
    const complete = final ? n : buf.lastIndexOf(LF) + 1;
    // one native check for the whole chunk; only a chunk that fails is checked record by record (here)
    this.checkUtf8 = complete > 0 && !isUtf8(buf.subarray(0, complete));
    this.nul = buf.indexOf(0);
    const kernel = this.checkUtf8 || buf !== this.loaded ? null : this.kernel;
    if (!kernel) return this.scanRecords(buf, 0, final, Infinity);
    const push = (out: Buffer) => this.push(out);
    for (let p = 0, left = 8; ;) {
      const run = kernel.run(p, final, this.line, push);
      this.line += run.lines;
      this.rows += run.rows;
      if (run.status === DONE) return run.stop;
      if (run.status !== BAIL) throw new Error(`csv kernel: status ${run.status}`);
      const budget = --left > 0 ? 1 : Infinity;
      const next = this.scanRecords(buf, run.stop, final, budget);
      // the record is incomplete (more input completes it), or the rest of the chunk was scanned here
      if (next === run.stop || budget === Infinity) return next;
      p = next;
    }
  }

  /**
   * Scans complete records of `buf` from `start`, at most `budget` of them, sends the good ones
   * downstream and returns where it stopped: after the budget's last record, or where the first
   * incomplete record starts (`buf.length` when none). With `final`, the end of `buf` ends a record.
   * One pass: each byte is classified and copied to the output as it is read; quoted fields are skipped
   * with `indexOf` and copied whole; a record found bad is taken back out of the output.
   */
  private scanRecords(buf: Buffer, start: number, final: boolean, budget: number): number {
    const n = buf.length;
    // plain Uint8Arrays: element access on them is faster than on Buffer
    const b = new Uint8Array(buf.buffer, buf.byteOffset, n);
    let out = this.allocOut(n - start + ((n - start) >> 1) + this.lineage);
    let o = 0;
    let p = start;
    let stop = n;
    let recStart = start;
    let recOut = 0;
    let recLine = this.line;
    let line = recLine;
    let commas = 0;
    let bad: string | null = null;
    while (p < n) {
      const c = b[p];
      if (c > COMMA) {
        out[o++] = c;
        p++;
      } else if (c === COMMA) {
        commas++;
        out[o++] = c;
        p++;
      } else if (c === LF) {
        let end = p;
        if (p > recStart && b[p - 1] === CR) {
          end--;
          o--;
        }
        o = this.record(buf, recStart, end, recLine, commas + 1, bad, out, recOut, o);
        line++;
        recStart = ++p;
        recLine = line;
        commas = 0;
        bad = null;
        if (--budget === 0) {
          recOut = o;
          stop = recStart;
          break;
        }
        // room for the rest of the chunk and one more record's lineage
        if (out.length - o < n - p + this.lineage) out = this.growOut(o, n - p + this.lineage);
        recOut = o;
      } else if (c === QUOTE) {
        if (p !== recStart && b[p - 1] !== COMMA) {
          bad ??= 'quote inside an unquoted field';
          out[o++] = c;
          p++;
          continue;
        }
        let close = buf.indexOf(QUOTE, p + 1);
        while (close >= 0 && close + 1 < n && b[close + 1] === QUOTE) close = buf.indexOf(QUOTE, close + 2);
        if (close < 0 || (close + 1 >= n && !final)) {
          if (!final) { stop = recStart; break; }
          this.cleanEnd = false;
          o = recOut;
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
        o += buf.copy(out, o, p, close + 1);
        p = close + 1;
        const d = p < n ? b[p] : COMMA;
        if (d !== COMMA && d !== LF && d !== CR) {
          if (line === recLine) {
            bad ??= 'unexpected text after a closing quote';
          } else {
            // line breaks inside and text after: the quote most likely opened by mistake
            o = recOut;
            p = this.recover(buf, recStart, recLine);
            recStart = p;
            line = recLine = recLine + 1;
            commas = 0;
            bad = null;
          }
        }
      } else {
        if (c === CR && p + 1 < n && b[p + 1] !== LF) bad ??= 'carriage return outside quotes';
        out[o++] = c;
        p++;
      }
    }
    if (stop === n && recStart < n) {
      if (final) {
        let end = n;
        if (b[n - 1] === CR) {
          end--;
          o--;
        }
        o = this.record(buf, recStart, end, recLine, commas + 1, bad, out, recOut, o);
        recStart = n;
      } else {
        stop = recStart;
        o = recOut;
      }
    } else if (stop !== n) {
      o = recOut;
    }
    this.line = recLine;
    if (o > 0) this.push(this.outBuf.subarray(0, o));
    this.outBuf = EMPTY;
    return stop;
  }

  private checkUtf8 = false;
  private nul = -1;
  /** The output of the chunk being scanned, as a Buffer (to push) and as the same bytes' Uint8Array. */
  private outBuf = EMPTY;

  private allocOut(size: number): Uint8Array {
    this.outBuf = Buffer.allocUnsafe(Math.max(65536, size));
    return new Uint8Array(this.outBuf.buffer, this.outBuf.byteOffset, this.outBuf.length);
  }

  private growOut(o: number, need: number): Uint8Array {
    const old = this.outBuf;
    const out = this.allocOut(Math.max(old.length * 2, o + need));
    old.copy(this.outBuf, 0, 0, o);
    return out;
  }

  /**
   * Ends the record `buf[start, end)`, whose bytes were copied to `out[from, o)`: checks it and appends
   * its lineage, or rejects it and takes it back out. Returns the new end of the output.
   */
  private record(buf: Buffer, start: number, end: number, line: number, fields: number, bad: string | null,
    out: Uint8Array, from: number, o: number): number {
    if (end === start) return from; // a blank line is no record
    if (bad === null && fields !== this.fields) bad = `expected ${this.fields} fields, found ${fields}`;
    if (bad === null && this.nul >= 0) {
      if (this.nul < start) this.nul = buf.indexOf(0, start);
      if (this.nul >= 0 && this.nul < end) bad = 'NUL byte';
    }
    if (bad === null && this.checkUtf8 && !isUtf8(buf.subarray(start, end))) bad = 'invalid UTF-8';
    if (bad !== null) {
      this.reject(line, bad, buf, start, end);
      return from;
    }
    // only some fields are loaded: rewrite the record in place (what is kept is never longer)
    if (this.keep !== null) o = copyKept(buf, start, end, this.keep, this.outBuf, from);
    const prefix = this.prefix;
    for (let i = 0; i < prefix.length; i++) out[o++] = prefix[i];
    // the line number's digits, counted up in place from the record before (most records are one line on)
    const digits = this.digits;
    if (line !== this.digitsLine) {
      if (line === this.digitsLine + 1) {
        let i = digits.length - 1;
        while (i >= this.digitsFrom && digits[i] === 57) digits[i--] = 48;
        if (i >= this.digitsFrom) digits[i]++;
        else digits[--this.digitsFrom] = 49;
      } else {
        let i = digits.length;
        let v = line;
        do {
          digits[--i] = 48 + (v % 10);
          v = Math.floor(v / 10);
        } while (v > 0);
        this.digitsFrom = i;
      }
      this.digitsLine = line;
    }
    for (let i = this.digitsFrom; i < digits.length; i++) out[o++] = digits[i];
    const suffix = this.suffix;
    for (let i = 0; i < suffix.length; i++) out[o++] = suffix[i];
    this.rows++;
    return o;
  }

  private readonly fields: number;
  private readonly prefix: Buffer;
  private readonly suffix: Buffer;
  private readonly keep: boolean[] | null;
  /** Output bytes one record's lineage may take. */
  private readonly lineage: number;
  /** The decimal digits of `digitsLine`, right-aligned: `digits[digitsFrom…]`. */
  private readonly digits = new Uint8Array(20);
  private digitsFrom = 20;
  private digitsLine = -1;

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
