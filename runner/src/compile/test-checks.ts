import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { didYouMean } from '../errors.js';
import type { TestDecl } from '../project/project.js';
import { yamlError, type YamlMistake } from '../project/validate-yaml.js';
import { templateNames } from '../sql/templates.js';

/** The shipped kinds that check one column: declared under a column, not the model. */
const columnKinds = new Set(['unique', 'not_null', 'accepted_values', 'relationships']);

/**
 * What a relationships test on `column` points at: the model (`to: dim_customer` or
 * `to: ref('dim_customer')`) and its column (`field`, by default the same name).
 */
export function relationshipOf(args: Record<string, unknown>, column: string | undefined): { model: string; field: string } {
  return { model: String(args.to ?? '').replace(/^ref\(['"]?|['"]?\)$/g, ''), field: String(args.field ?? column) };
}

/** A test as its declaration names it: `column "fact_sales.region"`, `model "dim_customer"`. */
export const testOwner = (model: string, t: TestDecl) => (t.column ? `column "${model}.${t.column}"` : `model "${model}"`);

/**
 * The data tests' mistakes that need no database: an unknown kind, a relationships test pointing at no
 * model, a column test declared without a column, a missing argument. Each is placed at its YAML line.
 */
export function testMistakes(models: Iterable<{ name: string; tests: TestDecl[] }>, modelNames: Set<string>, projectDir: string): YamlMistake[] {
  const kinds = templateNames('tests', projectDir);
  const out: YamlMistake[] = [];
  for (const model of models) {
    for (const t of model.tests) {
      if (!t.declared) continue;
      const at = (...rest: string[]) => ({ file: t.declared!.file, path: [...t.declared!.path, ...rest] });
      const where = `test "${t.kind}" on ${testOwner(model.name, t)}`;
      const kindAt = typeof t.args === 'object' && Object.keys(t.args).length ? at(t.kind) : at();
      if (!kinds.includes(t.kind)) {
        out.push({ ...kindAt, what: `unknown test "${t.kind}" on ${testOwner(model.name, t)}`,
          fix: didYouMean(t.kind, kinds).slice(2) ||
            `the kinds are ${kinds.join(', ')}; a kind of your own is a template in macros/tests/${t.kind}.sql` });
        continue;
      }
      if (columnKinds.has(t.kind) && !t.column) {
        out.push({ ...kindAt, what: `${where} names no column`,
          fix: `declare it under the column it checks (columns: - name: <column>, tests: [${t.kind}])` });
      }
      if (t.kind === 'accepted_values' && !Array.isArray(t.args.values)) {
        out.push({ ...kindAt, what: `${where} has no list of values`, fix: 'add values: [a, b, …]' });
      }
      if (t.kind === 'relationships') {
        const { model: parent } = relationshipOf(t.args, t.column);
        if (!parent) out.push({ ...kindAt, what: `${where} says no model to look in`, fix: 'add to: <model> (and field: <its column>)' });
        else if (!modelNames.has(parent)) {
          out.push({ ...at(t.kind, 'to'), what: `${where} points at unknown model "${parent}"`,
            fix: didYouMean(parent, modelNames).slice(2) || 'name a model of the project in "to"' });
        }
      }
    }
  }
  return out;
}

/** Throws the mistakes `testMistakes` finds as one user error (exit 2). */
export function checkTests(models: Iterable<{ name: string; tests: TestDecl[] }>, modelNames: Set<string>, projectDir: string): void {
  const mistakes = testMistakes(models, modelNames, projectDir);
  if (mistakes.length) throw yamlError(mistakes, (file) => readFileSync(join(projectDir, file), 'utf8'));
}
