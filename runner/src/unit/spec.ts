import type { CompiledProject, Node } from '../compile/compile.js';
import { closest, didYouMean, projectError } from '../errors.js';
import type { Project, UnitTestDecl } from '../project/project.js';
import { yamlKeys } from '../project/known-keys.js';
import { columnsOf, parseRows, type Row } from './rows.js';

/** An input a unit test gives: one of the model's refs or sources. */
export interface Given {
  /** As written: `ref("stg_sales")`, `source("raw", "sales")`. */
  input: string;
  kind: 'ref' | 'source';
  /** The model's name, or `source.table`. */
  name: string;
  rows: Row[];
  /** The rows are the input's whole content in this step, not what its run added. */
  replace: boolean;
}

/** One run of the model: new input rows, then the rows expected. */
export interface Step {
  given: Given[];
  /** Undefined: nothing is compared after this step. */
  expect?: Row[];
}

/** What the model saw when it last succeeded, as `prev` in its template. */
export interface LastRun {
  run_id: number;
  batch_id: number;
}

export interface UnitTest {
  /** `unit_test.<model>.<name>`: its name in results and logs. */
  id: string;
  name: string;
  model: string;
  /** The YAML file that declares it, relative to the project. */
  file: string;
  description?: string;
  /**
   * `select`: the model's SELECT is compared (one step); `build`: the model is materialized as a run
   * would, step after step, and the whole table is compared (snapshots, and any model with `steps`).
   */
  mode: 'select' | 'build';
  steps: Step[];
  /** An incremental model's table before the (first) run, and what that run's predecessor saw. */
  this?: Row[];
  lastRun: LastRun;
}

const { unit_test: testKeys, unit_step: stepKeys, unit_given: givenKeys, unit_last_run: lastRunKeys } = yamlKeys;

/** The model a declaration tests and the id its test gets (`unit_test.<model>.<name>`), read without checking or parsing it. */
export function declared(decl: UnitTestDecl): { model: string; id: string } {
  const raw = (decl.spec ?? {}) as Record<string, unknown>;
  const model = String(raw.model ?? '');
  return { model, id: `unit_test.${model}.${String(raw.name ?? '')}` };
}

/**
 * The unit tests of the selected models (in the models' order); checks every declaration (exit 2) but
 * those of `known`: tests that passed with the same project files (see passed.ts), which were valid then
 * and are neither parsed nor run again.
 */
export function selectUnitTests(project: Project, compiled: CompiledProject, models?: string[], known?: Set<string>): UnitTest[] {
  const decls = known?.size ? project.unitTests.filter((d) => !known.has(declared(d).id)) : project.unitTests;
  const all = parseUnitTests(decls, compiled.nodes);
  if (!models) return all;
  // upstream models' tests first, as the build goes
  const order = new Map(models.map((m, i) => [m, i]));
  return all.filter((t) => order.has(t.model)).sort((a, b) => order.get(a.model)! - order.get(b.model)!);
}

/** A unit test's declaration, checked against the compiled models: a mistake is the user's (exit 2). */
export function parseUnitTests(decls: UnitTestDecl[], nodes: Map<string, Node>): UnitTest[] {
  const seen = new Map<string, string>();
  return decls.map((decl) => {
    const test = parseOne(decl, nodes);
    const earlier = seen.get(test.id);
    if (earlier) {
      throw projectError(`two unit tests of model "${test.model}" are named "${test.name}" (${earlier} and ${decl.file}); rename one`);
    }
    seen.set(test.id, decl.file);
    return test;
  });
}

function parseOne(decl: UnitTestDecl, nodes: Map<string, Node>): UnitTest {
  const raw = decl.spec as Record<string, unknown>;
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    throw projectError(`a unit test in ${decl.file} is not a map with name, model, given and expect`);
  }
  const name = String(raw.name ?? '');
  const where = `unit test "${name}" (${decl.file})`;
  const fail = (message: string) => projectError(`${where}: ${message}`);
  if (!name) throw projectError(`a unit test in ${decl.file} has no name; add name: <what it checks>`);
  unknownKeys(raw, testKeys, 'key', fail);
  const model = String(raw.model ?? '');
  const node = nodes.get(model);
  if (!node) throw fail(model ? `unknown model "${model}"${didYouMean(model, nodes.keys())}` : 'says no model; add model: <name>');
  if (['ephemeral', 'test'].includes(node.config.materialized)) {
    throw fail(`model "${model}" is ${node.config.materialized === 'test' ? 'a singular data test' : 'ephemeral'}; test the models that use it`);
  }
  const rows = (value: unknown, what: string) => {
    try {
      return parseRows(value && typeof value === 'object' && !Array.isArray(value) && 'rows' in value
        ? (value as { rows: unknown }).rows : value);
    } catch (e) {
      throw fail(`${what}: ${(e as Error).message}`);
    }
  };
  // an expected row compares the columns the others name: one that leaves a column out is a mistake
  const expected = (value: unknown, what: string) => {
    const list = rows(value, what);
    const named = columnsOf(list);
    list.forEach((row, i) => {
      const lacking = named.filter((c) => !(c in row));
      if (lacking.length) throw fail(`${what}: row ${i + 1} does not name ${lacking.join(', ')}; every expected row names the same columns (null for NULL)`);
    });
    return list;
  };
  const givenOf = (list: unknown, what: string) => parseGiven(list, node, what, { fail, rows });
  let steps: Step[];
  if (raw.steps !== undefined) {
    if (raw.given !== undefined || raw.expect !== undefined) throw fail('has steps: put given and expect inside each step');
    if (!Array.isArray(raw.steps) || !raw.steps.length) throw fail('steps must be a list of {given, expect}');
    steps = raw.steps.map((s, i) => {
      if (!s || typeof s !== 'object') throw fail(`step ${i + 1} is not a map of given and expect`);
      unknownKeys(s as Record<string, unknown>, stepKeys, `key of step ${i + 1}`, fail);
      const step = s as Record<string, unknown>;
      return { given: givenOf(step.given, `step ${i + 1}`), expect: step.expect === undefined ? undefined : expected(step.expect, `expect of step ${i + 1}`) };
    });
  } else {
    if (raw.expect === undefined) throw fail('has no expect; add expect: {rows: [...]} (or steps)');
    steps = [{ given: givenOf(raw.given, 'given'), expect: expected(raw.expect, 'expect') }];
  }
  if (raw.this !== undefined && node.config.materialized !== 'incremental') {
    throw fail(`"this" gives the table before an incremental run, and "${model}" is a ${node.config.materialized}` +
      (node.config.materialized === 'snapshot' ? '; give its earlier events in a first step instead' : ''));
  }
  return {
    id: `unit_test.${model}.${name}`,
    name,
    model,
    file: decl.file,
    description: raw.description === undefined ? undefined : String(raw.description),
    mode: raw.steps !== undefined || node.config.materialized === 'snapshot' ? 'build' : 'select',
    steps,
    this: raw.this === undefined ? undefined : rows(raw.this, 'this'),
    lastRun: lastRunOf(raw.last_run, fail),
  };
}

function parseGiven(list: unknown, node: Node, what: string,
  io: { fail: (m: string) => Error; rows: (v: unknown, what: string) => Row[] }): Given[] {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw io.fail(`${what} must be a list of {input, rows}`);
  const inputs = [...node.refs.map((r) => `ref("${r}")`), ...node.sources.map((s) => `source("${s.replace('.', '", "')}")`)];
  const out: Given[] = [];
  for (const entry of list as Record<string, unknown>[]) {
    if (!entry || typeof entry !== 'object') throw io.fail(`an entry of ${what} is not a map of input and rows`);
    unknownKeys(entry, givenKeys, `key of an input in ${what}`, io.fail);
    const input = String(entry.input ?? '');
    const parsed = parseInput(input);
    if (!parsed) throw io.fail(`input "${input}" should read ref("model") or source("source", "table")`);
    const known = parsed.kind === 'ref' ? node.refs.includes(parsed.name) : node.sources.includes(parsed.name);
    if (!known) {
      const near = closest(canonical(parsed), inputs);
      throw io.fail(`input ${input} is not read by model "${node.name}"` +
        (near.length ? `; did you mean ${near.join(' or ')}?` : `; it reads ${inputs.join(', ') || 'nothing'}`));
    }
    if (entry.format !== undefined && !['csv', 'dict'].includes(String(entry.format))) {
      throw io.fail(`format of ${input} is "${entry.format}": rows are YAML maps (format: dict) or CSV text (format: csv)`);
    }
    const replace = entry.replace === true;
    const rows = io.rows(entry.rows, `rows of ${input}`);
    const same = out.find((g) => g.name === parsed.name && g.kind === parsed.kind);
    if (same) same.rows.push(...rows);
    else out.push({ input: canonical(parsed), ...parsed, rows, replace });
  }
  return out;
}

const refPattern = /^\s*ref\(\s*(["'])([^"']+)\1\s*\)\s*$/;
const sourcePattern = /^\s*source\(\s*(["'])([^"']+)\1\s*,\s*(["'])([^"']+)\3\s*\)\s*$/;

/** `ref("x")` → the model x; `source("raw", "sales")` → raw.sales. */
export function parseInput(input: string): { kind: 'ref' | 'source'; name: string } | undefined {
  const ref = refPattern.exec(input);
  if (ref) return { kind: 'ref', name: ref[2] };
  const source = sourcePattern.exec(input);
  return source ? { kind: 'source', name: `${source[2]}.${source[4]}` } : undefined;
}

const canonical = (p: { kind: 'ref' | 'source'; name: string }) =>
  p.kind === 'ref' ? `ref("${p.name}")` : `source("${p.name.replace('.', '", "')}")`;

function lastRunOf(value: unknown, fail: (m: string) => Error): LastRun {
  if (value === undefined) return { run_id: 1, batch_id: 1 };
  const v = value as Record<string, unknown>;
  if (!v || typeof v !== 'object') throw fail('last_run must be a map like {batch_id: 1, run_id: 1}');
  unknownKeys(v, lastRunKeys, 'key of last_run', fail);
  const n = (x: unknown, what: string) => {
    if (x === undefined) return 1;
    if (!Number.isInteger(Number(x)) || Number(x) < 0) throw fail(`last_run.${what} must be a whole number`);
    return Number(x);
  };
  return { run_id: n(v.run_id, 'run_id'), batch_id: n(v.batch_id, 'batch_id') };
}

function unknownKeys(map: Record<string, unknown>, allowed: readonly string[], what: string, fail: (m: string) => Error): void {
  for (const key of Object.keys(map)) {
    if (!allowed.includes(key)) throw fail(`unknown ${what} "${key}"${didYouMean(key, allowed) || `; it takes ${allowed.join(', ')}`}`);
  }
}
