{{!-- $1: the seed, $2: the sha256 of its file, $3: its rows --}}
insert into meta.seeds (name, sha256, rows) values ($1, $2, $3)
on conflict (name) do update set sha256 = excluded.sha256, rows = excluded.rows, loaded_at = now()
