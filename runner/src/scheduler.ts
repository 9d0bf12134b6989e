import type { Graph } from './graph.js';

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
 * Runs `names` (a DAG-ordered subset of `graph`) with at most `threads` at once: a node starts as soon
 * as every selected parent succeeded. A failed node's descendants are skipped; independent nodes go on.
 */
export async function schedule<R>(names: string[], graph: Graph, threads: number,
  run: (name: string, worker: number) => Promise<R>,
  onSkip: (name: string, because: string) => void = () => {}): Promise<Map<string, Scheduled<R>>> {
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
    const finish = (name: string, outcome: Scheduled<R>) => {
      results.set(name, outcome);
      running--;
      freeWorkers.push(outcome.worker!);
      for (const c of graph.children.get(name) ?? []) {
        if (!selected.has(c)) continue;
        if (outcome.status !== 'success') skip(c, name);
        else {
          const left = waiting.get(c)! - 1;
          waiting.set(c, left);
          if (left === 0 && !results.has(c)) ready.push(c);
        }
      }
      pump();
    };
    const pump = () => {
      while (running < threads && ready.length) {
        const name = ready.shift()!;
        if (results.has(name)) continue;
        const worker = freeWorkers.pop()!;
        running++;
        const startedAt = Date.now();
        run(name, worker).then(
          (result) => finish(name, { name, status: 'success', result, startedAt, finishedAt: Date.now(), worker }),
          (error) => finish(name, { name, status: 'error', error, startedAt, finishedAt: Date.now(), worker }),
        );
      }
      if (running === 0 && !ready.length) resolve(results);
    };
    pump();
  });
}
