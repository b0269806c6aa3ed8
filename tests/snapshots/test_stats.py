"""tag_stats distinct counts: exact up to EXACT_UP_TO distinct values (whatever the column type,
including '' and arrays), within the documented error above it."""

from __future__ import annotations

import datetime as dt

from taglake.snapshots.stats import EXACT_UP_TO, group_stats

D = dt.date(2026, 11, 22)
ROWS = 60_000


def test_small_cardinalities_are_exact_and_large_ones_within_the_bound(spark, settings):
    table = settings.table("stats_probe")
    spark.sql(f"""
        SELECT DATE'{D}' AS snapshot_date,
               id % 2 = 0 AS flag,                                                     -- 2
               element_at(array('', 'a', 'b', 'c', 'd', 'e', 'f'), CAST(id % 7 + 1 AS INT)) AS label,   -- 7, '' included
               CAST(id % 14 AS INT) AS n14,                                            -- 14
               element_at(array(array(), array(''), array('a'), array('a', 'b')), CAST(id % 4 + 1 AS INT)) AS arr,  -- 4
               date_add(DATE'2026-01-01', CAST(id % 30 AS INT)) AS day,               -- 30
               CAST(id % {EXACT_UP_TO} AS DOUBLE) / 7 AS amount,                      -- EXACT_UP_TO
               id * 7919 AS big,                                                       -- 60,000
               CAST(NULL AS STRING) AS empty                                           -- 0
        FROM range({ROWS})
    """).write.format("delta").saveAsTable(table)
    truth = {"flag": 2, "label": 7, "n14": 14, "arr": 4, "day": 30, "amount": EXACT_UP_TO, "empty": 0}
    got = {tag: (rows, non_null, distinct) for tag, rows, non_null, distinct in
           group_stats(spark, table, [*truth, "big"], D)}
    assert {tag: got[tag][2] for tag in truth} == truth
    assert got["label"][:2] == (ROWS, ROWS) and got["empty"][:2] == (ROWS, 0)
    # above the exact range: relative standard error 1/sqrt(4096) = 1.6%; 99.7% of counts within 4.7%
    assert abs(got["big"][2] - ROWS) / ROWS < 0.047
