-- Money must be exact: a value with more than two decimal places that are not zeros (12.345) is
-- rejected rather than rounded, since rounding would change the amount the source gave (and rounding
-- rules differ between tools). 12.340 is exact and accepted.
create or replace function staging.parse_money(value text) returns numeric(12, 2)
language sql immutable parallel safe as $$
  select case when value ~ '^[+-]?([0-9]{1,10}(\.[0-9]*)?|\.[0-9]+)$'
               and abs(value::numeric) < 9999999999.995
               and value::numeric = round(value::numeric, 2) then value::numeric(12, 2) end
$$;
