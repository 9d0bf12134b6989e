import { templateError } from '../errors.js';

/**
 * dbt's Jinja in a model, told in Handlebars: `{{ ref("x") }}` would stop Handlebars' parser with a
 * dump of its grammar, and `{% if … %}` or `{# … #}` would pass into the SQL without a word.
 */

const quote = (s: string) => `"${s.replace(/^(['"])(.*)\1$/s, '$2').replace(/"/g, '\\"')}"`;

/** Splits `a, 'b,c', k=[1, 2]` at the commas outside quotes and brackets. */
function splitArgs(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let inQuote = '';
  let current = '';
  for (const ch of text) {
    if (inQuote) inQuote = ch === inQuote ? '' : inQuote;
    else if (ch === '"' || ch === "'") inQuote = ch;
    else if ('([{'.includes(ch)) depth++;
    else if (')]}'.includes(ch)) depth--;
    else if (ch === ',' && depth === 0) {
      out.push(current.trim());
      current = '';
      continue;
    }
    current += ch;
  }
  if (current.trim()) out.push(current.trim());
  return out;
}

/** One Jinja argument as Handlebars writes it: strings in double quotes, a list as one comma-separated string. */
function argument(arg: string): string {
  const kv = /^([A-Za-z_]\w*)\s*=\s*([\s\S]+)$/.exec(arg);
  if (kv) return `${kv[1]}=${argument(kv[2])}`;
  if (/^\[[\s\S]*\]$/.test(arg)) return quote(splitArgs(arg.slice(1, -1)).map((a) => a.replace(/^(['"])(.*)\1$/s, '$2')).join(','));
  if (/^(['"])[\s\S]*\1$/.test(arg)) return quote(arg);
  if (/^(True|False)$/.test(arg)) return arg.toLowerCase();
  return arg.replace(/\(\)$/, '');
}

/** A call `name(args)` as a Handlebars mustache. */
const call = (name: string, args: string) => `{{${[name, ...splitArgs(args).map(argument)].join(' ')}}}`;

/** The Handlebars form of one Jinja statement `{% … %}` (its inside). */
function statementForm(inside: string): string {
  const s = inside.replace(/^-|-$/g, '').trim();
  const m = /^(\w+)\s*([\s\S]*)$/.exec(s);
  const [word, rest] = m ? [m[1], m[2].trim()] : ['', s];
  const condition = (c: string) => {
    const fn = /^([A-Za-z_]\w*)\s*\(([\s\S]*)\)$/.exec(c);
    return fn ? [fn[1], ...splitArgs(fn[2]).map(argument)].join(' ') : c;
  };
  switch (word) {
    case 'if': return `{{#if ${condition(rest)}}}`;
    case 'elif': return `{{else if ${condition(rest)}}}`;
    case 'else': return '{{else}}';
    case 'endif': return '{{/if}}';
    case 'for': {
      const each = /^(\w+)\s+in\s+([\s\S]+)$/.exec(rest);
      return each ? `{{#each ${each[2]}}} … {{this}} … {{/each}}` : '{{#each list}} … {{/each}}';
    }
    case 'endfor': return '{{/each}}';
    case 'macro': return `a file macros/${/^(\w+)/.exec(rest)?.[1] ?? '<name>'}.sql (one macro per file)`;
    case 'endmacro': return 'nothing (a macro is its whole file)';
    default: return 'a helper call {{name arg key=value}} or a block {{#if …}} … {{/if}}';
  }
}

const lineAt = (text: string, index: number) => text.slice(0, index).split('\n').length;

/**
 * The Jinja in `text` (the file at `path`) as a template error (exit 2) with each place and its Handlebars
 * form; undefined when there is none. Handlebars comments may hold anything and are skipped.
 */
export function jinjaError(text: string, path: string): Error | undefined {
  if (!text.includes('{%') && !text.includes('{#') && !/\{\{-?\s*[A-Za-z_][\w.]*\(/.test(text)) return undefined;
  // comments blanked to the same length: the places found stay where they are
  const plain = text.replace(/\{\{!--[\s\S]*?--~?\}\}|\{\{![\s\S]*?\}\}/g, (c) => c.replace(/[^\n]/g, ' '));
  const found: { at: number; jinja: string; form: string }[] = [];
  const patterns: [RegExp, (m: RegExpExecArray) => string][] = [
    [/\{#([\s\S]*?)#\}/g, (m) => `{{!-- ${m[1].trim()} --}}`],
    [/\{%([\s\S]*?)%\}/g, (m) => statementForm(m[1])],
    // a name and its parenthesis together: `{{quote (var "x")}}` is a Handlebars subexpression
    [/\{\{-?\s*([A-Za-z_][\w.]*)\(([\s\S]*?)\)\s*-?\}\}/g, (m) => call(m[1], m[2])],
  ];
  for (const [pattern, form] of patterns) {
    for (let m = pattern.exec(plain); m; m = pattern.exec(plain)) found.push({ at: m.index, jinja: m[0], form: form(m) });
  }
  if (!found.length) return undefined;
  found.sort((a, b) => a.at - b.at);
  const lines = found.slice(0, 10).map((f) =>
    `template error in ${path}:${lineAt(text, f.at)}: ${f.jinja.length > 80 ? f.jinja.slice(0, 77) + '...' : f.jinja} is Jinja (dbt's syntax); write ${f.form}`);
  return templateError(`${lines.join('\n')}\nmodels and macros here are Handlebars templates: {{ref "model"}}, {{source "raw" "sales"}}, ` +
    '{{config materialized="table"}}, {{#if is_incremental}} … {{/if}}, {{var "name"}}, {{!-- comment --}}');
}
