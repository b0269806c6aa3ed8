"""The BI databases: what analysts query over JDBC, with column types and comments.

One database (`serve.database`, default `bi`) exposes every tag; each configured business line gets
its own (`bi_<suffix>`, `serve.business_lines`) exposing only the tags that line may see: a tag is
visible to its own business line, to the lines in its `visibility.business_lines`, or to all when
that list holds "*". Rows that describe tags (statistics, versions, the dictionary) and segments
(a segment is visible when every tag its rule reads is) are filtered the same way. Everything is
fail-closed: an object's columns are fixed when it is created (the metastore stores them), so a
tag added later stays out of every BI database until the next publication.

Two kinds of objects:
- a subject's tags (`tags_<subject>`, `tags_<subject>_latest`) are *tables* over the same serving
  manifest as taglake's own (`CREATE TABLE bi_x.tags_member_latest (<visible columns>) USING
  taglake_wide OPTIONS (path ..., latest 'true')`): the reader is given just those columns, so a
  hidden tag is not in the table at all, and each query reads the newest manifest, so a nightly run
  shows up without republishing. Their schema is stored in the metastore, so JDBC clients
  (DBeaver's getColumns, Superset, Tableau) see every column with its type and comment;
- the other tables are Delta tables, which a Hive metastore stores with an empty schema
  (delta-io/delta#695): those are exposed as views with explicit column lists (a view's schema, with
  its comments, is stored). The view *text* stays short (`SELECT * EXCEPT (hidden) FROM source
  WHERE ...`): Derby bounds the text to 32,700 characters; columns are stored one row each.

`publish()` knows nothing of how tag tables are laid out: it takes the objects to expose
(`Exposed`: a name, the table or view it reads, its columns with types and comments, how its rows
relate to tags or segments). `current_objects()` is the one place that maps today's layout onto them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from taglake.core.expressions import quote_identifier as q
from taglake.core.expressions import quote_literal as lit
from taglake.errors import ConfigError
from taglake.progress import step
from taglake.settings import Settings
from taglake.snapshots.serving import DATA_SOURCE as WIDE_SOURCE
from taglake.tagdefs.library import Library, Tag, TagRef

log = logging.getLogger(__name__)

#: taglake.<DICTIONARY>: one row per tag (display name, description, who may see it); written by
#: publish() and read by the per-line views to filter rows that describe tags.
DICTIONARY = "tag_dictionary"
DICTIONARY_SCHEMA = ("subject string, tag string, display_name string, description string, category array<string>, "
                     "kind string, type string, layer string, unit string, family string, owner string, "
                     "business_line string, visible_to array<string>, status string, published_at timestamp")
EVERYONE = "*"
#: Hive's metastore keeps a column comment in VARCHAR(256).
COMMENT_LIMIT = 256
#: Marks the objects publish() owns, so it drops only its own stale ones.
OWNER_PROPERTY = "taglake.bi"
#: A hash of the statement an object was created from: an unchanged one is not created again.
FINGERPRINT_PROPERTY = "taglake.bi.fingerprint"


@dataclass(frozen=True)
class Column:
    name: str
    comment: str = ""
    tag: TagRef | None = None          # None: keys, dates and other columns every reader sees
    type: str = ""                     # SQL type (needed for wide tables, whose columns are declared)


@dataclass(frozen=True)
class Wide:
    """A subject's serving manifest folder, read by the `taglake_wide` data source."""

    path: str
    latest: bool


@dataclass(frozen=True)
class Exposed:
    """One object of a BI database: `name` reads `source` (a qualified table or view), or, when
    `wide` is set, is a `taglake_wide` table over the same manifest with a subset of its columns."""

    name: str
    source: str
    columns: tuple[Column, ...]
    comment: str = ""
    tag_rows: tuple[str | None, str] | None = None   # (subject column, tag column) when each row describes one tag
    segment_rows: str | None = None             # column naming a segment when each row belongs to one
    wide: Wide | None = None


@dataclass(frozen=True)
class Audience:
    """Who a BI database is for: every tag (`line` None) or one business line."""

    database: str
    line: str | None
    segments: frozenset[str] = field(default_factory=frozenset)   # visible segments (per-line databases)

    def sees(self, visible_to: Iterable[str]) -> bool:
        lines = set(visible_to)
        return self.line is None or EVERYONE in lines or self.line in lines


def visible_to(tag: Tag) -> tuple[str, ...]:
    """The business lines that may read a tag ("*": all)."""
    lines = set(tag.visibility.business_lines)
    if EVERYONE in lines:
        return (EVERYONE,)
    return tuple(sorted(lines | {tag.business_line}))


def audiences(settings: Settings, library: Library) -> list[Audience]:
    """The full BI database, then one per configured business line; every line the tag library
    names must be configured once any is (a line left out would silently get no database)."""
    mapping = settings.serve.business_lines
    full = Audience(settings.serve.database, None)
    if not mapping:
        return [full]
    used: dict[str, int] = {}
    for tag in library.all_tags():
        for line in {tag.business_line, *tag.visibility.business_lines} - {EVERYONE}:
            used[line] = used.get(line, 0) + 1
    missing = sorted(set(used) - set(mapping))
    if missing:
        raise ConfigError(
            f"conf {settings.name!r}: serve.business_lines has no database suffix for business line(s) "
            + ", ".join(f"{line} ({used[line]:,} tags)" for line in missing)
            + "; add one per line, e.g. `" + missing[0] + ": " + "line_" + str(len(mapping) + 1) + "`")
    named = {line: suffix for line, suffix in mapping.items() if suffix is not None}
    bad = sorted(s for s in named.values() if not s.isascii() or not s.replace("_", "").isalnum() or s != s.lower())
    if bad:
        raise ConfigError(f"conf {settings.name!r}: serve.business_lines suffixes must be lower-case ASCII letters, digits "
                          f"and _: {', '.join(bad)}")
    by_suffix = sorted(named.items(), key=lambda item: item[1])
    return [full, *(Audience(f"{settings.serve.database}_{suffix}", line) for line, suffix in by_suffix)]


# --- the statements -----------------------------------------------------------------------------

def _comment(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= COMMENT_LIMIT else text[:COMMENT_LIMIT - 1] + "…"


def object_sql(obj: Exposed, audience: Audience, dictionary: str, visible: dict[TagRef, tuple[str, ...]]) -> tuple[str, int]:
    """CREATE VIEW (or, for a wide object, CREATE TABLE) for `obj` in `audience`'s database, and
    how many columns it exposes. The statement carries a fingerprint of itself, so an unchanged
    object is not created again."""
    shown: list[Column] = []
    hidden: list[Column] = []
    for col in obj.columns:
        ok = col.tag is None or audience.sees(visible.get(col.tag, ()))   # unknown tag: hidden from lines
        (shown if ok else hidden).append(col)
    if obj.wide is not None:
        return _wide_sql(obj, audience, shown), len(shown)
    header = ", ".join(f"{q(c.name)} COMMENT {lit(_comment(c.comment))}" if c.comment else q(c.name) for c in shown)
    select = f"* EXCEPT ({', '.join(q(c.name) for c in hidden)})" if hidden else "*"
    where = []
    if audience.line is not None and obj.tag_rows:
        subject, tag = obj.tag_rows
        sees = f"array_contains(visible_to, {lit(EVERYONE)}) OR array_contains(visible_to, {lit(audience.line)})"
        if subject is None:   # rows name a tag but not its subject: the name must be visible in every subject
            where.append(f"{q(tag)} IN (SELECT tag FROM {dictionary} GROUP BY tag HAVING bool_and({sees}))")
        else:
            where.append(f"({q(subject)}, {q(tag)}) IN (SELECT subject, tag FROM {dictionary} WHERE {sees})")
    if audience.line is not None and obj.segment_rows:
        names = ", ".join(lit(s) for s in sorted(audience.segments))
        where.append(f"{q(obj.segment_rows)} IN ({names})" if names else "FALSE")
    query = f"SELECT {select} FROM {obj.source}" + (f" WHERE {' AND '.join(where)}" if where else "")
    target = f"{audience.database}.{q(obj.name)}"
    comment = lit(_comment(obj.comment))
    fingerprint = hashlib.sha256(f"{target}\n{header}\n{comment}\n{query}".encode()).hexdigest()[:20]
    return (f"CREATE OR REPLACE VIEW {target} ({header}) COMMENT {comment} "
            f"TBLPROPERTIES ({lit(OWNER_PROPERTY)} = 'true', {lit(FINGERPRINT_PROPERTY)} = {lit(fingerprint)}) AS {query}",
            len(shown))


def _wide_sql(obj: Exposed, audience: Audience, shown: list[Column]) -> str:
    """A `taglake_wide` table with just the `shown` columns of the subject's manifest: the reader
    reads only the columns a table declares, so hidden tags are not in it at all."""
    assert obj.wide is not None
    columns = ", ".join(f"{q(c.name)} {c.type}" + (f" COMMENT {lit(_comment(c.comment))}" if c.comment else "") for c in shown)
    target = f"{audience.database}.{q(obj.name)}"
    options = f"OPTIONS (path {lit(obj.wide.path)}, latest {lit(str(obj.wide.latest).lower())})"
    comment = lit(_comment(obj.comment))
    fingerprint = hashlib.sha256(f"{target}\n{columns}\n{options}\n{comment}".encode()).hexdigest()[:20]
    return (f"CREATE TABLE {target} ({columns}) USING {WIDE_SOURCE} {options} COMMENT {comment} "
            f"TBLPROPERTIES ({lit(OWNER_PROPERTY)} = 'true', {lit(FINGERPRINT_PROPERTY)} = {lit(fingerprint)})")


def fingerprint_of(sql: str) -> str:
    return sql.split(f"{lit(FINGERPRINT_PROPERTY)} = ", 1)[1].split("'")[1]


# --- publication --------------------------------------------------------------------------------

@dataclass
class Published:
    database: str
    line: str | None
    objects: dict[str, int]            # view -> columns exposed


def write_dictionary(spark, settings: Settings, library: Library) -> dict[TagRef, tuple[str, ...]]:
    """taglake.tag_dictionary from the tag library, in one commit; returns who sees which tag."""
    rows, visible = [], {}
    for tag in library.all_tags():
        visible[tag.ref] = visible_to(tag)
        rows.append((tag.subject, tag.name, tag.display_name, tag.description, list(tag.category), tag.kind, tag.type,
                     tag.layer, tag.unit, tag.family, tag.owner, tag.business_line, list(visible[tag.ref]), tag.status))
    table = settings.table(DICTIONARY)
    fingerprint = hashlib.sha256(json.dumps([DICTIONARY_SCHEMA, rows], ensure_ascii=False).encode()).hexdigest()[:20]
    if spark.catalog.tableExists(table):
        props = {r[0]: r[1] for r in spark.sql(f"SHOW TBLPROPERTIES {table}").collect()}
        if props.get(FINGERPRINT_PROPERTY) == fingerprint:
            return visible
    now = dt.datetime.now()
    (spark.createDataFrame([(*row, now) for row in rows], DICTIONARY_SCHEMA).write.format("delta").mode("overwrite")
     .option("overwriteSchema", "true").saveAsTable(table))
    spark.sql(f"ALTER TABLE {table} SET TBLPROPERTIES ({lit(FINGERPRINT_PROPERTY)} = {lit(fingerprint)})")
    return visible


def visible_segments(spark, settings: Settings, audience: Audience, visible: dict[TagRef, tuple[str, ...]]) -> frozenset[str]:
    """Segments whose every tag (on every evaluated date) the audience may read."""
    from taglake.segments import store

    if audience.line is None or not spark.catalog.tableExists(settings.table(store.STATS)):
        return frozenset()
    reads: dict[str, set[TagRef]] = {}
    for row in spark.sql(f"SELECT DISTINCT segment, subject, tags FROM {settings.table(store.STATS)}").collect():
        reads.setdefault(row["segment"], set()).update(TagRef(row["subject"], t) for t in row["tags"] or [])
    return frozenset(s for s, tags in reads.items() if all(audience.sees(visible.get(t, ())) for t in tags))


def publish(spark, settings: Settings, library: Library, objects: list[Exposed] | None = None,
            parallel: int = 2) -> list[Published]:
    """(Re)create every BI database's objects; one whose definition has not changed is left as it
    is, and objects publish() made earlier that are gone are dropped. Databases are published
    `parallel` at a time (creating a view analyses its query, which is most of the cost)."""
    from concurrent.futures import ThreadPoolExecutor

    targets = audiences(settings, library)
    with step("bi: tag dictionary", log, tags=sum(len(t) for t in library.tags.values())):
        visible = write_dictionary(spark, settings, library)
    if objects is None:
        with step("bi: objects to expose", log) as current:
            objects = current_objects(spark, settings, library)
            current.count(objects=len(objects), columns=sum(len(o.columns) for o in objects))
    dictionary = settings.table(DICTIONARY)

    def one(audience: Audience) -> Published:
        audience = Audience(audience.database, audience.line, visible_segments(spark, settings, audience, visible))
        label = f"bi: {audience.database}" + (f" ({audience.line})" if audience.line else " (every tag)")
        with step(label, log) as current:
            if not spark.catalog.databaseExists(audience.database):
                comment = f"taglake BI: tags visible to {audience.line}" if audience.line else "taglake BI: every tag"
                spark.sql(f"CREATE DATABASE IF NOT EXISTS {audience.database} COMMENT {lit(comment)}")
            existing = _fingerprints(spark, audience.database)
            made, created = {}, 0
            for obj in objects:
                sql, width = object_sql(obj, audience, dictionary, visible)
                if existing.get(obj.name, _MISSING) != fingerprint_of(sql):
                    _replace(spark, f"{audience.database}.{q(obj.name)}", sql, obj.wide is not None)
                    created += 1
                made[obj.name] = width
            _drop_stale(spark, audience.database, set(made), existing)
            current.count(created=created, unchanged=len(made) - created, columns=sum(made.values()),
                          **({"segments": len(audience.segments)} if audience.line else {}))
        return Published(audience.database, audience.line, made)

    with ThreadPoolExecutor(max_workers=max(1, parallel), thread_name_prefix="taglake-bi") as pool:
        return list(pool.map(one, targets))


_MISSING = object()


def _replace(spark, target: str, sql: str, table: bool) -> None:
    """Create `target` from `sql`, replacing what is there. A view is replaced in one statement; a
    table (the catalog keeps a table's columns) is dropped first: a query planned in that moment
    fails and can be retried. Dropping a BI table never deletes data (it is EXTERNAL: its path
    is the subject's serving folder, which taglake's own tables read too)."""
    if spark.catalog.tableExists(target):
        kind = spark.catalog.getTable(target).tableType
        if kind == "VIEW" and table:
            spark.sql(f"DROP VIEW {target}")
        elif kind != "VIEW":
            spark.sql(f"DROP TABLE {target}")
    spark.sql(sql)


def _fingerprints(spark, database: str) -> dict[str, str | None]:
    """The objects of `database` that publish() made, with the fingerprint each was created from."""
    out: dict[str, str | None] = {}
    for row in spark.sql(f"SHOW TABLES IN {database}").collect():
        if row["isTemporary"]:
            continue
        props = {r[0]: r[1] for r in spark.sql(f"SHOW TBLPROPERTIES {database}.{q(row['tableName'])}").collect()}
        if props.get(OWNER_PROPERTY) == "true":
            out[row["tableName"]] = props.get(FINGERPRINT_PROPERTY)
    return out


def _drop_stale(spark, database: str, current: set[str], ours: dict[str, str | None]) -> None:
    for name in set(ours) - current:
        target = f"{database}.{q(name)}"
        if spark.catalog.tableExists(target):
            kind = spark.catalog.getTable(target).tableType
            spark.sql(f"DROP {'VIEW' if kind == 'VIEW' else 'TABLE'} {target}")


# --- today's layout -------------------------------------------------------------------------------

#: Comments of the non-tag columns BI users meet (the tag columns' come from the tag library).
COLUMN_COMMENTS = {
    "snapshot_date": "snapshot date (快照日期): tags as of the end of this day",
    "segment": "segment name (人群)", "subject_key": "key of the subject in the segment",
    "split_group": "A/B split group (null: no split)", "subject": "subject (主体): member, store, product, staff",
    "tag": "tag name (标签)", "size": "members in the segment", "entered": "entered since the previous evaluation",
    "exited": "left since the previous evaluation", "fill_rate": "share of subjects with a value",
    "tgi": "TGI = segment share / base share x 100", "display_name": "display name (显示名)",
    "description": "description (说明)", "business_line": "owning business line (业务线)",
    "visible_to": "business lines that may read the tag (* = all)",
}


def current_objects(spark, settings: Settings, library: Library) -> list[Exposed]:
    """Today's BI objects: each subject's `tags_<subject>` and `tags_<subject>_latest` (tables over
    the subject's serving manifest), the segment tables, the registry's tag versions and snapshots,
    tag statistics and the dictionary; only those that exist. (The one place that knows the
    layout: adapt it when the layout changes.)"""
    from taglake.segments import store
    from taglake.snapshots import registry, serving
    from taglake.snapshots.layout import latest_view_name, view_name

    out: list[Exposed] = []

    def columns(source: str, subject: str | None = None) -> tuple[Column, ...]:
        tags = library.tags.get(subject, {}) if subject else {}
        key = library.subjects[subject].key if subject else None
        cols = []
        for name, kind, comment in source_columns(spark, source):
            tag = tags.get(name)
            if tag is not None:
                cols.append(Column(name, f"{tag.display_name}：{tag.description}", tag.ref, kind))
            elif subject and name == key:
                cols.append(Column(name, f"{library.subjects[subject].display_name} key", type=kind))
            elif subject and name not in COLUMN_COMMENTS:
                # a column of the tag tables that is no tag of today's library (retired): hidden from lines
                cols.append(Column(name, comment, TagRef(subject, name), kind))
            else:
                cols.append(Column(name, COLUMN_COMMENTS.get(name, comment), type=kind))
        return tuple(cols)

    def described(name: str) -> str:
        return spark.catalog.getTable(name).description or ""

    for subject in sorted(library.subjects):
        where = None
        for view, what, latest in ((view_name(subject), "every retained snapshot", False),
                                   (latest_view_name(subject), "the latest snapshot", True)):
            source = settings.table(view)
            if spark.catalog.tableExists(source):
                where = where or serving.folder(spark, settings, subject)
                label = library.subjects[subject].display_name
                out.append(Exposed(view, source, columns(source, subject),
                                   f"{label} ({subject}) tags, one row per {subject} for {what}. {described(source)}".strip(),
                                   wide=Wide(where, latest)))
    tables = [
        (store.MEMBERS, "segment membership per snapshot date", None, "segment"),
        (store.STATS, "segment sizes, entries and exits per snapshot date", None, "segment"),
        (store.PROFILES, "segment portraits (TGI) per snapshot date", (None, "tag"), "segment"),
        (registry.STATS_TABLE, "tag statistics per snapshot date: fill rate, distinct values", ("subject", "tag"), None),
        (registry.VERSIONS_TABLE, "tag definition versions", ("subject", "tag"), None),
        (registry.SNAPSHOTS_TABLE, "computed tag snapshots per subject and date", None, None),
        (DICTIONARY, "every tag: display name, description, category, owner, who may read it", ("subject", "tag"), None),
    ]
    for name, comment, tag_rows, segment_rows in tables:
        source = settings.table(name)
        if spark.catalog.tableExists(source):
            out.append(Exposed(name, source, columns(source), comment, tag_rows, segment_rows))
    return out


def source_columns(spark, name: str) -> list[tuple[str, str, str]]:
    """(column, SQL type, comment) of a table or view. The schema is read as the metastore stores
    it where it is stored (views, taglake_wide tables: 11,000+ columns in well under a second);
    a Delta table's is empty there (delta-io/delta#695), so Delta's own is read."""
    from pyspark.sql.types import StructType

    database, _, table = name.rpartition(".")
    jvm = spark._jvm
    ident = jvm.org.apache.spark.sql.catalyst.TableIdentifier(table, jvm.scala.Some(database))
    meta = spark._jsparkSession.sessionState().catalog().getTableMetadata(ident)
    provider = meta.provider().get() if meta.provider().isDefined() else None
    if meta.tableType().name() == "VIEW" or (provider or "").lower() == WIDE_SOURCE:
        schema = StructType.fromJson(json.loads(meta.schema().json()))
    else:
        schema = spark.table(name).schema
    return [(f.name, f.dataType.simpleString(), f.metadata.get("comment", "")) for f in schema.fields]


def run_stage(run) -> dict[str, int]:
    """Nightly stage: republish the BI databases after the tags and segments (only views whose
    columns changed are created again). With the embedded Derby metastore nothing else can run
    beside the job, so the endpoint publishes when it starts instead."""
    from taglake.runtime.metastore import parse
    from taglake.tagdefs import load_library

    settings = run.settings
    if not parse(settings).shared:
        log.info("bi: skipped (embedded metastore: `taglake serve-sql` publishes when it starts)")
        return {}
    library = load_library(settings.path(settings.tagdefs), database=settings.database)
    published = publish(run.spark, settings, library)
    return {"databases": len(published), "views": sum(len(p.objects) for p in published)}
