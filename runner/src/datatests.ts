import type { Node } from './compile.js';
import { relationOf } from './compile.js';
import { didYouMean, projectError } from './errors.js';
import { ident } from './sql-text.js';
import type { TemplateSet } from './templates.js';

export interface DataTest {
  /** `unique_fact_sales_sale_id`, `scd2_valid_dim_customer`, or a singular test's model name. */
  name: string;
  model: string;
  kind: string;
  severity: 'error' | 'warn';
  sql: string;
  /** For the column tests that can share one scan of their model (see column_checks.sql). */
  check?: { relation: string; kind: string; column: string; values?: unknown[]; to_relation?: unknown; field?: unknown };
}

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
    if (template && t.check) byModel.set(t.model, [...(byModel.get(t.model) ?? []), t]);
    else rest.push(t);
  }
  const batches: CheckBatch[] = [];
  for (const [model, group] of byModel) {
    if (group.length < 2) {
      rest.push(...group);
      continue;
    }
    batches.push({ model, tests: group, sql: template!({ relation: group[0].check!.relation, checks: group.map((t) => t.check) }) });
  }
  return { batches, rest };
}

/** Renders the declared tests of the given models into queries returning failing rows. */
export function buildTests(names: string[], nodes: Map<string, Node>, templates: TemplateSet,
  singular: Map<string, string>, templateOverridden: (kind: string) => boolean = () => false): DataTest[] {
  const out: DataTest[] = [];
  for (const name of names) {
    const node = nodes.get(name)!;
    if (node.config.materialized === 'ephemeral') continue;
    if (node.config.materialized === 'test') {
      const severity = node.config.severity === 'warn' ? 'warn' : 'error';
      out.push({ name, model: name, kind: 'singular', severity, sql: singular.get(name)! });
      continue;
    }
    for (const t of node.tests) {
      const template = templates.get(t.kind);
      if (!template) {
        throw projectError(`unknown test "${t.kind}" on model "${name}" (${node.path})${didYouMean(t.kind, templates.keys())}`);
      }
      const args: Record<string, unknown> = { ...t.args };
      if (t.kind === 'relationships') {
        const to = String(args.to ?? '').replace(/^ref\(['"]?|['"]?\)$/g, '');
        const target = nodes.get(to);
        if (!target) throw projectError(`test relationships on "${name}.${t.column}" refers to unknown model "${to}"${didYouMean(to, nodes.keys())}`);
        args.to_relation = relationOf(target);
        args.field = ident(String(args.field ?? t.column));
      }
      for (const k of ['unique_key', 'valid_from', 'valid_to', 'current_flag']) {
        if (typeof args[k] === 'string') args[k] = ident(args[k] as string);
      }
      const context = { relation: relationOf(node), column: t.column ? ident(t.column) : undefined, column_name: t.column, ...args };
      const sql = template(context);
      out.push({
        name: [t.kind, name, t.column].filter(Boolean).join('_'),
        model: name,
        kind: t.kind,
        severity: t.severity,
        sql,
        check: batchable.has(t.kind) && t.column && !templateOverridden(t.kind)
          ? { ...context, kind: t.kind, column: ident(t.column), values: args.values as unknown[] | undefined }
          : undefined,
      });
    }
  }
  return out;
}
