import { join } from 'node:path';
import { parseArgs, str } from './args.js';
import { specOf } from './flags.js';
import type { CommandContext } from '../cli.js';
import { connect } from '../db/connection.js';
import { didYouMean, usageError } from '../errors.js';
import { targetDir, writeFileWhole } from '../files/write.js';
import { loadProject } from '../project/project.js';
import { projectName, uniqueId } from '../project/unique-id.js';
import { ageText, checkFreshness, withFreshness } from '../run/freshness.js';

/**
 * `source-freshness` (dbt's `source freshness`): per source table with `freshness:`, how long ago its
 * newest rows landed and whether that passes, warns or errs; writes target/sources.json. Exit 1 when a
 * table is past its `error_after`.
 */
export async function run(argv: string[], ctx: CommandContext): Promise<number> {
  const args = parseArgs(argv, specOf('source-freshness'), 'source-freshness');
  const project = loadProject(ctx.projectDir);
  const keys = withFreshness(project.sources).map((t) => `${t.source}.${t.name}`);
  const items = (str(args, 'select') ?? args.positional.join(' ')).split(/[\s,]+/).filter(Boolean).map((i) => i.replace(/^source:/, ''));
  for (const item of items) {
    if (!keys.some((k) => k === item || k.startsWith(`${item}.`))) {
      throw usageError(`no source with freshness: named "${item}"${didYouMean(item, keys)}; add freshness: {warn_after: {count: 12, period: hour}} to it in its sources YAML`);
    }
  }
  const tables = withFreshness(project.sources).filter((t) => !items.length ||
    items.some((i) => i === `${t.source}.${t.name}` || i === t.source));
  if (!tables.length) {
    process.stdout.write('no source declares freshness: add freshness: {warn_after: {count: 12, period: hour}, error_after: {count: 1, period: day}} ' +
      'to a source or table in its YAML under models/\n');
    return 0;
  }
  const db = await connect({ projectDir: ctx.projectDir, databaseUrl: str(args, 'database-url'), logger: ctx.logger, max: 4 });
  let results;
  try {
    results = await checkFreshness(db.sql, tables);
  } finally {
    await db.close();
  }
  const width = Math.max(...results.map((r) => r.source.length));
  for (const r of results) {
    const age = r.age_seconds === null ? '-' : ageText(r.age_seconds);
    process.stdout.write(`${r.status.toUpperCase().padEnd(5)}  ${r.source.padEnd(width)}  ${age.padStart(10)}  ${r.message}\n`);
  }
  const name = projectName(ctx.projectDir);
  writeFileWhole(join(targetDir(ctx.projectDir), 'sources.json'), JSON.stringify({
    generated_at: new Date().toISOString(),
    results: results.map((r) => ({ unique_id: uniqueId('source', name, r.source), ...r })),
  }, null, 2));
  const errors = results.filter((r) => r.status === 'error').length;
  const warns = results.filter((r) => r.status === 'warn').length;
  process.stdout.write(`${results.length} source table(s): ${results.length - errors - warns} fresh, ${warns} warned, ${errors} past error_after or never loaded\n`);
  return errors ? 1 : 0;
}
