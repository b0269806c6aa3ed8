"""The demo source tables as BI users see them: names, comments, and how they are written.

Comments live in the Delta schema (`DESCRIBE TABLE` and every JDBC client show them), so they are
kept here next to the table list rather than scattered over the generators.
"""

from __future__ import annotations

import logging

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from taglake.settings import Settings

log = logging.getLogger(__name__)

#: table -> (table comment, {column: comment}); in the order generate() writes them.
TABLES: dict[str, tuple[str, dict[str, str]]] = {
    "src_stores": ("门店主数据 Stores of the chain (demo)", {
        "store_id": "门店编码 store code, S + 4 digits",
        "store_name": "门店名称 store name",
        "city": "城市 city", "city_tier": "城市等级 一线/新一线/二线/三线", "region": "大区 sales region",
        "province": "省份 province", "store_type": "门店类型 旗舰店/标准店/商场专柜/社区店",
        "area_sqm": "面积(平方米) floor area", "opened_date": "开业日期 opening date",
        "status": "营业状态 营业 open / 闭店 closed",
    }),
    "src_staff": ("门店员工 Store staff (demo)", {
        "staff_id": "员工编号 staff id, E + 5 digits", "store_id": "所属门店 store",
        "staff_name": "姓名 name", "role": "岗位 role", "gender": "性别 F/M",
        "hired_date": "入职日期 hire date", "status": "在职/离职 employed or left",
        "left_date": "离职日期 date left (NULL while employed)",
    }),
    "src_products": ("商品主数据 Product catalogue (demo)", {
        "sku": "商品编码 SKU", "product_name": "商品名称 product name", "brand": "品牌 brand",
        "category_l1": "一级类目 category level 1", "category_l2": "二级类目 category level 2",
        "category_l3": "三级类目 category level 3", "price": "吊牌价(元) list price, CNY",
        "price_band": "价格带 低/中/高/奢", "launch_date": "上市日期 launch date",
        "is_private_label": "是否自有品牌 private label", "status": "在售/下架 on sale or delisted",
    }),
    "src_crm_members": ("CRM会员 CRM member records, raw: dirty phones, duplicates (demo)", {
        "member_id": "会员号 member id", "phone": "手机号(原始) phone as entered, unnormalised",
        "gender": "性别(原始) M/F/男/女/未知", "birthday": "生日 birthday (1900-01-01 = unknown)",
        "city": "城市(原始) city as entered", "level": "会员等级 membership level",
        "reg_channel": "注册渠道 registration channel", "reg_time": "注册时间 registration time",
        "home_store_id": "归属门店 home store", "unionid": "微信unionid (nullable)",
        "email": "邮箱(原始) e-mail as entered", "updated_at": "最后更新时间 last update",
    }),
    "src_wechat_users": ("微信用户 WeChat users per app: mini-programs and official account (demo)", {
        "openid": "openid, one per user per app", "app_id": "应用 wx_mall 商城小程序 / wx_member 会员中心 / gzh_official 公众号",
        "unionid": "unionid (nullable)", "phone": "授权手机号(原始) authorised phone, raw",
        "nickname": "昵称 nickname", "subscribe_time": "关注/授权时间 subscribed", "updated_at": "最后更新时间 last update",
    }),
    "src_app_events": ("App埋点事件 App events (demo)", {
        "event_id": "事件ID", "device_id": "设备ID device id", "member_id": "登录会员号 logged-in member (nullable)",
        "event_type": "事件类型 event type", "event_time": "事件时间 event time (Asia/Shanghai)",
        "event_date": "事件日期 event date", "sku": "商品编码 SKU (product events)", "page": "页面 page",
        "ingest_time": "入仓时间 ingest time (late events arrive days later)",
    }),
    "src_app_devices": ("App设备 App devices (demo)", {
        "device_id": "设备ID device id", "platform": "系统 iOS/Android/HarmonyOS", "model": "机型 model",
        "first_seen": "首次出现 first seen", "last_seen": "最近出现 last seen",
        "member_id": "最近登录会员号 last logged-in member (nullable)",
    }),
    "src_web_sessions": ("官网会话 Web shop sessions (demo)", {
        "session_id": "会话ID", "cookie_id": "Cookie ID", "session_start": "会话开始 session start",
        "duration_sec": "时长(秒) duration, seconds", "pages": "浏览页数 pages viewed",
        "landing_page": "落地页 landing page", "utm_source": "来源 utm_source (NULL = direct)",
        "phone": "表单手机号(原始) phone from a form, raw", "email": "表单邮箱(原始) e-mail from a form, raw",
        "ingest_time": "入仓时间 ingest time",
    }),
    "src_orders": ("订单 Orders, all channels (demo)", {
        "order_id": "订单号 order id", "member_id": "会员号 member (NULL/blank = guest)",
        "receiver_phone": "收货/留存手机号(原始) receiver phone, raw", "store_id": "门店 store (NULL online)",
        "staff_id": "导购 serving staff (nullable)", "channel": "渠道 门店/小程序/App/天猫/京东",
        "order_time": "下单时间 order time", "order_date": "下单日期 order date",
        "status": "状态 completed/refunded/partially_refunded/cancelled",
        "gross_amount": "商品原价合计 sum of qty x unit price", "discount_amount": "优惠金额 discount",
        "paid_amount": "应付金额 gross - discount (cancelled orders were never paid: filter on status)",
        "refund_amount": "退款金额 refunded", "item_count": "件数 units (sum of qty)",
        "coupon_used": "是否用券 coupon used", "ingest_time": "入仓时间 ingest time",
    }),
    "src_order_lines": ("订单明细 Order lines, denormalised with order keys (demo)", {
        "order_id": "订单号 order id", "line_no": "行号 line number", "sku": "商品编码 SKU", "qty": "数量 quantity",
        "unit_price": "单价 unit price", "line_discount": "行优惠 line discount",
        "line_amount": "行金额 qty x unit_price - line_discount", "refunded_qty": "退货数量 units refunded",
        "refund_amount": "退款金额 refunded", "member_id": "会员号 (from the order)",
        "receiver_phone": "手机号(原始) (from the order)", "store_id": "门店 (from the order)",
        "channel": "渠道 (from the order)", "order_time": "下单时间 (from the order)",
        "order_date": "下单日期 (from the order)", "status": "订单状态 (from the order)",
    }),
    "src_identity_truth": ("身份真值 Ground truth: canonical identifier -> true person (demo oracle for OneID)", {
        "id_type": "phone/member_id/email/wechat_openid/wechat_unionid/device_id/cookie_id",
        "id_value": "标准化值 canonical value: 11-digit phone, lower-case trimmed e-mail, trimmed ids",
        "person_id": "真实人员ID the true person",
    }),
}


def with_comments(df: DataFrame, comments: dict[str, str]) -> DataFrame:
    """One projection that attaches column comments (Delta stores them in the schema)."""
    return df.select(*(F.col(c).alias(c, metadata={"comment": comments[c]}) if c in comments else F.col(c)
                       for c in df.columns))


def write_table(spark: SparkSession, settings: Settings, name: str, df: DataFrame) -> int:
    """Replace `name` in the catalog with `df`; returns the row count from the Delta commit metrics."""
    comment, column_comments = TABLES[name]
    qualified = settings.table(name)
    # Regenerating is a new dataset, not a new version of the old one. Dropping first also avoids the
    # Hive metastore's noisy failed ALTER that CREATE OR REPLACE of a Delta table triggers.
    spark.sql(f"DROP TABLE IF EXISTS {qualified}")
    (with_comments(df, column_comments).write.format("delta").mode("overwrite")
     .option("comment", comment).saveAsTable(qualified))
    return written_rows(spark, qualified)


def written_rows(spark: SparkSession, qualified: str) -> int:
    """Rows written by the table's latest commit, read from the Delta log rather than by a count job."""
    metrics = spark.sql(f"DESCRIBE HISTORY {qualified} LIMIT 1").first()["operationMetrics"] or {}
    if "numOutputRows" in metrics:
        return int(metrics["numOutputRows"])
    log.debug("no numOutputRows in the commit metrics of %s; counting", qualified)
    return spark.table(qualified).count()
