import type { Node } from '../compile/compile.js';
import { testNamesOf } from '../project/project.js';
import { relationOf } from '../compile/compile.js';
import { didYouMean, projectError } from '../errors.js';
import { ident } from '../sql/quote.js';
import { relationshipOf } from '../compile/test-checks.js';
import type { TemplateSet } from '../sql/templates.js';
import type { WrittenKeys } from './context.js';

export { relationshipOf };

export interface DataTest {
  /** `unique_fact_sales_sale_id`, `scd2_valid_dim_customer`, or a singular test's model name. */
  name: string;
  model: string;
  kind: string;
  /** The column a column test checks. */
  column?: string;
  severity: 'error' | 'warn';
  sql: string;
  /** For the column tests that can share one scan of their model (see column_checks.sql). */
  check?: { relation: string; kind: string; column: string; values?: unknown[]; to_relation?: unknown; field?: unknown };
  /** relationships: the model and column the test points at. */
  parent?: { model: string; field: string };
  /** Set when the test checks only the rows whose keys a merge wrote, not the whole model. */
  scoped?: WrittenKeys;
  /** relationships checking changed rows: the values the last check found, and the query that keeps those still failing. */
  stillFailing?: { values: string[]; sql: string };
}

/** How many failing values of a relationships test are kept for the next run (more: it checks every row). */
export const keepValues = 10_000;

/** What a test checks when it checks only changed rows. */
export interface Scope {
  written: WrittenKeys;
  /** The failing values the last check found (relationships), and the type of the column. */
  failing: string[];
  valueType?: string;
  /** relationships: the referenced relation's estimated rows (a small one is hashed once, see column_checks.sql). */
  parentRows?: number;
}

/** Up to this many rows, a relationships test on changed rows hashes the parent's keys. */
const hashableParentRows = 2_000_000;

/** The kinds whose shipped templates can check only the rows a run wrote (see changedRowScopes in run.ts). */
export const scopable = new Set(['not_null', 'accepted_values', 'unique', 'relationships', 'scd2_valid']);

/** Decides, per test, whether it checks only the rows of one transaction (and which: the Scope), or every row. */
export type ScopeOf = (test: { name: string; model: string; kind: string; parent?: { model: string; field: string } }) => Scope | undefined;

/** Kinds whose test is a predicate on one row of the model: several of them share one scan. */
const batchable = new Set(['not_null', 'accepted_values', 'relationships']);

export interface CheckBatch {
  model: string;
  tests: DataTest[];
  /** One row: `check_<i>` is the count of failures of `tests[i]`. */
  sql: string;
}

/** Groups the column tests of each model that has two or more into one query (one scan). */
export function batchChecks(tests: DataTest[], templates: TemplateSet): { batches: CheckBatch[]; rest: DataTest[] } {
  const template = templates.get('column_checks');
  const byModel = new Map<string, DataTest[]>();
  const rest: DataTest[] = [];
  for (const t of tests) {
    // one scan per model and scope: the rows a run wrote, or all of them
    const key = `${t.model}\u0000${t.scoped ? (t.scoped.none ? 'none' : t.scoped.relation) : ''}`;
    if (template && t.check) byModel.set(key, [...(byModel.get(key) ?? []), t]);
    else rest.push(t);
  }
  const batches: CheckBatch[] = [];
  for (const group of byModel.values()) {
    if (group.length < 2) {
      rest.push(...group);
      continue;
    }
    batches.push({ model: group[0].model, tests: group,
      sql: template!({ relation: group[0].check!.relation, checks: group.map((t) => t.check), scope: group[0].scoped,
        keep_values: keepValues + 1 }) });
  }
  return { batches, rest };
}

/** Renders the declared tests of the given models into queries returning failing rows. */
export function buildTests(names: string[], nodes: Map<string, Node>, templates: TemplateSet,
  singular: Map<string, string>, templateOverridden: (kind: string) => boolean = () => false,
  scopeOf: ScopeOf = () => undefined): DataTest[] {
  const out: DataTest[] = [];
  for (const name of names) {
    const node = nodes.get(name)!;
    if (node.config.materialized === 'ephemeral') continue;
    if (node.config.materialized === 'test') {
      const severity = node.config.severity === 'warn' ? 'warn' : 'error';
      out.push({ name, model: name, kind: 'singular', severity, sql: singular.get(name)! });
      continue;
    }
    const testNames = testNamesOf(name, node.tests);
    for (const [i, t] of node.tests.entries()) {
      const template = templates.get(t.kind);
      if (!template) {
        throw projectError(`unknown test "${t.kind}" on model "${name}" (${node.path})${didYouMean(t.kind, templates.keys())}`);
      }
      const args: Record<string, unknown> = { ...t.args };
      let parent: DataTest['parent'];
      if (t.kind === 'relationships') {
        parent = relationshipOf(args, t.column);
        const target = nodes.get(parent.model);
        if (!target) {
          throw projectError(`test relationships on "${name}.${t.column}" refers to unknown model "${parent.model}"` +
            `${didYouMean(parent.model, nodes.keys())}`);
        }
        args.to_relation = relationOf(target);
        args.field = ident(parent.field);
      }
      const testName = testNames[i];
      const scope = scopable.has(t.kind) && !templateOverridden(t.kind)
        ? scopeOf({ name: testName, model: name, kind: t.kind, parent }) : undefined;
      const scoped = scope?.written;
      if (scoped) args.scope = scoped;
      if (scope?.parentRows !== undefined && scope.parentRows >= 0 && scope.parentRows <= hashableParentRows) args.hash_parent = true;
      if (t.kind === 'unique_combination_of_columns') args.columns = combinationOf(args, name);
      for (const k of ['unique_key', 'valid_from', 'valid_to', 'current_flag']) {
        if (typeof args[k] === 'string') args[k] = ident(args[k] as string);
      }
      // what a test's template sees (a project's own, in macros/tests/, too): see README, "Custom data tests"
      const context = { relation: relationOf(node), model: relationOf(node), model_name: name,
        column: t.column ? ident(t.column) : undefined, column_name: t.column, ...args };
      const sql = template(context);
      const stillFailing = scope?.failing.length && scope.valueType
        ? { values: scope.failing, sql: template({ ...context, still_failing: true, value_type: scope.valueType }) }
        : undefined;
      out.push({
        name: testName,
        model: name,
        kind: t.kind,
        column: t.column,
        severity: t.severity,
        sql,
        check: batchable.has(t.kind) && t.column && !templateOverridden(t.kind)
          ? { ...context, kind: t.kind, column: ident(t.column), values: args.values as unknown[] | undefined }
          : undefined,
        parent,
        scoped,
        stillFailing,
      });
    }
  }
  return out;
}

/** `combination_of_columns: [a, b]`, quoted; a missing or empty list is the project's mistake. */
function combinationOf(args: Record<string, unknown>, model: string): string[] {
  const list = args.combination_of_columns;
  if (!Array.isArray(list) || !list.length) {
    throw projectError(`test unique_combination_of_columns on model "${model}" needs its columns: ` +
      `unique_combination_of_columns: {combination_of_columns: [a, b]}`);
  }
  return list.map((c) => ident(String(c)));
}

/**
 * The columns of each model that relationships tests point at: its builds record whether they took any
 * of those values away (meta.key_removals), which decides whether a child's test may check only new rows.
 */
export function watchedColumns(nodes: Map<string, Node>): Map<string, string[]> {
  const out = new Map<string, Set<string>>();
  for (const node of nodes.values()) {
    for (const t of node.tests) {
      if (t.kind !== 'relationships') continue;
      const { model, field } = relationshipOf(t.args ?? {}, t.column);
      if (!nodes.has(model)) continue;
      out.set(model, (out.get(model) ?? new Set<string>()).add(field));
    }
  }
  return new Map([...out].map(([k, v]) => [k, [...v].sort()]));
}
