import type { Sql, Tx } from '../db/connection.js';
import { statement } from '../sql/statements.js';
import type { FilePlan } from './plan.js';
import type { RejectBuffer } from './rejects.js';

/** What a loaded file's record says. */
export interface Landed {
  batchId: number;
  sha256: string;
  counts: { rows: number; rejected: number };
  rejects: RejectBuffer;
  runId: number;
}

/** After the COPY: write the rejects and the file's record. */
export async function finish(tx: Tx, plan: FilePlan, landed: Landed): Promise<void> {
  await landed.rejects.write(tx as unknown as Sql);
  await tx.unsafe(statement('ingest/record-file'), [landed.batchId, plan.file.table.name, plan.file.relPath, landed.sha256,
    plan.bytes, landed.counts.rows, landed.counts.rejected, landed.runId || null, plan.mtimeNs ?? null]);
}
