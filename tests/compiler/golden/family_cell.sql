-- member.app_view_product_mask_7d (stat, bigint) -> FamilySql
family:
app_category_interest
-- cell: FamilyCell(tag='app_view_product_mask_7d', values=('view_product', '面膜'), window=7, metric='events')
source:
app_events
-- columns: []
standalone:
count_if((`__days_ago` < 7) AND ((`event_type`) = 'view_product') AND ((`category_l2`) = '面膜'))
