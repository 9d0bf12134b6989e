select now()::text as at
