{{!-- the new table takes the seed's name; with `drop`, the old table goes first (nothing depends on it) --}}
{{#if drop}}drop table {{target}};{{/if}}
alter table {{temp}} rename to {{ident name}}
