-- Raw tables: every source column as text, plus lineage (file, physical start line, batch, load time).
-- Append-only: any later layer can be rebuilt from here with --full-refresh.
create table if not exists raw.customers (
  customer_id text, full_name text, email text, loyalty_tier text, created_at text,
  _file text not null, _line bigint not null, _batch_id bigint not null, _loaded_at timestamptz not null default now()
);
create table if not exists raw.customers_updates (
  customer_id text, full_name text, email text, loyalty_tier text, updated_at text,
  _file text not null, _line bigint not null, _batch_id bigint not null, _loaded_at timestamptz not null default now()
);
create table if not exists raw.products (
  product_id text, product_name text, category text, unit_price text,
  _file text not null, _line bigint not null, _batch_id bigint not null, _loaded_at timestamptz not null default now()
);
create table if not exists raw.stores (
  store_id text, store_name text, region text,
  _file text not null, _line bigint not null, _batch_id bigint not null, _loaded_at timestamptz not null default now()
);
create table if not exists raw.sales (
  sale_id text, customer_id text, product_id text, store_id text, sale_timestamp text, quantity text, revenue text,
  _file text not null, _line bigint not null, _batch_id bigint not null, _loaded_at timestamptz not null default now()
);
create index if not exists customers_batch on raw.customers (_batch_id);
create index if not exists customers_updates_batch on raw.customers_updates (_batch_id);
create index if not exists products_batch on raw.products (_batch_id);
create index if not exists stores_batch on raw.stores (_batch_id);
create index if not exists sales_batch on raw.sales (_batch_id);

-- Records that could not be loaded (ingest: malformed CSV) or typed (staging: failed validation).
create table if not exists staging.rejected_rows (
  source text not null,
  file text not null,
  line bigint,
  reason text not null,
  stage text not null default 'ingest',
  batch_id bigint,
  record text,
  rejected_at timestamptz not null default now()
);
create index if not exists rejected_rows_source on staging.rejected_rows (source, stage);
