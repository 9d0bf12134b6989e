/**
 * Rendering models: the helpers and macros a model's template sees, and what rendering it gives (its
 * SQL with placeholders, config, refs and sources).
 */
import { TemplateEnv, textHash, type HelperOptions, type SpecStore, type Template } from './handlebars.js';
import { didYouMean, templateError, projectError } from '../errors.js';
import type { ModelFile, Project } from '../project/project.js';
import { ident, sqlHelpers } from '../sql/quote.js';
import { asTemplateError } from './template-errors.js';
import { repartitionHelper } from './repartition.js';
import type { CachedRender } from './render-cache.js';

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
  'distributed_by', 'distribution', 'on_schema_change',
];
// Placeholders survive rendering untouched and are swapped for relations once every config is known.
export const P = '\u0001';
export const Q = '\u0002';

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

/** Builds the Handlebars environment of a project: built-in helpers, then its macros. `specs`: precompiled templates. */
export function createEnvironment(project: Pick<Project, 'macros'>, specs?: SpecStore): TemplateEnv {
  const hb = new TemplateEnv(specs);
  hb.registerHelper('ref', function (...args: unknown[]) {
    const options = args.pop() as HelperOptions;
    const name = String(args[args.length - 1] ?? '');
    if (!name) throw templateError(`{{ref}} needs a model name (${state!.file.path}${locOf(options)})`);
    if (!state!.refs.includes(name)) state!.refs.push(name);
    return `${P}R:${name}@${state!.file.path}${locOf(options)}${Q}`;
  });
  hb.registerHelper('source', function (...args: unknown[]) {
    const options = args.pop() as HelperOptions;
    if (args.length !== 2) {
      throw templateError(`{{source}} takes a source and a table name, like {{source "raw" "sales"}} (${state!.file.path}${locOf(options)})`);
    }
    const key = `${args[0]}.${args[1]}`;
    if (!state!.sources.includes(key)) state!.sources.push(key);
    return `${P}S:${key}@${state!.file.path}${locOf(options)}${Q}`;
  });
  hb.registerHelper('config', function (...args: unknown[]) {
    const options = args.pop() as HelperOptions;
    for (const [key, value] of Object.entries(options.hash ?? {})) {
      if (!knownConfigKeys.includes(key)) {
        state!.warnings.push(`unknown config key "${key}" in ${state!.file.path}${locOf(options)}${didYouMean(key, knownConfigKeys)}`);
      }
      state!.config[key] = value;
    }
    return '';
  });
  hb.registerHelper('repartition', repartitionHelper(() => state?.file.path ?? 'a template'));
  hb.registerHelper('is_incremental', function (this: unknown, ...args: unknown[]) {
    const options = args.pop() as HelperOptions;
    const root = options.data?.root as RenderContext;
    const yes = Boolean(root?.is_incremental);
    if (typeof options.fn === 'function') return yes ? options.fn(this) : options.inverse(this);
    return yes;
  });
  hb.registerHelper('helperMissing', function (...args: unknown[]) {
    const options = args.pop() as HelperOptions;
    throw templateError(`unknown helper or variable "${options.name}" in ${state?.file.path ?? 'a template'}${locOf(options)}` +
      `${didYouMean(options.name, [...hb.helperNames(), 'this', 'is_incremental']) ||
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
    if (hb.hasHelper(macro.name)) throw projectError(`macro "${macro.name}" (${macro.path}) has the name of a built-in helper; rename it`);
    const template = hb.lazy(macro.text, (e) => asTemplateError(e, macro.path, macro.text));
    hb.registerPartial(macro.name, template);
    // a macro is callable as {{name arg1 key=value}} too: positional args arrive as `args`
    hb.registerHelper(macro.name, function (this: unknown, ...args: unknown[]) {
      const options = args.pop() as HelperOptions;
      return template({ ...(options.data?.root ?? {}), ...options.hash, args }, { data: options.data });
    });
  }
  return hb;
}

function compileTemplate(hb: TemplateEnv, text: string, path: string): Template {
  try {
    return hb.template(text);
  } catch (e) {
    throw asTemplateError(e, path, text);
  }
}

/** Renders one model. Pure: refs, sources and `this` become placeholders. */
export function renderModel(hb: TemplateEnv, file: ModelFile, ctx: RenderContext) {
  const template = compileTemplate(hb, file.text, file.path);
  state = { file, config: {}, refs: [], sources: [], warnings: [] };
  try {
    const root = { ...ctx, toString: () => `${P}T:${Q}` };
    const rendered = template(root, { data: { root } });
    return { rendered, config: state.config, refs: state.refs, sources: state.sources, warnings: state.warnings };
  } catch (e) {
    throw asTemplateError(e, file.path, file.text);
  } finally {
    state = undefined;
  }
}

/** Whether a model's text reads what changes from run to run: a run renders it again (see sqlForRun). */
export const readsRunContext = (text: string) => text.includes('prev') || text.includes('run_id');

/** Whether runs render the model again, with their own context: its precompiled template is worth keeping. */
const renderedInRuns = (file: ModelFile, config: Record<string, unknown>) =>
  ['incremental', 'snapshot'].includes(String(config.materialized)) || readsRunContext(file.text);

/** A model to render, with the configuration its folders and YAML give it. */
export interface RenderJob {
  file: ModelFile;
  config: Record<string, unknown>;
}

export type Rendering = Omit<CachedRender, 'hash'>;

/** A rendered model, with its precompiled template when runs render it again; or why it failed. */
export type RenderOutcome = { out: Rendering; spec?: string } | { error: unknown };

/** Renders models in order for `compile`, stopping at the first that fails. */
export function renderJobs(hb: TemplateEnv, jobs: RenderJob[], ctx: RenderContext): RenderOutcome[] {
  hb.prepare(jobs.map((job) => job.file.text));
  const outcomes: RenderOutcome[] = [];
  for (const { file, config } of jobs) {
    try {
      const out = renderModel(hb, file, ctx);
      if (file.text.includes('is_incremental') && !ctx.is_incremental) {
        // refs used only in the incremental branch are dependencies too: render that branch for its refs
        const other = renderModel(hb, file, { ...ctx, is_incremental: true });
        for (const ref of other.refs) if (!out.refs.includes(ref)) out.refs.push(ref);
        for (const src of other.sources) if (!out.sources.includes(src)) out.sources.push(src);
      }
      const spec = renderedInRuns(file, { ...config, ...out.config }) ? hb.made[textHash(file.text)] : undefined;
      outcomes.push(spec ? { out, spec } : { out });
    } catch (error) {
      outcomes.push({ error });
      break;
    }
  }
  return outcomes;
}

/** The precompiled templates of the macros that `hb` compiled: the models kept with theirs call them. */
export function macroSpecs(hb: TemplateEnv, macros: Project['macros']): SpecStore {
  const specs: SpecStore = {};
  for (const macro of macros) {
    const hash = textHash(macro.text);
    if (hb.made[hash]) specs[hash] = hb.made[hash];
  }
  return specs;
}
