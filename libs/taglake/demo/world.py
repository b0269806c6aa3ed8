"""The frame every generator shares: scale, seed, the two-year calendar and local time.

Days are integers: day 0 is the first day of history, day 729 is `end_date`; negative days are
before the window (early registrations, old stores). Timestamps are built from epoch seconds with
China's fixed UTC+8 offset (no daylight saving since 1991), so `event_date` is the Shanghai date of
`event_time` whatever the session time zone; taglake sessions run in Asia/Shanghai.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from taglake.demo.random import Rng, as_col, lookup, weighted_slots

HISTORY_DAYS = 730
SHANGHAI = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")
DAY_SECONDS = 86_400
#: Sources are extracted at 04:00 the morning after end_date: rows that would arrive later
#: (late events, the next night's POS upload) are not there yet.
EXTRACT_HOUR = 4


@dataclass(frozen=True)
class Scale:
    name: str
    persons: int
    stores: int
    skus: int
    #: Partitions of the person range: sets parallelism and the number of files per table, never content.
    partitions: int


SCALES: dict[str, Scale] = {
    scale.name: scale for scale in (
        Scale("tiny", persons=2_000, stores=20, skus=300, partitions=1),
        Scale("small", persons=100_000, stores=200, skus=2_000, partitions=4),
        Scale("medium", persons=1_000_000, stores=600, skus=5_000, partitions=8),
        Scale("large", persons=10_000_000, stores=2_000, skus=10_000, partitions=64),
    )
}


class World:
    def __init__(self, scale: Scale, seed: int, end_date: dt.date) -> None:
        self.scale = scale
        self.seed = seed
        self.rng = Rng(seed)
        self.end_date = end_date
        self.start_date = end_date - dt.timedelta(days=HISTORY_DAYS - 1)
        self.last_day = HISTORY_DAYS - 1
        self.epoch_day0 = int(dt.datetime.combine(self.start_date, dt.time(), SHANGHAI).timestamp())
        self.extract_epoch = self.epoch_day0 + HISTORY_DAYS * DAY_SECONDS + EXTRACT_HOUR * 3600

    def persons(self, spark: SparkSession) -> DataFrame:
        """person_id 1..N, the root every person-level table grows from."""
        return spark.range(1, self.scale.persons + 1, 1, self.scale.partitions).withColumnRenamed("id", "person_id")

    def date(self, day: Column) -> Column:
        return F.date_add(F.lit(self.start_date), day.cast("int"))

    def epoch(self, day: Column, second_of_day: Column | int = 0) -> Column:
        """Epoch seconds of a local time; keep arithmetic (lags, durations) in seconds, convert last."""
        return F.lit(self.epoch_day0) + day.cast("long") * DAY_SECONDS + as_col(second_of_day).cast("long")

    @staticmethod
    def timestamp(epoch_seconds: Column) -> Column:
        return F.timestamp_seconds(epoch_seconds)

    def time_of_day(self, hour_weights: dict[int, float], salt: str, *keys) -> Column:
        """Seconds after midnight, the hour drawn from a profile (STORE_HOURS, ONLINE_HOURS)."""
        hours = sorted(hour_weights)
        slots = [hours[i] for i in weighted_slots([hour_weights[h] for h in hours], 1000)]
        hour = lookup(slots, self.rng.below(1000, salt + "/hour", *keys))
        return hour * 3600 + self.rng.below(3600, salt + "/second", *keys)

    def date_of(self, epoch_seconds: Column) -> Column:
        """The local (UTC+8) date of an epoch-seconds column."""
        return self.date(F.floor((epoch_seconds - F.lit(self.epoch_day0)) / DAY_SECONDS))

    def within_window(self, epoch_seconds: Column) -> Column:
        """True before midnight after end_date (a session started late on the last day may run past it)."""
        return epoch_seconds < F.lit(self.epoch_day0 + HISTORY_DAYS * DAY_SECONDS)

    def arrived(self, ingest_epoch: Column) -> Column:
        """True for rows already ingested when the sources were extracted."""
        return ingest_epoch <= F.lit(self.extract_epoch)
