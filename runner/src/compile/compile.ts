import { createHash } from 'node:crypto';
import { TemplateEnv, type HelperOptions } from './hbs.js';
import { didYouMean, templateError, projectError } from '../errors.js';
import type { ModelFile, Project, TestDecl } from '../project/project.js';
import type { SourceTable } from '../project/sources.js';
import { ident, sqlHelpers } from '../sql/quote.js';
import { compileTemplate as parseTemplate, type Render } from './template-engine.js';
import { cacheable, type CachedRender, type RenderCache } from './render-cache.js';

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
}

export interface RenderContext {
  is_incremental: boolean;
  /** Run id and highest landed batch when this node last succeeded (0 when never). */
  prev: { run_id: number; batch_id: number };
  run_id: number;
  full_refresh: boolean;
  vars: Record<string, unknown>;
  /** Set when a first attempt failed on a bad value (SQLSTATE class 22): macros switch to per-row parsing. */
  safe?: boolean;
  /** Where `{{meta "table"}}` points: the runner's schema meta, or a unit test's temporary schema. */
  meta_schema?: string;
}

export const compileContext: RenderContext = {
  is_incremental: false,
  prev: { run_id: 0, batch_id: 0 },
  run_id: 0,
  full_refresh: false,
  vars: {},
};

export const knownConfigKeys = [
  'materialized', 'schema', 'alias', 'unique_key', 'tags', 'enabled', 'description', 'indexes',
  'post_hook', 'pre_hook', 'updated_at', 'check_cols', 'hard_deletes', 'surrogate_key', 'valid_from',
  'valid_to', 'current_flag', 'unknown_member', 'severity', 'reject_column', 'reject_source', 'batch_column',
];
const materializations: Materialization[] = ['view', 'table', 'incremental', 'ephemeral', 'snapshot', 'test'];

// Placeholders survive rendering untouched and are swapped for relations once every config is known.
const P = '\u0001';
const Q = '\u0002';
const placeholder = /\u0001([RST]):([^\u0002]*)\u0002/g;

interface State {
  file: ModelFile;
  config: Record<string, unknown>;
  refs: string[];
  sources: string[];
  warnings: string[];
}

let state: State | undefined;

const locOf = (options: { loc?: { start: { line: number } } } | undefined) =>
  options?.loc ? `:${options.loc.start.line}` : '';

/** Builds the Handlebars environment of a project: built-in helpers, then its macros. */
export function createEnvironment(project: Project): TemplateEnv {
  const hb = new TemplateEnv();
  hb.registerHelper('ref', function (...args: unknown[]) {
    const options = args.pop() as HelperOptions & { loc?: { start: { line: number } } };
    const name = String(args[args.length - 1] ?? '');
    if (!name) throw templateError(`{{ref}} needs a model name (${state!.file.path}${locOf(options)})`);
    if (!state!.refs.includes(name)) state!.refs.push(name);
    return `${P}R:${name}@${state!.file.path}${locOf(options)}${Q}`;
  });
  hb.registerHelper('source', function (...args: unknown[]) {
    const options = args.pop() as HelperOptions & { loc?: { start: { line: number } } };
    if (args.length !== 2) {
      throw templateError(`{{source}} takes a source and a table name, like {{source "raw" "sales"}} (${state!.file.path}${locOf(options)})`);
    }
    const key = `${args[0]}.${args[1]}`;
    if (!state!.sources.includes(key)) state!.sources.push(key);
    return `${P}S:${key}@${state!.file.path}${locOf(options)}${Q}`;
  });
  hb.registerHelper('config', function (...args: unknown[]) {
    const options = args.pop() as HelperOptions & { loc?: { start: { line: number } } };
    for (const [key, value] of Object.entries(options.hash ?? {})) {
      if (!knownConfigKeys.includes(key)) {
        state!.warnings.push(`unknown config key "${key}" in ${state!.file.path}${locOf(options)}${didYouMean(key, knownConfigKeys)}`);
      }
      state!.config[key] = value;
    }
    return '';
  });
  hb.registerHelper('is_incremental', function (this: unknown, ...args: unknown[]) {
    const options = args.pop() as HelperOptions;
    const root = options.data?.root as RenderContext;
    const yes = Boolean(root?.is_incremental);
    if (typeof options.fn === 'function') return yes ? options.fn(this) : options.inverse(this);
    return yes;
  });
  hb.registerHelper('helperMissing', function (...args: unknown[]) {
    const options = args.pop() as { name: string; loc?: { start: { line: number } } };
    throw templateError(`unknown helper or variable "${options.name}" in ${state?.file.path ?? 'a template'}${locOf(options)}` +
      `${didYouMean(options.name, [...Object.keys(hb.helpers), 'this', 'is_incremental']) ||
        `; macros are files in macros/ (macros/${options.name}.sql would define this one)`}`);
  });
  hb.registerHelper({ quote: sqlHelpers.literal, ident: sqlHelpers.ident, join: sqlHelpers.join, eq: sqlHelpers.eq });
  hb.registerHelper('meta', (table: unknown, ...rest: unknown[]) => {
    const root = (rest.pop() as HelperOptions).data?.root as RenderContext | undefined;
    return `${ident(root?.meta_schema ?? 'meta')}.${ident(String(table))}`;
  });
  hb.registerHelper('concat', (...parts: unknown[]) => parts.slice(0, -1).map(String).join(''));
  hb.registerHelper('var', (name: unknown, ...rest: unknown[]) => {
    const options = rest.pop() as HelperOptions;
    const vars = (options.data?.root as RenderContext)?.vars ?? {};
    return vars[String(name)] ?? rest[0] ?? '';
  });

  for (const macro of project.macros) {
    if (hb.helpers[macro.name]) throw projectError(`macro "${macro.name}" (${macro.path}) has the name of a built-in helper; rename it`);
    let template: Render | undefined;
    hb.registerPartial(macro.name, macro.text);
    // a macro is callable as {{name arg1 key=value}} too: positional args arrive as `args`
    hb.registerHelper(macro.name, function (this: unknown, ...args: unknown[]) {
      const options = args.pop() as HelperOptions;
      template ??= compileTemplate(hb, macro.text, macro.path);
      return template({ ...(options.data?.root ?? {}), ...options.hash, args }, { data: options.data });
    });
  }
  return hb;
}

function compileTemplate(hb: TemplateEnv, text: string, path: string): Render {
  try {
    return parseTemplate(hb, text);
  } catch (e) {
    throw asTemplateError(e, path, text);
  }
}

/**
 * The block that Handlebars' parser stumbled over, told in the model's terms: it reports an unclosed
 * `{{#if}}` at the end of the file ("got 'EOF'"), a wrong closing tag as "if doesn't match each" and
 * one closing tag too many as "Expecting 'EOF', got 'OPEN_ENDBLOCK'".
 */
export function unbalancedBlock(text: string): { line: number; message: string } | undefined {
  const open: { name: string; line: number }[] = [];
  const lineAt = (index: number) => text.slice(0, index).split('\n').length;
  // comments first (they may hold anything), then block openings {{#x}} / {{^x}} and closings {{/x}}
  const tags = /\{\{!--[\s\S]*?--~?\}\}|\{\{![\s\S]*?\}\}|\{\{~?\s*([#^/])\s*>?\s*([^\s}~]+)/g;
  for (let m = tags.exec(text); m; m = tags.exec(text)) {
    if (!m[1]) continue;
    const name = m[2];
    if (m[1] !== '/') {
      open.push({ name, line: lineAt(m.index) });
      continue;
    }
    const top = open.pop();
    if (!top) return { line: lineAt(m.index), message: `{{/${name}}} closes a block that was never opened` };
    if (top.name !== name) {
      return { line: lineAt(m.index), message: `{{/${name}}} closes {{#${top.name}}} of line ${top.line}; close it with {{/${top.name}}}` };
    }
  }
  const top = open.pop();
  return top ? { line: top.line, message: `{{#${top.name}}} is never closed; add {{/${top.name}}} where the block ends` } : undefined;
}

function asTemplateError(e: unknown, path: string, text?: string): Error {
  if (e instanceof Error && e.name === 'UserError') return e;
  const message = (e as Error).message ?? String(e);
  const block = text && /got '(EOF|OPEN_ENDBLOCK)'|doesn't match/.test(message) ? unbalancedBlock(text) : undefined;
  if (block) {
    return templateError(`template error in ${path}:${block.line}: ${block.message}\n(Handlebars: ${message.trim().split('\n').pop()})` +
      `\nfix the Handlebars syntax in that file`);
  }
  const line = /on line (\d+)/.exec(message)?.[1] ?? (e as { lineNumber?: number }).lineNumber;
  return templateError(`template error in ${path}${line ? `:${line}` : ''}: ${message.split('\n')[0]}` +
    `${message.includes('\n') ? '\n' + message.split('\n').slice(1).join('\n') : ''}\nfix the Handlebars syntax in that file`);
}

/** Renders one model. Pure: refs, sources and `this` become placeholders. */
export function renderModel(hb: TemplateEnv, file: ModelFile, ctx: RenderContext, cache?: Map<string, Render>) {
  let template = cache?.get(file.path);
  if (!template) {
    template = compileTemplate(hb, file.text, file.path);
    cache?.set(file.path, template);
  }
  state = { file, config: {}, refs: [], sources: [], warnings: [] };
  try {
    const root = { ...ctx, toString: () => `${P}T:${Q}` };
    const rendered = template(root, { data: { root } });
    return { rendered, config: state.config, refs: state.refs, sources: state.sources, warnings: state.warnings };
  } catch (e) {
    throw asTemplateError(e, file.path);
  } finally {
    state = undefined;
  }
}

function normaliseConfig(raw: Record<string, unknown>, file: ModelFile): NodeConfig {
  const materialized = String(raw.materialized ?? 'view') as Materialization;
  const effective = file.isTest ? 'test' : materialized;
  if (!materializations.includes(effective)) {
    throw projectError(`unknown materialization "${materialized}" in ${file.path}${didYouMean(materialized, materializations)}`);
  }
  const tags = raw.tags === undefined ? [] : Array.isArray(raw.tags) ? raw.tags.map(String)
    : String(raw.tags).split(/[\s,]+/).filter(Boolean);
  let uniqueKey = raw.unique_key as string | string[] | undefined;
  if (typeof uniqueKey === 'string' && uniqueKey.includes(',')) uniqueKey = uniqueKey.split(',').map((s) => s.trim());
  return {
    ...raw,
    materialized: effective,
    schema: String(raw.schema ?? 'analytics'),
    tags,
    enabled: raw.enabled !== false && raw.enabled !== 'false',
    unique_key: uniqueKey,
  };
}

export interface CompiledProject {
  nodes: Map<string, Node>;
  sources: Map<string, SourceTable>;
  warnings: string[];
  hb: TemplateEnv;
  templates: Map<string, Render>;
  /** Models whose rendering came from the cache (unchanged files). */
  reused: number;
}

/**
 * Renders every model once and collects configs, refs and sources. With `cache`, a model whose file is
 * unchanged since the cache was written takes what it rendered to then.
 */
export function compileProject(project: Project, ctx: RenderContext = compileContext, cache?: RenderCache): CompiledProject {
  const hb = createEnvironment(project);
  const templates = new Map<string, Render>();
  const nodes = new Map<string, Node>();
  const warnings = [...project.warnings];
  let reused = 0;
  for (const file of project.models) {
    const props = project.props.get(file.name);
    const hash = createHash('sha256').update(file.text).digest('hex');
    const cached = cache?.files[file.path];
    let out: Omit<CachedRender, 'hash'> | undefined = cached?.hash === hash ? cached : undefined;
    if (!out) {
      out = renderModel(hb, file, ctx, templates);
      if (file.text.includes('is_incremental') && !ctx.is_incremental) {
        // refs used only in the incremental branch are dependencies too: render that branch for its refs
        const other = renderModel(hb, file, { ...ctx, is_incremental: true }, templates);
        for (const ref of other.refs) if (!out.refs.includes(ref)) out.refs.push(ref);
        for (const src of other.sources) if (!out.sources.includes(src)) out.sources.push(src);
      }
      if (cache) {
        if (cacheable(out.config)) cache.files[file.path] = { hash, ...out };
        else delete cache.files[file.path];
        cache.changed = true;
      }
    } else {
      reused++;
    }
    warnings.push(...out.warnings);
    const config = normaliseConfig({ ...file.defaults, ...(props?.config ?? {}), ...out.config }, file);
    if (!config.enabled) continue;
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
  return { nodes, sources, warnings, hb, templates, reused };
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

