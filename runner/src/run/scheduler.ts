import type { Graph } from '../dag/graph.js';

export type Status = 'success' | 'error' | 'skipped';

export interface Scheduled<R> {
  name: string;
  status: Status;
  result?: R;
  error?: unknown;
  /** For skipped nodes: the failed upstream node that caused the skip. */
  because?: string;
  startedAt?: number;
  finishedAt?: number;
  worker?: number;
}

/**
 * Nodes cheap enough that the round trip dominates (views): ready ones go to a worker together, with
 * the groupable nodes that depend only on them or on finished nodes, in DAG order, and `run` reports
 * each one's outcome (a node it did not run because a node before it in the group failed: any
 * rejection; the scheduler records it as skipped). At most `max` per group.
 */
export interface Grouping<R> {
  canGroup(name: string): boolean;
  max: number;
  run(names: string[], worker: number): Promise<PromiseSettledResult<R>[]>;
}

/**
 * Runs `names` (a DAG-ordered subset of `graph`) with at most `threads` at once: a node starts as soon
 * as every selected parent succeeded. A failed node's descendants are skipped; independent nodes go on.
 */
export async function schedule<R>(names: string[], graph: Graph, threads: number,
  run: (name: string, worker: number) => Promise<R>,
  onSkip: (name: string, because: string) => void = () => {},
  grouping?: Grouping<R>): Promise<Map<string, Scheduled<R>>> {
  const selected = new Set(names);
  const results = new Map<string, Scheduled<R>>();
  const waiting = new Map<string, number>();
  for (const n of names) waiting.set(n, graph.parents.get(n)!.filter((p) => selected.has(p)).length);
  const ready = names.filter((n) => waiting.get(n) === 0);
  let running = 0;
  const freeWorkers = Array.from({ length: threads }, (_, i) => threads - 1 - i);

  return new Promise((resolve) => {
    const skip = (name: string, because: string) => {
      if (results.has(name)) return;
      results.set(name, { name, status: 'skipped', because });
      onSkip(name, because);
      for (const c of graph.children.get(name) ?? []) if (selected.has(c)) skip(c, because);
    };
    const settle = (name: string, outcome: Scheduled<R>) => {
      results.set(name, outcome);
      for (const c of graph.children.get(name) ?? []) {
        if (!selected.has(c)) continue;
        if (outcome.status !== 'success') skip(c, name);
        else {
          const left = waiting.get(c)! - 1;
          waiting.set(c, left);
          if (left === 0 && !results.has(c)) ready.push(c);
        }
      }
    };
    /** Records what a worker ran (one node or a group, in DAG order) and hands the worker back. */
    const done = (group: string[], settled: PromiseSettledResult<R>[], startedAt: number, worker: number) => {
      const finishedAt = Date.now();
      group.forEach((n, i) => {
        if (results.has(n)) return; // skipped: a node before it in the group failed
        const s = settled[i];
        settle(n, s.status === 'fulfilled'
          ? { name: n, status: 'success', result: s.value, startedAt, finishedAt, worker }
          : { name: n, status: 'error', error: s.reason, startedAt, finishedAt, worker });
      });
      running--;
      freeWorkers.push(worker);
      pump();
    };
    /** `name` with the ready groupable nodes (a share of them per free worker), and with one worker what they lead to. */
    const takeGroup = (name: string, grouping: Grouping<R>): string[] => {
      const groupable = ready.filter((n) => !results.has(n) && grouping.canGroup(n));
      const size = Math.min(grouping.max, 1 + Math.ceil(groupable.length / (threads - running + 1)));
      const group = [name, ...groupable.slice(0, size - 1)];
      const taken = new Set(group);
      for (let i = ready.length - 1; i >= 0; i--) if (taken.has(ready[i])) ready.splice(i, 1);
      // with one worker, what the group's nodes lead to can come along (names are in DAG order)
      if (threads === 1) {
        for (const n of names) {
          if (group.length >= grouping.max) break;
          if (taken.has(n) || results.has(n) || waiting.get(n) === 0 || !grouping.canGroup(n)) continue;
          const parents = graph.parents.get(n)!.filter((p) => selected.has(p));
          if (parents.every((p) => taken.has(p) || results.get(p)?.status === 'success')) {
            group.push(n);
            taken.add(n);
          }
        }
      }
      return group;
    };
    const pump = () => {
      while (running < threads && ready.length) {
        const name = ready.shift()!;
        if (results.has(name)) continue;
        const worker = freeWorkers.pop()!;
        running++;
        const startedAt = Date.now();
        const group = grouping?.canGroup(name) ? takeGroup(name, grouping) : [name];
        const ran: Promise<PromiseSettledResult<R>[]> = group.length > 1
          ? grouping!.run(group, worker).catch((reason) => group.map(() => ({ status: 'rejected' as const, reason })))
          : run(name, worker).then((value) => [{ status: 'fulfilled' as const, value }], (reason) => [{ status: 'rejected' as const, reason }]);
        void ran.then((settled) => done(group, settled, startedAt, worker));
      }
      if (running === 0 && !ready.length) resolve(results);
    };
    pump();
  });
}
