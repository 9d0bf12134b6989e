{{!-- check: CASE branches giving the reason a record fails when `raw` holds a value that `typed` could
      not parse (or, with required=true, holds none); valid rows pass with one cheap NULL test each. --}}
{{#if required}}when {{typed}} is null and {{clean_text column=raw}} is null then '{{name}} is missing'
{{/if}}when {{typed}} is null and {{clean_text column=raw}} is not null then '{{name}} is not {{expected}}: ' || left({{raw}}, 100)
