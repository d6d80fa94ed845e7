{{ config(materialized='view', enabled=(var('phase') | int == 4)) }}
{{ clyra.require_approval('orders-v2') }}
select order_id, status from {{ ref('orders') }}
