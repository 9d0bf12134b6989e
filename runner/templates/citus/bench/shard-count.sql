{{!-- the shards of each table the runner distributes in database `name` from now on --}}
alter database {{ident name}} set citus.shard_count = {{shards}}
