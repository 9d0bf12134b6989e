{{!-- Rows where the column is NULL. When the column is declared NOT NULL the database has already
      checked: the one-time filter skips the scan.
      With scope, only the rows the run's merge wrote (see README, "Data tests"). --}}
select * from {{relation}}
where {{column}} is null
  and not exists (
    select 1 from pg_attribute as a
    where a.attrelid = {{literal relation}}::regclass and a.attname = {{literal column_name}} and a.attnotnull
  )
{{#if scope}}
  and {{> _changed}}
{{/if}}
