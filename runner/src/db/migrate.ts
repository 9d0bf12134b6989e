import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectError, redact } from '../errors.js';
import type { Sql } from './connection.js';
import { statement } from '../sql/statements.js';

/**
 * Applies the project's `migrations/` with @databases/pg-migrations (its bookkeeping lives in `meta`).
 * pg-migrations opens its own pool and reads its tables on every call, so the runner remembers the
 * digest of the folder it last applied and skips the whole step when nothing changed. Returns whether
 * it applied the folder.
 */
export async function applyProjectMigrations(sql: Sql, url: string, dir: string | undefined): Promise<boolean> {
  const digest = dir ? migrationsDigest(dir) : undefined;
  if (!dir || !digest) return false;
  const [known] = await sql.unsafe(statement('meta/migrations-digest'), [dir]);
  if (known?.digest === digest) return false;

  const mod = await import('@databases/pg-migrations') as unknown as {
    connect: (o: object) => { dispose(): Promise<void> };
    applyMigrations: (o: object) => Promise<void>;
  };
  const { connect, applyMigrations } = mod;
  const connection = connect({ connectionString: url, bigIntMode: 'number', poolSize: 1 });
  try {
    await applyMigrations({
      connection,
      migrationsDirectory: dir,
      versionTableName: 'meta.migrations_version',
      appliedMigrationsTableName: 'meta.migrations_applied',
    });
  } catch (e) {
    throw projectError(`migrations in "${dir}" failed: ${redact((e as Error).message)}\nfix the migration (applied ones must not be edited: add a new file instead)`);
  } finally {
    await connection.dispose();
  }
  await sql.unsafe(statement('meta/record-migrations-digest'), [dir, digest]);
  return true;
}

/** The digest of a migrations folder's files (names and contents); undefined when it holds none. */
export function migrationsDigest(dir: string): string | undefined {
  const files = readdirSync(dir).filter((f) => /^\d+-.*\.(sql|ts|js)$/.test(f)).sort();
  if (!files.length) return undefined;
  const hash = createHash('sha256');
  for (const f of files) hash.update(f).update('\0').update(readFileSync(join(dir, f))).update('\0');
  return hash.digest('hex');
}
