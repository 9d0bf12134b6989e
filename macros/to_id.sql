{{!-- to_id: an id column as bigint (> 0), NULL when it is not one. The fast form casts directly, once
      (greatest/nullif turn 0 and negatives into NULL), and lets a bad value raise, which makes the
      runner rebuild the model with safe=true (per-row parsing). --}}{{#if safe}}staging.parse_positive_bigint(btrim({{column}}, E' \t\r\n')){{else}}nullif(greatest(nullif(btrim({{column}}, E' \t\r\n'), '')::bigint, 0), 0){{/if}}
