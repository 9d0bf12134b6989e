import { expect } from 'chai';
import { ancestors, buildGraph, collapseGraph, descendants } from '../../runner/src/dag/graph.js';
import { dagOf } from '../support/graphs.js';

describe('graph: the DAG of models', () => {
  it('should order every node after the nodes it refers to, the same way on every run', () => {
    //   m ── a ── z        q
    //         \── b ──/
    const nodes = dagOf({ z: ['a', 'b'], a: ['m'], b: ['m', 'a'], m: [], q: [] });
    const graph = buildGraph(nodes);
    expect(graph.order).to.deep.equal(['m', 'a', 'b', 'q', 'z']);
    expect(buildGraph(dagOf({ q: [], b: ['m', 'a'], m: [], a: ['m'], z: ['a', 'b'] })).order).to.deep.equal(graph.order);
    expect(graph.parents.get('z')).to.deep.equal(['a', 'b']);
    expect(graph.children.get('m')).to.have.members(['a', 'b']);
    expect(graph.children.get('q')).to.deep.equal([]);
  });

  it('should leave refs to unknown models out of the graph (compile reports them)', () => {
    const graph = buildGraph(dagOf({ a: ['gone'] }));
    expect(graph.order).to.deep.equal(['a']);
    expect(graph.parents.get('a')).to.deep.equal([]);
  });

  it('should refuse a cycle with exit code 2, printing the cycle and its files', () => {
    const nodes = dagOf({ a: ['c'], b: ['a'], c: ['b'], d: [] });
    expect(() => buildGraph(nodes)).to.throw('dependency cycle: a -> c -> b -> a (models/a.sql, models/c.sql, models/b.sql); remove one of these refs')
      .with.property('exitCode', 2);
  });

  it('should print the cycle alone, not the path that led to it', () => {
    expect(() => buildGraph(dagOf({ a: ['b'], b: ['c'], c: ['b'] }))).to.throw(/dependency cycle: b -> c -> b \(/);
    expect(() => buildGraph(dagOf({ self: ['self'] }))).to.throw(/dependency cycle: self -> self \(models\/self\.sql\)/);
  });

  it('should give the ancestors and descendants of a node', () => {
    const graph = buildGraph(dagOf({ z: ['a', 'b'], a: ['m'], b: ['m'], m: [], q: [] }));
    expect([...ancestors(graph, 'z')].sort()).to.deep.equal(['a', 'b', 'm']);
    expect([...descendants(graph, 'm')].sort()).to.deep.equal(['a', 'b', 'z']);
    expect([...ancestors(graph, 'q')]).to.deep.equal([]);
  });

  it('should collapse the graph through ephemeral nodes: their parents become the real ones', () => {
    //   a ── e1 ── e2 ── b        a ── b
    //    \───────────────/   →     \── c
    //   a ── e1 ── c
    const graph = buildGraph(dagOf({ a: [], e1: ['a'], e2: ['e1'], b: ['e2', 'a'], c: ['e1'], lone: ['e3'], e3: [] }));
    const kept = collapseGraph(graph, new Set(['a', 'b', 'c', 'lone']));
    expect(kept.order).to.deep.equal(graph.order.filter((n) => ['a', 'b', 'c', 'lone'].includes(n)));
    expect(kept.parents.get('b')).to.deep.equal(['a']);
    expect(kept.parents.get('c')).to.deep.equal(['a']);
    expect(kept.parents.get('lone')).to.deep.equal([]);
    expect(kept.children.get('a')).to.have.members(['b', 'c']);
    expect(kept.parents.has('e1')).to.equal(false);
  });
});
