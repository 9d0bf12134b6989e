import { usageError, didYouMean } from '../errors.js';

/** `list`: a string that takes every argument up to the next flag, as dbt's `--select a b` (joined by spaces). */
export type FlagSpec = Record<string, 'string' | 'boolean' | 'number' | 'list'>;

export interface Parsed {
  flags: Record<string, string | boolean | number>;
  positional: string[];
}

/** Flags every runner command takes. */
export const commonFlags: FlagSpec = {
  'project-dir': 'string',
  'database-url': 'string',
  help: 'boolean',
};

/**
 * Parses `--name value`, `--name=value` and boolean `--name`. An unknown flag is a usage error that
 * names the closest known flag. A lone `--` ends the flags: what follows is arguments (so that
 * `npx sadp show -- x`, written as for npm, works).
 */
export function parseArgs(argv: string[], spec: FlagSpec, command: string): Parsed {
  const all = { ...commonFlags, ...spec };
  const flags: Parsed['flags'] = {};
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const type = all[name];
    if (!type) {
      throw usageError(`unknown flag "--${name}" for "${command}"${didYouMean(name, Object.keys(all)).replace(/"([^"]+)"/g, '"--$1"')}` +
        ` (run with --help for the list)`);
    }
    let value: string | undefined = eq < 0 ? undefined : arg.slice(eq + 1);
    if (type === 'boolean') {
      flags[name] = value === undefined ? true : !['false', '0', 'no'].includes(value);
      continue;
    }
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined || (type === 'list' && value.startsWith('--'))) throw usageError(`flag "--${name}" needs a value`);
    }
    if (type === 'list') {
      while (i + 1 < argv.length && !argv[i + 1].startsWith('--')) value += ` ${argv[++i]}`;
    }
    if (type === 'number') {
      const n = Number(value);
      if (!Number.isFinite(n)) throw usageError(`flag "--${name}" needs a number, got "${value}"`);
      flags[name] = n;
    } else if (name in flags && typeof flags[name] === 'string' && type === 'list') {
      // --select a --select b means both
      flags[name] = `${flags[name]} ${value}`;
    } else {
      flags[name] = value;
    }
  }
  return { flags, positional };
}

export function str(p: Parsed, name: string): string | undefined {
  const v = p.flags[name];
  return v === undefined ? undefined : String(v);
}

export function num(p: Parsed, name: string, fallback: number, min = 0): number {
  const v = p.flags[name];
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw usageError(`flag "--${name}" needs a whole number >= ${min}, got "${v}"`);
  return n;
}

export function bool(p: Parsed, name: string): boolean {
  return p.flags[name] === true;
}
