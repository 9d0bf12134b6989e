-- What lets a run leave a node alone when nothing it reads changed: the last run in which the node's
-- rows changed (NULL: not known, taken as its last success), and the definition it was built from.
alter table meta.node_state add column if not exists changed_run_id bigint;
alter table meta.node_state add column if not exists definition text;
