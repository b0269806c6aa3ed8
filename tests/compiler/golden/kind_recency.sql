-- member.days_since_first_app_event (recency, int) -> ScanSql
source:
app_events
sql:
datediff(`__snapshot_date`, to_date(min(`__time`)))
-- columns: []
