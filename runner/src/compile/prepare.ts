import { compileContext, compileProject } from './compile.js';
import { loadRenderCache, saveRenderCache } from './render-cache.js';
import { buildGraph } from '../dag/graph.js';
import { planNodes } from '../dag/select.js';
import { loadProject } from '../project/project.js';
import type { Logger } from '../log.js';

/** Compiles and plans without touching a database: failures here are the user's (exit 2). */
export function prepare(projectDir: string, logger: Logger, vars: Record<string, unknown> = {}) {
  const project = loadProject(projectDir);
  Object.assign(project.vars, vars);
  const cache = loadRenderCache(project);
  const compiled = compileProject(project, { ...compileContext, vars: project.vars }, cache);
  saveRenderCache(project, cache);
  for (const w of compiled.warnings) logger.warn(w);
  const graph = buildGraph(compiled.nodes);
  return { project, compiled, graph };
}

/**
 * The nodes a command runs, in DAG order: `select` (for `snapshot`, every snapshot and what it reads by
 * default) minus `exclude`; `ingest` runs none.
 */
export function planRun(prepared: ReturnType<typeof prepare>, command: string, select?: string, exclude?: string): string[] {
  if (command === 'ingest') return [];
  const selection = command === 'snapshot' ? select ?? '+materialized:snapshot' : select;
  return planNodes(prepared.compiled.nodes, prepared.graph, selection, exclude);
}
