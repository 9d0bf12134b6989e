{{!-- the node's watermark, written in the transaction that makes its changes visible --}}
insert into meta.node_state (node, run_id) values ({{literal node}}, {{run_id}})
on conflict (node) do update set run_id = excluded.run_id, updated_at = now()
