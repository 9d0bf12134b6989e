/** A project built through the runner's API (`runPipeline`), as `build-models` builds it, on a test database. */
import { collectingLogger } from '../../runner/src/log.js';
import type { RunOptions, RunSummary } from '../../runner/src/run/context.js';
import { runPipeline } from '../../runner/src/run/pipeline.js';

export function buildProject(projectDir: string, db: { url: string }, more: Partial<RunOptions> = {}): Promise<RunSummary> {
  return runPipeline({ projectDir, command: 'build-models', databaseUrl: db.url, logger: collectingLogger(), ...more });
}
