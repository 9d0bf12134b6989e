-- The last outcome of each data test: a test that passed may next check only the rows a run wrote.
create table if not exists meta.test_state (
  test        text primary key,
  model       text not null,
  status      text not null,
  run_id      bigint not null,
  scope       text not null,
  -- relationships: the failing values (as text); NULL when not known (too many, or another kind failing)
  failing     text[],
  updated_at  timestamptz not null default now()
);
-- What each build of a relation that relationships tests point at did to the referenced columns:
-- removed = how many values it took away (NULL: unknown). Written in the build's own transaction.
create table if not exists meta.key_removals (
  node        text not null,
  run_id      bigint not null,
  field       text not null,
  removed     bigint,
  primary key (node, run_id, field)
);
