/** A fresh database per suite on the test server (`TEST_DATABASE_URL`), dropped after its tests. */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import postgres from 'postgres';

/** The server the suites create their databases on. */
export const adminUrl = process.env.TEST_DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/test';

export interface TestDatabase {
  name: string;
  url: string;
  sql: postgres.Sql;
  drop(): Promise<void>;
}

/**
 * Creates `<prefix>_<random>` (default `sadp_t`), empty or as a copy of `template` (which must have no
 * connections), with `synchronous_commit` off; `drop()` ends its connections and removes it. Its `sql` reads int8 as BigInt unless
 * `bigintAsText` (postgres.js's default: a string).
 */
export async function createDatabase(options: { template?: string; prefix?: string; bigintAsText?: boolean } = {}): Promise<TestDatabase> {
  const name = `${options.prefix ?? 'sadp_t'}_${randomBytes(6).toString('hex')}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${name}${options.template ? ` template ${options.template}` : ''}`);
    // a test database is thrown away: its commits need not wait for the disk (a server crash, which no
    // test causes, could lose the last ones; the suite runs several times faster where fsync is slow)
    await admin.unsafe(`alter database ${name} set synchronous_commit = off`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const sql = postgres(url.toString(), { max: 2, onnotice: () => {},
    ...(options.bigintAsText ? {} : { types: { bigint: postgres.BigInt } as never }) });
  return {
    name,
    url: url.toString(),
    sql,
    async drop() {
      await sql.end({ timeout: 5 });
      const a = postgres(adminUrl, { max: 1, onnotice: () => {} });
      try {
        // with (force) ends the sessions and waits for them to be gone, however slow they are to exit
        await a.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await a.end();
      }
    },
  };
}

/**
 * A suite's own database, created before its tests (handed to `onCreated`) and dropped after them, and
 * the folders its tests make (push them on the returned list), removed after them. Call inside `describe`.
 */
export function suiteDatabase(onCreated: (db: TestDatabase) => void): string[] {
  let db: TestDatabase | undefined;
  const dirs: string[] = [];
  before(async () => {
    db = await createDatabase();
    onCreated(db);
  });
  after(async () => {
    await db?.drop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  return dirs;
}
