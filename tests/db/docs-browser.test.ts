import { expect } from 'chai';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { buildDocs } from '../../runner/src/publish/docs.js';
import { collectingLogger } from '../../runner/src/log.js';
import { runPipeline } from '../../runner/src/run/pipeline.js';
import { makeProject, writeFiles } from '../support/files.js';
import { createDatabase, type TestDatabase } from '../support/database.js';

const chromiumPath = '/usr/bin/chromium';

/** A small project with every layer: staging views, an ephemeral model, marts tables, a singular test. */
const docsFixture: Record<string, string> = {
  'models/staging/stg_customers.sql':
    "select * from (values (1, 'Ada', 'gold'), (2, 'Bob', 'silver'), (3, 'Cy', null)) as customers (customer_id, customer_name, tier)\n",
  'models/staging/stg_orders.sql':
    'select order_id, customer_id, amount::numeric(12,2) as amount\n' +
    'from (values (10, 1, 5.5), (11, 1, 7.25), (12, 2, 3)) as orders (order_id, customer_id, amount)\n',
  'models/intermediate/int_orders_by_customer.sql':
    'select customer_id, count(*) as order_count, sum(amount) as total_amount\nfrom {{ref "stg_orders"}}\ngroup by customer_id\n',
  'models/marts/dim_customers.sql':
    'with customers as (select * from {{ref "stg_customers"}}),\norders as (select * from {{ref "int_orders_by_customer"}})\n' +
    'select customers.customer_id, customers.customer_name, coalesce(orders.order_count, 0) as order_count\n' +
    'from customers left join orders on orders.customer_id = customers.customer_id\n',
  // slow on purpose, so that the timeline has a clear slowest node
  'models/marts/fact_orders.sql':
    'select orders.order_id, orders.customer_id, orders.amount, pg_sleep(0.1) is not null as is_slept\n' +
    'from {{ref "stg_orders"}} as orders\ninner join {{ref "dim_customers"}} as customers on customers.customer_id = orders.customer_id\n',
  'models/tests/assert_positive_amounts.sql': 'select * from {{ref "fact_orders"}} where amount <= 0\n',
  'models/marts/schema.yml': [
    'models:',
    '  - name: fact_orders',
    '    description: "One row per order. <b>not bold</b>"',
    '    columns:',
    '      - name: order_id',
    '        description: The order.',
    '        tests: [unique, not_null]',
    '      - name: customer_id',
    '        tests:',
    '          - relationships: {to: dim_customers, field: customer_id}',
    '  - name: dim_customers',
    '    description: Customers with their order counts.',
    '    columns:',
    '      - name: customer_id',
    '        tests: [unique]',
    '',
  ].join('\n'),
};

describe('docs site in a browser', function () {
  let db: TestDatabase | undefined;
  let dir: string;
  let browser: Browser | undefined;
  let page: Page;
  const requests: string[] = [];
  const pageErrors: string[] = [];

  before(async function () {
    if (!existsSync(chromiumPath)) {
      console.warn(`    skipping the docs browser test: no Chromium at ${chromiumPath} (apt-get install -y chromium)`);
      this.skip();
    }
    db = await createDatabase();
    dir = makeProject(docsFixture, 'sadp-docs-');
    const summary = await runPipeline({ projectDir: dir, command: 'build-models', databaseUrl: db.url, threads: 2, logger: collectingLogger() });
    expect(summary.status, JSON.stringify(summary.results)).to.equal('success');
    // declared after the build (ingestion is not what this suite is about): a source and a model that reads it
    writeFiles(dir, {
      'models/sources.yml': 'sources:\n  - name: raw\n    tables:\n      - name: payments\n        description: Landed payment files.\n' +
        '        columns: [payment_id, order_id, paid_amount]\n',
      'models/staging/stg_payments.sql': 'select payment_id::int as payment_id, order_id::int as order_id from {{source "raw" "payments"}}\n',
    });
    await buildDocs({ projectDir: dir, logger: collectingLogger(), databaseUrl: db.url });

    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
    page.on('request', (r) => requests.push(r.url()));
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    page.on('console', (m) => { if (m.type() === 'error') pageErrors.push(m.text()); });
    await page.goto(pathToFileURL(join(dir, 'target', 'docs', 'index.html')).href);
  });

  after(async function () {
    await browser?.close();
    await db?.drop();
    if (dir && !process.env.KEEP_DOCS_FIXTURE) rmSync(dir, { recursive: true, force: true });
  });

  it('should draw every node of the manifest, and the sources, in the lineage graph', async function () {
    const manifest = JSON.parse(readFileSync(join(dir, 'target', 'manifest.json'), 'utf8')) as { nodes: Record<string, unknown>; sources: Record<string, unknown> };
    const seen = await page.$$eval('#lineage g.node', (els) => els.map((e) => e.getAttribute('data-node')));
    const names = Object.keys(manifest.nodes);
    console.log(`      graph nodes seen: ${seen.length}; manifest nodes: ${names.length} + sources: ${Object.keys(manifest.sources).length}`);
    expect(seen).to.include.members(names);
    expect(seen).to.include('raw.payments');
    expect(seen).to.have.lengthOf(names.length + Object.keys(manifest.sources).length);
    for (const name of names) expect(await page.isVisible(`#lineage g.node[data-node="${name}"]`), name).to.equal(true);
  });

  it('should lay the graph out left to right from the sources to the marts', async function () {
    const x = async (name: string) => (await page.locator(`#lineage g.node[data-node="${name}"]`).boundingBox())!.x;
    expect(await x('raw.payments')).to.be.below(await x('stg_payments'));
    expect(await x('stg_orders')).to.be.below(await x('int_orders_by_customer'));
    expect(await x('int_orders_by_customer')).to.be.below(await x('dim_customers'));
    expect(await x('dim_customers')).to.be.below(await x('fact_orders'));
  });

  it('should show a model\'s page when its node is clicked', async function () {
    await page.click('#lineage g.node[data-node="fact_orders"]');
    await page.waitForFunction(() => location.hash === '#/model/fact_orders');
    expect(await page.textContent('#page h2')).to.equal('fact_orders');
    const pageText = (await page.textContent('#page'))!;
    expect(pageText).to.include('One row per order. <b>not bold</b>'); // shown as text, not markup
    expect(await page.locator('#page .desc b').count()).to.equal(0);
    const columns = await page.$$eval('#page table.columns tbody tr', (rows) => rows.map((r) =>
      [...r.querySelectorAll('td')].map((td) => td.textContent)));
    expect(columns).to.deep.include(['order_id', 'integer', 'The order.', 'unique, not_null']);
    expect(columns).to.deep.include(['amount', 'numeric(12,2)', '', '']);
    const tests = await page.$$eval('#page table.tests tbody tr', (rows) => rows.map((r) => r.textContent));
    expect(tests.some((t) => t!.includes('unique_fact_orders_order_id') && t!.includes('pass'))).to.equal(true);
    expect(tests.some((t) => t!.includes('assert_positive_amounts') && t!.includes('pass'))).to.equal(true);
    expect(await page.textContent('#page pre.sql')).to.include('"analytics"."dim_customers"');
    expect(await page.getAttribute('#lineage g.node[data-node="fact_orders"]', 'class')).to.include('selected');
    await page.screenshot({ path: join(dir, 'target', 'docs', 'screenshot.png'), fullPage: true });
    expect(statSync(join(dir, 'target', 'docs', 'screenshot.png')).size).to.be.above(10_000);

    await page.click('#page a[href="#/model/dim_customers"]');
    await page.waitForFunction(() => document.querySelector('#page h2')?.textContent === 'dim_customers');
    expect(await page.textContent('#page')).to.include('Customers with their order counts.');
  });

  it('should show a source\'s page with the models that read it', async function () {
    await page.click('#lineage g.node[data-node="raw.payments"]');
    await page.waitForFunction(() => location.hash === '#/source/raw.payments');
    expect(await page.textContent('#page')).to.include('Landed payment files.');
    expect(await page.locator('#page a[href="#/model/stg_payments"]').count()).to.equal(1);
  });

  it('should show the last run as one bar per built node, the slowest marked', async function () {
    const bars = await page.$$eval('#timeline g.bar', (els) => els.map((e) => e.getAttribute('data-node')));
    expect(bars).to.have.members(['stg_customers', 'stg_orders', 'dim_customers', 'fact_orders']);
    expect(await page.getAttribute('#timeline g.bar.slowest', 'data-node')).to.equal('fact_orders');
  });

  it('should need nothing but the file itself', async function () {
    expect(requests.filter((u) => !u.startsWith('file:') && !u.startsWith('data:'))).to.deep.equal([]);
    expect(pageErrors).to.deep.equal([]);
  });
});
