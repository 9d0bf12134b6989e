import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { CompiledProject, Node } from './compile.js';
import { relationOf, resolveSql } from './compile.js';
import type { Graph } from './graph.js';
import { redact } from './errors.js';

export const targetDir = (projectDir: string) => join(projectDir, 'target');

export function writeFile(path: string, text: string) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
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
 * is already right is left alone: rewriting thousands of unchanged files costs more than reading them.
 */
export function writeCompiled(projectDir: string, compiled: CompiledProject, graph: Graph) {
  const target = targetDir(projectDir);
  const files = new Map<string, string>();
  for (const node of compiled.nodes.values()) files.set(join(target, 'compiled', node.path), compiledSql(node, compiled) + '\n');
  writeChangedFiles(files);
  writeManifest(projectDir, compiled, graph);
}

export function writeManifest(projectDir: string, compiled: CompiledProject, graph: Graph) {
  writeFile(join(targetDir(projectDir), 'manifest.json'), JSON.stringify(manifestOf(compiled, graph), null, 2));
}

/** Writes each file whose content differs from what is on disk (each folder made once). */
export function writeChangedFiles(files: Map<string, string>) {
  const made = new Set<string>();
  for (const [path, text] of files) {
    const dir = dirname(path);
    if (!made.has(dir)) {
      mkdirSync(dir, { recursive: true });
      made.add(dir);
    }
    let current: string | undefined;
    try {
      current = readFileSync(path, 'utf8');
    } catch {
      current = undefined;
    }
    if (current !== text) writeFileSync(path, text);
  }
}

export function compiledSql(node: Node, compiled: CompiledProject): string {
  return resolveSql(node.rendered, node, compiled.nodes, compiled.sources).trim();
}

export function writeRunResults(projectDir: string, results: unknown) {
  writeFile(join(targetDir(projectDir), 'run_results.json'), redact(JSON.stringify(results, null, 2)));
}
