import { expect } from 'chai';
import type { Graph } from '../../runner/src/dag/graph.js';
import { schedule, type Grouping, type Scheduled } from '../../runner/src/run/scheduler.js';
import { graphOf } from '../support/graphs.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A fake executor: a node takes a few milliseconds and fails when `failing` names it. It records what
 * ran, on which worker, how many at once, and every node that started before one of its parents ended.
 */
function fakeExecutor(graph: Graph, failing: string[] = []) {
  const seen = { started: [] as string[], finished: new Set<string>(), running: 0, most: 0, early: [] as string[],
    workers: new Map<string, number>(), shared: [] as string[], busy: new Set<number>() };
  const start = (name: string, worker: number) => {
    seen.started.push(name);
    seen.workers.set(name, worker);
    if (graph.parents.get(name)!.some((p) => seen.started.includes(p) && !seen.finished.has(p))) seen.early.push(name);
    if (seen.busy.has(worker)) seen.shared.push(name);
    seen.busy.add(worker);
    seen.most = Math.max(seen.most, ++seen.running);
  };
  const end = (name: string, worker: number) => {
    seen.running--;
    seen.busy.delete(worker);
    if (failing.includes(name)) throw new Error(`${name} failed`);
    seen.finished.add(name);
    return `${name} built`;
  };
  const run = async (name: string, worker: number) => {
    start(name, worker);
    await sleep(3 + (name.charCodeAt(0) % 4));
    return end(name, worker);
  };
  return { seen, run };
}

const statuses = (results: Map<string, Scheduled<unknown>>) =>
  Object.fromEntries([...results.values()].map((r) => [r.name, r.because ? `${r.status} (${r.because})` : r.status]));

describe('scheduler: running the DAG with a fake executor', () => {
  it('should run every node once, each after every parent it depends on', async () => {
    const graph = graphOf({ a: [], b: ['a'], c: ['a'], d: ['b', 'c'], e: [], f: ['e'], g: ['d', 'f'] });
    const { seen, run } = fakeExecutor(graph);
    const results = await schedule(graph.order, graph, 3, run);
    expect([...seen.started].sort()).to.deep.equal(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
    expect(seen.early).to.deep.equal([]);
    expect([...results.values()].every((r) => r.status === 'success' && r.result === `${r.name} built`)).to.equal(true);
    for (const r of results.values()) expect(r.finishedAt!).to.be.at.least(r.startedAt!);
  });

  for (const threads of [1, 3]) {
    it(`should run at most ${threads} node${threads > 1 ? 's' : ''} at once with ${threads} thread${threads > 1 ? 's' : ''}, each on a worker of its own`, async () => {
      const graph = graphOf(Object.fromEntries(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((n) => [n, []])));
      const { seen, run } = fakeExecutor(graph);
      const results = await schedule(graph.order, graph, threads, run);
      expect(seen.most).to.equal(threads);
      expect(seen.shared).to.deep.equal([]);
      expect(new Set(seen.workers.values())).to.deep.equal(new Set(Array.from({ length: threads }, (_, i) => i)));
      for (const r of results.values()) expect(r.worker, r.name).to.equal(seen.workers.get(r.name));
    });
  }

  it('should skip the descendants of a failed node, naming it, and still run the independent nodes', async () => {
    //   a ── b ── c        e ── f
    //    \── d ──/
    const graph = graphOf({ a: [], b: ['a'], c: ['b', 'd'], d: ['a', 'e'], e: [], f: ['e'] });
    const { seen, run } = fakeExecutor(graph, ['a']);
    const skips: [string, string][] = [];
    const results = await schedule(graph.order, graph, 2, run, (name, because) => skips.push([name, because]));
    expect(statuses(results)).to.deep.equal({
      a: 'error', b: 'skipped (a)', c: 'skipped (a)', d: 'skipped (a)', e: 'success', f: 'success',
    });
    expect((results.get('a')!.error as Error).message).to.equal('a failed');
    expect(skips.sort()).to.deep.equal([['b', 'a'], ['c', 'a'], ['d', 'a']]);
    expect([...seen.started].sort()).to.deep.equal(['a', 'e', 'f']);
  });

  it('should wait only for the parents in the selection', async () => {
    const graph = graphOf({ a: [], b: ['a'], c: ['b'] });
    const { seen, run } = fakeExecutor(graph);
    const results = await schedule(['b', 'c'], graph, 2, run);
    expect(seen.started).to.deep.equal(['b', 'c']);
    expect(results.has('a')).to.equal(false);
  });

  it('should finish at once when there is nothing to run', async () => {
    const graph = graphOf({ a: [] });
    expect((await schedule([], graph, 4, fakeExecutor(graph).run)).size).to.equal(0);
  });

  describe('views grouped into one round trip', () => {
    /** Groups the nodes whose names start with "v"; a group fails from its first failing view on. */
    function grouping(graph: Graph, failing: string[] = [], max = 1000) {
      const executor = fakeExecutor(graph, failing);
      const groups: string[][] = [];
      const singles: string[] = [];
      const group: Grouping<string> = {
        canGroup: (name) => name.startsWith('v'),
        max,
        async run(names, worker) {
          groups.push(names);
          let failed = false;
          const out: PromiseSettledResult<string>[] = [];
          for (const name of names) {
            if (failed) {
              out.push({ status: 'rejected', reason: new Error('an upstream view failed') });
              continue;
            }
            out.push(await executor.run(name, worker).then((value) => ({ status: 'fulfilled' as const, value }), (reason) => {
              failed = true;
              return { status: 'rejected' as const, reason };
            }));
          }
          return out;
        },
      };
      const run = (name: string, worker: number) => {
        singles.push(name);
        return executor.run(name, worker);
      };
      return { group, run, groups, singles, seen: executor.seen };
    }

    it('should take a chain of views in one group with one thread, and run other nodes alone', async () => {
      const graph = graphOf({ v1: [], v2: ['v1'], v3: ['v2'], t: ['v1'], v4: ['t'] });
      const g = grouping(graph);
      const results = await schedule(graph.order, graph, 1, g.run, undefined, g.group);
      expect(g.groups).to.deep.equal([['v1', 'v2', 'v3']]);
      expect(g.singles).to.deep.equal(['t', 'v4']);
      expect(Object.values(statuses(results))).to.deep.equal(['success', 'success', 'success', 'success', 'success']);
    });

    it('should record the views of a group before the one that failed, and skip what depends on it', async () => {
      const graph = graphOf({ v1: [], v2: ['v1'], v3: ['v2'], v4: ['v3'] });
      const g = grouping(graph, ['v2']);
      const results = await schedule(graph.order, graph, 1, g.run, undefined, g.group);
      expect(g.groups).to.deep.equal([['v1', 'v2', 'v3', 'v4']]);
      expect(statuses(results)).to.deep.equal({ v1: 'success', v2: 'error', v3: 'skipped (v2)', v4: 'skipped (v2)' });
    });

    it('should share the ready views among the free workers, at most `max` a group', async () => {
      const graph = graphOf({ v1: [], v2: [], v3: [], v4: [] });
      const two = grouping(graph);
      await schedule(graph.order, graph, 2, two.run, undefined, two.group);
      expect([...two.groups.flat(), ...two.singles].sort()).to.deep.equal(['v1', 'v2', 'v3', 'v4']);
      expect(two.groups.length).to.be.at.least(1);
      expect(two.seen.most).to.equal(2);
      expect(new Set(two.seen.workers.values()).size).to.equal(2);

      const five = graphOf({ v1: [], v2: [], v3: [], v4: [], v5: [] });
      const bounded = grouping(five, [], 2);
      await schedule(five.order, five, 1, bounded.run, undefined, bounded.group);
      expect(bounded.groups.every((names) => names.length <= 2)).to.equal(true);
      expect([...bounded.groups.flat(), ...bounded.singles].sort()).to.deep.equal(['v1', 'v2', 'v3', 'v4', 'v5']);
    });

    it('should fail every view of a group whose round trip failed as a whole, and skip their descendants', async () => {
      const graph = graphOf({ v1: [], v2: [], t: ['v2'], u: [] });
      const g = grouping(graph);
      g.group.run = () => Promise.reject(new Error('connection reset'));
      const results = await schedule(graph.order, graph, 1, g.run, undefined, g.group);
      expect(statuses(results)).to.deep.equal({ v1: 'error', v2: 'error', t: 'skipped (v2)', u: 'success' });
      expect((results.get('v2')!.error as Error).message).to.equal('connection reset');
    });
  });
});
