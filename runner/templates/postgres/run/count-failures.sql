{{!-- how many rows a data test's query returns, and (relationships: `keep`) up to keep of its values --}}
select count(*)::int as failures{{#if keep}}, (array_agg(value::text))[1:{{keep}}] as failing{{/if}}
from (
{{sql}}
) as test
