import { didYouMean, projectError } from '../errors.js';
import { commonTestArguments, configKeys, testArguments, yamlKeys, type YamlLevel } from './known-keys.js';
import { locate, type YamlPath } from './yaml-positions.js';

/** A mistake in one YAML document: where (a path from its root) and what, said without the place. */
export interface YamlProblem {
  path: YamlPath;
  /** `unknown key "colums" in model "fact_sales"`: the place and the fix are added when reported. */
  what: string;
  fix?: string;
}

type Map_ = Record<string, unknown>;

const isMap = (v: unknown): v is Map_ => v !== null && typeof v === 'object' && !Array.isArray(v);
const named = (v: unknown) => (isMap(v) && v.name !== undefined ? `"${String(v.name)}"` : '(no name)');

/** Checks a YAML document under `models/` against the keys the runner reads (known-keys.ts). */
export function yamlProblems(doc: unknown): YamlProblem[] {
  const out: YamlProblem[] = [];
  if (doc === null || doc === undefined) return out;
  if (!isMap(doc)) return [{ path: [], what: 'the file is not a mapping', fix: 'start it with models:, sources: or unit_tests:' }];
  const keys = (map: unknown, path: YamlPath, allowed: readonly string[], where: string) => {
    if (!isMap(map)) {
      if (map !== null && map !== undefined) out.push({ path, what: `${where} is not a mapping`, fix: `give it ${allowed.join(', ')}` });
      return false;
    }
    for (const key of Object.keys(map)) {
      if (!allowed.includes(key)) {
        out.push({ path: [...path, key], what: `unknown key "${key}" in ${where}`,
          fix: didYouMean(key, allowed).slice(2) || `it takes ${allowed.join(', ')}` });
      }
    }
    return true;
  };
  const level = (map: unknown, path: YamlPath, name: YamlLevel, where: string) => keys(map, path, yamlKeys[name], where);
  const list = (v: unknown, path: YamlPath, where: string, each: (item: unknown, path: YamlPath) => void) => {
    if (v === null || v === undefined) return;
    if (!Array.isArray(v)) {
      out.push({ path, what: `${where} is not a list`, fix: 'write its entries as "- …" lines' });
      return;
    }
    v.forEach((item, i) => each(item, [...path, i]));
  };

  level(doc, [], 'file', 'the file');
  keys(doc.defaults, ['defaults'], configKeys, 'the folder\'s defaults');
  list(doc.models, ['models'], '"models"', (m, path) => {
    const model = `model ${named(m)}`;
    if (!level(m, path, 'model', model)) return;
    const entry = m as Map_;
    keys(entry.config, [...path, 'config'], configKeys, `the config of ${model}`);
    for (const k of ['tests', 'data_tests']) list(entry[k], [...path, k], `the tests of ${model}`, (t, p) => test(t, p, model));
    list(entry.columns, [...path, 'columns'], `the columns of ${model}`, (c, p) => {
      const column = `column ${named(c)} of ${model}`;
      if (!level(c, p, 'column', column)) return;
      for (const k of ['tests', 'data_tests']) list((c as Map_)[k], [...p, k], `the tests of ${column}`, (t, q) => test(t, q, column));
    });
  });
  list(doc.sources, ['sources'], '"sources"', (s, path) => {
    const source = `source ${named(s)}`;
    if (!level(s, path, 'source', source)) return;
    freshness((s as Map_).freshness, [...path, 'freshness'], source);
    list((s as Map_).tables, [...path, 'tables'], `the tables of ${source}`, (t, p) => {
      const table = `table ${named(t)} of ${source}`;
      if (!level(t, p, 'source_table', table)) return;
      freshness((t as Map_).freshness, [...p, 'freshness'], table);
      list((t as Map_).columns, [...p, 'columns'], `the columns of ${table}`, (c, q) => {
        if (typeof c !== 'string') level(c, q, 'source_column', `a column of ${table}`);
      });
    });
  });
  list(doc.unit_tests, ['unit_tests'], '"unit_tests"', (u, path) => {
    const test = `unit test ${named(u)}`;
    if (!level(u, path, 'unit_test', test)) return;
    const given = (g: unknown, p: YamlPath, where: string) =>
      list(g, p, where, (item, q) => level(item, q, 'unit_given', `an input of ${test}`));
    given((u as Map_).given, [...path, 'given'], `"given" of ${test}`);
    level((u as Map_).last_run, [...path, 'last_run'], 'unit_last_run', `"last_run" of ${test}`);
    list((u as Map_).steps, [...path, 'steps'], `"steps" of ${test}`, (step, p) => {
      if (level(step, p, 'unit_step', `a step of ${test}`)) given((step as Map_).given, [...p, 'given'], `"given" of a step of ${test}`);
    });
  });
  return out;

  function freshness(f: unknown, path: YamlPath, where: string) {
    if (!level(f, path, 'freshness', `the freshness of ${where}`)) return;
    for (const k of ['warn_after', 'error_after']) level((f as Map_)[k], [...path, k], 'freshness_after', `"${k}" of ${where}`);
  }

  function test(t: unknown, path: YamlPath, where: string) {
    if (typeof t === 'string') return;
    if (!isMap(t) || Object.keys(t).length !== 1) {
      out.push({ path, what: `a test of ${where} is neither a name nor a one-key mapping`,
        fix: 'write "- unique" or "- accepted_values: {values: [a, b]}", with severity inside the arguments' });
      return;
    }
    const [kind, args] = Object.entries(t)[0];
    const known = testArguments[kind];
    if (known) keys(args, [...path, kind], [...known, ...commonTestArguments], `test "${kind}" of ${where}`);
    else if (args !== null && !isMap(args)) out.push({ path: [...path, kind], what: `the arguments of test "${kind}" of ${where} are not a mapping` });
  }
}

/** A mistake at a place in a YAML file of the project (relative to it). */
export interface YamlMistake extends YamlProblem {
  file: string;
}

/**
 * Each mistake as a line with its file, line and column and its fix, in the order of the files. `read`
 * gives a file's text (read again: the places are worked out only now).
 */
export function placedLines(mistakes: YamlMistake[], read: (file: string) => string): string[] {
  const texts = new Map<string, string>();
  const placed = mistakes.map((p) => {
    if (!texts.has(p.file)) texts.set(p.file, read(p.file));
    return { ...p, at: locate(texts.get(p.file)!, p.path) };
  });
  placed.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : (a.at?.line ?? 0) - (b.at?.line ?? 0)));
  return placed.map(({ what, file, at, fix }) => `${what} (${file}${at ? `:${at.line}:${at.column}` : ''})${fix ? `; ${fix}` : ''}`);
}

/** Lines of mistakes as one user error (exit 2), the first twenty shown. */
export function mistakesError(lines: string[]): Error {
  const shown = lines.slice(0, 20);
  return projectError(shown.join('\n') + (lines.length > shown.length ? `\n… and ${lines.length - shown.length} more` : ''));
}

/** Mistakes in the project's YAML as one user error (exit 2). */
export const yamlError = (mistakes: YamlMistake[], read: (file: string) => string): Error => mistakesError(placedLines(mistakes, read));
