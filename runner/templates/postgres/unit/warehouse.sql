{{!-- what a unit-test session needs to know of the warehouse: whether staging.rejected_rows exists (its
      stand-in is shaped like it) --}}
select to_regclass('staging.rejected_rows') is not null as rejects
