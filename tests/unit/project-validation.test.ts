import { expect } from 'chai';
import { jinjaError } from '../../runner/src/compile/jinja.js';
import { yamlKeys } from '../../runner/src/project/known-keys.js';
import { yamlProblems } from '../../runner/src/project/validate-yaml.js';
import { locate } from '../../runner/src/project/yaml-positions.js';

describe('project validation: YAML places, known keys and Jinja', () => {
  const text = [
    'models:',
    '  - name: a',
    '    columns:',
    '      - name: x',
    '        tests: [unique, {accepted_values: {values: [p, q]}}]',
    '      - name: "y"',
    '        description:',
    '    tests:',
    '      -',
    '      - relationships:',
    '          to: b',
    '',
  ].join('\n');

  it('should place keys, items and flow mappings at their line and column', () => {
    expect(locate(text, ['models', 0, 'columns'])).to.deep.equal({ line: 3, column: 5 });
    expect(locate(text, ['models', 0, 'columns', 1, 'name'])).to.deep.equal({ line: 6, column: 9 });
    expect(locate(text, ['models', 0, 'columns', 0, 'tests', 1, 'accepted_values', 'values'])).to.deep.equal({ line: 5, column: 44 });
    expect(locate(text, ['models', 0, 'columns', 1, 'description'])).to.deep.equal({ line: 7, column: 9 });
    // an empty item has no node: the item after it is still found
    expect(locate(text, ['models', 0, 'tests', 1, 'relationships', 'to'])).to.deep.equal({ line: 11, column: 11 });
  });

  it('should fall back on the nearest place on the way, and on nothing for a text that does not parse', () => {
    expect(locate(text, ['models', 0, 'nothing'])).to.deep.equal({ line: 2, column: 5 });
    expect(locate('a: [', ['a'])).to.equal(undefined);
  });

  it('should accept every key the tables name and refuse the others with the closest one', () => {
    const doc = { version: 2, models: [Object.fromEntries(yamlKeys.model.map((k) => [k, null]))], colums: [] };
    const problems = yamlProblems(doc);
    expect(problems).to.have.length(1);
    expect(problems[0]).to.deep.include({ path: ['colums'], what: 'unknown key "colums" in the file' });
    expect(yamlProblems({ models: [{ name: 'a', tests: [{ unique: null, severity: 'warn' }] }] })[0].what)
      .to.equal('a test of model "a" is neither a name nor a one-key mapping');
    // a project's own test kind takes what its template reads
    expect(yamlProblems({ models: [{ name: 'a', tests: [{ my_check: { anything: 1 } }] }] })).to.deep.equal([]);
    expect(yamlProblems({ sources: [{ name: 'raw', freshness: { warn_after: { count: 1, period: 'hour' } }, tables: [] }] })).to.deep.equal([]);
  });

  it('should write the Handlebars form of each Jinja construct, at its line', () => {
    const says = (sql: string) => jinjaError(sql, 'models/m.sql')?.message ?? '';
    expect(says('select 1\nfrom {{ ref(\'a\') }}')).to.include('models/m.sql:2: {{ ref(\'a\') }} is Jinja (dbt\'s syntax); write {{ref "a"}}');
    expect(says('{{ source("raw", "sales") }}')).to.include('write {{source "raw" "sales"}}');
    expect(says('{{ config(materialized="table", unique_key=["a", "b"], enabled=False) }}'))
      .to.include('write {{config materialized="table" unique_key="a,b" enabled=false}}');
    expect(says('{{ var("since", "2024-01-01") }}')).to.include('write {{var "since" "2024-01-01"}}');
    expect(says('{%- if is_incremental() -%}\nx\n{% else %}\ny\n{% endif %}'))
      .to.include(':1: {%- if is_incremental() -%} is Jinja').and.include('write {{#if is_incremental}}')
      .and.include(':3: {% else %} is Jinja (dbt\'s syntax); write {{else}}').and.include(':5: {% endif %} is Jinja (dbt\'s syntax); write {{/if}}');
    expect(says('{# why #}')).to.include('write {{!-- why --}}');
    expect(jinjaError('select 1 {{!-- {{ ref("a") }} and {% if %} in a comment --}} from {{ref "a"}}', 'm')).to.equal(undefined);
    expect(jinjaError('select \'{"a": 1}\'::jsonb, {{var "x"}}', 'm')).to.equal(undefined);
  });
});
