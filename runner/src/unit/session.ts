import type { CompiledProject } from '../compile/compile.js';
import type { Sql } from '../db/connection.js';
import type { TemplateSet } from '../sql/templates.js';
import type { Shapes } from './shapes.js';

/** What the tests of one run share: a session of their own, and the column types worked out so far. */
export interface UnitSession {
  conn: Sql;
  compiled: CompiledProject;
  shapes: Shapes;
  materializations: TemplateSet;
  /** The session has a stand-in for staging.rejected_rows (the warehouse has the table). */
  rejects: boolean;
}

/** Sessions the unit tests share out: a test is mostly small statements, so two keep both cores busy. */
export const unitTestSessions = 2;
