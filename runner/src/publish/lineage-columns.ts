import type { DocNode } from './docs-data.js';

type Placed = Pick<DocNode, 'id' | 'kind' | 'path' | 'materialized' | 'layer' | 'upstream'>;

/** Where the lineage graph puts each node, and the heading above each column ('' for none). */
export interface LineageColumns {
  columnOf: Map<string, number>;
  headings: string[];
}

/** A node's folder under `models/` (`staging`, `marts`…), `sources`, or its materialization at the top. */
export const folderOf = (n: Pick<DocNode, 'kind' | 'path' | 'materialized'>) =>
  n.kind === 'source' ? 'sources' : n.path?.split('/').slice(1, -1)[0] ?? n.materialized;

/**
 * The graph's columns: a band of columns per folder, so that each folder's heading appears once and a
 * model stands under its own folder's name. Folders go left to right as their edges go (each takes the
 * columns after the folders it reads from), and within a folder by the longest path inside it. Where
 * folders read from each other both ways, that order doesn't exist: then a column per layer, headed by
 * the folder most of its nodes are in, each heading once.
 */
export function lineageColumns(nodes: Placed[]): LineageColumns {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const folders = new Map<string, Placed[]>();
  for (const n of nodes) folders.set(folderOf(n), [...(folders.get(folderOf(n)) ?? []), n]);
  const firstLayer = (f: string) => Math.min(...folders.get(f)!.map((n) => n.layer));
  const after = new Map([...folders.keys()].map((f) => [f, new Set<string>()]));
  for (const n of nodes) {
    for (const u of n.upstream) if (folderOf(byId.get(u)!) !== folderOf(n)) after.get(folderOf(n))!.add(folderOf(byId.get(u)!));
  }
  const order: string[] = [];
  while (order.length < folders.size) {
    const ready = [...folders.keys()].filter((f) => !order.includes(f) && [...after.get(f)!].every((g) => order.includes(g)));
    if (!ready.length) return byLayer(nodes);
    order.push(ready.sort((a, b) => firstLayer(a) - firstLayer(b) || (a < b ? -1 : 1))[0]);
  }
  const columnOf = new Map<string, number>();
  const headings: string[] = [];
  for (const folder of order) {
    const base = headings.length;
    // by layer: a node's parents in its folder are placed before it
    const inFolder = [...folders.get(folder)!].sort((a, b) => a.layer - b.layer);
    for (const n of inFolder) {
      const local = n.upstream.filter((u) => folderOf(byId.get(u)!) === folder).map((u) => columnOf.get(u)! + 1);
      columnOf.set(n.id, Math.max(base, ...local));
    }
    const width = Math.max(...inFolder.map((n) => columnOf.get(n.id)!)) - base + 1;
    headings.push(folder, ...Array<string>(width - 1).fill(''));
  }
  return { columnOf, headings };
}

function byLayer(nodes: Placed[]): LineageColumns {
  const columnOf = new Map(nodes.map((n) => [n.id, n.layer]));
  const headings: string[] = [];
  const shown = new Set<string>();
  for (let layer = 0; layer <= Math.max(0, ...nodes.map((n) => n.layer)); layer++) {
    const count = new Map<string, number>();
    for (const n of nodes.filter((x) => x.layer === layer)) count.set(folderOf(n), (count.get(folderOf(n)) ?? 0) + 1);
    const label = [...count].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]?.[0] ?? '';
    headings.push(shown.has(label) ? '' : label);
    shown.add(label);
  }
  return { columnOf, headings };
}
