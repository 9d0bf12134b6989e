alter table {{relation}} add column if not exists {{ident column}} text
