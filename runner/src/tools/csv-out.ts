/** What the data generator's writers share: seeded randomness, the sources' headers, CSV fields, dates. */
import fs from 'node:fs';

/** The seed's data model (DESIGN §3): each source's header, as the generator writes it. */
export const headers = {
  customers: ['customer_id', 'full_name', 'email', 'loyalty_tier', 'created_at'],
  customers_updates: ['customer_id', 'full_name', 'email', 'loyalty_tier', 'updated_at'],
  products: ['product_id', 'product_name', 'category', 'unit_price'],
  stores: ['store_id', 'store_name', 'region'],
  sales: ['sale_id', 'customer_id', 'product_id', 'store_id', 'sale_timestamp', 'quantity', 'revenue'],
} as const;

export type SourceName = keyof typeof headers;

export const tiers = ['Bronze', 'Silver', 'Gold', 'Platinum'];

/** A small fast PRNG; all randomness here comes from seeded generators, never from the clock. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const DAY = 86_400;
const pad2 = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
const dayCache = new Map<number, string>();

/** `yyyy-mm-dd` of a day number since 1970-01-01 (UTC). */
export function dayString(day: number): string {
  let s = dayCache.get(day);
  if (!s) dayCache.set(day, (s = new Date(day * DAY * 1000).toISOString().slice(0, 10)));
  return s;
}

/** ISO 8601 timestamp of epoch seconds, with a space or a `T` between date and time. */
export function timestamp(sec: number, t: boolean): string {
  const day = Math.floor(sec / DAY);
  const r = sec - day * DAY;
  const h = Math.floor(r / 3600);
  const m = Math.floor((r % 3600) / 60);
  return `${dayString(day)}${t ? 'T' : ' '}${pad2[h]}:${pad2[m]}:${pad2[r % 60]}`;
}

export const money = (cents: number) => `${Math.floor(cents / 100)}.${pad2[cents % 100]}`;

/** An RFC 4180 field: quoted only when it holds a comma, a quote or a line break. */
export function csv(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** Buffered CSV output that writes chunks of lines and waits for 'drain', so memory stays flat. */
export class CsvWriter {
  private chunk = '';
  private pending = 0;
  rows = 0;
  private readonly stream: fs.WriteStream;
  constructor(readonly file: string, header: readonly string[]) {
    this.stream = fs.createWriteStream(file, { highWaterMark: 1 << 20 });
    this.chunk = header.join(',') + '\n';
  }
  /** Adds one line; true when the caller should `await flush()`. */
  add(line: string): boolean {
    this.chunk += line + '\n';
    this.rows++;
    return ++this.pending >= 4096;
  }
  async flush(): Promise<void> {
    const data = this.chunk;
    this.chunk = '';
    this.pending = 0;
    if (!this.stream.write(data)) await new Promise<void>((resolve) => this.stream.once('drain', resolve));
  }
  async close(): Promise<void> {
    await this.flush();
    await new Promise<void>((resolve, reject) => {
      this.stream.once('error', reject);
      this.stream.end(resolve);
    });
  }
}
