/**
 * The fact's re-pointing as a property: random customer histories landed in random batches and orders
 * (the events of tests/support/scd2-property.ts), beside sales at, between, before and after the events'
 * times. After every incremental run each sale's customer_key is the version in effect at its time, as
 * the rule says it from dim_customer as it stands then (DESIGN.md §6: the version whose [start, end)
 * holds the sale; before the first version, the first; no history at all, -1); and --full-refresh gives
 * every sale the same version. Run against PostgreSQL (tests/db).
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Database } from '../../runner/src/db/connection.js';
import { customerCsv, type CustomerEvent } from './scd2-reference.js';
import { scenario } from './scd2-property.js';
import { pipeline, resetWarehouse } from './warehouse.js';

// the events' times and the moments around them; customer 5 never has an event
const saleTimes = ['2024-12-31 23:00:00', '2025-01-01 00:00:00', '2025-01-03 00:00:00', '2025-01-05 12:00:00',
  '2025-01-20 00:00:00', '2025-02-01 08:30:00', '2025-03-10 23:59:59', '2025-04-01 00:00:00', '2025-06-30 06:00:00',
  '2025-08-01 00:00:00'];

function salesCsv(fromId: number, times: string[]): string {
  const rows = ['sale_id,customer_id,product_id,store_id,sale_timestamp,quantity,revenue'];
  let id = fromId;
  for (let customer = 1; customer <= 5; customer++) {
    for (const at of times) rows.push(`${id++},${customer},1,1,${at},1,1.00`);
  }
  return rows.join('\n') + '\n';
}

/** Sales whose customer_key is not the version the rule gives them from dim_customer as it stands. */
const misplaced = (db: Database) => db.sql`
  with versions as (
    select customer_key, customer_id, effective_start_date, effective_end_date,
           row_number() over (partition by customer_id order by effective_start_date) = 1 as is_first
    from analytics.dim_customer where customer_key <> -1
  )
  select s.sale_id::int, f.customer_key::int as got,
         coalesce((select v.customer_key from versions as v
                   where v.customer_id = s.customer_id
                     and (s.sale_timestamp >= v.effective_start_date or v.is_first)
                     and (s.sale_timestamp < v.effective_end_date or v.effective_end_date is null)), -1)::int as expected
  from staging.stg_sales as s
  left join analytics.fact_sales as f on f.sale_id = s.sale_id
  where f.customer_key is distinct from coalesce((select v.customer_key from versions as v
                   where v.customer_id = s.customer_id
                     and (s.sale_timestamp >= v.effective_start_date or v.is_first)
                     and (s.sale_timestamp < v.effective_end_date or v.effective_end_date is null)), -1)
  order by 1`;

/** Each sale with the start of the version it points to (surrogate keys differ between builds). */
const pointing = (db: Database) => db.sql`
  select f.sale_id::int, f.customer_id::int, to_char(d.effective_start_date, 'YYYY-MM-DD HH24:MI:SS') as version_start
  from analytics.fact_sales as f left join analytics.dim_customer as d on d.customer_key = f.customer_key
  order by 1`;

/** The property's test, `runs` times, on the warehouse `db()` with landing folders from `landingDir()`. */
export function factRepointProperty(db: () => Database, landingDir: () => string, runs: number) {
  it(`should give every sale its version after every run, for ${runs} random histories, batches and orders`, async () => {
    await fc.assert(fc.asyncProperty(scenario, fc.nat(5), async ({ files, order, splits, reruns }, lateSales) => {
      await resetWarehouse(db());
      const dir = landingDir();
      const byName = new Map<string, Omit<CustomerEvent, 'file' | 'line'>[]>();
      for (const [name, evs] of files) byName.set(name, [...(byName.get(name) ?? []), ...evs.map((e) => ({ ...e, at: e.time }))]);
      const it = order[Symbol.iterator]();
      const names = [...byName.keys()].map((n) => ({ n, k: it.next().value as number })).sort((a, b) => a.k - b.k).map((x) => x.n);
      // the sales land with the first batch; more sales (of the same customers) with batch `lateSales`
      writeFileSync(join(dir, 'sales.csv'), salesCsv(1, saleTimes));
      let batch = 0;
      for (let i = 0; i < names.length; i++) {
        const name = names[i];
        if (name.includes('/')) mkdirSync(join(dir, name.split('/')[0]), { recursive: true });
        writeFileSync(join(dir, name), customerCsv(name.includes('/') ? 'customers_updates.csv' : name, byName.get(name)!));
        const lastOfBatch = i === names.length - 1 || splits[i % splits.length];
        if (!lastOfBatch) continue;
        if (batch++ === lateSales) writeFileSync(join(dir, 'sales_late.csv'), salesCsv(1000, ['2025-01-02 00:00:00', '2025-03-01 00:00:00']));
        await pipeline(db(), dir, { skipTests: true });
        if (reruns[i % reruns.length]) await pipeline(db(), dir, { skipTests: true });
        expect(await misplaced(db()), `after batch ${batch} (${names.slice(0, i + 1).join(', ')})`).to.deep.equal([]);
      }
      const incremental = await pointing(db());
      await pipeline(db(), dir, { skipTests: true, fullRefresh: true });
      expect(await pointing(db())).to.deep.equal(incremental);
    }), { numRuns: runs, verbose: 1 });
  });
}
