/** Model graphs written as `{ name: [refs] }`, for the tests of the DAG and the scheduler. */
import type { Node } from '../../runner/src/compile/compile.js';
import { buildGraph, type Graph } from '../../runner/src/dag/graph.js';

/** View models named by the keys, each referring to the models listed, at `models/<name>.sql`. */
export function dagOf(refs: Record<string, string[]>): Map<string, Node> {
  return new Map(Object.entries(refs).map(([name, parents]) => [name, {
    name, path: `models/${name}.sql`, refs: parents, sources: [],
    config: { materialized: 'view', schema: 'analytics', tags: [], enabled: true },
  } as unknown as Node]));
}

/** The graph of `dagOf(refs)`. */
export const graphOf = (refs: Record<string, string[]>): Graph => buildGraph(dagOf(refs));
