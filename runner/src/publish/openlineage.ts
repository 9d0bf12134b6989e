import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * OpenLineage run events (https://openlineage.io/spec), one JSON object per line, appended to a file
 * that a lineage backend (Marquez, a file transport) can pick up. A pipeline run is one job; every
 * node is a job of its own whose run names the pipeline run as its parent.
 */

export type LineageEventType = 'START' | 'COMPLETE' | 'FAIL';

export interface LineageNode {
  name: string;
  /** Relations read, `schema.table` (quoted identifiers are accepted). */
  inputs: string[];
  /** The relation written, `schema.table`; empty for nodes that write nothing. */
  output: string;
  /** Why it failed, for FAIL events. */
  message?: string;
}

export interface LineageOptions {
  /** Dataset namespace: `postgres://host:port` (never with credentials). */
  namespace: string;
  /** Database name; datasets are named `db.schema.table`. */
  db: string;
  /** Job namespace (default `$OPENLINEAGE_NAMESPACE`, else `sales_analytics`). */
  jobNamespace?: string;
  /** Name of the pipeline job (default `pipeline`); node jobs are `<job>.<node>`. */
  job?: string;
  /** Told once when the file cannot be written; lineage never fails a run. */
  warn?: (message: string) => void;
}

export interface LineageEmitter {
  /** False when no file is set: callers may skip working out what to send. */
  enabled: boolean;
  run(event: LineageEventType, runId: number | string, message?: string): void;
  node(event: LineageEventType, runId: number | string, node: LineageNode): void;
}

const producer = 'urn:sales-analytics-data-platform:runner';
const schemaURL = 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent';
const facetSchema = (facet: string, version = '1-0-1') => `https://openlineage.io/spec/facets/${version}/${facet}.json#/$defs/${facet}`;
const urlNamespace = '6ba7b8119dad11d180b400c04fd430c8';
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A name-based UUID (version 5): OpenLineage wants UUID run ids, ours are numbers, and START/COMPLETE must agree. */
export function uuidFor(name: string): string {
  const hash = createHash('sha1').update(Buffer.from(urlNamespace, 'hex')).update(name).digest();
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** `"staging"."stg_sales"` or `staging.stg_sales` → `['staging', 'stg_sales']`. */
export function splitRelation(relation: string): string[] {
  const parts: string[] = [];
  const re = /\s*(?:"((?:[^"]|"")*)"|([^."]+))\s*(?:\.|$)/gy;
  let m: RegExpExecArray | null;
  while (re.lastIndex < relation.length && (m = re.exec(relation))) parts.push(m[1] !== undefined ? m[1].replace(/""/g, '"') : m[2].trim());
  return parts;
}

/** Appends events to `file`; without a file (OPENLINEAGE_FILE unset) every call does nothing. */
export function lineageEmitter(file: string | undefined, opts: LineageOptions): LineageEmitter {
  if (!file) return { enabled: false, run() {}, node() {} };
  const jobNamespace = opts.jobNamespace ?? process.env.OPENLINEAGE_NAMESPACE ?? 'sales_analytics';
  const pipeline = opts.job ?? 'pipeline';
  const runUuid = (runId: number | string) =>
    uuidPattern.test(String(runId)) ? String(runId).toLowerCase() : uuidFor(`${opts.namespace}/${opts.db}#run=${runId}`);
  const dataset = (relation: string) => ({ namespace: opts.namespace, name: [opts.db, ...splitRelation(relation)].join('.') });
  let broken = false;
  let dirMade = false;

  const write = (event: Record<string, unknown>) => {
    if (broken) return;
    try {
      if (!dirMade) {
        mkdirSync(dirname(file), { recursive: true });
        dirMade = true;
      }
      appendFileSync(file, JSON.stringify(event) + '\n');
    } catch (e) {
      broken = true;
      opts.warn?.(`cannot write OpenLineage events to "${file}": ${(e as Error).message}; lineage is off for this run`);
    }
  };
  const jobFacets = (jobType: string) => ({
    jobType: { _producer: producer, _schemaURL: facetSchema('JobTypeJobFacet', '2-0-2'), processingType: 'BATCH', integration: 'SADP', jobType },
  });
  const errorFacet = (event: LineageEventType, message: string | undefined) => event === 'FAIL' && message
    ? { errorMessage: { _producer: producer, _schemaURL: facetSchema('ErrorMessageRunFacet'), message, programmingLanguage: 'SQL' } }
    : {};

  return {
    enabled: true,
    run(event, runId, message) {
      write({
        eventType: event,
        eventTime: new Date().toISOString(),
        run: { runId: runUuid(runId), facets: { ...errorFacet(event, message) } },
        job: { namespace: jobNamespace, name: pipeline, facets: jobFacets('JOB') },
        inputs: [],
        outputs: [],
        producer,
        schemaURL,
      });
    },
    node(event, runId, node) {
      const parent = runUuid(runId);
      write({
        eventType: event,
        eventTime: new Date().toISOString(),
        run: {
          runId: uuidFor(`${parent}/${node.name}`),
          facets: {
            parent: {
              _producer: producer, _schemaURL: facetSchema('ParentRunFacet'),
              run: { runId: parent }, job: { namespace: jobNamespace, name: pipeline },
            },
            ...errorFacet(event, node.message),
          },
        },
        job: { namespace: jobNamespace, name: `${pipeline}.${node.name}`, facets: jobFacets('MODEL') },
        inputs: [...new Map(node.inputs.map(dataset).map((d) => [d.name, d])).values()].sort((a, b) => (a.name < b.name ? -1 : 1)),
        outputs: node.output ? [dataset(node.output)] : [],
        producer,
        schemaURL,
      });
    },
  };
}
