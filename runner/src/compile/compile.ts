import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { textHash, type TemplateEnv } from './handlebars.js';
import { lineOf, onSchemaChangeOf } from './on-schema-change.js';
import { didYouMean, projectError } from '../errors.js';
import type { ModelFile, Project, TestDecl } from '../project/project.js';
import type { SourceTable } from '../project/sources.js';
import { ident } from '../sql/quote.js';
import { cacheable, type RenderCache } from './render-cache.js';
import { distributionOf, type Distribution } from './distribution.js';
import { blocksAsCtes } from './repartition.js';
import { renderInParallel } from './parallel.js';
import { checkTests } from './test-checks.js';
import {
  compileContext, createEnvironment, macroSpecs, P, renderJobs, type RenderContext, type Rendering, type RenderOutcome,
} from './render.js';

export { compileContext, createEnvironment, readsRunContext, renderModel, type RenderContext } from './render.js';

const placeholder = /\u0001([RST]):([^\u0002]*)\u0002/g;

export type Materialization = 'view' | 'table' | 'incremental' | 'ephemeral' | 'snapshot' | 'test';

export interface NodeConfig {
  materialized: Materialization;
  schema: string;
  alias?: string;
  unique_key?: string | string[];
  tags: string[];
  enabled: boolean;
  [key: string]: unknown;
}

export interface Node {
  name: string;
  path: string;
  config: NodeConfig;
  /** Models this one refs, in order of first use. */
  refs: string[];
  /** `source.table` names this one reads. */
  sources: string[];
  /** Rendered SQL with placeholders for refs, sources and `this`; resolved by `resolveSql`. */
  rendered: string;
  checksum: string;
  description?: string;
  columns: { name: string; description?: string; data_type?: string }[];
  tests: TestDecl[];
  file: ModelFile;
  /** Where its table lives on Citus (`distributed_by`, `distribution`); ignored on PostgreSQL. */
  distribution?: Distribution;
}

const materializations: Materialization[] = ['view', 'table', 'incremental', 'ephemeral', 'snapshot', 'test'];

function normaliseConfig(raw: Record<string, unknown>, file: ModelFile): NodeConfig {
  const materialized = String(raw.materialized ?? 'view') as Materialization;
  const effective = file.isTest ? 'test' : materialized;
  if (!materializations.includes(effective)) {
    throw projectError(`unknown materialization "${materialized}" in ${lineOf(file.path, file.text, 'materialized', /\{\{~?\s*config\b/)}` +
      didYouMean(materialized, materializations));
  }
  const tags = raw.tags === undefined ? [] : Array.isArray(raw.tags) ? raw.tags.map(String)
    : String(raw.tags).split(/[\s,]+/).filter(Boolean);
  let uniqueKey = raw.unique_key as string | string[] | undefined;
  if (typeof uniqueKey === 'string' && uniqueKey.includes(',')) uniqueKey = uniqueKey.split(',').map((s) => s.trim());
  // Object.assign, not a literal opening with ...raw: V8 builds the latter several times slower
  return Object.assign({}, raw, {
    materialized: effective,
    schema: String(raw.schema ?? 'analytics'),
    tags,
    enabled: raw.enabled !== false && raw.enabled !== 'false',
    unique_key: uniqueKey,
  }) as NodeConfig;
}

export interface CompiledProject {
  nodes: Map<string, Node>;
  sources: Map<string, SourceTable>;
  warnings: string[];
  hb: TemplateEnv;
  /** Models whose rendering came from the cache (unchanged files). */
  reused: number;
  /** The values of `{{var}}` the models were rendered with; runs render with them too. */
  vars: Record<string, unknown>;
  /** Whether some macro reads `{{var}}` (then every model may). */
  macrosReadVars: boolean;
}

/**
 * Renders every model once and collects configs, refs and sources. With `cache`, a model whose file is
 * unchanged since the cache was written takes what it rendered to then.
 */
export function compileProject(project: Project, ctx: RenderContext = compileContext, cache?: RenderCache): CompiledProject {
  const hb = createEnvironment(project, cache?.specs);
  const hashes = new Map(project.models.map((file) => [file.path, textHash(file.text)]));
  const pending = project.models.filter((file) => cache?.files[file.path]?.hash !== hashes.get(file.path));
  const jobs = pending.map((file) => ({ file, config: { ...file.defaults, ...(project.props.get(file.name)?.config ?? {}) } }));
  const { outcomes, made } = renderInParallel({ macros: project.macros, jobs, ctx, specs: cache?.specs ?? {} },
    (share) => renderJobs(hb, share, ctx));
  const rendered = new Map<string, RenderOutcome>(outcomes.map((o, i) => [pending[i].path, o]));
  if (cache) Object.assign(cache.specs, made, macroSpecs(hb, project.macros));
  const nodes = new Map<string, Node>();
  const warnings = [...project.warnings];
  let reused = 0;
  for (const file of project.models) {
    const props = project.props.get(file.name);
    const hash = hashes.get(file.path)!;
    let out: Rendering;
    const outcome = rendered.get(file.path);
    if (outcome) {
      if ('error' in outcome) throw outcome.error;
      out = outcome.out;
      if (cache) {
        if (cacheable(out.config)) {
          cache.files[file.path] = { hash, ...out };
          // a run renders it again: its precompiled template spares the run Handlebars' compiler
          if (outcome.spec) cache.specs[hash] = outcome.spec;
        } else {
          delete cache.files[file.path];
        }
        cache.changed = true;
      }
    } else {
      out = cache!.files[file.path];
      reused++;
    }
    warnings.push(...out.warnings);
    const config = normaliseConfig({ ...file.defaults, ...(props?.config ?? {}), ...out.config }, file);
    if (!config.enabled) continue;
    onSchemaChangeOf(config.on_schema_change, () => out.config.on_schema_change !== undefined || !props?.file
      ? lineOf(file.path, file.text, 'on_schema_change')
      : lineOf(props.file, readFileSync(join(project.dir, props.file), 'utf8'), 'on_schema_change',
        new RegExp(`name:\\s*["']?${file.name}["']?\\s*$`)));
    nodes.set(file.name, {
      name: file.name,
      path: file.path,
      config,
      refs: [...out.refs],
      sources: [...out.sources],
      rendered: out.rendered,
      checksum: hash,
      description: (config.description as string | undefined) ?? props?.description,
      columns: props?.columns ?? [],
      tests: props?.tests ?? [],
      file,
      distribution: distributionOf([file.defaults, props?.config, out.config], `model "${file.name}" (${file.path})`),
    });
  }
  const sources = new Map([...project.sources, ...project.seeds].map((s) => [`${s.source}.${s.name}`, s]));
  for (const node of nodes.values()) {
    for (const ref of node.refs) {
      if (!nodes.has(ref)) {
        const at = /@([^\u0002]*)\u0002/.exec(node.rendered.slice(node.rendered.indexOf(`${P}R:${ref}@`)))?.[1] ?? node.path;
        throw projectError(`model "${node.name}" refers to unknown model "${ref}" (${at})${didYouMean(ref, nodes.keys())}`);
      }
    }
    for (const src of node.sources) {
      if (!sources.has(src)) {
        const at = /@([^\u0002]*)\u0002/.exec(node.rendered.slice(node.rendered.indexOf(`${P}S:${src}@`)))?.[1] ?? node.path;
        throw projectError(`model "${node.name}" reads unknown source "${src}" (${at})${didYouMean(src, sources.keys())}` +
          `; declare it under "sources:" in a YAML file in models/`);
      }
    }
  }
  // a test written wrong is the YAML's mistake, found before anything runs
  checkTests(nodes.values(), new Set(nodes.keys()), project.dir);
  return { nodes, sources, warnings, hb, reused, vars: ctx.vars, macrosReadVars: project.macros.some((m) => /\bvar\b/.test(m.text)) };
}

export function relationOf(node: Node): string {
  return `${ident(node.config.schema)}.${ident(node.config.alias as string ?? node.name)}`;
}

/** A node's SQL as `compile` writes it: refs and sources resolved, ephemeral models inlined. */
export function compiledSql(node: Node, compiled: CompiledProject): string {
  return resolveSql(node.rendered, node, compiled.nodes, compiled.sources).trim();
}

export const cteName = (name: string) => `__cte_${name}`;

/**
 * Swaps placeholders for quoted relations and inlines ephemeral models as CTEs (transitively, in
 * dependency order) at the head of the statement.
 */
export function resolveSql(rendered: string, self: Node, nodes: Map<string, Node>, sources: Map<string, SourceTable>,
  renderOf: (n: Node) => string = (n) => n.rendered): string {
  return blocksAsCtes(resolveRefs(rendered, self, nodes, sources, renderOf));
}

/** As `resolveSql`, with `{{#repartition}}` blocks left marked for the target to build (see repartition.ts). */
export function resolveRefs(rendered: string, self: Node, nodes: Map<string, Node>, sources: Map<string, SourceTable>,
  renderOf: (n: Node) => string = (n) => n.rendered): string {
  const ctes: string[] = [];
  const seen = new Set<string>();
  const substitute = (text: string, owner: Node): string =>
    text.replace(placeholder, (_, kind: string, body: string) => {
      const key = body.replace(/@.*$/, '');
      if (kind === 'T') return relationOf(owner);
      if (kind === 'S') {
        const s = sources.get(key)!;
        return `${ident(s.schema)}.${ident(s.name)}`;
      }
      const target = nodes.get(key)!;
      if (target.config.materialized !== 'ephemeral') return relationOf(target);
      if (!seen.has(key)) {
        seen.add(key);
        const inner = substitute(renderOf(target), target); // pushes the CTEs it needs first
        ctes.push(`${cteName(key)} as (\n${stripTrailingSemicolon(inner)}\n)`);
      }
      return cteName(key);
    });
  const body = substitute(rendered, self);
  if (!ctes.length) return body;
  return injectCtes(body, ctes);
}

const stripTrailingSemicolon = (sql: string) => sql.replace(/;\s*$/, '');

function injectCtes(sql: string, ctes: string[]): string {
  // keep leading comments and blank lines where they are; merge with the model's own WITH
  const m = /^((?:\s|--[^\n]*\n|\/\*[\s\S]*?\*\/)*)(with\s+(recursive\s+)?)?/i.exec(sql)!;
  const lead = m[1];
  const rest = sql.slice(m[0].length);
  if (m[2]) return `${lead}with ${m[3] ?? ''}${ctes.join(',\n')},\n${rest}`;
  return `${lead}with ${ctes.join(',\n')}\n${rest}`;
}

