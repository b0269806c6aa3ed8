"""The identity ground truth: which canonical identifier belongs to which true person.

Built from the persons' clean attributes, never by cleaning the dirty source columns, so it can
judge a OneID run independently. It lists every identifier a person owns, including some that
never show up in a source (a phone she never gave anyone, a cookie without visits). Placeholders
belong to nobody and are absent; a shared family device belongs to the household member who owns it.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from taglake.demo.people import WECHAT_APPS, People, uses_wechat_app

MAX_COOKIES = 3


def identity_truth(persons: DataFrame, people: People) -> DataFrame:
    pid = F.col("person_id")

    def owned(id_type: str, value: Column, condition: Column | None = None) -> Column:
        return F.struct(F.lit(id_type).alias("id_type"),
                        (value if condition is None else F.when(condition, value)).alias("id_value"))

    identifiers = [
        owned("phone", F.col("phone")),
        owned("member_id", F.col("member_id"), F.col("is_member")),
        owned("member_id", F.col("duplicate_member_id"), F.col("has_duplicate_member")),
        owned("email", F.col("email"), F.col("has_email")),
        owned("wechat_unionid", F.col("unionid"), F.col("has_wechat")),
        *(owned("wechat_openid", people.openid(pid, F.lit(app)), F.col(uses_wechat_app(app))) for app in WECHAT_APPS),
        owned("device_id", F.col("device_1")),
        owned("device_id", F.col("device_2")),
        *(owned("cookie_id", people.cookie_id(pid, F.lit(k)), F.col("cookies") >= k)
          for k in range(1, MAX_COOKIES + 1)),
    ]
    return (persons.select(pid, F.explode(F.array(*identifiers)).alias("id"))
            .where(F.col("id.id_value").isNotNull())
            .select("id.id_type", "id.id_value", pid.cast("bigint").alias("person_id")))
