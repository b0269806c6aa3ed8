"""The BI databases: what analysts query over JDBC, as views with column comments.

One database (`serve.database`, default `bi`) exposes every tag; each configured business line gets
its own (`bi_<suffix>`, `serve.business_lines`) exposing only the tags that line may see: a tag is
visible to its own business line, to the lines in its `visibility.business_lines`, or to all when
that list holds "*". Rows that describe tags (statistics, versions, the dictionary) and segments
(a segment is visible when every tag its rule reads is) are filtered the same way. The views are
fail-closed: a view's columns are fixed when it is created (Spark stores them with the view), so a
tag added later stays out of every BI database until the next publication.

Why views with explicit column lists: a Delta table registered in a Hive metastore carries an empty
schema there (delta-io/delta#695), so JDBC clients (DBeaver's getColumns, Superset, Tableau) would
see no columns; a view's schema, with the comments given in its column list, is stored in the
metastore. The view *text* stays short (`SELECT * EXCEPT (hidden) FROM source WHERE ...`) whatever
the number of tags: only the text is bounded by the embedded metastore (Derby: 32,700
characters); the columns and their comments are stored one row each.

`publish()` knows nothing of how tag tables are laid out: it takes the objects to expose
(`Exposed`: a name, the table or view it reads, its columns with comments, how its rows relate to
tags or segments). `current_objects()` is the one place that maps today's layout onto them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from taglake.errors import ConfigError
from taglake.progress import step
from taglake.settings import Settings
from taglake.core.expressions import quote_identifier as q
from taglake.core.expressions import quote_literal as lit
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
#: Marks the views publish() owns, so it drops only its own stale ones.
OWNER_PROPERTY = "taglake.bi"
#: A hash of the statement a view was created from: an unchanged view is not created again.
FINGERPRINT_PROPERTY = "taglake.bi.fingerprint"


@dataclass(frozen=True)
class Column:
    name: str
    comment: str = ""
    tag: TagRef | None = None          # None: keys, dates and other columns every reader sees


@dataclass(frozen=True)
class Exposed:
    """One object of a BI database: `name` reads `source` (a qualified table or view)."""

    name: str
    source: str
    columns: tuple[Column, ...]
    comment: str = ""
    tag_rows: tuple[str | None, str] | None = None   # (subject column, tag column) when each row describes one tag
    segment_rows: str | None = None             # column naming a segment when each row belongs to one


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


# --- the view text ------------------------------------------------------------------------------

def _comment(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= COMMENT_LIMIT else text[:COMMENT_LIMIT - 1] + "…"


def view_sql(obj: Exposed, audience: Audience, dictionary: str, visible: dict[TagRef, tuple[str, ...]]) -> tuple[str, int]:
    """CREATE VIEW for `obj` in `audience`'s database, and how many columns it exposes. The
    statement carries a fingerprint of itself, so an unchanged view is not created again."""
    shown, hidden = [], []
    for col in obj.columns:
        ok = col.tag is None or audience.sees(visible.get(col.tag, ()))   # unknown tag: hidden from lines
        (shown if ok else hidden).append(col)
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
    """(Re)create every BI database's views; a view whose definition has not changed is left as it
    is, and views publish() made earlier that are gone are dropped. Databases are published
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
                comment = f"taglake BI views: tags visible to {audience.line}" if audience.line else "taglake BI views: every tag"
                spark.sql(f"CREATE DATABASE IF NOT EXISTS {audience.database} COMMENT {lit(comment)}")
            existing = _fingerprints(spark, audience.database)
            made, created = {}, 0
            for obj in objects:
                sql, width = view_sql(obj, audience, dictionary, visible)
                if existing.get(obj.name) != fingerprint_of(sql):
                    spark.sql(sql)
                    created += 1
                made[obj.name] = width
            _drop_stale(spark, audience.database, set(made), existing)
            current.count(created=created, unchanged=len(made) - created, columns=sum(made.values()),
                          **({"segments": len(audience.segments)} if audience.line else {}))
        return Published(audience.database, audience.line, made)

    with ThreadPoolExecutor(max_workers=max(1, parallel), thread_name_prefix="taglake-bi") as pool:
        return list(pool.map(one, targets))


def _fingerprints(spark, database: str) -> dict[str, str | None]:
    """The views of `database` that publish() made, with the fingerprint each was created from."""
    out: dict[str, str | None] = {}
    for row in spark.sql(f"SHOW VIEWS IN {database}").collect():
        if row["isTemporary"]:
            continue
        props = {r[0]: r[1] for r in spark.sql(f"SHOW TBLPROPERTIES {database}.{q(row['viewName'])}").collect()}
        if props.get(OWNER_PROPERTY) == "true":
            out[row["viewName"]] = props.get(FINGERPRINT_PROPERTY)
    return out


def _drop_stale(spark, database: str, current: set[str], ours: dict[str, str | None]) -> None:
    for name in set(ours) - current:
        spark.sql(f"DROP VIEW IF EXISTS {database}.{q(name)}")


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
    """Today's BI objects: each subject's `tags_<subject>` and `tags_<subject>_latest` views, the
    segment tables, the registry's tag versions and snapshots, tag statistics and the dictionary;
    only those that exist. (The one place that knows the layout: adapt it when the layout changes.)"""
    from taglake.segments import store
    from taglake.snapshots import registry
    from taglake.snapshots.layout import latest_view_name, view_name

    out: list[Exposed] = []

    def columns(source: str, subject: str | None = None) -> tuple[Column, ...]:
        tags = library.tags.get(subject, {}) if subject else {}
        key = library.subjects[subject].key if subject else None
        cols = []
        for name, comment in source_columns(spark, source):
            tag = tags.get(name)
            if tag is not None:
                cols.append(Column(name, f"{tag.display_name}：{tag.description}", tag.ref))
            elif subject and name == key:
                cols.append(Column(name, f"{library.subjects[subject].display_name} key"))
            elif subject and name not in COLUMN_COMMENTS:
                # a column of the tag tables that is no tag of today's library (retired): hidden from lines
                cols.append(Column(name, comment, TagRef(subject, name)))
            else:
                cols.append(Column(name, COLUMN_COMMENTS.get(name, comment)))
        return tuple(cols)

    def described(name: str) -> str:
        return spark.catalog.getTable(name).description or ""

    for subject in sorted(library.subjects):
        for view, what in ((view_name(subject), "every retained snapshot"), (latest_view_name(subject), "the latest snapshot")):
            source = settings.table(view)
            if spark.catalog.tableExists(source):
                label = library.subjects[subject].display_name
                out.append(Exposed(view, source, columns(source, subject),
                                   f"{label} ({subject}) tags, one row per {subject} for {what}. {described(source)}".strip()))
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


def source_columns(spark, name: str) -> list[tuple[str, str]]:
    """(column, comment) of a table or view. A view's schema is read as the metastore stores it:
    analysing a wide view's query only to learn its columns costs minutes at 10,000+ columns."""
    database, _, table = name.rpartition(".")
    jvm = spark._jvm
    ident = jvm.org.apache.spark.sql.catalyst.TableIdentifier(table, jvm.scala.Some(database))
    meta = spark._jsparkSession.sessionState().catalog().getTableMetadata(ident)
    if meta.tableType().name() == "VIEW":
        fields = json.loads(meta.schema().json())["fields"]
    else:
        fields = spark.table(name).schema.jsonValue()["fields"]
    return [(f["name"], (f.get("metadata") or {}).get("comment", "")) for f in fields]


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
