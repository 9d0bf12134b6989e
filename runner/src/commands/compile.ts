import { parseArgs, str } from './args.js';
import { specOf } from './flags.js';
import type { CommandContext } from '../cli.js';
import { parseVars } from '../project/vars.js';
import { prepare } from '../compile/prepare.js';
import { planNodes } from '../dag/select.js';
import { compiledSql } from '../compile/compile.js';
import { writeCompiled } from '../publish/manifest.js';

/** Renders every model to target/compiled/ and writes target/manifest.json; needs no database. */
export async function run(argv: string[], ctx: CommandContext): Promise<number> {
  const args = parseArgs(argv, specOf('compile'), 'compile');
  const t0 = Date.now();
  const { compiled, graph } = prepare(ctx.projectDir, ctx.logger, parseVars(str(args, 'vars')));
  const rendered = Date.now();
  await writeCompiled(ctx.projectDir, compiled, graph);
  const select = str(args, 'select');
  const chosen = planNodes(compiled.nodes, graph, select, str(args, 'exclude'));
  if (select && chosen.length === 1) {
    process.stdout.write(compiledSql(compiled.nodes.get(chosen[0])!, compiled) + '\n');
  } else {
    const unchanged = compiled.reused ? `, ${compiled.reused} unchanged since the last compile taken from target/.render-cache.json` : '';
    process.stdout.write(`compiled ${compiled.nodes.size} models in ${Date.now() - t0} ms (read, render and DAG ${rendered - t0} ms${unchanged}; ` +
      `writing ${Date.now() - rendered} ms) into target/compiled/; manifest in target/manifest.json\n`);
  }
  return 0;
}
