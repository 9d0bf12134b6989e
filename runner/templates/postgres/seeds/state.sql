{{!-- a seed's last load ($1: its name) and whether its table ($2) is there --}}
select (select sha256 from meta.seeds where name = $1) as sha256,
       (select rows::text from meta.seeds where name = $1) as rows,
       to_regclass($2) is not null as exists
