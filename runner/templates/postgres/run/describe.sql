{{!-- the columns of a model's SELECT, without running it --}}
select * from (
{{sql}}
) as described limit 0
