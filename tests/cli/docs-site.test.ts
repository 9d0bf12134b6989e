/**
 * The docs site as `npm run docs` writes it: a table's rows beside the rows its last run wrote, and a
 * lineage picture with one heading per folder.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DocsData } from '../../runner/src/publish/docs-data.js';
import { createDatabase, type TestDatabase } from '../support/database.js';
import { repoRoot, suiteFolders } from '../support/files.js';
import { runCli } from '../support/cli.js';

/** Two marts and an intermediate view side by side (one longest path from the sources), a mart after the view. */
const files = {
  'models/staging/stg_orders.sql': '{{config materialized="incremental" unique_key="order_id"}}\nselect g as order_id from generate_series(1, 5) as g',
  'models/intermediate/int_orders.sql': '{{config materialized="view" schema="staging"}}\nselect * from {{ref "stg_orders"}}',
  'models/marts/order_count.sql': 'select count(*) as orders from {{ref "stg_orders"}}',
  'models/marts/order_max.sql': 'select max(order_id) as last_order from {{ref "stg_orders"}}',
  'models/marts/order_facts.sql': 'select order_id from {{ref "int_orders"}}',
};

const headings = (svg: string) => [...svg.matchAll(/font-weight="600">([^<]*)</g)].map((m) => m[1]);
const xOf = (svg: string, node: string) => Number(new RegExp(`data-node="${node}"[^>]*transform="translate\\((\\d+)`).exec(svg)![1]);

describe('docs site: rows held and written, one lineage heading per folder', function () {
  this.timeout(120_000);
  let test: TestDatabase;
  let dir: string;
  let data: DocsData;
  let svg: string;
  let printed: string;
  const folder = suiteFolders('sadp-docs-site-');

  before(async () => {
    test = await createDatabase();
    dir = folder(files);
    const cli = (...args: string[]) => runCli([...args, '--project-dir', dir], { DATABASE_URL: test.url });
    for (let run = 0; run < 2; run++) expect((await cli('build-models')).code).to.equal(0);
    const docs = await cli('docs');
    expect(docs.code, docs.stderr).to.equal(0);
    printed = docs.stdout;
    const html = readFileSync(join(dir, 'target', 'docs', 'index.html'), 'utf8');
    data = JSON.parse(/<script type="application\/json" id="docs-data">(.*?)<\/script>/s.exec(html)![1]) as DocsData;
    svg = readFileSync(join(dir, 'target', 'docs', 'lineage.svg'), 'utf8');
  });
  after(async () => {
    await test.drop();
  });

  it('should show the rows a table holds beside the rows its last run wrote', () => {
    const stg = data.nodes.find((n) => n.name === 'stg_orders')!;
    expect(stg.last?.rows, 'the second run merged nothing new').to.equal(0);
    expect(stg.row_count).to.equal(5);
    expect(data.nodes.find((n) => n.name === 'order_count')!.row_count).to.equal(1);
    expect(data.nodes.find((n) => n.name === 'int_orders')!.row_count, 'a view is not counted').to.equal(undefined);
    expect(printed).to.match(/with column types and row counts/);
    const page = readFileSync(join(repoRoot, 'runner', 'templates', 'docs', 'index.html'), 'utf8');
    expect(page).to.include('>rows</th>').and.include('>rows written</th>');
  });

  it('should head the lineage picture once per folder, each model under its own folder', () => {
    expect(headings(svg)).to.deep.equal(['staging', 'intermediate', 'marts']);
    const marts = ['order_count', 'order_max', 'order_facts'].map((n) => xOf(svg, n));
    expect(new Set(marts).size, 'the marts stand in one column').to.equal(1);
    expect(xOf(svg, 'int_orders')).to.be.above(xOf(svg, 'stg_orders')).and.below(marts[0]);
  });

  it('should have one heading per folder in the README\'s lineage picture', () => {
    const shipped = headings(readFileSync(join(repoRoot, 'docs', 'lineage.svg'), 'utf8'));
    expect(shipped).to.deep.equal(['sources', 'staging', 'intermediate', 'snapshots', 'marts']);
  });
});
