import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { compiledSql } from '../compile/compile.js';
import { manifestOf, writeCompiled } from './manifest.js';
import { targetDir, writeFile } from '../files/write.js';
import { statement } from '../sql/statements.js';
import { buildTests } from '../run/data-tests.js';
import { testNamesOf } from '../project/project.js';
import { redact } from '../errors.js';
import type { Logger } from '../log.js';
import { prepare } from '../compile/prepare.js';
import type { RunSummary } from '../run/context.js';
import { loadTemplates, runnerRoot } from '../sql/templates.js';
import type { DocNode, DocsData, DocTest, DocUnitTest } from './docs-data.js';
import { parseUnitTests } from '../unit/spec.js';
import { escapeXml, lineageSvg, timelineSvg } from './docs-svg.js';

/**
 * The documentation site: one self-contained HTML file (data, script, styles and the lineage graph
 * inline, so that it opens from disk with no server and no network), and the graph alone as an SVG.
 */

export interface DocsOptions { projectDir: string; logger: Logger; databaseUrl?: string; vars?: Record<string, unknown> }

/** Compiles the project, reads the last run and (with a database) column types; writes target/docs/. */
export async function buildDocs(opts: DocsOptions) {
  const { project, compiled, graph } = prepare(opts.projectDir, opts.logger, opts.vars);
  await writeCompiled(opts.projectDir, compiled, graph);
  const manifest = manifestOf(compiled, graph, opts.projectDir);
  const runFile = join(targetDir(opts.projectDir), 'run_results.json');
  let run: RunSummary | null = null;
  if (existsSync(runFile)) {
    try {
      run = JSON.parse(readFileSync(runFile, 'utf8')) as RunSummary;
    } catch (e) {
      opts.logger.warn(`cannot read target/run_results.json (${(e as Error).message}); the docs show no last run`);
    }
  }
  const url = opts.databaseUrl ?? process.env.DATABASE_URL;
  const schemas = [...new Set([...compiled.nodes.values()].map((n) => n.config.schema).concat(project.sources.map((s) => s.schema)))];
  // with the embedded default, the warehouse is there once a build made it
  const { types, counts } = url || await embeddedWarehouse(opts.projectDir) ? await readCatalog(url, opts, schemas)
    : { types: new Map<string, [string, string][]>(), counts: new Map<string, number>() };

  const results = new Map((run?.results ?? []).map((r) => [r.node, r]));
  const testsByModel = new Map<string, DocTest[]>();
  try {
    const singular = new Map([...compiled.nodes.values()].filter((n) => n.config.materialized === 'test').map((n) => [n.name, compiledSql(n, compiled)]));
    for (const t of buildTests(graph.order, compiled.nodes, loadTemplates('tests', opts.projectDir), singular)) {
      if (t.kind === 'singular') continue;
      const decls = compiled.nodes.get(t.model)!.tests;
      const decl = decls[testNamesOf(t.model, decls).indexOf(t.name)];
      const list = testsByModel.get(t.model) ?? [];
      list.push({ name: t.name, kind: t.kind, column: decl?.column, severity: t.severity, sql: t.sql.trim(), result: results.get(t.name) });
      testsByModel.set(t.model, list);
    }
  } catch (e) {
    opts.logger.warn(`cannot render the data tests for the docs: ${(e as Error).message}`);
  }

  const unitTests = new Map<string, DocUnitTest[]>();
  try {
    for (const t of parseUnitTests(project.unitTests, compiled.nodes)) {
      const inputs = [...new Set(t.steps.flatMap((s) => s.given.map((g) => g.input)))];
      unitTests.set(t.model, [...(unitTests.get(t.model) ?? []), { name: t.name, description: t.description, file: t.file,
        inputs, steps: t.steps.length, result: results.get(t.id) }]);
    }
  } catch (e) {
    opts.logger.warn(`cannot list the unit tests in the docs: ${(e as Error).message}`);
  }

  const nodes: DocNode[] = [];
  const children = new Map<string, string[]>();
  for (const s of project.sources) {
    const id = `source/${s.source}.${s.name}`;
    const typed = new Map(types.get(`${s.schema}.${s.name}`) ?? []);
    nodes.push({
      id, kind: 'source', name: `${s.source}.${s.name}`, materialized: 'source', layer: 0, relation: `${s.schema}.${s.name}`,
      row_count: counts.get(`${s.schema}.${s.name}`),
      description: s.description, upstream: [], downstream: [], tests: [], config: { required: s.required },
      columns: s.columns.map((c) => ({ name: c, type: typed.get(c), description: s.columnDescriptions?.[c], tests: [] })),
    });
  }
  for (const name of graph.order) {
    const node = compiled.nodes.get(name)!;
    const info = manifest.nodes[name] as { relation: string | null };
    const upstream = [...node.sources.map((s) => `source/${s}`), ...(graph.parents.get(name) ?? []).map((p) => `model/${p}`)];
    for (const u of upstream) children.set(u, [...(children.get(u) ?? []), `model/${name}`]);
    const tests = testsByModel.get(name) ?? [];
    const relation = `${node.config.schema}.${(node.config.alias as string | undefined) ?? name}`;
    const typed = types.get(relation) ?? [];
    const declared = new Map(node.columns.map((c) => [c.name, c]));
    const columnNames = [...new Set([...node.columns.map((c) => c.name), ...typed.map(([c]) => c)])];
    const typeOf = new Map(typed);
    nodes.push({
      id: `model/${name}`, kind: 'model', name, materialized: node.config.materialized, layer: 0, relation: info.relation,
      row_count: counts.get(relation), path: node.path, description: node.description, config: node.config, sql: compiledSql(node, compiled),
      upstream, downstream: [], last: results.get(name),
      columns: columnNames.map((c) => ({ name: c, type: typeOf.get(c) ?? declared.get(c)?.data_type,
        description: declared.get(c)?.description, tests: tests.filter((t) => t.column === c).map((t) => t.kind) })),
      tests: [...tests, ...[...compiled.nodes.values()].filter((t) => t.config.materialized === 'test' && t.refs.includes(name))
        .map((t) => ({ name: t.name, kind: 'singular', severity: String(t.config.severity ?? 'error'), sql: compiledSql(t, compiled), result: results.get(t.name) }))],
      unit_tests: unitTests.get(name) ?? [],
    });
  }
  const byId = new Map(nodes.map((n) => [n.id, n]));
  for (const n of nodes) {
    n.downstream = children.get(n.id) ?? [];
    n.layer = Math.max(0, ...n.upstream.map((u) => byId.get(u)!.layer + 1));
  }
  const { results: runResults = [], ...runInfo } = run ?? ({} as RunSummary);
  const data: DocsData = { project: projectName(opts.projectDir), generated_at: manifest.generated_at, nodes, run: run ? runInfo : null, results: runResults };

  const dir = join(targetDir(opts.projectDir), 'docs');
  const svg = lineageSvg(nodes);
  writeFile(join(dir, 'lineage.svg'), svg);
  const template = readFileSync(join(runnerRoot, 'templates', 'docs', 'index.html'), 'utf8');
  const html = [['@title@', escapeXml(`${data.project} — pipeline docs`)], ['@lineage@', lineageSvg(nodes, true)],
    ['@timeline@', timelineSvg(runResults)], ['@data@', JSON.stringify(data).replace(/</g, '\\u003c')]]
    .reduce((text, [marker, value]) => text.split(marker).join(value), template);
  writeFile(join(dir, 'index.html'), html);
  return { index: join(dir, 'index.html'), svg: join(dir, 'lineage.svg'), nodes: nodes.length, types: types.size > 0, counts: counts.size > 0, data };
}

function projectName(dir: string): string {
  try {
    return String(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name ?? basename(dir));
  } catch {
    return basename(dir);
  }
}

/** Whether the project's embedded PostgreSQL was created (its data directory holds a cluster). */
async function embeddedWarehouse(projectDir: string): Promise<boolean> {
  const { dataDirectoryFor } = await import('../db/embedded-setup.js');
  return existsSync(join(dataDirectoryFor(projectDir), 'PG_VERSION'));
}

/**
 * Column types of every relation in `schemas` (information_schema) and the rows of every table, keyed
 * `schema.name`.
 */
async function readCatalog(url: string | undefined, opts: DocsOptions, schemas: string[]) {
  const out = new Map<string, [string, string][]>();
  const counts = new Map<string, number>();
  let db;
  try {
    // database code loads only for docs with a database
    const { connect } = await import('../db/connection.js');
    db = await connect({ projectDir: opts.projectDir, databaseUrl: url, logger: opts.logger, max: 1 });
    const rows = await db.sql.unsafe(statement('docs/column-types'), [schemas]);
    for (const r of rows) {
      const key = `${r.table_schema}.${r.table_name}`;
      out.set(key, [...(out.get(key) ?? []), [r.column_name, typeName(r)]]);
    }
    try {
      for (const r of await db.sql.unsafe(statement('docs/row-counts'), [schemas])) counts.set(`${r.table_schema}.${r.table_name}`, Number(r.row_count));
    } catch (e) {
      opts.logger.warn(`cannot count the tables' rows (${redact((e as Error).message)}); the docs show none`);
    }
  } catch (e) {
    opts.logger.warn(`cannot read column types (${redact((e as Error).message)}); the docs show none`);
  } finally {
    await db?.close();
  }
  return { types: out, counts };
}

function typeName(r: Record<string, unknown>): string {
  const t = String(r.data_type);
  if (t === 'character varying' && r.len) return `varchar(${r.len})`;
  if (t === 'character' && r.len) return `char(${r.len})`;
  if (t === 'numeric' && r.numeric_precision) return `numeric(${r.numeric_precision},${r.numeric_scale ?? 0})`;
  if (t === 'ARRAY') return `${String(r.udt_name).replace(/^_/, '')}[]`;
  if (t === 'USER-DEFINED') return String(r.udt_name);
  return t;
}
