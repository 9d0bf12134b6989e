import { expect } from 'chai';
import { compiledSql, resolveRefs } from '../../runner/src/compile/compile.js';
import { distributionOf } from '../../runner/src/compile/distribution.js';
import { prepare } from '../../runner/src/compile/prepare.js';
import { blocksAsWorkTables } from '../../runner/src/compile/repartition.js';
import { collectingLogger } from '../../runner/src/log.js';
import { suiteFolders } from '../support/files.js';

/** Citus placement in the project: distributed_by / distribution (DESIGN §10) and {{#repartition}} blocks. */
describe('compile: where tables go on Citus, and repartition blocks', () => {
  const folder = suiteFolders('sadp-distribution-');
  const project = {
    'models/sources.yml': 'sources:\n  - name: raw\n    distribution: local\n    tables:\n      - name: sales\n        columns: [sale_id]\n' +
      '        distributed_by: sale_id\n      - name: stores\n        columns: [store_id]\n',
    'models/marts/defaults.yml': 'defaults:\n  schema: analytics\n  materialized: table\n  distribution: reference\n',
    'models/marts/dim_store.sql': 'select store_id::int as store_id from {{source "raw" "stores"}}',
    'models/marts/fact.sql': '{{config distributed_by="customer_id"}}\nwith {{#repartition "sales" by="customer_id"}}\n' +
      'select sale_id::int as sale_id, 1 as customer_id from {{source "raw" "sales"}}\n{{/repartition}},\nfinal as (select * from sales)\nselect * from final',
    'models/marts/typed.sql': '{{config distribution="local"}}\nwith {{#repartition "t" by="sale_id" materialized=true}}select 1 as sale_id{{/repartition}}\nselect * from t',
  };

  it('should take the last layer that says where a table goes: folder defaults, then the model', () => {
    const { compiled, project: p } = prepare(folder(project), collectingLogger());
    expect(compiled.nodes.get('dim_store')!.distribution).to.deep.equal({ kind: 'reference' });
    expect(compiled.nodes.get('fact')!.distribution).to.deep.equal({ kind: 'hash', column: 'customer_id' });
    expect(compiled.nodes.get('typed')!.distribution).to.deep.equal({ kind: 'local' });
    expect(p.sources.map((s) => [s.name, s.distribution])).to.deep.equal([
      ['sales', { kind: 'hash', column: 'sale_id' }], ['stores', { kind: 'local' }]]);
  });

  it('should refuse both settings in one place, a list of columns, or an unknown distribution', () => {
    expect(() => distributionOf([{ distributed_by: 'a', distribution: 'reference' }], 'model "m"')).to.throw(/sets both .*keep one/);
    expect(() => distributionOf([{ distributed_by: 'a, b' }], 'model "m"')).to.throw(/names one column/);
    expect(() => distributionOf([{ distribution: 'append' }], 'model "m"')).to.throw(/must be "reference" or "local"/);
    expect(distributionOf([{ schema: 'x' }, undefined], 'model "m"')).to.equal(undefined);
  });

  it('should compile a repartition block as the CTE it names, materialized when asked', () => {
    const { compiled } = prepare(folder(project), collectingLogger());
    const fact = compiledSql(compiled.nodes.get('fact')!, compiled);
    expect(fact).to.equal('with sales as (\nselect sale_id::int as sale_id, 1 as customer_id from "raw"."sales"\n),\nfinal as (select * from sales)\nselect * from final');
    expect(compiledSql(compiled.nodes.get('typed')!, compiled)).to.match(/^with t as materialized \(select 1 as sale_id\)/);
  });

  it('should turn each block into a work table for Citus, its CTE reading it inline', () => {
    const { compiled } = prepare(folder(project), collectingLogger());
    const node = compiled.nodes.get('fact')!;
    const { sql, workTables } = blocksAsWorkTables(resolveRefs(node.rendered, node, compiled.nodes, compiled.sources), () => '"analytics"."w0"');
    expect(sql.trim()).to.equal('with sales as not materialized (select * from "analytics"."w0"),\nfinal as (select * from sales)\nselect * from final');
    expect(workTables).to.deep.equal([{ relation: '"analytics"."w0"', by: 'customer_id',
      sql: 'select sale_id::int as sale_id, 1 as customer_id from "raw"."sales"' }]);
  });

  it('should name the file and line of a block without a CTE name or column', () => {
    const dir = folder({ 'models/bad.sql': 'with {{#repartition by="x"}}select 1{{/repartition}} select 1' });
    expect(() => prepare(dir, collectingLogger())).to.throw(/\{\{#repartition\}\} takes a CTE name and a column.*models\/bad\.sql:1/);
  });
});
