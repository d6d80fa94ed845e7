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
BEGIN;

-- seed.shop.raw_customers
create table "shop"."main"."raw_customers" ("id" integer,"name" text);

-- seed.shop.raw_customers
COPY "shop"."main"."raw_customers" FROM 'seeds/raw_customers.csv' (FORMAT CSV, HEADER TRUE, DELIMITER ',');

-- seed.shop.raw_customers
COMMIT;

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
alter table "shop"."main"."customers__dbt_tmp" rename to "customers";

-- model.shop.customers
COMMIT;

-- model.shop.customers
drop table if exists "shop"."main"."customers__dbt_backup" cascade;

-- model.shop.orders_append
BEGIN;

-- model.shop.orders_append
create  table
      "shop"."main"."orders_append"
  
    
    as (
      
select id, amount from "shop"."main"."stg_orders"

    );

-- model.shop.orders_append
COMMIT;

-- model.shop.orders_inc
BEGIN;

-- model.shop.orders_inc
create  table
      "shop"."main"."orders_inc"
  
    
    as (
      
select * from "shop"."main"."stg_orders"

    );

-- model.shop.orders_inc
COMMIT;

-- model.shop.orders_merge
BEGIN;

-- model.shop.orders_merge
create  table
      "shop"."main"."orders_merge"
  
    
    as (
      
select id, status, amount from "shop"."main"."stg_orders"
    );

-- model.shop.orders_merge
COMMIT;

-- snapshot.shop.orders_snap
select table_name, constraint_type from duckdb_constraints()
                    where lower(database_name) = lower('shop')
                      and lower(schema_name) = lower('snapshots')
                      and constraint_type in ('PRIMARY KEY', 'UNIQUE', 'FOREIGN KEY');

-- snapshot.shop.orders_snap
DESCRIBE (select * from (
        
    

    select *,
        md5(coalesce(cast(id as varchar ), '')
         || '|' || coalesce(cast(updated_at as varchar ), '')
        ) as dbt_scd_id,
        updated_at as dbt_updated_at,
        updated_at as dbt_valid_from,
        
  
  coalesce(nullif(updated_at, updated_at), null)
  as dbt_valid_to
from (
        

select * from "shop"."main"."stg_orders"
    ) sbq



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
BEGIN;

-- snapshot.shop.orders_snap
create  table
      "shop"."snapshots"."orders_snap"
  
    
    as (
      
    

    select *,
        md5(coalesce(cast(id as varchar ), '')
         || '|' || coalesce(cast(updated_at as varchar ), '')
        ) as dbt_scd_id,
        updated_at as dbt_updated_at,
        updated_at as dbt_valid_from,
        
  
  coalesce(nullif(updated_at, updated_at), null)
  as dbt_valid_to
from (
        

select * from "shop"."main"."stg_orders"
    ) sbq



    );

-- snapshot.shop.orders_snap
COMMIT;

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

