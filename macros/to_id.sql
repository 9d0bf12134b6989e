{{!-- to_id: an id column as bigint (> 0), NULL when it is not one. The fast form casts directly
      (greatest/nullif turn 0 and negatives into NULL) and raises on a text the cast can't read, which makes
      the runner build the model again with safe=true; staging.parse_positive_bigint accepts exactly the
      texts the cast reads, with the same values (a property test holds the two alike). --}}{{#if safe}}staging.parse_positive_bigint({{trimmed column=column}}){{else}}nullif(greatest(nullif({{trimmed column=column}}, '')::bigint, 0), 0){{/if}}
