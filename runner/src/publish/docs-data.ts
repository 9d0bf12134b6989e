import type { NodeResult, RunSummary } from '../run/context.js';

/** What the docs site shows, as the page's script reads it. */
export interface DocColumn { name: string; type?: string; description?: string; tests: string[] }
export interface DocTest { name: string; kind: string; column?: string; severity: string; sql?: string; result?: NodeResult }
/** A model's unit test as the page lists it: what it checks, what it gives, how many runs. */
export interface DocUnitTest { name: string; description?: string; file: string; inputs: string[]; steps: number; result?: NodeResult }
export interface DocNode {
  /** `model/<name>` or `source/<source>.<table>`: also its address, `#/<id>`. */
  id: string;
  kind: 'model' | 'source';
  name: string;
  materialized: string;
  layer: number;
  relation: string | null;
  /** The rows its table holds, counted when the docs were written (a table with a database only). */
  row_count?: number;
  path?: string;
  description?: string;
  columns: DocColumn[];
  config?: Record<string, unknown>;
  tests: DocTest[];
  unit_tests?: DocUnitTest[];
  sql?: string;
  upstream: string[];
  downstream: string[];
  last?: NodeResult;
}
export interface DocsData { project: string; generated_at: string; nodes: DocNode[]; run: Omit<RunSummary, 'results'> | null; results: NodeResult[] }
