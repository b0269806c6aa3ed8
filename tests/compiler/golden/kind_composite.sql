-- member.churn_risk (composite, string) -> RowSql
sql:
CASE WHEN `orders_all` = 0 OR `orders_all` IS NULL THEN '未购买' WHEN `days_since_last_order` > 2 * COALESCE(`avg_days_between_orders`, 90) THEN '高' WHEN `days_since_last_order` > COALESCE(`avg_days_between_orders`, 90) THEN '中' ELSE '低' END
-- thresholds: ()
