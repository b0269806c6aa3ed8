-- member.age_band (bucket, string) -> RowSql
sql:
CASE WHEN `age` IS NULL THEN NULL ELSE CASE WHEN `age` < 18.0 THEN '18岁以下' WHEN `age` < 25.0 THEN '18-24岁' WHEN `age` < 30.0 THEN '25-29岁' WHEN `age` < 35.0 THEN '30-34岁' WHEN `age` < 40.0 THEN '35-39岁' WHEN `age` < 50.0 THEN '40-49岁' ELSE '50岁及以上' END END
-- thresholds: ()
