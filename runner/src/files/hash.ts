import { createHash, type Hash } from 'node:crypto';
import fs from 'node:fs';
import { inputError } from '../errors.js';

/** sha256 of a file, streamed. */
export async function sha256File(file: string, display: string): Promise<string> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  } catch (e) {
    throw inputError(`cannot read landing file "${display}": ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
  return hash.digest('hex');
}

/** Feeds the bytes [start, end) of `path` into `hash`: what was loaded, even if the file grew since. */
export async function hashRange(path: string, start: number, end: number, hash: Hash): Promise<void> {
  if (end <= start) return;
  for await (const chunk of fs.createReadStream(path, { start, end: end - 1, highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
}

