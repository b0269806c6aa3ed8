"""What persons do: orders with their lines, app sessions and events, web sessions.

Each activity grows from the persons frame by `explode(sequence(...))`: a person gets a number of
orders / sessions drawn around her engagement rate times the years she was a customer, and each
one lands on a day inside her active span. Rows that would reach the warehouse after the
extraction (04:00 the morning after end_date) are left out, as they would be in a real extract.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from taglake.demo import dirt, vocab
from taglake.demo.dimensions import Products, Stores
from taglake.demo.people import People, per_engagement
from taglake.demo.random import bijection, lookup
from taglake.demo.world import DAY_SECONDS, World

ORDERS_PER_YEAR = (0.4, 1.5, 4.0, 12.0)
APP_SESSIONS_PER_YEAR = (0.8, 2.5, 8.5, 22.0)
WEB_SESSIONS_PER_YEAR = (0.5, 1.5, 3.0, 5.0)
MAX_LINES = 6
#: Orders per person stay below this, so person_id * ORDER_SLOTS + k numbers orders uniquely.
ORDER_SLOTS = 64
ONLINE_CHANNELS = {"小程序": 0.40, "App": 0.20, "天猫": 0.25, "京东": 0.15}
ORDER_ID_SPACE = 10**10


class Activity:
    def __init__(self, world: World, people: People, stores: Stores, products: Products) -> None:
        self.world, self.rng = world, world.rng
        self.people, self.stores, self.products = people, stores, products

    def _explode_count(self, persons: DataFrame, count: Column, name: str) -> DataFrame:
        return persons.select("*", count.alias("_n")).where("_n > 0").select(
            "*", F.explode(F.sequence(F.lit(1), F.col("_n"))).alias(name)).drop("_n")

    def _member_reference(self, day: Column, salt: str, *keys) -> Column:
        """The member id a person uses on `day`: sometimes her duplicate account once it exists."""
        use_duplicate = (F.col("has_duplicate_member") & (day >= F.col("duplicate_reg_day"))
                         & self.rng.chance(0.3, salt, *keys))
        return F.when(use_duplicate, F.col("duplicate_member_id")).otherwise(F.col("member_id"))

    # --- orders ----------------------------------------------------------------------------------------
    def orders(self, persons: DataFrame) -> DataFrame:
        """Orders with their totals and their lines (an array of structs, MAX_LINES unrolled).

        Totals are sums over the same line values the array holds, so src_orders (the totals) and
        src_order_lines (the exploded array) agree without a join or an aggregation.
        """
        return self._with_lines(self._order_headers(persons))

    def _order_headers(self, persons: DataFrame) -> DataFrame:
        """One row per order: who, when, where, through which channel, with which phone and discount."""
        w, rng, stores = self.world, self.rng, self.stores
        pid, k, day = F.col("person_id"), F.col("k"), F.col("day")
        count = rng.count_around(per_engagement(ORDERS_PER_YEAR, F.col("engagement")) * F.col("active_years"),
                                 "order.count", pid, cap=ORDER_SLOTS - 1)
        orders = self._explode_count(persons, count, "k")

        at_store = rng.chance(F.col("store_share"), "order.at_store", pid, k)
        online = rng.pick(ONLINE_CHANNELS, "order.channel", pid, k)
        online = (F.when((online == "App") & (F.col("devices") == 0),
                         F.when(F.col("has_wechat"), "小程序").otherwise("天猫"))
                  .when((online == "小程序") & ~F.col("has_wechat"), "天猫")
                  .otherwise(online))
        stage1 = orders.select(
            "*",
            rng.between(F.col("active_from"), F.col("active_until"), "order.day", pid, k).alias("day"),
            F.when(at_store, "门店").otherwise(online).alias("channel"),
        )
        channel = F.col("channel")
        store_visit = channel == "门店"
        wanted_store = F.when(rng.chance(0.85, "order.home_store", pid, k), F.col("home_store")) \
            .otherwise(rng.below(w.scale.stores, "order.travel_store", pid, k))
        second = F.when(store_visit, w.time_of_day(vocab.STORE_HOURS, "order.time", pid, k)) \
            .otherwise(w.time_of_day(vocab.ONLINE_HOURS, "order.time", pid, k))
        stage2 = stage1.select(
            "*",
            F.when(store_visit, stores.serving(wanted_store, day)).alias("store_idx"),
            w.epoch(day, second).alias("order_epoch"),
        )
        store = F.col("store_idx")
        slot = F.when(rng.chance(0.85, "order.advisor", pid, k),
                      2 + rng.below(stores.slots(store) - 2, "order.slot", pid, k)).otherwise(0)
        staff = F.when(store_visit & rng.chance(0.75, "order.staff", pid, k), stores.on_duty(store, slot, day))
        attached = F.col("is_member") & (
            channel.isin("小程序", "App")
            | (store_visit & rng.chance(0.88, "order.member_at_counter", pid, k))
            | (channel.isin("天猫", "京东") & rng.chance(0.35, "order.member_on_marketplace", pid, k)))
        member = F.when(attached, self._member_reference(day, "order.duplicate", pid, k)).otherwise(
            F.when(rng.chance(0.05, "order.junk_member", pid, k), rng.pick({"": 0.6, "null": 0.2, "-1": 0.2},
                                                                          "order.junk_token", pid, k)))
        own_phone = dirt.phone_spelling(rng, F.col("phone"), 0.6, "order.phone_format", pid, k)
        gift_to = 1 + rng.below(w.scale.persons, "order.gift_to", pid, k).cast("long")
        gift_phone = dirt.phone_spelling(rng, self.people.phone(gift_to), 0.6, "order.gift_format", pid, k)
        u = rng.uniform("order.counter_phone", pid, k)
        receiver = (F.when(~store_visit, F.when(rng.chance(0.01, "order.gift", pid, k) & (gift_to != pid), gift_phone)
                           .otherwise(own_phone))
                    .when(u < 0.04, dirt.COUNTER_PHONE)
                    .when(u < 0.05, dirt.placeholder_phone(rng, "order.placeholder", pid, k))
                    .when(u < 0.20, dirt.junk(rng, "order.junk_phone", pid, k))
                    .otherwise(own_phone))
        coupon = rng.chance(0.22, "order.coupon", pid, k)
        date = w.date(day)
        promo = (((F.month(date) == 6) & (F.dayofmonth(date) <= 18))
                 | ((F.month(date) == 11) & (F.dayofmonth(date) <= 11)))
        base_rate = rng.pick({0.0: 0.5, 0.05: 0.15, 0.1: 0.15, 0.15: 0.1, 0.2: 0.1}, "order.discount", pid, k)
        rate = F.least(F.lit(0.5), base_rate + F.when(promo, 0.1).otherwise(0.0) + F.when(coupon, 0.05).otherwise(0.0))
        # POS terminals upload overnight; online orders arrive within minutes, a few days late.
        ingest = (F.when(store_visit, w.epoch(day + 1, rng.between(3600, 4 * 3600 - 1, "order.pos_upload", pid, k)))
                  .otherwise(F.col("order_epoch") + rng.between(5, 600, "order.lag", pid, k))
                  + F.when(rng.chance(0.01, "order.late", pid, k),
                           rng.between(DAY_SECONDS, 3 * DAY_SECONDS, "order.late_by", pid, k)).otherwise(0))
        return stage2.select(
            "person_id", "k", "day", "channel", "store_idx", "order_epoch",
            staff.alias("staff_id"),
            member.alias("member_id"),
            receiver.alias("receiver_phone"),
            coupon.alias("coupon_used"),
            rate.alias("discount_rate"),
            ingest.alias("ingest_epoch"),
            (1 + rng.count_around(0.7, "order.lines", pid, k, cap=MAX_LINES - 1)).alias("n_lines"),
        ).where(w.arrived(F.col("ingest_epoch")))

    def _with_lines(self, headers: DataFrame) -> DataFrame:
        w, rng, stores, products = self.world, self.rng, self.stores, self.products
        pid, k, day = F.col("person_id"), F.col("k"), F.col("day")
        lines = range(1, MAX_LINES + 1)
        # Lines past n_lines stay NULL (CASE evaluates lazily): no work for lines that do not exist.
        exists = {i: F.col("n_lines") >= i for i in lines}
        stage4 = headers.select(
            "*",
            *(F.when(exists[i], products.bought(day, "line.sku", pid, k, i)).alias(f"sku_{i}") for i in lines),
            *(F.when(exists[i], rng.pick({1: 0.8, 2: 0.15, 3: 0.05}, "line.qty", pid, k, i)).alias(f"qty_{i}")
              for i in lines),
        )
        stage5 = stage4.select(
            "*", *(products.price(F.col(f"sku_{i}")).alias(f"price_{i}") for i in lines))
        gross = {i: F.round(F.col(f"qty_{i}") * F.col(f"price_{i}"), 2) for i in lines}
        discount = {i: F.round(gross[i] * F.col("discount_rate"), 2) for i in lines}
        stage6 = stage5.select(
            "*",
            *(gross[i].alias(f"gross_{i}") for i in lines),
            *(discount[i].alias(f"discount_{i}") for i in lines),
            *(F.round(gross[i] - discount[i], 2).alias(f"amount_{i}") for i in lines),
        )
        online_order = F.col("channel") != "门店"
        cancel_p = F.when(online_order, 0.04).otherwise(0.005)
        s = rng.uniform("order.status", pid, k)
        partial_possible = (F.col("n_lines") >= 2) | (F.col("qty_1") >= 2)
        status = (F.when(s < cancel_p, "cancelled").when(s < cancel_p + 0.03, "refunded")
                  .when((s < cancel_p + 0.065) & partial_possible, "partially_refunded").otherwise("completed"))
        stage7 = stage6.select("*", status.alias("status"))

        # A partial refund returns the first line, or one unit of it when the order has a single line.
        def returned_qty(i: int) -> Column:
            first_line_share = F.when(F.col("n_lines") >= 2, F.col("qty_1")).otherwise(1) if i == 1 else F.lit(0)
            return (F.when(F.col("status") == "refunded", F.col(f"qty_{i}"))
                    .when(F.col("status") == "partially_refunded", first_line_share).otherwise(0))

        stage8 = stage7.select("*", *(returned_qty(i).alias(f"returned_{i}") for i in lines))
        amount, qty, returned = (lambda i: F.col(f"amount_{i}")), (lambda i: F.col(f"qty_{i}")), \
            (lambda i: F.col(f"returned_{i}"))
        stage9 = stage8.select("*", *(
            F.when(returned(i) == qty(i), amount(i)).when(returned(i) > 0, F.round(amount(i) * returned(i) / qty(i), 2))
            .otherwise(0.0).alias(f"refund_{i}") for i in lines))

        def total(prefix: str) -> Column:
            """Sum of a per-line column over the order's lines, unrolled (no per-row lambda)."""
            return sum((F.when(exists[i], F.col(f"{prefix}_{i}")).otherwise(0) for i in lines),
                       start=F.lit(0))

        line_array = F.slice(F.array(*(F.struct(
            F.lit(i).alias("line_no"),
            products.sku(F.col(f"sku_{i}")).alias("sku"),
            qty(i).cast("int").alias("qty"),
            F.col(f"price_{i}").alias("unit_price"),
            F.col(f"discount_{i}").alias("line_discount"),
            amount(i).alias("line_amount"),
            returned(i).cast("int").alias("refunded_qty"),
            F.col(f"refund_{i}").alias("refund_amount"),
        ) for i in lines)), 1, F.col("n_lines"))
        order_number = bijection(pid * ORDER_SLOTS + k, ORDER_ID_SPACE, w.seed, "order")
        return stage9.select(
            F.concat(F.date_format(w.date(day), "yyyyMMdd"), F.lpad(order_number.cast("string"), 10, "0"))
            .alias("order_id"),
            "member_id", "receiver_phone",
            stores.store_id(F.col("store_idx")).alias("store_id"),
            "staff_id", "channel",
            w.timestamp(F.col("order_epoch")).alias("order_time"),
            w.date(day).alias("order_date"),
            "status",
            F.round(total("gross"), 2).alias("gross_amount"),
            F.round(total("discount"), 2).alias("discount_amount"),
            F.round(total("amount"), 2).alias("paid_amount"),
            F.round(total("refund"), 2).alias("refund_amount"),
            total("qty").cast("int").alias("item_count"),
            "coupon_used",
            w.timestamp(F.col("ingest_epoch")).alias("ingest_time"),
            line_array.alias("lines"),
        )

    @staticmethod
    def order_table(orders: DataFrame) -> DataFrame:
        return orders.drop("lines")

    @staticmethod
    def order_lines_table(orders: DataFrame) -> DataFrame:
        """The lines, denormalised with the order's keys as ODS line tables usually are."""
        return orders.select(
            "order_id", F.explode("lines").alias("line"), "member_id", "receiver_phone", "store_id", "channel",
            "order_time", "order_date", "status",
        ).select(
            "order_id", "line.line_no", "line.sku", "line.qty", "line.unit_price", "line.line_discount",
            "line.line_amount", "line.refunded_qty", "line.refund_amount",
            "member_id", "receiver_phone", "store_id", "channel", "order_time", "order_date", "status",
        )

    # --- app -------------------------------------------------------------------------------------------
    def app_events(self, persons: DataFrame) -> DataFrame:
        """Sessions on a person's own devices (or a family member's shared one), each a burst of events."""
        w, rng, products = self.world, self.rng, self.products
        pid, s, e = F.col("person_id"), F.col("session"), F.col("seq")
        own_devices, owner = F.col("devices"), F.col("shared_device_owner")
        # Someone who only ever borrows the family tablet uses the app half as much.
        rate = per_engagement(APP_SESSIONS_PER_YEAR, F.col("engagement")) * F.col("active_years") \
            * F.when(own_devices > 0, 1.0).otherwise(0.5)
        app_users = persons.where((own_devices > 0) | owner.isNotNull())
        sessions = self._explode_count(app_users, rng.count_around(rate, "app.sessions", pid, cap=5000), "session")

        day = rng.between(F.col("active_from"), F.col("active_until"), "app.day", pid, s)
        on_shared = owner.isNotNull() & ((own_devices == 0) | rng.chance(0.25, "app.on_shared", pid, s))
        device = (F.when(on_shared, F.col("shared_device"))
                  .when((own_devices == 2) & rng.chance(0.5, "app.device", pid, s), F.col("device_2"))
                  .otherwise(F.col("device_1")))
        logged_in = F.col("is_member") & rng.chance(0.72, "app.logged_in", pid, s)
        member = F.when(logged_in, self._member_reference(day, "app.duplicate", pid, s)).otherwise(
            F.when(rng.chance(0.03, "app.junk_member", pid, s), rng.pick({"": 0.7, "null": 0.3}, "app.junk", pid, s)))
        events_per_session = 1 + rng.count_around(2.2, "app.events", pid, s, cap=40)
        per_session = sessions.select(
            "person_id", "session",
            # Event ids: a per-session random key plus the event's number in the session (unique, and
            # one hash per session rather than two per event).
            rng.hex("app.session_key", pid, s, length=28).alias("session_key"),
            day.alias("day"),
            device.alias("device_id"),
            member.alias("member_id"),
            w.epoch(day, w.time_of_day(vocab.ONLINE_HOURS, "app.time", pid, s)).alias("start_epoch"),
            F.explode(F.sequence(F.lit(1), events_per_session)).alias("seq"),
        )
        kinds = {k: share for k, (share, _) in vocab.APP_EVENTS.items()}
        event_type = F.when(e == 1, "app_open").otherwise(rng.pick(kinds, "app.event_type", pid, s, e))
        # Steps of 45 s plus under 40 s of jitter: strictly increasing within a session.
        event_epoch = F.col("start_epoch") + (e - 1) * 45 + rng.below(40, "app.gap", pid, s, e)
        lag = F.when(rng.chance(0.03, "app.late", pid, s, e),
                     rng.between(DAY_SECONDS, 3 * DAY_SECONDS, "app.late_by", pid, s, e)) \
            .otherwise(rng.between(1, 300, "app.lag", pid, s, e))
        events = per_session.select(
            "*", event_type.alias("event_type"), event_epoch.alias("event_epoch"),
            (event_epoch + lag).alias("ingest_epoch"))
        event_type, event_epoch = F.col("event_type"), F.col("event_epoch")
        page = F.coalesce(*(F.when(event_type == k, page) for k, (_, page) in vocab.APP_EVENTS.items()))
        sku = F.when(event_type.isin(*vocab.PRODUCT_EVENTS),
                     products.sku(products.bought(F.col("day"), "app.sku", pid, s, e)))
        return events.where(w.within_window(event_epoch) & w.arrived(F.col("ingest_epoch"))).select(
            F.concat(F.col("session_key"), F.lpad(F.lower(F.hex(e)), 4, "0")).alias("event_id"),
            "device_id", "member_id", "event_type",
            w.timestamp(event_epoch).alias("event_time"),
            w.date_of(event_epoch).alias("event_date"),
            sku.alias("sku"),
            page.alias("page"),
            w.timestamp(F.col("ingest_epoch")).alias("ingest_time"),
        )

    @staticmethod
    def device_activity(app_events: DataFrame) -> DataFrame:
        """First and last event per device and the member id of its last logged-in event."""
        logged_in = F.col("member_id").startswith("M")
        return app_events.groupBy("device_id").agg(
            F.min("event_time").alias("first_event"),
            F.max("event_time").alias("last_event"),
            # Ties on event_time are broken by event_id, so the result never depends on row order.
            F.max_by("member_id", F.when(logged_in, F.struct("event_time", "event_id"))).alias("member_id"),
        )

    # --- web -------------------------------------------------------------------------------------------
    def web_sessions(self, persons: DataFrame) -> DataFrame:
        """Visits to the web shop. Cookies get cleared: a person's cookies split her active span between them."""
        w, rng, people, products = self.world, self.rng, self.people, self.products
        pid, c, s = F.col("person_id"), F.col("cookie"), F.col("session")
        cookies = persons.where("cookies > 0").select(
            "*", F.explode(F.sequence(F.lit(1), F.col("cookies"))).alias("cookie"))
        span = F.col("active_until") - F.col("active_from") + 1
        start = F.col("active_from") + F.floor(span * (c - 1) / F.col("cookies")).cast("int")
        end = F.col("active_from") + F.floor(span * c / F.col("cookies")).cast("int") - 1
        cookie_spans = cookies.select("*", start.alias("cookie_from"), end.alias("cookie_until")) \
            .where("cookie_until >= cookie_from")
        rate = per_engagement(WEB_SESSIONS_PER_YEAR, F.col("engagement")) \
            * (F.col("cookie_until") - F.col("cookie_from") + 1) / 365.0
        sessions = self._explode_count(cookie_spans, rng.count_around(rate, "web.sessions", pid, c, cap=2000),
                                       "session")
        sessions = sessions.select(
            "*", rng.between(F.col("cookie_from"), F.col("cookie_until"), "web.day", pid, c, s).alias("day"))
        day = F.col("day")
        start_epoch = w.epoch(day, w.time_of_day(vocab.ONLINE_HOURS, "web.time", pid, c, s))
        pages = 1 + rng.count_around(3.0, "web.pages", pid, c, s, cap=80)
        duration = F.when(pages == 1, rng.between(3, 60, "web.bounce", pid, c, s)) \
            .otherwise(pages * rng.between(15, 140, "web.dwell", pid, c, s))
        landing = rng.pick({"home": 30, "product": 25, "campaign": 15, "article": 14, "stores": 5, "register": 6,
                            "cart": 5}, "web.landing", pid, c, s)
        product = products.sku(products.bought(day, "web.sku", pid, c, s))
        campaign = lookup(vocab.CAMPAIGN_PAGES, rng.below(len(vocab.CAMPAIGN_PAGES), "web.campaign", pid, c, s))
        article = (1000 + rng.skewed(5000, 2.0, "web.article", pid, c, s)).cast("string")
        landing_page = (
            F.when(landing == "home", "/")
            .when(landing == "product", F.concat(F.lit("/product/"), product))
            .when(landing == "campaign", campaign)
            .when(landing == "article", F.concat(F.lit("/article/"), article))
            .when(landing == "stores", "/store-locator")
            .when(landing == "register", "/member/register")
            .otherwise("/cart"))
        # Form fills (registration, coupon, store appointment) leave a phone or an e-mail address.
        phone = F.when(rng.chance(0.06, "web.phone", pid, c, s),
                       F.when(rng.chance(0.9, "web.real_phone", pid, c, s),
                              dirt.phone_spelling(rng, F.col("phone"), 0.5, "web.phone_format", pid, c, s))
                       .otherwise(dirt.placeholder_phone(rng, "web.placeholder", pid, c, s)))
        # Forms want an e-mail address too; people without one type a throw-away address.
        email_filled = rng.chance(F.when(F.col("has_email"), 0.05).otherwise(0.015), "web.email", pid, c, s)
        real_email = dirt.email_spelling(rng, F.col("email"), 0.4, "web.email_format", pid, c, s)
        email = F.when(email_filled,
                       F.when(F.col("has_email") & rng.chance(0.92, "web.real_email", pid, c, s), real_email)
                       .otherwise(dirt.placeholder_email(rng, "web.placeholder_email", pid, c, s)))
        lag = F.when(rng.chance(0.02, "web.late", pid, c, s),
                     rng.between(DAY_SECONDS, 3 * DAY_SECONDS, "web.late_by", pid, c, s)) \
            .otherwise(rng.between(60, 900, "web.lag", pid, c, s))
        rows = sessions.select(
            "*", start_epoch.alias("start_epoch"), pages.alias("pages"), duration.alias("duration"))
        ingest = F.col("start_epoch") + F.col("duration") + lag
        return rows.select("*", ingest.alias("ingest_epoch")).where(
            w.within_window(F.col("start_epoch")) & w.arrived(F.col("ingest_epoch"))
        ).select(
            rng.hex("web.session_id", pid, c, s).alias("session_id"),
            people.cookie_id(pid, c).alias("cookie_id"),
            w.timestamp(F.col("start_epoch")).alias("session_start"),
            F.col("duration").cast("int").alias("duration_sec"),
            F.col("pages").cast("int").alias("pages"),
            landing_page.alias("landing_page"),
            rng.pick(vocab.UTM_SOURCES, "web.utm", pid, c, s).alias("utm_source"),
            phone.alias("phone"),
            email.alias("email"),
            w.timestamp(F.col("ingest_epoch")).alias("ingest_time"),
        )
