"""Column schemas from the Spark catalog, for checking the columns tag expressions read."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


class SparkSchemas:
    """`SchemaProvider` over a SparkSession; each table's schema is read once."""

    def __init__(self, spark):
        self.spark = spark
        self._cache: dict[str, dict[str, str] | None] = {}

    def columns(self, table: str) -> dict[str, str] | None:
        if table not in self._cache:
            try:
                schema = self.spark.table(table).schema if not table.startswith("delta.") else self.spark.sql(f"SELECT * FROM {table}").schema
                self._cache[table] = {f.name: f.dataType.simpleString() for f in schema.fields}
            except Exception as exc:  # AnalysisException: the table is not in the catalog
                log.debug("no schema for %s: %s", table, str(exc).splitlines()[0])
                self._cache[table] = None
        return self._cache[table]
