import { UserError } from '../errors.js';

/**
 * A run cut off from its database: the server went away, ended the session, or the command was
 * interrupted. What the run was writing then did not commit.
 */

/** Set when Ctrl-C or a termination signal stops the command (and the embedded server with it). */
export const interruption: { signal?: string } = {};

export class ConnectionLost extends UserError {
  constructor(display: string, reason: string) {
    super('run_failed', interruption.signal
      ? `interrupted by ${interruption.signal}: the command stopped, and the embedded server with it; each node and ` +
        `each landing file commits whole, so every table is as before this run or as the run meant to leave it`
      : `lost the connection to the database at ${display} (${reason}): the server restarted or ` +
        `ended the session; each node and each landing file commits whole, so every table is as before this run or as ` +
        `the run meant to leave it. ` +
        `run the command again once the database is back`);
    this.name = 'ConnectionLost';
  }
}

/** `e` as a lost connection, if that is what it is. */
export function lostConnection(e: unknown, display: string): ConnectionLost | undefined {
  if (e instanceof ConnectionLost) return e;
  return isConnectionLoss(e) ? new ConnectionLost(display, (e as Error).message) : undefined;
}

/**
 * `work`, or a rejection with an error of the driver's `code` once `ms` passed without its answer: the
 * driver itself waits forever for a connection that never opens, or for the answer of one that died.
 */
export async function withDeadline<T>(work: Promise<T>, ms: number, code: string, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(message), { code })), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
    work.catch(() => {});
  }
}

/** Error codes that mean the connection itself is gone, not that a statement failed. */
export function isConnectionLoss(e: unknown): boolean {
  if (e instanceof ConnectionLost) return true;
  const code = (e as { code?: unknown })?.code;
  return typeof code === 'string' && (/^(CONNECTION_(CLOSED|DESTROYED|ENDED)|ECONNRESET|EPIPE|ECONNREFUSED)$/.test(code)
    || /^(57P0[1-3]|08\d\d\d)$/.test(code));
}
