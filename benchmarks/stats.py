"""The tag_stats pass over column groups: fill and distinct counts in one scan, as the nightly run
computes them, with each way of counting distinct values — and every count against the exact one.

    make demo                                   # the small demo snapshot, once
    .venv/bin/python -m benchmarks.stats        # every 250-column group of the member snapshot
    .venv/bin/python -m benchmarks.stats --repeat 5 --groups member,f_category_spend_001

Ways: `hll` (Spark's HyperLogLog++ at 10% RSD, what tag_stats used before), `theta10` /
`theta12` (DataSketches Theta sketches of 2^10 / 2^12 entries: exact until that many distinct
values), `shipped` (what taglake.snapshots.stats runs now). Times are the wall clock of the one
aggregation query per group, min and median of `--repeat` runs; the machine is shared, so read
them as noisy. Errors: max relative error over the columns, and columns whose count is not exact.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time

from taglake.core.expressions import quote_identifier as q
from taglake.snapshots.layout import SNAPSHOT_COLUMN
from taglake.snapshots.stats import distinct_sql

DATE = dt.date(2026, 11, 22)


WAYS = {
    "hll": lambda c, t: [f"approx_count_distinct({q(c)}, 0.1)"],
    "theta10": lambda c, t: [distinct_sql(c, t, 10)],
    "theta12": lambda c, t: [distinct_sql(c, t, 12)],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conf", default="local")
    parser.add_argument("--subject", default="member")
    parser.add_argument("--groups", help="comma-separated group names (default: every group of 200+ columns)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--ways", default="hll,theta10,theta12,shipped")
    args = parser.parse_args()

    from taglake.runtime import build_session
    from taglake.settings import load_settings
    from taglake.snapshots.layout import group_table
    from taglake.snapshots.stats import group_stats
    from taglake.tagdefs import load_library

    settings = load_settings(args.conf)
    key = load_library(settings.path(settings.tagdefs)).subjects[args.subject].key
    spark = build_session(settings)
    prefix = group_table(args.subject, "")
    tables = {t.name[len(prefix):]: t.name for t in spark.catalog.listTables(settings.database) if t.name.startswith(prefix)}
    if not tables:
        raise SystemExit(f"no {args.subject} tag tables in {settings.database}: run `make demo` first")
    widths = {g: len(spark.table(settings.table(n)).columns) - 2 for g, n in tables.items()}
    chosen = args.groups.split(",") if args.groups else [g for g, w in sorted(widths.items()) if w >= 200]
    print("| group | rows | columns | way | min s | median s | max rel. error | columns not exact |")
    print("|---|---|---|---|---|---|---|---|")
    for group in chosen:
        table = settings.table(tables[group])
        types = dict(spark.table(table).dtypes)
        columns = [c for c in types if c not in (key, SNAPSHOT_COLUMN)]
        where = f"WHERE {q(SNAPSHOT_COLUMN)} = DATE'{DATE}'"
        rows = spark.sql(f"SELECT count(1) FROM {table} {where}").first()[0]
        # Exact counts, one column at a time (collect_set of a column fits in memory at this size).
        exact = {}
        for i in range(0, len(columns), 25):
            chunk = columns[i:i + 25]
            row = spark.sql(f"SELECT {', '.join(f'size(collect_set({q(c)})) AS {q(c)}' for c in chunk)} FROM {table} {where}").first()
            exact.update({c: row[c] for c in chunk})
        for way in args.ways.split(","):
            times, counts = [], {}
            for _ in range(args.repeat):
                started = time.perf_counter()
                if way == "shipped":
                    counts = {c: d for c, _rows, _nn, d in group_stats(spark, table, columns, DATE)}
                else:
                    exprs = ["count(1) AS `__rows`"]
                    for i, c in enumerate(columns):
                        exprs += [f"count({q(c)}) AS `n{i}`", f"{WAYS[way](c, types[c])[0]} AS `d{i}`"]
                    row = spark.sql(f"SELECT {', '.join(exprs)} FROM {table} {where}").first()
                    counts = {c: row[f"d{i}"] for i, c in enumerate(columns)}
                times.append(time.perf_counter() - started)
            errors = [abs(counts[c] - exact[c]) / exact[c] for c in columns if exact[c]]
            wrong = sum(1 for c in columns if counts[c] != exact[c])
            print(f"| {group} | {rows:,} | {len(columns)} | {way} | {min(times):.2f} | {statistics.median(times):.2f} | "
                  f"{max(errors, default=0):.1%} | {wrong} (exact counts up to {max((exact[c] for c in columns if counts[c] == exact[c]), default=0):,}) |",
                  flush=True)
    spark.stop()


if __name__ == "__main__":
    main()
