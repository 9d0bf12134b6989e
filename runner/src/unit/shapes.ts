import type { CompiledProject, Node } from '../compile/compile.js';
import type { Sql } from '../db/connection.js';
import { qualified } from '../sql/quote.js';
import { statement } from '../sql/statements.js';
import { splitStatements, type TemplateSet } from '../sql/templates.js';
import { templateContext, type NodeRunContext } from '../run/materialize.js';
import { snapshotContext } from '../run/snapshot.js';
import { resolveInScratch, scratchRelation, shapeName, standIn } from './relations.js';

export interface Column {
  name: string;
  /** As the catalog writes it: `numeric(12,2)`, `timestamp without time zone`. */
  type: string;
}

export interface Shape {
  /** The scratch relation with these columns and no rows. */
  relation: string;
  columns: Column[];
}

/**
 * The column types of models and sources, as empty temporary tables made once per session. A source
 * takes its raw table's types from the catalog (declared columns as text where there is none); a model
 * takes those of its SELECT over the shapes of its own inputs, so that nothing built is needed and no
 * warehouse row is read. A snapshot's shape is its table's (surrogate key and validity columns too).
 */
export class Shapes {
  private readonly made = new Map<string, Promise<Shape>>();

  constructor(private readonly conn: Sql, private readonly compiled: CompiledProject,
    private readonly materializations: TemplateSet) {}

  of(kind: 'ref' | 'source', name: string): Promise<Shape> {
    const key = shapeName(kind, name);
    let shape = this.made.get(key);
    if (!shape) {
      shape = kind === 'ref' ? this.ofModel(this.compiled.nodes.get(name)!) : this.ofSource(name);
      this.made.set(key, shape);
    }
    return shape;
  }

  /** The columns of a scratch relation, in order. */
  async columns(relation: string): Promise<Column[]> {
    return await this.conn.unsafe(statement('unit/columns'), [relation]) as unknown as Column[];
  }

  private async ofSource(key: string): Promise<Shape> {
    const source = this.compiled.sources.get(key)!;
    const relation = scratchRelation(shapeName('source', key));
    let columns = await this.columns(qualified(source.schema, source.name));
    if (!columns.length) columns = source.columns.map((name) => ({ name, type: 'text' }));
    await this.conn.unsafe(statement('unit/shape-of-columns', { relation, columns }));
    return { relation, columns };
  }

  private async ofModel(node: Node): Promise<Shape> {
    await Promise.all([...node.refs.map((r) => this.of('ref', r)), ...node.sources.map((s) => this.of('source', s))]);
    const self = standIn(node, shapeName('ref', node.name));
    const relation = scratchRelation(shapeName('ref', node.name));
    const sql = resolveInScratch(node.rendered, self, this.compiled.nodes, this.compiled.sources, shapeName);
    try {
      if (node.config.materialized === 'snapshot') await this.snapshotTable(self, sql);
      else await this.conn.unsafe(statement('unit/shape-of-query', { relation, sql, drop: node.config.reject_column }));
    } catch (e) {
      // the tests that read this model fail (its own build would too); the others run
      throw new Error(`cannot work out the columns of model "${node.name}" (${node.path}) from its inputs: ` +
        `${(e as Error).message}; a unit test of a model that reads it needs them`);
    }
    return { relation, columns: await this.columns(relation) };
  }

  private async snapshotTable(self: Node, sql: string): Promise<void> {
    const described = await this.conn.unsafe(statement('run/describe', { sql }));
    const columns = (described as unknown as { columns: { name: string }[] }).columns.map((c) => c.name);
    const context = snapshotContext(self, columns, { runId: 0, runTime: new Date().toISOString(), fullRefresh: false, exists: false });
    const run: NodeRunContext = { runId: 0, fullRefresh: false, catalog: new Map(), templates: this.materializations };
    const table = this.materializations.get('snapshot_table')!;
    for (const s of splitStatements(table(templateContext(self, sql, run, undefined, context)))) await this.conn.unsafe(s.text);
  }
}
