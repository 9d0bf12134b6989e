/**
 * The part of Handlebars the runner uses: its parser (with whitespace control) and its exception, plus a
 * registry of helpers and partials. The template engine (template-engine.ts) renders parse trees
 * itself, so the full package, which loads a compiler to JavaScript and a runtime, is not needed: loading
 * only the parser takes ~20 ms instead of ~60 ms of every command's start.
 */
import { createRequire } from 'node:module';
import type { HelperOptions as HandlebarsHelperOptions } from 'handlebars';

const require = createRequire(import.meta.url);
// loaded on first use: a command whose templates all render without the parser (simple models, or
// renderings taken from the render cache) never loads it
let base: { parse(text: string): hbs.AST.Program } | undefined;

export type HelperOptions = HandlebarsHelperOptions;
export type Helper = (this: unknown, ...args: unknown[]) => unknown;

/** Parses a template as Handlebars does (standalone lines and `~` whitespace control applied). */
export const parse = (text: string): hbs.AST.Program =>
  (base ??= require('handlebars/dist/cjs/handlebars/compiler/base.js') as { parse(text: string): hbs.AST.Program }).parse(text);

type ExceptionClass = new (message: string, node?: unknown) => Error;
let exception: ExceptionClass | undefined;

/** Handlebars' own error, which carries the line and column of the offending node. */
export function templateException(message: string, node?: unknown): Error {
  exception ??= require('handlebars/dist/cjs/handlebars/exception.js') as ExceptionClass;
  return new exception(message, node);
}

/** Helpers and partials by name, registered as on a Handlebars environment. */
export class TemplateEnv {
  readonly helpers: Record<string, Helper> = {};
  readonly partials: Record<string, unknown> = {};

  registerHelper(name: string | Record<string, Helper>, fn?: Helper): void {
    if (typeof name === 'string') this.helpers[name] = fn!;
    else Object.assign(this.helpers, name);
  }

  registerPartial(name: string, text: string): void {
    this.partials[name] = text;
  }
}
