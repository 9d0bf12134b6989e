import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative, sep } from 'node:path';
import { projectError, usageError } from '../errors.js';
import type { SourceTable } from './sources.js';
import { freshnessOf } from './freshness.js';
import { distributionOf } from '../compile/distribution.js';
import { YamlCache } from './yaml-cache.js';
import { yamlError, yamlProblems } from './validate-yaml.js';
import type { YamlPath } from './yaml-positions.js';

/** A test declared with a model or column in YAML: `unique`, `{accepted_values: {values: [...]}}`, … */
export interface TestDecl {
  kind: string;
  column?: string;
  args: Record<string, unknown>;
  severity: 'error' | 'warn';
  /** Where it is declared: the YAML file (relative to the project) and the path to the test in it. */
  declared?: { file: string; path: YamlPath };
}

/**
 * The names a model's declared data tests run under, in order: `unique_fact_sales_sale_id`; a second
 * test of one kind on the same column (other arguments) gets `_2`, and so on, so none hides another.
 */
export function testNamesOf(model: string, tests: Pick<TestDecl, 'kind' | 'column'>[]): string[] {
  const seen = new Map<string, number>();
  return tests.map((t) => {
    const base = [t.kind, model, t.column].filter(Boolean).join('_');
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return n === 1 ? base : `${base}_${n}`;
  });
}

export interface ModelProps {
  description?: string;
  config?: Record<string, unknown>;
  columns: { name: string; description?: string; data_type?: string }[];
  tests: TestDecl[];
  file: string;
  /** Where the model's entry sits in that file: `['models', 3]`. */
  path?: YamlPath;
}

/** One entry of a `unit_tests:` list in a YAML file under `models/`, as written (checked by unit/spec.ts). */
export interface UnitTestDecl {
  /** The YAML file, relative to the project. */
  file: string;
  spec: unknown;
}

export interface ModelFile {
  name: string;
  /** Path relative to the project, with forward slashes: `models/marts/fact_sales.sql`. */
  path: string;
  text: string;
  /** Folder defaults that apply to it, outermost first. */
  defaults: Record<string, unknown>;
  /** A singular data test (a `.sql` file under a `tests/` folder of `models/`): passes when it returns no rows. */
  isTest: boolean;
}

export interface Project {
  dir: string;
  models: ModelFile[];
  macros: { name: string; path: string; text: string }[];
  sources: SourceTable[];
  props: Map<string, ModelProps>;
  migrationsDir?: string;
  seedsDir?: string;
  /** `analyses/<name>.sql`: queries that read the models through refs, compiled but never built. */
  analyses: ModelFile[];
  /** `seeds/<name>.csv`, loaded into `seeds.<name>` and read as `{{source "seeds" "<name>"}}`. */
  seeds: SourceTable[];
  /** The models' unit tests (DESIGN §11), in file order. */
  unitTests: UnitTestDecl[];
  /** `{{var "key"}}` values: `vars:` of the YAML files under models/, then `--vars` over them. */
  vars: Record<string, unknown>;
  warnings: string[];
}

/** Conventions that apply when a folder declares nothing itself (dbt's layout). */
const builtinFolderDefaults: Record<string, Record<string, unknown>> = {
  staging: { schema: 'staging', materialized: 'view' },
  intermediate: { schema: 'staging', materialized: 'ephemeral' },
  snapshots: { schema: 'analytics', materialized: 'snapshot' },
  marts: { schema: 'analytics', materialized: 'table' },
};
const rootDefaults = { schema: 'analytics', materialized: 'view' };

const toPosix = (p: string) => p.split(sep).join('/');

function walk(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (entry.name.startsWith('.')) continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) walk(full, out);
    else out.push(full);
  }
  return out;
}

function readYaml(file: string, dir: string, cache: YamlCache): Record<string, unknown> {
  try {
    return (cache.parse(readFileSync(file, 'utf8')) ?? {}) as Record<string, unknown>;
  } catch (e) {
    // js-yaml's mark is 0-based: shown as file:line:column, as every other mistake is
    const { mark, reason } = e as { mark?: { line: number; column: number }; reason?: string };
    const at = mark ? `:${mark.line + 1}:${mark.column + 1}` : '';
    throw projectError(`YAML error in ${toPosix(relative(dir, file))}${at}: ${reason ?? (e as Error).message.split('\n')[0]}; fix the YAML`);
  }
}

function parseTests(owner: Record<string, unknown>, column: string | undefined, where: string, file: string, path: YamlPath): TestDecl[] {
  const key = owner.tests !== undefined ? 'tests' : 'data_tests';
  const list = owner[key];
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw projectError(`tests of ${where} must be a list`);
  return list.map((t, i) => {
    const declared = { file, path: [...path, key, i] };
    if (typeof t === 'string') return { kind: t, column, args: {}, severity: 'error' as const, declared };
    if (t && typeof t === 'object' && Object.keys(t).length === 1) {
      const [kind, raw] = Object.entries(t as Record<string, unknown>)[0];
      const args = { ...((raw ?? {}) as Record<string, unknown>) };
      const severity = args.severity === 'warn' ? 'warn' : 'error';
      delete args.severity;
      return { kind, column, args, severity, declared };
    }
    throw projectError(`a test of ${where} must be a name or a one-key mapping, got ${JSON.stringify(t)}`);
  });
}

function parseSources(doc: Record<string, unknown>, file: string): SourceTable[] {
  const out: SourceTable[] = [];
  for (const group of (doc.sources ?? []) as Record<string, unknown>[]) {
    const source = String(group.name ?? '');
    if (!source) throw projectError(`a source in "${file}" has no name`);
    for (const table of (group.tables ?? []) as Record<string, unknown>[]) {
      const cols = ((table.columns ?? []) as unknown[]).map((c) =>
        typeof c === 'string' ? { name: c } : (c as { name: string; description?: string }));
      if (!table.name || cols.length === 0) {
        throw projectError(`source table "${source}.${table.name ?? '?'}" in "${file}" needs a name and columns`);
      }
      const columnDescriptions: Record<string, string> = {};
      for (const c of cols) if (c.description) columnDescriptions[c.name] = c.description;
      out.push({
        source,
        name: String(table.name),
        schema: String(table.schema ?? group.schema ?? source),
        columns: cols.map((c) => c.name),
        required: ((table.required as string[] | undefined) ?? cols.map((c) => c.name)).map(String),
        description: table.description as string | undefined,
        file,
        columnDescriptions,
        distribution: distributionOf([group, table], `source table "${source}.${table.name}" in "${file}"`),
        ...freshnessOf(group, table, `source table "${source}.${table.name}" in "${file}"`),
      });
    }
  }
  return out;
}

/** Reads a project folder: models, macros, YAML properties and sources. Needs no database. */
export function loadProject(dir: string): Project {
  const modelsDir = join(dir, 'models');
  if (!existsSync(modelsDir) || !statSync(modelsDir).isDirectory()) {
    throw usageError(`no "models/" folder in "${dir}"; run from a project directory or pass --project-dir`);
  }
  const files = walk(modelsDir);
  const warnings: string[] = [];
  const folderDefaults = new Map<string, Record<string, unknown>>();
  const props = new Map<string, ModelProps>();
  const sources: SourceTable[] = [];
  const unitTests: UnitTestDecl[] = [];
  const vars: Record<string, unknown> = {};

  const yaml = new YamlCache(dir);
  const docs = files.filter((f) => /\.ya?ml$/.test(f)).map((file) => ({ file, rel: toPosix(relative(dir, file)), doc: readYaml(file, dir, yaml) }));
  yaml.save();
  // every key is checked before any is read: a typo would otherwise drop what it holds without a word
  const mistakes = docs.flatMap(({ rel, doc }) => yamlProblems(doc).map((p) => ({ ...p, file: rel })));
  if (mistakes.length) throw yamlError(mistakes, (file) => readFileSync(join(dir, file), 'utf8'));
  for (const { file, rel, doc } of docs) {
    sources.push(...parseSources(doc, rel));
    if (doc.unit_tests !== undefined && doc.unit_tests !== null) {
      if (!Array.isArray(doc.unit_tests)) throw projectError(`"unit_tests" in "${rel}" must be a list of tests`);
      for (const spec of doc.unit_tests) unitTests.push({ file: rel, spec });
    }
    // project-wide defaults of {{var}}, as dbt_project.yml's `vars:`
    if (doc.vars !== undefined && doc.vars !== null) {
      if (typeof doc.vars !== 'object' || Array.isArray(doc.vars)) throw projectError(`"vars" in "${rel}" must be a mapping of names to values`);
      Object.assign(vars, doc.vars);
    }
    if (doc.defaults) folderDefaults.set(toPosix(relative(modelsDir, join(file, '..'))), doc.defaults as Record<string, unknown>);
    for (const [i, m] of ((doc.models ?? []) as Record<string, unknown>[]).entries()) {
      const name = String(m.name);
      const columns = ((m.columns ?? []) as Record<string, unknown>[]).map((c) => ({
        name: String(c.name),
        description: c.description as string | undefined,
        data_type: c.data_type as string | undefined,
      }));
      const tests = [
        ...parseTests(m, undefined, `model "${name}"`, rel, ['models', i]),
        ...((m.columns ?? []) as Record<string, unknown>[]).flatMap((c, j) =>
          parseTests(c, String(c.name), `column "${name}.${c.name}"`, rel, ['models', i, 'columns', j])),
      ];
      props.set(name, { description: m.description as string | undefined, config: m.config as Record<string, unknown>, columns, tests, file: rel, path: ['models', i] });
    }
  }

  const models: ModelFile[] = [];
  const seen = new Map<string, string>();
  // a model's path relative to the project and its folders below models/, by string operations (cheaper
  // than path's functions on thousands of files); the defaults of a folder are worked out once
  const prefix = toPosix(modelsDir).length + 1;
  const defaultsOf = new Map<string, Record<string, unknown>>();
  for (const file of files.filter((f) => f.endsWith('.sql'))) {
    const inModels = toPosix(file).slice(prefix);
    const rel = `models/${inModels}`;
    const slash = inModels.lastIndexOf('/');
    const name = inModels.slice(slash + 1, -4);
    if (seen.has(name)) {
      throw projectError(`two models are named "${name}": "${seen.get(name)}" and "${rel}"; rename one (model names are unique across folders)`);
    }
    seen.set(name, rel);
    const folder = slash < 0 ? '' : inModels.slice(0, slash);
    let defaults = defaultsOf.get(folder);
    if (!defaults) {
      const folders = folder ? folder.split('/') : [];
      defaults = { ...rootDefaults, ...(folderDefaults.get('') ?? folderDefaults.get('.') ?? {}) };
      for (let i = 0; i < folders.length; i++) {
        const key = folders.slice(0, i + 1).join('/');
        defaults = { ...defaults, ...(folderDefaults.get(key) ?? (i === 0 ? builtinFolderDefaults[folders[0]] : undefined) ?? {}) };
      }
      defaultsOf.set(folder, defaults);
    }
    models.push({ name, path: rel, text: readFileSync(file, 'utf8'), defaults: { ...defaults }, isTest: folder.split('/').includes('tests') });
  }

  const macrosDir = join(dir, 'macros');
  // macros/materializations/ and macros/tests/ override the runner's templates of those kinds: they are
  // not macros (a helper named "snapshot" would shadow every {{snapshot}} a macro reads)
  const overrides = ['materializations', 'tests'].map((kind) => join(macrosDir, kind) + sep);
  const macros = existsSync(macrosDir)
    ? walk(macrosDir).filter((f) => f.endsWith('.sql') && !overrides.some((o) => f.startsWith(o))).map((f) => ({
        name: basename(f, '.sql'),
        path: toPosix(relative(dir, f)),
        text: readFileSync(f, 'utf8'),
      }))
    : [];
  for (const name of props.keys()) {
    if (!seen.has(name)) warnings.push(`properties for "${name}" (in ${props.get(name)!.file}) match no model file`);
  }
  const analysesDir = join(dir, 'analyses');
  const analyses: ModelFile[] = existsSync(analysesDir)
    ? walk(analysesDir).filter((f) => f.endsWith('.sql')).map((f) => ({
        name: basename(f, '.sql'), path: toPosix(relative(dir, f)), text: readFileSync(f, 'utf8'), defaults: {}, isTest: false,
      }))
    : [];
  const migrationsDir = join(dir, 'migrations');
  const seedsDir = join(dir, 'seeds');
  const seeds: SourceTable[] = existsSync(seedsDir)
    ? readdirSync(seedsDir).filter((f) => f.endsWith('.csv')).sort().map((f) => {
        const header = readFileSync(join(seedsDir, f), 'utf8').split(/\r?\n/, 1)[0].replace(/^\uFEFF/, '');
        const columns = header.split(',').map((c) => c.trim().replace(/^"(.*)"$/, '$1'));
        return { source: 'seeds', name: basename(f, '.csv'), schema: 'seeds', columns, required: [] };
      })
    : [];
  return {
    dir,
    models,
    seeds,
    unitTests,
    vars,
    macros,
    analyses,
    sources,
    props,
    migrationsDir: existsSync(migrationsDir) ? migrationsDir : undefined,
    seedsDir: existsSync(seedsDir) ? seedsDir : undefined,
    warnings,
  };
}
