import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Node } from '../compile/compile.js';

/** dbt's resource types, as its `unique_id`s begin. */
export type ResourceType = 'model' | 'test' | 'seed' | 'snapshot' | 'source' | 'analysis';

/**
 * The project's name in `unique_id`s: the `name` of its package.json, else its folder's name, as a
 * SQL-ish identifier (dbt's project names are such).
 */
export function projectName(projectDir: string): string {
  let name = basename(projectDir);
  const pkg = join(projectDir, 'package.json');
  if (existsSync(pkg)) {
    try {
      name = String((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name ?? name);
    } catch {
      // an unreadable package.json: the folder's name will do
    }
  }
  return name.replace(/^@[^/]*\//, '').replace(/\W+/g, '_').toLowerCase() || 'project';
}

/** A compiled node's resource type: singular tests are tests, snapshots snapshots, the rest models. */
export function resourceTypeOf(node: Pick<Node, 'config'>): ResourceType {
  const m = node.config.materialized;
  return m === 'test' ? 'test' : m === 'snapshot' ? 'snapshot' : 'model';
}

/** `model.<project>.<name>`, `source.<project>.raw.sales`, … as dbt names them. */
export const uniqueId = (type: ResourceType, project: string, name: string) => `${type}.${project}.${name}`;
