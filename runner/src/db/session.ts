import type postgres from 'postgres';
import { ConnectionLost, isConnectionLoss } from './loss.js';
import { statement } from '../sql/statements.js';

/** A connection of the pool reserved for one use: the run lock, or one thread's transactions. */
export interface Session {
  /** The reserved connection; once the connection is gone, every query on it fails with `ConnectionLost`. */
  sql: postgres.ReservedSql<Record<string, never>>;
  /** False once its connection closed: the server restarted or ended the session. */
  readonly alive: boolean;
  /** Gives the connection back to the pool; a dead one is dropped instead. */
  release(): void;
}

const marker = (id: string) => statement('db/session-marker', { id });
let markerPrefix: string | undefined;

/**
 * Knows which reserved connections are still open. postgres.js 3.4.9 crashes the whole process when a
 * query is sent on a reserved connection whose backend is gone (porsager/postgres#1208: the write runs on
 * a null socket, outside any promise), and handing such a connection back to the pool puts a closed
 * connection among the open ones. So each session learns its connection's id through the driver's
 * `debug` hook and watches `onclose` for it; a dead session refuses queries and is never released.
 */
export function sessionTracker(display: string) {
  const closes = new Map<number, number>();
  const pending = new Map<string, number>();
  let next = 0;
  const dead = new Set<Session>();
  return {
    /** True when some session lost its connection: closing the pool must not wait for its answer. */
    anyLost: () => dead.size > 0,
    /** Pass as the driver's `debug` option: maps the marker query of `reserve` to its connection id. */
    debug(connection: number, query: string) {
      markerPrefix ??= marker('');
      if (query.startsWith(markerPrefix)) pending.set(query.slice(markerPrefix.length), connection);
    },
    /** Pass as the driver's `onclose` option. */
    onclose(connection: number) {
      closes.set(connection, (closes.get(connection) ?? 0) + 1);
    },
    async reserve(sql: postgres.Sql<Record<string, never>>): Promise<Session> {
      const reserved = await sql.reserve();
      const tag = String(++next);
      await reserved.unsafe(marker(tag));
      const id = pending.get(tag);
      pending.delete(tag);
      const seen = id === undefined ? 0 : closes.get(id) ?? 0;
      let lost: string | undefined;
      const isAlive = () => !lost && (id === undefined || (closes.get(id) ?? 0) === seen);
      const refuse = () => Promise.reject(new ConnectionLost(display, lost ?? 'the connection closed'));
      const guarded = new Proxy(reserved, {
        apply(target, self, args: unknown[]) {
          const isQuery = Array.isArray(args[0]) && 'raw' in (args[0] as object);
          if (isQuery && !isAlive()) return refuse();
          const q = Reflect.apply(target as never, self, args) as unknown;
          return isQuery ? watch(q) : q;
        },
        get(target, prop, receiver) {
          if (prop === 'unsafe') return (...a: unknown[]) => (isAlive() ? watch((target.unsafe as (...x: unknown[]) => unknown)(...a)) : refuse());
          return Reflect.get(target, prop, receiver);
        },
      });
      // a query that failed because the connection went away marks the session dead at once
      function watch<T>(q: T): T {
        (q as Promise<unknown>).then(undefined, (e: unknown) => {
          if (isConnectionLoss(e)) lost ??= (e as Error).message;
        });
        return q;
      }
      const session: Session = {
        sql: guarded,
        get alive() {
          return isAlive();
        },
        release() {
          if (isAlive()) reserved.release();
          else dead.add(session);
        },
      };
      return session;
    },
  };
}
