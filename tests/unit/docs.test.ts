import { expect } from 'chai';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { buildDocs } from '../../runner/src/publish/docs.js';
import { orderLayers } from '../../runner/src/publish/docs-svg.js';
import { collectingLogger } from '../../runner/src/log.js';
import { makeProject } from '../support/files.js';

describe('docs without a database', function () {
  let dir: string;
  let saved: string | undefined;

  before(function () {
    saved = process.env.DATABASE_URL;
    delete process.env.DATABASE_URL;
    dir = makeProject({
      'models/sources.yml': 'sources:\n  - name: raw\n    tables:\n      - name: sales\n        description: "Sales files </script><script>alert(1)</script>"\n' +
        '        columns: [sale_id, customer_id]\n      - name: customers\n        columns: [customer_id]\n',
      'models/staging/stg_sales.sql': 'select sale_id::int as sale_id, customer_id::int as customer_id from {{source "raw" "sales"}}\n',
      'models/staging/stg_customers.sql': 'select customer_id::int as customer_id from {{source "raw" "customers"}}\n',
      'models/snapshots/dim_customer.sql': 'select * from {{ref "stg_customers"}}\n',
      'models/marts/fact_sales.sql': 'select * from {{ref "stg_sales"}} join {{ref "dim_customer"}} using (customer_id)\n',
      'models/marts/schema.yml': 'models:\n  - name: fact_sales\n    columns:\n      - name: sale_id\n        description: One sale.\n        tests: [unique]\n',
    }, 'sadp-docs-unit-');
  });

  after(function () {
    if (saved !== undefined) process.env.DATABASE_URL = saved;
    rmSync(dir, { recursive: true, force: true });
  });

  it('should lay out sources, staging, snapshots and marts in layers by longest path', async function () {
    const { data } = await buildDocs({ projectDir: dir, logger: collectingLogger() });
    const layer = Object.fromEntries(data.nodes.map((n) => [n.name, n.layer]));
    expect(layer).to.deep.equal({ 'raw.sales': 0, 'raw.customers': 0, stg_sales: 1, stg_customers: 1, dim_customer: 2, fact_sales: 3 });
    const fact = data.nodes.find((n) => n.name === 'fact_sales')!;
    expect(fact.upstream).to.have.members(['model/stg_sales', 'model/dim_customer']);
    expect(fact.columns).to.deep.equal([{ name: 'sale_id', type: undefined, description: 'One sale.', tests: ['unique'] }]);
    expect(data.nodes.find((n) => n.name === 'raw.sales')!.downstream).to.deep.equal(['model/stg_sales']);
    expect(data.run).to.equal(null);
  });

  it('should write one self-contained page that no description can break out of', async function () {
    await buildDocs({ projectDir: dir, logger: collectingLogger() });
    const html = readFileSync(join(dir, 'target', 'docs', 'index.html'), 'utf8');
    expect(html).not.to.match(/<script[^>]+src=|<link[^>]+href=|@import|url\(http/);
    expect(html.match(/<script/g)).to.have.lengthOf(2);
    expect(html).not.to.include('<script>alert(1)');
    expect(html).to.include('No timed nodes in the last run');
  });

  it('should write the same lineage.svg every time', async function () {
    await buildDocs({ projectDir: dir, logger: collectingLogger() });
    const first = readFileSync(join(dir, 'target', 'docs', 'lineage.svg'), 'utf8');
    await buildDocs({ projectDir: dir, logger: collectingLogger() });
    expect(readFileSync(join(dir, 'target', 'docs', 'lineage.svg'), 'utf8')).to.equal(first);
    expect(first).to.match(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    for (const name of ['raw.sales', 'stg_sales', 'dim_customer', 'fact_sales']) expect(first).to.include(`data-node="${name}"`);
  });

  it('should order a layer so that children sit beside their parents', function () {
    const nodes = [
      { id: 'a', layer: 0, upstream: [], downstream: ['z'] },
      { id: 'b', layer: 0, upstream: [], downstream: ['y'] },
      { id: 'y', layer: 1, upstream: ['b'], downstream: [] },
      { id: 'z', layer: 1, upstream: ['a'], downstream: [] },
    ];
    expect(orderLayers(nodes)).to.deep.equal([['a', 'b'], ['z', 'y']]);
  });
});
