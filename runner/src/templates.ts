import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { projectError } from './errors.js';
import { TemplateEnv } from './hbs.js';
import { sqlHelpers } from './sql-text.js';
import { compileTemplate, type Render } from './template-engine.js';

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

/**
 * Loads the SQL templates of a kind (`materializations`, `tests`): the runner's, then the project's
 * `macros/<kind>/*.sql` of the same name, which override them.
 */
export function loadTemplates(kind: string, projectDir?: string): TemplateSet {
  const hb = new TemplateEnv();
  hb.registerHelper({ ...sqlHelpers });
  const dirs = [join(runnerRoot, 'templates', kind)];
  if (projectDir) dirs.push(join(projectDir, 'macros', kind));
  const sources = new Map<string, { text: string; path: string }>();
  const fromProject = new Set<string>();
  dirs.forEach((dir, i) => {
    if (!existsSync(dir)) return;
    for (const f of readdirSync(dir).filter((f) => f.endsWith('.sql'))) {
      sources.set(basename(f, '.sql'), { text: readFileSync(join(dir, f), 'utf8'), path: i > 0 ? `macros/${kind}/${f}` : join(dir, f) });
      if (i > 0) fromProject.add(basename(f, '.sql'));
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
  /** This statement's row count is the node's row count. */
  rows: boolean;
}

/** Splits rendered template output at `--;` lines (`--; rows` marks the statement that counts rows). */
export function splitStatements(rendered: string): Statement[] {
  const out: Statement[] = [];
  let current: string[] = [];
  const flush = (rows: boolean) => {
    const text = current.join('\n').trim();
    if (text && !/^(--[^\n]*\s*)*$/.test(text)) out.push({ text, rows });
    current = [];
  };
  for (const line of rendered.split('\n')) {
    const m = /^\s*--;\s*(rows)?\s*$/.exec(line);
    if (m) flush(Boolean(m[1]));
    else current.push(line);
  }
  flush(false);
  return out;
}
