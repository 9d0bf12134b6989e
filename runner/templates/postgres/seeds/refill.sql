{{!-- views depend on the seed's table: it is refilled in place, so they keep working --}}
truncate {{target}};
insert into {{target}} select * from {{temp}};
drop table {{temp}}
