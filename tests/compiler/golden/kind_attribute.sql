-- member.age (attribute, int) -> ScanSql
source:
crm_members
sql:
max(CASE WHEN (CASE WHEN `birthday` > CAST('1920-01-01' AS DATE) THEN FLOOR(MONTHS_BETWEEN(`__snapshot_date`, `birthday`) / 12) END) IS NOT NULL THEN named_struct('t', `__time`, 'v', CASE WHEN `birthday` > CAST('1920-01-01' AS DATE) THEN FLOOR(MONTHS_BETWEEN(`__snapshot_date`, `birthday`) / 12) END) END).v
-- columns: ['birthday', 'snapshot_date']
