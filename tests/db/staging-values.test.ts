/**
 * DESIGN §4: a value is valid or not by itself, the same on every path the runner may take. Staging casts a
 * batch directly (the fast form of the macros) and parses it with staging.parse_* when a cast raised on
 * some value of the batch (the safe form): the two must classify and convert every text alike.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEnvironment, renderModel } from '../../runner/src/compile/compile.js';
import { loadProject } from '../../runner/src/project/project.js';
import { repoProject } from '../support/files.js';
import { pipeline, resetWarehouse, suiteWarehouse, suiteLandingDirs } from '../support/warehouse.js';

const runs = Number(process.env.STAGING_PROPERTY_RUNS ?? 300);

/** The project's macro `macro` applied to the text `$1`, in its fast or safe form. */
function expression(macro: string, safe: boolean): string {
  const project = loadProject(repoProject());
  const hb = createEnvironment(project);
  const file = { name: 'probe', path: 'models/probe.sql', text: `{{${macro} column="value"}}`, defaults: {}, isTest: false };
  const ctx = { is_incremental: false, prev: { run_id: 0, batch_id: 0 }, run_id: 0, full_refresh: false, vars: {}, safe };
  return renderModel(hb, file, ctx).rendered;
}

const digits = (min: number, max: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: min, maxLength: max });
const space = fc.constantFrom('', '', '', ' ', '  ', '\t', '\n', '\r', '\f', '\v', '\u00a0', ' \t');
const sign = fc.constantFrom('', '', '', '+', '-', '++', '+-');

/** Whole numbers around the limits of int and bigint: digit counts, leading zeros, signs, white space, odd forms. */
const wholeNumbers = fc.oneof(
  fc.tuple(space, sign, digits(0, 4).map((z) => z.replace(/./g, '0')), digits(0, 21), space).map((p) => p.join('')),
  fc.constantFrom('9223372036854775807', '9223372036854775808', '00009223372036854775807', '1000000000000000000',
    '-9223372036854775808', '2147483647', '2147483648', '02147483647', '9999999999', '0', '-0', '+0', '', ' ',
    '1e5', '1.0', '1.', '2.5', '0x1F', '1_000', '1 2', '١٢', 'x', 'NaN', '+', '-'),
  fc.tuple(digits(1, 12), fc.constantFrom('e3', '.0', '.50', ',0', ' 1', 'x'), space).map((p) => p.join('')),
);

/** Decimals: integer digit counts at numeric(12,2)'s limit, leading zeros, fractions of 0–4 digits, exponents. */
const money = fc.oneof(
  fc.tuple(space, sign, digits(0, 15), fc.constantFrom('', '.', '.', '.'), digits(0, 4), space).map((p) => p.join('')),
  fc.constantFrom('00000000000012.50', '9999999999.99', '9999999999.994', '9999999999.995', '10000000000', '12.340', '12.345',
    '-0.00', '.5', '+.5', '.', '1e3', 'NaN', 'Infinity', '1,50', '1.2.3', '--1', '1-'),
);

const two = (lo: number, hi: number) => fc.integer({ min: lo, max: hi }).map((n) => String(n).padStart(2, '0'));

/** Timestamps: the common shape with every field near its limits, odd spellings, fractions of 0–12 digits, offsets. */
const timestamps = fc.oneof(
  fc.tuple(fc.constantFrom('2025', '2024', '1900', '0000', '025', ' 025', '-025', '20250', '9999'), fc.constantFrom('-', '-', '/'),
    two(0, 13), fc.constantFrom('-', '-', '.'), two(0, 32), fc.constantFrom(' ', 'T', 't', '  ', ''),
    two(0, 25), fc.constantFrom(':', ':', '.'), two(0, 61), fc.constantFrom(':', ':', ''), fc.oneof(two(0, 61), fc.constantFrom('1', '1 ', '')),
    fc.oneof(fc.constant(''), digits(1, 12).map((d) => `.${d}`)),
    fc.constantFrom('', '', 'Z', 'z', '+02:00', '-0530', '+14', '+15', '-12:60', ' UTC'), space)
    .map(([y, s1, mo, s2, d, t, h, c1, mi, c2, se, f, o, w]) => `${y}${s1}${mo}${s2}${d}${t}${h}${c1}${mi}${c2}${se}${f}${o}${w}`),
  fc.tuple(space, fc.constantFrom('2025-01-02', '2024-02-29', '2025-02-29', '2025-01-02T10:00', '2025-01-02 10:00:00.1234567Z',
    '2025-01-02T10:00:00.0000000+02:00', '2025-01-02 23:59:59.9999996', '2025-01-01 10:00:1 ', ' 025-01-01 10:00:00',
    '2025-01-01 24:00:00', '2025-01-01 10:00:60', 'yesterday', 'epoch', '2025-01-01 10:00:00 BC'), space).map((p) => p.join('')),
);

const tiers = fc.oneof(
  fc.tuple(space, fc.constantFrom('gold', 'GOLD', 'Gold', 'gOlD', 'silver', 'SİLVER', 'platinum', 'bronze', 'diamond', '', 'gold.'), space)
    .map((p) => p.join('')),
  fc.string({ maxLength: 10 }),
);

describe('staging values: one definition of a valid value (DESIGN §4)', function () {
  this.timeout(300_000);
  const landingDir = suiteLandingDirs();
  const warehouse = suiteWarehouse();

  before(async () => {
    // the staging functions come from the project's migrations, which a run applies
    const dir = landingDir();
    writeFileSync(join(dir, 'sales.csv'), 'sale_id,customer_id,product_id,store_id,sale_timestamp,quantity,revenue\n');
    await pipeline(warehouse.db, dir, { select: 'stg_sales', skipTests: true });
  });

  /** The value `macro` gives `text` on one path: its text form, NULL, or 'raises' (a direct cast refused it). */
  const evaluate = async (sql: string, text: string): Promise<string | null> => {
    try {
      const [row] = await warehouse.db.sql.unsafe(`select (${sql})::text as out from (select $1::text as value) as input`, [text]);
      return row.out as string | null;
    } catch (e) {
      const code = (e as { code?: string }).code ?? '';
      if (code.startsWith('22')) return 'raises';
      throw e;
    }
  };

  for (const [macro, values] of [['to_id', wholeNumbers], ['to_quantity', wholeNumbers], ['to_money', money],
    ['to_timestamp', timestamps], ['to_loyalty_tier', tiers]] as const) {
    it(`should give every text the same value on the fast and the safe path of ${macro}`, async () => {
      const fast = expression(macro, false);
      const safe = expression(macro, true);
      await fc.assert(fc.asyncProperty(values, async (text) => {
        if (text.includes('\0')) return;
        const onSafe = await evaluate(safe, text);
        expect(onSafe, `the safe path of ${macro} never raises (${JSON.stringify(text)})`).to.not.equal('raises');
        const onFast = await evaluate(fast, text);
        if (onFast !== 'raises') expect(onFast, `${macro}(${JSON.stringify(text)}): fast path, then safe path`).to.equal(onSafe);
      }), { numRuns: runs });
    });
  }

  it('should read timestamps with 7 to 9 fractional digits, rounded to microseconds as PostgreSQL does', async () => {
    const fast = expression('to_timestamp', false);
    expect(await evaluate(fast, '2025-01-02T10:00:00.1234567Z')).to.equal('2025-01-02 10:00:00.123457');
    expect(await evaluate(fast, '2025-01-02T10:00:00.0000000+02:00')).to.equal('2025-01-02 08:00:00');
    expect(await evaluate(fast, '2025-01-02 10:00:00.123456789')).to.equal('2025-01-02 10:00:00.123457');
  });
});

describe('staging: a record\'s fate does not depend on its neighbours (DESIGN §4)', function () {
  this.timeout(600_000);
  const landingDir = suiteLandingDirs();
  const header = 'sale_id,customer_id,product_id,store_id,sale_timestamp,quantity,revenue';
  const warehouse = suiteWarehouse();

  const write = (dir: string, file: string, lines: string[]) => writeFileSync(join(dir, file), [header, ...lines].join('\n') + '\n');
  const staged = async () => await warehouse.db.sql`select sale_id::text, customer_id::text, product_id::text, store_id::text,
    sale_timestamp::text, quantity::text, revenue::text, _file, _line::int from staging.stg_sales order by sale_id` as Record<string, string | number>[];
  const rejected = () => warehouse.db.sql`select file, line::int, reason from staging.rejected_rows where stage = 'staging' order by file, line`;
  const build = (dir: string, fullRefresh = false) => pipeline(warehouse.db, dir, { select: 'stg_sales', fullRefresh, skipTests: true });

  it('should keep a 19-digit sale_id loaded alone when a later file brings a bad value, incrementally and on --full-refresh', async () => {
    await resetWarehouse(warehouse.db);
    const dir = landingDir();
    write(dir, 'sales_a.csv', ['1000000000000000000,1,1,1,2025-01-02 10:00:00,1,10.00']);
    await build(dir);
    write(dir, 'sales_b.csv', ['5,1,1,1,2025-01-02 10:00:00,x,1.00']);
    await build(dir);
    const incremental = await staged();
    expect(incremental.map((r) => r.sale_id)).to.deep.equal(['1000000000000000000']);
    await build(dir, true);
    expect(await staged()).to.deep.equal(incremental);
    expect((await rejected()).map((r) => [r.file, r.line, r.reason])).to.deep.equal([['sales_b.csv', 2, 'quantity is not a positive integer: x']]);
  });

  it('should keep three valid records whose file holds a quantity of 2.5', async () => {
    await resetWarehouse(warehouse.db);
    const dir = landingDir();
    write(dir, 'sales.csv', ['1,1,1,1,2025-01-02 10:00:00,1,1.00', '2,1,1,1,2025-01-02 10:00:00,2.5,1.00',
      '3,1,1,1,2025-01-02 10:00:00,2147483647,00000000000012.50', '9223372036854775807,1,1,1, 2025-01-02 10:00:00 ,+0002,3']);
    await build(dir);
    expect((await staged()).map((r) => [r.sale_id, r.quantity, r.revenue, r.sale_timestamp])).to.deep.equal([
      ['1', '1', '1.00', '2025-01-02 10:00:00'], ['3', '2147483647', '12.50', '2025-01-02 10:00:00'],
      ['9223372036854775807', '2', '3.00', '2025-01-02 10:00:00']]);
    expect((await rejected()).map((r) => r.line)).to.deep.equal([3]);
  });

  /** One sale of generated field values, and rows that make a direct cast raise. */
  /** Mostly the texts at the edges, where the two paths once disagreed. */
  const edgy = (edges: string[], rest: fc.Arbitrary<string>) => fc.oneof({ arbitrary: fc.constantFrom(...edges), weight: 2 }, { arbitrary: rest, weight: 1 });
  const ids = edgy(['1000000000000000000', '9223372036854775807', '0009223372036854775807', '1', ' 42 '], wholeNumbers);
  const sale = fc.tuple(ids, ids, edgy(['2025-01-02 10:00:00', ' 025-01-01 10:00:00', '2025-01-01 10:00:1 ', '2025-01-02T10:00:00.1234567Z'], timestamps),
    edgy(['2147483647', '1', '0002'], wholeNumbers), edgy(['00000000000012.50', '9999999999.99', '1.00'], money))
    .filter((fields) => fields.every((f) => !/[,"\r\n\0]/.test(f)) && !/^\s*\+?0*90[0-3]\s*$/.test(fields[0]));
  const badQuantity = fc.constantFrom('x', '2.5', '99999999999', '1e3');

  it('should give a record the same fate and value alone as among rows that fail a cast', async () => {
    await fc.assert(fc.asyncProperty(sale, fc.array(badQuantity, { minLength: 1, maxLength: 3 }), async (fields, quantities) => {
      const [saleId, customerId, timestamp, quantity, revenue] = fields;
      const line = `${saleId},${customerId},7,1,${timestamp},${quantity},${revenue}`;
      const outcome = async (lines: string[]) => {
        await resetWarehouse(warehouse.db);
        const dir = landingDir();
        write(dir, 'sales.csv', lines);
        await build(dir);
        return { row: (await staged()).filter((r) => r._line === 2), reject: (await rejected()).filter((r) => r.line === 2) };
      };
      const alone = await outcome([line]);
      // a neighbour's impossible date makes the direct cast raise, whatever its quantity does
      const among = await outcome([line, ...quantities.map((q, i) => `${900 + i},1,1,1,2025-02-30 10:00:00,${q},1.00`)]);
      expect(among, line).to.deep.equal(alone);
    }), { numRuns: Math.max(10, Math.round(runs / 8)) });
  });
});
