import { templateError } from '../errors.js';
import type { HelperOptions } from './handlebars.js';

/**
 * `{{#repartition "name" by="column"}}SELECT{{/repartition}}` in a model's WITH list defines the CTE
 * `name`. On PostgreSQL it is `name as (SELECT)` (with `materialized=true`: `as materialized`). On
 * Citus a CTE that a query can't inline is computed on the coordinator, all of its rows pulled there;
 * so there the block becomes a work table distributed by `column`, filled by one INSERT … SELECT (Citus
 * moves the rows between the workers) before the model's query runs, and the CTE reads it. What follows
 * then joins and groups on `column` next to the tables distributed on it. A row without a value there
 * is placed under 0 (Citus can't place a NULL; see citus/materializations/fill.sql).
 */

// markers around a block in rendered SQL, like the placeholders of refs (see compile.ts)
const open = '\u0001W:';
const close = '\u0001E\u0002';
const block = /\u0001W:([^:\u0002]*):([^:\u0002]*):(m?)\u0002([\s\S]*?)\u0001E\u0002/g;
const plainName = /^[a-z_][a-z0-9_]*$/;

/** The helper: marks the block and its arguments for `blocksAsCtes` or `blocksAsWorkTables`. */
export function repartitionHelper(where: () => string) {
  return function (this: unknown, ...args: unknown[]) {
    const options = args.pop() as HelperOptions;
    const name = String(args[0] ?? '');
    const by = options.hash?.by;
    const at = `${where()}${options.loc ? `:${options.loc.start.line}` : ''}`;
    if (typeof options.fn !== 'function' || !plainName.test(name) || typeof by !== 'string' || !plainName.test(by)) {
      throw templateError(`{{#repartition}} takes a CTE name and a column, like {{#repartition "typed" by="customer_id"}}select …{{/repartition}} (${at})`);
    }
    const inner = options.fn(this);
    if (inner.includes(open)) throw templateError(`{{#repartition}} blocks can't be nested (${at})`);
    return `${open}${name}:${by}:${options.hash?.materialized === true ? 'm' : ''}\u0002${inner}${close}`;
  };
}

/** PostgreSQL (and everything that only shows SQL): each block is the CTE it names. */
export function blocksAsCtes(sql: string): string {
  return sql.includes(open)
    ? sql.replace(block, (_, name: string, _by: string, m: string, inner: string) => `${name} as ${m ? 'materialized ' : ''}(${inner})`)
    : sql;
}

/** A block as Citus builds it: a work table distributed by `by`, filled with `sql`. */
export interface WorkTable {
  /** The quoted, qualified relation. */
  relation: string;
  by: string;
  sql: string;
}

/**
 * Citus: each block becomes a CTE reading the work table `relationFor(i)` (inlined wherever the query
 * reads it, so that the planner sees the distributed table), and the work tables to fill beforehand.
 */
export function blocksAsWorkTables(sql: string, relationFor: (i: number) => string): { sql: string; workTables: WorkTable[] } {
  const workTables: WorkTable[] = [];
  const out = sql.replace(block, (_, name: string, by: string, _m: string, inner: string) => {
    const relation = relationFor(workTables.length);
    workTables.push({ relation, by, sql: inner.trim().replace(/;\s*$/, '') });
    return `${name} as not materialized (select * from ${relation})`;
  });
  return { sql: out, workTables };
}
