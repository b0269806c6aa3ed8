-- member.fav_app_event_90d (preference, string) -> PreferenceSql
source:
app_events
dimension_sql:
`event_type`
condition_sql:
`__days_ago` < 90
-- measure_sql: None
pick_sql:
min(CASE WHEN {m} > 0 THEN named_struct('m', -{m}, 'd', `__dim`) END).d
-- columns: ['event_type']
