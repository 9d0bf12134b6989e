import net from 'node:net';
import postgres from 'postgres';
import { connectionError, redact } from '../errors.js';
import { startEmbedded, type EmbeddedServer } from './embedded.js';
import { dataDirectoryFor } from './embedded-setup.js';
import { keptServer } from './kept-server.js';
import type { Logger } from '../log.js';
import { statement } from '../sql/statements.js';
import { interruption, withDeadline } from './loss.js';
import { sessionTracker, type Session } from './session.js';
import { detectTarget, type TargetInfo } from './target.js';

export type Sql = postgres.Sql<Record<string, never>>;
/** A transaction's connection (`sql.begin`). */
export type Tx = postgres.TransactionSql<Record<string, never>>;

export interface Database {
  sql: Sql;
  /** The connection string; contains the password when the user gave one, so never print it unredacted. */
  url: string;
  /** `host:port/db` without credentials, for logs and lineage. */
  display: string;
  embedded?: EmbeddedServer;
  /** PostgreSQL, or a Citus coordinator with workers: which templates the runner's statements come from. */
  target: TargetInfo;
  /** A connection of its own (a session) for the run lock or a thread's transactions; see session.ts. */
  reserve(): Promise<Session>;
  close(): Promise<void>;
  /** A new client of one connection, apart from the pool (which may hold dead connections after a loss); end it after use. */
  single(): Sql;
}

export interface ConnectOptions {
  projectDir: string;
  databaseUrl?: string;
  logger: Logger;
  /** Pool size: the runner's threads plus one for bookkeeping. */
  max?: number;
}

/** How long a connection may take to open, and the first query to answer. */
const connectTimeoutS = 5;

const handlers = new Set<() => Promise<void>>();
let signalsInstalled = false;

/** Stops embedded servers on Ctrl-C and SIGTERM, then exits with the conventional code. */
function installSignalHandlers() {
  if (signalsInstalled) return;
  signalsInstalled = true;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, async () => {
      interruption.signal = signal;
      // the run's connections die with the server now; the driver's errors about them are expected
      process.on('uncaughtException', () => {});
      await Promise.allSettled([...handlers].map((h) => h()));
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }
}

export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {
    return redact(url);
  }
}

/**
 * Opens the target database: `DATABASE_URL`/`--database-url`, else the embedded PostgreSQL 15 that
 * `npm run db -- start` keeps running, else an embedded one started for this command.
 */
export async function connect(options: ConnectOptions): Promise<Database> {
  const given = options.databaseUrl ?? process.env.DATABASE_URL;
  let embedded: EmbeddedServer | undefined;
  let url: string;
  if (given) {
    url = given;
  } else {
    // the server `npm run db -- start` keeps running, else one for this command only
    const kept = keptServer(dataDirectoryFor(options.projectDir));
    if (kept) {
      url = kept.url;
    } else {
      installSignalHandlers();
      embedded = await startEmbedded(options.projectDir, options.logger);
      handlers.add(embedded.stop);
      url = embedded.url;
    }
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
    if (!/^postgres(ql)?:$/.test(parsed.protocol)) throw new Error(`scheme ${parsed.protocol}`);
    if (parsed.port && !(Number(parsed.port) > 0 && Number(parsed.port) < 65536)) throw new Error('port');
  } catch {
    throw connectionError(`the database URL "${redact(url)}" is not a PostgreSQL connection string; ` +
      `write it as postgres://user:password@host:5432/database (in DATABASE_URL or --database-url)`);
  }
  const tcp = parsed.hostname !== '' && !parsed.searchParams.has('host');
  const display = describeUrl(url);
  const sessions = sessionTracker(display);
  const client = (max: number, tracked: boolean) => postgres(url, {
    max,
    // TCP_NODELAY, as libpq sets it: without it every COPY end and the query after it wait for Nagle's delay
    ...(tcp ? { socket: () => net.connect({ host: parsed.hostname, port: Number(parsed.port || 5432), noDelay: true }) } : {}),
    onnotice: () => {},
    ...(tracked ? { debug: sessions.debug, onclose: sessions.onclose } : {}),
    connect_timeout: connectTimeoutS,
    idle_timeout: 0,
    // random_page_cost 1.1 as for SSDs and cached data: with the default 4.0 a merge of 20k rows into a
    // 1M-row table hashes the whole table instead of probing its key index
    // on a Citus coordinator, keep the session's connections to the workers between its transactions:
    // each node's transaction would open them again (~0.15 s); a server without Citus ignores the setting
    connection: { application_name: 'sadp-runner', TimeZone: 'UTC', DateStyle: 'ISO', work_mem: '128MB', random_page_cost: '1.1',
      'citus.max_cached_conns_per_worker': '8' },
    types: {
      // int8 comes back as a string by default; ids and counts here fit in a double
      bigint: { to: 20, from: [20], serialize: (x: unknown) => String(x), parse: (x: string) => Number(x) } as never,
    },
  }) as unknown as Sql;
  const sql = client(options.max ?? 5, true);
  const close = async (now = false) => {
    // the driver waits forever for the answer to a query whose connection died (the session knows)
    await sql.end({ timeout: now || sessions.anyLost() ? 0 : 5 }).catch(() => {});
    if (embedded) {
      await embedded.stop();
      handlers.delete(embedded.stop);
    }
  };
  // the driver retries a connection that timed out for as long as a query waits for it: a host that
  // never answers (a firewall dropping packets, a server that accepts and hangs) would keep the command
  // waiting forever, so the first query gets a deadline of its own
  let target: TargetInfo;
  try {
    const [pinged] = await withDeadline(sql.unsafe(statement('db/ping')), connectTimeoutS * 1000 + 500, 'CONNECT_TIMEOUT', 'no answer');
    target = await detectTarget(sql, Boolean(pinged?.citus));
  } catch (e) {
    await close(true);
    throw connectionError(explain(e as NodeJS.ErrnoException & { code?: string }, display), e);
  }
  return { sql, url, display, embedded, target, reserve: () => sessions.reserve(sql), close: () => close(), single: () => client(1, false) };
}

function explain(e: { code?: string; message?: string }, display: string): string {
  const base = `cannot connect to the database at ${display}`;
  switch (e.code) {
    case 'ECONNREFUSED':
      return `${base}: connection refused; is PostgreSQL running there? check DATABASE_URL (host and port)`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `${base}: unknown host; check the host name in DATABASE_URL`;
    case 'CONNECT_TIMEOUT':
    case 'ETIMEDOUT':
      return `${base}: no answer within ${connectTimeoutS} s; check the host, port and any firewall`;
    case '28P01':
    case '28000':
      return `${base}: authentication failed; check the user name and password in DATABASE_URL`;
    case '3D000':
      return `${base}: ${redact(e.message ?? '')}; create it (createdb) or fix the database name in DATABASE_URL`;
    default:
      return `${base}: ${redact(e.message ?? String(e))}; check DATABASE_URL`;
  }
}
