select reltuples::float8 as known from pg_class where oid = $1::regclass
