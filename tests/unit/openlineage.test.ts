import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lineageEmitter, splitRelation, uuidFor } from '../../runner/src/publish/openlineage.js';

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('openlineage', function () {
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'sadp-ol-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const read = (file: string) => readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line));

  it('should do nothing without a file', function () {
    const emitter = lineageEmitter(undefined, { namespace: 'postgres://db:5432', db: 'analytics' });
    emitter.run('START', 1);
    emitter.node('COMPLETE', 1, { name: 'x', inputs: [], output: 'analytics.x' });
    expect(existsSync(join(dir, 'none.jsonl'))).to.equal(false);
  });

  it('should append one run event per line, START and COMPLETE sharing a UUID run id', function () {
    const file = join(dir, 'nested', 'run.jsonl');
    const emitter = lineageEmitter(file, { namespace: 'postgres://db:5432', db: 'shop', jobNamespace: 'sales' });
    emitter.run('START', 7);
    emitter.run('COMPLETE', 7);
    const [start, complete] = read(file);
    expect(start.eventType).to.equal('START');
    expect(complete.eventType).to.equal('COMPLETE');
    expect(start.run.runId).to.match(uuid).and.equal(complete.run.runId);
    expect(start.job).to.deep.include({ namespace: 'sales', name: 'pipeline' });
    expect(Date.parse(start.eventTime)).to.be.closeTo(Date.now(), 60_000);
    expect(start.schemaURL).to.match(/^https:\/\/openlineage\.io\/spec\/2-0-2\/OpenLineage\.json/);
    expect(start.producer).to.be.a('string').and.not.be.empty;
  });

  it('should name each node\'s datasets db.schema.table in the postgres namespace, with the pipeline run as parent', function () {
    const file = join(dir, 'nodes.jsonl');
    const emitter = lineageEmitter(file, { namespace: 'postgres://db:5432', db: 'shop', jobNamespace: 'sales' });
    const node = { name: 'fact_sales', inputs: ['"staging"."stg_sales"', 'analytics.dim_customer', 'staging.stg_sales'], output: '"analytics"."fact_sales"' };
    emitter.node('START', 7, node);
    emitter.node('COMPLETE', 7, node);
    emitter.node('FAIL', 8, { ...node, message: 'division by zero' });
    const [start, complete, fail] = read(file);
    expect(start.inputs).to.deep.equal([
      { namespace: 'postgres://db:5432', name: 'shop.analytics.dim_customer' },
      { namespace: 'postgres://db:5432', name: 'shop.staging.stg_sales' },
    ]);
    expect(start.outputs).to.deep.equal([{ namespace: 'postgres://db:5432', name: 'shop.analytics.fact_sales' }]);
    expect(start.job.name).to.equal('pipeline.fact_sales');
    expect(start.run.runId).to.match(uuid).and.equal(complete.run.runId);
    expect(start.run.facets.parent.run.runId).to.equal(uuidFor('postgres://db:5432/shop#run=7'));
    expect(start.run.facets.parent.job).to.deep.equal({ namespace: 'sales', name: 'pipeline' });
    expect(fail.run.runId).not.to.equal(start.run.runId);
    expect(fail.run.facets.errorMessage.message).to.equal('division by zero');
    expect(start.run.facets.errorMessage).to.equal(undefined);
  });

  it('should keep a UUID run id as it is', function () {
    const file = join(dir, 'uuid.jsonl');
    lineageEmitter(file, { namespace: 'postgres://db:5432', db: 'shop' }).run('START', '0190A1B2-C3D4-7E5F-8A9B-0C1D2E3F4A5B');
    expect(read(file)[0].run.runId).to.equal('0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b');
  });

  it('should warn once and go on when the file cannot be written', function () {
    const warnings: string[] = [];
    const emitter = lineageEmitter(join(dir, 'uuid.jsonl', 'not-a-dir', 'x.jsonl'), { namespace: 'n', db: 'd', warn: (m) => warnings.push(m) });
    emitter.run('START', 1);
    emitter.run('COMPLETE', 1);
    expect(warnings).to.have.lengthOf(1);
    expect(warnings[0]).to.include('cannot write OpenLineage events');
  });

  it('should split quoted and plain relation names', function () {
    expect(splitRelation('"staging"."stg_sales"')).to.deep.equal(['staging', 'stg_sales']);
    expect(splitRelation('raw.sales')).to.deep.equal(['raw', 'sales']);
    expect(splitRelation('"odd.schema"."a ""b"""')).to.deep.equal(['odd.schema', 'a "b"']);
  });
});
