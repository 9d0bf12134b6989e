import { expect } from 'chai';
import Handlebars from 'handlebars';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { compileContext, createEnvironment, renderModel, type RenderContext } from '../../runner/src/compile/compile.js';
import { TemplateEnv, textHash } from '../../runner/src/compile/handlebars.js';
import { renderInParallel } from '../../runner/src/compile/parallel.js';
import { loadRenderCache } from '../../runner/src/compile/render-cache.js';
import { renderJobs } from '../../runner/src/compile/render.js';
import { prepare } from '../../runner/src/compile/prepare.js';
import { collectingLogger } from '../../runner/src/log.js';
import { loadProject, type ModelFile, type Project } from '../../runner/src/project/project.js';
import { loadTemplates, precompiledPath, runnerRoot, templateEnvironment, type Precompiled } from '../../runner/src/sql/templates.js';
import { makeProject } from '../support/files.js';

const model = (text: string, path = 'models/m.sql'): ModelFile =>
  ({ name: path.replace(/^.*\/|\.sql$/g, ''), path, text, defaults: {}, isTest: false });
const noMacros = { macros: [] } as Pick<Project, 'macros'>;
const render = (text: string, ctx: RenderContext = compileContext, project = noMacros) =>
  renderModel(createEnvironment(project), model(text), ctx);
const errorOf = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('no error');
};

describe('compile: models rendered by Handlebars itself', () => {
  it('should render what Handlebars.compile renders with noEscape, whitespace control and standalone lines included', () => {
    const helpers = { shout: (v: unknown) => String(v).toUpperCase() };
    const ours = new TemplateEnv();
    ours.registerHelper(helpers);
    ours.registerPartial('cols', ours.lazy('a, {{column}}', (e) => e as Error));
    const theirs = Handlebars.create();
    theirs.registerHelper(helpers);
    theirs.registerPartial('cols', 'a, {{column}}');
    const context = { flag: true, list: ['x', 'y'], nested: { v: 1 }, odd: '<&"\'>' };
    const corpus = [
      '{{!-- a note --}}\nselect 1\n  {{! short }}  \nfrom t',
      'x {{#if flag}}\n  yes\n{{else}}\n  no\n{{/if}}\ny',
      '{{#each list}}{{this}}{{#unless @last}}, {{/unless}}{{/each}}',
      '  {{> cols column="b"}}\n{{shout "q"}} {{nested.v}} {{#with nested}}{{v}}{{/with}}',
      '  {{~shout "trim"~}}  \n{{odd}} {{{odd}}}',
      'a\r\n{{!-- crlf --}}\r\nb\r\n',
    ];
    for (const text of corpus) expect(ours.template(text)(context), text).to.equal(theirs.compile(text, { noEscape: true })(context));
  });

  it('should never HTML-escape: SQL passes through as written', () => {
    const ctx = { ...compileContext, vars: { v: `<b> & "x" 'y'` } };
    expect(render(`select '{{var "v"}}', {{quote "it's <&>"}}`, ctx).rendered).to.equal(`select '<b> & "x" 'y'', 'it''s <&>'`);
  });

  it('should call macros as helpers (positional args and hash) and as partials (hash as context)', () => {
    const project = {
      macros: [
        { name: 'money', path: 'macros/money.sql', text: '({{args.[0]}})::numeric(12,{{#if scale}}{{scale}}{{else}}2{{/if}})' },
        { name: 'filtered', path: 'macros/filtered.sql', text: 'where {{column}} > {{prev.batch_id}}{{#if is_incremental}} and incremental{{/if}}' },
      ],
    };
    const ctx = { ...compileContext, is_incremental: true, prev: { run_id: 3, batch_id: 7 } };
    const out = render('select {{money "amount"}}, {{money "tax" scale=4}}\nfrom t\n{{> filtered column="id"}}\n', ctx, project);
    expect(out.rendered).to.equal('select (amount)::numeric(12,2), (tax)::numeric(12,4)\nfrom t\nwhere id > 7 and incremental');
  });

  it('should record config, refs and sources with their lines, and render {{this}} as a placeholder', () => {
    const out = render('{{config materialized="table" tags="a b"}}\nselect * from {{ref "a"}}\njoin {{source "raw" "sales"}} using (id)\n-- {{this}}');
    expect(out.config).to.deep.equal({ materialized: 'table', tags: 'a b' });
    expect(out.refs).to.deep.equal(['a']);
    expect(out.sources).to.deep.equal(['raw.sales']);
    expect(out.rendered).to.contain('R:a@models/m.sql:2').and.contain('S:raw.sales@models/m.sql:3').and.contain('-- \u0001T:\u0002');
  });

  it('should name the file and line of a syntax error, an unknown helper and a missing partial', () => {
    expect(errorOf(() => render('select 1 as a\n\nfrom {{ref "ok" }\nwhere 1 = 1\n'))).to.match(/^template error in models\/m\.sql:3: /);
    expect(errorOf(() => render('select one\nfrom {{reff "ok"}}'))).to.match(/unknown helper or variable "reff" in models\/m\.sql:2; did you mean "ref"/);
    expect(errorOf(() => render('select 1\n{{#unknown}}x{{/unknown}}'))).to.match(/"unknown" in models\/m\.sql:2/);
    expect(errorOf(() => render('select 1\n\n{{> nowhere}}\n'))).to.match(/^template error in models\/m\.sql:3: The partial nowhere could not be found/);
  });

  it('should stop at a model that does not compile, naming it, after rendering those before it', () => {
    const texts = ['select 1', 'select {{ref "a"}}', 'select 1\n{{#if x}}\n', 'select 3'];
    const outcomes = renderJobs(createEnvironment(noMacros), texts.map((t, i) => ({ file: model(t, `models/m_${i}.sql`), config: {} })),
      compileContext);
    expect(outcomes.slice(0, 2).map((o) => 'out' in o && o.out.rendered)).to.deep.equal(['select 1', 'select \u0001R:a@models/m_1.sql:1\u0002']);
    expect((outcomes[2] as { error: Error }).error.message).to.contain('template error in models/m_2.sql:2: {{#if}} is never closed');
    expect(outcomes).to.have.length(3);
  });

  it('should name the line of a block left open, closed by the wrong tag or closed twice', () => {
    expect(errorOf(() => render('select 1\n{{!-- {{#if x}} --}}\n{{#if is_incremental}}\nwhere 1 = 1\n')))
      .to.contain('template error in models/m.sql:3: {{#if}} is never closed; add {{/if}} where the block ends');
    expect(errorOf(() => render('select 1\n{{#if is_incremental}}\n{{/each}}\n')))
      .to.contain('template error in models/m.sql:3: {{/each}} closes {{#if}} of line 2; close it with {{/if}}');
    expect(errorOf(() => render('select 1\n{{#if x}}{{/if}}\n{{/if}}\n')))
      .to.contain('template error in models/m.sql:3: {{/if}} closes a block that was never opened');
  });

  it('should name the macro file of a macro that does not parse, and refuse a macro named as a built-in helper', () => {
    const broken = { macros: [{ name: 'bad', path: 'macros/bad.sql', text: 'x\n{{#if y}}\n' }] };
    expect(errorOf(() => render('select {{bad}}', compileContext, broken))).to.contain('template error in macros/bad.sql:2: {{#if}} is never closed');
    expect(errorOf(() => render('{{> bad}}', compileContext, broken))).to.contain('template error in macros/bad.sql:2');
    const clash = { macros: [{ name: 'each', path: 'macros/each.sql', text: 'x' }] };
    expect(errorOf(() => createEnvironment(clash))).to.contain('macro "each" (macros/each.sql) has the name of a built-in helper');
  });
});

describe('compile: precompiled templates', () => {
  it('should use a precompiled spec only for the text it was made from', () => {
    const maker = new TemplateEnv();
    const other = maker.precompile('other {{x}}');
    const env = new TemplateEnv({ [textHash('mine {{x}}')]: other });
    expect(env.template('mine {{x}}')({ x: 1 })).to.equal('other 1');
    expect(env.template('mine {{x}} changed')({ x: 1 })).to.equal('mine 1 changed');
    expect(Object.keys(env.made)).to.deep.equal([textHash('mine {{x}} changed')]);
  });

  it('should build the runner\'s templates into specs that render as the templates compiled from their text do', () => {
    const stored = JSON.parse(readFileSync(precompiledPath, 'utf8')) as Precompiled;
    const dir = join(runnerRoot, 'templates', 'postgres', 'materializations');
    const fromSpecs = loadTemplates('materializations');
    const fromText = templateEnvironment();
    const texts = new Map([...fromSpecs.keys()].map((name) => [name, readFileSync(join(dir, `${name}.sql`), 'utf8')]));
    for (const [name, text] of texts) fromText.registerPartial(name, fromText.lazy(text, (e) => e as Error));
    const context = {
      relation: '"s"."t"', tmp_relation: '"s"."t__tmp"', alias: 't', sql: 'select 1 as id', exists: true, node: 't', run_id: 5,
      indexes: [{ columns: 'id', name: '"t_1234_idx"' }], watched: [{ name: 'id', quoted: '"id"', temp: 'gone_0' }], unique_key_quoted: ['"id"'], columns: ['"id"'],
      src_name: 't__src', full_sql: 'select * from "t__src"', build_full: false, unique_key: ['id'],
    };
    for (const [name, text] of texts) {
      expect(stored.specs[textHash(text)], `${name} precompiled by the build`).to.be.a('string');
      expect(fromSpecs.get(name)!(context), name).to.equal(fromText.template(text)(context));
    }
  });
});

describe('compile: the render cache keeps the precompiled templates a run needs', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('should keep the specs of incremental models and macros, and render from them as from the text', () => {
    const dir = makeProject({
      'models/a.sql': 'select 1 as id',
      'models/b.sql': '{{config materialized="incremental" unique_key="id"}}\nselect {{money "id"}} as id from {{ref "a"}}\n' +
        '{{#if is_incremental}}where id > {{prev.batch_id}}{{/if}}',
      'macros/money.sql': '({{args.[0]}})::numeric',
    }, 'sadp-compile-render-');
    dirs.push(dir);
    prepare(dir, collectingLogger());
    const project = loadProject(dir);
    const cache = loadRenderCache(project);
    const b = project.models.find((m) => m.name === 'b')!;
    const a = project.models.find((m) => m.name === 'a')!;
    expect(Object.keys(cache.specs).sort()).to.deep.equal([textHash(b.text), textHash(project.macros[0].text)].sort());
    expect(cache.specs[textHash(a.text)]).to.equal(undefined);
    const ctx = { ...compileContext, is_incremental: true, prev: { run_id: 1, batch_id: 9 } };
    const cached = createEnvironment(project, cache.specs);
    expect(renderModel(cached, b, ctx)).to.deep.equal(renderModel(createEnvironment(project), b, ctx));
    expect(cached.made).to.deep.equal({});
  });
});

describe('compile: rendering on several threads', () => {
  const project = { macros: [{ name: 'twice', path: 'macros/twice.sql', text: '{{args.[0]}}{{args.[0]}}' }] };
  const jobs = (texts: string[]) => texts.map((text, i) => ({ file: model(text, `models/m_${i}.sql`), config: {} }));
  const task = (texts: string[]) => ({ macros: project.macros, jobs: jobs(texts), ctx: compileContext, specs: {} });
  // this thread made slow, so that the worker, once started, takes its share
  const slowly = (hb: TemplateEnv, counted: { chunks: number }) => (share: ReturnType<typeof jobs>) => {
    counted.chunks++;
    for (const until = Date.now() + 30; Date.now() < until;);
    return renderJobs(hb, share, compileContext);
  };

  it('should give what one thread gives, in the order of the models', () => {
    const texts = Array.from({ length: 1000 }, (_, i) => `select {{twice "${i}"}} from {{ref "m_${i + 1}"}}`);
    const one = renderJobs(createEnvironment(project), jobs(texts), compileContext);
    const here = { chunks: 0 };
    const many = renderInParallel(task(texts), slowly(createEnvironment(project), here), 2);
    expect(here.chunks).to.be.below(20);
    expect(many.outcomes).to.deep.equal(one);
  });

  it('should end at the first model that fails, with its error', () => {
    const texts = Array.from({ length: 1000 }, (_, i) => (i === 620 || i === 910 ? `select {{oops "${i}"}}` : `select ${i}`));
    const { outcomes } = renderInParallel(task(texts), slowly(createEnvironment(project), { chunks: 0 }), 2);
    expect(outcomes).to.have.length(621);
    const last = outcomes[620] as { error: Error & { code?: string } };
    expect(last.error.message).to.match(/unknown helper or variable "oops" in models\/m_620\.sql:1/);
    expect(last.error.code).to.equal('template');
  });
});
