import { projectError } from '../errors.js';

/**
 * Where a table's rows live on Citus: hash-distributed on a column (co-located with the other tables
 * distributed on a column of that type), a reference table (a copy on every node), or a plain table on
 * the coordinator. On plain PostgreSQL every table is local and this is ignored.
 */
export type Distribution = { kind: 'hash'; column: string } | { kind: 'reference' } | { kind: 'local' };

const kinds = ['reference', 'local'];

/**
 * The distribution that `distributed_by="column"` or `distribution="reference|local"` ask for, from
 * configuration layers outermost first (folder defaults, YAML properties, the model's config): the last
 * layer that says either wins, so a model can leave its folder's default. Undefined when none does.
 */
export function distributionOf(layers: (Record<string, unknown> | undefined)[], where: string): Distribution | undefined {
  let out: Distribution | undefined;
  for (const layer of layers) {
    if (!layer) continue;
    const by = layer.distributed_by;
    const kind = layer.distribution;
    if (by !== undefined && by !== null && by !== '') {
      if (kind !== undefined && kind !== 'hash') {
        throw projectError(`${where} sets both distributed_by="${by}" and distribution="${kind}"; keep one`);
      }
      if (typeof by !== 'string' || by.includes(',')) {
        throw projectError(`${where}: distributed_by names one column, like distributed_by="customer_id" (got ${JSON.stringify(by)})`);
      }
      out = { kind: 'hash', column: by.trim() };
    } else if (kind !== undefined && kind !== null && kind !== '') {
      if (!kinds.includes(String(kind))) {
        throw projectError(`${where}: distribution must be "reference" or "local" (or use distributed_by="<column>"), not "${kind}"`);
      }
      out = { kind: kind as 'reference' | 'local' };
    }
  }
  return out;
}
