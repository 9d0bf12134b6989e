/**
 * Quoting for SQL text the runner builds itself. Names come from projects and CSV headers, so every
 * identifier is quoted, whatever it looks like: a column named `"; drop table x; --` stays a column name.
 */

/** A quoted identifier: `ident('a"b')` → `"a""b"`. */
export function ident(name: string): string {
  if (name.includes('\0')) throw new Error(`identifier contains a NUL byte: ${JSON.stringify(name)}`);
  return '"' + name.replace(/"/g, '""') + '"';
}

/** A schema-qualified, quoted relation name: `qualified('raw', 'sales')` → `"raw"."sales"`. */
export function qualified(schema: string, name: string): string {
  return `${ident(schema)}.${ident(name)}`;
}

/** A quoted string literal, safe whatever `standard_conforming_strings` says: `literal("it's")` → `'it''s'`. */
export function literal(text: string): string {
  if (text.includes('\0')) throw new Error(`string literal contains a NUL byte: ${JSON.stringify(text)}`);
  const body = text.replace(/'/g, "''");
  return text.includes('\\') ? `E'${body.replace(/\\/g, '\\\\')}'` : `'${body}'`;
}

/** Helpers that model templates and the runner's own SQL templates share. */
export const sqlHelpers = {
  ident: (value: unknown) => ident(String(value)),
  literal: (value: unknown) => literal(String(value)),
  /** A list (or a comma-separated string) joined by `sep`, ", " by default. */
  join: (list: unknown, sep: unknown) =>
    (Array.isArray(list) ? list : String(list).split(',').map((s) => s.trim())).join(typeof sep === 'string' ? sep : ', '),
  eq: (a: unknown, b: unknown) => a === b,
};
