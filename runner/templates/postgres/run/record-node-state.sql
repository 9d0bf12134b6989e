{{!-- the node's watermark and whether its rows changed (`changed`), written in the transaction that makes
      its changes visible --}}
insert into meta.node_state (node, run_id, changed_run_id, definition)
values ({{literal node}}, {{run_id}}, {{#if changed}}{{run_id}}{{else}}null{{/if}}, {{literal definition}})
on conflict (node) do update set run_id = excluded.run_id, definition = excluded.definition,
  changed_run_id = coalesce(excluded.changed_run_id, meta.node_state.changed_run_id), updated_at = now()
