/**
 * `generate-data --update-batch`: one more delivery for a data set already in a landing folder, as the
 * next file of a supplier would be: customer changes dated after the data set's last file, and new sales.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Faker, en } from '@faker-js/faker';
import { usageError } from '../errors.js';
import type { Logger } from '../log.js';
import { CsvWriter, DAY, csv, dayString, headers, money, mulberry32, tiers, timestamp } from './csv-out.js';
import { readDataSet, type CustomerNow, type DataSet } from './data-set.js';
import type { GenerateResult } from './generate.js';

export interface UpdateBatchOptions {
  outDir: string;
  seed: number;
  /** New sales in `sales_<date>.csv` (none: no sales file). */
  sales: number;
  /** Share of the known customers that change in the batch. */
  updateRate: number;
  logger: Logger;
}

/** Days a batch covers: it starts where the data set ends, and its files are named by the day it ends. */
const WINDOW_DAYS = 30;

interface Event {
  sec: number;
  late: boolean;
  line: string;
}

/**
 * Writes `customers_updates_<date>.csv` (and `sales_<date>.csv` when `sales` > 0) into `outDir`, continuing
 * the data set there: ids after the highest, times after the last record and the last dated file. About a
 * fifth of the changed customers change at a time before that (a late event: it splits their current
 * version). Every event changes an attribute, so each customer in the file gets new versions. The same
 * data set and seed give the same bytes.
 */
export async function generateUpdateBatch(opts: UpdateBatchOptions): Promise<GenerateResult> {
  const started = performance.now();
  const dir = path.relative(process.cwd(), opts.outDir) || '.';
  if (!existsSync(opts.outDir)) {
    throw usageError(`--update-batch continues a data set, and "${dir}" doesn't exist; run generate-data --out ${dir} first`);
  }
  const set = await readDataSet(opts.outDir);
  if (set.customers.size === 0) {
    throw usageError(`--update-batch continues a data set, and "${dir}" holds no customers files; run generate-data --out ${dir} first`);
  }
  if (opts.sales > 0 && (set.prices.size === 0 || set.stores.length === 0)) {
    throw usageError(`--sales with --update-batch needs the products and stores files in "${dir}"; run generate-data --out ${dir} first`);
  }
  const startDay = Math.max(Math.floor(set.lastSec / DAY) + 1, set.lastFileDay);
  const endDay = startDay + WINDOW_DAYS;
  const date = dayString(endDay);
  const names = [`customers_updates_${date}.csv`, ...(opts.sales > 0 ? [`sales_${date}.csv`] : [])];
  for (const name of names) {
    if (existsSync(path.join(opts.outDir, name))) throw usageError(`"${path.join(dir, name)}" exists already; landing files are never rewritten`);
  }
  const rng = mulberry32((opts.seed ^ Math.imul(endDay, 0x9e3779b1)) >>> 0);
  const faker = new Faker({ locale: [en] });
  faker.seed(opts.seed + endDay);
  const window = { start: startDay * DAY, end: endDay * DAY };

  const result: GenerateResult = { files: [], rows: {}, ms: 0 };
  const write = async (name: string, header: readonly string[], lines: Iterable<string>) => {
    const w = new CsvWriter(path.join(opts.outDir, name), header);
    for (const line of lines) if (w.add(line)) await w.flush();
    await w.close();
    result.files.push(w.file);
    result.rows[name] = w.rows;
    opts.logger.event({ event: 'generate', file: name, rows: w.rows });
  };
  await write(names[0], headers.customers_updates, updateLines(set, opts.updateRate, window, rng, faker));
  if (opts.sales > 0) await write(names[1], headers.sales, saleLines(set, opts.sales, window, rng));
  result.ms = Math.round(performance.now() - started);
  return result;
}

function updateLines(set: DataSet, rate: number, window: { start: number; end: number }, rng: () => number, faker: Faker): string[] {
  const ids = [...set.customers.keys()].sort((a, b) => a - b);
  let pick = Math.min(ids.length, Math.max(rate > 0 ? 1 : 0, Math.round(ids.length * rate)));
  const events: Event[] = [];
  const inWindow = () => window.start + Math.floor(rng() * (window.end - window.start));
  const line = (customer: number, c: CustomerNow, sec: number) => {
    // noise that staging normalises: an email in odd case with spaces, a tier in lower case
    const mail = rng() < 0.1 ? `  ${c.email.toUpperCase()} ` : c.email;
    const tier = rng() < 0.08 ? c.tier.toLowerCase() : c.tier;
    return `${customer},${csv(c.name)},${csv(mail)},${tier},${timestamp(sec, rng() < 0.1)}`;
  };
  ids.forEach((customer, index) => {
    // selection sampling: exactly `pick` customers, in id order
    if (!(rng() < pick / (ids.length - index))) return;
    pick--;
    const c = { ...set.customers.get(customer)! };
    const room = window.start - c.sec;
    const late = room > 2 * DAY && rng() < 0.2;
    const times = [late ? c.sec + DAY + Math.floor(rng() * (room - DAY)) : inWindow()];
    if (rng() < 0.15) times.push(inWindow()); // a second change in the same file
    times.sort((a, b) => a - b);
    if (times[1] === times[0]) times.pop();
    times.forEach((sec, e) => {
      change(c, customer, rng, faker);
      events.push({ sec, late: late && e === 0, line: line(customer, c, sec) });
    });
  });
  const newcomers = Math.max(1, Math.round(events.length * 0.03));
  for (let k = 1; k <= newcomers; k++) {
    // first seen in the updates: its history starts there
    const customer = set.maxCustomerId + k;
    const first = faker.person.firstName();
    const last = faker.person.lastName();
    const c = { name: `${first} ${last}`, email: `${slug(first)}.${slug(last)}${customer}@example.com`, tier: tiers[k % 4], sec: 0 };
    const sec = inWindow();
    events.push({ sec, late: false, line: line(customer, c, sec) });
  }
  // late events come last in the file, as a delivery that caught up would carry them
  events.sort((a, b) => Number(a.late) - Number(b.late) || a.sec - b.sec);
  return events.map((e) => e.line);
}

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '');

/** Changes one of the customer's attributes, so that the event opens a new version. */
function change(c: CustomerNow, customer: number, rng: () => number, faker: Faker): void {
  const r = rng();
  if (r < 0.5 || !c.email.includes('@') || !c.name) {
    c.tier = tiers[(Math.max(-1, tiers.indexOf(c.tier)) + 1 + Math.floor(rng() * 3)) % 4];
  } else if (r < 0.8) {
    c.email = c.email.replace('@', `.${1 + Math.floor(rng() * 9)}@`);
  } else {
    const last = faker.person.lastName();
    const name = `${c.name.split(' ')[0]} ${last}`;
    c.name = name === c.name ? `${name}-${customer}` : name;
  }
}

function* saleLines(set: DataSet, sales: number, window: { start: number; end: number }, rng: () => number): Generator<string> {
  const customers = [...set.customers.keys()].sort((a, b) => a - b);
  const products = [...set.prices.keys()].sort((a, b) => a - b);
  for (let n = 1; n <= sales; n++) {
    const customer = customers[Math.floor(rng() * customers.length)];
    const product = products[Math.floor(rng() * products.length)];
    const store = set.stores[Math.floor(rng() * set.stores.length)];
    const rq = rng();
    const quantity = rq < 0.6 ? 1 : rq < 0.85 ? 2 : 3 + Math.floor(rng() * 3);
    const sec = window.start + Math.floor(rng() * (window.end - window.start));
    yield `${set.maxSaleId + n},${customer},${product},${store},${timestamp(sec, rng() < 0.1)},${quantity},${money(quantity * set.prices.get(product)!)}`;
  }
}
