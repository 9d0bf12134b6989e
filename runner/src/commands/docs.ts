import { relative } from 'node:path';
import { parseArgs, str } from './args.js';
import { specOf } from './flags.js';
import type { CommandContext } from '../cli.js';
import { parseVars } from '../project/vars.js';
import { buildDocs } from '../publish/docs.js';
import { usageError } from '../errors.js';

/**
 * Writes target/docs/index.html (one file: opens from disk) and target/docs/lineage.svg. Needs no
 * database; with DATABASE_URL or --database-url it adds the column types of the built relations.
 */
export async function run(argv: string[], ctx: CommandContext): Promise<number> {
  const args = parseArgs(argv, specOf('docs'), 'docs');
  if (args.positional.length) throw usageError(`unexpected argument "${args.positional[0]}" for "docs"`);
  const out = await buildDocs({ projectDir: ctx.projectDir, logger: ctx.logger, databaseUrl: str(args, 'database-url'),
    vars: parseVars(str(args, 'vars')) });
  const shown = (p: string) => relative(process.cwd(), p) || p;
  process.stdout.write(`wrote ${shown(out.index)} (${out.nodes} nodes${out.types ? `, with column types${out.counts ? ' and row counts' : ''}` : ''}) and ${shown(out.svg)}\n`);
  return 0;
}
