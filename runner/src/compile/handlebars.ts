/**
 * Handlebars, through its public API only. A template is precompiled (`Handlebars.precompile`) and
 * loaded with `template()`, so that a precompiled spec kept from earlier (the runner's own templates,
 * built with the package; incremental models, in the render cache) needs only `handlebars/runtime`.
 * The compiler, about three times as slow to load, is loaded when a template must be compiled from text.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type HandlebarsApi from 'handlebars';

type Handlebars = typeof HandlebarsApi;
export type Template = HandlebarsTemplateDelegate;
export type HelperOptions = HandlebarsApi.HelperOptions & { name: string; loc?: { start: { line: number } } };
export type Helper = (this: unknown, ...args: unknown[]) => unknown;

/** The JavaScript `Handlebars.precompile` gives for a template, by the sha256 of the template's text. */
export type SpecStore = Record<string, string>;

const require = createRequire(import.meta.url);
let compiler: Handlebars | undefined;
let runtime: Handlebars | undefined;
const loadCompiler = () => (compiler ??= require('handlebars') as Handlebars);
// the compiler's package holds the runtime: once it is loaded the runtime costs nothing more
const loadRuntime = () => (runtime ??= compiler ?? (require('handlebars/runtime') as Handlebars));

/** The helpers Handlebars itself provides (its guide's "Built-in Helpers"). */
export const builtInHelpers = ['if', 'unless', 'each', 'with', 'lookup', 'log'];
const hooks = ['helperMissing', 'blockHelperMissing'];

export const textHash = (text: string) => createHash('sha256').update(text).digest('hex');

/** Handlebars' version, which decides what a spec holds. */
export const handlebarsVersion = (): string => (require('handlebars/package.json') as { version: string }).version;

/**
 * A Handlebars environment (`Handlebars.create()`) with its helpers and partials. It is created when the
 * first template is needed: a command that renders nothing loads no Handlebars at all.
 */
export class TemplateEnv {
  private env?: Handlebars;
  private readonly helpers: Record<string, Helper> = {};
  private readonly partials: Record<string, Template> = {};
  private readonly templates = new Map<string, Template>();
  /** Specs this environment precompiled, by text hash: for a store that keeps them. */
  readonly made: SpecStore = {};

  /** `specs`: precompiled specs to use where a template's text matches. */
  constructor(private readonly specs: SpecStore = {}) {}

  /**
   * `Handlebars.precompile(text)`: SQL, never HTML, so nothing is escaped; helpers registered by now are
   * known helpers, called directly (the optimisation Handlebars documents for precompiled templates).
   */
  precompile(text: string): string {
    const knownHelpers = Object.fromEntries(this.ownHelpers().map((name) => [name, true]));
    return loadCompiler().precompile(text, { noEscape: true, knownHelpers }) as unknown as string;
  }

  /** The helpers registered here, not Handlebars' own. */
  ownHelpers(): string[] {
    return Object.keys(this.helpers).filter((n) => !hooks.includes(n));
  }

  registerHelper(name: string | Record<string, Helper>, fn?: Helper): void {
    const added = typeof name === 'string' ? { [name]: fn! } : name;
    Object.assign(this.helpers, added);
    this.env?.registerHelper(added as HandlebarsApi.HelperDeclareSpec);
  }

  hasHelper(name: string): boolean {
    return Object.hasOwn(this.helpers, name) || builtInHelpers.includes(name) || hooks.includes(name);
  }

  /** Every helper a template can call, Handlebars' own included. */
  helperNames(): string[] {
    return [...new Set([...this.ownHelpers(), ...builtInHelpers])];
  }

  /** Registers partial `name`: a template function, as `template` or `lazy` give. */
  registerPartial(name: string, partial: Template): void {
    this.partials[name] = partial;
    this.env?.registerPartial(name, partial);
  }

  /**
   * The template of `text`, compiled when first rendered; `failed` turns an error compiling it into
   * one that names its file.
   */
  lazy(text: string, failed: (e: unknown) => Error): Template {
    let template: Template | undefined;
    return (context, options) => {
      if (!template) {
        try {
          template = this.template(text);
        } catch (e) {
          throw failed(e);
        }
      }
      return template(context, options);
    };
  }

  /** The template of `text`: from a precompiled spec when there is one, otherwise precompiled now. */
  template(text: string): Template {
    const hash = textHash(text);
    const template = this.templates.get(hash);
    if (template) return template;
    this.load([[hash, this.specs[hash] ?? (this.made[hash] = this.precompile(text))]]);
    return this.templates.get(hash)!;
  }

  /**
   * Compiles the templates of `texts` before they are rendered, their specs evaluated together: V8
   * compiles one function holding many specs much sooner than as many functions. A text that does not
   * compile is left for `template` to report.
   */
  prepare(texts: string[]): void {
    const specs = new Map<string, string>();
    for (const text of texts) {
      const hash = textHash(text);
      if (this.templates.has(hash) || specs.has(hash)) continue;
      try {
        specs.set(hash, this.specs[hash] ?? (this.made[hash] = this.precompile(text)));
      } catch {
        // reported when rendered
      }
    }
    if (specs.size) this.load([...specs]);
  }

  private load(specs: [hash: string, spec: string][]): void {
    const loaded = new Function(`return [${specs.map(([, spec]) => spec).join(',\n')}];`)() as TemplateSpecification[];
    specs.forEach(([hash], i) => this.templates.set(hash, this.handlebars().template(loaded[i])));
  }

  private handlebars(): Handlebars {
    if (!this.env) {
      this.env = loadRuntime().create();
      this.env.registerHelper(this.helpers as HandlebarsApi.HelperDeclareSpec);
      this.env.registerPartial(this.partials);
    }
    return this.env;
  }
}
