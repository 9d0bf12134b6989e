{{!-- to_money: an exact decimal as numeric(12,2), never a float; NULL when it is not one or would need
      rounding (more than two non-zero decimal places). The fast form admits only digits, a point and a
      sign (no exponents, no NaN) with at most two decimals once trailing zeros go, checked on the text,
      then casts once; see to_id. The outer cast keeps the column's type numeric(12,2) (a CASE or a
      function result loses the precision and scale). --}}{{#if safe}}staging.parse_money(btrim({{column}}, E' \t\r\n'))::numeric(12, 2){{else}}(case when translate(btrim({{column}}, E' \t\r\n'), '0123456789.+-', '') = ''
  and length(rtrim(split_part(btrim({{column}}, E' \t\r\n'), '.', 2), '0')) <= 2
  then nullif(btrim({{column}}, E' \t\r\n'), '')::numeric(12, 2) end)::numeric(12, 2){{/if}}
