import { createRequire } from 'node:module';

/** A place in a YAML file, 1-based as editors count. */
export interface Position {
  line: number;
  column: number;
}

/** A key of a mapping or an index of a sequence, from the document's root down. */
export type YamlPath = (string | number)[];

interface Place extends Position {
  /** The places of a mapping's keys, or of a sequence's items. */
  inside: Map<string | number, Position>;
}

interface Frame extends Position {
  /** Nodes closed directly inside this one: their value, place, and whether a `:` follows (a key). */
  children: { result: unknown; at: Position; key: boolean }[];
}

type Listener = (event: 'open' | 'close', state: {
  depth: number; position: number; line: number; lineStart: number; kind: string | null; result: unknown;
}) => void;

const require = createRequire(import.meta.url);

/**
 * Where each mapping and sequence of a YAML text sits, with its keys and items, from js-yaml's listener
 * (it reports every node as it opens and closes). Read only when a mistake is reported: the cached
 * documents carry no places, so the file is parsed again then.
 */
function places(text: string): { root: unknown; of: Map<object, Place> } {
  const of = new Map<object, Place>();
  const stack: Frame[] = [];
  const listener: Listener = (event, s) => {
    if (event === 'open') {
      stack.push({ line: s.line + 1, column: s.position - s.lineStart + 1, children: [] });
      return;
    }
    const frame = stack.pop()!;
    const at = { line: frame.line, column: frame.column };
    // a key is a scalar followed by ":"; a value never is
    const key = s.kind === 'scalar' && /^[ \t]*:/.test(text.slice(s.position, s.position + 64));
    stack[stack.length - 1]?.children.push({ result: s.result, at, key });
    if (s.result === null || typeof s.result !== 'object' || of.has(s.result)) return;
    const inside = new Map<string | number, Position>();
    if (Array.isArray(s.result)) {
      // an empty item has no node of its own: items and nodes are matched by value
      let next = 0;
      s.result.forEach((item, i) => {
        const child = frame.children.slice(next).findIndex((c) => c.result === item);
        if (child < 0) return;
        inside.set(i, frame.children[next + child].at);
        next += child + 1;
      });
    } else {
      for (const c of frame.children) if (c.key && !inside.has(String(c.result))) inside.set(String(c.result), c.at);
    }
    of.set(s.result, { ...at, inside });
  };
  const load = (require('js-yaml') as { load: (t: string, o: { listener: Listener }) => unknown }).load;
  return { root: load(text, { listener }), of };
}

/**
 * The place of what `path` leads to in `text`: the key or item itself when it is there, otherwise the
 * nearest mapping or sequence on the way that is. Undefined when the text does not parse.
 */
export function locate(text: string, path: YamlPath): Position | undefined {
  let parsed: ReturnType<typeof places>;
  try {
    parsed = places(text);
  } catch {
    return undefined;
  }
  let node = parsed.root;
  let best: Position | undefined;
  for (const step of path) {
    if (node === null || typeof node !== 'object') break;
    const place = parsed.of.get(node);
    if (place) best = place.inside.get(step) ?? place;
    node = (node as Record<string | number, unknown>)[step];
  }
  return best && { line: best.line, column: best.column };
}
