{{config materialized="incremental" distributed_by="customer_id" unique_key="customer_id, updated_at" reject_column="_reject_reason" reject_source="customers_updates"
         indexes="_batch_id"}}
{{!-- One row per customer and updated_at: each is an event in the customer's history. --}}
{{> customer_events source_table="customers_updates" time_column="updated_at"}}
