{{!-- Rows where the column is NULL. --}}
select * from {{relation}} where {{column}} is null
