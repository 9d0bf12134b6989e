-- From when each changed key's history differs from what was stored before the run (text, as the key;
-- null: from its beginning). A model reading a snapshot re-points only its rows from then on (changed_since).
alter table meta.snapshot_changes add column if not exists since text;
