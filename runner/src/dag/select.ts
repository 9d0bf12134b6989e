import { usageError, didYouMean } from '../errors.js';
import type { Node } from '../compile/compile.js';
import { ancestors, descendants, type Graph } from './graph.js';

/**
 * Resolves a selection: items separated by spaces, each `name`, `+name` (with its upstream),
 * `name+` (with its downstream), `tag:x`, `path:models/marts` or `materialized:snapshot`.
 */
export function selectNodes(spec: string, nodes: Map<string, Node>, graph: Graph): Set<string> {
  const out = new Set<string>();
  for (const raw of spec.split(/[\s,]+/).filter(Boolean)) {
    const up = raw.startsWith('+');
    const down = raw.endsWith('+');
    const item = raw.slice(up ? 1 : 0, down ? -1 : undefined);
    const matched = matchItem(item, nodes);
    for (const name of matched) {
      out.add(name);
      if (up) ancestors(graph, name, out);
      if (down) descendants(graph, name, out);
    }
  }
  return out;
}

function matchItem(item: string, nodes: Map<string, Node>): string[] {
  const colon = item.indexOf(':');
  if (colon > 0) {
    const method = item.slice(0, colon);
    const value = item.slice(colon + 1);
    const all = [...nodes.values()];
    let found: Node[];
    if (method === 'tag') found = all.filter((n) => n.config.tags.includes(value));
    else if (method === 'path') found = all.filter((n) => n.path === value || n.path.startsWith(value.replace(/\/?$/, '/')));
    else if (method === 'materialized') found = all.filter((n) => n.config.materialized === value);
    else throw usageError(`unknown selector method "${method}:" in "${item}"; use tag:, path: or materialized:`);
    if (!found.length) {
      const tags = new Set(all.flatMap((n) => n.config.tags));
      throw usageError(`selector "${item}" matches no model${method === 'tag' ? didYouMean(value, tags) : ''}`);
    }
    return found.map((n) => n.name);
  }
  if (!nodes.has(item)) throw usageError(`no model named "${item}" to select${didYouMean(item, nodes.keys())}`);
  return [item];
}

/** `names` and every singular test that reads one of them. */
function withTestsOf(names: Set<string>, nodes: Map<string, Node>): Set<string> {
  for (const node of nodes.values()) {
    if (node.config.materialized === 'test' && node.refs.some((r) => names.has(r))) names.add(node.name);
  }
  return names;
}

/**
 * The nodes a command runs, in DAG order: `--select` (default all) minus `--exclude`. A singular test
 * comes along with any model it reads (as dbt's default, "eager" indirect selection) and goes with any
 * model excluded; a selection that leaves nothing is a usage error, not a run that does nothing.
 */
export function planNodes(nodes: Map<string, Node>, graph: Graph, select?: string, exclude?: string): string[] {
  const chosen = withTestsOf(select ? selectNodes(select, nodes, graph) : new Set(nodes.keys()), nodes);
  const dropped = withTestsOf(exclude ? selectNodes(exclude, nodes, graph) : new Set<string>(), nodes);
  const planned = graph.order.filter((n) => chosen.has(n) && !dropped.has(n));
  if (!planned.length && nodes.size && (select || exclude)) {
    throw usageError(`the selection leaves no model to run (${[select && `--select ${select}`, exclude && `--exclude ${exclude}`]
      .filter(Boolean).join(' ')})`);
  }
  return planned;
}
