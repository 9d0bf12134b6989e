import { redact } from './errors.js';

export interface LogEvent {
  event: string;
  run_id?: number | string;
  node?: string;
  status?: string;
  ms?: number;
  rows?: number | null;
  message?: string;
  [key: string]: unknown;
}

/** Where diagnostics go. Tests pass their own to collect events; the CLI picks one for the terminal. */
export interface Logger {
  event(e: LogEvent): void;
  info(message: string): void;
  warn(message: string): void;
}

const colours = { ok: 32, success: 32, pass: 32, error: 31, fail: 31, skipped: 33, warn: 33, run: 36 } as const;

function paint(status: string, text: string, tty: boolean): string {
  const c = colours[status as keyof typeof colours];
  return tty && c ? `\x1b[${c}m${text}\x1b[0m` : text;
}

const flushers = new Set<() => void>();

/** Writes the JSON lines still pending, before something else writes to the same stream. */
export function flushLogs(): void {
  for (const f of flushers) f();
}

/** On a terminal: one readable line per node. Otherwise: one JSON object per line, on stderr. */
export function createLogger(stream: NodeJS.WriteStream = process.stderr, json = !stream.isTTY): Logger {
  const write = (line: string) => stream.write(redact(line) + '\n');
  if (json) {
    // the lines of one turn of the event loop (a group of views logs a thousand) go out in one write;
    // whatever is pending is written before the process exits
    let pending: string[] = [];
    const flush = () => {
      if (!pending.length) return;
      const text = pending.join('\n');
      pending = [];
      stream.write(redact(text) + '\n');
    };
    process.once('exit', flush);
    flushers.add(flush);
    const line = (l: string) => {
      if (!pending.length) setImmediate(flush);
      pending.push(l);
    };
    return {
      event: (e) => line(JSON.stringify({ ts: new Date().toISOString(), ...e })),
      info: (message) => line(JSON.stringify({ ts: new Date().toISOString(), event: 'info', message })),
      warn: (message) => line(JSON.stringify({ ts: new Date().toISOString(), event: 'warn', message })),
    };
  }
  const tty = Boolean(stream.isTTY);
  return {
    event(e) {
      // unit tests are reported on stdout, by the command that runs them
      if (e.event === 'unit_test') return;
      // a run's end is the command's one summary line, on stdout
      if (e.event === 'run' && e.status !== 'start') return;
      if ((e.event === 'node' || e.event === 'test') && e.status && e.status !== 'start') {
        const rows = e.rows === undefined || e.rows === null ? '' : ` ${e.rows} rows`;
        const ms = e.ms === undefined ? '' : ` ${e.ms} ms`;
        const msg = e.message ? `\n    ${e.message.replace(/\n/g, '\n    ')}` : '';
        write(`  ${paint(e.status, e.status.toUpperCase().padEnd(7), tty)} ${e.node}${ms}${rows}${msg}`);
      } else if (e.event === 'node' && e.status === 'start') {
        if (tty) write(`  ${paint('run', 'RUN    ', tty)} ${e.node}`);
      } else if (e.message) {
        write(e.message);
      }
    },
    info: (message) => write(message),
    warn: (message) => write(paint('warn', `warning: ${message}`, tty)),
  };
}

/** Swallows everything except what `sink` collects; for tests and quiet runs. */
export function collectingLogger(sink: LogEvent[] = []): Logger & { events: LogEvent[] } {
  return {
    events: sink,
    event: (e) => sink.push(e),
    info: (message) => sink.push({ event: 'info', message }),
    warn: (message) => sink.push({ event: 'warn', message }),
  };
}
