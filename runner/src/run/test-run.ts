import { resolveSql } from '../compile/compile.js';
import type { CompiledProject } from '../compile/compile.js';
import type { Database } from '../db/connection.js';
import { statement } from '../sql/statements.js';
import { loadTemplates } from '../sql/templates.js';
import type { RunContext, Written } from './context.js';
import { batchChecks, buildTests, keepValues, type DataTest, type Scope } from './data-tests.js';
import { showRowsCommand } from './hint.js';
import { recordsKeyRemovals } from './materialize.js';

/**
 * Runs the data tests of the planned models that this run built (all planned ones with
 * `everythingBuilt`: `--tests-only`), and records each test's outcome in meta.test_state. Column tests
 * of one model share one scan; a test that may check only the rows this run wrote does (see
 * changedRowScopes).
 */
export async function runDataTests(ctx: RunContext, everythingBuilt = false): Promise<'success' | 'error'> {
  const { db, compiled, planned, opts, runId, results, written } = ctx;
  const built = new Set(everythingBuilt ? planned : results.filter((r) => r.status === 'success').map((r) => r.node));
  const eligible = planned.filter((n) => built.has(n) || compiled.nodes.get(n)!.config.materialized === 'test'
    && compiled.nodes.get(n)!.refs.every((r) => built.has(r) || compiled.nodes.get(r)!.config.materialized === 'ephemeral'
      || !planned.includes(r)));
  const singular = new Map<string, string>();
  for (const n of eligible) {
    const node = compiled.nodes.get(n)!;
    if (node.config.materialized === 'test') singular.set(n, resolveSql(node.rendered, node, compiled.nodes, compiled.sources));
  }
  const { target } = db.target;
  const templates = loadTemplates('tests', opts.projectDir, target);
  // a project's own template for a test kind is honoured as written, one query per test
  const overridden = (kind: string) => templates.fromProject?.has(kind) ?? false;
  let tests = buildTests(eligible, compiled.nodes, templates, singular, overridden);
  // what a failure message shows: the query over every row, which a user can run to see the failures
  const everyRow = new Map(tests.map((t) => [t.name, t.sql]));
  const scopes = opts.fullTests ? new Map<string, Scope>() : await changedRowScopes(db, compiled, tests, written);
  if (scopes.size) tests = buildTests(eligible, compiled.nodes, templates, singular, overridden, (t) => scopes.get(t.name));
  const { batches, rest } = batchChecks(tests, templates);
  let failed = false;
  const outcomes: { test: string; model: string; status: string; scope: string; failing: string[] | null }[] = [];
  const report = (t: DataTest, found: Found, ms: number) => {
    const { failures, failing } = found;
    const status = failures === 0 ? 'pass' : t.severity === 'warn' ? 'warn' : 'fail';
    if (status === 'fail') failed = true;
    const scope = t.scoped ? 'changed rows' : 'all rows';
    const checked = t.scoped ? ` (checked: the rows this run wrote${t.stillFailing ? ' and the values that failed last time' : ''})` : '';
    const message = failures
      ? `${failures} failing ${t.kind === 'relationships' ? 'value' : 'row'}(s)${checked}; to see them: ${showRowsCommand(everyRow.get(t.name) ?? t.sql)}`
      : undefined;
    results.push({ node: t.name, kind: 'test', status, ms, rows: failures, message, scope });
    outcomes.push({ test: t.name, model: t.model, status, scope, failing: failures === 0 ? [] : failing ?? null });
    opts.logger.event({ event: 'test', run_id: runId, node: t.name, status, ms, rows: failures, scope, message });
  };
  const broken = (t: DataTest, e: unknown, ms: number) => {
    failed = true;
    const message = `test "${t.name}" on model "${t.model}" could not run: ${(e as Error).message}`;
    results.push({ node: t.name, kind: 'test', status: 'fail', ms, rows: null, message });
    outcomes.push({ test: t.name, model: t.model, status: 'fail', scope: 'all rows', failing: null });
    opts.logger.event({ event: 'test', run_id: runId, node: t.name, status: 'fail', message });
  };
  // a relationships test on changed rows also asks which of the values it found last time still fail
  const withStillFailing = async (t: DataTest, found: Found): Promise<Found> => {
    if (!t.stillFailing) return found;
    const still = await db.sql.unsafe(t.stillFailing.sql, [t.stillFailing.values]);
    const values = new Set([...(found.failing ?? []), ...still.map((r) => String(r.value))]);
    return found.failing ? { failures: values.size, failing: [...values] } : { failures: found.failures + still.length, failing: null };
  };
  // a test on its own: the tests of no batch, and those of a batch that failed
  const alone = async (t: DataTest) => {
    const t0 = Date.now();
    try {
      const keep = t.kind === 'relationships' && t.check ? keepValues + 1 : undefined;
      const [row] = await db.sql.unsafe(statement('run/count-failures', { sql: t.sql.replace(/;\s*$/, ''), keep }));
      report(t, await withStillFailing(t, foundOf(row.failures, row.failing)), Date.now() - t0);
    } catch (e) {
      broken(t, e, Date.now() - t0);
    }
  };
  const batched = batches.map(async (b) => {
    const t0 = Date.now();
    try {
      const [counts] = await db.sql.unsafe(b.sql);
      await Promise.all(b.tests.map(async (t, i) => {
        const failures = Number(counts[`check_${i}`]);
        try {
          report(t, await withStillFailing(t, foundOf(failures, counts[`failing_${i}`])), Date.now() - t0);
        } catch (e) {
          broken(t, e, Date.now() - t0);
        }
      }));
    } catch {
      // one bad test (a column the model lacks) fails the shared scan: each on its own, only it fails
      await Promise.all(b.tests.map(alone));
    }
  });
  await Promise.all([...batched, ...rest.map(alone)]);
  if (outcomes.length && runId) {
    await db.sql.unsafe(statement('run/record-tests'), [runId, outcomes as never]);
  }
  return failed ? 'error' : 'success';
}

/** A test's failures: how many, and (relationships, when not too many) which values, as text. */
interface Found {
  failures: number;
  failing: string[] | null;
}

/** `values`: the failing values a query returned (relationships); kept when there are not too many. */
const foundOf = (failures: number, values: unknown): Found => ({
  failures,
  failing: failures === 0 ? [] : Array.isArray(values) && failures <= keepValues ? values.map(String) : null,
});

/**
 * The tests that may check only the rows this run wrote, with the keys of those rows. A test qualifies
 * when its model was merged (not rebuilt) in this run, it uses a shipped template, its last outcome is
 * fully known (a pass, or for relationships the failing values themselves) from a run at or after the
 * model's previous build, so every older row was checked, and, for relationships, no build of the parent
 * since then took away a value of the referenced column (meta.key_removals, written in each build's own
 * transaction). Anything else checks every row.
 */
async function changedRowScopes(db: Database, compiled: CompiledProject, tests: DataTest[], written: Written): Promise<Map<string, Scope>> {
  const candidates = tests.filter((t) => written.keys.has(t.model) && (t.kind !== 'relationships' || t.parent
    && recordsKeyRemovals(compiled.nodes.get(t.parent.model)?.config.materialized as string)));
  if (!candidates.length) return new Map();
  const rows = await db.sql.unsafe(statement('run/changed-row-scopes'), [candidates.map((t) => ({
    test: t.name, parent: t.parent?.model ?? null, field: t.parent?.field ?? null,
    relation: t.check?.relation ?? null, column_name: t.check ? t.column : null,
    parent_relation: t.check?.to_relation ?? null,
  })) as never]);
  const byName = new Map(candidates.map((t) => [t.name, t]));
  const scopes = new Map<string, Scope>();
  for (const r of rows) {
    const t = byName.get(r.test)!;
    const previousBuild = written.previous.get(t.model)?.run_id ?? Infinity;
    const failing = r.failing as string[];
    if (failing.length && !r.value_type) continue;
    if (r.parent_kept && Number(r.since) >= previousBuild) {
      scopes.set(t.name, { written: written.keys.get(t.model)!, failing, valueType: r.value_type ?? undefined,
        parentRows: r.parent_rows === null ? undefined : Number(r.parent_rows) });
    }
  }
  return scopes;
}

/** The relations a node reads through its refs, looking through ephemeral models to what they read. */
