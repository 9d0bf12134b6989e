{{!-- what `psql \copy` loads into in the ingest case: the raw sales table's columns, text as the runner
      lands them, with its bookkeeping columns filled by defaults --}}
create table public.sales (
  sale_id text, customer_id text, product_id text, store_id text, sale_timestamp text, quantity text, revenue text,
  _file text default 'sales.csv', _line bigint, _batch_id bigint default 1, _loaded_at timestamptz default now()
)
