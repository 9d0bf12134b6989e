import type { Node } from '../compile/compile.js';
import { redact, UserError } from '../errors.js';
import { NodeSqlError } from './materialize.js';

/** The database's own message, the model file, and the line of the compiled SQL it points at. */
export function describeFailure(node: Node, error: unknown, existed = true): string {
  if (error instanceof UserError) return error.message;
  const e = error instanceof NodeSqlError ? error.cause as { message?: string; position?: string; code?: string; detail?: string; hint?: string } : error as { message?: string };
  const position = (e as { position?: string }).position;
  let where = '';
  if (position && error instanceof NodeSqlError && error.statement) {
    const line = error.statement.slice(0, Number(position)).split('\n').length;
    const text = error.statement.split('\n')[line - 1]?.trim() ?? '';
    // the line of the model file, when the failing line appears there as written (once)
    const source = node.file.text.split('\n');
    const hits = text ? source.flatMap((l, i) => (l.trim() === text ? [i + 1] : [])) : [];
    where = hits.length === 1 ? `\n  at ${node.path}:${hits[0]}: ${text}` : `\n  at line ${line} of the compiled statement: ${text}`;
  }
  const detail = (e as { detail?: string }).detail ? `\n  detail: ${(e as { detail?: string }).detail}` : '';
  const hint = (e as { hint?: string }).hint ? `\n  hint: ${(e as { hint?: string }).hint}` : '';
  return redact(`model "${node.name}" failed (${node.path}): ${e?.message ?? String(error)}${where}${detail}${hint}\n` +
    `  compiled SQL: target/run/${node.path}; fix the model and run again` +
    `${existed ? ` (its previous ${node.config.materialized === 'view' ? 'view' : 'table'} is unchanged)` : ''}`);
}
