/** Small projects that suites of several kinds build or compile. */

/** Three models and a macro: a source, a table with a macro, an incremental model that refs another in its incremental branch. */
export const renderCacheProject: Record<string, string> = {
  'models/sources.yml': 'sources:\n  - name: raw\n    tables:\n      - name: sales\n        columns: [id, amount]\n',
  'models/a.sql': '{{config materialized="table" tags="x, y" unknown_key=1}}\nselect {{money "amount"}} as amount from {{source "raw" "sales"}}',
  'models/b.sql': '{{config materialized="incremental" unique_key="id"}}\nselect * from {{ref "a"}}\n{{#if is_incremental}}where id > (select max(id) from {{ref "c"}}){{/if}}',
  'models/c.sql': 'select 1 as id',
  'macros/money.sql': '({{args.[0]}})::numeric(12,2)',
};

/**
 *   stg_a (daily) ─┐
 *                  ├─ int_ab ── fact (daily, finance) ── report
 *   stg_b ─────────┘
 *   lonely (weekly)
 */
export const dagFiles: Record<string, string> = {
  'models/staging/stg_a.sql': '{{config tags="daily"}}\nselect 1 as id',
  'models/staging/stg_b.sql': 'select 1 as id',
  'models/marts/int_ab.sql': 'select a.id from {{ref "stg_a"}} as a inner join {{ref "stg_b"}} as b on b.id = a.id',
  'models/marts/fact.sql': '{{config tags="daily finance"}}\nselect id from {{ref "int_ab"}}',
  'models/marts/report.sql': '{{config materialized="view"}}\nselect count(*) as n from {{ref "fact"}}',
  'models/marts/lonely.sql': '{{config tags="weekly"}}\nselect 1 as id',
  // singular tests: pass when they return no rows
  'models/tests/fact_has_ids.sql': 'select id from {{ref "fact"}} where id is null',
  'models/tests/lonely_matches_a.sql': 'select l.id from {{ref "lonely"}} as l left join {{ref "stg_a"}} as a on a.id = l.id where a.id is null',
};
