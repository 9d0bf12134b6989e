import { connect } from '../db/connection.js';
import { redact, usageError, UserError } from '../errors.js';
import { num, parseArgs, str } from './args.js';
import type { CommandContext } from '../cli.js';
import { specOf } from './flags.js';
import { formatCsv, formatJson, formatTable, type Column } from './output.js';

const usage = 'usage: npm run sql -- "select …" [--format table|csv|json] [--limit N]';
const formats = { table: formatTable, csv: formatCsv, json: formatJson };

/**
 * Runs one read-only query against the target (DATABASE_URL, or the embedded warehouse: the kept server
 * of `npm run db -- start`, else one started for this command) and prints its rows. Read-only: the
 * query runs in a read-only transaction, so nothing it says can change the warehouse.
 */
export async function run(argv: string[], ctx: CommandContext): Promise<number> {
  const args = parseArgs(argv, specOf('sql'), 'sql');
  const query = args.positional.join(' ').trim();
  if (!query) throw usageError(`which query? ${usage}`);
  const format = str(args, 'format') ?? 'table';
  if (!Object.hasOwn(formats, format)) throw usageError(`unknown --format "${format}"; use table, csv or json`);
  // a table is for reading: its first rows; CSV and JSON are for programs: every row
  const limit = num(args, 'limit', format === 'table' ? 100 : Number.MAX_SAFE_INTEGER, 1);
  const db = await connect({ projectDir: ctx.projectDir, databaseUrl: str(args, 'database-url'), logger: ctx.logger, max: 1 });
  let columns: Column[] = [];
  const rows: (string | null)[][] = [];
  let more = false;
  try {
    await db.sql.begin('read only', async (tx) => {
      const cursor = tx.unsafe(query).raw().cursor(Math.min(limit + 1, 1000));
      for await (const batch of cursor as AsyncIterable<(Buffer | null)[][]>) {
        columns = columnsOf(batch) ?? columns;
        for (const row of batch) {
          if (rows.length >= limit) {
            more = true;
            break;
          }
          rows.push(row.map((v) => (v === null ? null : v.toString('utf8'))));
        }
        if (more) break;
      }
      // no rows, no batch: the columns come from the statement's description
      if (!columns.length) columns = columnsOf(await tx.unsafe(query).describe()) ?? [];
    });
  } catch (e) {
    if (e instanceof UserError) throw e;
    const { message, position } = e as { message: string; position?: string };
    const at = position ? ` (at character ${position} of the query)` : '';
    throw new UserError('run_failed', `the query failed on ${db.display}: ${redact(message)}${at}`);
  } finally {
    await db.close();
  }
  process.stdout.write(formats[format as keyof typeof formats](columns, rows));
  if (format === 'table') {
    process.stdout.write(`(${rows.length} row${rows.length === 1 ? '' : 's'}${more ? `; more not shown: --limit N, or --format csv for all` : ''})\n`);
  }
  return 0;
}

const columnsOf = (result: unknown): Column[] | undefined =>
  (result as { columns?: Column[] }).columns?.map((c) => ({ name: c.name, type: c.type }));
