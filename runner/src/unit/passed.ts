import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { migrationsDigest } from '../db/migrate.js';
import { targetDir, writeFileWhole } from '../files/write.js';
import type { Project } from '../project/project.js';
import { runnerRoot } from '../sql/templates.js';

/**
 * The unit tests known to pass, kept in `target/.unit-tests.json` under a digest of all that their
 * outcome depends on: the project's models, macros, YAML, migrations and template overrides, the
 * runner's rendering, materialization and unit-test code and templates, and the database. A unit test
 * reads only rows fixed in YAML, so under the same digest it gives the same outcome: a build runs again
 * only the tests not known to pass (an incremental load of new data changes none of this).
 */
const FORMAT = 1;
const here = dirname(fileURLToPath(import.meta.url));
const cachePath = (project: Project, file: string) => join(targetDir(project.dir), file);

let runnerDigest: string | undefined;

/** The digest passes are kept under, for `project` on the database `database` (host, port and name). */
export function unitTestKey(project: Project, database: string): string {
  runnerDigest ??= digestOf([
    ...['compile', 'run', 'sql', 'unit'].flatMap((d) => filesIn(join(here, '..', d), '.js')),
    ...['materializations', 'unit'].flatMap((d) => filesIn(join(runnerRoot, 'templates', 'postgres', d), '.sql')),
  ].map((f) => readFileSync(f, 'utf8')));
  const overrides = ['materializations', 'tests'].flatMap((d) => filesIn(join(project.dir, 'macros', d), '.sql'));
  return digestOf([
    `format ${FORMAT}`, runnerDigest, database,
    project.migrationsDir ? migrationsDigest(project.migrationsDir) ?? '' : '',
    ...project.models.map((m) => `${m.path}\0${m.text}\0${JSON.stringify(m.defaults)}`),
    ...project.macros.map((m) => `${m.path}\0${m.text}`),
    ...overrides.map((f) => `${f}\0${readFileSync(f, 'utf8')}`),
    JSON.stringify([...project.props], null, 0), JSON.stringify(project.sources), JSON.stringify(project.seeds),
    JSON.stringify(project.unitTests),
  ]);
}

/**
 * The ids of the tests that passed under `key` (none when it changed since). `file`: another check
 * that depends on the same (the columns that models' settings and tests name) keeps its own.
 */
export function knownPasses(project: Project, key: string, file = '.unit-tests.json'): Set<string> {
  try {
    const stored = JSON.parse(readFileSync(cachePath(project, file), 'utf8')) as { key?: string; passed?: string[] };
    if (stored.key === key && Array.isArray(stored.passed)) return new Set(stored.passed);
  } catch {
    // none yet, or unreadable: every test runs
  }
  return new Set();
}

/** Keeps the tests that passed now beside those known to pass under the same key; a failure forgets its test. */
export function recordPasses(project: Project, key: string, results: { node: string; status: string }[], file = '.unit-tests.json'): void {
  const passed = knownPasses(project, key, file);
  for (const r of results) {
    if (r.status === 'pass') passed.add(r.node);
    else passed.delete(r.node);
  }
  try {
    writeFileWhole(cachePath(project, file), JSON.stringify({ key, passed: [...passed].sort() }));
  } catch {
    // a read-only project still runs; its tests run every time
  }
}

const filesIn = (dir: string, ext: string) =>
  existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(ext)).sort().map((f) => join(dir, f)) : [];

const digestOf = (parts: string[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex');
};
