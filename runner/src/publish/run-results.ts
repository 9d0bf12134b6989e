import { join } from 'node:path';
import type { Node } from '../compile/compile.js';
import { redact } from '../errors.js';
import { targetDir, writeFileWhole } from '../files/write.js';
import type { NodeResult, RunSummary } from '../run/context.js';
import { projectName, resourceTypeOf, uniqueId } from '../project/unique-id.js';

/**
 * Writes `target/run_results.json`, whole: Airflow (or a second command) may read it while a run writes
 * it. Each result keeps its shape and gets dbt's names beside it: `unique_id` (for nodes and tests) and
 * `execution_time` (seconds, beside `ms`).
 */
export function writeRunResults(projectDir: string, summary: RunSummary, nodes?: Map<string, Node>) {
  const project = projectName(projectDir);
  const results = summary.results.map((r) => ({ ...withUniqueId(r, project, nodes), execution_time: r.ms / 1000 }));
  writeFileWhole(join(targetDir(projectDir), 'run_results.json'), redact(JSON.stringify({ ...summary, results }, null, 2)));
}

function withUniqueId(r: NodeResult, project: string, nodes?: Map<string, Node>): NodeResult & { unique_id?: string } {
  if (r.unique_id) return r;
  const node = nodes?.get(r.node);
  if (r.kind === 'test') return { unique_id: uniqueId('test', project, r.node), ...r };
  if (r.kind === 'unit_test') return { unique_id: `unit_test.${project}.${r.node}`, ...r };
  if (r.kind === 'model' && node) return { unique_id: uniqueId(resourceTypeOf(node), project, r.node), ...r };
  return r;
}
