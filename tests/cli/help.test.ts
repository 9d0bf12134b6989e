import { expect } from 'chai';
import { parseArgs } from '../../runner/src/commands/args.js';
import { commandTable, specOf } from '../../runner/src/commands/flags.js';
import { defaultGenerateOptions } from '../../runner/src/tools/generate.js';
import { runCli } from '../support/cli.js';

describe('cli: --help of every command', function () {
  this.timeout(60_000);

  for (const command of Object.keys(commandTable)) {
    it(`should list every flag that "${command}" takes, and exit 0`, async () => {
      const out = await runCli([command, '--help']);
      expect(out.code, out.stderr).to.equal(0);
      expect(out.stdout).to.include(`usage: npm run ${command} -- `);
      const listed = [...out.stdout.matchAll(/^ {2}--([a-z-]+)/gm)].map((m) => m[1]);
      expect(listed.sort()).to.deep.equal([...Object.keys(specOf(command)), 'project-dir', 'database-url'].sort());
      // and each listed flag is one the command's parser takes
      for (const flag of listed) {
        const type = specOf(command)[flag] ?? 'string';
        expect(() => parseArgs(type === 'boolean' ? [`--${flag}`] : [`--${flag}`, '1'], specOf(command), command), flag).not.to.throw();
      }
    });
  }

  it('should state the defaults generate-data really takes (its help cannot load the generator)', async () => {
    const out = await runCli(['generate-data', '--help']);
    const d = defaultGenerateOptions();
    const stated: Record<string, number> = { seed: d.seed, customers: d.customers, products: d.products, stores: d.stores,
      sales: d.sales, 'update-batches': d.updateBatches, 'update-rate': d.updateRate };
    for (const [flag, value] of Object.entries(stated)) {
      expect(out.stdout).to.match(new RegExp(`^ {2}--${flag} .*\\(default ${value.toLocaleString('en-US').replace('.', '\\.')}[;)]`, 'm'));
    }
  });

  it('should say how to select when a model name comes without --select', async () => {
    const out = await runCli(['build-models', 'dim_store', 'fact_sales']);
    expect(out.code).to.equal(2);
    expect(out.stderr).to.include('unexpected argument "dim_store" for "build-models"; to build some models only: --select dim_store fact_sales');
  });

  it('should list every command in the overview, and exit 2 on an unknown command with the closest name', async () => {
    const overview = await runCli(['help']);
    expect(overview.code).to.equal(0);
    for (const command of Object.keys(commandTable)) expect(overview.stdout).to.match(new RegExp(`^ {2}${command} `, 'm'));
    const unknown = await runCli(['build-model']);
    expect(unknown.code).to.equal(2);
    expect(unknown.stderr).to.include('unknown command "build-model"').and.include('did you mean "build-models"');
  });
});
