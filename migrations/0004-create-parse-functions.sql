-- Parsers for staging that never raise: NULL means "not valid". They are plain SQL functions, so the
-- planner inlines them into the staging queries (no per-row function call, no exception block).

-- ISO 8601 timestamp: date, optional time ('T' or space separator), optional fraction, optional
-- offset (Z, +hh, +hhmm, +hh:mm). With an offset the result is converted to UTC; without, it is taken
-- as given. Impossible dates (2025-02-30) and times (25:00) are NULL, not errors. Stable, not
-- immutable: the cast to timestamptz is stable, and the planner inlines only honestly labelled functions.
create or replace function staging.parse_iso_timestamp(value text) returns timestamp
language sql stable parallel safe as $$
  select case
    when value is null
      or value !~* '^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-](0\d|1[0-4])(:?[0-5]\d)?)?)?$' then null
    when substr(value, 1, 4)::int = 0 or substr(value, 6, 2)::int not between 1 and 12 then null
    when substr(value, 9, 2)::int not between 1 and case
        when substr(value, 6, 2)::int in (4, 6, 9, 11) then 30
        when substr(value, 6, 2)::int <> 2 then 31
        when substr(value, 1, 4)::int % 400 = 0 or (substr(value, 1, 4)::int % 4 = 0 and substr(value, 1, 4)::int % 100 <> 0) then 29
        else 28 end then null
    when length(value) > 10 and (substr(value, 12, 2)::int > 23 or substr(value, 15, 2)::int > 59) then null
    when length(value) > 16 and substr(value, 17, 1) = ':' and substr(value, 18, 2)::int > 59 then null
    when length(value) > 10 and value ~* '(Z|[+-]\d{2}(:?\d{2})?)$' then (value::timestamptz at time zone 'UTC')
    else value::timestamp
  end
$$;

-- A whole number > 0 that fits a bigint (ids).
create or replace function staging.parse_positive_bigint(value text) returns bigint
language sql immutable parallel safe as $$
  select case when value ~ '^\+?0*[1-9][0-9]{0,17}$' then value::bigint end
$$;

-- A whole number > 0 that fits an int (quantities).
create or replace function staging.parse_positive_int(value text) returns int
language sql immutable parallel safe as $$
  select case when value ~ '^\+?0*[1-9][0-9]{0,8}$' then value::int end
$$;

-- An exact decimal for numeric(12,2): plain notation only (no exponent, no thousands separators),
-- rounded to cents; NULL when it would not fit.
create or replace function staging.parse_money(value text) returns numeric(12, 2)
language sql immutable parallel safe as $$
  select case when value ~ '^[+-]?([0-9]{1,10}(\.[0-9]*)?|\.[0-9]+)$'
               and abs(value::numeric) < 9999999999.995 then value::numeric(12, 2) end
$$;
