import { citusSuite, suiteClusterWarehouse } from '../support/citus.js';
import { scd2Property } from '../support/scd2-property.js';
import { suiteLandingDirs } from '../support/warehouse.js';

/**
 * DESIGN.md §5 rule 6 as a property (see tests/support/scd2-property.ts) on the Citus cluster, with
 * fewer runs than on PostgreSQL: each batch there is a distributed snapshot run.
 */
describe('citus: dim_customer property, incremental equals a load of everything (fast-check)', function () {
  citusSuite(this);
  this.timeout(900_000);
  const landingDir = suiteLandingDirs();
  const warehouse = suiteClusterWarehouse();
  scd2Property(() => warehouse.db, landingDir, Number(process.env.CITUS_SCD2_PROPERTY_RUNS ?? 10));
});
