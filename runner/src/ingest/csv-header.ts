import fs from 'node:fs';
import { inputError } from '../errors.js';

/** The header record of a CSV file. */
export interface CsvHeader {
  /** Column names, trimmed, in file order. */
  names: string[];
  /** Bytes before the first data record: a UTF-8 BOM, the header and its line end. */
  bytes: number;
  /** Physical lines the header spans (1 unless a quoted name holds a line break). */
  lines: number;
}

const MAX_HEADER = 1 << 20;

/**
 * Reads and checks the header of a landing or seed file without reading the rest. An empty or unreadable
 * file, a header that is blank, not UTF-8, badly quoted or names a column twice is an input error that
 * names the file.
 */
export function readHeader(file: string, display: string, kind = 'landing file'): CsvHeader {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    throw inputError(`cannot read ${kind} "${display}": ${(e as NodeJS.ErrnoException).code ?? e}; check its permissions`);
  }
  let head: Buffer;
  let eof = false;
  try {
    const parts: Buffer[] = [];
    let total = 0;
    let end = -1;
    let inQuotes = false;
    while (end < 0 && total < MAX_HEADER) {
      const chunk = Buffer.allocUnsafe(65536);
      let n: number;
      try {
        n = fs.readSync(fd, chunk, 0, chunk.length, null);
      } catch (e) {
        throw inputError(`cannot read ${kind} "${display}": ${(e as NodeJS.ErrnoException).code ?? e}`);
      }
      if (n === 0) { eof = true; break; }
      for (let i = 0; i < n && end < 0; i++) {
        if (chunk[i] === 34) inQuotes = !inQuotes;
        else if (chunk[i] === 10 && !inQuotes) end = total + i;
      }
      parts.push(chunk.subarray(0, n));
      total += n;
    }
    head = Buffer.concat(parts);
    if (total === 0) {
      throw inputError(`${kind} "${display}" is empty; it needs a header line naming its columns`);
    }
    if (hasLoneCr(end < 0 ? head : head.subarray(0, end + 1))) {
      throw inputError(`${kind} "${display}" ends its lines with a lone carriage return (CR, as old Mac files do); ` +
        `save it with LF or CRLF line breaks`);
    }
    if (end < 0 && !eof) throw inputError(`the header of ${kind} "${display}" is longer than 1 MiB; is it a CSV file?`);
    if (end >= 0) head = head.subarray(0, end + 1);
  } finally {
    fs.closeSync(fd);
  }
  const bom = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(bom));
  } catch {
    throw inputError(`the header of ${kind} "${display}" is not valid UTF-8; save the file as UTF-8`);
  }
  const lines = 1 + (text.slice(0, -1).match(/\n/g)?.length ?? 0);
  const line = text.replace(/\r?\n$/, '');
  if (line.trim() === '') {
    throw inputError(`${kind} "${display}" has no header line (its first line is blank); the first line must name the columns`);
  }
  const names = splitHeader(line, `${kind} "${display}"`).map((n) => n.trim());
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) throw inputError(`the header of ${kind} "${display}" names column "${name}" twice; rename one of them`);
    seen.add(name);
  }
  return { names, bytes: head.length, lines };
}

/** A carriage return outside quotes that no line feed follows. */
function hasLoneCr(bytes: Buffer): boolean {
  let inQuotes = false;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 34) inQuotes = !inQuotes;
    else if (bytes[i] === 13 && !inQuotes && bytes[i + 1] !== 10) return true;
  }
  return false;
}

function splitHeader(line: string, what: string): string[] {
  const names: string[] = [];
  let i = 0;
  for (;;) {
    let name = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        const close = line.indexOf('"', i);
        if (close < 0) throw inputError(`the header of ${what} has an unterminated quoted name`);
        name += line.slice(i, close);
        i = close + 1;
        if (line[i] === '"') { name += '"'; i++; continue; }
        break;
      }
      if (i < line.length && line[i] !== ',') {
        throw inputError(`the header of ${what} has text after a closing quote at position ${i + 1}`);
      }
    } else {
      const comma = line.indexOf(',', i);
      name = line.slice(i, comma < 0 ? line.length : comma);
      i = comma < 0 ? line.length : comma;
    }
    names.push(name);
    if (i >= line.length) return names;
    i++; // the comma
  }
}
