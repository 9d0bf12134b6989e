import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CompiledProject } from '../compile/compile.js';
import { compiledSql, relationOf } from '../compile/compile.js';
import type { Graph } from '../dag/graph.js';
import { targetDir, writeChangedFiles, writeFile } from '../files/write.js';
import { projectName, resourceTypeOf, uniqueId } from '../project/unique-id.js';
import { testNamesOf } from '../project/project.js';

/**
 * The manifest: nodes by name (as the runner and Airflow read them), each with dbt's `unique_id` and
 * `resource_type` besides, so that a dbt user finds what they look for; sources and seeds likewise.
 */
export function manifestOf(compiled: CompiledProject, graph: Graph, projectDir: string) {
  const project = projectName(projectDir);
  const nodes: Record<string, unknown> = {};
  for (const node of compiled.nodes.values()) {
    const type = resourceTypeOf(node);
    nodes[node.name] = {
      unique_id: uniqueId(type, project, node.name),
      resource_type: type,
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
      tests: testNamesOf(node.name, node.tests).map((name, i) => ({ unique_id: uniqueId('test', project, name), name, ...node.tests[i] })),
    };
  }
  const sources: Record<string, unknown> = {};
  const seeds: Record<string, unknown> = {};
  for (const [key, s] of compiled.sources) {
    sources[key] = { unique_id: uniqueId(s.source === 'seeds' ? 'seed' : 'source', project, s.source === 'seeds' ? s.name : key), ...s };
    if (s.source === 'seeds') {
      seeds[s.name] = { unique_id: uniqueId('seed', project, s.name), resource_type: 'seed', name: s.name,
        relation: `${s.schema}.${s.name}`, path: `seeds/${s.name}.csv`, columns: s.columns };
    }
  }
  return { generated_at: new Date().toISOString(), project, order: graph.order, nodes, sources, seeds };
}

/**
 * Writes `target/compiled/<path>.sql` for every node and `target/manifest.json`. A file whose content
 * is already right is left alone.
 */
export async function writeCompiled(projectDir: string, compiled: CompiledProject, graph: Graph) {
  const target = targetDir(projectDir);
  const files = new Map<string, string>();
  for (const node of compiled.nodes.values()) files.set(join(target, 'compiled', node.path), compiledSql(node, compiled) + '\n');
  await writeChangedFiles(files, join(target, 'compiled', '.written.json'));
  writeManifest(projectDir, compiled, graph);
}

/**
 * Writes `target/manifest.json` when what it says changed: its `generated_at` is when its content was
 * last generated. Whether it changed is told by a hash kept beside it, without reading it back.
 */
export function writeManifest(projectDir: string, compiled: CompiledProject, graph: Graph) {
  const { generated_at: generatedAt, ...content } = manifestOf(compiled, graph, projectDir);
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
