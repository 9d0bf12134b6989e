import type { CompiledProject } from '../compile/compile.js';
import { relationOf } from '../compile/compile.js';
import type { Distribution } from '../compile/distribution.js';
import type { Logger } from '../log.js';
import type { SourceTable } from '../project/sources.js';
import { qualified } from '../sql/quote.js';
import { statement } from '../sql/statements.js';
import type { Sql } from './connection.js';

/** Tables whose materialization keeps the table between runs (a view or an ephemeral model has no rows). */
const durable = ['table', 'incremental', 'snapshot'];

/**
 * On Citus, places the tables that exist but are not distributed yet as the project says: those the
 * project's migrations made (raw tables, `dim_customer`), or any made before the database had workers.
 * The tables the runner creates itself are placed when they are created (runner/templates/citus).
 */
export async function placeExistingTables(sql: Sql, compiled: CompiledProject, sources: SourceTable[], logger: Logger): Promise<void> {
  const wanted: { relation: string; distribution: Distribution }[] = [];
  for (const s of sources) {
    if (s.distribution && s.distribution.kind !== 'local') wanted.push({ relation: qualified(s.schema, s.name), distribution: s.distribution });
  }
  for (const node of compiled.nodes.values()) {
    const d = node.distribution;
    if (d && d.kind !== 'local' && durable.includes(node.config.materialized)) wanted.push({ relation: relationOf(node), distribution: d });
  }
  if (!wanted.length) return;
  const unplaced = await sql.unsafe(statement('run/unplaced', {}, 'citus'), [wanted.map((w) => w.relation)]);
  for (const { index, partitioned } of unplaced) {
    const { relation, distribution } = wanted[Number(index)];
    await sql.unsafe(statement('run/place-table', { relation, partitioned,
      reference: distribution.kind === 'reference', column: distribution.kind === 'hash' ? distribution.column : undefined }, 'citus'));
    logger.info(`placed ${relation} on the workers: ${distribution.kind === 'hash' ? `distributed by ${distribution.column}` : 'a reference table'}`);
  }
}
