{{!-- to_timestamp: an ISO 8601 text as timestamp (offsets converted to UTC), NULL when it is not one.
      The fast form casts the common shape (yyyy-mm-dd hh:mm:ss, space or T, digits where digits belong)
      directly and parses every other text with staging.parse_iso_timestamp; an impossible date or minute
      raises, and the runner builds again with safe=true (see to_id). --}}{{#if safe}}staging.parse_iso_timestamp({{trimmed column=column}}){{else}}(case when translate({{column}}, '0123456789', '0000000000') in ('0000-00-00 00:00:00', '0000-00-00T00:00:00') and substr({{column}}, 12, 2) < '24' and substr({{column}}, 18, 2) < '60' then {{column}}::timestamp else staging.parse_iso_timestamp({{trimmed column=column}}) end){{/if}}
