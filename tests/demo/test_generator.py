"""The demo source generator: schemas, consistency, the planted dirt, the ground truth, determinism.

Most tests read the session's `tiny_demo` dataset (generated once); the determinism tests generate
two more tiny datasets. The identifier checks use their own small canonicaliser, independent of the
generator, as OneID would have to.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections import Counter, defaultdict

import pytest

from taglake.demo import SCALES, SOURCE_TABLES, Scale, demo_present, generate, source_frames
from taglake.demo.random import weighted_slots

END_DATE = dt.date(2026, 11, 22)
START_DATE = END_DATE - dt.timedelta(days=729)

#: Values that stand for "nobody" in the sources: the test's own list, not the generator's.
PLACEHOLDER_PHONES = {"13800000000", "00000000000", "11111111111", "13900000000", "12345678901"}
PLACEHOLDER_EMAILS = {"test@test.com", "none@none.com", "a@a.com"}
JUNK = {"", "null", "-1", "unknown"}

SCHEMAS = {
    "src_stores": "store_id string, store_name string, city string, city_tier string, region string, "
                  "province string, store_type string, area_sqm int, opened_date date, status string",
    "src_staff": "staff_id string, store_id string, staff_name string, role string, gender string, "
                 "hired_date date, status string, left_date date",
    "src_products": "sku string, product_name string, brand string, category_l1 string, category_l2 string, "
                    "category_l3 string, price double, price_band string, launch_date date, "
                    "is_private_label boolean, status string",
    "src_crm_members": "member_id string, phone string, gender string, birthday date, city string, level string, "
                       "reg_channel string, reg_time timestamp, home_store_id string, unionid string, "
                       "email string, updated_at timestamp",
    "src_wechat_users": "openid string, app_id string, unionid string, phone string, nickname string, "
                        "subscribe_time timestamp, updated_at timestamp",
    "src_app_events": "event_id string, device_id string, member_id string, event_type string, "
                      "event_time timestamp, event_date date, sku string, page string, ingest_time timestamp",
    "src_app_devices": "device_id string, platform string, model string, first_seen timestamp, "
                       "last_seen timestamp, member_id string",
    "src_web_sessions": "session_id string, cookie_id string, session_start timestamp, duration_sec int, "
                        "pages int, landing_page string, utm_source string, phone string, email string, "
                        "ingest_time timestamp",
    "src_orders": "order_id string, member_id string, receiver_phone string, store_id string, staff_id string, "
                  "channel string, order_time timestamp, order_date date, status string, gross_amount double, "
                  "discount_amount double, paid_amount double, refund_amount double, item_count int, "
                  "coupon_used boolean, ingest_time timestamp",
    "src_order_lines": "order_id string, line_no int, sku string, qty int, unit_price double, "
                       "line_discount double, line_amount double, refunded_qty int, refund_amount double, "
                       "member_id string, receiver_phone string, store_id string, channel string, "
                       "order_time timestamp, order_date date, status string",
    "src_identity_truth": "id_type string, id_value string, person_id bigint",
}

#: Rows per table at scale tiny (2,000 persons): generous bounds around what the model produces.
TINY_ROWS = {
    "src_stores": (20, 20), "src_staff": (120, 400), "src_products": (300, 300),
    "src_crm_members": (1_450, 1_800), "src_wechat_users": (1_800, 3_000), "src_app_events": (12_000, 40_000),
    "src_app_devices": (800, 1_300), "src_web_sessions": (800, 3_000), "src_orders": (4_000, 10_000),
    "src_order_lines": (6_000, 18_000), "src_identity_truth": (8_000, 12_000),
}

#: (table, column, id_type) for every identifier column in the sources.
ID_COLUMNS = [
    ("src_crm_members", "member_id", "member_id"), ("src_crm_members", "phone", "phone"),
    ("src_crm_members", "unionid", "wechat_unionid"), ("src_crm_members", "email", "email"),
    ("src_wechat_users", "openid", "wechat_openid"), ("src_wechat_users", "unionid", "wechat_unionid"),
    ("src_wechat_users", "phone", "phone"),
    ("src_app_devices", "device_id", "device_id"), ("src_app_devices", "member_id", "member_id"),
    ("src_app_events", "device_id", "device_id"), ("src_app_events", "member_id", "member_id"),
    ("src_web_sessions", "cookie_id", "cookie_id"), ("src_web_sessions", "phone", "phone"),
    ("src_web_sessions", "email", "email"),
    ("src_orders", "member_id", "member_id"), ("src_orders", "receiver_phone", "phone"),
    ("src_order_lines", "member_id", "member_id"), ("src_order_lines", "receiver_phone", "phone"),
]

SPELLINGS = {  # the ways one mobile number is written across the sources
    "plain": r"^1\d{10}$", "spaced +86": r"^\+86 1\d\d \d{4} \d{4}$", "0086-": r"^0086-1\d{10}$",
    "dashed": r"^1\d\d-\d{4}-\d{4}$", "padded": r"^ 1\d{10} $", "+86": r"^\+861\d{10}$",
}


def canonical(id_type: str, raw: str | None) -> str | None:
    """What OneID should key on; None for values that carry no identity (NULL, blank, junk tokens)."""
    if raw is None or raw.strip().lower() in JUNK:
        return None
    if id_type == "phone":
        digits = re.sub(r"\D", "", raw)
        if len(digits) == 15 and digits.startswith("0086"):
            digits = digits[4:]
        elif len(digits) == 13 and digits.startswith("86"):
            digits = digits[2:]
        return digits if len(digits) == 11 else None
    if id_type == "email":
        return raw.strip().lower()
    return raw.strip()


def is_placeholder(id_type: str, value: str) -> bool:
    return value in (PLACEHOLDER_PHONES if id_type == "phone" else PLACEHOLDER_EMAILS if id_type == "email" else ())


def rows(spark, settings, sql: str) -> list:
    """Run `sql` with the demo database as the current one (and put the previous one back)."""
    previous = spark.catalog.currentDatabase()
    spark.catalog.setCurrentDatabase(settings.database)
    try:
        return spark.sql(sql).collect()
    finally:
        spark.catalog.setCurrentDatabase(previous)


def scalar(spark, settings, sql: str):
    return rows(spark, settings, sql)[0][0]


@pytest.fixture(scope="module")
def truth(spark, tiny_demo) -> dict[tuple[str, str], int]:
    return {(r.id_type, r.id_value): r.person_id
            for r in rows(spark, tiny_demo, "SELECT id_type, id_value, person_id FROM src_identity_truth")}


# --- pure Python -------------------------------------------------------------------------------------------
def test_weighted_slots_follow_the_weights_and_keep_rare_values():
    slots = weighted_slots([70, 29.9, 0.1], 1000)
    counts = Counter(slots)
    assert len(slots) == 1000
    assert counts[0] == 700 and counts[2] >= 1  # a tiny weight still gets a slot


def test_scales_grow():
    sizes = [SCALES[s].persons for s in ("tiny", "small", "medium", "large")]
    assert sizes == sorted(sizes) and sizes[0] == 2_000 and sizes[2] == 1_000_000


# --- shape ---------------------------------------------------------------------------------------------------
def test_tables_are_registered_with_their_schemas_and_comments(spark, tiny_demo):
    assert demo_present(spark, tiny_demo)
    names = {t.name for t in spark.catalog.listTables(tiny_demo.database)}
    assert set(SOURCE_TABLES) <= names
    for table, schema in SCHEMAS.items():
        actual = ", ".join(f"{f.name} {f.dataType.simpleString()}" for f in spark.table(tiny_demo.table(table)).schema)
        assert actual == schema, table
        described = spark.sql(f"DESCRIBE TABLE EXTENDED {tiny_demo.table(table)}").collect()
        detail = {r.col_name: r.data_type for r in described}
        assert detail.get("Comment"), f"{table} has no table comment"
        assert detail.get("Provider") == "delta"
    comments = {r.col_name: r.comment for r in spark.sql(f"DESCRIBE TABLE {tiny_demo.table('src_orders')}").collect()}
    assert "member" in comments["member_id"]


def test_row_counts_are_in_the_expected_range(spark, tiny_demo):
    for table, (low, high) in TINY_ROWS.items():
        count = spark.table(tiny_demo.table(table)).count()
        assert low <= count <= high, f"{table}: {count} rows, expected {low}..{high}"


def test_delta_time_travel_reads_version_zero(spark, tiny_demo):
    for table in ("src_orders", "src_identity_truth"):
        current = spark.table(tiny_demo.table(table)).count()
        assert scalar(spark, tiny_demo, f"SELECT count(*) FROM {table} VERSION AS OF 0") == current


def test_demo_present_is_false_for_an_empty_database(spark, settings):
    assert not demo_present(spark, settings)


# --- values ---------------------------------------------------------------------------------------------------
def test_chinese_display_values(spark, tiny_demo):
    cjk = re.compile(r"[\u4e00-\u9fff]")
    stores = rows(spark, tiny_demo, "SELECT * FROM src_stores")
    assert all(cjk.search(s.store_name) and s.store_name.endswith("店") for s in stores)
    assert {s.city for s in stores} >= {"上海", "北京", "广州", "深圳"}
    assert {s.region for s in stores} <= {"华东", "华北", "华南", "华中", "西南", "西北", "东北"}
    assert {s.city_tier for s in stores} <= {"一线", "新一线", "二线", "三线"}
    categories = rows(spark, tiny_demo, "SELECT DISTINCT category_l1 FROM src_products")
    assert {r.category_l1 for r in categories} == {"护肤", "彩妆", "香水", "个护", "美容仪器", "男士护理", "母婴", "健康食品"}
    l3 = {r[0] for r in rows(spark, tiny_demo, "SELECT DISTINCT category_l3 FROM src_products")}
    assert {"面霜", "口红", "精华液"} & l3
    assert all(cjk.search(r[0]) for r in rows(spark, tiny_demo, "SELECT staff_name FROM src_staff"))
    assert {r[0] for r in rows(spark, tiny_demo, "SELECT DISTINCT channel FROM src_orders")} == {
        "门店", "小程序", "App", "天猫", "京东"}


def test_events_sit_inside_the_two_years_in_china_time(spark, tiny_demo):
    (first, last, bad_dates, early_ingest, opening_hours) = rows(spark, tiny_demo, """
        SELECT min(event_date), max(event_date),
               sum(CASE WHEN to_date(event_time) <> event_date THEN 1 ELSE 0 END),
               sum(CASE WHEN ingest_time < event_time THEN 1 ELSE 0 END),
               (SELECT min(hour(order_time)) FROM src_orders WHERE channel = '门店')
        FROM src_app_events""")[0]
    assert START_DATE <= first and last <= END_DATE and last >= END_DATE - dt.timedelta(days=3)
    assert bad_dates == 0 and early_ingest == 0
    assert opening_hours >= 10  # counters open at 10:00 Beijing time


def test_persons_have_varied_lifecycles(spark, tiny_demo):
    """New members, long-lost buyers and recent buyers all exist, so lifecycle and RFM tags vary."""
    new_members = scalar(spark, tiny_demo, f"""
        SELECT count(*) FROM src_crm_members WHERE reg_time >= DATE'{END_DATE}' - INTERVAL 30 DAYS""")
    recency = rows(spark, tiny_demo, f"""
        SELECT datediff(DATE'{END_DATE}', max(order_date)) AS days FROM src_orders
        WHERE member_id LIKE 'M%' GROUP BY member_id""")
    days = [r.days for r in recency]
    assert new_members >= 20
    assert sum(d <= 30 for d in days) >= 50
    assert sum(d > 365 for d in days) >= 50
    assert sum(90 < d <= 365 for d in days) >= 50


def test_popularity_is_skewed(spark, tiny_demo):
    units = [r[1] for r in rows(spark, tiny_demo,
                                "SELECT sku, sum(qty) FROM src_order_lines GROUP BY sku ORDER BY 2 DESC")]
    top_tenth = sum(units[: len(units) // 10])
    assert top_tenth > 0.3 * sum(units)


# --- orders ---------------------------------------------------------------------------------------------------
def test_order_lines_sum_to_their_orders(spark, tiny_demo):
    mismatches = scalar(spark, tiny_demo, """
        WITH l AS (
            SELECT order_id, sum(qty * unit_price) AS gross, sum(line_discount) AS discount,
                   sum(line_amount) AS paid, sum(refund_amount) AS refund, sum(qty) AS items, count(*) AS n,
                   max(abs(qty * unit_price - line_discount - line_amount)) AS line_error,
                   count(DISTINCT member_id, receiver_phone, store_id, channel, order_time, status) AS keys
            FROM src_order_lines GROUP BY order_id)
        SELECT count(*) FROM src_orders o FULL JOIN l USING (order_id)
        WHERE l.order_id IS NULL OR o.order_id IS NULL
           OR abs(o.gross_amount - l.gross) > 0.011 OR abs(o.discount_amount - l.discount) > 0.011
           OR abs(o.paid_amount - l.paid) > 0.011 OR abs(o.refund_amount - l.refund) > 0.011
           OR abs(o.gross_amount - o.discount_amount - o.paid_amount) > 0.011
           OR o.item_count <> l.items OR l.line_error > 0.011 OR l.keys > 1""")
    assert mismatches == 0
    duplicates = scalar(spark, tiny_demo, "SELECT count(*) - count(DISTINCT order_id) FROM src_orders")
    assert duplicates == 0


def test_refunds_and_cancellations(spark, tiny_demo):
    by_status = {r.status: r for r in rows(spark, tiny_demo, """
        SELECT status, count(*) AS n, sum(CASE WHEN refund_amount = paid_amount THEN 1 ELSE 0 END) AS full,
               sum(CASE WHEN refund_amount > 0 AND refund_amount < paid_amount THEN 1 ELSE 0 END) AS part,
               sum(CASE WHEN refund_amount = 0 THEN 1 ELSE 0 END) AS none
        FROM src_orders GROUP BY status""")}
    assert set(by_status) == {"completed", "refunded", "partially_refunded", "cancelled"}
    assert by_status["refunded"].full == by_status["refunded"].n >= 50
    assert by_status["partially_refunded"].part == by_status["partially_refunded"].n >= 50
    assert by_status["cancelled"].none == by_status["cancelled"].n >= 30
    assert by_status["completed"].none == by_status["completed"].n


def test_orders_reference_existing_open_stores_staff_on_duty_and_products(spark, tiny_demo):
    problems = scalar(spark, tiny_demo, """
        SELECT count(*) FROM src_orders o
        LEFT JOIN src_stores s ON o.store_id = s.store_id
        LEFT JOIN src_staff f ON o.staff_id = f.staff_id
        WHERE (o.channel = '门店') <> (o.store_id IS NOT NULL)
           OR (o.store_id IS NOT NULL AND (s.store_id IS NULL OR s.opened_date > o.order_date))
           OR (o.staff_id IS NOT NULL AND (f.staff_id IS NULL OR f.store_id <> o.store_id
               OR f.hired_date > o.order_date OR f.left_date <= o.order_date))""")
    assert problems == 0
    unknown_skus = scalar(spark, tiny_demo, """
        SELECT count(*) FROM src_order_lines l LEFT ANTI JOIN src_products p USING (sku)""")
    off_shelf = scalar(spark, tiny_demo, """
        SELECT count(*) FROM src_order_lines l JOIN src_products p USING (sku) WHERE p.launch_date > l.order_date""")
    assert unknown_skus == 0 and off_shelf == 0
    staffed = scalar(spark, tiny_demo, """
        SELECT avg(CASE WHEN staff_id IS NULL THEN 0 ELSE 1 END) FROM src_orders WHERE channel = '门店'""")
    assert 0.5 < staffed < 0.9


def test_app_devices_summarise_their_events(spark, tiny_demo):
    problems = scalar(spark, tiny_demo, """
        WITH e AS (SELECT device_id, min(event_time) AS first, max(event_time) AS last
                   FROM src_app_events GROUP BY device_id)
        SELECT count(*) FROM e LEFT JOIN src_app_devices d USING (device_id)
        WHERE d.device_id IS NULL OR d.first_seen > e.first OR d.last_seen <> e.last""")
    assert problems == 0


# --- the planted dirt ----------------------------------------------------------------------------------------
def test_counter_phones_and_other_placeholders_are_planted(spark, tiny_demo):
    counter_orders = scalar(spark, tiny_demo, """
        SELECT count(*) FROM src_orders WHERE receiver_phone = '13800000000' AND channel = '门店'""")
    assert counter_orders >= 60  # "thousands" at scale small
    assert scalar(spark, tiny_demo, "SELECT count(*) FROM src_crm_members WHERE phone = '13800000000'") >= 10
    seen = {r[0] for r in rows(spark, tiny_demo, """
        SELECT receiver_phone FROM src_orders UNION SELECT phone FROM src_crm_members
        UNION SELECT phone FROM src_web_sessions""")}
    assert PLACEHOLDER_PHONES <= seen
    assert {"null", "-1", "unknown", "", None} <= seen


def test_one_number_is_spelled_in_every_format(spark, tiny_demo):
    phones = [r[0] for r in rows(spark, tiny_demo, """
        SELECT receiver_phone FROM src_orders UNION ALL SELECT phone FROM src_crm_members
        UNION ALL SELECT phone FROM src_wechat_users UNION ALL SELECT phone FROM src_web_sessions""") if r[0]]
    for name, pattern in SPELLINGS.items():
        assert sum(bool(re.match(pattern, p)) for p in phones) >= 20, name


def test_emails_come_in_mixed_case_with_stray_spaces(spark, tiny_demo):
    emails = [r[0] for r in rows(spark, tiny_demo, """
        SELECT email FROM src_crm_members WHERE email IS NOT NULL
        UNION ALL SELECT email FROM src_web_sessions WHERE email IS NOT NULL""")]
    assert sum(e != e.strip() for e in emails) >= 20
    assert sum(e.strip() != e.strip().lower() for e in emails) >= 50
    assert sum(e == e.strip().lower() for e in emails) >= 50


def test_guest_orders_blank_ids_and_late_arrivals(spark, tiny_demo):
    guest_share, blank_members = rows(spark, tiny_demo, """
        SELECT avg(CASE WHEN member_id IS NULL THEN 1 ELSE 0 END),
               sum(CASE WHEN member_id IN ('', 'null', '-1') THEN 1 ELSE 0 END) FROM src_orders""")[0]
    assert 0.15 < guest_share < 0.40 and blank_members >= 20
    late_share, logged_in = rows(spark, tiny_demo, """
        SELECT avg(CASE WHEN ingest_time >= event_time + INTERVAL 1 DAY THEN 1 ELSE 0 END),
               avg(CASE WHEN member_id LIKE 'M%' THEN 1 ELSE 0 END) FROM src_app_events""")[0]
    assert 0.015 < late_share < 0.05
    assert 0.45 < logged_in < 0.75
    assert scalar(spark, tiny_demo, """
        SELECT count(*) FROM src_crm_members WHERE birthday = DATE'1900-01-01'""") >= 10
    genders = {r[0] for r in rows(spark, tiny_demo, "SELECT DISTINCT gender FROM src_crm_members")}
    assert genders == {"M", "F", "男", "女", "未知", None}


# --- ground truth ----------------------------------------------------------------------------------------------
def test_truth_maps_each_canonical_identifier_to_one_person(spark, tiny_demo, truth):
    ambiguous = scalar(spark, tiny_demo, """
        SELECT count(*) FROM (SELECT id_type, id_value FROM src_identity_truth
                              GROUP BY id_type, id_value HAVING count(DISTINCT person_id) > 1 OR count(*) > 1)""")
    assert ambiguous == 0
    types = Counter(t for t, _ in truth)
    assert set(types) == {"phone", "member_id", "email", "wechat_openid", "wechat_unionid", "device_id", "cookie_id"}
    assert types["phone"] == 2_000  # every person has a phone; no two share one
    for (id_type, value) in truth:
        assert canonical(id_type, value) == value, (id_type, value)
        assert not is_placeholder(id_type, value)


def test_every_source_identifier_is_in_the_truth_or_a_placeholder(spark, tiny_demo, truth):
    unknown, placeholders, known = [], defaultdict(set), Counter()
    for table, column, id_type in ID_COLUMNS:
        for (raw,) in rows(spark, tiny_demo, f"SELECT DISTINCT {column} FROM {table}"):
            value = canonical(id_type, raw)
            if value is None:
                continue
            if is_placeholder(id_type, value):
                placeholders[id_type].add(value)
            elif (id_type, value) in truth:
                known[id_type] += 1
            else:
                unknown.append((table, column, raw))
    assert not unknown, unknown[:10]
    assert placeholders["phone"] == PLACEHOLDER_PHONES
    assert placeholders["email"] and placeholders["email"] <= PLACEHOLDER_EMAILS
    assert set(known) == {"phone", "member_id", "email", "wechat_openid", "wechat_unionid", "device_id", "cookie_id"}


def person_links(spark, settings, truth, sql: str, left_type: str, right_type: str) -> tuple[int, int]:
    """(links between two real identifiers of one row, how many of them join two different persons)."""
    same = different = 0
    for left, right in rows(spark, settings, sql):
        a, b = canonical(left_type, left), canonical(right_type, right)
        if a is None or b is None or is_placeholder(left_type, a) or is_placeholder(right_type, b):
            continue
        if truth[(left_type, a)] == truth[(right_type, b)]:
            same += 1
        else:
            different += 1
    return same, different


def test_source_links_agree_with_the_truth_except_the_planted_ones(spark, tiny_demo, truth):
    # A CRM record's phone, unionid and e-mail are its member's own.
    for column, id_type in (("phone", "phone"), ("unionid", "wechat_unionid"), ("email", "email")):
        same, different = person_links(spark, tiny_demo, truth,
                                       f"SELECT member_id, {column} FROM src_crm_members", "member_id", id_type)
        assert same > 100 and different == 0, column
    same, different = person_links(spark, tiny_demo, truth,
                                   "SELECT openid, unionid FROM src_wechat_users", "wechat_openid", "wechat_unionid")
    assert same > 1000 and different == 0
    # Gift orders: about 1% of online orders go to someone else's phone.
    same, gifts = person_links(spark, tiny_demo, truth, "SELECT member_id, receiver_phone FROM src_orders",
                               "member_id", "phone")
    assert same > 2000 and 5 <= gifts <= 0.03 * same


def test_duplicate_members_share_a_phone(spark, tiny_demo, truth):
    by_phone = defaultdict(set)
    for member_id, phone in rows(spark, tiny_demo, "SELECT member_id, phone FROM src_crm_members"):
        value = canonical("phone", phone)
        if value and not is_placeholder("phone", value):
            by_phone[value].add(member_id)
    duplicates = [m for m in by_phone.values() if len(m) > 1]
    assert len(duplicates) >= 10
    assert all(len({truth[("member_id", m)] for m in members}) == 1 for members in duplicates)


def test_shared_family_devices_carry_several_members_of_one_household(spark, tiny_demo, truth):
    shared = rows(spark, tiny_demo, """
        SELECT device_id, collect_set(member_id) AS members FROM src_app_events
        WHERE member_id LIKE 'M%' GROUP BY device_id HAVING size(collect_set(member_id)) > 1""")
    households = []
    for device_id, members in shared:
        persons = {truth[("member_id", m)] for m in members}
        owner = truth[("device_id", device_id)]
        if len(persons) > 1:
            households.append(persons | {owner})
    assert len(households) >= 3
    # Persons 3k+1..3k+3 are a household; a shared device stays within one.
    assert all(len({(p - 1) // 3 for p in h}) == 1 and len(h) <= 3 for h in households)


# --- determinism ---------------------------------------------------------------------------------------
def checksum(frame) -> tuple[int, int]:
    """Row count and an order-independent hash sum over all columns."""
    from pyspark.sql import functions as F

    row = frame.agg(F.count(F.lit(1)), F.coalesce(F.sum(F.xxhash64("*").cast("decimal(38,0)")), F.lit(0))).first()
    return int(row[0]), int(row[1])


@pytest.fixture(scope="module")
def tiny_checksums(spark, tiny_demo) -> dict[str, tuple[int, int]]:
    return {table: checksum(spark.table(tiny_demo.table(table))) for table in SOURCE_TABLES}


def test_same_seed_same_tables_whatever_the_partitioning(spark, tiny_checksums):
    """Built again in memory from three partitions instead of one: the content is identical."""
    repartitioned = dataclasses.replace(SCALES["tiny"], partitions=3)
    with source_frames(spark, scale=repartitioned, seed=7, end_date=END_DATE) as frames:
        again = {table: checksum(frame()) for table, frame in frames.items()}
    assert again == tiny_checksums


def test_another_seed_gives_other_tables(spark, tiny_checksums):
    with source_frames(spark, scale="tiny", seed=8, end_date=END_DATE) as frames:
        other = {table: checksum(frame()) for table, frame in frames.items()}
    assert all(other[t][1] != tiny_checksums[t][1] for t in SOURCE_TABLES)


def test_generate_replaces_existing_tables_and_reports_their_rows(spark, settings):
    spark.sql(f"CREATE TABLE {settings.table('src_orders')} (legacy int) USING delta")
    spark.sql(f"INSERT INTO {settings.table('src_orders')} VALUES (1), (2)")
    micro = Scale("micro", persons=300, stores=5, skus=60, partitions=2)
    counts = generate(spark, settings, scale=micro, seed=7, end_date=END_DATE)
    assert list(counts) == list(SOURCE_TABLES)
    assert counts == {t: spark.table(settings.table(t)).count() for t in SOURCE_TABLES}
    assert spark.table(settings.table("src_orders")).columns[0] == "order_id"
    history = spark.sql(f"DESCRIBE HISTORY {settings.table('src_orders')}").collect()
    assert [h.version for h in history] == [0]  # a new dataset, not a new version of the old table


def test_unknown_scale_is_a_readable_error(spark, settings):
    from taglake.errors import InputError

    with pytest.raises(InputError, match="unknown demo scale 'huge'"):
        generate(spark, settings, scale="huge")
