import path from 'node:path';
import { parseArgs, num, str, type Parsed } from './args.js';
import { specOf } from './flags.js';
import { usageError } from '../errors.js';
import { defaultGenerateOptions, generateData, type GenerateResult } from '../tools/generate.js';
import { generateUpdateBatch } from '../tools/update-batch.js';
import type { Logger } from '../log.js';

/** Flags that shape a whole data set, which a batch continuing one takes from the files instead. */
const wholeSetFlags = ['customers', 'products', 'stores', 'update-batches'];

/**
 * `generate-data`: writes the synthetic source CSVs, or with `--update-batch` one more delivery for those
 * already in `--out`; the same seed gives byte-identical files.
 */
export async function run(argv: string[], ctx: { projectDir: string; logger: Logger }): Promise<number> {
  const parsed = parseArgs(argv, specOf('generate-data'), 'generate-data');
  const d = defaultGenerateOptions();
  const rate = parsed.flags['update-rate'] === undefined ? d.updateRate : Number(parsed.flags['update-rate']);
  if (!(rate >= 0 && rate <= 1)) throw usageError(`flag "--update-rate" needs a number from 0 to 1, got "${rate}"`);
  const outDir = path.resolve(ctx.projectDir, str(parsed, 'out') ?? path.join('data', 'raw'));
  const result = parsed.flags['update-batch'] ? await updateBatch(parsed, outDir, rate, ctx.logger) : await generateData({
    outDir,
    seed: num(parsed, 'seed', d.seed),
    customers: num(parsed, 'customers', d.customers),
    products: num(parsed, 'products', d.products),
    stores: num(parsed, 'stores', d.stores),
    sales: num(parsed, 'sales', d.sales),
    updateBatches: num(parsed, 'update-batches', d.updateBatches, 1),
    updateRate: rate,
    logger: ctx.logger,
  });
  const total = Object.values(result.rows).reduce((a, b) => a + b, 0);
  const lines = Object.entries(result.rows).map(([file, rows]) => `  ${file.padEnd(40)} ${String(rows).padStart(10)} rows`);
  const perSec = Math.round(total / Math.max(result.ms, 1) * 1000);
  process.stdout.write(`generated ${result.files.length} file${result.files.length === 1 ? '' : 's'} in ${path.relative(process.cwd(), outDir) || '.'}\n` +
    `${lines.join('\n')}\n  ${total} rows in ${result.ms} ms (${perSec} rows/s)\n`);
  return 0;
}

async function updateBatch(parsed: Parsed, outDir: string, rate: number, logger: Logger): Promise<GenerateResult> {
  const whole = wholeSetFlags.find((f) => parsed.flags[f] !== undefined);
  if (whole) {
    throw usageError(`flag "--${whole}" doesn't go with "--update-batch", which continues the data set in --out as it is; ` +
      'leave it out, or generate a new data set without --update-batch');
  }
  return generateUpdateBatch({ outDir, seed: num(parsed, 'seed', defaultGenerateOptions().seed), sales: num(parsed, 'sales', 0),
    updateRate: rate, logger });
}
