import { join } from 'node:path';
import { redact } from '../errors.js';
import { targetDir, writeFileWhole } from '../files/write.js';

/** Written whole: Airflow (or a second command) may read it while a run writes it. */
export function writeRunResults(projectDir: string, results: unknown) {
  writeFileWhole(join(targetDir(projectDir), 'run_results.json'), redact(JSON.stringify(results, null, 2)));
}
