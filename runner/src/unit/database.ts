import type { Database, Sql } from '../db/connection.js';
import { acquireRunLock } from '../db/lock.js';
import { ensureMeta, metaVersion } from '../db/meta.js';
import { applyProjectMigrations, migrationsDigest } from '../db/migrate.js';
import { ensureTables } from '../ingest/tables.js';
import { batchSchema } from '../ingest/partitions.js';
import type { Logger } from '../log.js';
import type { Project } from '../project/project.js';
import { qualified } from '../sql/quote.js';
import { statement } from '../sql/statements.js';

/**
 * Unit tests take the types of sources from the raw tables and call the functions the project's
 * migrations create, so a new database gets what a build would give it first: the runner's meta schema,
 * the project's migrations and the raw tables (none of them holding a row). A database that has them
 * (any that was built) is only read, and the run lock is not needed; setting one up takes it.
 */
export async function readyForUnitTests(db: Database, project: Project, opts: { lockTimeoutMs: number; logger: Logger }): Promise<void> {
  if (await isReady(db.sql, project)) return;
  const lock = await acquireRunLock(() => db.reserve(), opts.lockTimeoutMs,
    (holder) => opts.logger.info(`waiting for ${holder} to finish…`));
  try {
    const conn = lock.conn as unknown as Sql;
    await ensureMeta(conn);
    await applyProjectMigrations(conn, db.url, project.migrationsDir);
    if (project.sources.length) await ensureTables(conn, project.sources);
  } finally {
    await lock.release();
  }
}

async function isReady(sql: Sql, project: Project): Promise<boolean> {
  const [meta] = await sql.unsafe(statement('meta/version'));
  if (meta?.version !== metaVersion()) return false;
  const digest = project.migrationsDir && migrationsDigest(project.migrationsDir);
  if (digest) {
    const [known] = await sql.unsafe(statement('meta/migrations-digest'), [project.migrationsDir!]);
    if (known?.digest !== digest) return false;
  }
  if (!project.sources.length) return true;
  const present = await sql.unsafe(statement('ingest/raw-tables'),
    [project.sources.map((s) => qualified(s.schema, s.name)), project.sources.map(batchSchema)]);
  return present.every((p) => p.kind !== null && p.rejects);
}
