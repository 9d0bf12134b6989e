/**
 * Build step (`npm run build`, after tsc): precompiles the runner's SQL templates with
 * `Handlebars.precompile`, so that a run renders them with Handlebars' runtime and never loads its compiler.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { handlebarsVersion, textHash } from '../compile/handlebars.js';
import { writeFileWhole } from '../files/write.js';
import { precompiledPath, runnerRoot, templateEnvironment, type Precompiled } from '../sql/templates.js';

const root = join(runnerRoot, 'templates');
const hb = templateEnvironment();
const specs: Precompiled['specs'] = {};
for (const file of readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.sql')).sort()) {
  const text = readFileSync(join(root, file), 'utf8');
  specs[textHash(text)] = hb.precompile(text);
}
const precompiled: Precompiled = { handlebars: handlebarsVersion(), helpers: hb.ownHelpers(), specs };
writeFileWhole(precompiledPath, JSON.stringify(precompiled));
