{{!-- $1: the run, $2: each test's outcome as one JSON array --}}
insert into meta.test_state (test, model, status, run_id, scope, failing)
select test, model, status, $1, scope, failing from jsonb_to_recordset($2::jsonb)
  as x(test text, model text, status text, scope text, failing text[])
on conflict (test) do update set model = excluded.model, status = excluded.status, run_id = excluded.run_id,
  scope = excluded.scope, failing = excluded.failing, updated_at = now()
