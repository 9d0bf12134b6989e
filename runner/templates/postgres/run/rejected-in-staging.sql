{{!-- records that failed validation in the staging models of the run that started at $1 --}}
select count(*)::int as n from staging.rejected_rows where stage = 'staging' and rejected_at >= $1
