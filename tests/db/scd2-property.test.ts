import { scd2Property } from '../support/scd2-property.js';
import { suiteWarehouse, suiteLandingDirs } from '../support/warehouse.js';

/** DESIGN.md §5 rule 6 as a property (see tests/support/scd2-property.ts), on PostgreSQL. */
describe('dim_customer property: incremental equals a load of everything (fast-check)', function () {
  this.timeout(900_000);
  const landingDir = suiteLandingDirs();
  const warehouse = suiteWarehouse();
  scd2Property(() => warehouse.db, landingDir, Number(process.env.SCD2_PROPERTY_RUNS ?? 200));
});
