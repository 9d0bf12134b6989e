import { expect } from 'chai';
import { rmSync } from 'node:fs';
import { collectingLogger } from '../../runner/src/log.js';
import { prepare } from '../../runner/src/compile/prepare.js';
import { planNodes } from '../../runner/src/dag/select.js';
import { makeProject } from '../support/files.js';
import { dagFiles } from '../support/projects.js';

describe('runner: selecting nodes', function () {
  this.timeout(60_000);
  let dir: string;
  let plan: (select?: string, exclude?: string) => string[];

  before(() => {
    dir = makeProject(dagFiles);
    const { compiled, graph } = prepare(dir, collectingLogger());
    plan = (select, exclude) => planNodes(compiled.nodes, graph, select, exclude);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const sorted = (names: string[]) => [...names].sort();

  it('should plan every node in DAG order when nothing is selected', () => {
    const all = plan();
    expect(sorted(all)).to.deep.equal(['fact', 'fact_has_ids', 'int_ab', 'lonely', 'lonely_matches_a', 'report', 'stg_a', 'stg_b']);
    for (const [child, parent] of [['int_ab', 'stg_a'], ['int_ab', 'stg_b'], ['fact', 'int_ab'], ['report', 'fact'],
      ['fact_has_ids', 'fact'], ['lonely_matches_a', 'lonely'], ['lonely_matches_a', 'stg_a']]) {
      expect(all.indexOf(parent)).to.be.below(all.indexOf(child));
    }
  });

  it('should select a node by name alone, with the singular tests that read it', () => {
    expect(plan('fact')).to.deep.equal(['fact', 'fact_has_ids']);
    expect(plan('stg_b')).to.deep.equal(['stg_b']);
  });

  it('should add every upstream node with +name', () => {
    expect(sorted(plan('+fact'))).to.deep.equal(['fact', 'fact_has_ids', 'int_ab', 'lonely_matches_a', 'stg_a', 'stg_b']);
  });

  it('should add every downstream node with name+', () => {
    expect(sorted(plan('int_ab+'))).to.deep.equal(['fact', 'fact_has_ids', 'int_ab', 'report']);
  });

  it('should select both directions with +name+', () => {
    expect(sorted(plan('+int_ab+'))).to.deep.equal(['fact', 'fact_has_ids', 'int_ab', 'lonely_matches_a', 'report', 'stg_a', 'stg_b']);
  });

  it('should select by tag', () => {
    expect(sorted(plan('tag:daily'))).to.deep.equal(['fact', 'fact_has_ids', 'lonely_matches_a', 'stg_a']);
    expect(plan('tag:finance')).to.deep.equal(['fact', 'fact_has_ids']);
  });

  it('should take the union of several items separated by spaces or commas', () => {
    expect(sorted(plan('stg_b lonely tag:finance'))).to.deep.equal(['fact', 'fact_has_ids', 'lonely', 'lonely_matches_a', 'stg_b']);
    expect(sorted(plan('stg_b,report'))).to.deep.equal(['report', 'stg_b']);
  });

  it('should remove the excluded nodes from the selection, singular tests included', () => {
    expect(sorted(plan('+fact', 'stg_b'))).to.deep.equal(['fact', 'fact_has_ids', 'int_ab', 'lonely_matches_a', 'stg_a']);
    expect(sorted(plan(undefined, 'int_ab+'))).to.deep.equal(['lonely', 'lonely_matches_a', 'stg_a', 'stg_b']);
    expect(sorted(plan(undefined, 'tag:daily lonely'))).to.deep.equal(['int_ab', 'report', 'stg_b']);
    expect(plan('fact', 'fact_has_ids')).to.deep.equal(['fact']);
  });

  it('should refuse a selection that leaves nothing to run', () => {
    expect(() => plan('fact', 'fact fact_has_ids')).to.throw(/the selection leaves no model to run \(--select fact --exclude fact fact_has_ids\)/);
  });

  it('should reject an unknown name and suggest the closest', () => {
    expect(() => plan('fakt')).to.throw(/no model named "fakt".*did you mean "fact"/);
    expect(() => plan('tag:dayly')).to.throw(/did you mean "daily"/);
  });
});
