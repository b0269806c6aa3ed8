-- member.flagship_stores_365d (cross, bigint) -> RelatedAggregateSql
relation:
purchased_at
related:
store
source:
orders
-- window: 365
-- where_sql: None
sql:
count_if(`r__store_type` = '旗舰店')
-- related_inputs: ['store_type']
-- columns: []
