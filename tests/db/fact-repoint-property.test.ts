import { factRepointProperty } from '../support/fact-repoint-property.js';
import { suiteLandingDirs, suiteWarehouse } from '../support/warehouse.js';

/** The fact re-points exactly the sales whose version changed, and only from when it changed (fast-check). */
describe('fact_sales property: after every incremental run each sale points to its version (fast-check)', function () {
  this.timeout(900_000);
  const landingDir = suiteLandingDirs();
  const warehouse = suiteWarehouse();
  factRepointProperty(() => warehouse.db, landingDir, Number(process.env.FACT_PROPERTY_RUNS ?? 40));
});
