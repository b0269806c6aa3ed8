"""The true persons behind the data, their identifiers, and the person-level source tables.

A person is a `person_id` and everything else is a function of it: engagement, city, life span as a
customer, which channels she uses, and her identifiers (phone, member ids, WeChat ids, devices,
cookies, e-mail). `People.frame` lays them all out as columns; each source table selects what it
needs (Spark prunes the rest), and activity.py and truth.py read the same definitions.

Persons 3k+1..3k+3 form a household: they live in the same city, and a household member's shared
tablet or phone is where family members log in to their own accounts.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from taglake.demo import dirt, vocab
from taglake.demo.dimensions import CITY_WEIGHTS, Stores, city_attribute
from taglake.demo.names import Names
from taglake.demo.random import bijection, literal_array, lookup
from taglake.demo.world import World

#: Engagement levels: how often a person buys and opens the app while she is a customer.
ENGAGEMENT = {"low": 0.35, "casual": 0.35, "active": 0.22, "vip": 0.08}
LOW, CASUAL, ACTIVE, VIP = range(4)


def per_engagement(values: tuple[float, float, float, float], engagement: Column) -> Column:
    return lookup(list(values), engagement)


P_MEMBER = (0.70, 0.80, 0.90, 0.98)
P_WECHAT = (0.50, 0.60, 0.70, 0.80)
P_APP = (0.25, 0.40, 0.55, 0.70)
P_WEB = (0.20, 0.30, 0.40, 0.45)
P_EMAIL = 0.35
P_DUPLICATE_MEMBER = 0.02
#: Of app users' first devices, the share that is a family device other household members log in on.
P_SHARED_DEVICE = 0.04
HOUSEHOLD_SIZE = 3

WECHAT_APPS = {"wx_mall": 0.85, "wx_member": 0.60, "gzh_official": 0.50}  # app_id -> share of WeChat users


def uses_wechat_app(app_id: str) -> str:
    """Name of the persons column that says whether she uses WeChat app `app_id`."""
    return f"uses_{app_id}"


#: Identifier spaces. Phones: 10**8 - 1 numbers after a 3-digit prefix, shifted by one so the
#: eight digits are never all zero (13800000000 and 13900000000 stay placeholders).
PHONE_SPACE = 10**8 - 1
MEMBER_SPACE = 9 * 10**9
#: Duplicate member records draw from the same space, offset beyond any person id.
DUPLICATE_OFFSET = 10**8


class People:
    def __init__(self, world: World, stores: Stores, names: Names) -> None:
        self.world, self.rng, self.stores, self.names = world, world.rng, stores, names

    # --- pure functions of a person id, usable for any person (household members included) --------
    def engagement(self, pid: Column) -> Column:
        return self.rng.pick(dict(zip(range(4), ENGAGEMENT.values(), strict=True)), "person.engagement", pid)

    def has_app(self, pid: Column, engagement: Column) -> Column:
        return self.rng.chance(per_engagement(P_APP, engagement), "person.app", pid)

    def owns_shared_device(self, pid: Column) -> Column:
        return ((pid <= self.world.scale.persons) & self.has_app(pid, self.engagement(pid))
                & self.rng.chance(P_SHARED_DEVICE, "device.shared", pid))

    def shared_device_users(self, owner: Column) -> Column:
        """How many household members besides the owner log in on her shared device (1 or 2)."""
        return F.when(self.rng.chance(0.4, "device.co_users", owner), 2).otherwise(1)

    def shared_device_owner(self, pid: Column) -> Column:
        """The household member whose shared device `pid` also uses, or NULL.

        The owner at household position o shares with positions o+1 and (if two co-users) o+2.
        """
        position = F.pmod(pid - 1, HOUSEHOLD_SIZE)
        first = pid - position
        owner_one_before = first + F.pmod(position + 2, HOUSEHOLD_SIZE)
        owner_two_before = first + F.pmod(position + 1, HOUSEHOLD_SIZE)
        return (F.when(self.owns_shared_device(owner_one_before), owner_one_before)
                .when(self.owns_shared_device(owner_two_before)
                      & (self.shared_device_users(owner_two_before) == 2), owner_two_before))

    def phone(self, pid: Column) -> Column:
        prefix = lookup(vocab.MOBILE_PREFIXES, self.rng.below(len(vocab.MOBILE_PREFIXES), "person.phone_prefix", pid))
        number = bijection(pid, PHONE_SPACE, self.world.seed, "phone") + 1
        return F.concat(prefix, F.lpad(number.cast("string"), 8, "0"))

    def member_id(self, pid: Column, duplicate: bool = False) -> Column:
        key = pid + DUPLICATE_OFFSET if duplicate else pid
        return F.concat(F.lit("M"), (bijection(key, MEMBER_SPACE, self.world.seed, "member") + 10**9).cast("string"))

    def unionid(self, pid: Column) -> Column:
        return F.concat(F.lit("oU"), self.rng.hex("id.unionid", pid, length=26))

    def openid(self, pid: Column, app: Column) -> Column:
        return F.concat(F.lit("o"), self.rng.hex("id.openid", pid, app, length=27))

    def device_id(self, pid: Column, k: Column | int) -> Column:
        h = F.upper(self.rng.hex("id.device", pid, k))
        return F.concat_ws("-", *(F.substring(h, start, length)
                                  for start, length in ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12))))

    def cookie_id(self, pid: Column, k: Column) -> Column:
        return self.rng.hex("id.cookie", pid, k)

    def email(self, pid: Column, given_pinyin: Column, family_pinyin: Column) -> Column:
        """Unique by construction: every address embeds a per-person number from a bijection."""
        rng, seed = self.rng, self.world.seed
        space = 10 ** (len(str(self.world.scale.persons)) + 1)
        number = bijection(pid, space, seed, "email").cast("string")
        qq_number = (bijection(pid, 10**9, seed, "qq") + 10_000).cast("string")
        style = rng.pick({"given.family": 0.3, "familygiven": 0.25, "given_": 0.15, "qq": 0.3}, "email.style", pid)
        domain = rng.pick({d: w for d, w in vocab.EMAIL_DOMAINS.items() if d != "qq.com"}, "email.domain", pid)
        return (F.when(style == "qq", F.concat(qq_number, F.lit("@qq.com")))
                .when(style == "given.family",
                      F.concat(given_pinyin, F.lit("."), family_pinyin, number, F.lit("@"), domain))
                .when(style == "familygiven", F.concat(family_pinyin, given_pinyin, number, F.lit("@"), domain))
                .otherwise(F.concat(given_pinyin, F.lit("_"), number, F.lit("@"), domain)))

    # --- every attribute as a column -----------------------------------------------------------------
    def frame(self, spark: SparkSession) -> DataFrame:
        w, rng, last = self.world, self.rng, self.world.last_day
        pid = F.col("person_id")
        eng = F.col("engagement")
        days_ago = (F.when(rng.chance(0.04, "person.new", pid), rng.between(0, 29, "person.reg", pid))
                    .when(rng.chance(0.27, "person.recent", pid), rng.between(30, last, "person.reg", pid))
                    .otherwise(rng.between(last + 1, 3650, "person.reg", pid)))
        # Lost customers stopped over a year ago, dormant ones 90 days to a year ago, the rest buy on.
        churn = rng.uniform("person.churn", pid)
        churn_day = (F.when(churn < 0.22, rng.between(0, last - 365, "person.churn_day", pid))
                     .when(churn < 0.37, rng.between(last - 364, last - 90, "person.churn_day", pid)))
        stage1 = w.persons(spark).select(
            "person_id",
            self.engagement(pid).alias("engagement"),
            F.floor((pid - 1) / HOUSEHOLD_SIZE).alias("household"),
            F.when(rng.chance(0.78, "person.female", pid), "F").otherwise("M").alias("gender"),
            (F.lit(last) - days_ago).alias("reg_day"),
            churn_day.alias("churn_day"),
        )
        reg, gender = F.col("reg_day"), F.col("gender")
        active_from = F.greatest(reg, F.lit(0))
        age = 18 + F.floor(F.pow(rng.uniform("person.age", pid), 1.8) * 47)
        name = self.names.parts(gender, "person", pid)
        wechat = rng.chance(per_engagement(P_WECHAT, eng), "person.wechat", pid)
        app = self.has_app(pid, eng)
        member = rng.chance(per_engagement(P_MEMBER, eng), "person.member", pid)
        stage2 = stage1.select(
            "person_id", "engagement", "household", "gender", "reg_day",
            rng.pick_index(CITY_WEIGHTS, "household.city", F.col("household")).alias("city"),
            w.date(F.lit(last) - age * 365 - rng.below(365, "person.birthday", pid)).alias("birth_date"),
            F.concat(name["family"], name["given"]).alias("name"),
            name["given"].alias("given_name"),
            name["given_pinyin"].alias("given_pinyin"),
            name["family_pinyin"].alias("family_pinyin"),
            active_from.alias("active_from"),
            F.when(F.col("churn_day") >= active_from, F.col("churn_day")).otherwise(last).alias("active_until"),
            member.alias("is_member"),
            (member & rng.chance(P_DUPLICATE_MEMBER, "person.duplicate_member", pid)).alias("has_duplicate_member"),
            wechat.alias("has_wechat"),
            *((wechat & rng.chance(share, "person.wechat_app", pid, app_id)).alias(f"picks_{app_id}")
              for app_id, share in WECHAT_APPS.items()),
            F.when(app, F.when(rng.chance(0.3, "person.second_device", pid), 2).otherwise(1))
            .otherwise(0).alias("devices"),
            rng.chance(P_EMAIL, "person.email", pid).alias("has_email"),
            F.when(rng.chance(per_engagement(P_WEB, eng), "person.web", pid),
                   rng.pick({1: 0.6, 2: 0.3, 3: 0.1}, "person.cookies", pid)).otherwise(0).alias("cookies"),
            # Share of her purchases made at a counter rather than online.
            (0.1 + 0.8 * rng.uniform("person.store_share", pid)).alias("store_share"),
        )
        active_days = F.col("active_until") - F.col("active_from") + 1
        stage3 = stage2.select(
            "*",
            # A WeChat user uses at least one of the chain's WeChat apps: the mall by default.
            (F.col("picks_wx_mall")
             | (F.col("has_wechat") & ~F.col("picks_wx_member") & ~F.col("picks_gzh_official")))
            .alias(uses_wechat_app("wx_mall")),
            F.col("picks_wx_member").alias(uses_wechat_app("wx_member")),
            F.col("picks_gzh_official").alias(uses_wechat_app("gzh_official")),
            (active_days / 365.0).alias("active_years"),
            rng.between(F.col("active_from"), last, "person.duplicate_reg", pid).alias("duplicate_reg_day"),
            self.shared_device_owner(pid).alias("shared_device_owner"),
            self.phone(pid).alias("phone"),
            self.member_id(pid).alias("member_id"),
            self.member_id(pid, duplicate=True).alias("duplicate_member_id"),
            self.unionid(pid).alias("unionid"),
            self.email(pid, F.col("given_pinyin"), F.col("family_pinyin")).alias("email"),
            self.stores.home_store(F.col("city"), "person.home_store", pid).alias("home_store"),
            city_attribute("name", F.col("city")).alias("city_name"),
            # Device ids are long strings: built once per person here, not once per app session.
            F.when(F.col("devices") >= 1, self.device_id(pid, 1)).alias("device_1"),
            F.when(F.col("devices") >= 2, self.device_id(pid, 2)).alias("device_2"),
        )
        owner = F.col("shared_device_owner")
        return stage3.select("*", F.when(owner.isNotNull(), self.device_id(owner, 1)).alias("shared_device"))

    # --- person-level source tables ------------------------------------------------------------------
    def crm_members(self, persons: DataFrame) -> DataFrame:
        """One record per member, a second one (same phone, new member id) for ~2% of them."""
        w, rng = self.world, self.rng
        pid, record = F.col("person_id"), F.col("record")
        duplicate = record == 2
        real_phone = dirt.phone_spelling(rng, F.col("phone"), 0.75, "crm.phone_format", pid, record)
        u = rng.uniform("crm.phone", pid)
        phone = (F.when(duplicate | F.col("has_duplicate_member") | (u < 0.91), real_phone)
                 .when(u < 0.93, dirt.COUNTER_PHONE)
                 .when(u < 0.94, dirt.placeholder_phone(rng, "crm.placeholder", pid))
                 .otherwise(dirt.junk(rng, "crm.junk_phone", pid)))
        gender = F.when(F.col("gender") == "F",
                        rng.pick({"F": 0.45, "女": 0.45, "未知": 0.03, None: 0.07}, "crm.gender", pid)) \
            .otherwise(rng.pick({"M": 0.45, "男": 0.45, "未知": 0.03, None: 0.07}, "crm.gender", pid))
        b = rng.uniform("crm.birthday", pid)
        birthday = F.when(b < 0.72, F.col("birth_date")).when(b < 0.77, F.lit("1900-01-01").cast("date"))
        c = rng.uniform("crm.city", pid)
        city = F.when(c < 0.85, F.col("city_name")).when(c < 0.93, F.concat(F.col("city_name"), F.lit("市")))
        eng = F.col("engagement")
        level = (F.when(eng == VIP, rng.pick({"黑金": 0.6, "金卡": 0.4}, "crm.level", pid))
                 .when(eng == ACTIVE, rng.pick({"金卡": 0.4, "银卡": 0.6}, "crm.level", pid))
                 .when(eng == CASUAL, rng.pick({"银卡": 0.3, "普通会员": 0.7}, "crm.level", pid))
                 .otherwise("普通会员"))
        reg_day = F.when(duplicate, F.col("duplicate_reg_day")).otherwise(F.col("reg_day"))
        reg_epoch = w.epoch(reg_day, w.time_of_day(vocab.STORE_HOURS, "crm.reg_time", pid, record))
        updated_epoch = w.epoch(rng.between(reg_day, w.last_day, "crm.updated", pid, record),
                                w.time_of_day(vocab.ONLINE_HOURS, "crm.updated_time", pid, record))
        unionid = (F.when(F.col("has_wechat") & rng.chance(0.55, "crm.unionid", pid), F.col("unionid"))
                   .when(rng.chance(0.03, "crm.blank_unionid", pid), ""))
        email = F.when(F.col("has_email") & rng.chance(0.7, "crm.email", pid),
                       dirt.email_spelling(rng, F.col("email"), 0.5, "crm.email_format", pid))
        primary_channel = rng.pick({"门店": 0.45, "小程序": 0.3, "App": 0.1, "天猫": 0.1, "京东": 0.05}, "crm.channel", pid)
        second_channel = rng.pick({"小程序": 0.4, "App": 0.3, "天猫": 0.2, "京东": 0.1}, "crm.channel2", pid)
        records = persons.where("is_member").select(
            "*", F.explode(F.when(F.col("has_duplicate_member"), F.array(F.lit(1), F.lit(2)))
                           .otherwise(F.array(F.lit(1)))).alias("record"))
        return records.select(
            F.when(duplicate, F.col("duplicate_member_id")).otherwise(F.col("member_id")).alias("member_id"),
            phone.alias("phone"),
            F.when(duplicate, F.lit(None)).otherwise(gender).alias("gender"),
            F.when(duplicate, F.lit(None)).otherwise(birthday).alias("birthday"),
            city.alias("city"),
            F.when(duplicate, "普通会员").otherwise(level).alias("level"),
            F.when(duplicate, second_channel).otherwise(primary_channel).alias("reg_channel"),
            w.timestamp(reg_epoch).alias("reg_time"),
            F.when(duplicate, F.lit(None)).otherwise(self.stores.store_id(F.col("home_store"))).alias("home_store_id"),
            F.when(duplicate, F.lit(None)).otherwise(unionid).alias("unionid"),
            F.when(duplicate, F.lit(None)).otherwise(email).alias("email"),
            w.timestamp(F.greatest(updated_epoch, reg_epoch)).alias("updated_at"),
        )

    def wechat_users(self, persons: DataFrame) -> DataFrame:
        """One row per person per WeChat app she uses (mall mini-program, member centre, official account)."""
        w, rng = self.world, self.rng
        pid, app = F.col("person_id"), F.col("app_id")
        rows = persons.where("has_wechat").select(
            "*", F.explode(F.array(*(F.struct(F.lit(a).alias("app_id"), F.col(uses_wechat_app(a)).alias("uses"))
                                     for a in WECHAT_APPS))).alias("app")
        ).where("app.uses").select("*", F.col("app.app_id").alias("app_id"))
        u = rng.uniform("wechat.unionid", pid, app)
        unionid = F.when(u < 0.84, F.col("unionid")).when(u < 0.85, "")
        phone = F.when(rng.chance(0.4, "wechat.phone", pid, app),
                       dirt.phone_spelling(rng, F.col("phone"), 0.5, "wechat.phone_format", pid, app))
        subscribe_day = rng.between(F.col("active_from"), F.col("active_until"), "wechat.subscribe", pid, app)
        subscribe = w.epoch(subscribe_day, w.time_of_day(vocab.ONLINE_HOURS, "wechat.subscribe_time", pid, app))
        updated = w.epoch(rng.between(subscribe_day, w.last_day, "wechat.updated", pid, app),
                          w.time_of_day(vocab.ONLINE_HOURS, "wechat.updated_time", pid, app))
        return rows.select(
            self.openid(pid, app).alias("openid"),
            app.alias("app_id"),
            unionid.alias("unionid"),
            phone.alias("phone"),
            self._nickname(pid).alias("nickname"),
            w.timestamp(subscribe).alias("subscribe_time"),
            w.timestamp(F.greatest(subscribe, updated)).alias("updated_at"),
        )

    def _nickname(self, pid: Column) -> Column:
        rng, given = self.rng, F.col("given_name")
        style = rng.pick({"given": 0.25, "xiao": 0.15, "fancy": 0.35, "mum": 0.1, "name": 0.15},
                         "wechat.nick_style", pid)
        fancy = lookup(vocab.NICKNAMES, rng.below(len(vocab.NICKNAMES), "wechat.nick", pid))
        return (F.when(style == "given", F.when(F.length(given) == 1, F.concat(given, given)).otherwise(given))
                .when(style == "xiao", F.concat(F.lit("小"), F.substring(given, -1, 1)))
                .when((style == "mum") & (F.col("gender") == "F"), F.concat(given, F.lit("妈妈")))
                .when(style == "name", F.col("name"))
                .otherwise(fancy))

    def app_devices(self, persons: DataFrame, device_activity: DataFrame) -> DataFrame:
        """Every app device with first/last sighting and last logged-in member, taken from its events.

        A device without events in the window was installed before it (or never used since): it keeps
        a sighting from its install day.
        """
        w, rng = self.world, self.rng
        pid, k = F.col("person_id"), F.col("k")
        devices = persons.where("devices > 0").select(
            "person_id", "active_from", F.posexplode(F.array("device_1", "device_2")).alias("i", "device_id")
        ).where(F.col("device_id").isNotNull()).select("*", (F.col("i") + 1).alias("k"))
        platforms = list(vocab.DEVICE_MODELS)
        platform = rng.pick({p: share for p, (share, _) in vocab.DEVICE_MODELS.items()}, "device.platform", pid, k)
        model_lists = [models for _, models in vocab.DEVICE_MODELS.values()]
        platform_index = F.coalesce(*(F.when(platform == p, i) for i, p in enumerate(platforms)))
        model = F.element_at(
            F.element_at(literal_array(model_lists), platform_index + 1),
            rng.below(lookup([len(m) for m in model_lists], platform_index), "device.model", pid, k) + 1)
        installed = w.timestamp(w.epoch(F.col("active_from") - rng.below(60, "device.installed", pid, k),
                                        w.time_of_day(vocab.ONLINE_HOURS, "device.installed_time", pid, k)))
        catalogue = devices.select(
            "device_id", platform.alias("platform"), model.alias("model"),
            installed.alias("installed"))
        seen = catalogue.join(device_activity, "device_id", "left")
        return seen.select(
            "device_id", "platform", "model",
            F.least(F.col("installed"), F.col("first_event")).alias("first_seen"),
            F.coalesce(F.col("last_event"), F.col("installed")).alias("last_seen"),
            "member_id",
        )
