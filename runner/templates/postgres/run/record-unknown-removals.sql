{{!-- a build that no relationships test watched: nobody knows what it removed (see key_removals.sql) --}}
insert into meta.key_removals (node, run_id, field, removed) values ({{literal node}}, {{run_id}}, '', null)
on conflict do nothing
