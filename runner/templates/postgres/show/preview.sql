{{!-- the first rows of a model's (or any read-only) query --}}
select * from (
{{sql}}
) as "show" limit {{limit}}
