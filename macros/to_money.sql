{{!-- to_money: an exact decimal as numeric(12,2), never a float; NULL when it is not one or would need
      rounding (more than two non-zero decimal places). The fast form admits only digits, a point and a
      sign (no exponents, no NaN) with at most two decimals once trailing zeros go, checked on the text,
      then casts once; see to_id for the two forms. The outer cast keeps the column's type numeric(12,2)
      (a CASE or a function result loses the precision and scale). --}}{{#if safe}}staging.parse_money({{trimmed column=column}})::numeric(12, 2){{else}}(case when translate({{trimmed column=column}}, '0123456789.+-', '') = ''
  and length(rtrim(split_part({{trimmed column=column}}, '.', 2), '0')) <= 2
  then nullif({{trimmed column=column}}, '')::numeric(12, 2) end)::numeric(12, 2){{/if}}
