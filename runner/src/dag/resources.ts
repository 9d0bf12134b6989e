import { didYouMean, usageError } from '../errors.js';
import type { CompiledProject } from '../compile/compile.js';
import type { Project } from '../project/project.js';
import { testNamesOf } from '../project/project.js';
import { projectName, resourceTypeOf, uniqueId, type ResourceType } from '../project/unique-id.js';
import type { Graph } from './graph.js';
import { planNodes } from './select.js';

/** One thing `ls` lists: a model, snapshot, test (singular or declared), source, seed or analysis. */
export interface Resource {
  unique_id: string;
  resource_type: ResourceType;
  name: string;
  /** The file it is written in, relative to the project. */
  path: string;
  materialized?: string;
  tags?: string[];
  depends_on?: string[];
}

export const resourceTypes: ResourceType[] = ['model', 'snapshot', 'test', 'source', 'seed', 'analysis'];

/**
 * The project's resources that a selection picks, as dbt's `ls`: models through the selection of
 * `--select`/`--exclude` (a declared test comes with its model), sources by `source:raw.sales` (or
 * `source:raw`), and every source and seed a `+name` selection reaches upstream. Without `--select`,
 * everything. Sorted by `unique_id`.
 */
export function listResources(prepared: { project: Project; compiled: CompiledProject; graph: Graph },
  select?: string, exclude?: string): Resource[] {
  const { project, compiled, graph } = prepared;
  const name = projectName(project.dir);
  const [pickSources, nodeSelect] = splitSources(select, compiled);
  const [dropSources, nodeExclude] = splitSources(exclude, compiled);
  const chosen = !select ? planNodes(compiled.nodes, graph, undefined, nodeExclude)
    : nodeSelect ? planNodes(compiled.nodes, graph, nodeSelect, nodeExclude) : [];
  const out: Resource[] = [];
  const upstream = new Set<string>();
  for (const n of chosen) {
    const node = compiled.nodes.get(n)!;
    const type = resourceTypeOf(node);
    if (!select || /(^|[\s,])\+/.test(select)) node.sources.forEach((s) => upstream.add(s));
    out.push({ unique_id: uniqueId(type, name, n), resource_type: type, name: n, path: node.path,
      materialized: node.config.materialized, tags: node.config.tags,
      depends_on: [...node.refs, ...node.sources.map((s) => `source:${s}`)] });
    for (const test of testNamesOf(n, node.tests)) {
      out.push({ unique_id: uniqueId('test', name, test), resource_type: 'test', name: test,
        path: project.props.get(n)?.file ?? node.path, depends_on: [n] });
    }
  }
  for (const [key, s] of compiled.sources) {
    const wanted = !select ? !dropSources.has(key) : (pickSources.has(key) || upstream.has(key)) && !dropSources.has(key);
    if (!wanted) continue;
    const seed = s.source === 'seeds';
    out.push({ unique_id: uniqueId(seed ? 'seed' : 'source', name, seed ? s.name : key), resource_type: seed ? 'seed' : 'source',
      name: seed ? s.name : key, path: seed ? `seeds/${s.name}.csv` : s.file ?? 'models/' });
  }
  if (!select) {
    for (const a of project.analyses) out.push({ unique_id: uniqueId('analysis', name, a.name), resource_type: 'analysis', name: a.name, path: a.path });
  }
  return out.sort((a, b) => (a.unique_id < b.unique_id ? -1 : a.unique_id > b.unique_id ? 1 : 0));
}

/** `source:raw.sales` and `source:raw` items apart from the rest of a selection, which goes to planNodes. */
function splitSources(spec: string | undefined, compiled: CompiledProject): [Set<string>, string | undefined] {
  const sources = new Set<string>();
  const rest: string[] = [];
  for (const item of (spec ?? '').split(/[\s,]+/).filter(Boolean)) {
    if (!item.startsWith('source:')) {
      rest.push(item);
      continue;
    }
    const value = item.slice('source:'.length);
    const keys = [...compiled.sources.keys()].filter((k) => compiled.sources.get(k)!.source !== 'seeds');
    const found = keys.filter((k) => k === value || k.startsWith(`${value}.`));
    if (!found.length) throw usageError(`selector "${item}" matches no source${didYouMean(value, keys)}`);
    found.forEach((k) => sources.add(k));
  }
  return [sources, rest.length ? rest.join(' ') : undefined];
}
