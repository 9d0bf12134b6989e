import { spawn } from 'node:child_process';
import { dataDirectoryFor } from '../db/embedded-setup.js';
import { keepServer, keptServer, stopKeptServer } from '../db/kept-server.js';
import { didYouMean, redact, usageError, UserError } from '../errors.js';
import { parseArgs, str } from './args.js';
import type { CommandContext } from '../cli.js';
import { specOf } from './flags.js';

const usage = 'usage: npm run db -- start|stop|status|url|psql';

/**
 * The embedded warehouse at hand: `start` keeps the project's embedded PostgreSQL running between
 * commands (they use it instead of starting their own) and prints its URL for psql and BI tools; `stop`
 * stops it; `url` and `psql` reach the target (DATABASE_URL when set, else the kept server).
 */
export async function run(argv: string[], ctx: CommandContext): Promise<number> {
  const args = parseArgs(argv, specOf('db'), 'db');
  const [action, ...extra] = args.positional;
  if (!action || extra.length) throw usageError(action ? `"db" takes one action, got ${args.positional.length}\n${usage}` : `what should db do? ${usage}`);
  const given = str(args, 'database-url') ?? process.env.DATABASE_URL;
  const dataDir = dataDirectoryFor(ctx.projectDir);
  switch (action) {
    case 'start': {
      const server = await keepServer(ctx.projectDir, ctx.logger);
      process.stdout.write(`${server.started ? 'started' : 'already running:'} the embedded PostgreSQL at ${server.url} (data in ${dataDir})\n` +
        `every command of this project uses it until: npm run db -- stop\n`);
      if (given) ctx.logger.warn('DATABASE_URL is set: commands use that database, not this server, until you unset it');
      return 0;
    }
    case 'stop':
      process.stdout.write(await stopKeptServer(ctx.projectDir) ? 'stopped the embedded PostgreSQL\n' : 'no embedded PostgreSQL was running\n');
      return 0;
    case 'status': {
      const server = keptServer(dataDir);
      process.stdout.write(server ? `running at ${server.url} (pid ${server.pid}, data in ${dataDir})\n` : `not running (data in ${dataDir})\n`);
      if (given) process.stdout.write(`DATABASE_URL is set: commands use ${redact(given)}, not the embedded server\n`);
      return 0;
    }
    case 'url':
      process.stdout.write(`${targetUrl(given, dataDir)}\n`);
      return 0;
    case 'psql':
      return psql(targetUrl(given, dataDir));
    default:
      throw usageError(`unknown action "${action}" for "db"${didYouMean(action, ['start', 'stop', 'status', 'url', 'psql'])}\n${usage}`);
  }
}

function targetUrl(given: string | undefined, dataDir: string): string {
  if (given) return given;
  const server = keptServer(dataDir);
  if (!server) throw usageError('no embedded PostgreSQL is running; start it with: npm run db -- start (or set DATABASE_URL)');
  return server.url;
}

function psql(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('psql', [url], { stdio: 'inherit' });
    child.on('error', (e) => reject((e as NodeJS.ErrnoException).code === 'ENOENT'
      ? new UserError('usage', `psql is not installed here; connect any PostgreSQL client to ${redact(url)}`)
      : e));
    child.on('close', (code) => resolve(code ?? 1));
  });
}
