-- The layers of the warehouse. Raw keeps every landed record as text; staging types and validates;
-- analytics holds the star schema.
create schema if not exists raw;
create schema if not exists staging;
create schema if not exists analytics;
create extension if not exists btree_gist;
