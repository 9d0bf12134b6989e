import { didYouMean, projectError } from '../errors.js';

/** What an incremental model or a snapshot does when its SELECT's columns no longer match its table. */
export const onSchemaChangeValues = ['fail', 'append_new_columns', 'sync_all_columns', 'ignore'] as const;
export type OnSchemaChange = typeof onSchemaChangeValues[number];

/**
 * The node's `on_schema_change`, checked when the project compiles: a typo is a configuration error
 * there, not a surprise on the first run that changes a column. `where` names the file that set it.
 */
export function onSchemaChangeOf(value: unknown, where: () => string): OnSchemaChange {
  if (value === undefined || value === null || value === '') return 'fail';
  const text = String(value);
  if ((onSchemaChangeValues as readonly string[]).includes(text)) return text as OnSchemaChange;
  throw projectError(`unknown on_schema_change "${text}" in ${where()}: use one of ` +
    `${onSchemaChangeValues.map((v) => `"${v}"`).join(', ')}${didYouMean(text, onSchemaChangeValues)}`);
}

/** `path:line` of the first line of `text` that mentions `key` (after the first matching `after`), else `path`. */
export function lineOf(path: string, text: string, key: string, after?: RegExp): string {
  const lines = text.split('\n');
  const from = Math.max(0, after ? lines.findIndex((l) => after.test(l)) : 0);
  const i = lines.findIndex((l, n) => n >= from && l.includes(key));
  return i >= 0 ? `${path}:${i + 1}` : path;
}
