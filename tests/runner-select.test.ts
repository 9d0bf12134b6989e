import { expect } from 'chai';
import { rmSync } from 'node:fs';
import { collectingLogger } from '../runner/src/log.js';
import { prepare } from '../runner/src/compile/prepare.js';
import { planNodes } from '../runner/src/dag/select.js';
import { byNode, makeProject, overlaps, readRunResults, runCli, suiteDatabase, type TestDatabase } from './support.js';

/**
 *   stg_a (daily) ─┐
 *                  ├─ int_ab ── fact (daily, finance) ── report
 *   stg_b ─────────┘
 *   lonely (weekly)
 */
const dagFiles: Record<string, string> = {
  'models/staging/stg_a.sql': '{{config tags="daily"}}\nselect 1 as id',
  'models/staging/stg_b.sql': 'select 1 as id',
  'models/marts/int_ab.sql': 'select a.id from {{ref "stg_a"}} as a inner join {{ref "stg_b"}} as b on b.id = a.id',
  'models/marts/fact.sql': '{{config tags="daily finance"}}\nselect id from {{ref "int_ab"}}',
  'models/marts/report.sql': '{{config materialized="view"}}\nselect count(*) as n from {{ref "fact"}}',
  'models/marts/lonely.sql': '{{config tags="weekly"}}\nselect 1 as id',
  // singular tests: pass when they return no rows
  'models/tests/fact_has_ids.sql': 'select id from {{ref "fact"}} where id is null',
  'models/tests/lonely_matches_a.sql': 'select l.id from {{ref "lonely"}} as l left join {{ref "stg_a"}} as a on a.id = l.id where a.id is null',
};

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

describe('runner: --select, --exclude and --threads on the command line', function () {
  this.timeout(60_000);
  let db: TestDatabase;
  const dirs = suiteDatabase((d) => (db = d));

  const relations = async () =>
    (await db.sql`select table_name from information_schema.tables where table_schema in ('staging', 'analytics')`)
      .map((r) => r.table_name as string).sort();
  const builtModels = (dir: string) =>
    readRunResults(dir).results.filter((r) => r.kind === 'model').map((r) => r.node).sort();

  it('should build exactly the selected nodes minus the excluded ones', async () => {
    const dir = makeProject(dagFiles);
    dirs.push(dir);
    const first = await runCli(['build-models', '--project-dir', dir, '--select', '+int_ab tag:weekly', '--exclude', 'fact+'],
      { DATABASE_URL: db.url });
    expect(first.code, first.stderr).to.equal(0);
    expect(builtModels(dir)).to.deep.equal(['int_ab', 'lonely', 'stg_a', 'stg_b']);
    expect(await relations()).to.deep.equal(['int_ab', 'lonely', 'stg_a', 'stg_b']);

    const second = await runCli(['build-models', '--project-dir', dir, '--select', 'int_ab+', '--exclude', 'report'],
      { DATABASE_URL: db.url });
    expect(second.code, second.stderr).to.equal(0);
    expect(builtModels(dir)).to.deep.equal(['fact', 'int_ab']);
    expect(await relations()).to.deep.equal(['fact', 'int_ab', 'lonely', 'stg_a', 'stg_b']);
  });

  describe('two independent slow models', () => {
    let dir: string;
    const slow = 'select 1 as id from (select pg_sleep(1.5)) as pause';

    before(() => {
      dir = makeProject({ 'models/marts/slow_a.sql': slow, 'models/marts/slow_b.sql': slow });
      dirs.push(dir);
    });

    it('should overlap in time with --threads 2', async () => {
      const out = await runCli(['build-models', '--project-dir', dir, '--threads', '2'], { DATABASE_URL: db.url });
      expect(out.code, out.stderr).to.equal(0);
      const results = byNode(readRunResults(dir).results);
      expect(overlaps(results.get('slow_a')!, results.get('slow_b')!)).to.equal(true);
    });

    it('should run one after the other with --threads 1', async () => {
      const out = await runCli(['build-models', '--project-dir', dir, '--threads', '1'], { DATABASE_URL: db.url });
      expect(out.code, out.stderr).to.equal(0);
      const run = readRunResults(dir);
      const results = byNode(run.results);
      expect(overlaps(results.get('slow_a')!, results.get('slow_b')!)).to.equal(false);
      // the database agrees: the second node started after the first one's transaction
      const rows = await db.sql`select node, started_at from meta.node_runs where run_id = ${run.run_id} order by started_at`;
      expect(rows).to.have.length(2);
      expect(rows[1].started_at.getTime() - rows[0].started_at.getTime()).to.be.at.least(1400);
    });
  });
});
