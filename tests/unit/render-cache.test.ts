import { expect } from 'chai';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { collectingLogger } from '../../runner/src/log.js';
import { prepare } from '../../runner/src/compile/prepare.js';
import { makeProject } from '../support/files.js';
import { renderCacheProject } from '../support/projects.js';

/** What compiling a project gives that a user or a later command sees. */
function compile(dir: string) {
  const logger = collectingLogger();
  const { compiled } = prepare(dir, logger);
  return {
    reused: compiled.reused,
    nodes: Object.fromEntries([...compiled.nodes.values()].map((n) => [n.name, {
      rendered: n.rendered, refs: n.refs, sources: n.sources, config: n.config, checksum: n.checksum,
    }])),
    warnings: logger.events.filter((e) => e.event === 'warn').map((e) => e.message),
  };
}

describe('compile: the render cache in target/', () => {
  const dirs: string[] = [];
  const project = (files: Record<string, string>) => {
    const dir = makeProject(files, 'sadp-render-cache-');
    dirs.push(dir);
    return dir;
  };
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  const files = renderCacheProject;

  it('should give what rendering afresh gives, and render only the files that changed', () => {
    const dir = project(files);
    const first = compile(dir);
    expect(first.reused).to.equal(0);
    const second = compile(dir);
    expect(second.reused).to.equal(3);
    expect(second.nodes).to.deep.equal(first.nodes);
    expect(second.warnings).to.deep.equal(first.warnings);
    expect(second.warnings.join('\n')).to.match(/unknown config key "unknown_key"/);
    // the incremental branch's ref is a dependency, from the cache too
    expect(second.nodes.b.refs).to.have.members(['a', 'c']);

    writeFileSync(join(dir, 'models/c.sql'), 'select 2 as id');
    const third = compile(dir);
    expect(third.reused).to.equal(2);
    expect(third.nodes.c.rendered).to.contain('select 2 as id');
    rmSync(join(dir, 'target', '.render-cache.json'));
    expect(compile(dir).nodes).to.deep.equal(third.nodes);
  });

  it('should render every model again when a macro changes, and drop models that are gone', () => {
    const dir = project(files);
    compile(dir);
    writeFileSync(join(dir, 'macros/money.sql'), 'round({{args.[0]}}, 2)');
    const after = compile(dir);
    expect(after.reused).to.equal(0);
    expect(after.nodes.a.rendered).to.contain('round(amount, 2)');
    rmSync(join(dir, 'models/c.sql'));
    writeFileSync(join(dir, 'models/b.sql'), 'select * from {{ref "a"}}');
    const fewer = compile(dir);
    expect(Object.keys(fewer.nodes).sort()).to.deep.equal(['a', 'b']);
    const cache = JSON.parse(readFileSync(join(dir, 'target', '.render-cache.json'), 'utf8'));
    expect(Object.keys(cache.files).sort()).to.deep.equal(['models/a.sql', 'models/b.sql']);
  });

  it('should ignore a cache it cannot read, and one another version of the runner wrote', () => {
    const dir = project(files);
    const fresh = compile(dir);
    writeFileSync(join(dir, 'target', '.render-cache.json'), '{"key": "other", "files": {"models/c.sql": {"hash": "x"}}}');
    expect(compile(dir)).to.deep.equal({ ...fresh, reused: 0 });
    writeFileSync(join(dir, 'target', '.render-cache.json'), '{ not json');
    expect(compile(dir)).to.deep.equal({ ...fresh, reused: 0 });
    expect(compile(dir).reused).to.equal(3);
  });
});

describe('project: the parsed YAML kept in target/', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const cachePath = (dir: string) => join(dir, 'target', '.yaml-cache.json');
  const load = (dir: string) => {
    const { project } = prepare(dir, collectingLogger());
    return { sources: project.sources, props: [...project.props.entries()] };
  };

  it('should give what parsing gives, and parse again a file that changed', () => {
    const dir = makeProject({
      'models/sources.yml': 'sources:\n  - name: raw\n    tables:\n      - name: sales\n        columns: [id, amount]\n',
      'models/a.sql': 'select 1 as id',
      'models/a.yml': 'models:\n  - name: a\n    description: first\n    columns:\n      - name: id\n        tests: [unique]\n',
    }, 'sadp-yaml-cache-');
    dirs.push(dir);
    const first = load(dir);
    const cached = JSON.parse(readFileSync(cachePath(dir), 'utf8'));
    expect(Object.keys(cached.docs)).to.have.length(2);
    // what the cache holds is what a command reads: a cache entry it did not write is used as it is
    const [key] = Object.entries(cached.docs as Record<string, { models?: unknown }>).find(([, doc]) => doc.models)!;
    cached.docs[key].models[0].description = 'from the cache';
    writeFileSync(cachePath(dir), JSON.stringify(cached));
    expect(load(dir).props[0][1].description).to.equal('from the cache');
    // a changed file is parsed again; the entry of its old text is dropped
    writeFileSync(join(dir, 'models/a.yml'), 'models:\n  - name: a\n    description: second\n');
    const second = load(dir);
    expect(second.props[0][1].description).to.equal('second');
    expect(second.sources).to.deep.equal(first.sources);
    expect(Object.keys(JSON.parse(readFileSync(cachePath(dir), 'utf8')).docs)).to.have.length(2);
    rmSync(cachePath(dir));
    expect(load(dir)).to.deep.equal(second);
  });

  it('should parse every time a document JSON cannot hold, and ignore a cache of another parser', () => {
    const dir = makeProject({
      'models/a.sql': 'select 1 as id',
      // a YAML timestamp is a Date: JSON would give a string back
      'models/a.yml': 'models:\n  - name: a\n    meta: {since: 2024-01-02}\n',
    }, 'sadp-yaml-cache-');
    dirs.push(dir);
    load(dir);
    expect(existsSync(cachePath(dir))).to.equal(false);
    // an alias that refers to itself: parsed as before, not kept
    writeFileSync(join(dir, 'models/a.yml'), 'models:\n  - name: a\n    meta: &m\n      self: *m\n');
    expect(load(dir).props[0][0]).to.equal('a');
    expect(existsSync(cachePath(dir))).to.equal(false);
    writeFileSync(join(dir, 'models/a.yml'), 'models:\n  - name: a\n    description: plain\n');
    load(dir);
    const cached = JSON.parse(readFileSync(cachePath(dir), 'utf8'));
    writeFileSync(cachePath(dir), JSON.stringify({ ...cached, key: 'another parser' }).replace('plain', 'stale'));
    expect(load(dir).props[0][1].description).to.equal('plain');
  });
});
