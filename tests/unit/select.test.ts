import { expect } from 'chai';
import { rmSync } from 'node:fs';
import { collectingLogger } from '../../runner/src/log.js';
import { planRun, prepare } from '../../runner/src/compile/prepare.js';
import { planNodes } from '../../runner/src/dag/select.js';
import { makeProject, suiteFolders } from '../support/files.js';
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

  it('should select by path, a folder or one file, with the singular tests that read them', () => {
    expect(sorted(plan('path:models/staging'))).to.deep.equal(['lonely_matches_a', 'stg_a', 'stg_b']);
    expect(sorted(plan('path:models/staging/'))).to.deep.equal(['lonely_matches_a', 'stg_a', 'stg_b']);
    expect(plan('path:models/marts/fact.sql')).to.deep.equal(['fact', 'fact_has_ids']);
    // a folder is a whole path segment
    expect(() => plan('path:models/mart')).to.throw('selector "path:models/mart" matches no model');
  });

  it('should select by materialization, and combine it with + like a name', () => {
    expect(sorted(plan('materialized:view'))).to.deep.equal(['lonely_matches_a', 'report', 'stg_a', 'stg_b']);
    expect(sorted(plan('materialized:table', 'lonely'))).to.deep.equal(['fact', 'fact_has_ids', 'int_ab']);
    expect(sorted(plan('+materialized:view', 'path:models/staging'))).to.deep.equal(['fact', 'fact_has_ids', 'int_ab', 'report']);
  });

  it('should refuse an unknown selector method or an empty selection as bad usage (exit code 2)', () => {
    expect(() => plan('tags:daily')).to.throw('unknown selector method "tags:" in "tags:daily"; use tag:, path: or materialized:')
      .with.property('exitCode', 2);
    expect(() => plan(undefined, 'path:models')).to.throw(/the selection leaves no model to run \(--exclude path:models\)/)
      .with.property('exitCode', 2);
  });
});

describe('runner: the nodes each command plans', () => {
  const folder = suiteFolders('sadp-select-');
  let prepared: ReturnType<typeof prepare>;

  before(() => {
    prepared = prepare(folder({
      'models/staging/stg_customers.sql': 'select 1 as customer_id, now() as updated_at',
      'models/snapshots/customer_history.sql': '{{config unique_key="customer_id" updated_at="updated_at"}}\nselect * from {{ref "stg_customers"}}',
      'models/marts/dim_customer.sql': 'select * from {{ref "customer_history"}}',
      'models/marts/dim_store.sql': 'select 1 as store_id',
    }), collectingLogger());
  });

  it('should plan the snapshots and what they read for snapshot, and every node for build-models', () => {
    expect(planRun(prepared, 'snapshot')).to.deep.equal(['stg_customers', 'customer_history']);
    expect(planRun(prepared, 'snapshot', 'customer_history')).to.deep.equal(['customer_history']);
    expect([...planRun(prepared, 'build-models')].sort()).to.deep.equal(['customer_history', 'dim_customer', 'dim_store', 'stg_customers']);
    expect(planRun(prepared, 'build-models', 'dim_store')).to.deep.equal(['dim_store']);
  });

  it('should plan no node for ingest, whatever is selected', () => {
    expect(planRun(prepared, 'ingest', 'dim_store')).to.deep.equal([]);
  });
});
