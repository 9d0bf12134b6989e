import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';
import type { CompiledProject, Node } from './compile.js';
import { relationOf, resolveSql } from './compile.js';
import type { Graph } from './graph.js';
import { redact } from './errors.js';

export const targetDir = (projectDir: string) => join(projectDir, 'target');

export function writeFile(path: string, text: string) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

/** Writes `path` whole or not at all (a temporary file renamed): a reader never sees half of it. */
export function writeFileWhole(path: string, text: string) {
  const partial = `${path}.${process.pid}.tmp`;
  writeFile(partial, text);
  renameSync(partial, path);
}

export function manifestOf(compiled: CompiledProject, graph: Graph) {
  const nodes: Record<string, unknown> = {};
  for (const node of compiled.nodes.values()) {
    nodes[node.name] = {
      name: node.name,
      path: node.path,
      relation: node.config.materialized === 'ephemeral' || node.config.materialized === 'test' ? null : relationOf(node),
      materialized: node.config.materialized,
      config: node.config,
      depends_on: { nodes: graph.parents.get(node.name) ?? [], sources: node.sources },
      children: graph.children.get(node.name) ?? [],
      checksum: node.checksum,
      compiled_path: `target/compiled/${node.path}`,
      description: node.description ?? null,
      columns: node.columns,
      tests: node.tests,
    };
  }
  const sources: Record<string, unknown> = {};
  for (const [key, s] of compiled.sources) sources[key] = s;
  return { generated_at: new Date().toISOString(), order: graph.order, nodes, sources };
}

/**
 * Writes `target/compiled/<path>.sql` for every node and `target/manifest.json`. A file whose content
 * is already right is left alone.
 */
export function writeCompiled(projectDir: string, compiled: CompiledProject, graph: Graph) {
  const target = targetDir(projectDir);
  const files = new Map<string, string>();
  for (const node of compiled.nodes.values()) files.set(join(target, 'compiled', node.path), compiledSql(node, compiled) + '\n');
  writeChangedFiles(files, join(target, 'compiled', '.written.json'));
  writeManifest(projectDir, compiled, graph);
}

/**
 * Writes `target/manifest.json` when what it says changed: its `generated_at` is when its content was
 * last generated. Whether it changed is told by a hash kept beside it, without reading it back.
 */
export function writeManifest(projectDir: string, compiled: CompiledProject, graph: Graph) {
  const { generated_at: generatedAt, ...content } = manifestOf(compiled, graph);
  const body = JSON.stringify(content);
  const path = join(targetDir(projectDir), 'manifest.json');
  const hashPath = join(targetDir(projectDir), '.manifest.sha1');
  const hash = createHash('sha1').update(body).digest('hex');
  try {
    if (readFileSync(hashPath, 'utf8') === hash && existsSync(path)) return;
  } catch {
    // no hash yet: write it
  }
  writeFile(path, `{"generated_at":${JSON.stringify(generatedAt)},${body.slice(1)}`);
  writeFileSync(hashPath, hash);
}

/**
 * Writes each file whose content differs from what the last write left (each folder made once). What was
 * written is remembered in `index` (a hash per file, relative to the index's folder), so that a run over
 * thousands of unchanged files reads one file instead of each of them; a file missing since is written.
 */
export function writeChangedFiles(files: Map<string, string>, index: string) {
  const base = dirname(index);
  let known: Record<string, string> = {};
  try {
    known = JSON.parse(readFileSync(index, 'utf8')) as Record<string, string>;
  } catch {
    known = {};
  }
  // what each folder holds, listed once (a file deleted since it was written is written again)
  const listed = new Map<string, Set<string>>();
  const present = (path: string) => {
    const dir = dirname(path);
    let names = listed.get(dir);
    if (!names) {
      try {
        names = new Set(readdirSync(dir));
      } catch {
        mkdirSync(dir, { recursive: true });
        names = new Set();
      }
      listed.set(dir, names);
    }
    return names.has(basename(path));
  };
  let changed = false;
  for (const [path, text] of files) {
    const key = path.startsWith(base + sep) ? path.slice(base.length + 1) : relative(base, path);
    const hash = createHash('sha1').update(text).digest('base64');
    if (present(path) && known[key] === hash) continue;
    writeFileSync(path, text);
    known[key] = hash;
    changed = true;
  }
  if (changed) writeFile(index, JSON.stringify(known));
}

export function compiledSql(node: Node, compiled: CompiledProject): string {
  return resolveSql(node.rendered, node, compiled.nodes, compiled.sources).trim();
}

/** Written whole: Airflow (or a second command) may read it while a run writes it. */
export function writeRunResults(projectDir: string, results: unknown) {
  writeFileWhole(join(targetDir(projectDir), 'run_results.json'), redact(JSON.stringify(results, null, 2)));
}
