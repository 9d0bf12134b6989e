import { usageError } from '../errors.js';
import { parseYaml } from './yaml-cache.js';

/**
 * `--vars '{"key": "value"}'`: a JSON or YAML mapping (JSON is YAML), as dbt takes it. Anything else is
 * a usage error that shows the form.
 */
export function parseVars(text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw usageError(`cannot read --vars: ${(e as Error).message.split('\n')[0]}; give a mapping, like --vars '{"key": "value"}'`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw usageError(`--vars needs a mapping of names to values, like --vars '{"key": "value"}' or --vars 'key: value'; got ${JSON.stringify(doc)}`);
  }
  return doc as Record<string, unknown>;
}
