import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { projectError } from '../errors.js';
import { handlebarsVersion, TemplateEnv, type SpecStore, type Template } from '../compile/handlebars.js';
import { sqlHelpers } from './quote.js';

/** The runner's own files (templates) live beside `runner/src`, both in the source tree and under dist/. */
export const runnerRoot = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'runner', 'templates')) && dir !== dirname(dir)) dir = dirname(dir);
  return join(dir, 'runner');
})();

/**
 * The runner's templates precompiled when the package is built (`npm run build`), by text hash: a run
 * renders them with Handlebars' runtime alone. A template edited since is compiled from its text.
 */
export const precompiledPath = fileURLToPath(new URL('../../precompiled-templates.json', import.meta.url));

export interface Precompiled {
  handlebars: string;
  /** The helpers the specs were compiled knowing. */
  helpers: string[];
  specs: SpecStore;
}

let built: SpecStore | undefined;

function precompiled(): SpecStore {
  if (built) return built;
  try {
    const stored = JSON.parse(readFileSync(precompiledPath, 'utf8')) as Precompiled;
    if (stored.handlebars === handlebarsVersion() && stored.helpers.join() === Object.keys(sqlHelpers).join()) return (built = stored.specs);
  } catch {
    // not built: every template is compiled from its text
  }
  return (built = {});
}

/** The environment of the runner's templates: the SQL helpers. */
export function templateEnvironment(specs?: SpecStore): TemplateEnv {
  const hb = new TemplateEnv(specs);
  hb.registerHelper({ ...sqlHelpers });
  return hb;
}

export type TemplateSet = Map<string, Template> & {
  /** Names the project's `macros/<kind>/` supplied, overriding the runner's template. */
  fromProject?: Set<string>;
};

/** The database a run targets; its templates override PostgreSQL's by name (as a dbt adapter overrides macros). */
export type Target = 'postgres' | 'citus';

/**
 * Loads the SQL templates of a kind (`materializations`, `tests`): the runner's for PostgreSQL, then
 * those of `target` of the same name, then the project's `macros/<kind>/*.sql`, each overriding the one
 * before. A PostgreSQL template that the target overrides stays at hand as the partial `postgres/<name>`.
 */
export function loadTemplates(kind: string, projectDir?: string, target: Target = 'postgres'): TemplateSet {
  const hb = templateEnvironment(precompiled());
  const dirs = [join(runnerRoot, 'templates', 'postgres', kind)];
  if (target !== 'postgres') dirs.push(join(runnerRoot, 'templates', target, kind));
  const runnerDirs = dirs.length;
  if (projectDir) dirs.push(join(projectDir, 'macros', kind));
  const sources = new Map<string, { text: string; path: string }>();
  const fromProject = new Set<string>();
  dirs.forEach((dir, i) => {
    if (!existsSync(dir)) return;
    for (const f of readdirSync(dir).filter((f) => f.endsWith('.sql'))) {
      const project = i >= runnerDirs;
      const name = basename(f, '.sql');
      // a target's template may fall back on PostgreSQL's, as {{> postgres/<name>}} (dbt's default__)
      if (i === 1 && !project && sources.has(name)) {
        const base = sources.get(name)!;
        hb.registerPartial(`postgres/${name}`, hb.lazy(base.text, (e) =>
          projectError(`cannot parse template "${base.path}": ${(e as Error).message}; fix the Handlebars syntax in that file`)));
      }
      sources.set(name, { text: readFileSync(join(dir, f), 'utf8'), path: project ? `macros/${kind}/${f}` : join(dir, f) });
      if (project) fromProject.add(name);
    }
  });
  const out: TemplateSet = Object.assign(new Map<string, Template>(), { fromProject });
  for (const [name, { text, path }] of sources) {
    const failed = (e: unknown) =>
      projectError(`cannot parse template "${path}": ${(e as Error).message}; fix the Handlebars syntax in that file`);
    // compiled on first use: a run of views needs one template of the seven
    const template = hb.lazy(text, failed);
    hb.registerPartial(name, template);
    out.set(name, template);
  }
  return out;
}

export interface Statement {
  text: string;
  /** How this statement's row count adds to the node's: 1 (`--; rows`), -1 (`--; -rows`: rows moved out again) or 0. */
  rows: number;
}

/**
 * Splits rendered template output at `--;` lines; `--; rows` marks a statement whose row count is the
 * node's, `--; -rows` one whose rows are taken away from it again.
 */
export function splitStatements(rendered: string): Statement[] {
  const out: Statement[] = [];
  let current: string[] = [];
  const flush = (rows: number) => {
    const text = current.join('\n').trim();
    if (text && !/^(--[^\n]*\s*)*$/.test(text)) out.push({ text, rows });
    current = [];
  };
  for (const line of rendered.split('\n')) {
    const m = /^\s*--;\s*(-?rows)?\s*$/.exec(line);
    if (m) flush(m[1] === 'rows' ? 1 : m[1] === '-rows' ? -1 : 0);
    else current.push(line);
  }
  flush(0);
  return out;
}

/** The names of a kind's templates, the runner's for PostgreSQL and the project's, without reading them; partials (`_x`) left out. */
export function templateNames(kind: string, projectDir?: string): string[] {
  const dirs = [join(runnerRoot, 'templates', 'postgres', kind), ...(projectDir ? [join(projectDir, 'macros', kind)] : [])];
  const names = dirs.flatMap((dir) => existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.sql')).map((f) => basename(f, '.sql')) : []);
  return [...new Set(names)].filter((n) => !n.startsWith('_')).sort();
}
