import { num, parseArgs, str } from './args.js';
import { defaultOf, specOf } from './flags.js';
import type { CommandContext } from '../cli.js';
import { parseVars } from '../project/vars.js';
import { compiledSql } from '../compile/compile.js';
import { connect } from '../db/connection.js';
import { didYouMean, redact, usageError, UserError } from '../errors.js';
import { prepare } from '../compile/prepare.js';
import { relationOf } from '../compile/compile.js';
import { statement } from '../sql/statements.js';
import { formatTable } from './output.js';

const usage = 'usage: npm run show -- <model> [--limit N]';

/**
 * Runs one model's compiled SELECT against the relations already built (refs resolve to them) and
 * prints its first rows as a table on stdout. Builds nothing: the query runs in a read-only transaction.
 */
export async function run(argv: string[], ctx: CommandContext): Promise<number> {
  const args = parseArgs(argv, specOf('show'), 'show');
  const limit = num(args, 'limit', defaultOf('show', 'limit'), 0);
  if (args.positional.length !== 1) {
    throw usageError(args.positional.length ? `"show" takes one model, got ${args.positional.length}\n${usage}` : `which model? ${usage}`);
  }
  const name = args.positional[0];
  const { compiled } = prepare(ctx.projectDir, ctx.logger, parseVars(str(args, 'vars')));
  const node = compiled.nodes.get(name);
  if (!node) throw usageError(`no model named "${name}"${didYouMean(name, compiled.nodes.keys())}\n${usage}`);
  // a snapshot's SELECT gives its events; what a user wants to see is the history it keeps
  const source = node.config.materialized === 'snapshot' ? `select * from ${relationOf(node)}` : selectOf(compiledSql(node, compiled));
  const query = statement('show/preview', { sql: source, limit });

  const db = await connect({ projectDir: ctx.projectDir, databaseUrl: str(args, 'database-url'), logger: ctx.logger, max: 1 });
  let result;
  try {
    result = await db.sql.begin('read only', (tx) => tx.unsafe(query).raw());
  } catch (e) {
    const message = redact((e as Error).message);
    throw new UserError('run_failed', `cannot show "${name}" (${node.path}) on ${db.display}: ${message}\n` +
      `  build it and what it reads first (npm run build-models -- --select +${name}); its SQL: npm run compile -- --select ${name}`);
  } finally {
    await db.close();
  }
  const columns = (result as unknown as { columns: { name: string; type: number }[] }).columns ?? [];
  const rows = (result as unknown as (Buffer | null)[][]).map((row) => row.map((v) => (v === null ? null : v.toString('utf8'))));
  process.stdout.write(formatTable(columns, rows) + `(${rows.length} row${rows.length === 1 ? '' : 's'}${rows.length === limit ? `, --limit ${limit}` : ''})\n`);
  return 0;
}

/** The statement without a trailing semicolon or trailing comments, so that it can sit in a subquery. */
export function selectOf(sql: string): string {
  let text = sql;
  for (let before = ''; before !== text;) {
    before = text;
    text = text.trimEnd().replace(/(^|\n)[ \t]*--[^\n]*$/, '').replace(/;$/, '');
  }
  return text;
}
