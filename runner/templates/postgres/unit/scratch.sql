{{!-- the stand-ins of a unit-test session for the runner's bookkeeping, shaped as the real tables: a
      test's builds record their snapshot changes (and reject records) here, never in meta or staging --}}
create temporary table if not exists snapshot_changes (like meta.snapshot_changes);
--;
create temporary table if not exists key_removals (like meta.key_removals);
{{#if rejects}}
--;
create temporary table if not exists rejected_rows (like staging.rejected_rows including defaults);
{{/if}}
