{{config materialized="incremental" distributed_by="customer_id" unique_key="customer_id, created_at" reject_column="_reject_reason" reject_source="customers"
         indexes="_batch_id"}}
{{!-- One row per customer and created_at: each is an event in the customer's history. --}}
{{> customer_events source_table="customers" time_column="created_at"}}
