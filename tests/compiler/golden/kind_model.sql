-- member.churn_90d_risk (model, double) -> ModelSql
model:
member.churn_90d_risk
defining_tag:
churn_90d_risk
task:
classification
output:
probability
-- threshold: 0.5
-- inputs: ('orders_7d', 'orders_30d', 'orders_90d', 'orders_180d', 'orders_365d', 'orders_all', 'spend_tier_365d', 'spend_rank_365d', 'spend_7d', 'spend_30d', 'spend_90d', 'spend_180d', 'spend_365d', 'spend_all', 'days_since_first_order', 'days_since_last_order', 'days_since_last_store_order', 'days_since_last_online_order', 'days_since_last_refund', 'days_since_last_app_open', 'days_since_first_app_event', 'days_since_last_web_visit', 'avg_order_value_90d', 'avg_order_value_365d', 'avg_order_value_all', 'items_30d', 'items_365d', 'items_all', 'coupon_orders_90d', 'coupon_orders_365d', 'coupon_orders_all', 'refund_orders_90d', 'refund_orders_365d', 'refund_orders_all', 'app_events_7d', 'app_events_30d', 'app_events_90d', 'app_opens_7d', 'app_opens_30d', 'app_opens_90d', 'view_products_7d', 'view_products_30d', 'view_products_90d', 'add_carts_7d', 'add_carts_30d', 'add_carts_90d', 'app_active_days_30d', 'app_active_days_90d', 'web_sessions_30d', 'web_sessions_90d', 'checkouts_30d', 'favorites_30d', 'coupon_claims_30d', 'avg_days_between_orders', 'distinct_channels_365d', 'order_days_365d', 'store_orders_365d', 'online_orders_365d')
-- features: ('orders_7d', 'orders_30d', 'orders_90d', 'orders_180d', 'orders_365d', 'orders_all', 'spend_tier_365d', 'spend_rank_365d', 'spend_7d', 'spend_30d', 'spend_90d', 'spend_180d', 'spend_365d', 'spend_all', 'days_since_first_order', 'days_since_last_order', 'days_since_last_store_order', 'days_since_last_online_order', 'days_since_last_refund', 'days_since_last_app_open', 'days_since_first_app_event', 'days_since_last_web_visit', 'avg_order_value_90d', 'avg_order_value_365d', 'avg_order_value_all', 'items_30d', 'items_365d', 'items_all', 'coupon_orders_90d', 'coupon_orders_365d', 'coupon_orders_all', 'refund_orders_90d', 'refund_orders_365d', 'refund_orders_all', 'app_events_7d', 'app_events_30d', 'app_events_90d', 'app_opens_7d', 'app_opens_30d', 'app_opens_90d', 'view_products_7d', 'view_products_30d', 'view_products_90d', 'add_carts_7d', 'add_carts_30d', 'add_carts_90d', 'app_active_days_30d', 'app_active_days_90d', 'web_sessions_30d', 'web_sessions_90d', 'checkouts_30d', 'favorites_30d', 'coupon_claims_30d', 'avg_days_between_orders', 'distinct_channels_365d', 'order_days_365d', 'store_orders_365d', 'online_orders_365d')
population_sql:
`orders_365d` > 0
