import { cpSync, createReadStream, createWriteStream, existsSync, linkSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Logger } from '../log.js';
import { runnerRoot } from '../sql/templates.js';
import { defaultGenerateOptions, generateData } from './generate.js';

const quiet: Logger = { event() {}, info() {}, warn() {} } as unknown as Logger;

/** The repository's own project: what `npm start` builds. */
export const repository = join(runnerRoot, '..');

/** The hand-written star schema the full build is measured against (DESIGN §9). */
export const handwrittenScript = join(repository, 'bench', 'handwritten-star-schema.sql');

/**
 * A copy of the shipped project (models, macros, migrations, seeds, analyses) in `dir`, so the bench runs
 * what a user runs without touching the repository's own `target/`.
 */
export function shippedProject(dir: string): string {
  for (const folder of ['models', 'macros', 'migrations', 'seeds', 'analyses']) {
    if (existsSync(join(repository, folder))) cpSync(join(repository, folder), join(dir, folder), { recursive: true });
  }
  return dir;
}

/**
 * The pipeline's base data set: `sales` sales, `customers` customers, and customer updates for 3% of them
 * in two dated batches (3,000 at 100k customers).
 */
export async function baseData(dir: string, sales: number, customers: number) {
  await generateData({ ...defaultGenerateOptions(), outDir: dir, sales, customers, products: 2000, stores: 50,
    updateBatches: 2, updateRate: 0.03, logger: quiet });
}

/**
 * The generator's sales source, `rows` rows, as `dir/landing/sales.csv`, and its stores as
 * `dir/setup/stores.csv`: a small first delivery that sets a warehouse up.
 */
export async function salesFile(dir: string, rows: number): Promise<{ landing: string; setup: string; file: string }> {
  const landing = join(dir, 'landing');
  const setup = join(dir, 'setup');
  await generateData({ ...defaultGenerateOptions(), outDir: landing, sales: rows, customers: 1000, logger: quiet });
  mkdirSync(setup);
  renameSync(join(landing, 'stores.csv'), join(setup, 'stores.csv'));
  for (const f of readdirSync(landing)) if (f !== 'sales.csv') rmSync(join(landing, f), { force: true });
  return { landing, setup, file: join(landing, 'sales.csv') };
}

/** A landing folder holding the base files (hard links) and the increment: what a second delivery looks like. */
export async function landingWithIncrement(base: string, into: string, sales: number, customers: number) {
  mkdirSync(into, { recursive: true });
  for (const f of readdirSync(base)) linkSync(join(base, f), join(into, f));
  await increment(base, into, sales, customers);
}

/**
 * The second delivery: 1% more sales (new ids, the base's first rows otherwise) and one file of updates
 * for 1% of the customers (1,000 at 100k), a fifth of them late: dated inside the base's update window,
 * so the snapshot inserts versions into the middle of histories and the fact re-points those sales.
 */
export async function increment(base: string, into: string, sales: number, customers: number) {
  const lines = createInterface({ input: createReadStream(join(base, 'sales.csv')) });
  const out = createWriteStream(join(into, 'sales_2026-01-05.csv'));
  const extra = Math.round(sales / 100);
  let n = -1;
  for await (const line of lines) {
    if (n === -1) out.write(line + '\n');
    else if (n < extra) {
      const comma = line.indexOf(',');
      out.write(`${Number(line.slice(0, comma)) + sales + 1000}${line.slice(comma)}\n`);
    } else break;
    n++;
  }
  out.end();
  await new Promise<void>((r) => out.on('finish', () => r()));
  const tiers = ['Bronze', 'Silver', 'Gold', 'Platinum'];
  const rows = ['customer_id,full_name,email,loyalty_tier,updated_at'];
  const changed = Math.max(5, Math.round(customers / 100));
  for (let i = 0; i < changed; i++) {
    const id = 1 + ((i * 7919) % customers);
    const at = i % 5 === 0 ? `2025-06-15 12:${String(i % 60).padStart(2, '0')}:00` : '2026-01-04 09:00:00';
    rows.push(`${id},Customer ${id},customer${id}.moved@example.com,${tiers[i % 4]},${at}`);
  }
  writeFileSync(join(into, 'customers_updates_2026-01-05.csv'), rows.join('\n') + '\n');
}
