-- connection
select schema_name
    from system.information_schema.schemata
    
    where lower(catalog_name) = '"shop"';

-- connection
select schema_name
    from system.information_schema.schemata
    
    where lower(catalog_name) = '"shop"';

-- connection
select type from duckdb_databases()
        where lower(database_name)='shop'
        and type != 'duckdb';

-- connection
BEGIN;

-- connection
create schema if not exists "shop"."main";

-- connection
COMMIT;

-- connection
select type from duckdb_databases()
        where lower(database_name)='shop'
        and type != 'duckdb';

-- connection
BEGIN;

-- connection
create schema if not exists "shop"."snapshots";

-- connection
COMMIT;

-- connection
BEGIN;

-- connection
select
      'shop' as database,
      table_name as name,
      table_schema as schema,
      CASE table_type
        WHEN 'BASE TABLE' THEN 'table'
        WHEN 'VIEW' THEN 'view'
        WHEN 'LOCAL TEMPORARY' THEN 'table'
        END as type
    from system.information_schema.tables
    where lower(table_schema) = 'main'
    and lower(table_catalog) = 'shop';

-- connection
BEGIN;

-- connection
select
      'shop' as database,
      table_name as name,
      table_schema as schema,
      CASE table_type
        WHEN 'BASE TABLE' THEN 'table'
        WHEN 'VIEW' THEN 'view'
        WHEN 'LOCAL TEMPORARY' THEN 'table'
        END as type
    from system.information_schema.tables
    where lower(table_schema) = 'snapshots'
    and lower(table_catalog) = 'shop';

-- connection
BEGIN;

-- connection
COMMIT;

-- seed.shop.raw_customers
select database_name, type from duckdb_databases();

-- seed.shop.raw_customers
select table_name, constraint_type from duckdb_constraints()
                    where lower(database_name) = lower('shop')
                      and lower(schema_name) = lower('main')
                      and constraint_type in ('PRIMARY KEY', 'UNIQUE', 'FOREIGN KEY');

-- seed.shop.raw_customers
drop table if exists "shop"."main"."raw_customers" cascade;

-- seed.shop.raw_customers
BEGIN;

-- seed.shop.raw_customers
create table "shop"."main"."raw_customers" ("id" integer,"name" text);

-- seed.shop.raw_customers
COPY "shop"."main"."raw_customers" FROM 'seeds/raw_customers.csv' (FORMAT CSV, HEADER TRUE, DELIMITER ',');

-- seed.shop.raw_customers
COMMIT;

-- seed.shop.raw_orders
drop table if exists "shop"."main"."raw_orders" cascade;

-- seed.shop.raw_orders
BEGIN;

-- seed.shop.raw_orders
create table "shop"."main"."raw_orders" ("id" integer,"customer_id" integer,"amount" float8,"status" text,"updated_at" date);

-- seed.shop.raw_orders
COPY "shop"."main"."raw_orders" FROM 'seeds/raw_orders.csv' (FORMAT CSV, HEADER TRUE, DELIMITER ',');

-- seed.shop.raw_orders
COMMIT;

-- model.shop.stg_orders
BEGIN;

-- model.shop.stg_orders
create view "shop"."main"."stg_orders__dbt_tmp" as (
    select id, customer_id, amount, status, cast(updated_at as date) as updated_at from "shop"."main"."raw_orders"
  );

-- model.shop.stg_orders
alter view "shop"."main"."stg_orders" rename to "stg_orders__dbt_backup";

-- model.shop.stg_orders
alter view "shop"."main"."stg_orders__dbt_tmp" rename to "stg_orders";

-- model.shop.stg_orders
COMMIT;

-- model.shop.stg_orders
drop view if exists "shop"."main"."stg_orders__dbt_backup" cascade;

-- model.shop.customers
BEGIN;

-- model.shop.customers
create  table
      "shop"."main"."customers__dbt_tmp"
  
    
    as (
      
with o as (select customer_id, sum(amount) as total, count(*) as n from "shop"."main"."stg_orders" group by 1)
select c.id, c.name, coalesce(o.total, 0) as total, coalesce(o.n, 0) as orders
from "shop"."main"."raw_customers" c left join o on o.customer_id = c.id
    );

-- model.shop.customers
SELECT index_name
    FROM duckdb_indexes()
    WHERE database_name = 'shop'
      AND schema_name = 'main'
      AND table_name = 'customers';

-- model.shop.customers
alter table "shop"."main"."customers" rename to "customers__dbt_backup";

-- model.shop.customers
alter table "shop"."main"."customers__dbt_tmp" rename to "customers";

-- model.shop.customers
COMMIT;

-- model.shop.customers
drop table if exists "shop"."main"."customers__dbt_backup" cascade;

-- model.shop.orders_append
BEGIN;

-- model.shop.orders_append
create  table
      "shop"."main"."orders_append__dbt_tmp"
  
    
    as (
      
select id, amount from "shop"."main"."stg_orders"

    );

-- model.shop.orders_append
SELECT index_name
    FROM duckdb_indexes()
    WHERE database_name = 'shop'
      AND schema_name = 'main'
      AND table_name = 'orders_append';

-- model.shop.orders_append
alter table "shop"."main"."orders_append" rename to "orders_append__dbt_backup";

-- model.shop.orders_append
alter table "shop"."main"."orders_append__dbt_tmp" rename to "orders_append";

-- model.shop.orders_append
COMMIT;

-- model.shop.orders_append
SELECT index_name
    FROM duckdb_indexes()
    WHERE database_name = 'shop'
      AND schema_name = 'main'
      AND table_name = 'orders_append__dbt_backup';

-- model.shop.orders_append
drop table if exists "shop"."main"."orders_append__dbt_backup" cascade;

-- model.shop.orders_inc
BEGIN;

-- model.shop.orders_inc
create  table
      "shop"."main"."orders_inc__dbt_tmp"
  
    
    as (
      
select * from "shop"."main"."stg_orders"

    );

-- model.shop.orders_inc
SELECT index_name
    FROM duckdb_indexes()
    WHERE database_name = 'shop'
      AND schema_name = 'main'
      AND table_name = 'orders_inc';

-- model.shop.orders_inc
alter table "shop"."main"."orders_inc" rename to "orders_inc__dbt_backup";

-- model.shop.orders_inc
alter table "shop"."main"."orders_inc__dbt_tmp" rename to "orders_inc";

-- model.shop.orders_inc
COMMIT;

-- model.shop.orders_inc
SELECT index_name
    FROM duckdb_indexes()
    WHERE database_name = 'shop'
      AND schema_name = 'main'
      AND table_name = 'orders_inc__dbt_backup';

-- model.shop.orders_inc
drop table if exists "shop"."main"."orders_inc__dbt_backup" cascade;

-- model.shop.orders_merge
BEGIN;

-- model.shop.orders_merge
create  table
      "shop"."main"."orders_merge__dbt_tmp"
  
    
    as (
      
select id, status, amount from "shop"."main"."stg_orders"
    );

-- model.shop.orders_merge
SELECT index_name
    FROM duckdb_indexes()
    WHERE database_name = 'shop'
      AND schema_name = 'main'
      AND table_name = 'orders_merge';

-- model.shop.orders_merge
alter table "shop"."main"."orders_merge" rename to "orders_merge__dbt_backup";

-- model.shop.orders_merge
alter table "shop"."main"."orders_merge__dbt_tmp" rename to "orders_merge";

-- model.shop.orders_merge
COMMIT;

-- model.shop.orders_merge
SELECT index_name
    FROM duckdb_indexes()
    WHERE database_name = 'shop'
      AND schema_name = 'main'
      AND table_name = 'orders_merge__dbt_backup';

-- model.shop.orders_merge
drop table if exists "shop"."main"."orders_merge__dbt_backup" cascade;

-- snapshot.shop.orders_snap
select table_name, constraint_type from duckdb_constraints()
                    where lower(database_name) = lower('shop')
                      and lower(schema_name) = lower('snapshots')
                      and constraint_type in ('PRIMARY KEY', 'UNIQUE', 'FOREIGN KEY');

-- snapshot.shop.orders_snap
BEGIN;

-- snapshot.shop.orders_snap
select
          column_name,
          column_type as data_type,
          cast(null as bigint) as character_maximum_length,
          cast(null as bigint) as numeric_precision,
          cast(null as bigint) as numeric_scale
      from (describe "shop"."snapshots"."orders_snap");

-- snapshot.shop.orders_snap
create temporary table
      "orders_snap__dbt_tmp20261121074636758525"
  
    
    as (
      
    
    with snapshot_query as (

        

select * from "shop"."main"."stg_orders"

    ),

    snapshotted_data as (

        select *, 
    
        id as dbt_unique_key
    

        from "shop"."snapshots"."orders_snap"
        where
            
                dbt_valid_to is null
            

    ),

    insertions_source_data as (

        select *, 
    
        id as dbt_unique_key
    
,
            updated_at as dbt_updated_at,
            updated_at as dbt_valid_from,
            
  
  coalesce(nullif(updated_at, updated_at), null)
  as dbt_valid_to
,
            md5(coalesce(cast(id as varchar ), '')
         || '|' || coalesce(cast(updated_at as varchar ), '')
        ) as dbt_scd_id

        from snapshot_query
    ),

    updates_source_data as (

        select *, 
    
        id as dbt_unique_key
    
,
            updated_at as dbt_updated_at,
            updated_at as dbt_valid_from,
            updated_at as dbt_valid_to

        from snapshot_query
    ),

    insertions as (

        select
            'insert' as dbt_change_type,
            source_data.*

        from insertions_source_data as source_data
        left outer join snapshotted_data
            on 
    
        snapshotted_data.dbt_unique_key = source_data.dbt_unique_key
    

            where 
    
        snapshotted_data.dbt_unique_key is null
    

            or (
    
        snapshotted_data.dbt_unique_key is not null
    
 and (
               (snapshotted_data.dbt_valid_from < source_data.updated_at)
            )

        )

    ),

    updates as (

        select
            'update' as dbt_change_type,
            source_data.*,
            snapshotted_data.dbt_scd_id

        from updates_source_data as source_data
        join snapshotted_data
            on 
    
        snapshotted_data.dbt_unique_key = source_data.dbt_unique_key
    

        where (
            (snapshotted_data.dbt_valid_from < source_data.updated_at)
        )
    )

    select * from insertions
    union all
    select * from updates

    );

-- snapshot.shop.orders_snap
select
          column_name,
          column_type as data_type,
          cast(null as bigint) as character_maximum_length,
          cast(null as bigint) as numeric_precision,
          cast(null as bigint) as numeric_scale
      from (describe "orders_snap__dbt_tmp20261121074636758525");

-- snapshot.shop.orders_snap
select
          column_name,
          column_type as data_type,
          cast(null as bigint) as character_maximum_length,
          cast(null as bigint) as numeric_precision,
          cast(null as bigint) as numeric_scale
      from (describe "shop"."snapshots"."orders_snap");

-- snapshot.shop.orders_snap
select
          column_name,
          column_type as data_type,
          cast(null as bigint) as character_maximum_length,
          cast(null as bigint) as numeric_precision,
          cast(null as bigint) as numeric_scale
      from (describe "orders_snap__dbt_tmp20261121074636758525");

-- snapshot.shop.orders_snap
DESCRIBE (select * from (
        
    
    with snapshot_query as (

        

select * from "shop"."main"."stg_orders"

    ),

    snapshotted_data as (

        select *, 
    
        id as dbt_unique_key
    

        from "shop"."snapshots"."orders_snap"
        where
            
                dbt_valid_to is null
            

    ),

    insertions_source_data as (

        select *, 
    
        id as dbt_unique_key
    
,
            updated_at as dbt_updated_at,
            updated_at as dbt_valid_from,
            
  
  coalesce(nullif(updated_at, updated_at), null)
  as dbt_valid_to
,
            md5(coalesce(cast(id as varchar ), '')
         || '|' || coalesce(cast(updated_at as varchar ), '')
        ) as dbt_scd_id

        from snapshot_query
    ),

    updates_source_data as (

        select *, 
    
        id as dbt_unique_key
    
,
            updated_at as dbt_updated_at,
            updated_at as dbt_valid_from,
            updated_at as dbt_valid_to

        from snapshot_query
    ),

    insertions as (

        select
            'insert' as dbt_change_type,
            source_data.*

        from insertions_source_data as source_data
        left outer join snapshotted_data
            on 
    
        snapshotted_data.dbt_unique_key = source_data.dbt_unique_key
    

            where 
    
        snapshotted_data.dbt_unique_key is null
    

            or (
    
        snapshotted_data.dbt_unique_key is not null
    
 and (
               (snapshotted_data.dbt_valid_from < source_data.updated_at)
            )

        )

    ),

    updates as (

        select
            'update' as dbt_change_type,
            source_data.*,
            snapshotted_data.dbt_scd_id

        from updates_source_data as source_data
        join snapshotted_data
            on 
    
        snapshotted_data.dbt_unique_key = source_data.dbt_unique_key
    

        where (
            (snapshotted_data.dbt_valid_from < source_data.updated_at)
        )
    )

    select * from insertions
    union all
    select * from updates

    ) as __dbt_sbq
    where false
    limit 0
);

-- snapshot.shop.orders_snap
DESCRIBE (select * from (
        select now()::timestamp as dbt_snapshot_time
    ) as __dbt_sbq
    where false
    limit 0
);

-- snapshot.shop.orders_snap
update "shop"."snapshots"."orders_snap" as DBT_INTERNAL_TARGET
    set dbt_valid_to = DBT_INTERNAL_SOURCE.dbt_valid_to
    from "orders_snap__dbt_tmp20261121074636758525" as DBT_INTERNAL_SOURCE
    where DBT_INTERNAL_SOURCE.dbt_scd_id::text = DBT_INTERNAL_TARGET.dbt_scd_id::text
      and DBT_INTERNAL_SOURCE.dbt_change_type::text in ('update'::text, 'delete'::text)
      
        and DBT_INTERNAL_TARGET.dbt_valid_to is null;
      

    insert into "shop"."snapshots"."orders_snap" ("id", "customer_id", "amount", "status", "updated_at", "dbt_updated_at", "dbt_valid_from", "dbt_valid_to", "dbt_scd_id")
    select DBT_INTERNAL_SOURCE."id",DBT_INTERNAL_SOURCE."customer_id",DBT_INTERNAL_SOURCE."amount",DBT_INTERNAL_SOURCE."status",DBT_INTERNAL_SOURCE."updated_at",DBT_INTERNAL_SOURCE."dbt_updated_at",DBT_INTERNAL_SOURCE."dbt_valid_from",DBT_INTERNAL_SOURCE."dbt_valid_to",DBT_INTERNAL_SOURCE."dbt_scd_id"
    from "orders_snap__dbt_tmp20261121074636758525" as DBT_INTERNAL_SOURCE
    where DBT_INTERNAL_SOURCE.dbt_change_type::text = 'insert'::text;

-- snapshot.shop.orders_snap
COMMIT;

-- snapshot.shop.orders_snap
drop table if exists "orders_snap__dbt_tmp20261121074636758525" cascade;

-- test.shop.not_null_customers_id.422908bfae
select table_name, constraint_type from duckdb_constraints()
                    where lower(database_name) = lower('shop')
                      and lower(schema_name) = lower('main_dbt_test__audit')
                      and constraint_type in ('PRIMARY KEY', 'UNIQUE', 'FOREIGN KEY');

-- test.shop.not_null_customers_id.422908bfae
BEGIN;

-- test.shop.not_null_customers_id.422908bfae
select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select id
from "shop"."main"."customers"
where id is null



  
  
      
    ) dbt_internal_test;

-- test.shop.unique_customers_id.70f3d3fd20
BEGIN;

-- test.shop.unique_customers_id.70f3d3fd20
select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    

select
    id as unique_field,
    count(*) as n_records

from "shop"."main"."customers"
where id is not null
group by id
having count(*) > 1



  
  
      
    ) dbt_internal_test;

-- test.shop.unique_orders_inc_id.8f65d2516b
BEGIN;

-- test.shop.unique_orders_inc_id.8f65d2516b
select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    

select
    id as unique_field,
    count(*) as n_records

from "shop"."main"."orders_inc"
where id is not null
group by id
having count(*) > 1



  
  
      
    ) dbt_internal_test;

-- connection
BEGIN;

-- connection
COMMIT;

