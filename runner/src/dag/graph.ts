import { projectError } from '../errors.js';
import type { Node } from '../compile/compile.js';

export interface Graph {
  /** Node names in an order where every node comes after everything it refs. */
  order: string[];
  parents: Map<string, string[]>;
  children: Map<string, string[]>;
}

/** Builds the DAG from refs; a cycle is an error that prints it (`a -> b -> c -> a`). */
export function buildGraph(nodes: Map<string, Node>): Graph {
  const parents = new Map<string, string[]>();
  const children = new Map<string, string[]>();
  for (const name of nodes.keys()) {
    parents.set(name, []);
    children.set(name, []);
  }
  for (const node of nodes.values()) {
    for (const ref of node.refs) {
      if (!nodes.has(ref)) continue; // reported by compile
      parents.get(node.name)!.push(ref);
      children.get(ref)!.push(node.name);
    }
  }
  const order: string[] = [];
  const mark = new Map<string, 1 | 2>(); // 1 = on the stack, 2 = done
  const stack: string[] = [];
  const visit = (name: string) => {
    const m = mark.get(name);
    if (m === 2) return;
    if (m === 1) {
      const cycle = [...stack.slice(stack.indexOf(name)), name];
      const files = cycle.slice(0, -1).map((n) => nodes.get(n)!.path).join(', ');
      throw projectError(`dependency cycle: ${cycle.join(' -> ')} (${files}); remove one of these refs`);
    }
    mark.set(name, 1);
    stack.push(name);
    for (const p of parents.get(name)!) visit(p);
    stack.pop();
    mark.set(name, 2);
    order.push(name);
  };
  // iterative roots in name order keep the order stable between runs
  for (const name of [...nodes.keys()].sort()) visit(name);
  return { order, parents, children };
}

export function ancestors(graph: Graph, name: string, out = new Set<string>()): Set<string> {
  for (const p of graph.parents.get(name) ?? []) {
    if (!out.has(p)) {
      out.add(p);
      ancestors(graph, p, out);
    }
  }
  return out;
}

export function descendants(graph: Graph, name: string, out = new Set<string>()): Set<string> {
  for (const c of graph.children.get(name) ?? []) {
    if (!out.has(c)) {
      out.add(c);
      descendants(graph, c, out);
    }
  }
  return out;
}

/**
 * The graph restricted to `keep`: a kept node's parents are its nearest kept ancestors, looking through
 * nodes that are not kept (ephemeral models are inlined, so their own parents become the real ones).
 */
export function collapseGraph(graph: Graph, keep: Set<string>): Graph {
  const memo = new Map<string, string[]>();
  const nearest = (name: string): string[] => {
    let hit = memo.get(name);
    if (hit) return hit;
    const out = new Set<string>();
    for (const p of graph.parents.get(name) ?? []) {
      if (keep.has(p)) out.add(p);
      else for (const q of nearest(p)) out.add(q);
    }
    hit = [...out];
    memo.set(name, hit);
    return hit;
  };
  const parents = new Map<string, string[]>();
  const children = new Map<string, string[]>();
  for (const n of keep) children.set(n, []);
  for (const n of keep) {
    parents.set(n, nearest(n));
    for (const p of parents.get(n)!) children.get(p)!.push(n);
  }
  return { order: graph.order.filter((n) => keep.has(n)), parents, children };
}
