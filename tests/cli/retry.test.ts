import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { byNode, readRunResults, suiteProject } from '../support/cli.js';

const files = {
  'models/marts/base.sql': '{{config materialized="table"}}\nselect 1 as id, {{var "amount" default="10"}} as amount',
  'models/marts/broken.sql': '{{config materialized="table"}}\nselect id, amount / 0 as ratio from {{ref "base"}}',
  'models/marts/after_broken.sql': '{{config materialized="table"}}\nselect * from {{ref "broken"}}',
  'models/marts/other.sql': '{{config materialized="table"}}\nselect id from {{ref "base"}}',
  'models/marts/schema.yml': 'models:\n  - name: other\n    columns:\n      - name: id\n        tests:\n          - accepted_values: {values: [2]}\n',
};

describe('retry: run again what failed or was skipped in the last run', function () {
  this.timeout(120_000);
  const suite = suiteProject(files, 'sadp-retry-');
  const { cli } = suite;

  it('should say there is no last run to retry (exit 2)', async () => {
    const out = await cli('retry');
    expect(out.code).to.equal(2);
    expect(out.stderr).to.include('no last run to retry: target/run_results.json is missing; run build-models first');
  });

  it('should run again the failed node, the nodes it skipped and the model of a failed test, with the same flags', async () => {
    const first = await cli('build-models', '--vars', '{"amount": 20}');
    expect(first.code).to.equal(1);
    const before = byNode(readRunResults(suite.dir).results);
    expect(before.get('broken')!.status).to.equal('error');
    expect(before.get('after_broken')!.status).to.equal('skipped');
    expect(before.get('accepted_values_other_id')!.status).to.equal('fail');
    // the fixes: the model no longer divides by zero, the test accepts what the model holds
    writeFileSync(join(suite.dir, 'models', 'marts', 'broken.sql'), '{{config materialized="table"}}\nselect id, amount as ratio from {{ref "base"}}');
    writeFileSync(join(suite.dir, 'models', 'marts', 'schema.yml'), files['models/marts/schema.yml'].replace('[2]', '[1]'));
    const out = await cli('retry');
    expect(out.code, out.stdout + out.stderr).to.equal(0);
    const retried = /retrying 3 node\(s\) of the last run \(run 1, build-models\): (.*)/.exec(out.stdout);
    expect(retried?.[1].split(' ').sort()).to.deep.equal(['after_broken', 'broken', 'other']);
    const results = readRunResults(suite.dir).results;
    expect(results.filter((r) => r.kind === 'model').map((r) => r.node).sort()).to.deep.equal(['after_broken', 'broken', 'other']);
    expect(byNode(results).get('accepted_values_other_id')!.status).to.equal('pass');
    // the same --vars as the run it retries
    expect((await suite.db.sql`select ratio from analytics.after_broken`)[0].ratio).to.equal(20);
  });

  it('should say there is nothing to retry when the last run succeeded', async () => {
    const out = await cli('retry');
    expect(out.code, out.stderr).to.equal(0);
    expect(out.stdout).to.equal('nothing to retry: the last run (run 2, build-models) succeeded\n');
  });
});
