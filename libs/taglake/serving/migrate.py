"""Move a warehouse's catalog to another metastore (embedded Derby -> shared PostgreSQL) without
touching the data: every Delta table is registered again by its location, every serving table
(`USING taglake_wide`: the tag tables, read through their manifest folder) and view re-created
from its own definition, every database with its location.

The two metastores cannot live in one JVM (Spark's Hive client is per application), so the source
catalog is read by a child process (`python -m taglake.serving.migrate SRC_CONF OUT.json`) and
replayed here. Re-running is harmless: tables already registered are left alone, views are
replaced. Tables come back EXTERNAL (DROP TABLE no longer deletes their files); taglake never
relies on dropping a table to delete data.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from taglake.core.expressions import quote_identifier as q
from taglake.core.expressions import quote_literal as lit
from taglake.errors import EnvironmentProblem, InputError
from taglake.progress import step
from taglake.runtime.metastore import parse
from taglake.settings import Settings, conf_path
from taglake.snapshots.serving import DATA_SOURCE as WIDE_SOURCE

log = logging.getLogger(__name__)

MAX_PASSES = 20


@dataclass
class Report:
    databases: int = 0
    registered: int = 0
    already: int = 0
    views: int = 0
    skipped: list[str] = field(default_factory=list)


def _details(spark, name: str) -> dict[str, str]:
    """DESCRIBE TABLE EXTENDED's detail section (Provider, Location, Comment, View Catalog and Namespace...)."""
    rows = spark.sql(f"DESCRIBE TABLE EXTENDED {name}").collect()
    out, detail = {}, False
    for row in rows:
        key = (row["col_name"] or "").strip()
        if key.startswith("# Detailed Table Information"):
            detail = True
        elif detail and key:
            out[key] = row["data_type"] or ""
    return out


def export_catalog(spark, databases: list[str] | None = None) -> dict:
    """Every database (or those named), table and permanent view of the session's catalog, as
    replayable facts (`taglake metastore migrate --from FILE.json` reads them too)."""
    catalog: dict[str, list] = {"databases": [], "tables": [], "views": []}
    for db in spark.catalog.listDatabases():
        if databases is not None and db.name not in databases:
            continue
        catalog["databases"].append({"name": db.name, "comment": db.description or "", "location": db.locationUri})
        for t in spark.catalog.listTables(db.name):
            if t.isTemporary:
                continue
            name = f"{q(db.name)}.{q(t.name)}"
            info = _details(spark, name)
            if t.tableType == "VIEW":
                ddl = spark.sql(f"SHOW CREATE TABLE {name}").first()[0]
                catalog["views"].append({"database": db.name, "name": t.name, "ddl": ddl,
                                         "namespace": info.get("View Catalog and Namespace", "")})
            else:
                provider = info.get("Provider", "").lower()
                # a serving table's columns (types, comments, a BI table's subset) are only in its definition
                ddl = spark.sql(f"SHOW CREATE TABLE {name}").first()[0] if provider == WIDE_SOURCE else None
                catalog["tables"].append({"database": db.name, "name": t.name, "provider": provider,
                                          "location": info.get("Location", ""), "comment": info.get("Comment", ""),
                                          "ddl": ddl})
    return catalog


def import_catalog(spark, catalog: dict) -> Report:
    report = Report()
    for db in catalog["databases"]:
        if not spark.catalog.databaseExists(db["name"]):
            comment = f" COMMENT {lit(db['comment'])}" if db["comment"] else ""
            spark.sql(f"CREATE DATABASE {q(db['name'])}{comment} LOCATION {lit(db['location'])}")
            report.databases += 1
    for t in catalog["tables"]:
        name = f"{q(t['database'])}.{q(t['name'])}"
        replayed = t["provider"] == WIDE_SOURCE and t.get("ddl")
        if not replayed and (t["provider"] != "delta" or not t["location"]):
            report.skipped.append(f"{t['database']}.{t['name']} ({t['provider'] or 'unknown format'})")
            continue
        if spark.catalog.tableExists(name):
            report.already += 1
            continue
        if replayed:
            spark.sql(t["ddl"])    # its LOCATION is the manifest folder: nothing is read or written
        else:
            comment = f" COMMENT {lit(t['comment'])}" if t["comment"] else ""
            spark.sql(f"CREATE TABLE {name} USING DELTA LOCATION {lit(t['location'])}{comment}")
        report.registered += 1
    # A view can only be created once what it reads exists: replay in passes until none is left.
    pending = list(catalog["views"])
    for _ in range(MAX_PASSES):
        failed = []
        for v in pending:
            try:
                namespace = v["namespace"].split(".")[-1] if v["namespace"] else v["database"]
                spark.sql(f"USE {q(namespace)}")
                spark.sql(_or_replace(v["ddl"]))
                report.views += 1
            except Exception as exc:  # noqa: BLE001 - a missing dependency is retried next pass
                if "TABLE_OR_VIEW_NOT_FOUND" not in str(exc):
                    raise
                failed.append((v, exc))
        if not failed or len(failed) == len(pending):
            pending = [v for v, _ in failed]
            break
        pending = [v for v, _ in failed]
    if pending:
        names = ", ".join(f"{v['database']}.{v['name']}" for v in pending[:5])
        raise EnvironmentProblem(f"{len(pending)} view(s) read tables that exist in neither catalog: {names}")
    return report


def _or_replace(ddl: str) -> str:
    head = "CREATE VIEW "
    return "CREATE OR REPLACE VIEW " + ddl[len(head):] if ddl.startswith(head) else ddl


def read_source(source: str) -> dict:
    """The catalog of conf `source` (read by a child process: its metastore needs its own JVM), or
    of an exported file (`*.json`, from export_catalog)."""
    if source.endswith(".json"):
        try:
            return json.loads(Path(source).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(f"{source}: not a catalog exported by taglake ({exc})") from None
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "catalog.json"
        proc = subprocess.run([sys.executable, "-m", "taglake.serving.migrate", str(conf_path(source)), str(out)],
                              capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            lines = [line for line in proc.stderr.strip().splitlines() if line.startswith("error:")] or \
                    proc.stderr.strip().splitlines()[-1:]
            raise EnvironmentProblem(f"could not read the catalog of conf {source!r}: "
                                     f"{lines[0].removeprefix('error: ') if lines else f'exit code {proc.returncode}'}")
        return json.loads(out.read_text(encoding="utf-8"))


def migrate(spark, settings: Settings, source: str) -> Report:
    """Register in `settings`' metastore everything the catalog of `source` (a conf, or an exported
    .json file) holds."""
    with step(f"metastore migrate: read the catalog of {source}", log) as current:
        catalog = read_source(source)
        current.count(databases=len(catalog["databases"]), tables=len(catalog["tables"]), views=len(catalog["views"]))
    with step(f"metastore migrate: register into {parse(settings)}", log) as current:
        report = import_catalog(spark, catalog)
        current.count(registered=report.registered, already=report.already, views=report.views, skipped=len(report.skipped))
    spark.sql(f"USE {q(settings.database)}")
    return report


def _export_main(argv: list[str]) -> int:
    from taglake.errors import TaglakeError
    from taglake.runtime import build_session
    from taglake.settings import load_settings

    conf, out = argv
    try:
        settings = load_settings(conf)
        spark = build_session(settings, extra_conf={"spark.ui.enabled": "false", "spark.master": "local[1]"})
        Path(out).write_text(json.dumps(export_catalog(spark), ensure_ascii=False), encoding="utf-8")
        spark.stop()
    except TaglakeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(_export_main(sys.argv[1:]))
