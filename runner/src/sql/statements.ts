import { loadTemplates, type Target, type TemplateSet } from './templates.js';

const groups = new Map<string, TemplateSet>();

/**
 * The text of one of the runner's own statements, `runner/templates/<target>/<group>/<name>.sql` (a
 * target's file overrides PostgreSQL's of the same name), rendered with `context`: quoted identifiers
 * and literals only. Values go as `$n` parameters of the query that runs it.
 */
export function statement(path: string, context: Record<string, unknown> = {}, target: Target = 'postgres'): string {
  const slash = path.indexOf('/');
  const group = path.slice(0, slash);
  const key = `${target}/${group}`;
  let set = groups.get(key);
  if (!set) groups.set(key, (set = loadTemplates(group, undefined, target)));
  const render = set.get(path.slice(slash + 1));
  if (!render) throw new Error(`the runner has no statement template ${path}.sql`);
  return render(context).trim();
}
