"""Stores, staff and products: the small dimensions, and the facts fact tables need from them.

Their attributes are hash draws over the dimension index, computed in Spark. The few facts that
orders and events depend on (a store's opening and closing day, who held a counter position when,
a SKU's price and shelf life) are then collected once (at most some 30,000 small rows) and used as
constant lookup arrays, so a million orders stay consistent with the dimension tables without a
join, and without re-deriving every attribute inside each order row.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from taglake.demo import vocab
from taglake.demo.names import Names
from taglake.demo.random import literal_array, lookup
from taglake.demo.world import World

CITY_WEIGHTS = [c.weight for c in vocab.CITIES]
#: Anchor stores in these tiers are flagships.
FLAGSHIP_TIERS = ("一线", "新一线")
#: A day index beyond any history: "still open", "never left", "not delisted".
NEVER = 1_000_000
#: Positions per store are numbered below this (the biggest store type has 14).
MAX_SLOTS = 16


def city_attribute(attribute: str, city: Column) -> Column:
    return lookup([getattr(c, attribute) for c in vocab.CITIES], city)


def staff_id(store: Column, slot: Column, generation: Column) -> Column:
    """E + 5 digits from (store, slot, generation): derivable anywhere; gaps where a slot was never refilled."""
    return F.concat(F.lit("E"), F.lpad((store * (2 * MAX_SLOTS) + slot * 2 + generation + 1).cast("string"), 5, "0"))


def _column_lists(rows: list, names: list[str]) -> dict[str, list]:
    return {name: [row[name] for row in rows] for name in names}


@dataclass(frozen=True)
class StoreFacts:
    store_type: list[str]
    open_day: list[int]
    close_day: list[int]
    slots: list[int]
    area_sqm: list[int]


@dataclass(frozen=True)
class PositionFacts:
    """Per position (store * MAX_SLOTS + slot): the first holder's hire and leave days, the successor's."""

    hired0: list[int]
    left0: list[int]
    hired1: list[int]
    left1: list[int]


class Stores:
    """Stores spread over cities by city weight. Each city's first store (its anchor) opened before the
    history window and never closes, so it takes the customers of a store that is not open that day."""

    def __init__(self, world: World, facts: StoreFacts, positions: PositionFacts) -> None:
        self.world, self.rng, self.facts, self.positions = world, world.rng, facts, positions
        self.layout = StoreLayout(world.scale.stores)

    @classmethod
    def build(cls, spark: SparkSession, world: World) -> Stores:
        layout = StoreLayout(world.scale.stores)
        rng, s, last = world.rng, F.col("s"), world.last_day
        ordinal, store_type, open_day = F.col("ordinal"), F.col("store_type"), F.col("open_day")
        flagship = (ordinal == 0) & city_attribute("tier", layout.city(s)).isin(*FLAGSHIP_TIERS)
        earliest_close = F.greatest(open_day, F.lit(0)) + 150
        stores = (
            spark.range(0, world.scale.stores, 1, 1).select(F.col("id").cast("int").alias("s"))
            .select("s", layout.ordinal(s).alias("ordinal"))
            .select("s", "ordinal",
                    F.when(flagship, "旗舰店").when(ordinal == 0, "标准店")
                    .otherwise(rng.pick({"标准店": 0.45, "商场专柜": 0.35, "社区店": 0.2}, "store.type", s))
                    .alias("store_type"),
                    F.when(ordinal == 0, -rng.between(800, 4000, "store.open", s))
                    .when(rng.chance(0.8, "store.old", s), -rng.between(1, 3000, "store.open", s))
                    .otherwise(rng.between(0, 600, "store.open", s)).alias("open_day"))
            .select("s", "store_type", "open_day",
                    # Some non-anchor stores close, at least 150 days after opening.
                    F.when((ordinal > 0) & rng.chance(0.06, "store.closes", s) & (earliest_close < last),
                           rng.between(earliest_close, last - 1, "store.close", s))
                    .otherwise(NEVER).alias("close_day"),
                    F.coalesce(*(F.when(store_type == t, n) for t, n in vocab.STAFF_SLOTS.items())).alias("slots"),
                    F.coalesce(*(F.when(store_type == t, rng.between(lo, hi, "store.area", s))
                                 for t, (lo, hi) in vocab.STORE_AREA_SQM.items())).alias("area_sqm"))
            .orderBy("s").collect()
        )
        facts = StoreFacts(**_column_lists(stores, ["store_type", "open_day", "close_day", "slots", "area_sqm"]))
        return cls(world, facts, _positions(spark, world, facts))

    # --- lookups for fact tables -------------------------------------------------------------------
    @staticmethod
    def store_id(s: Column) -> Column:
        return F.concat(F.lit("S"), F.lpad((s + 1).cast("string"), 4, "0"))

    def slots(self, s: Column) -> Column:
        return lookup(self.facts.slots, s)

    def serving(self, s: Column, day: Column) -> Column:
        """The store that served a visit meant for `s` on `day`: the city's anchor if `s` was not open."""
        layout = self.layout
        open_then = (lookup(self.facts.open_day, s) <= day) & (day < lookup(self.facts.close_day, s))
        return F.when(open_then, s).otherwise(lookup(layout.first_store, layout.city(s)))

    def home_store(self, city: Column, salt: str, *keys) -> Column:
        layout = self.layout
        serving_city = lookup(layout.serving_city, city)
        count = lookup(layout.store_count, serving_city)
        return lookup(layout.first_store, serving_city) + self.rng.below(count, salt, *keys)

    def on_duty(self, s: Column, slot: Column, day: Column) -> Column:
        """staff_id of whoever held position `slot` of store `s` on `day` (NULL if it was vacant)."""
        p = s * MAX_SLOTS + slot
        at = {name: lookup(getattr(self.positions, name), p) for name in ("hired0", "left0", "hired1", "left1")}
        return (F.when((day >= at["hired1"]) & (day < at["left1"]), staff_id(s, slot, F.lit(1)))
                .when((day >= at["hired0"]) & (day < at["left0"]), staff_id(s, slot, F.lit(0))))

    # --- tables --------------------------------------------------------------------------------------
    def stores_frame(self, spark: SparkSession) -> DataFrame:
        w, s, layout = self.world, F.col("s"), self.layout
        city, ordinal = layout.city(s), layout.ordinal(s)
        # A city's famous streets first, then the landmarks every city has; more stores than places: "2号店".
        places = [vocab.FAMOUS_STREETS.get(c.name, []) + vocab.LANDMARKS for c in vocab.CITIES]
        place_count = lookup([len(x) for x in places], city)
        place = F.element_at(F.element_at(literal_array(places), city + 1), F.pmod(ordinal, place_count) + 1)
        repeat = F.floor(ordinal / place_count).cast("int")
        store_type = lookup(self.facts.store_type, s)
        return spark.range(0, w.scale.stores, 1, 1).select(F.col("id").cast("int").alias("s")).select(
            self.store_id(s).alias("store_id"),
            F.concat(city_attribute("name", city), place,
                     F.when(repeat > 0, F.concat((repeat + 1).cast("string"), F.lit("号"))).otherwise(""),
                     F.when(store_type == "旗舰店", "旗舰店").otherwise("店")).alias("store_name"),
            city_attribute("name", city).alias("city"),
            city_attribute("tier", city).alias("city_tier"),
            city_attribute("region", city).alias("region"),
            city_attribute("province", city).alias("province"),
            store_type.alias("store_type"),
            lookup(self.facts.area_sqm, s).alias("area_sqm"),
            w.date(lookup(self.facts.open_day, s)).alias("opened_date"),
            F.when(lookup(self.facts.close_day, s) == NEVER, "营业").otherwise("闭店").alias("status"),
        )

    def staff_frame(self, spark: SparkSession, names: Names) -> DataFrame:
        w, rng = self.world, self.rng
        s, slot, gen = F.col("s"), F.col("slot"), F.col("generation")
        positions = (spark.range(0, w.scale.stores, 1, 1).select(F.col("id").cast("int").alias("s"))
                     .select("s", F.explode(F.sequence(F.lit(0), self.slots(s) - 1)).alias("slot"))
                     .select("s", "slot", F.explode(F.array(F.lit(0), F.lit(1))).alias("generation")))
        p = s * MAX_SLOTS + slot
        hired = F.when(gen == 0, lookup(self.positions.hired0, p)).otherwise(lookup(self.positions.hired1, p))
        left = F.when(gen == 0, lookup(self.positions.left0, p)).otherwise(lookup(self.positions.left1, p))
        flagship = lookup(self.facts.store_type, s) == "旗舰店"
        role = (F.when(slot == 0, "店长").when(slot == 1, "收银员")
                .when((slot == 2) | ((slot == 3) & flagship), "皮肤管理师").otherwise("美容顾问"))
        gender = F.when(rng.chance(0.86, "staff.female", s, slot, gen), "F").otherwise("M")
        return positions.where(hired < NEVER).select(
            staff_id(s, slot, gen).alias("staff_id"),
            self.store_id(s).alias("store_id"),
            names.full_name(gender, "staff", s, slot, gen).alias("staff_name"),
            role.alias("role"),
            gender.alias("gender"),
            w.date(hired).alias("hired_date"),
            F.when(left == NEVER, "在职").otherwise("离职").alias("status"),
            F.when(left < NEVER, w.date(left)).alias("left_date"),
        )


class StoreLayout:
    """Which city each store index is in: a largest-remainder split of the stores by city weight."""

    def __init__(self, stores: int) -> None:
        counts = _allocate(CITY_WEIGHTS, stores)
        self.store_count = counts
        self.city_of_store = [c for c, k in enumerate(counts) for _ in range(k)]
        self.ordinal_of_store = [i for k in counts for i in range(k)]
        self.first_store = [sum(counts[:c]) for c in range(len(counts))]
        # A customer in a city without a store shops in the biggest city of her region that has one.
        self.serving_city = [
            c if counts[c] else next(
                (o for o in range(len(vocab.CITIES)) if counts[o] and vocab.CITIES[o].region == city.region), 0)
            for c, city in enumerate(vocab.CITIES)
        ]

    def city(self, s: Column) -> Column:
        return lookup(self.city_of_store, s)

    def ordinal(self, s: Column) -> Column:
        return lookup(self.ordinal_of_store, s)


def _positions(spark: SparkSession, world: World, facts: StoreFacts) -> PositionFacts:
    """Staff turnover per position. Holders leave with the store when it closes; a successor is only
    hired into an open store."""
    rng, last = world.rng, world.last_day
    s, slot = F.col("s"), F.col("slot")
    close, open_day = lookup(facts.close_day, s), lookup(facts.open_day, s)
    quits, hired0 = F.col("quits"), F.col("hired0")
    rows = (
        spark.range(0, world.scale.stores, 1, 1).select(F.col("id").cast("int").alias("s"))
        .select("s", F.explode(F.sequence(F.lit(0), lookup(facts.slots, s) - 1)).alias("slot"))
        .select("s", "slot",
                F.greatest(open_day - rng.below(45, "staff.hired0", s, slot),
                           -rng.between(30, 2500, "staff.tenure", s, slot)).alias("hired0"))
        .select("s", "slot", "hired0",
                F.when(rng.chance(0.3, "staff.quits", s, slot),
                       rng.between(F.greatest(hired0, F.lit(0)) + 60, last + 200, "staff.quit_day", s, slot))
                .alias("quit_draw"))
        .select("s", "slot", "hired0",
                F.when(F.col("quit_draw") <= last, F.col("quit_draw")).otherwise(NEVER).alias("quits"))
        .select("s", "slot", "hired0", "quits",
                F.least(quits, close).alias("left0"),
                (quits + rng.between(7, 45, "staff.hired1", s, slot)).alias("successor"))
        .select("s", "slot", "hired0", "left0",
                F.when((quits < close) & (F.col("successor") <= last) & (F.col("successor") < close),
                       F.col("successor")).otherwise(NEVER).alias("hired1"))
        .select("*", F.when(F.col("hired1") < NEVER, close).otherwise(NEVER).alias("left1"))
        .collect()
    )
    size = world.scale.stores * MAX_SLOTS
    lists = {name: [NEVER] * size for name in ("hired0", "left0", "hired1", "left1")}
    for row in rows:
        for name, values in lists.items():
            values[row["s"] * MAX_SLOTS + row["slot"]] = row[name]
    return PositionFacts(**lists)


@dataclass(frozen=True)
class ProductFacts:
    leaf: list[int]
    brand: list[int]
    price: list[float]
    launch_day: list[int]
    delist_day: list[int]


class Products:
    """SKUs over the category tree. Low indices are the best sellers and "evergreen" (on sale all along),
    so a purchase that draws a SKU not on sale that day falls back to an evergreen one."""

    EVERGREEN_SHARE = 0.3
    POPULARITY_SKEW = 2.0

    def __init__(self, world: World, facts: ProductFacts) -> None:
        self.world, self.rng, self.facts = world, world.rng, facts
        self.evergreen = _evergreen(world)

    @classmethod
    def build(cls, spark: SparkSession, world: World) -> Products:
        tree = CategoryTree()
        rng, k, last = world.rng, F.col("k"), world.last_day
        leaf, l1, brand, launch = F.col("leaf"), F.col("l1"), F.col("brand"), F.col("launch_day")
        candidates = F.element_at(literal_array(tree.brands_by_l1), l1 + 1)
        low, high = lookup(tree.price_low, leaf), lookup(tree.price_high, leaf)
        multiplier = lookup([vocab.BRAND_TIER_PRICE[b.tier] for b in vocab.BRANDS], brand)
        # A retail price point (29.9, 159, 1299): log-uniform in the subcategory's range, times the brand tier.
        raw = F.exp(F.log(low) + rng.uniform("product.price", k) * (F.log(high) - F.log(low))) * multiplier
        evergreen = _evergreen(world)
        earliest_delist = F.greatest(launch, F.lit(0)) + 90
        rows = (
            spark.range(0, world.scale.skus, 1, 1).select(F.col("id").cast("int").alias("k"))
            .select("k", rng.pick_index(tree.leaf_weights, "product.leaf", k).alias("leaf"))
            .select("k", "leaf", lookup(tree.l1_of_leaf, leaf).alias("l1"))
            .select("k", "leaf", F.element_at(candidates, rng.skewed(lookup(tree.brand_count, l1), 1.6,
                                                                     "product.brand", k) + 1).alias("brand"),
                    F.when(k < evergreen, -rng.between(100, 2500, "product.launch", k))
                    .when(rng.chance(0.85, "product.old", k), -rng.between(1, 2500, "product.launch", k))
                    .otherwise(rng.between(0, 700, "product.launch", k)).alias("launch_day"))
            .select("k", "leaf", "brand", "launch_day",
                    F.when(raw < 50, F.greatest(F.round(raw, 0), F.lit(1.0)) - 0.1)
                    .otherwise(F.ceil(raw / 10) * 10 - 1.0).alias("price"),
                    F.when((k >= evergreen) & rng.chance(0.1, "product.delisted", k) & (earliest_delist < last),
                           rng.between(earliest_delist, last - 1, "product.delist", k))
                    .otherwise(NEVER).alias("delist_day"))
            .orderBy("k").collect()
        )
        return cls(world, ProductFacts(**_column_lists(rows, ["leaf", "brand", "price", "launch_day", "delist_day"])))

    @staticmethod
    def sku(k: Column) -> Column:
        return F.concat(F.lit("SKU"), F.lpad((k + 1).cast("string"), 6, "0"))

    def price(self, k: Column) -> Column:
        return lookup(self.facts.price, k)

    def bought(self, day: Column, salt: str, *keys) -> Column:
        """Index of a SKU picked by popularity among those on sale on `day`."""
        k = self.rng.skewed(self.world.scale.skus, self.POPULARITY_SKEW, salt, *keys)
        on_sale = (lookup(self.facts.launch_day, k) <= day) & (day < lookup(self.facts.delist_day, k))
        fallback = self.rng.skewed(self.evergreen, self.POPULARITY_SKEW, salt + "/evergreen", *keys)
        return F.when(on_sale, k).otherwise(fallback)

    def products_frame(self, spark: SparkSession) -> DataFrame:
        w, rng, k = self.world, self.rng, F.col("k")
        tree = CategoryTree()
        leaf, brand = lookup(self.facts.leaf, k), lookup(self.facts.brand, k)
        l1 = lookup(tree.l1_of_leaf, leaf)
        price = self.price(k)
        spec_lists = [vocab.PRODUCT_SPECS[x] for x in tree.l1_names]
        spec = F.element_at(F.element_at(literal_array(spec_lists), l1 + 1),
                            rng.below(lookup([len(x) for x in spec_lists], l1), "product.spec", k) + 1)
        series = lookup(vocab.PRODUCT_SERIES, rng.below(len(vocab.PRODUCT_SERIES), "product.series", k))
        short_brand = lookup([vocab.brand_display_short(b.name) for b in vocab.BRANDS], brand)
        l3 = lookup([x[2] for x in tree.leaves], leaf)
        return spark.range(0, w.scale.skus, 1, 1).select(F.col("id").cast("int").alias("k")).select(
            self.sku(k).alias("sku"),
            F.concat_ws(" ", short_brand, F.concat(series, l3), spec).alias("product_name"),
            lookup([b.name for b in vocab.BRANDS], brand).alias("brand"),
            lookup([x[0] for x in tree.leaves], leaf).alias("category_l1"),
            lookup([x[1] for x in tree.leaves], leaf).alias("category_l2"),
            l3.alias("category_l3"),
            price.alias("price"),
            F.when(price < 100, "低").when(price < 300, "中").when(price < 1000, "高").otherwise("奢").alias("price_band"),
            w.date(lookup(self.facts.launch_day, k)).alias("launch_date"),
            (lookup([b.tier for b in vocab.BRANDS], brand) == "自有").alias("is_private_label"),
            F.when(lookup(self.facts.delist_day, k) == NEVER, "在售").otherwise("下架").alias("status"),
        )


class CategoryTree:
    """vocab.CATEGORY_TREE flattened to leaves (l3), with what a SKU draw needs per leaf."""

    def __init__(self) -> None:
        self.l1_names = list(vocab.CATEGORY_TREE)
        self.leaves = [(l1, l2, l3, price_range)
                       for l1, l2s in vocab.CATEGORY_TREE.items()
                       for l2, (price_range, l3s) in l2s.items()
                       for l3 in l3s]
        per_l1 = {l1: sum(1 for leaf in self.leaves if leaf[0] == l1) for l1 in self.l1_names}
        # Each top-level category gets its catalogue share, spread evenly over its leaves.
        self.leaf_weights = [vocab.CATEGORY_L1_WEIGHT[l1] / per_l1[l1] for l1, *_ in self.leaves]
        self.l1_of_leaf = [self.l1_names.index(leaf[0]) for leaf in self.leaves]
        self.price_low = [float(leaf[3][0]) for leaf in self.leaves]
        self.price_high = [float(leaf[3][1]) for leaf in self.leaves]
        self.brands_by_l1 = [[i for i, b in enumerate(vocab.BRANDS) if l1 in b.categories] for l1 in self.l1_names]
        self.brand_count = [len(b) for b in self.brands_by_l1]


def _evergreen(world: World) -> int:
    return max(1, int(world.scale.skus * Products.EVERGREEN_SHARE))


def _allocate(weights: list[float], total: int) -> list[int]:
    """Largest-remainder split of `total` by weight (cities with a small weight may get none)."""
    share = [w / sum(weights) * total for w in weights]
    counts = [int(x) for x in share]
    for i in sorted(range(len(weights)), key=lambda i: share[i] - counts[i], reverse=True)[: total - sum(counts)]:
        counts[i] += 1
    return counts
