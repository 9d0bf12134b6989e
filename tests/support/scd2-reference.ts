/**
 * An independent, deliberately plain implementation of DESIGN.md §4–§5 for customer history, used as the
 * oracle of the SCD2 tests: events → one winner per (customer, time) → versions.
 */

export interface CustomerEvent {
  file: string;
  line: number;
  customer_id: number;
  /** As written in the file. */
  at: string;
  full_name: string | null;
  email: string | null;
  loyalty_tier: string | null;
}

export interface Version {
  customer_id: number;
  full_name: string | null;
  email: string | null;
  loyalty_tier: string | null;
  start: string;
  end: string | null;
  is_current: boolean;
}

const byteCompare = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** `2025-01-03T12:00:00+02:00` → `2025-01-03 10:00:00` (UTC, as PostgreSQL prints a timestamp). */
export function canonicalTime(text: string): string {
  const t = text.trim();
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/i.exec(t);
  if (!m) throw new Error(`not a timestamp the tests generate: ${text}`);
  const [, y, mo, d, h = '00', mi = '00', s = '00', off] = m;
  let ms = Date.UTC(+y, +mo - 1, +d, +h, +mi, +s);
  if (off && off.toUpperCase() !== 'Z') {
    const sign = off[0] === '-' ? -1 : 1;
    const digits = off.slice(1).replace(':', '');
    ms -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || 0)) * 60_000;
  }
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
}

const clean = (v: string | null) => {
  const t = v?.trim();
  return t ? t : null;
};

export function normalise(e: CustomerEvent) {
  const tier = clean(e.loyalty_tier)?.toLowerCase();
  return {
    customer_id: e.customer_id,
    at: canonicalTime(e.at),
    full_name: clean(e.full_name),
    email: clean(e.email)?.toLowerCase() ?? null,
    loyalty_tier: tier ? tier[0].toUpperCase() + tier.slice(1) : null,
    file: e.file,
    line: e.line,
  };
}

/** The customer dimension that the events call for, ordered by customer and start. */
export function expectedHistory(events: CustomerEvent[]): Version[] {
  const winners = new Map<string, ReturnType<typeof normalise>>();
  for (const raw of events) {
    const e = normalise(raw);
    const key = `${e.customer_id}|${e.at}`;
    const held = winners.get(key);
    const later = !held || byteCompare(e.file, held.file) > 0 || (e.file === held.file && e.line > held.line);
    if (later) winners.set(key, e);
  }
  const perCustomer = new Map<number, ReturnType<typeof normalise>[]>();
  for (const e of winners.values()) {
    if (!perCustomer.has(e.customer_id)) perCustomer.set(e.customer_id, []);
    perCustomer.get(e.customer_id)!.push(e);
  }
  const out: Version[] = [];
  for (const id of [...perCustomer.keys()].sort((a, b) => a - b)) {
    const evs = perCustomer.get(id)!.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
    const versions: Version[] = [];
    for (const e of evs) {
      const last = versions[versions.length - 1];
      if (last && last.full_name === e.full_name && last.email === e.email && last.loyalty_tier === e.loyalty_tier) continue;
      if (last) last.end = e.at;
      versions.push({ customer_id: id, full_name: e.full_name, email: e.email, loyalty_tier: e.loyalty_tier, start: e.at, end: null, is_current: false });
    }
    versions[versions.length - 1].is_current = true;
    out.push(...versions);
  }
  return out;
}

/** CSV text of a customers or customers_updates file holding `events` in order (line 2 onwards). */
export function customerCsv(file: string, events: Omit<CustomerEvent, 'file' | 'line'>[]): string {
  const timeColumn = file.startsWith('customers_updates') ? 'updated_at' : 'created_at';
  const q = (v: string | null) => (v === null ? '' : /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  return [`customer_id,full_name,email,loyalty_tier,${timeColumn}`,
    ...events.map((e) => [String(e.customer_id), q(e.full_name), q(e.email), q(e.loyalty_tier), e.at].join(','))].join('\n') + '\n';
}
