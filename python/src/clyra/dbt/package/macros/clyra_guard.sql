{#- Guards for risky SQL in models and hooks. -#}

{#- A MERGE that can only update and insert: no `WHEN NOT MATCHED BY SOURCE THEN DELETE`, no
    `ON FALSE`; the key columns are required and the update never rewrites them.
    Example: post_hook="{{ clyra.safe_merge(this, ref('stg_orders'), ['order_id'], ['status']) }}" -#}
{% macro safe_merge(target_relation, source_relation, unique_key, update_columns) %}
  {%- if unique_key is string -%}{%- set unique_key = [unique_key] -%}{%- endif -%}
  {%- if not unique_key -%}
    {{ exceptions.raise_compiler_error("clyra.safe_merge: `unique_key` is empty; a MERGE without a key rewrites every row. Give the key column(s).") }}
  {%- endif -%}
  {%- for c in update_columns -%}
    {%- if c in unique_key -%}
      {{ exceptions.raise_compiler_error("clyra.safe_merge: column `" ~ c ~ "` is part of the key and cannot be updated. Remove it from update_columns.") }}
    {%- endif -%}
  {%- endfor -%}
  {%- set columns = unique_key + update_columns -%}
merge into {{ target_relation }} as clyra_t
using {{ source_relation }} as clyra_s
on {% for k in unique_key %}clyra_t.{{ k }} = clyra_s.{{ k }}{% if not loop.last %} and {% endif %}{% endfor %}
when matched then update set {% for c in update_columns %}{{ c }} = clyra_s.{{ c }}{% if not loop.last %}, {% endif %}{% endfor %}
when not matched then insert ({{ columns | join(", ") }}) values ({% for c in columns %}clyra_s.{{ c }}{% if not loop.last %}, {% endif %}{% endfor %})
{% endmacro %}

{#- Fails compilation unless `clyra dbt build` verified a signed approval for `change_id` and set
    the var `clyra_approved` to the ids it covers. Plain `dbt build` can never pass it. While
    `clyra dbt plan` compiles (var `clyra_plan`) nothing runs and the gate decides instead. -#}
{% macro require_approval(change_id) %}
  {%- if execute and not var("clyra_plan", false) -%}
    {%- set approved = var("clyra_approved", "") | string -%}
    {%- if change_id not in approved.split(",") -%}
      {{ exceptions.raise_compiler_error("clyra.require_approval: change `" ~ change_id ~ "` needs a signed approval. Run it with `clyra dbt build --approval FILE=NONCE --approver-key PEM -- ...`.") }}
    {%- endif -%}
  {%- endif -%}
{% endmacro %}
