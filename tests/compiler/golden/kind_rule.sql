-- member.activity_level (rule, string) -> RowSql
sql:
CASE WHEN `orders_30d` > 0 AND `app_active_days_30d` >= 8 THEN '高活跃' WHEN `orders_30d` > 0 OR `app_active_days_30d` >= 3 THEN '中活跃' WHEN `app_active_days_30d` > 0 OR `web_sessions_30d` > 0 THEN '低活跃' ELSE '不活跃' END
-- thresholds: ()
