{{!-- $1: the project's migrations folder, $2: the digest of its files --}}
insert into meta.migrations_digest (dir, digest) values ($1, $2)
on conflict (dir) do update set digest = excluded.digest, applied_at = now()
