import type { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type postgres from 'postgres';

type Runner = Pick<postgres.Sql<Record<string, never>>, 'unsafe'>;

/**
 * Streams `source` (through `transforms`) into a `COPY … FROM STDIN` statement and resolves when the
 * server has accepted it all.
 *
 * postgres.js hands out the COPY stream and forgets its query; an error the server reports after the
 * stream ended (a constraint failing on the last rows) then reaches no one and the pipeline waits
 * forever. Watching the query's own reject turns that error into a rejection here; the dangling
 * stream callback is released by the next statement on the connection (the transaction's rollback).
 */
export async function copyIn(sql: Runner, statement: string, source: Readable, ...transforms: Transform[]): Promise<void> {
  const query = sql.unsafe(statement) as unknown as { reject: (e: unknown) => void; writable(): Promise<NodeJS.WritableStream> };
  let fail: (e: unknown) => void = () => {};
  const failed = new Promise<never>((_, reject) => (fail = reject));
  failed.catch(() => {});
  const reject = query.reject;
  query.reject = (e: unknown) => {
    reject(e);
    fail(e);
  };
  const writable = await Promise.race([query.writable(), failed]);
  const done = (pipeline as unknown as (streams: unknown[]) => Promise<void>)([source, ...transforms, writable]);
  done.catch(() => {});
  await Promise.race([done, failed]);
  // the stream ending only means the data was sent; the server's verdict (CommandComplete or an error
  // such as a constraint failing on the last rows) comes after it
  await Promise.race([query as unknown as Promise<unknown>, failed]);
}
