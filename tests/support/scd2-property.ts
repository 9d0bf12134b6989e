/**
 * DESIGN.md §5 rule 6 as a property: random customer events, written into random files, landed in
 * random batches in random order with reruns, give exactly the table that the reference computes from
 * all events at once; a version that survives a batch keeps its key; --full-refresh changes nothing.
 * Run against PostgreSQL (tests/db) and the Citus cluster (tests/citus).
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Database } from '../../runner/src/db/connection.js';
import { customerCsv, expectedHistory, type CustomerEvent } from './scd2-reference.js';
import { dimCustomerRows, natural, pipeline, resetWarehouse } from './warehouse.js';

const fileNames = ['customers.csv', 'customers_2025-02.csv', 'customers_updates.csv', 'customers_updates_2025-01.csv',
  'customers_updates_2025-03.csv', 'customers_updates_b.csv', 'customers_updates/late.csv'];
// few distinct times (ties) written in several equivalent ways (T or space, an offset)
export const times = [
  ['2025-01-01 00:00:00', '2025-01-01T00:00:00', '2025-01-01T02:00:00+02:00'],
  ['2025-01-05 12:00:00', '2025-01-05T12:00:00Z'],
  ['2025-02-01 08:30:00', '2025-02-01T08:30:00'],
  ['2025-03-10 23:59:59', '2025-03-11T00:59:59+01'],
  ['2025-06-30 06:00:00'],
];

const event = fc.record({
  customer_id: fc.integer({ min: 1, max: 4 }),
  time: fc.tuple(fc.nat(times.length - 1), fc.nat(2)).map(([t, form]) => times[t][form % times[t].length]),
  full_name: fc.constantFrom('Ann', 'Ann ', 'Bea'),
  email: fc.constantFrom('a@x.com', ' A@X.COM', 'b@x.com', ''),
  loyalty_tier: fc.constantFrom('Gold', 'gold', 'Silver', '', 'PLATINUM'),
});

/** Customer events in files, the order the files land in, where batches end, and which batches run twice. */
export const scenario = fc.record({
  files: fc.array(fc.tuple(fc.constantFrom(...fileNames), fc.array(event, { minLength: 1, maxLength: 6 })), { minLength: 1, maxLength: 5 }),
  order: fc.infiniteStream(fc.nat(1000)),
  splits: fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
  reruns: fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
});

/** The property's test, `runs` times, on the warehouse `db()` with landing folders from `landingDir()`. */
export function scd2Property(db: () => Database, landingDir: () => string, runs: number) {
  it(`should hold for ${runs} random event sets, batches, orders and reruns`, async () => {
    await fc.assert(fc.asyncProperty(scenario, async ({ files, order, splits, reruns }) => {
      await resetWarehouse(db());
      const dir = landingDir();
      // one file per name: merge the events drawn for a repeated name
      const byName = new Map<string, { customer_id: number; at: string; full_name: string; email: string; loyalty_tier: string }[]>();
      for (const [name, evs] of files) {
        byName.set(name, [...(byName.get(name) ?? []), ...evs.map((e) => ({ ...e, at: e.time }))]);
      }
      const all: CustomerEvent[] = [];
      for (const [name, evs] of byName) evs.forEach((e, i) => all.push({ ...e, file: name, line: i + 2 }));
      const names = [...byName.keys()];
      const it = order[Symbol.iterator]();
      const shuffled = names.map((n) => ({ n, k: it.next().value as number })).sort((a, b) => a.k - b.k).map((x) => x.n);

      const keysSeen = new Map<string, unknown>();
      for (let i = 0; i < shuffled.length; i++) {
        const name = shuffled[i];
        const path = join(dir, name);
        if (name.includes('/')) mkdirSync(join(dir, name.split('/')[0]), { recursive: true });
        writeFileSync(path, customerCsv(name.includes('/') ? 'customers_updates.csv' : name, byName.get(name)!));
        const lastOfBatch = i === shuffled.length - 1 || splits[i % splits.length];
        if (!lastOfBatch) continue;
        await pipeline(db(), dir, { command: 'snapshot', skipTests: true });
        if (reruns[i % reruns.length]) await pipeline(db(), dir, { command: 'snapshot', skipTests: true });
        for (const r of await dimCustomerRows(db())) {
          const identity = JSON.stringify([r.customer_id, r.start, r.full_name, r.email, r.loyalty_tier]);
          keysSeen.set(identity, r.customer_key);
        }
      }
      const final = await dimCustomerRows(db());
      expect(natural(final)).to.deep.equal(expectedHistory(all));
      for (const r of final) {
        const identity = JSON.stringify([r.customer_id, r.start, r.full_name, r.email, r.loyalty_tier]);
        expect(r.customer_key, `key of surviving version ${identity}`).to.equal(keysSeen.get(identity));
      }
      await pipeline(db(), dir, { command: 'snapshot', skipTests: true, fullRefresh: true });
      const rebuilt = await dimCustomerRows(db());
      expect(natural(rebuilt)).to.deep.equal(natural(final));
      const [{ bad }] = await db().sql`
        select count(*)::int as bad from (
          select customer_id, effective_end_date,
                 lead(effective_start_date) over (partition by customer_id order by effective_start_date) as next_start,
                 count(*) filter (where is_current) over (partition by customer_id) as currents
          from analytics.dim_customer where customer_key <> -1) v
        where effective_end_date is distinct from next_start or currents <> 1`;
      expect(bad, 'no gaps, no overlaps, one current row').to.equal(0);
    }), { numRuns: runs, verbose: 1 });
  });
}
