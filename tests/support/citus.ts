/**
 * Databases on the local Citus cluster that CI starts (../shared/citus/cluster.sh: a coordinator and two
 * workers). There is no silent skip: without the cluster these suites fail and say how to start it;
 * SADP_SKIP_CITUS=1 leaves them out on purpose (they show as pending).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import postgres from 'postgres';
import type { Database } from '../../runner/src/db/connection.js';
import type { TestDatabase } from './database.js';
import { repoRoot } from './files.js';
import { openDatabase } from './warehouse.js';

const run = promisify(execFile);

/** The cluster's script: `../shared/citus/cluster.sh` beside the repository, or CITUS_CLUSTER_SH. */
export const clusterScript = process.env.CITUS_CLUSTER_SH ?? join(repoRoot, '..', 'shared', 'citus', 'cluster.sh');

/** Shards per distributed table in a test database: two per worker keeps DDL fast and still uses both workers. */
export const testShardCount = 4;

/** Call first inside a Citus suite's `describe`: marks it pending when SADP_SKIP_CITUS=1. */
export function citusSuite(suite: Mocha.Suite): void {
  if (process.env.SADP_SKIP_CITUS === '1') suite.pending = true;
}

/**
 * Creates `<prefix>_<random>` on every node of the cluster with the extension and the workers registered,
 * its tables `testShardCount` shards each; `drop()` removes it from every node.
 */
export async function createClusterDatabase(prefix = 'sadp_c', shardCount = testShardCount): Promise<TestDatabase> {
  if (!existsSync(clusterScript)) {
    throw new Error(`no Citus cluster script at ${clusterScript}: run ../shared/citus/install.sh and ../shared/citus/cluster.sh start ` +
      '(or SADP_SKIP_CITUS=1 to leave the Citus suites out)');
  }
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  let url: string;
  try {
    url = (await run(clusterScript, ['createdb', name])).stdout.trim().split('\n').pop()!;
  } catch (e) {
    throw new Error(`cannot create a database on the Citus cluster (${(e as Error).message.trim()}); ` +
      'is it running? ../shared/citus/cluster.sh start');
  }
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`alter database ${name} set citus.shard_count = ${shardCount}`);
  } finally {
    await admin.end();
  }
  const sql = postgres(url, { max: 2, onnotice: () => {} });
  return {
    name,
    url,
    sql,
    async drop() {
      await sql.end({ timeout: 5 });
      await run(clusterScript, ['dropdb', name]).catch(() => {});
    },
  };
}

/** A suite's own cluster database, opened as the runner opens it (as suiteWarehouse does on PostgreSQL). */
export function suiteClusterWarehouse(): { db: Database; test: TestDatabase } {
  const state = {} as { db: Database; test: TestDatabase };
  before(async () => {
    state.test = await createClusterDatabase();
    state.db = await openDatabase(state.test.url);
  });
  after(async () => {
    await state.db?.close();
    await state.test?.drop();
  });
  return state;
}
