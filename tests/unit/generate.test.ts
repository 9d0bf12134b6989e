import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run as generateCommand } from '../../runner/src/commands/generate-data.js';
import { defaultGenerateOptions, generateData, type GenerateOptions } from '../../runner/src/tools/generate.js';
import { collectingLogger } from '../../runner/src/log.js';
import { helpOf } from '../../runner/src/commands/flags.js';

type Row = Record<string, string>;

describe('generate-data: synthetic source files', function () {
  this.timeout(60_000);
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'sadp-generate-'));
    dirs.push(dir);
    return dir;
  };
  const small: Omit<GenerateOptions, 'outDir'> = {
    ...defaultGenerateOptions(), customers: 200, products: 50, stores: 5, sales: 3000, updateBatches: 3,
    logger: collectingLogger(),
  };
  const generate = async (more: Partial<GenerateOptions> = {}) => {
    const outDir = tempDir();
    const result = await generateData({ ...small, outDir, ...more });
    return { outDir, result };
  };
  const hashes = (dir: string) => Object.fromEntries(readdirSync(dir).sort().map((f) =>
    [f, createHash('sha256').update(readFileSync(join(dir, f))).digest('hex')]));
  const read = (dir: string, file: string): Row[] => parse(readFileSync(join(dir, file)), { columns: true });
  const header = (dir: string, file: string) => readFileSync(join(dir, file), 'utf8').split('\n')[0];

  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('should write byte-identical files for the same seed', async () => {
    const a = await generate();
    const b = await generate();
    expect(Object.keys(hashes(a.outDir))).to.have.length(7);
    expect(hashes(a.outDir)).to.deep.equal(hashes(b.outDir));
  });

  it('should date a single update batch too, as the help of --update-batches says', async () => {
    const { outDir } = await generate({ updateBatches: 1 });
    expect(readdirSync(outDir).filter((f) => f.startsWith('customers_updates'))).to.deep.equal(['customers_updates_2026-01-01.csv']);
    expect(helpOf('generate-data')).to.match(/--update-batches N +customers_updates_<date>\.csv files/);
  });

  it('should write different data for a different seed', async () => {
    const a = await generate();
    const b = await generate({ seed: 7 });
    expect(hashes(a.outDir)['sales.csv']).to.not.equal(hashes(b.outDir)['sales.csv']);
    expect(hashes(a.outDir)['customers.csv']).to.not.equal(hashes(b.outDir)['customers.csv']);
  });

  it('should write the sources with exactly the headers of the design', async () => {
    const { outDir, result } = await generate({ updateBatches: 1 });
    expect(header(outDir, 'customers.csv')).to.equal('customer_id,full_name,email,loyalty_tier,created_at');
    expect(header(outDir, 'customers_updates_2026-01-01.csv')).to.equal('customer_id,full_name,email,loyalty_tier,updated_at');
    expect(header(outDir, 'products.csv')).to.equal('product_id,product_name,category,unit_price');
    expect(header(outDir, 'stores.csv')).to.equal('store_id,store_name,region');
    expect(header(outDir, 'sales.csv')).to.equal('sale_id,customer_id,product_id,store_id,sale_timestamp,quantity,revenue');
    expect(result.rows).to.include({ 'customers.csv': 200, 'products.csv': 50, 'stores.csv': 5, 'sales.csv': 3000 });
    expect(read(outDir, 'stores.csv')).to.have.length(5); // store names hold commas: quoting must be right
  });

  it('should write sales with orphan ids, ISO timestamps and exact revenue', async () => {
    const { outDir } = await generate();
    const sales = read(outDir, 'sales.csv');
    const ids = (file: string, key: string) => new Set(read(outDir, file).map((r) => r[key]));
    const customers = new Set([...ids('customers.csv', 'customer_id'),
      ...readdirSync(outDir).filter((f) => f.startsWith('customers_updates')).flatMap((f) => [...ids(f, 'customer_id')])]);
    const prices = new Map(read(outDir, 'products.csv').map((r) => [r.product_id, r.unit_price]));
    expect(sales.some((s) => !customers.has(s.customer_id))).to.equal(true);
    expect(sales.some((s) => !prices.has(s.product_id))).to.equal(true);
    expect(sales.some((s) => !ids('stores.csv', 'store_id').has(s.store_id))).to.equal(true);
    expect(sales.every((s) => /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}$/.test(s.sale_timestamp))).to.equal(true);
    expect(sales.some((s) => s.sale_timestamp.includes('T'))).to.equal(true);
    const cents = (money: string) => Number(money.replace('.', ''));
    for (const s of sales) {
      expect(s.revenue).to.match(/^\d+\.\d{2}$/);
      const price = prices.get(s.product_id);
      if (price) expect(cents(s.revenue), `sale ${s.sale_id}`).to.equal(Number(s.quantity) * cents(price));
    }
  });

  describe('with three update batches', () => {
    let outDir: string;
    let files: string[];
    let updates: (Row & { file: string })[];
    before(async () => {
      ({ outDir } = await generate({ updateBatches: 3 }));
      files = readdirSync(outDir).filter((f) => f.startsWith('customers_updates')).sort();
      updates = files.flatMap((file) => read(outDir, file).map((r) => ({ ...r, file })));
    });

    it('should write three dated update files and no undated one', () => {
      expect(files).to.have.length(3);
      expect(files.every((f) => /^customers_updates_\d{4}-\d{2}-\d{2}\.csv$/.test(f))).to.equal(true);
      expect(existsSync(join(outDir, 'customers_updates.csv'))).to.equal(false);
    });

    it('should deliver some events late, in a later file than newer events', () => {
      const latest = (file: string) => updates.filter((u) => u.file === file).map((u) => u.updated_at.replace('T', ' ')).sort().pop()!;
      const late = updates.filter((u) => files.some((f) => f < u.file && latest(f) > u.updated_at.replace('T', ' ')));
      expect(late.length).to.be.greaterThan(0);
    });

    it('should change one customer several times within one file', () => {
      const repeated = files.some((file) => {
        const counts = new Map<string, Set<string>>();
        for (const u of updates.filter((x) => x.file === file)) {
          counts.set(u.customer_id, (counts.get(u.customer_id) ?? new Set()).add(`${u.full_name}|${u.email}|${u.loyalty_tier}`));
        }
        return [...counts.values()].some((attrs) => attrs.size >= 2);
      });
      expect(repeated).to.equal(true);
    });

    it('should include an update identical to the version it follows', () => {
      const state = new Map(read(outDir, 'customers.csv').map((c) => [c.customer_id, `${c.full_name}|${c.email}|${c.loyalty_tier}`]));
      const ordered = [...updates].sort((a, b) => a.updated_at.replace('T', ' ').localeCompare(b.updated_at.replace('T', ' ')));
      let noops = 0;
      for (const u of ordered) {
        const attrs = `${u.full_name}|${u.email}|${u.loyalty_tier}`;
        if (state.get(u.customer_id) === attrs) noops++;
        state.set(u.customer_id, attrs);
      }
      expect(noops).to.be.greaterThan(0);
    });

    it('should add case and space noise to emails and tiers', () => {
      expect(updates.some((u) => u.email !== u.email.trim() && u.email !== u.email.toLowerCase())).to.equal(true);
      expect(updates.some((u) => ['bronze', 'silver', 'gold', 'platinum'].includes(u.loyalty_tier))).to.equal(true);
    });

    it('should include a customer seen first in the updates', () => {
      const known = new Set(read(outDir, 'customers.csv').map((c) => c.customer_id));
      expect(updates.some((u) => !known.has(u.customer_id) && Number(u.customer_id) > 200)).to.equal(true);
    });
  });

  it('should write the files from the command line flags and return 0', async () => {
    const projectDir = tempDir();
    const write = process.stdout.write;
    let printed = '';
    process.stdout.write = ((chunk: string) => ((printed += chunk), true)) as typeof process.stdout.write;
    let code: number;
    try {
      code = await generateCommand(['--out', 'landing', '--seed', '3', '--customers', '20', '--sales', '100',
        '--update-batches', '2'], { projectDir, logger: collectingLogger() });
    } finally {
      process.stdout.write = write;
    }
    expect(code).to.equal(0);
    expect(readdirSync(join(projectDir, 'landing')).filter((f) => f.startsWith('customers_updates_'))).to.have.length(2);
    expect(read(join(projectDir, 'landing'), 'sales.csv')).to.have.length(100);
    expect(printed).to.match(/sales\.csv\s+100 rows/).and.match(/rows\/s/);
  });

  it('should refuse an unknown flag with exit code 2', async () => {
    let error: unknown;
    try {
      await generateCommand(['--sale', '5'], { projectDir: tempDir(), logger: collectingLogger() });
    } catch (e) {
      error = e;
    }
    expect(error).to.have.property('exitCode', 2);
  });
});
