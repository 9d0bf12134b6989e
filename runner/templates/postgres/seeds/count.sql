select count(*)::text as rows from {{temp}}
