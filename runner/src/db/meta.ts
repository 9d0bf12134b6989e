import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Sql } from './connection.js';
import { statement } from '../sql/statements.js';
import { runnerRoot } from '../sql/templates.js';

let migrations: { text: string; version: string } | undefined;

/** runner/migrations/*.sql in order, as one text, and the digest that names it. */
function runnerMigrations(): { text: string; version: string } {
  if (migrations) return migrations;
  const dir = join(runnerRoot, 'migrations');
  const files = readdirSync(dir).filter((f) => /^\d+-.*\.sql$/.test(f)).sort();
  const text = files.map((f) => readFileSync(join(dir, f), 'utf8')).join(';\n');
  const version = `sadp meta ${createHash('sha256').update(text).digest('hex').slice(0, 16)}`;
  return (migrations = { text, version });
}

/** The version a meta schema is at once ensureMeta brought it up to date. */
export const metaVersion = (): string => runnerMigrations().version;

/**
 * Brings the runner's own tables (schema meta) up to date. They come from runner/migrations/, created by
 * the runner itself rather than the project's migrations, so that any project directory works. Each file
 * is idempotent; all are applied, in order, when the schema's comment doesn't name their digest, so an
 * up-to-date database costs one query. The caller holds the run lock (two first runs would race).
 */
export async function ensureMeta(sql: Sql): Promise<void> {
  const { text, version } = runnerMigrations();
  const [row] = await sql.unsafe(statement('meta/version'));
  if (row?.version === version) return;
  await sql.unsafe(`${text};\n${statement('meta/set-version', { version })}`);
}
