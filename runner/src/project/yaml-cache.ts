import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { writeFileWhole } from '../files/write.js';

/**
 * The project's YAML files as parsed by the last command, kept in `target/.yaml-cache.json` by content:
 * loading js-yaml and parsing (a noticeable share of every command's start) is paid again only for a file that
 * changed. A document is kept only when JSON gives it back exactly (YAML's timestamps, sets or binary
 * would come back as something else): such a file is parsed every time.
 */
export class YamlCache {
  private readonly path: string;
  /** What the last command kept; read on the first `parse` (a project without YAML reads nothing). */
  private stored: Record<string, unknown> | undefined;
  private readonly used: Record<string, unknown> = {};
  private changed = false;

  constructor(projectDir: string) {
    this.path = join(projectDir, 'target', '.yaml-cache.json');
  }

  /** The document of `text`: from the cache, or parsed (and kept when it survives JSON). */
  parse(text: string): unknown {
    const stored = (this.stored ??= this.read());
    const sha = createHash('sha256').update(text).digest('base64');
    if (Object.hasOwn(stored, sha)) return (this.used[sha] = stored[sha]);
    const doc = parseYaml(text);
    if (plainJson(doc)) {
      this.used[sha] = doc;
      this.changed = true;
    }
    return doc;
  }

  /** Writes the cache when this command parsed something new or no longer needs an entry. */
  save(): void {
    if (!this.stored) return;
    if (!this.changed && Object.keys(this.used).length === Object.keys(this.stored).length) return;
    try {
      // written whole: two commands of one project never read half a file
      writeFileWhole(this.path, JSON.stringify({ key: cacheKey(), docs: this.used }));
    } catch {
      // a read-only project still runs; it parses its YAML every time
    }
  }

  private read(): Record<string, unknown> {
    try {
      const file = JSON.parse(readFileSync(this.path, 'utf8')) as { key?: string; docs?: Record<string, unknown> };
      if (file.key === cacheKey() && file.docs && typeof file.docs === 'object') return file.docs;
    } catch {
      // none yet, or unreadable: parsed afresh
    }
    return {};
  }
}

const require = createRequire(import.meta.url);
let key: string | undefined;
let load: ((text: string) => unknown) | undefined;

/** The format of the file and the parser's version: another js-yaml starts the cache afresh. */
function cacheKey(): string {
  key ??= `1 js-yaml ${(JSON.parse(readFileSync(require.resolve('js-yaml/package.json'), 'utf8')) as { version: string }).version}`;
  return key;
}

export function parseYaml(text: string): unknown {
  // js-yaml: about half the start-up of the `yaml` package, for the same YAML 1.2 core schema; loaded on
  // first use
  load ??= (require('js-yaml') as { load: (text: string) => unknown }).load;
  return load(text);
}

/**
 * Whether `JSON.parse(JSON.stringify(x))` gives `x` back. A YAML alias can make a document refer to
 * itself (`a: &x {b: *x}`): JSON can't hold that, and the walk stops at it.
 */
export function plainJson(x: unknown, within = new Set<object>()): boolean {
  if (x === null || typeof x === 'string' || typeof x === 'boolean') return true;
  if (typeof x === 'number') return Number.isFinite(x) && !Object.is(x, -0);
  if (typeof x !== 'object' || within.has(x)) return false;
  within.add(x);
  const plain = Array.isArray(x)
    ? x.every((v) => plainJson(v, within))
    : Object.getPrototypeOf(x) === Object.prototype &&
      Object.entries(x as Record<string, unknown>).every(([k, v]) => k !== '__proto__' && plainJson(v, within));
  within.delete(x);
  return plain;
}
