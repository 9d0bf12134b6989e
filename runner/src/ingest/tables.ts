import type { Sql, Tx } from '../db/connection.js';
import type { SourceTable } from '../project/sources.js';
import { qualified } from '../sql/quote.js';
import { statement } from '../sql/statements.js';
import type { Target } from '../sql/templates.js';
import type { Distribution } from '../compile/distribution.js';
import { batchSchema, runDdl } from './partitions.js';

/** The raw tables a load writes: which are partitioned, and on Citus how each is placed. */
export interface RawTables {
  partitioned: Set<SourceTable>;
  /** Citus: the distribution of each distributed or reference raw table (its partitions follow it). */
  placement: Map<SourceTable, Distribution>;
}

/**
 * Creates each raw table from its declared columns (partitioned by `_batch_id`, see raw-table.sql; on
 * Citus placed as the source says) and adds columns declared since. A raw table made by an older
 * migration may be a plain table: it keeps loading as one.
 */
export async function ensureTables(sql: Sql, tables: SourceTable[], target: Target = 'postgres'): Promise<RawTables> {
  const names = tables.map((t) => qualified(t.schema, t.name));
  const present = await sql.unsafe(statement('ingest/raw-tables', {}, target), [names, tables.map(batchSchema)]);
  const ddl = present.every((p) => p.rejects) ? [] : [statement('ingest/rejected-rows')];
  const out: RawTables = { partitioned: new Set(), placement: new Map() };
  tables.forEach((t, i) => {
    const relation = names[i];
    const have = present[i];
    const distribution = target === 'citus' ? t.distribution : undefined;
    if (have.kind === null) {
      ddl.push(statement('ingest/raw-table', { relation, schema: t.schema, batch_schema: batchSchema(t), columns: t.columns,
        reference: distribution?.kind === 'reference', dist_column: distribution?.kind === 'hash' ? distribution.column : undefined }, target));
      out.partitioned.add(t);
      if (distribution && distribution.kind !== 'local') out.placement.set(t, distribution);
      return;
    }
    if (have.kind === 'p') out.partitioned.add(t);
    if (have.dist_kind) out.placement.set(t, have.dist_kind === 'hash' ? { kind: 'hash', column: have.dist_column } : { kind: 'reference' });
    const columns = new Set(have.columns as string[]);
    if (!have.batches) ddl.push(statement('run/create-schemas', { schemas: [batchSchema(t)] }));
    for (const column of t.columns) if (!columns.has(column)) ddl.push(statement('ingest/add-raw-column', { relation, column }));
  });
  if (ddl.length) await runDdl(sql, ddl, target === 'citus');
  return out;
}

/** Batch ids only grow (see keep-batch-ids-ahead.sql). */
export async function keepBatchIdsAhead(sql: Sql): Promise<void> {
  await sql.unsafe(statement('ingest/keep-batch-ids-ahead'));
}

export async function nextBatchId(tx: Tx): Promise<number> {
  const [{ id }] = await tx.unsafe(statement('ingest/next-batch-id'));
  return Number(id);
}

/**
 * A plain raw table (made by an older migration) gets fresh statistics when a load grew it by a fifth,
 * so that the staging models' "batches since last time" keep using its _batch_id index; a small batch on
 * top of known statistics needs no new sample. A partitioned one needs none: "batches since" reads just
 * the new partitions.
 */
export async function analyzeGrown(sql: Sql, table: SourceTable, rows: number): Promise<void> {
  const relation = qualified(table.schema, table.name);
  const [{ known }] = await sql.unsafe(statement('ingest/estimated-rows'), [relation]);
  if (known >= 0 && rows > 0.2 * known) await sql.unsafe(statement('ingest/analyze', { relation }));
}

/**
 * Raw tables that were never analyzed get their statistics once the run's models have read them. Ingest
 * leaves a first load alone (on a big file an analyze would double the load's time); without statistics,
 * though, the next incremental run's staging query would read the whole raw table instead of probing its
 * batch index (autovacuum, where it is on, does this later).
 */
export async function analyzeNewRawTables(sql: Sql, sources: SourceTable[]): Promise<void> {
  const rows = await sql.unsafe(statement('ingest/unanalyzed'), [sources.map((s) => qualified(s.schema, s.name))]);
  await Promise.all(rows.map((r) => sql.unsafe(statement('ingest/analyze', { relation: r.name }))));
}
