{{ config(materialized='view') }}
select order_id, customer_id, amount_cents, status, cast(ordered_at as date) as ordered_at
from {{ ref('raw_orders') }}
