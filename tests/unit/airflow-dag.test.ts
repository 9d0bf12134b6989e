import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { airflowDag, type ManifestLike } from '../../runner/src/publish/airflow.js';
import { manifestOf } from '../../runner/src/publish/manifest.js';
import { collectingLogger } from '../../runner/src/log.js';
import { prepare } from '../../runner/src/compile/prepare.js';
import { repoProject, repoRoot } from '../support/files.js';

const dagFile = join('airflow', 'dags', 'sales_analytics_pipeline_dag.py');

describe('airflow DAG', function () {
  it('should match the committed DAG of this repository (regenerate: npm run airflow-dag)', function () {
    const { compiled, graph } = prepare(repoProject(), collectingLogger());
    const fresh = airflowDag(JSON.parse(JSON.stringify(manifestOf(compiled, graph, repoProject()))) as ManifestLike);
    const committed = readFileSync(join(repoRoot, dagFile), 'utf8');
    expect(committed, `${dagFile} is stale: run npm run airflow-dag and commit it`).to.equal(fresh);
  });
});
