{{!-- fold_case: `column` in lower case by Unicode's rules, whatever the database's locale (JOSÉ and josé
      fold alike also where LC_CTYPE is C); staging.fold_case comes from migration 0008. --}}staging.fold_case({{column}})
