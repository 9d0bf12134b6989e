/** What a data set in a landing folder already holds, so that a new batch can continue it. */
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse';
import { listLandingFiles } from '../ingest/landing.js';
import type { SourceTable } from '../project/sources.js';
import { DAY, headers, tiers, type SourceName } from './csv-out.js';

/** A customer's attributes as staging reads them (trimmed, email lower-cased, tier capitalised), and since when. */
export interface CustomerNow {
  name: string;
  email: string;
  tier: string;
  sec: number;
}

export interface DataSet {
  /** Each customer's latest attributes (the latest event; on a tie the later file, then line). */
  customers: Map<number, CustomerNow>;
  maxCustomerId: number;
  /** Unit price in cents per product id (the later record wins). */
  prices: Map<number, number>;
  stores: number[];
  maxSaleId: number;
  /** The latest time of any record, in epoch seconds (0 when none). */
  lastSec: number;
  /** The latest day a file is named by (`…_<yyyy-mm-dd>.csv`), in days since 1970; 0 when none. */
  lastFileDay: number;
}

const tables: SourceTable[] = Object.entries(headers).map(([name, columns]) =>
  ({ source: 'raw', name, schema: 'raw', columns: [...columns], required: [...columns] }));

/** Epoch seconds of an ISO 8601 timestamp (`T` or space; no offset is UTC), NaN when it isn't one. */
export function epochSeconds(text: string): number {
  const s = text.trim().replace(' ', 'T');
  const zoned = s.length === 10 || /(?:Z|[+-]\d{2}(?::?\d{2})?)$/i.test(s.slice(10));
  return Math.floor(Date.parse(zoned ? s : `${s}Z`) / 1000);
}

const id = (text: string | undefined) => (/^\s*\d+\s*$/.test(text ?? '') ? Number(text) : NaN);
const tierOf = (text: string) => tiers.find((t) => t.toLowerCase() === text.trim().toLowerCase()) ?? '';

/**
 * Reads every file of the generator's sources under `dir` (named as ingest names them: `S.csv`,
 * `S_<anything>.csv`, folder `S/`), in the order ingest would read them.
 */
export async function readDataSet(dir: string): Promise<DataSet> {
  const set: DataSet = { customers: new Map(), maxCustomerId: 0, prices: new Map(), stores: [], maxSaleId: 0, lastSec: 0, lastFileDay: 0 };
  const stores = new Set<number>();
  const later = (sec: number) => {
    if (sec > set.lastSec) set.lastSec = sec;
  };
  for (const file of listLandingFiles(dir, tables).matched) {
    const dated = /_(\d{4}-\d{2}-\d{2})\.csv$/i.exec(path.basename(file.relPath));
    const day = dated ? Date.parse(dated[1]) / 1000 / DAY : NaN;
    if (day > set.lastFileDay) set.lastFileDay = day;
    const source = file.table.name as SourceName;
    const records = createReadStream(file.path).pipe(parse({ columns: true, bom: true, relax_column_count: true, skip_empty_lines: true }));
    for await (const r of records as AsyncIterable<Record<string, string>>) {
      if (source === 'customers' || source === 'customers_updates') {
        const customer = id(r.customer_id);
        const sec = epochSeconds((source === 'customers' ? r.created_at : r.updated_at) ?? '');
        if (!(customer > 0) || Number.isNaN(sec)) continue;
        later(sec);
        set.maxCustomerId = Math.max(set.maxCustomerId, customer);
        const before = set.customers.get(customer);
        if (!before || sec >= before.sec) {
          set.customers.set(customer, { name: (r.full_name ?? '').trim(), email: (r.email ?? '').trim().toLowerCase(),
            tier: tierOf(r.loyalty_tier ?? ''), sec });
        }
      } else if (source === 'products') {
        const price = Math.round(Number(r.unit_price) * 100);
        if (id(r.product_id) > 0 && Number.isFinite(price) && price > 0) set.prices.set(id(r.product_id), price);
      } else if (source === 'stores') {
        if (id(r.store_id) > 0) stores.add(id(r.store_id));
      } else {
        const sale = id(r.sale_id);
        if (sale > set.maxSaleId) set.maxSaleId = sale;
        const sec = epochSeconds(r.sale_timestamp ?? '');
        if (!Number.isNaN(sec)) later(sec);
      }
    }
  }
  set.stores = [...stores].sort((a, b) => a - b);
  return set;
}
