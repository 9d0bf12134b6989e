-- Each seed file's content when it was last loaded: an unchanged seed is left alone.
create table if not exists meta.seeds (
  name      text primary key,
  sha256    text not null,
  rows      bigint,
  loaded_at timestamptz not null default now()
);
-- The digest of each project migrations folder last applied: an unchanged folder needs no
-- @databases/pg-migrations connection at all.
create table if not exists meta.migrations_digest (
  dir        text primary key,
  digest     text not null,
  applied_at timestamptz not null default now()
);
