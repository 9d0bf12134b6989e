import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CompiledProject, Node } from '../compile/compile.js';
import { relationshipOf, testOwner } from '../compile/test-checks.js';
import type { Database, Sql } from '../db/connection.js';
import { closest } from '../errors.js';
import { columnSettings, testColumnArguments } from '../project/known-keys.js';
import type { Project } from '../project/project.js';
import { mistakesError, placedLines, type YamlMistake } from '../project/validate-yaml.js';
import { statement } from '../sql/statements.js';
import { loadTemplates } from '../sql/templates.js';
import { resolveInScratch, shapeName, standIn } from '../unit/relations.js';
import { Shapes } from '../unit/shapes.js';
import { knownPasses, recordPasses } from '../unit/passed.js';

/** A column something names, and who names it where. */
interface Named {
  model: string;
  column: string;
  /** `unique_key of model "fact_sales"`, `test "not_null" on column "dim_store.regoin"`. */
  who: string;
  /** The model's SELECT (settings), or its table as built (tests: a snapshot's too, surrogate key included). */
  against: 'select' | 'table';
  yaml?: YamlMistake;
  /** `models/marts/fact_sales.sql:1`, where the place is not in YAML. */
  at?: string;
}

const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : String(v).split(',')).map((s) => s.trim()).filter(Boolean);
const lineAt = (text: string, index: number) => text.slice(0, index).split('\n').length;

/** Where a setting of a model is written: its `{{config}}` line, its YAML `config:` key, or the file. */
function settingPlace(project: Project, node: Node, key: string): { yaml?: YamlMistake; at?: string } {
  const text = node.file.text;
  for (const m of text.matchAll(/\{\{~?\s*config\b[^}]*/g)) {
    const k = new RegExp(`\\b${key}\\s*=`).exec(m[0]);
    if (k) return { at: `${node.path}:${lineAt(text, m.index + k.index)}` };
  }
  const props = project.props.get(node.name);
  if (props?.path && props.config && key in props.config) return { yaml: { file: props.file, path: [...props.path, 'config', key], what: '' } };
  return { at: node.path };
}

/** What the planned models' settings and tests name as columns. */
function namedColumns(project: Project, nodes: Map<string, Node>, planned: string[]): Named[] {
  const out: Named[] = [];
  for (const name of planned) {
    const node = nodes.get(name)!;
    const c = node.config;
    if (c.materialized === 'ephemeral' || c.materialized === 'test') continue;
    const snapshot = c.materialized === 'snapshot';
    for (const key of columnSettings) {
      const value = c[key];
      if (value === undefined || value === null || value === '' || (key === 'check_cols' && value === 'all')) continue;
      // updated_at, check_cols and batch_column are read by snapshots only
      if (!snapshot && key !== 'unique_key' && key !== 'distributed_by') continue;
      for (const column of list(value)) out.push({ model: name, column, who: `${key} of model "${name}"`, against: 'select', ...settingPlace(project, node, key) });
    }
    for (const t of node.tests) {
      const who = `test "${t.kind}" on ${testOwner(name, t)}`;
      const yaml = (...path: (string | number)[]): YamlMistake | undefined =>
        t.declared && { file: t.declared.file, path: path.length ? [...t.declared.path, t.kind, ...path] : [...t.declared.path.slice(0, -2), 'name'], what: '' };
      if (t.column) out.push({ model: name, column: t.column, who, against: 'table', yaml: yaml() });
      for (const arg of testColumnArguments[t.kind] ?? []) {
        if (t.args[arg] !== undefined) for (const column of list(t.args[arg])) out.push({ model: name, column, who, against: 'table', yaml: yaml(arg) });
      }
      if (t.kind === 'relationships') {
        const parent = relationshipOf(t.args, t.column);
        if (nodes.has(parent.model)) {
          out.push({ model: parent.model, column: parent.field, who, against: 'table', yaml: yaml(t.args.field !== undefined ? 'field' : 'to') });
        }
      }
    }
  }
  return out;
}

/**
 * Checks, before any model is built, that the columns the planned models' settings (`unique_key`,
 * `check_cols`, …) and data tests name are columns those models have. A model's columns come from its
 * SELECT over the column types of its inputs, worked out on a session of its own in temporary tables
 * (see unit/shapes.ts): nothing needs to be built, nothing of the warehouse is read. A model whose
 * columns cannot be worked out is left to its build, which reports why.
 */
export async function checkColumns(db: Database, project: Project, compiled: CompiledProject, planned: string[], key: string): Promise<void> {
  // what passed under the same project, runner and database (`key`, see passed.ts) passes again: a run of new data pays nothing
  const known = knownPasses(project, key, checksFile);
  const models = planned.filter((n) => !known.has(n));
  const named = namedColumns(project, compiled.nodes, models);
  const passed = () => recordPasses(project, key, models.map((node) => ({ node, status: 'pass' })), checksFile);
  if (!named.length) return passed();
  const session = await db.reserve();
  const conn = session.sql as unknown as Sql;
  const shapes = new Shapes(conn, compiled, loadTemplates('materializations', project.dir));
  const columns = new Map<string, Promise<string[] | undefined>>();
  const columnsOf = (model: string, against: Named['against']) => {
    const key = `${against}:${model}`;
    if (!columns.has(key)) {
      const found = against === 'table' ? shapes.of('ref', model).then((s) => s.columns.map((c) => c.name)) : selectColumns(conn, shapes, compiled, model);
      columns.set(key, found.catch(() => undefined));
    }
    return columns.get(key)!;
  };
  const lines: string[] = [];
  const yaml: YamlMistake[] = [];
  try {
    // settings first: a snapshot's table cannot be shaped with a key its SELECT lacks (its tests are then left to the run)
    for (const against of ['select', 'table'] as const) {
      for (const n of named.filter((x) => x.against === against)) {
        const have = await columnsOf(n.model, against);
        if (!have || have.includes(n.column)) continue;
        const near = closest(n.column, have);
        const what = `${n.who} names column "${n.column}", which model "${n.model}" does not have`;
        const fix = near.length ? `did you mean ${near.map((x) => `"${x}"`).join(' or ')}?` : `its columns are ${have.join(', ')}`;
        if (n.yaml) yaml.push({ ...n.yaml, what, fix });
        else lines.push(`${what} (${n.at}); ${fix}`);
      }
    }
  } finally {
    await conn.unsafe(statement('unit/discard')).catch(() => {});
    session.release();
  }
  if (lines.length || yaml.length) {
    throw mistakesError([...lines, ...placedLines(yaml, (file) => readFileSync(join(project.dir, file), 'utf8'))]);
  }
  passed();
}

const checksFile = '.column-checks.json';

/** The columns of a model's SELECT, over the column types of its inputs. */
async function selectColumns(conn: Sql, shapes: Shapes, compiled: CompiledProject, model: string): Promise<string[]> {
  const node = compiled.nodes.get(model)!;
  await Promise.all([...node.refs.map((r) => shapes.of('ref', r)), ...node.sources.map((s) => shapes.of('source', s))]);
  const sql = resolveInScratch(node.rendered, standIn(node, shapeName('ref', node.name)), compiled.nodes, compiled.sources, shapeName);
  const described = await conn.unsafe(statement('run/describe', { sql }));
  return (described as unknown as { columns: { name: string }[] }).columns.map((c) => c.name);
}
