-- member.add_carts_30d (stat, bigint) -> ScanSql
source:
app_events
sql:
count_if((`__days_ago` < 30) AND (`event_type` = 'add_cart'))
-- columns: ['event_type']
