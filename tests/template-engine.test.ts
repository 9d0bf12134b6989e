import { expect } from 'chai';
import Handlebars from 'handlebars';
import { compileTemplate } from '../runner/src/compile/template-engine.js';

/** The engine must render exactly what Handlebars (noEscape) renders, on the simple path and the full one. */
describe('template engine: the same output as Handlebars', () => {
  const env = Handlebars.create();
  const calls: string[] = [];
  env.registerHelper('ref', (name: unknown, options: Handlebars.HelperOptions & { loc?: { start: { line: number } } }) => {
    calls.push(`ref ${name} @${options.loc?.start.line}`);
    return `"s"."${name}"`;
  });
  env.registerHelper('source', (a: unknown, b: unknown) => `"${a}"."${b}"`);
  env.registerHelper('config', (options: Handlebars.HelperOptions) => {
    calls.push(`config ${JSON.stringify(Object.entries(options.hash).sort())}`);
    return '';
  });
  env.registerHelper('shout', (v: unknown) => String(v).toUpperCase());
  env.registerPartial('cols', 'a, {{column}}');
  const context = { flag: true, list: ['x', 'y'], nested: { v: 1 }, toString: () => 'THIS' };

  const corpus = [
    'select 1',
    'select * from {{ref "orders"}}',
    "{{config materialized='table' unique_key=\"id\" tags=\"a b\"}}\nselect * from {{ref 'orders'}} join {{source \"raw\" \"sales\"}} using (id)",
    '{{!-- a note --}}\nselect 1\n  {{! short }}  \nfrom {{this}}',
    'select 1 {{!-- inline --}} from t',
    '{{config materialized="view"}}\n\n{{!-- multi\nline\ncomment --}}\nselect {{ref "a"}}\n{{!-- end --}}',
    'x {{#if flag}}\n  yes {{ref "a"}}\n{{else}}\n  no\n{{/if}}\ny',
    '{{#each list}}{{this}}{{#unless @last}}, {{/unless}}{{/each}}',
    '{{> cols column="b"}} {{shout "q"}} {{nested.v}} {{#with nested}}{{v}}{{/with}}',
    '  {{~ref "trim"~}}  ',
    'a\r\n{{!-- crlf --}}\r\nb {{ref "c"}}\r\n',
    '{{ref "a\\"b"}}',
  ];

  for (const text of corpus) {
    it(`should render ${JSON.stringify(text.slice(0, 40))} as Handlebars does`, () => {
      calls.length = 0;
      const expected = env.compile(text, { noEscape: true })(context);
      const expectedCalls = [...calls];
      calls.length = 0;
      expect(compileTemplate(env, text)(context)).to.equal(expected);
      expect(calls).to.deep.equal(expectedCalls);
    });
  }
});
