alter table {{relation}} attach partition {{part}} for values in ({{batch_id}})
