import { kernelWasm } from './csv-kernel-wasm.js';

/**
 * The WebAssembly kernel of the ingest scanner (csv-kernel.wat): it writes the records that are one line,
 * of the right width, without NUL, lone CR or a malformed quote, with their lineage, at a fraction of
 * the JavaScript loop's CPU (which the server's COPY backends need on the same cores). It leaves every
 * other record to the JavaScript scanner, which knows every rule and every reason for a reject.
 */
interface Exports {
  memory: WebAssembly.Memory;
  configure(fields: number, prefix: number, prefixLen: number, suffix: number, suffixLen: number): void;
  setLine(line: number): void;
  scan(p: number, end: number, o: number, outEnd: number, final: number): number;
  stop(): number;
  out(): number;
  lines(): number;
  rows(): number;
}

export const DONE = 0;
export const BAIL = 1;
const FULL = 2;

/** Where the lineage bytes go, and where the input starts (the digits of the line number are below 32). */
const LINEAGE = 64;
const INPUT = 8192;
const PAGE = 65536;

export interface KernelRun {
  /** DONE: every complete record from `from` is written; BAIL: the record at `stop` is the caller's. */
  status: number;
  /** Where the incomplete rest (DONE) or the caller's record (BAIL) starts. */
  stop: number;
  /** Physical lines passed over (records and blank lines). */
  lines: number;
  rows: number;
}

export class CsvKernel {
  private readonly x: Exports;
  private inputBytes = 0;

  /** A kernel for records of `fields` fields, each followed by `prefix`, its line number and `suffix`. */
  constructor(module: WebAssembly.Module, fields: number, prefix: Buffer, suffix: Buffer) {
    this.x = new WebAssembly.Instance(module).exports as unknown as Exports;
    // growing the memory keeps what it holds: the lineage is written once
    const memory = new Uint8Array(this.x.memory.buffer);
    memory.set(prefix, LINEAGE);
    memory.set(suffix, LINEAGE + prefix.length);
    this.x.configure(fields, LINEAGE, prefix.length, LINEAGE + prefix.length, suffix.length);
  }

  /** Whether lineage this long fits where the kernel keeps it. */
  static fits(prefix: Buffer, suffix: Buffer): boolean {
    return prefix.length + suffix.length <= INPUT - LINEAGE;
  }

  /**
   * Copies the pieces of a chunk to be scanned into the kernel's memory, one after the other, and returns
   * them there as one Buffer: no other copy joins them. It stays valid until the next `load`, which
   * reuses (and may move) the memory; positions of `run` are the chunk's.
   */
  load(pieces: Buffer[]): Buffer {
    this.inputBytes = pieces.reduce((n, piece) => n + piece.length, 0);
    this.reserve(INPUT + this.inputBytes + this.outputBytes());
    const memory = new Uint8Array(this.x.memory.buffer);
    let at = INPUT;
    for (const piece of pieces) {
      memory.set(piece, at);
      at += piece.length;
    }
    return Buffer.from(this.x.memory.buffer, INPUT, this.inputBytes);
  }

  /**
   * Writes the kernel's records of the loaded chunk from `from`, each with its lineage (line numbers from
   * `line` on), and hands the output to `push` (copied: the memory is reused).
   */
  run(from: number, final: boolean, line: number, push: (out: Buffer) => void): KernelRun {
    const x = this.x;
    const end = INPUT + this.inputBytes;
    const outStart = end;
    const outEnd = outStart + this.outputBytes();
    let p = INPUT + from;
    let lines = 0;
    let rows = 0;
    for (;;) {
      x.setLine(line + lines);
      const status = x.scan(p, end, outStart, outEnd, final ? 1 : 0);
      lines += x.lines();
      rows += x.rows();
      p = x.stop();
      const written = x.out() - outStart;
      if (written > 0) {
        const out = Buffer.allocUnsafe(written);
        out.set(new Uint8Array(x.memory.buffer, outStart, written));
        push(out);
      }
      if (status !== FULL) return { status, stop: p - INPUT, lines, rows };
    }
  }

  /** Room for the output of a chunk: as the JavaScript scanner allots it, a record's lineage more. */
  private outputBytes(): number {
    return Math.max(PAGE, this.inputBytes + (this.inputBytes >> 1)) + INPUT;
  }

  private reserve(bytes: number): void {
    const have = this.x.memory.buffer.byteLength;
    if (bytes > have) this.x.memory.grow(Math.ceil((bytes - have) / PAGE));
  }
}

let compiled: WebAssembly.Module | null | undefined;

/**
 * A kernel instance of its own for one scanner (see the constructor), or null where WebAssembly (with
 * SIMD) is not available or `SADP_SCANNER=js` asks for the JavaScript scanner alone. The module compiles
 * once per process.
 */
export function csvKernel(fields: number, prefix: Buffer, suffix: Buffer): CsvKernel | null {
  if (process.env.SADP_SCANNER === 'js') return null;
  if (compiled === undefined) {
    try {
      compiled = new WebAssembly.Module(Buffer.from(kernelWasm, 'base64'));
    } catch {
      compiled = null;
    }
  }
  return compiled ? new CsvKernel(compiled, fields, prefix, suffix) : null;
}
