{{ config(materialized='table') }}
select
    o.order_id,
    o.customer_id,
    c.name as customer_name,
{% if var('phase') | int >= 2 %}
    cast(o.amount_cents as bigint) as amount_cents,
    o.amount_cents / 100.0 as amount,
{% else %}
    o.amount_cents,
{% endif %}
{% if var('phase') | int == 3 %}
    'lost' as status
{% else %}
    o.status
{% endif %}
from {{ ref('stg_orders') }} o
join {{ ref('raw_customers') }} c on c.customer_id = o.customer_id
