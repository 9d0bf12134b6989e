import { expect } from 'chai';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { kernelWasm } from '../../runner/src/ingest/csv-kernel-wasm.js';
import { csvKernel } from '../../runner/src/ingest/csv-kernel.js';
import { CopyScanner } from '../../runner/src/ingest/csv-scan.js';
import { repoRoot } from '../support/files.js';

interface Scanned {
  out: string;
  rows: number;
  rejected: number;
  rejects: string[];
  cleanEnd: boolean;
}

interface Setup {
  fields: number;
  prefix: string;
  suffix: string;
  firstLine: number;
  skipBytes: number;
  maxRecordBytes?: number;
}

/** Feeds `input` to a scanner in pieces of the given sizes (cycled), as a file stream would. */
async function scan(input: Buffer, sizes: number[], setup: Setup, kernel: boolean): Promise<Scanned> {
  const rejects: string[] = [];
  const scanner = new CopyScanner({
    fields: setup.fields,
    keep: null,
    prefix: Buffer.from(setup.prefix),
    suffix: Buffer.from(setup.suffix),
    firstLine: setup.firstLine,
    skipBytes: setup.skipBytes,
    maxRecordBytes: setup.maxRecordBytes,
    reject: (line, reason, record) => rejects.push(`${line}|${reason}|${record.toString('hex')}`),
    kernel,
  });
  const out: Buffer[] = [];
  scanner.on('data', (d: Buffer) => out.push(d));
  const ended = new Promise((resolve, reject) => scanner.on('end', resolve).on('error', reject));
  for (let at = 0, i = 0; at < input.length; i++) {
    const size = Math.max(1, sizes[i % sizes.length]);
    scanner.write(input.subarray(at, at + size));
    at += size;
  }
  scanner.end();
  await ended;
  return { out: Buffer.concat(out).toString('latin1'), rows: scanner.rows, rejected: scanner.rejected, rejects, cleanEnd: scanner.cleanEnd };
}

// fields made of what CSV files hold and what breaks them: quotes, separators, line breaks, NUL, bytes
// that are not UTF-8, multi-byte characters, and lengths on both sides of the kernel's 16-byte blocks
const piece = fc.constantFrom('a', 'b', '7', ' ', 'é', ',', '"', '""', '\n', '\r', '\r\n', '\0', '\xff', 'xxxxxxxxxxxxxxxxx', '-12.50');
const text = fc.array(piece, { maxLength: 6 }).map((p) => p.join(''));
const plain = fc.stringMatching(/^[a-z0-9 .:-]{0,40}$/);
const field = fc.oneof(
  { weight: 6, arbitrary: plain },
  { weight: 2, arbitrary: plain.map((s) => `"${s}"`) },
  { weight: 1, arbitrary: text.map((s) => `"${s.replace(/"/g, '""')}"`) },
  { weight: 1, arbitrary: text },
);
const record = (fields: number) => fc.oneof(
  { weight: 8, arbitrary: fc.array(field, { minLength: fields, maxLength: fields }) },
  { weight: 1, arbitrary: fc.array(field, { minLength: 0, maxLength: fields + 2 }) },
).map((fs) => fs.join(','));
const file = fc.integer({ min: 1, max: 5 }).chain((fields) => fc.record({
  fields: fc.constant(fields),
  records: fc.array(record(fields), { maxLength: 40 }),
  ending: fc.constantFrom('\n', '\r\n'),
  lastEnding: fc.boolean(),
  prefix: fc.constantFrom('', ',', ',sales.csv,', `,"a,b.csv",`),
  suffix: fc.constantFrom('\n', ',12\n'),
  firstLine: fc.oneof(fc.constant(2), fc.integer({ min: 1, max: 2 ** 40 }), fc.constant(9), fc.constant(99_999_999)),
  skip: fc.integer({ min: 0, max: 3 }),
  sizes: fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 5 }),
  maxRecordBytes: fc.option(fc.integer({ min: 16, max: 200 }), { nil: undefined }),
}));

describe('csv scanner: the WebAssembly kernel and the JavaScript loop', () => {
  it('should be available here (Node 20 has WebAssembly with SIMD)', () => {
    expect(csvKernel(2, Buffer.from(','), Buffer.from('\n'))).to.not.equal(null);
  });

  it('should give the same output, rows, rejects and end state for any input, in any pieces', async () => {
    await fc.assert(fc.asyncProperty(file, async (f) => {
      const body = f.records.join(f.ending) + (f.lastEnding ? f.ending : '');
      const input = Buffer.from(body, 'latin1');
      // latin1 keeps the bytes: 'é' as two bytes of UTF-8 and '\xff' as one byte that is never UTF-8
      const bytes = Buffer.from(body.replace(/é/g, '\xc3\xa9'), 'latin1');
      for (const data of [input, bytes]) {
        const setup: Setup = { fields: f.fields, prefix: f.prefix, suffix: f.suffix, firstLine: f.firstLine,
          skipBytes: Math.min(f.skip, data.length), maxRecordBytes: f.maxRecordBytes };
        const js = await scan(data, f.sizes, setup, false);
        const wasm = await scan(data, f.sizes, setup, true);
        expect(wasm).to.deep.equal(js);
      }
    }), { numRuns: 400 });
  });

  it('should give the same as the loop on a file of a million bytes in 1 MiB and odd pieces', async () => {
    const lines = ['sale_id,amount,at'];
    for (let i = 0; i < 20_000; i++) {
      const odd = i % 997 === 0 ? '"a ""quoted"", value"' : i % 1999 === 0 ? '"two\nlines"' : i % 3001 === 0 ? 'bad"quote' : `${i * 7}.25`;
      lines.push(`${i},${odd},2025-01-${String(1 + (i % 28)).padStart(2, '0')} 10:00:00${i % 4999 === 0 ? ',extra' : ''}`);
    }
    const data = Buffer.from(lines.join('\r\n') + '\r\n');
    const setup: Setup = { fields: 3, prefix: ',', suffix: '\n', firstLine: 2, skipBytes: lines[0].length + 2 };
    for (const sizes of [[1 << 20], [65536, 1000, 17]]) {
      const js = await scan(data, sizes, setup, false);
      const wasm = await scan(data, sizes, setup, true);
      expect(wasm).to.deep.equal(js);
      expect(js.rejected).to.be.greaterThan(0);
      expect(js.rows + js.rejected).to.equal(20_000);
    }
  });

  it('should give the same when the output area fills, and when the memory grows under later chunks', async () => {
    // tiny records with a long lineage: the output outgrows 1.5× the input, the kernel stops and goes on
    const tiny = Buffer.from(Array.from({ length: 50_000 }, (_, i) => `${i % 10},x`).join('\n') + '\n');
    const long = { fields: 2, prefix: `,"${'p'.repeat(300)}",`, suffix: ',7\n', firstLine: 2, skipBytes: 0 };
    for (const sizes of [[1 << 20], [4096, 77]]) {
      const js = await scan(tiny, sizes, long, false);
      expect(await scan(tiny, sizes, long, true)).to.deep.equal(js);
      expect(js.rows).to.equal(50_000);
    }
    // short records, then records of 300 KB across many chunks (memory grows after views of it were
    // handed out), one of them over maxRecordBytes (given up on), then short ones again
    const big = (c: string) => `"${c.repeat(300_000)}",1`;
    const mixed = Buffer.from(['a,1', 'b,2', big('x'), 'c,3', big('y'), '"z\nz",4', big('w'), 'd,5', ''].join('\n'));
    const setup = { fields: 2, prefix: ',', suffix: '\n', firstLine: 2, skipBytes: 0, maxRecordBytes: 400_000 };
    for (const sizes of [[65536], [1000, 65536, 7]]) {
      const js = await scan(mixed, sizes, setup, false);
      expect(await scan(mixed, sizes, setup, true)).to.deep.equal(js);
      expect(js.rows).to.equal(8);
    }
    const over = { ...setup, maxRecordBytes: 200_000 };
    const js = await scan(mixed, [65536], over, false);
    expect(await scan(mixed, [65536], over, true)).to.deep.equal(js);
    expect(js.rejected).to.be.greaterThan(0);
  });

  it('should run the bytes that csv-kernel.wat assembles to (npm run build-kernel after editing it)', async function () {
    const { assembleKernel } = await import(join(repoRoot, 'scripts', 'build-kernel.mjs')) as {
      assembleKernel: () => Promise<Buffer> };
    const assembled = await assembleKernel();
    expect(Buffer.from(kernelWasm, 'base64').equals(assembled), 'runner/src/ingest/csv-kernel-wasm.ts is stale').to.equal(true);
    expect(readFileSync(join(repoRoot, 'runner', 'src', 'ingest', 'csv-kernel.wat'), 'utf8')).to.match(/\(module/);
  });
});
