import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { projectError } from '../errors.js';
import { TemplateEnv } from '../compile/hbs.js';
import { sqlHelpers } from './quote.js';
import { compileTemplate, type Render } from '../compile/template-engine.js';

/** The runner's own files (templates) live beside `runner/src`, both in the source tree and under dist/. */
export const runnerRoot = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'runner', 'templates')) && dir !== dirname(dir)) dir = dirname(dir);
  return join(dir, 'runner');
})();

export type TemplateSet = Map<string, Render> & {
  /** Names the project's `macros/<kind>/` supplied, overriding the runner's template. */
  fromProject?: Set<string>;
};

/** The database a run targets; its templates override PostgreSQL's by name (as a dbt adapter overrides macros). */
export type Target = 'postgres' | 'citus';

/**
 * Loads the SQL templates of a kind (`materializations`, `tests`): the runner's for PostgreSQL, then
 * those of `target` of the same name, then the project's `macros/<kind>/*.sql`, each overriding the one
 * before.
 */
export function loadTemplates(kind: string, projectDir?: string, target: Target = 'postgres'): TemplateSet {
  const hb = new TemplateEnv();
  hb.registerHelper({ ...sqlHelpers });
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
      sources.set(basename(f, '.sql'), { text: readFileSync(join(dir, f), 'utf8'), path: project ? `macros/${kind}/${f}` : join(dir, f) });
      if (project) fromProject.add(basename(f, '.sql'));
    }
  });
  const out: TemplateSet = Object.assign(new Map<string, Render>(), { fromProject });
  for (const [name, { text, path }] of sources) {
    hb.registerPartial(name, text);
    // parsed on first use: a run of views needs one template of the seven
    let render: Render | undefined;
    out.set(name, (context, options) => {
      if (!render) {
        try {
          render = compileTemplate(hb, text);
        } catch (e) {
          throw projectError(`cannot parse template "${path}": ${(e as Error).message}; fix the Handlebars syntax in that file`);
        }
      }
      return render(context, options);
    });
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
