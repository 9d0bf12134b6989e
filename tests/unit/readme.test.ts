import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../support/files.js';
import { commandTable } from '../../runner/src/commands/flags.js';

/** The `## Commands` section of the README: from its heading to the next one of its level. */
function commandsSection(readme: string): string {
  const start = readme.indexOf('\n## Commands\n');
  expect(start, 'the README has a "## Commands" section').to.be.greaterThan(-1);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

describe('README: the commands table', function () {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const scripts = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).scripts as Record<string, string>;

  it('should list every npm script that runs a runner command', () => {
    const listed = new Set([...commandsSection(readme).matchAll(/^\| `npm (?:run )?([a-z][a-z-]*)/gm)].map((m) => m[1]));
    const runnerScripts = Object.entries(scripts).filter(([, command]) => /dist\/runner\/src\/cli\.js\b/.test(command)).map(([name]) => name);
    expect(runnerScripts.length).to.be.greaterThan(5);
    expect(runnerScripts.filter((name) => !listed.has(name)), 'scripts missing from the README\'s commands table').to.deep.equal([]);
  });

  it('should show each command with exactly the flags its --help lists', () => {
    const rows = [...commandsSection(readme).matchAll(/^\| `npm (?:run )?([a-z][a-z-]*)(.*)$/gm)];
    const wrong = rows.filter(([, name]) => commandTable[name]).flatMap(([, name, row]) => {
      const shown = new Set([...row.matchAll(/(?<![\w-])--([a-z][a-z-]*)/g)].map((m) => m[1]));
      const takes = Object.keys(commandTable[name].flags);
      return [...takes.filter((f) => !shown.has(f)).map((f) => `${name}: --${f} missing`),
        [...shown].filter((f) => !takes.includes(f)).map((f) => `${name}: --${f} shown but not taken`)].flat();
    });
    expect(wrong).to.deep.equal([]);
  });

  it('should end "Adding a model" with regenerating the Airflow DAG', () => {
    const start = readme.indexOf('\n## Adding a model\n');
    const steps = [...readme.slice(start, readme.indexOf('\n#', start + 1)).matchAll(/^(\d+)\. (.*)$/gm)];
    expect(steps.at(-1)?.[2]).to.include('npm run airflow-dag');
  });
});
