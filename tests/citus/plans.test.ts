import { expect } from 'chai';
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Database } from '../../runner/src/db/connection.js';
import { createClusterDatabase, citusSuite } from '../support/citus.js';
import { runCli } from '../support/cli.js';
import type { TestDatabase } from '../support/database.js';
import { repoProject, suiteFolders } from '../support/files.js';
import { openDatabase, pipeline } from '../support/warehouse.js';

/** The heavy steps of an incremental run, by the statement that does them (relations as the runner names them). */
const steps = {
  'staging dedupe of sales': /^insert into "staging"\."stg_sales__sadp_src_\d+"/,
  'staging dedupe of customer updates': /^insert into "staging"\."stg_customers_updates__sadp_src_\d+"/,
  'snapshot: events of the affected customers': /^insert into "analytics"\."dim_customer__events_\d+"/,
  'snapshot: versions recomputed': /^insert into "analytics"\."dim_customer__versions_\d+"/,
  'snapshot: reconcile (versions gone)': /^delete from "analytics"\."dim_customer"/,
  'snapshot: reconcile (versions changed)': /^update "analytics"\."dim_customer"/,
  'snapshot: reconcile (new versions)': /^insert into "analytics"\."dim_customer" \("customer_id"/,
  'fact: point-in-time join': /^insert into "analytics"\."fact_sales__sadp_src_\d+"/,
  'fact: merge (insert)': /^insert into "analytics"\."fact_sales" \(/,
  'fact: merge (replaced sales)': /^delete from "analytics"\."fact_sales"/,
  'repartition: typed sales by sale_id': /^insert into "staging"\."stg_sales__sadp_w0_\d+"/,
  'repartition: new sales by customer_id': /^insert into "analytics"\."fact_sales__sadp_w0_\d+"/,
};
type Step = keyof typeof steps;

/** What shows that a plan moved rows through the coordinator or between workers. */
const pulled = /Distributed Subplan|intermediate_result|repartition|pull to coordinator|via coordinator/i;

/**
 * The work runs on the workers: EXPLAIN of each heavy step of an incremental run, read inside the node's
 * transaction just before the step runs. Each must run as tasks on both workers; the staging dedupe,
 * the snapshot and the fact's point-in-time join and merge insert must not move rows through the
 * coordinator or between workers. The only moves are the two {{#repartition}} blocks (records to the
 * shards of their id), the merge's lookup of replaced sales by key (a sale may change customer), and
 * the new versions of dim_customer, whose surrogate keys come from a sequence on the coordinator.
 */
describe('citus: the heavy steps run as tasks on both workers (EXPLAIN)', function () {
  citusSuite(this);
  this.timeout(600_000);
  const folders = suiteFolders('sadp-citus-plans-');
  let cluster: TestDatabase;
  let db: Database;
  let workerPorts: string[];
  const plans = new Map<Step, string>();

  before(async () => {
    const landing = folders();
    const later = folders();
    for (const g of await Promise.all([runCli(['generate-data', '--out', landing]),
      runCli(['generate-data', '--out', later, '--seed', '7', '--update-batches', '2'])])) expect(g.code, g.stderr).to.equal(0);
    cluster = await createClusterDatabase();
    db = await openDatabase(cluster.url);
    workerPorts = (await cluster.sql`select nodeport::text as port from pg_dist_node where groupid <> 0 order by 1`).map((r) => r.port);
    await pipeline(db, landing, { projectDir: repoProject() });
    // a later delivery: customer updates (some late) and sales, new ones and corrections
    const update = readdirSync(later).filter((f) => f.startsWith('customers_updates_')).sort()[0];
    copyFileSync(join(later, update), join(landing, update.replace('customers_updates_', 'customers_updates_x_')));
    const sales = readFileSync(join(later, 'sales.csv'), 'utf8').split('\n');
    writeFileSync(join(landing, 'sales_2026-01.csv'), [sales[0], ...sales.slice(1, 3001).map((l) => l.replace(/^(\d+)/, (id) =>
      (Number(id) % 2 ? Number(id) + 100_000 : Number(id)).toString()))].join('\n') + '\n');
    await pipeline(db, landing, {
      projectDir: repoProject(),
      beforeStatement: async (_node, statement, conn) => {
        const step = (Object.keys(steps) as Step[]).find((s) => steps[s].test(statement));
        if (!step) return;
        await conn.unsafe('set local citus.explain_all_tasks to on');
        const rows = await conn.unsafe(`explain (costs off) ${statement}`) as unknown as { 'QUERY PLAN': string }[];
        plans.set(step, rows.map((r) => r['QUERY PLAN']).join('\n'));
        if (process.env.SHOW_PLANS) console.log(`=== ${step}\n${plans.get(step)}`);
      },
    });
  });
  after(async () => {
    await db?.close();
    await cluster?.drop();
  });

  const onBothWorkers = (plan: string) => workerPorts.every((port) => new RegExp(`Node: host=\\S+ port=${port} `).test(plan));

  for (const step of ['staging dedupe of sales', 'staging dedupe of customer updates', 'snapshot: events of the affected customers',
    'snapshot: versions recomputed', 'snapshot: reconcile (versions gone)', 'snapshot: reconcile (versions changed)',
    'fact: point-in-time join', 'fact: merge (insert)'] as Step[]) {
    it(`should run the ${step} shard by shard on both workers, moving no rows`, () => {
      const plan = plans.get(step);
      expect(plan, `no plan read for ${step}`).to.be.a('string');
      expect(onBothWorkers(plan!), plan).to.equal(true);
      expect(plan).to.not.match(pulled);
    });
  }

  it('should move the typed sales and the new sales to their shards worker to worker (the repartition blocks)', () => {
    for (const step of ['repartition: typed sales by sale_id', 'repartition: new sales by customer_id'] as Step[]) {
      const plan = plans.get(step)!;
      expect(plan, step).to.match(/INSERT\/SELECT method: repartition/);
      expect(onBothWorkers(plan), plan).to.equal(true);
    }
  });

  it('should find the new versions on both workers, and draw their surrogate keys on the coordinator', () => {
    // Citus evaluates a sequence's nextval (the identity of customer_key) on the coordinator
    const plan = plans.get('snapshot: reconcile (new versions)')!;
    expect(onBothWorkers(plan), plan).to.equal(true);
    expect(plan).to.match(/INSERT\/SELECT method: pull to coordinator/);
  });

  it('should delete the sales a merge replaces on both workers, finding them by key', () => {
    const plan = plans.get('fact: merge (replaced sales)')!;
    expect(onBothWorkers(plan), plan).to.equal(true);
  });
});
