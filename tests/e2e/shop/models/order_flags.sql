{{ config(materialized='table', post_hook="update {{ this }} set reviewed = true") }}
select order_id, false as reviewed from {{ ref('stg_orders') }}
