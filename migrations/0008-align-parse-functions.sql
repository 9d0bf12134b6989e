-- One definition of a valid value. Staging casts a batch directly first (the macros' fast form) and
-- parses it with these functions only when a direct cast raised on some value of the batch. So that a
-- record's fate never depends on the other records of its batch, each function accepts exactly the texts
-- that the direct cast reads without raising, and gives the same value: ids up to bigint's limit (19
-- digits), quantities up to int's (10), money with any number of leading zeros, timestamps with any
-- number of fractional digits (rounded to microseconds, as the cast does). Texts arrive trimmed (the
-- `trimmed` macro). Character classes are spelt out: `\d` follows the locale.

create or replace function staging.parse_positive_bigint(value text) returns bigint
language sql immutable parallel safe as $$
  select case when value ~ '^[+]?0*[1-9][0-9]{0,18}$'
               and (length(ltrim(ltrim(value, '+'), '0')) < 19
                    or ltrim(ltrim(value, '+'), '0') collate "C" <= '9223372036854775807')
              then value::bigint end
$$;

create or replace function staging.parse_positive_int(value text) returns int
language sql immutable parallel safe as $$
  select case when value ~ '^[+]?0*[1-9][0-9]{0,9}$'
               and (length(ltrim(ltrim(value, '+'), '0')) < 10
                    or ltrim(ltrim(value, '+'), '0') collate "C" <= '2147483647')
              then value::int end
$$;

-- plain notation only (no exponent, no thousands separators), at most two decimal places that are not
-- zeros (12.340 is exact, 12.345 would need rounding), within numeric(12,2)
create or replace function staging.parse_money(value text) returns numeric(12, 2)
language sql immutable parallel safe as $$
  select case when value ~ '^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$'
               and abs(value::numeric) < 9999999999.995
               and value::numeric = round(value::numeric, 2) then value::numeric(12, 2) end
$$;

-- ISO 8601: date, optional time ('T' or space), optional fraction, optional offset (Z, +hh, +hhmm,
-- +hh:mm), converted to UTC when given. Impossible dates (2025-02-30) and times (25:00) are NULL.
create or replace function staging.parse_iso_timestamp(value text) returns timestamp
language sql stable parallel safe as $$
  select case
    when value is null
      or value !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}([Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?([Zz]|[+-](0[0-9]|1[0-4])(:?[0-5][0-9])?)?)?$' then null
    when substr(value, 1, 4)::int = 0 or substr(value, 6, 2)::int not between 1 and 12 then null
    when substr(value, 9, 2)::int not between 1 and case
        when substr(value, 6, 2)::int in (4, 6, 9, 11) then 30
        when substr(value, 6, 2)::int <> 2 then 31
        when substr(value, 1, 4)::int % 400 = 0 or (substr(value, 1, 4)::int % 4 = 0 and substr(value, 1, 4)::int % 100 <> 0) then 29
        else 28 end then null
    when length(value) > 10 and (substr(value, 12, 2)::int > 23 or substr(value, 15, 2)::int > 59) then null
    when length(value) > 16 and substr(value, 17, 1) = ':' and substr(value, 18, 2)::int > 59 then null
    when length(value) > 10 and value ~ '([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)$' then (value::timestamptz at time zone 'UTC')
    else value::timestamp
  end
$$;

-- Case folding that gives the same result on every database, whatever its LC_CTYPE: lower() follows the
-- database's locale (with LC_CTYPE C it leaves É alone). ICU's root locale where the server has ICU,
-- else glibc's C.UTF-8; a server with neither folds by its own locale, and says so.
do $$
declare
  folding text := (select collname from pg_collation
                      where collname in ('und-x-icu', 'C.utf8', 'C.UTF-8')
                        and collencoding in (-1, pg_char_to_encoding(getdatabaseencoding()))
                      order by collname = 'und-x-icu' desc, collname limit 1);
begin
  if folding is null then
    raise warning 'no ICU or C.UTF-8 collation on this server: staging.fold_case follows the database''s locale';
    create or replace function staging.fold_case(value text) returns text
    language sql immutable parallel safe as $f$ select lower(value) $f$;
  else
    execute format('create or replace function staging.fold_case(value text) returns text
      language sql immutable parallel safe as $f$ select lower(value collate %I) $f$', folding);
  end if;
end
$$;
