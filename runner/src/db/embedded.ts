import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectionError, UserError } from '../errors.js';
import type { Logger } from '../log.js';
import { alive, dataDirectoryFor, freePort, importEmbeddedPostgres, sleep } from './embedded-setup.js';

export interface EmbeddedServer {
  url: string;
  dataDir: string;
  stop(): Promise<void>;
}

/** A server left behind by a killed command holds the data directory; stop it if its runner is gone. */
async function clearOrphan(dataDir: string, logger: Logger): Promise<void> {
  const pidFile = join(dataDir, 'postmaster.pid');
  const ownerFile = join(dataDir, 'sadp-owner.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!pid || !alive(pid)) return;
  const owner = existsSync(ownerFile) ? Number(readFileSync(ownerFile, 'utf8')) : 0;
  if (owner && owner !== process.pid && alive(owner)) {
    throw new UserErrorLocked(owner, dataDir);
  }
  logger.warn(`stopping an embedded PostgreSQL (pid ${pid}) left behind by a killed command`);
  process.kill(pid, 'SIGINT');
  for (let i = 0; i < 200 && alive(pid); i++) await sleep(50);
  if (alive(pid)) process.kill(pid, 'SIGKILL');
  for (let i = 0; i < 100 && alive(pid); i++) await sleep(50);
}

class UserErrorLocked extends Error {
  constructor(readonly owner: number, dataDir: string) {
    super(`the embedded database in "${dataDir}" is in use by another command (pid ${owner}); wait for it to finish`);
  }
}

/** How the runner runs PostgreSQL in `dataDir`: on 127.0.0.1 only, trust auth, as the postgres OS user when root. */
export const serverFlags = ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'fsync=on'];

/**
 * Makes `dataDir` ready for a server of this command: waits while another command's server holds it,
 * stops one that a killed command left behind, and runs initdb the first time. Returns the embedded
 * cluster, not started.
 */
export async function prepareCluster(dataDir: string, port: number, logger: Logger) {
  for (let attempt = 0; ; attempt++) {
    try {
      await clearOrphan(dataDir, logger);
      break;
    } catch (e) {
      if (!(e instanceof UserErrorLocked) || attempt > 600) throw new UserError('locked', (e as Error).message);
      if (attempt === 0) logger.info(`waiting for the command with pid ${e.owner} to release the embedded database…`);
      await sleep(500);
    }
  }
  const { default: EmbeddedPostgres } = await importEmbeddedPostgres();
  const log: string[] = [];
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password: 'unused',
    persistent: true,
    createPostgresUser: true,
    initdbFlags: ['--auth-local=trust', '--auth-host=trust', '--encoding=UTF8', '--locale=C.UTF-8'],
    postgresFlags: serverFlags,
    onLog: (m: string) => log.push(m),
    onError: (m: unknown) => log.push(String(m)),
  });
  const failed = (e: unknown) => connectionError(`could not start the embedded PostgreSQL in "${dataDir}": ${(e as Error)?.message ?? ''}` +
    `\n${log.slice(-5).join('').trim()}\nset DATABASE_URL to use a server of your own instead`, e);
  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    if (existsSync(dataDir)) rmSync(dataDir, { recursive: true, force: true }); // a half-made initdb
    logger.info(`creating the embedded PostgreSQL in ${dataDir} (once)…`);
    await pg.initialise().catch((e) => {
      throw failed(e);
    });
  }
  return { pg, failed };
}

/** Starts the embedded PostgreSQL 15 for the duration of one command. */
export async function startEmbedded(projectDir: string, logger: Logger): Promise<EmbeddedServer> {
  const dataDir = dataDirectoryFor(projectDir);
  const port = await freePort();
  const { pg, failed } = await prepareCluster(dataDir, port, logger);
  await pg.start().catch((e) => {
    throw failed(e);
  });
  writeFileSync(join(dataDir, 'sadp-owner.pid'), String(process.pid));
  let stopped: Promise<void> | undefined;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    dataDir,
    stop: () => (stopped ??= pg.stop().then(() => rmSync(join(dataDir, 'sadp-owner.pid'), { force: true }))),
  };
}
