{{!-- Combinations of the columns (combination_of_columns: [a, b]) held by more than one row, as
      dbt_utils' test of that name. NULLs count as values: two rows (1, NULL) are a duplicate. --}}
select {{join columns ", "}}, count(*) as occurrences
from {{relation}}
group by {{join columns ", "}}
having count(*) > 1
