/**
 * One module for every error a user can see. A `UserError` is bad input or configuration: it carries a
 * stable code, a plain lower-case sentence that names the thing and says the fix, and an exit code.
 * Anything else that reaches the CLI is a bug and is printed with its stack.
 */

export const codes = {
  usage: 2,
  config: 2,
  template: 2,
  project: 2,
  connection: 2,
  input: 2,
  node_failed: 1,
  test_failed: 1,
  locked: 1,
  run_failed: 1,
} as const;

export type ErrorCode = keyof typeof codes;

export class UserError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: number;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UserError';
    this.code = code;
    this.exitCode = codes[code];
  }
}

export const usageError = (message: string) => new UserError('usage', message);
export const configError = (message: string) => new UserError('config', message);
export const templateError = (message: string) => new UserError('template', message);
export const projectError = (message: string) => new UserError('project', message);
export const inputError = (message: string) => new UserError('input', message);
export const connectionError = (message: string, cause?: unknown) =>
  new UserError('connection', message, { cause });

/** Removes passwords from connection strings and `password=` pairs anywhere in a text. */
export function redact(text: string): string {
  return text
    .replace(/(postgres(?:ql)?:\/\/[^:/@\s]*:)[^@\s]*@/gi, '$1***@')
    .replace(/(password\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s&;,]+)/gi, '$1***');
}

/** Levenshtein distance, for "did you mean" suggestions. */
export function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
}

/** The closest candidates to `name` (at most `max`), best first; empty when nothing is close. */
export function closest(name: string, candidates: Iterable<string>, max = 3): string[] {
  const limit = Math.max(2, Math.floor(name.length / 2));
  return [...candidates]
    .map((c) => ({ c, d: distance(name.toLowerCase(), c.toLowerCase()) }))
    .filter(({ c, d }) => d <= limit || c.includes(name) || name.includes(c))
    .sort((x, y) => x.d - y.d || x.c.localeCompare(y.c))
    .slice(0, max)
    .map(({ c }) => c);
}

export function didYouMean(name: string, candidates: Iterable<string>): string {
  const best = closest(name, candidates);
  return best.length ? `; did you mean ${best.map((b) => `"${b}"`).join(' or ')}?` : '';
}
