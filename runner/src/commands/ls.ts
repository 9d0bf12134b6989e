import { parseArgs, str } from './args.js';
import { specOf } from './flags.js';
import type { CommandContext } from '../cli.js';
import { parseVars } from '../project/vars.js';
import { usageError } from '../errors.js';
import { prepare } from '../compile/prepare.js';
import { listResources, resourceTypes } from '../dag/resources.js';
import type { ResourceType } from '../project/unique-id.js';

const outputs = ['name', 'path', 'json'];

/** Lists the project's models, tests, sources, seeds and analyses that a selection picks; needs no database. */
export async function run(argv: string[], ctx: CommandContext): Promise<number> {
  const args = parseArgs(argv, specOf('ls'), 'ls');
  if (args.positional.length) throw usageError(`unexpected argument "${args.positional[0]}" for "ls"; to list some: --select ${args.positional.join(' ')}`);
  const output = str(args, 'output') ?? 'name';
  if (!outputs.includes(output)) throw usageError(`unknown --output "${output}"; use name, path or json`);
  const types = (str(args, 'resource-type') ?? '').split(/[\s,]+/).filter(Boolean);
  for (const t of types) {
    if (!resourceTypes.includes(t as ResourceType)) throw usageError(`unknown --resource-type "${t}"; use ${resourceTypes.join(', ')}`);
  }
  const prepared = prepare(ctx.projectDir, ctx.logger, parseVars(str(args, 'vars')));
  const listed = listResources(prepared, str(args, 'select'), str(args, 'exclude'))
    .filter((r) => !types.length || types.includes(r.resource_type));
  const line = output === 'json' ? (r: (typeof listed)[number]) => JSON.stringify(r)
    : output === 'path' ? (r: (typeof listed)[number]) => r.path : (r: (typeof listed)[number]) => r.name;
  // a YAML file declares several tests: its path once
  const lines = listed.map(line);
  const shown = output === 'path' ? [...new Set(lines)] : lines;
  if (shown.length) process.stdout.write(shown.join('\n') + '\n');
  else ctx.logger.warn('nothing to list: the selection picks no resource of that type');
  return 0;
}
