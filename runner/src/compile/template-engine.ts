import { parse, templateException } from './hbs.js';

/**
 * Renders Handlebars templates by walking the parsed tree instead of compiling each template to a
 * JavaScript function. Handlebars' compiler spends ~0.2 ms per template generating code (with source
 * maps) that runs once; parsing alone is ~15× cheaper, and a model renders once or twice per command.
 * Semantics follow Handlebars with `noEscape`: helpers and partials come from the environment they are
 * registered in (registerHelper/registerPartial), whitespace control and standalone lines are applied
 * by Handlebars' own parser, and `if`/`unless`/`each`/`with` behave as the built-ins do.
 */

type Node = hbs.AST.Node;
type Expr = hbs.AST.Expression;
type Data = Record<string, unknown> & { root?: unknown; _parent?: Data };
/** Where helpers and partials come from: a TemplateEnv, or a Handlebars environment (tests compare the two). */
type Env = { helpers: Record<string, unknown>; partials: Record<string, unknown> };
type Helper = (this: unknown, ...args: unknown[]) => unknown;

export type Render = (context: unknown, options?: { data?: Data }) => string;

const parsedPartials = new WeakMap<object, Map<string, hbs.AST.Program>>();

/** Parses `text` once; the returned function renders it against the helpers and partials of `env`. */
export function compileTemplate(env: Env, text: string): Render {
  const simple = simpleTemplate(env, text);
  if (simple) return simple;
  const program = parse(text);
  return (context, options) => {
    const data: Data = options?.data ?? { root: context };
    if (!('root' in data)) data.root = context;
    return renderProgram(env, program, context, data, [context]);
  };
}

function partialProgram(env: Env, name: string): hbs.AST.Program | undefined {
  let cache = parsedPartials.get(env);
  if (!cache) parsedPartials.set(env, (cache = new Map()));
  let program = cache.get(name);
  const source = (env.partials as Record<string, unknown>)[name];
  if (!program && typeof source === 'string') {
    program = parse(source);
    cache.set(name, program);
  }
  return program;
}

function renderProgram(env: Env, program: hbs.AST.Program, context: unknown, data: Data, stack: unknown[]): string {
  let out = '';
  for (const statement of program.body) out += renderStatement(env, statement, context, data, stack);
  return out;
}

const isEmpty = (v: unknown) => (!v && v !== 0) || (Array.isArray(v) && v.length === 0);
const text = (v: unknown) => (v === undefined || v === null ? '' : String(v));

function renderStatement(env: Env, node: Node, context: unknown, data: Data, stack: unknown[]): string {
  switch (node.type) {
    case 'ContentStatement':
      return (node as hbs.AST.ContentStatement).value;
    case 'CommentStatement':
      return '';
    case 'MustacheStatement': {
      const m = node as hbs.AST.MustacheStatement;
      return text(call(env, m.path, m.params, m.hash, context, data, stack, m.loc));
    }
    case 'BlockStatement':
      return renderBlock(env, node as hbs.AST.BlockStatement, context, data, stack);
    case 'PartialStatement': {
      const p = node as hbs.AST.PartialStatement;
      const name = p.name.type === 'PathExpression' ? (p.name as hbs.AST.PathExpression).original : String(evaluate(env, p.name, context, data, stack));
      let partialContext = p.params.length ? evaluate(env, p.params[0], context, data, stack) : context;
      if (p.hash) partialContext = { ...(partialContext as object), ...hashOf(env, p.hash, context, data, stack) };
      const compiled = (env.partials as Record<string, unknown>)[name];
      // a partial Handlebars itself compiled earlier is a function by now
      if (typeof compiled === 'function') return text(compiled(partialContext, { data, helpers: env.helpers, partials: env.partials }));
      const program = partialProgram(env, name);
      if (!program) throw templateException(`The partial ${name} could not be found`, p as never);
      return renderProgram(env, program, partialContext, data, [partialContext, ...stack]);
    }
    default:
      throw templateException(`unsupported template construct ${node.type}`, node as never);
  }
}

function hashOf(env: Env, hash: hbs.AST.Hash | undefined, context: unknown, data: Data, stack: unknown[]) {
  const out: Record<string, unknown> = {};
  for (const pair of hash?.pairs ?? []) out[pair.key] = evaluate(env, pair.value, context, data, stack);
  return out;
}

function lookupPath(path: hbs.AST.PathExpression, context: unknown, data: Data, stack: unknown[]): unknown {
  let value: unknown;
  if (path.data) {
    let frame: Data | undefined = data;
    for (let i = 0; i < path.depth; i++) frame = frame?._parent;
    value = frame;
  } else {
    value = path.depth ? stack[path.depth] : context;
  }
  for (const part of path.parts) {
    if (value === undefined || value === null) return undefined;
    value = Object.prototype.hasOwnProperty.call(Object(value), part) || part in Object(value)
      ? (value as Record<string, unknown>)[part] : undefined;
  }
  return value;
}

function evaluate(env: Env, expr: Expr, context: unknown, data: Data, stack: unknown[]): unknown {
  switch (expr.type) {
    case 'StringLiteral':
    case 'NumberLiteral':
    case 'BooleanLiteral':
      return (expr as hbs.AST.StringLiteral).value;
    case 'UndefinedLiteral':
      return undefined;
    case 'NullLiteral':
      return null;
    case 'SubExpression': {
      const s = expr as hbs.AST.SubExpression;
      return call(env, s.path as hbs.AST.PathExpression, s.params, s.hash, context, data, stack, s.loc, true);
    }
    case 'PathExpression':
      // as in Handlebars, a bare name in a parameter is a value, never a helper call
      return lookupPath(expr as hbs.AST.PathExpression, context, data, stack);
    default:
      throw templateException(`unsupported expression ${expr.type}`, expr as never);
  }
}

const simpleName = (path: hbs.AST.PathExpression) => !path.data && path.depth === 0 && path.parts.length === 1 && !/^(this|\.)/.test(path.original);

function optionsFor(name: string, hash: Record<string, unknown>, context: unknown, data: Data, loc: hbs.AST.SourceLocation,
  fn?: (c: unknown, o?: { data?: Data }) => string, inverse?: (c: unknown, o?: { data?: Data }) => string) {
  const noop = () => '';
  return { name, hash, data, loc, fn: fn ?? noop, inverse: inverse ?? noop, lookupProperty: (o: Record<string, unknown>, k: string) => o?.[k] };
}

function call(env: Env, pathExpr: Expr, params: Expr[], hashNode: hbs.AST.Hash | undefined, context: unknown, data: Data,
  stack: unknown[], loc: hbs.AST.SourceLocation, subexpression = false): unknown {
  const path = pathExpr as hbs.AST.PathExpression;
  if (path.type !== 'PathExpression') return evaluate(env, pathExpr, context, data, stack);
  const helpers = env.helpers as Record<string, Helper>;
  const helper = simpleName(path) ? helpers[path.original] : undefined;
  const hasArgs = params.length > 0 || Boolean(hashNode);
  if (helper) {
    const args = params.map((p) => evaluate(env, p, context, data, stack));
    return helper.call(context, ...args, optionsFor(path.original, hashOf(env, hashNode, context, data, stack), context, data, loc));
  }
  if (!hasArgs) {
    const value = lookupPath(path, context, data, stack);
    if (typeof value === 'function') return (value as Helper).call(context, optionsFor(path.original, {}, context, data, loc));
    if (value !== undefined || !simpleName(path) || subexpression) return value;
  }
  return helpers.helperMissing.call(context, ...params.map((p) => evaluate(env, p, context, data, stack)),
    optionsFor(path.original, hashOf(env, hashNode, context, data, stack), context, data, loc));
}

function renderBlock(env: Env, block: hbs.AST.BlockStatement, context: unknown, data: Data, stack: unknown[]): string {
  const path = block.path as hbs.AST.PathExpression;
  const name = path.original;
  const fn = (c: unknown, o?: { data?: Data }) => renderProgram(env, block.program, c, o?.data ?? data, c === context ? stack : [c, ...stack]);
  const inverse = (c: unknown, o?: { data?: Data }) =>
    block.inverse ? renderProgram(env, block.inverse, c, o?.data ?? data, c === context ? stack : [c, ...stack]) : '';
  const args = block.params.map((p) => evaluate(env, p, context, data, stack));
  const hash = hashOf(env, block.hash, context, data, stack);
  switch (simpleName(path) ? name : '') {
    case 'if':
      return isEmpty(args[0]) && !(hash.includeZero && args[0] === 0) ? inverse(context) : fn(context);
    case 'unless':
      return isEmpty(args[0]) ? fn(context) : inverse(context);
    case 'with':
      return isEmpty(args[0]) ? inverse(context) : fn(args[0]);
    case 'each': {
      const list = args[0];
      if (isEmpty(list) || typeof list !== 'object') return inverse(context);
      const entries = Array.isArray(list) ? list.map((v, i) => [i, v] as const) : Object.entries(list as object);
      let out = '';
      entries.forEach(([key, value], i) => {
        const frame: Data = { ...data, _parent: data, index: i, key, first: i === 0, last: i === entries.length - 1 };
        out += fn(value, { data: frame });
      });
      return out;
    }
  }
  const helper = simpleName(path) ? (env.helpers as Record<string, Helper>)[name] : undefined;
  if (helper) return text(helper.call(context, ...args, optionsFor(name, hash, context, data, block.loc, fn, inverse)));
  // a section over a value, as Handlebars' blockHelperMissing does
  const value = lookupPath(path, context, data, stack);
  if (value === undefined && simpleName(path)) {
    return text((env.helpers as Record<string, Helper>).helperMissing.call(context, optionsFor(name, hash, context, data, block.loc)));
  }
  if (value === true) return fn(context);
  if (isEmpty(value)) return inverse(context);
  if (Array.isArray(value)) return value.map((v, i) => fn(v, { data: { ...data, _parent: data, index: i, first: i === 0, last: i === value.length - 1 } })).join('');
  return fn(value);
}

type Piece = string | { helper: string; args: unknown[]; hash: Record<string, unknown>; line: number };

const literal = /^(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|(-?\d+(?:\.\d+)?)|(true|false))/;

/**
 * Most models use nothing but `{{ref "x"}}`, `{{source "a" "b"}}`, `{{config k="v"}}`, `{{this}}` and
 * comments. Those are rendered from a split of the text, without Handlebars' parser; anything else
 * (blocks, partials, paths, whitespace control, escapes) returns undefined and takes the full path.
 * A comment alone on its line takes the line with it, as Handlebars' standalone rule does.
 */
function simpleTemplate(env: Env, text: string): Render | undefined {
  if (text.includes('\\{{') || text.includes('{{{') || text.includes('{{~') || text.includes('~}}')) return undefined;
  const pieces: Piece[] = [];
  let at = 0;
  let line = 1;
  for (;;) {
    const open = text.indexOf('{{', at);
    if (open < 0) break;
    const isComment = text.startsWith('{{!', open);
    const long = text.startsWith('{{!--', open);
    const close = long ? text.indexOf('--}}', open + 5) : text.indexOf('}}', open + 2);
    if (close < 0) return undefined;
    const end = close + (long ? 4 : 2);
    let before = text.slice(at, open);
    if (isComment) {
      // standalone: only white space between the previous line break (or start) and the next one (or end)
      const lineStart = before.lastIndexOf('\n') + 1;
      const after = text.indexOf('\n', end);
      const tail = text.slice(end, after < 0 ? text.length : after);
      if (/^[ \t]*$/.test(before.slice(lineStart)) && /^[ \t\r]*$/.test(tail)) {
        before = before.slice(0, lineStart);
        pieces.push(before);
        line += countLines(text.slice(at, after < 0 ? text.length : after + 1));
        at = after < 0 ? text.length : after + 1;
        continue;
      }
      pieces.push(before);
      line += countLines(text.slice(at, end));
      at = end;
      continue;
    }
    pieces.push(before);
    line += countLines(before);
    const call = parseCall(text.slice(open + 2, close).trim());
    if (!call) return undefined;
    pieces.push({ ...call, line });
    line += countLines(text.slice(open, end));
    at = end;
  }
  pieces.push(text.slice(at));
  const helpers = env.helpers as Record<string, Helper>;
  return (context, options) => {
    const data: Data = options?.data ?? { root: context };
    if (!('root' in data)) data.root = context;
    let out = '';
    for (const piece of pieces) {
      if (typeof piece === 'string') {
        out += piece;
        continue;
      }
      const loc = { start: { line: piece.line, column: 0 }, end: { line: piece.line, column: 0 }, source: '' } as hbs.AST.SourceLocation;
      if (piece.helper === 'this' && !piece.args.length) {
        out += text_(context);
        continue;
      }
      const helper = helpers[piece.helper] ?? helpers.helperMissing;
      const value = helper.call(context, ...piece.args, optionsFor(piece.helper, piece.hash, context, data, loc));
      out += text_(value);
    }
    return out;
  };
}

const text_ = (v: unknown) => (v === undefined || v === null ? '' : String(v));
const countLines = (s: string) => {
  let n = 0;
  for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) n++;
  return n;
};

function parseCall(body: string): { helper: string; args: unknown[]; hash: Record<string, unknown> } | undefined {
  const name = /^[A-Za-z_][\w-]*/.exec(body);
  if (!name) return undefined;
  const helper = name[0];
  if (!['ref', 'source', 'config', 'this'].includes(helper)) return undefined;
  let rest = body.slice(helper.length);
  const args: unknown[] = [];
  const hash: Record<string, unknown> = {};
  while ((rest = rest.replace(/^\s+/, ''))) {
    const key = /^([A-Za-z_][\w-]*)=/.exec(rest);
    if (key) rest = rest.slice(key[0].length);
    const m = literal.exec(rest);
    if (!m) return undefined;
    const value = m[1] !== undefined ? m[1].replace(/\\"/g, '"') : m[2] !== undefined ? m[2].replace(/\\'/g, "'") : m[3] !== undefined ? Number(m[3]) : m[4] === 'true';
    if (key) hash[key[1]] = value;
    else if (Object.keys(hash).length) return undefined; // positional after hash: let Handlebars report it
    else args.push(value);
    rest = rest.slice(m[0].length);
    if (rest && !/^\s/.test(rest)) return undefined;
  }
  return { helper, args, hash };
}

