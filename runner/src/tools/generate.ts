import fs from 'node:fs';
import path from 'node:path';
import { Faker, en } from '@faker-js/faker';
import type { Logger } from '../log.js';
import { CsvWriter, DAY, csv, dayString, headers, money, mulberry32, tiers, timestamp } from './csv-out.js';

export interface GenerateOptions {
  outDir: string;
  seed: number;
  customers: number;
  products: number;
  stores: number;
  sales: number;
  /** N files `customers_updates_<yyyy-mm-dd>.csv` (at least one), each named by the day its window ends. */
  updateBatches: number;
  /** Share of customers that get update events. */
  updateRate: number;
  logger: Logger;
}

export interface GenerateResult {
  /** Absolute paths of the files written, in the order written. */
  files: string[];
  /** Data rows (without header) per file name. */
  rows: Record<string, number>;
  ms: number;
}

export function defaultGenerateOptions(): Omit<GenerateOptions, 'outDir' | 'logger'> {
  return { seed: 42, customers: 500, products: 200, stores: 20, sales: 50_000, updateBatches: 1, updateRate: 0.18 };
}

const EPOCH_2024 = Date.UTC(2024, 0, 1) / 1000;
const EPOCH_2025 = Date.UTC(2025, 0, 1) / 1000;
const regions = ['North', 'South', 'East', 'West', 'Central'];
const domains = ['example.com', 'mail.test', 'shop.example', 'inbox.test'];

interface CustomerState {
  id: number;
  name: string;
  email: string;
  tier: string;
}

interface UpdateEvent {
  batch: number;
  sec: number;
  late: boolean;
  line: string;
}

/**
 * Writes the synthetic sources of DESIGN §3 into `outDir`. Deterministic: the same options give
 * byte-identical files. Streams, so a large `sales` count doesn't grow memory.
 */
export async function generateData(opts: GenerateOptions): Promise<GenerateResult> {
  const started = performance.now();
  fs.mkdirSync(opts.outDir, { recursive: true });
  const faker = new Faker({ locale: [en] });
  faker.seed(opts.seed);
  const rng = mulberry32(opts.seed ^ 0x5eed);
  const files: string[] = [];
  const rows: Record<string, number> = {};
  const open = (name: string, header: readonly string[]) => {
    const w = new CsvWriter(path.join(opts.outDir, name), header);
    files.push(w.file);
    return w;
  };
  const done = async (w: CsvWriter) => {
    await w.close();
    rows[path.basename(w.file)] = w.rows;
    opts.logger.event({ event: 'generate', file: path.basename(w.file), rows: w.rows });
  };
  const person = () => {
    const first = faker.person.firstName();
    const last = faker.person.lastName();
    return { first, last, name: `${first} ${last}` };
  };
  const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '');
  const email = (first: string, last: string, n: number) =>
    `${slug(first)}.${slug(last)}${n}@${domains[Math.floor(rng() * domains.length)]}`;
  const tier = () => {
    const r = rng();
    return r < 0.02 ? '' : tiers[r < 0.5 ? 0 : r < 0.8 ? 1 : r < 0.95 ? 2 : 3];
  };

  // customers; remember those chosen (exactly round(n * rate), by selection sampling) for updates
  const C = opts.customers;
  let toUpdate = Math.min(C, Math.round(C * opts.updateRate));
  const updated: CustomerState[] = [];
  const customers = open('customers.csv', headers.customers);
  // when each customer appeared: their sales come after it, so that "tier at time of sale" means something
  const createdAt = new Float64Array(C + 1);
  for (let id = 1; id <= C; id++) {
    const p = person();
    const c = { id, name: p.name, email: email(p.first, p.last, id), tier: tier() };
    const created = EPOCH_2024 + Math.floor(rng() * 366 * DAY);
    createdAt[id] = created;
    if (rng() < toUpdate / (C - id + 1)) {
      updated.push(c);
      toUpdate--;
    }
    if (customers.add(`${id},${csv(c.name)},${csv(c.email)},${c.tier},${timestamp(created, rng() < 0.1)}`)) {
      await customers.flush();
    }
  }
  await done(customers);

  const products = open('products.csv', headers.products);
  const prices = new Int32Array(opts.products + 1);
  for (let id = 1; id <= opts.products; id++) {
    prices[id] = 100 + Math.floor(rng() * 49_900);
    const line = `${id},${csv(faker.commerce.productName())},${csv(faker.commerce.department())},${money(prices[id])}`;
    if (products.add(line)) await products.flush();
  }
  await done(products);

  const stores = open('stores.csv', headers.stores);
  for (let id = 1; id <= opts.stores; id++) {
    // "City, State" needs quoting: the files exercise RFC 4180 quoting on purpose
    const name = `${faker.location.city()}, ${faker.location.state()}`;
    if (stores.add(`${id},${csv(name)},${regions[Math.floor(rng() * regions.length)]}`)) await stores.flush();
  }
  await done(stores);

  const newCustomers = updated.length > 0 ? Math.max(1, Math.round(updated.length * 0.03)) : 0;
  await writeUpdates(opts, updated, newCustomers, { rng, person, email, open, done });
  await writeSales(opts, C + newCustomers, prices, createdAt, rng, open, done);

  const ms = Math.round(performance.now() - started);
  return { files, rows, ms };
}

async function writeUpdates(
  opts: GenerateOptions,
  updated: CustomerState[],
  newCustomers: number,
  h: {
    rng: () => number;
    person: () => { first: string; last: string; name: string };
    email: (first: string, last: string, n: number) => string;
    open: (name: string, header: readonly string[]) => CsvWriter;
    done: (w: CsvWriter) => Promise<void>;
  },
): Promise<void> {
  const { rng } = h;
  const N = Math.max(1, Math.floor(opts.updateBatches));
  const windowDays = Math.max(1, Math.floor(365 / N));
  const C = opts.customers;
  for (let k = 1; k <= newCustomers; k++) {
    const p = h.person();
    // first seen in updates: its first event carries all attributes
    updated.push({ id: C + k, name: p.name, email: h.email(p.first, p.last, C + k), tier: tiers[k % 4] });
  }
  const events: UpdateEvent[] = [];
  updated.forEach((c, index) => {
    const count = index === 0 ? 2 : (() => { const r = rng(); return r < 0.6 ? 1 : r < 0.85 ? 2 : 3; })();
    const sameFile = index === 0 || rng() < 0.5;
    // customer 0 changes twice within the last file: repeated changes of one customer in one file
    const first = index === 0 ? N - 1 : Math.floor(rng() * N);
    const times: { batch: number; sec: number }[] = [];
    for (let e = 0; e < count; e++) {
      const batch = sameFile ? first : Math.floor(rng() * N);
      times.push({ batch, sec: EPOCH_2025 + (batch * windowDays + rng() * windowDays) * DAY });
    }
    times.forEach((t) => (t.sec = Math.floor(t.sec)));
    times.sort((a, b) => a.sec - b.sec);
    times.forEach((t, e) => {
      const isNew = c.id > C && e === 0;
      const noop = !isNew && (index === 1 && e === 0 ? true : rng() < 0.12);
      if (!isNew && !noop) {
        const r = rng();
        if (r < 0.5 || index === 0) {
          c.tier = tiers[(Math.max(0, tiers.indexOf(c.tier)) + 1 + Math.floor(rng() * 3)) % 4];
        } else if (r < 0.8) {
          c.email = c.email.replace('@', `.${e + 1}@`);
        } else {
          const p = h.person();
          c.name = `${c.name.split(' ')[0]} ${p.last}`;
        }
      }
      // noise the staging layer must normalise: emails with odd case and spaces, tiers in lower case
      const plain = index === 1 && e === 0; // the forced no-op repeats the attributes byte for byte
      const noisyEmail = !plain && (index === 2 || rng() < 0.1);
      const noisyTier = !plain && (index === 3 || rng() < 0.08);
      const mail = noisyEmail ? `  ${c.email.replace(/^./, (x) => x.toUpperCase()).replace(/@.*/, (x) => x.toUpperCase())} ` : c.email;
      const tierOut = noisyTier ? c.tier.toLowerCase() : c.tier;
      events.push({
        batch: times[e].batch,
        sec: times[e].sec,
        late: false,
        line: `${c.id},${csv(c.name)},${csv(mail)},${tierOut},${timestamp(times[e].sec, rng() < 0.1)}`,
      });
    });
  });
  if (N > 1) {
    // late deliveries: some events arrive in a later file than the one covering their time
    for (const e of events) {
      if (e.batch < N - 1 && rng() < 0.05) {
        e.batch += 1 + Math.floor(rng() * (N - 1 - e.batch));
        e.late = true;
      }
    }
    const inFirst = events.filter((e) => e.batch === 0).sort((a, b) => a.sec - b.sec);
    if (!events.some((e) => e.late) && inFirst.length >= 2) {
      inFirst[0].batch = 1;
      inFirst[0].late = true;
    }
  }
  events.sort((a, b) => Number(a.late) - Number(b.late) || a.sec - b.sec);
  for (let b = 0; b < N; b++) {
    // named by the day its window ends, as a delivery would be: one batch too, so names sort by time
    const name = `customers_updates_${dayString(EPOCH_2025 / DAY + (b + 1) * windowDays)}.csv`;
    const w = h.open(name, headers.customers_updates);
    for (const e of events) if (e.batch === b && w.add(e.line)) await w.flush();
    await h.done(w);
  }
}

async function writeSales(
  opts: GenerateOptions,
  knownCustomers: number,
  prices: Int32Array,
  createdAt: Float64Array,
  rng: () => number,
  open: (name: string, header: readonly string[]) => CsvWriter,
  done: (w: CsvWriter) => Promise<void>,
): Promise<void> {
  const { customers: C, products: P, stores: S } = opts;
  const w = open('sales.csv', headers.sales);
  const days = 731; // 2024-01-01 .. 2025-12-31
  for (let id = 1; id <= opts.sales; id++) {
    // a few orphans (ids no source has) on purpose; ids 3, 5 and 7 always, so small files have them too
    const rc = rng();
    const customer = id === 3 || rc < 0.001 ? knownCustomers + 1000 + Math.floor(rng() * 1000)
      : rc < 0.003 && knownCustomers > C ? C + 1 + Math.floor(rng() * (knownCustomers - C))
      : 1 + Math.floor(rng() * C);
    const orphanProduct = id === 5 || rng() < 0.001;
    const product = orphanProduct ? P + 1000 + Math.floor(rng() * 100) : 1 + Math.floor(rng() * P);
    const store = id === 7 || rng() < 0.001 ? S + 100 + Math.floor(rng() * 10) : 1 + Math.floor(rng() * S);
    const price = orphanProduct || P === 0 ? 999 : prices[product];
    const rq = rng();
    const quantity = rq < 0.6 ? 1 : rq < 0.85 ? 2 : rq < 0.97 ? 3 + Math.floor(rng() * 3) : 6 + Math.floor(rng() * 15);
    // a known customer buys after they appeared (a few sales before, to exercise the first-version rule)
    const from = customer <= C && rng() > 0.01 ? createdAt[customer] : EPOCH_2024;
    const sec = from + Math.floor(rng() * (EPOCH_2024 + days * DAY - from));
    const line = `${id},${customer},${product},${store},${timestamp(sec, rng() < 0.1)},${quantity},${money(quantity * price)}`;
    if (w.add(line)) await w.flush();
  }
  await done(w);
}
