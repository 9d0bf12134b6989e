import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from '../../runner/src/commands/args.js';
import { commandTable, specOf } from '../../runner/src/commands/flags.js';
import { repoRoot } from '../support/files.js';

describe('cli: commands and their flags', function () {
  const scripts = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

  it('should have an npm script for every command, and a command for every script that runs the cli', () => {
    const viaCli = Object.entries(scripts).filter(([, s]) => s.includes('cli.js')).map(([name, s]) => [name, s.split(' ').pop()]);
    expect(viaCli.map(([name]) => name).sort()).to.deep.equal(Object.keys(commandTable).sort());
    for (const [name, command] of viaCli) expect(command, name).to.equal(name);
  });

  it('should take dbt-style lists after --select and --exclude, up to the next flag', () => {
    const spec = specOf('build-models');
    expect(parseArgs(['--select', 'a', '+b', 'tag:x', '--threads', '2', '--exclude', 'c', 'd'], spec, 'build-models').flags)
      .to.deep.equal({ select: 'a +b tag:x', threads: 2, exclude: 'c d' });
    expect(parseArgs(['--select=a', 'b', '--select', 'c'], spec, 'build-models').flags).to.deep.equal({ select: 'a b c' });
    expect(() => parseArgs(['--select', '--full-refresh'], spec, 'build-models')).to.throw(/flag "--select" needs a value/);
    // a string flag takes one value; what follows it is an argument
    expect(parseArgs(['--data-dir', 'x', 'y'], spec, 'build-models')).to.deep.equal({ flags: { 'data-dir': 'x' }, positional: ['y'] });
  });

  it('should end the flags at a lone --, as npm does for its scripts', () => {
    const spec = specOf('show');
    expect(parseArgs(['--', 'fact_sales', '--limit', '3'], spec, 'show')).to.deep.equal({ flags: {}, positional: ['fact_sales', '--limit', '3'] });
    expect(parseArgs(['--limit', '3', '--', 'fact_sales'], spec, 'show')).to.deep.equal({ flags: { limit: 3 }, positional: ['fact_sales'] });
  });
});
