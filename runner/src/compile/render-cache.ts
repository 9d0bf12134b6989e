import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { writeFileWhole } from '../files/write.js';
import type { Project } from '../project/project.js';
import { textHash, type SpecStore } from './handlebars.js';

/**
 * What rendering a model gave, kept between commands in `target/` (dbt calls this partial parsing):
 * a model whose file is unchanged is not parsed and rendered again. Rendering is pure: its result
 * depends on the model file (text and path), the project's macros and the runner's own helpers, and
 * nothing else (no database, no clock). `key` covers the macros, the runner's code and Handlebars'
 * version; a change to any of them starts the cache afresh.
 */
export interface CachedRender {
  /** sha256 of the model file: also the manifest's checksum. */
  hash: string;
  rendered: string;
  config: Record<string, unknown>;
  /** Refs and sources of both branches of `is_incremental`. */
  refs: string[];
  sources: string[];
  warnings: string[];
}

export interface RenderCache {
  key: string;
  files: Record<string, CachedRender>;
  /** Precompiled templates of the models a run renders again (incremental ones) and of the macros. */
  specs: SpecStore;
  /** Entries rendered or dropped in this command: the cache is written again. */
  changed: boolean;
}

const FORMAT = 2;
/** The runner's modules whose code decides what a model renders to. */
const renderingCode = ['render.js', 'handlebars.js', '../sql/quote.js'];

const cachePath = (projectDir: string) => join(projectDir, 'target', '.render-cache.json');

let codeHash: string | undefined;

function keyOf(project: Project): string {
  if (!codeHash) {
    const here = dirname(fileURLToPath(import.meta.url));
    const h = createHash('sha256').update(`format ${FORMAT}\n`);
    for (const file of renderingCode) h.update(readFileSync(join(here, file)));
    // Handlebars' version decides its behaviour and what a precompiled template holds
    h.update(readFileSync(createRequire(import.meta.url).resolve('handlebars/package.json')));
    codeHash = h.digest('hex');
  }
  const h = createHash('sha256').update(codeHash);
  for (const m of project.macros) h.update(`\0${m.path}\0${m.text}`);
  // {{var}} renders its value: other values, other renderings
  h.update(`\0vars\0${JSON.stringify(project.vars ?? {})}`);
  return h.digest('hex');
}

/** The cache left by the last command, or an empty one when there is none or it no longer applies. */
export function loadRenderCache(project: Project): RenderCache {
  const key = keyOf(project);
  try {
    const stored = JSON.parse(readFileSync(cachePath(project.dir), 'utf8')) as RenderCache;
    if (stored.key === key && stored.files && typeof stored.files === 'object') {
      return { key, files: stored.files, specs: stored.specs ?? {}, changed: false };
    }
  } catch {
    // none yet, or unreadable: rendered afresh
  }
  return { key, files: {}, specs: {}, changed: true };
}

/** Keeps what this command rendered; entries of files that are gone are dropped. */
export function saveRenderCache(project: Project, cache: RenderCache): void {
  const present = new Set(project.models.map((m) => m.path));
  const files: Record<string, CachedRender> = {};
  for (const [path, entry] of Object.entries(cache.files)) if (present.has(path)) files[path] = entry;
  if (!cache.changed && Object.keys(files).length === Object.keys(cache.files).length) return;
  const used = new Set([...Object.values(files).map((f) => f.hash), ...project.macros.map((m) => textHash(m.text))]);
  const specs = Object.fromEntries(Object.entries(cache.specs).filter(([hash]) => used.has(hash)));
  // written whole: two commands of one project never read half a file
  writeFileWhole(cachePath(project.dir), JSON.stringify({ key: cache.key, files, specs }));
}

/** Whether a rendered config survives JSON unchanged (helpers could put objects there). */
export function cacheable(config: Record<string, unknown>): boolean {
  return Object.values(config).every((v) => v === null || ['string', 'number', 'boolean'].includes(typeof v) ||
    (Array.isArray(v) && v.every((x) => ['string', 'number', 'boolean'].includes(typeof x))));
}
