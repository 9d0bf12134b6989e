import type { Node } from '../compile/compile.js';
import type { Sql } from '../db/connection.js';
import { didYouMean, projectError } from '../errors.js';
import { ident } from '../sql/quote.js';
import { statement } from '../sql/statements.js';
import { surrogateKeyOf } from '../run/snapshot.js';
import { inputName, scratchRelation, scratchSchema } from './relations.js';
import type { Row } from './rows.js';
import type { Shape, Shapes } from './shapes.js';
import type { Given, UnitTest } from './spec.js';

/** One input of a test: a scratch relation with the columns of the model or source it stands for. */
export interface Input {
  kind: 'ref' | 'source';
  name: string;
  relation: string;
  shape: Shape;
  /** The upstream model (refs only). */
  node?: Node;
}

/** The run a step stands for: its id, and the batch its new rows belong to (their default `_batch_id`). */
export interface StepRun {
  run_id: number;
  batch_id: number;
}

/** Makes the inputs of `node`, empty, with the types of what they stand for (see shapes.ts). */
export async function createInputs(conn: Sql, shapes: Shapes, node: Node, nodes: Map<string, Node>): Promise<Map<string, Input>> {
  const wanted = [...node.refs.map((name) => ({ kind: 'ref' as const, name })), ...node.sources.map((name) => ({ kind: 'source' as const, name }))];
  const inputs = await Promise.all(wanted.map(async ({ kind, name }): Promise<Input> => {
    const shape = await shapes.of(kind, name);
    return { kind, name, relation: scratchRelation(inputName(kind, name)), shape, node: kind === 'ref' ? nodes.get(name) : undefined };
  }));
  await conn.unsafe(inputs.map((i) => statement('unit/input', { relation: i.relation, shape: i.shape.relation })).join(';\n'));
  return new Map(inputs.map((i) => [`${i.kind}:${i.name}`, i]));
}

/**
 * A step's new rows into its inputs, as the run of each upstream node would have changed it: an
 * incremental model replaces the rows with the same unique key, a snapshot the versions with the same
 * surrogate key (and records which keys it changed, for changed_keys), anything else gains the rows.
 * `replace: true` gives an input whole.
 */
export async function loadStep(conn: Sql, test: UnitTest, inputs: Map<string, Input>, given: Given[], run: StepRun): Promise<void> {
  const pending: Promise<unknown>[] = [];
  for (const g of given) {
    const input = inputs.get(`${g.kind}:${g.name}`)!;
    const rows = withBatch(checkColumns(test, g.input, input.shape, g.rows), input.shape, run.batch_id);
    const json = rows as never;
    const config = input.node?.config;
    const materialized = config?.materialized;
    const key = g.replace ? undefined : materialized === 'snapshot' ? [surrogateKeyOf(input.node!)]
      : materialized === 'incremental' ? asList(config!.unique_key) : undefined;
    const whole = g.replace;
    if (key?.length || whole) {
      pending.push(conn.unsafe(statement('unit/delete-rows', { relation: input.relation, key: whole ? undefined : key!.map(ident) }), [json]));
    }
    pending.push(conn.unsafe(statement('unit/insert-rows', { relation: input.relation }), [json]));
    if (materialized === 'snapshot') {
      pending.push(conn.unsafe(statement('unit/record-changes', { relation: input.relation, meta: scratchSchema,
        snapshot: g.name, key: ident(String(config!.unique_key)), run_id: run.run_id }), [json]));
    }
  }
  await Promise.all(pending);
}

/** A model's own table before an incremental run (`this:`), with the model's columns. */
export async function createOwnTable(conn: Sql, test: UnitTest, relation: string, shape: Shape, batchId: number): Promise<void> {
  const rows = withBatch(checkColumns(test, 'this', shape, test.this ?? []), shape, batchId);
  await conn.unsafe(statement('unit/input', { relation, shape: shape.relation }));
  await conn.unsafe(statement('unit/insert-rows', { relation }), [rows as never]);
}

/** Every column a row names must exist: a misspelt one is the user's mistake (exit 2), not a NULL. */
export function checkColumns(test: UnitTest, what: string, shape: Shape, rows: Row[]): Row[] {
  const known = shape.columns.map((c) => c.name);
  for (const row of rows) {
    for (const column of Object.keys(row)) {
      if (!known.includes(column)) {
        throw projectError(`unit test "${test.name}" (${test.file}): ${what} has no column "${column}"` +
          `${didYouMean(column, known) || `; its columns are ${known.join(', ')}`}`);
      }
    }
  }
  return rows;
}

/** Rows without a `_batch_id` belong to the step's batch, so that `_batch_id > prev.batch_id` finds them. */
function withBatch(rows: Row[], shape: Shape, batchId: number): Row[] {
  if (!shape.columns.some((c) => c.name === '_batch_id')) return rows;
  return rows.map((r) => ('_batch_id' in r ? r : { ...r, _batch_id: batchId }));
}

const asList = (v: unknown): string[] =>
  v === undefined || v === null || v === '' ? [] : Array.isArray(v) ? v.map(String) : String(v).split(',').map((s) => s.trim());
