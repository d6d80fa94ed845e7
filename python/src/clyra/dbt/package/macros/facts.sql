{#- Facts for Clyra's evidence, logged as one JSON line `CLYRA_FACTS {...}` at the end of a run.
    Never row data: relation names, column names and types, the WAL position, history versions. -#}

{% macro log_facts(results) %}
  {%- if execute and var('clyra_facts', true) -%}
    {%- set facts = {"clyra_facts": 0, "invocation_id": invocation_id, "adapter": target.type,
                     "target": target.name, "results": [], "columns": []} -%}
    {%- set schemas = [] -%}
    {%- set relations = [] -%}
    {%- for r in results -%}
      {%- set status = r.status | string | lower -%}
      {%- do facts.results.append({"id": r.node.unique_id, "status": status}) -%}
      {%- if r.node.resource_type in ("model", "seed", "snapshot") and status == "success" -%}
        {%- if (r.node.database, r.node.schema) not in schemas -%}
          {%- do schemas.append((r.node.database, r.node.schema)) -%}
        {%- endif -%}
        {%- do relations.append(r.node) -%}
      {%- endif -%}
    {%- endfor -%}
    {%- for pair in schemas -%}
      {%- do facts.columns.extend(clyra.columns_of(pair[0], pair[1])) -%}
    {%- endfor -%}
    {%- if target.type == "postgres" -%}
      {%- do facts.update(clyra.postgres_position()) -%}
    {%- elif target.type == "databricks" -%}
      {%- do facts.update({"history": clyra.delta_history(relations)}) -%}
    {%- endif -%}
    {%- do log("CLYRA_FACTS " ~ tojson(facts), info=False) -%}
  {%- endif -%}
{% endmacro %}

{#- Rows [catalog, schema, table, column, type, nullable] of one schema, from information_schema. -#}
{% macro columns_of(database, schema) %}
  {{ return(adapter.dispatch("columns_of", "clyra")(database, schema)) }}
{% endmacro %}

{% macro default__columns_of(database, schema) %}
  {%- set sql -%}
    select table_catalog, table_schema, table_name, column_name, data_type, is_nullable
    from information_schema.columns
    where table_catalog = '{{ database }}' and table_schema = '{{ schema }}'
    order by table_name, ordinal_position
  {%- endset -%}
  {%- set rows = [] -%}
  {%- for row in run_query(sql).rows -%}
    {%- do rows.append([row[0], row[1], row[2], row[3], row[4], row[5]] | map("string") | list) -%}
  {%- endfor -%}
  {{ return(rows) }}
{% endmacro %}

{#- DuckDB and PostgreSQL aggregate the rows into one JSON text in the warehouse: building an agate
    table of thousands of rows and looping over it in Jinja cost ~100 ms per 2,000 columns. -#}
{% macro duckdb__columns_of(database, schema) %}
  {%- set sql -%}
    select coalesce(to_json(list([table_catalog, table_schema, table_name, column_name, data_type, is_nullable]
                                 order by table_name, ordinal_position))::varchar, '[]')
    from information_schema.columns
    where table_catalog = '{{ database }}' and table_schema = '{{ schema }}'
  {%- endset -%}
  {{ return(fromjson(run_query(sql).rows[0][0])) }}
{% endmacro %}

{% macro postgres__columns_of(database, schema) %}
  {%- set sql -%}
    select coalesce(json_agg(json_build_array(table_catalog, table_schema, table_name, column_name, data_type, is_nullable)
                             order by table_name, ordinal_position)::text, '[]')
    from information_schema.columns
    where table_catalog = '{{ database }}' and table_schema = '{{ schema }}'
  {%- endset -%}
  {{ return(fromjson(run_query(sql).rows[0][0])) }}
{% endmacro %}

{% macro snowflake__columns_of(database, schema) %}
  {%- set sql -%}
    select table_catalog, table_schema, table_name, column_name, data_type, is_nullable
    from {{ database }}.information_schema.columns
    where table_schema = '{{ schema | upper }}'
    order by table_name, ordinal_position
  {%- endset -%}
  {%- set rows = [] -%}
  {%- for row in run_query(sql).rows -%}
    {%- do rows.append([row[0], row[1], row[2], row[3], row[4], row[5]] | map("string") | list) -%}
  {%- endfor -%}
  {{ return(rows) }}
{% endmacro %}

{#- PostgreSQL: the WAL position after the run's commits and the isolation level, on the run's
    own connection (def-v0.md §4.4). On a standby pg_current_wal_lsn() fails: no anchor then. -#}
{% macro postgres_position() %}
  {%- set sql -%}
    select case when pg_is_in_recovery() then null else pg_current_wal_lsn()::text end,
           current_setting('transaction_isolation')
  {%- endset -%}
  {%- set row = run_query(sql).rows[0] -%}
  {%- if row[0] is none -%}
    {{ return({}) }}
  {%- endif -%}
  {{ return({"wal_lsn": row[0] | string, "isolation_level": row[1] | string}) }}
{% endmacro %}

{#- Databricks: the newest DESCRIBE HISTORY rows of each changed Delta table; Clyra picks the row
    committed inside the model's own execute window (def-v0.md §4.3). -#}
{% macro delta_history(relations) %}
  {%- set history = {} -%}
  {%- for node in relations -%}
    {%- set key = (node.database ~ "." ~ node.schema ~ "." ~ (node.alias or node.name)) | lower -%}
    {%- set rows = [] -%}
    {%- for row in run_query("describe history " ~ node.relation_name ~ " limit 10").rows -%}
      {%- do rows.append({"version": row["version"] | int, "timestamp": row["timestamp"] | string,
                          "operation": row["operation"] | string}) -%}
    {%- endfor -%}
    {%- do history.update({key: rows}) -%}
  {%- endfor -%}
  {{ return(history) }}
{% endmacro %}
