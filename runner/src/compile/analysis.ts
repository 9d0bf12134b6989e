import { didYouMean, projectError } from '../errors.js';
import { compileContext, renderModel, resolveSql, type CompiledProject, type Node } from './compile.js';
import type { Project } from '../project/project.js';

/**
 * An analysis (`analyses/<name>.sql`, as in dbt): a query that reads the models through refs and
 * sources, compiled with the project's macros but never built. Returns its SQL, refs resolved.
 */
export function compileAnalysis(project: Project, compiled: CompiledProject, name: string): string {
  const file = project.analyses.find((a) => a.name === name);
  if (!file) {
    throw projectError(`no analysis named "${name}" in analyses/${didYouMean(name, project.analyses.map((a) => a.name))}`);
  }
  const out = renderModel(compiled.hb, file, { ...compileContext, vars: compiled.vars });
  for (const ref of out.refs) {
    if (!compiled.nodes.has(ref)) {
      throw projectError(`analysis "${name}" (${file.path}) refers to unknown model "${ref}"${didYouMean(ref, compiled.nodes.keys())}`);
    }
  }
  const self = { name, path: file.path, config: { materialized: 'view', schema: 'analytics', tags: [], enabled: true }, file } as unknown as Node;
  return resolveSql(out.rendered, self, compiled.nodes, compiled.sources).trim();
}
