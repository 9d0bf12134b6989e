import { templateError } from '../errors.js';

const lineAt = (text: string, index: number) => text.slice(0, index).split('\n').length;

/**
 * The block that Handlebars' parser stumbled over, told in the model's terms: it reports an unclosed
 * `{{#if}}` at the end of the file ("got 'EOF'"), a wrong closing tag as "if doesn't match each" and
 * one closing tag too many as "Expecting 'EOF', got 'OPEN_ENDBLOCK'".
 */
export function unbalancedBlock(text: string): { line: number; message: string } | undefined {
  const open: { name: string; line: number }[] = [];
  // comments first (they may hold anything), then block openings {{#x}} / {{^x}} and closings {{/x}}
  const tags = /\{\{!--[\s\S]*?--~?\}\}|\{\{![\s\S]*?\}\}|\{\{~?\s*([#^/])\s*>?\s*([^\s}~]+)/g;
  for (let m = tags.exec(text); m; m = tags.exec(text)) {
    if (!m[1]) continue;
    const name = m[2];
    if (m[1] !== '/') {
      open.push({ name, line: lineAt(text, m.index) });
      continue;
    }
    const top = open.pop();
    if (!top) return { line: lineAt(text, m.index), message: `{{/${name}}} closes a block that was never opened` };
    if (top.name !== name) {
      return { line: lineAt(text, m.index), message: `{{/${name}}} closes {{#${top.name}}} of line ${top.line}; close it with {{/${top.name}}}` };
    }
  }
  const top = open.pop();
  return top ? { line: top.line, message: `{{#${top.name}}} is never closed; add {{/${top.name}}} where the block ends` } : undefined;
}

/** The line of the first call of partial `name` (Handlebars' runtime does not say where it was called). */
function partialCallLine(text: string, name: string): number | undefined {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const m = new RegExp(`\\{\\{~?#?>\\s*${escaped}[\\s}~]`).exec(text);
  return m ? lineAt(text, m.index) : undefined;
}

/** A Handlebars error while compiling or rendering `text` (the file at `path`), as the user's error with file:line. */
export function asTemplateError(e: unknown, path: string, text: string): Error {
  if (e instanceof Error && e.name === 'UserError') return e;
  const message = (e as Error).message ?? String(e);
  const block = /got '(EOF|OPEN_ENDBLOCK)'|doesn't match/.test(message) ? unbalancedBlock(text) : undefined;
  if (block) {
    return templateError(`template error in ${path}:${block.line}: ${block.message}\n(Handlebars: ${message.trim().split('\n').pop()})` +
      `\nfix the Handlebars syntax in that file`);
  }
  const partial = /^The partial (.+) could not be found/.exec(message)?.[1];
  const line = /on line (\d+)/.exec(message)?.[1] ?? (e as { lineNumber?: number }).lineNumber ??
    (partial ? partialCallLine(text, partial) : undefined);
  return templateError(`template error in ${path}${line ? `:${line}` : ''}: ${message.split('\n')[0]}` +
    `${message.includes('\n') ? '\n' + message.split('\n').slice(1).join('\n') : ''}\nfix the Handlebars syntax in that file`);
}
