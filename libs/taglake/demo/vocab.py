"""Display vocabularies of the demo chain: cities, the category tree, brands, names, devices.

Plain config. The generator turns each list into a Spark array literal and draws indices into it,
so these lists are the only place where Chinese display values are spelled out.
"""

from __future__ import annotations

from typing import NamedTuple


class City(NamedTuple):
    name: str
    province: str
    region: str
    tier: str
    #: Relative share of customers and stores; roughly tier-driven.
    weight: float


_TIER_WEIGHT = {"一线": 8.0, "新一线": 4.0, "二线": 2.0, "三线": 1.0}


def _cities(tier: str, rows: str) -> list[City]:
    out = []
    for row in rows.split():
        name, province, region = row.split("/")
        out.append(City(name, province, region, tier, _TIER_WEIGHT[tier]))
    return out


CITIES: list[City] = [
    *_cities("一线", "上海/上海/华东 北京/北京/华北 广州/广东/华南 深圳/广东/华南"),
    *_cities("新一线", """
        成都/四川/西南 重庆/重庆/西南 杭州/浙江/华东 西安/陕西/西北 武汉/湖北/华中 苏州/江苏/华东
        郑州/河南/华中 南京/江苏/华东 天津/天津/华北 长沙/湖南/华中 东莞/广东/华南 宁波/浙江/华东
        佛山/广东/华南 合肥/安徽/华东 青岛/山东/华东"""),
    *_cities("二线", """
        昆明/云南/西南 沈阳/辽宁/东北 济南/山东/华东 无锡/江苏/华东 厦门/福建/华东 福州/福建/华东
        温州/浙江/华东 哈尔滨/黑龙江/东北 长春/吉林/东北 大连/辽宁/东北 石家庄/河北/华北 南宁/广西/华南
        贵阳/贵州/西南 南昌/江西/华中 太原/山西/华北 常州/江苏/华东 泉州/福建/华东 珠海/广东/华南
        烟台/山东/华东 兰州/甘肃/西北 惠州/广东/华南 徐州/江苏/华东 嘉兴/浙江/华东 金华/浙江/华东
        乌鲁木齐/新疆/西北"""),
    *_cities("三线", """
        洛阳/河南/华中 宜昌/湖北/华中 桂林/广西/华南 遵义/贵州/西南 赣州/江西/华中 绵阳/四川/西南
        汕头/广东/华南 芜湖/安徽/华东 扬州/江苏/华东 湛江/广东/华南 襄阳/湖北/华中 岳阳/湖南/华中
        银川/宁夏/西北 西宁/青海/西北 呼和浩特/内蒙古/华北 海口/海南/华南 三亚/海南/华南 唐山/河北/华北
        吉林/吉林/东北 大庆/黑龙江/东北"""),
]

#: Where stores stand. A city's famous shopping streets come first, then the landmarks every
#: Chinese city has (a store is named "<city><landmark>店").
FAMOUS_STREETS: dict[str, list[str]] = {
    "上海": ["南京西路", "淮海中路", "陆家嘴", "徐家汇", "五角场"],
    "北京": ["王府井", "三里屯", "国贸", "西单", "中关村"],
    "广州": ["天河城", "北京路", "珠江新城", "上下九"],
    "深圳": ["华强北", "万象天地", "东门", "海岸城"],
    "成都": ["春熙路", "太古里", "建设路"],
    "重庆": ["解放碑", "观音桥", "三峡广场"],
    "杭州": ["湖滨银泰", "武林广场", "西溪"],
    "西安": ["钟楼", "小寨", "曲江"],
    "武汉": ["江汉路", "光谷", "楚河汉街"],
    "南京": ["新街口", "河西", "夫子庙"],
    "长沙": ["五一广场", "黄兴路"],
    "天津": ["滨江道", "小白楼"],
}
LANDMARKS: list[str] = [
    "万达广场", "万象城", "大悦城", "银泰百货", "来福士", "吾悦广场", "龙湖天街", "印象城", "中山路",
    "解放路", "人民路", "步行街", "新天地", "国金中心", "凯德广场", "爱琴海", "宝龙广场", "百盛",
    "王府井百货", "天虹", "新世界", "大融城", "万科广场", "恒隆广场", "世纪金花", "太平洋百货",
    "华润万家", "奥特莱斯", "火车站", "大学城", "高新区", "开发区", "滨江", "东站", "西湖路",
    "建设路", "文化宫", "体育中心",
]

STORE_TYPES = ("旗舰店", "标准店", "商场专柜", "社区店")
#: Positions per store by type (店长, 收银员, then skin specialists and beauty advisors).
STAFF_SLOTS = {"旗舰店": 14, "标准店": 8, "商场专柜": 6, "社区店": 5}
STORE_AREA_SQM = {"旗舰店": (300, 800), "标准店": (80, 200), "商场专柜": (20, 60), "社区店": (40, 100)}

#: l1 -> l2 -> six l3 leaves, plus each l2's list-price range in yuan (before the brand multiplier).
CATEGORY_TREE: dict[str, dict[str, tuple[tuple[float, float], list[str]]]] = {
    "护肤": {
        "洁面卸妆": ((49, 260), ["洁面乳", "氨基酸洁面", "洁面泡沫", "卸妆油", "卸妆水", "卸妆膏"]),
        "化妆水": ((69, 450), ["爽肤水", "柔肤水", "精华水", "保湿喷雾", "湿敷水", "收敛水"]),
        "精华": ((129, 1600), ["精华液", "精华油", "安瓶", "原液", "肌底液", "次抛精华"]),
        "乳液面霜": ((99, 2800), ["面霜", "乳液", "晚霜", "日霜", "凝霜", "面部精油"]),
        "眼部护理": ((99, 1200), ["眼霜", "眼部精华", "眼膜", "眼部啫喱", "眼唇卸妆液", "睫毛滋养液"]),
        "面膜": ((39, 480), ["贴片面膜", "涂抹面膜", "睡眠面膜", "清洁泥膜", "冻膜", "鼻贴"]),
        "防晒": ((59, 420), ["防晒霜", "防晒乳", "防晒喷雾", "防晒棒", "晒后修复", "身体防晒"]),
    },
    "彩妆": {
        "底妆": ((79, 690), ["粉底液", "气垫", "粉饼", "散粉", "妆前乳", "遮瑕"]),
        "唇妆": ((49, 420), ["口红", "唇釉", "唇泥", "唇膏", "唇彩", "唇线笔"]),
        "眼妆": ((39, 560), ["眼影盘", "眼线笔", "眼线液", "睫毛膏", "眉笔", "假睫毛"]),
        "颊彩修容": ((49, 480), ["腮红", "高光", "修容盘", "阴影粉", "定妆喷雾", "鼻影粉"]),
        "美甲": ((19, 150), ["指甲油", "甲油胶", "穿戴甲", "护甲油", "洗甲水", "美甲工具"]),
        "彩妆工具": ((9, 320), ["化妆刷", "美妆蛋", "粉扑", "睫毛夹", "化妆棉", "修眉刀"]),
    },
    "香水": {
        "女士香水": ((199, 2400), ["女士淡香水", "女士浓香水", "女士香精", "女士香水小样", "香水礼盒", "滚珠香水"]),
        "男士香水": ((199, 1800), ["男士淡香水", "男士古龙水", "男士浓香水", "男士香水小样", "男士香水礼盒", "须后水"]),
        "中性香水": ((249, 3200), ["中性淡香水", "中性浓香水", "沙龙香", "固体香膏", "香水小样套装", "旅行装香水"]),
        "家居香氛": ((59, 980), ["香薰蜡烛", "无火香薰", "香薰机", "车载香氛", "扩香石", "香囊"]),
        "身体香氛": ((49, 420), ["身体喷雾", "香体乳", "香氛沐浴露", "香氛身体油", "止汗露", "发香喷雾"]),
    },
    "个护": {
        "洗发护发": ((29, 480), ["洗发水", "护发素", "发膜", "护发精油", "头皮精华", "干发喷雾"]),
        "沐浴": ((19, 260), ["沐浴露", "沐浴油", "磨砂膏", "香皂", "沐浴球", "浴盐"]),
        "身体护理": ((29, 420), ["身体乳", "身体精华", "护手霜", "足霜", "颈霜", "身体磨砂"]),
        "口腔护理": ((9, 1200), ["牙膏", "电动牙刷", "牙刷", "漱口水", "冲牙器", "牙线"]),
        "女性护理": ((9, 180), ["卫生巾", "护垫", "卫生棉条", "私处护理液", "暖宫贴", "月经杯"]),
    },
    "美容仪器": {
        "洁面仪器": ((199, 1800), ["洁面仪", "毛孔清洁仪", "小气泡仪", "黑头仪", "洗脸刷头", "超声波铲皮机"]),
        "美容仪": ((499, 6800), ["射频美容仪", "微电流美容仪", "导入仪", "LED光疗面罩", "眼部美容仪", "颈部美容仪"]),
        "脱毛仪": ((39, 3200), ["冰点脱毛仪", "激光脱毛仪", "剃毛器", "脱毛膏", "蜜蜡", "脱毛仪配件"]),
        "美发工具": ((99, 3999), ["吹风机", "卷发棒", "直发夹", "美发梳", "造型梳", "卷发筒"]),
        "美体工具": ((29, 1600), ["按摩仪", "筋膜枪", "刮痧板", "玉石滚轮", "美体刷", "体脂秤"]),
    },
    "男士护理": {
        "男士洁面": ((39, 260), ["男士洗面奶", "男士控油洁面", "男士磨砂洁面", "男士洁面慕斯", "男士卸妆水", "男士洁面套装"]),
        "男士护肤": ((69, 880), ["男士爽肤水", "男士乳液", "男士面霜", "男士精华", "男士眼霜", "男士防晒"]),
        "剃须": ((29, 2600), ["剃须刀", "剃须泡", "剃须啫喱", "刀片", "须后乳", "胡须修剪器"]),
        "男士彩妆": ((49, 320), ["男士BB霜", "男士素颜霜", "男士遮瑕", "男士眉笔", "男士润唇膏", "发蜡"]),
        "男士套装": ((129, 1200), ["男士护肤套装", "男士礼盒", "男士旅行套装", "男士洗护套装", "男士香氛套装", "男士剃须套装"]),
    },
    "母婴": {
        "婴童护肤": ((39, 260), ["婴儿润肤乳", "婴儿面霜", "护臀膏", "婴儿爽身粉", "婴儿润唇膏", "婴儿防晒"]),
        "婴童洗护": ((19, 180), ["婴儿洗发沐浴露", "婴儿洗衣液", "婴儿湿巾", "婴儿棉柔巾", "奶瓶清洗剂", "婴儿香皂"]),
        "孕妈护理": ((59, 580), ["妊娠纹霜", "孕妇护肤品", "孕妇洗护", "哺乳文胸", "防溢乳垫", "产后修复霜"]),
        "纸尿裤": ((69, 260), ["纸尿裤", "拉拉裤", "成长裤", "隔尿垫", "夜用纸尿裤", "游泳纸尿裤"]),
        "喂养用品": ((49, 1200), ["奶瓶", "奶嘴", "吸奶器", "辅食机", "儿童餐具", "温奶器"]),
    },
    "健康食品": {
        "营养补充": ((69, 480), ["维生素C", "复合维生素", "钙片", "鱼油", "蛋白粉", "益生菌"]),
        "美容营养": ((99, 1280), ["胶原蛋白肽", "玻尿酸饮", "即食燕窝", "葡萄籽胶囊", "虾青素", "白番茄饮"]),
        "体重管理": ((59, 398), ["代餐奶昔", "代餐棒", "膳食纤维", "果蔬酵素", "左旋肉碱", "生酮饼干"]),
        "传统滋补": ((39, 1980), ["阿胶", "枸杞", "人参", "红枣", "花胶", "黑芝麻丸"]),
        "健康饮品": ((19, 168), ["花草茶", "红豆薏米茶", "黑咖啡", "蜂蜜", "酸奶粉", "燕麦片"]),
    },
}
#: Share of the catalogue (and so of purchases) per top-level category: a beauty chain sells skincare.
CATEGORY_L1_WEIGHT = {"护肤": 34, "彩妆": 22, "香水": 9, "个护": 12, "美容仪器": 5, "男士护理": 6, "母婴": 5, "健康食品": 7}
#: Sizes printed in product names, per top-level category.
PRODUCT_SPECS = {
    "护肤": ["30ml", "50ml", "100ml", "150ml", "50g", "15ml", "5片装", "旅行装"],
    "彩妆": ["3.5g", "30ml", "12g", "#01", "#02", "#03", "#05", "限定版"],
    "香水": ["30ml", "50ml", "100ml", "10ml", "礼盒装"],
    "个护": ["400ml", "500ml", "250ml", "750ml", "3支装", "家庭装"],
    "美容仪器": ["标准版", "Pro", "礼盒款", "2代"],
    "男士护理": ["100ml", "150ml", "50g", "套装"],
    "母婴": ["L码", "M码", "80片", "200ml", "3包装"],
    "健康食品": ["60粒", "90粒", "30袋", "500g", "12瓶"],
}
#: The middle of a product name ("兰蔻 菁纯精华液 30ml").
PRODUCT_SERIES = [
    "", "", "", "菁纯", "小黑瓶", "水光", "修护", "焕白", "紧致", "保湿", "舒缓", "抗老", "光感", "柔雾",
    "丝绒", "持妆", "清透", "玻尿酸", "烟酰胺", "视黄醇", "积雪草", "神经酰胺", "胜肽", "益生菌",
    "氨基酸", "经典", "臻选", "轻盈", "滋润", "净澈", "奢宠", "新肌", "红石榴", "白茶", "樱花",
]


class Brand(NamedTuple):
    name: str
    #: 奢华 / 高端 / 大众 / 自有 (the chain's private label).
    tier: str
    categories: tuple[str, ...]


_BRAND_TABLE = """
La Mer/海蓝之谜|奢华|护肤
Estée Lauder/雅诗兰黛|高端|护肤 彩妆
Lancôme/兰蔻|高端|护肤 彩妆 香水
SK-II|奢华|护肤
Chanel/香奈儿|奢华|彩妆 香水 护肤
Dior/迪奥|奢华|彩妆 香水 护肤
YSL/圣罗兰|奢华|彩妆 香水
Guerlain/娇兰|奢华|护肤 香水 彩妆
Sisley/希思黎|奢华|护肤
Clé de Peau Beauté/肌肤之钥|奢华|护肤 彩妆
Tom Ford|奢华|彩妆 香水
Armani/阿玛尼|奢华|彩妆 香水
Shiseido/资生堂|高端|护肤 彩妆 个护
Helena Rubinstein/赫莲娜|奢华|护肤
Clarins/娇韵诗|高端|护肤
Kiehl's/科颜氏|高端|护肤 男士护理
Jo Malone London/祖玛珑|奢华|香水
Le Labo|奢华|香水
Diptyque|奢华|香水
Byredo|奢华|香水
Hermès/爱马仕|奢华|香水
Givenchy/纪梵希|高端|彩妆 香水
NARS|高端|彩妆
MAC/魅可|高端|彩妆
Bobbi Brown/芭比波朗|高端|彩妆
Clinique/倩碧|高端|护肤 彩妆 男士护理
Origins/悦木之源|高端|护肤
Fresh/馥蕾诗|高端|护肤
Sulwhasoo/雪花秀|高端|护肤
Whoo/后|高端|护肤
Cosme Decorte/黛珂|高端|护肤
POLA/宝丽|奢华|护肤
Elizabeth Arden/伊丽莎白雅顿|高端|护肤
Biotherm/碧欧泉|高端|护肤 男士护理
Laneige/兰芝|大众|护肤 彩妆
Innisfree/悦诗风吟|大众|护肤
Olay/玉兰油|大众|护肤 个护
L'Oréal Paris/巴黎欧莱雅|大众|护肤 彩妆 个护 男士护理
Maybelline/美宝莲|大众|彩妆
Neutrogena/露得清|大众|护肤
Cetaphil/丝塔芙|大众|护肤 母婴
La Roche-Posay/理肤泉|大众|护肤
Avène/雅漾|大众|护肤
Vichy/薇姿|大众|护肤
Bioderma/贝德玛|大众|护肤
CeraVe/适乐肤|大众|护肤
Curél/珂润|大众|护肤
Freeplus/芙丽芳丝|大众|护肤
Shu Uemura/植村秀|高端|彩妆 护肤
Anessa/安热沙|高端|护肤
Biore/碧柔|大众|护肤 个护
Elixir/怡丽丝尔|高端|护肤
珀莱雅|大众|护肤
薇诺娜|大众|护肤
花西子|大众|彩妆
完美日记|大众|彩妆
自然堂|大众|护肤
百雀羚|大众|护肤
佰草集|大众|护肤
相宜本草|大众|护肤
韩束|大众|护肤
丸美|大众|护肤
毛戈平|高端|彩妆
彩棠|大众|彩妆
Judydoll/橘朵|大众|彩妆
Colorkey/珂拉琪|大众|彩妆
INTO YOU|大众|彩妆
润百颜|大众|护肤 健康食品
夸迪|大众|护肤
谷雨|大众|护肤
玉泽|大众|护肤
至本|大众|护肤
可复美|大众|护肤
林清轩|高端|护肤
半亩花田|大众|个护
卡姿兰|大众|彩妆
方里|大众|彩妆
观夏|高端|香水
气味图书馆|大众|香水
闻献|高端|香水
YA-MAN/雅萌|高端|美容仪器
TriPollar|高端|美容仪器
NuFACE|高端|美容仪器
ReFa/黎珐|高端|美容仪器
FOREO|高端|美容仪器
AMIRO/觅光|大众|美容仪器
Ulike|大众|美容仪器
Dyson/戴森|奢华|美容仪器
Panasonic/松下|大众|美容仪器 男士护理
Philips/飞利浦|大众|美容仪器 个护 男士护理
Laifen/徕芬|大众|美容仪器
Braun/博朗|大众|男士护理 美容仪器
Lab Series/朗仕|高端|男士护理
Gillette/吉列|大众|男士护理
理然|大众|男士护理
Mentholatum/曼秀雷敦|大众|男士护理 个护
NIVEA MEN/妮维雅男士|大众|男士护理
Johnson's/强生|大众|母婴 个护
Aveeno/艾惟诺|大众|母婴 个护
红色小象|大众|母婴
戴可思|大众|母婴
Mustela/妙思乐|高端|母婴
Pampers/帮宝适|大众|母婴
Huggies/好奇|大众|母婴
Merries/花王妙而舒|大众|母婴
Pigeon/贝亲|大众|母婴
Swisse|大众|健康食品
汤臣倍健|大众|健康食品
Blackmores/澳佳宝|大众|健康食品
Centrum/善存|大众|健康食品
WonderLab|大众|健康食品
小仙炖|高端|健康食品
同仁堂|大众|健康食品
东阿阿胶|高端|健康食品
FANCL/芳珂|大众|健康食品 护肤
Pantene/潘婷|大众|个护
Kérastase/卡诗|高端|个护
Dove/多芬|大众|个护
Safeguard/舒肤佳|大众|个护
L'Occitane/欧舒丹|高端|个护 香水
Crest/佳洁士|大众|个护
usmile/笑容加|大众|个护
Whisper/护舒宝|大众|个护
悦美汇·甄选|自有|护肤 彩妆 个护
悦美汇·宝贝|自有|母婴
悦美汇·先生|自有|男士护理
悦美汇·轻养|自有|健康食品
"""
BRANDS: list[Brand] = [
    Brand(name, tier, tuple(cats.split()))
    for name, tier, cats in (line.split("|") for line in _BRAND_TABLE.strip().splitlines())
]
#: Brand list price relative to the category's range midpoint.
BRAND_TIER_PRICE = {"奢华": 2.6, "高端": 1.5, "大众": 0.75, "自有": 0.55}


def brand_display_short(brand: str) -> str:
    """The part of a brand shown in product names: the Chinese name when the brand has one."""
    return brand.split("/")[-1]


#: (character, pinyin, weight) — the most common family names, roughly by frequency.
FAMILY_NAMES: list[tuple[str, str, float]] = [
    (c, p, float(w)) for c, p, w in (item.split(":") for item in """
    王:wang:71 李:li:70 张:zhang:67 刘:liu:54 陈:chen:45 杨:yang:31 黄:huang:22 赵:zhao:20 吴:wu:19
    周:zhou:18 徐:xu:13 孙:sun:13 马:ma:11 朱:zhu:11 胡:hu:10 郭:guo:10 何:he:9 林:lin:9 高:gao:9
    罗:luo:8 郑:zheng:8 梁:liang:7 谢:xie:6 宋:song:6 唐:tang:6 许:xu:5 韩:han:5 冯:feng:5 邓:deng:5
    曹:cao:5 彭:peng:5 曾:zeng:5 肖:xiao:5 田:tian:4 董:dong:4 袁:yuan:4 潘:pan:4 于:yu:4 蒋:jiang:4
    蔡:cai:4 余:yu:4 杜:du:4 叶:ye:4 程:cheng:4 苏:su:3 魏:wei:3 吕:lv:3 丁:ding:3 任:ren:3 沈:shen:3
    姚:yao:3 卢:lu:3 姜:jiang:3 崔:cui:3 钟:zhong:3 谭:tan:3 陆:lu:3 汪:wang:3 范:fan:3 金:jin:3
    石:shi:2 廖:liao:2 贾:jia:2 夏:xia:2 韦:wei:2 付:fu:2 方:fang:2 白:bai:2 邹:zou:2 孟:meng:2
    熊:xiong:2 秦:qin:2 邱:qiu:2 江:jiang:2 尹:yin:2 薛:xue:2 闫:yan:2 段:duan:2 雷:lei:2 侯:hou:2
    龙:long:2 史:shi:2 陶:tao:2 黎:li:2 贺:he:2 顾:gu:2 毛:mao:2 郝:hao:2 龚:gong:2 邵:shao:2
    欧阳:ouyang:1 上官:shangguan:1 司马:sima:1""".split())
]
#: (character, pinyin) used in given names, by gender.
GIVEN_CHARS_F: list[tuple[str, str]] = [tuple(x.split(":")) for x in """
    婷:ting 静:jing 敏:min 丽:li 娜:na 芳:fang 雪:xue 慧:hui 颖:ying 琳:lin 欣:xin 怡:yi 佳:jia 萱:xuan
    涵:han 悦:yue 晨:chen 思:si 雨:yu 梦:meng 洁:jie 倩:qian 蕾:lei 薇:wei 瑶:yao 琪:qi 露:lu 月:yue
    燕:yan 霞:xia 璐:lu 诗:shi 嘉:jia 宁:ning 可:ke 馨:xin 妍:yan 晓:xiao 秀:xiu 玲:ling 红:hong 艳:yan
    梅:mei 桐:tong 若:ruo 子:zi 一:yi 心:xin""".split()]  # type: ignore[misc]
GIVEN_CHARS_M: list[tuple[str, str]] = [tuple(x.split(":")) for x in """
    伟:wei 强:qiang 磊:lei 军:jun 洋:yang 勇:yong 杰:jie 涛:tao 明:ming 超:chao 鹏:peng 浩:hao 宇:yu
    轩:xuan 博:bo 文:wen 俊:jun 辉:hui 斌:bin 凯:kai 昊:hao 睿:rui 哲:zhe 鑫:xin 峰:feng 毅:yi 彬:bin
    飞:fei 龙:long 晨:chen 子:zi 一:yi 天:tian 嘉:jia 泽:ze 铭:ming 豪:hao 航:hang 家:jia 志:zhi""".split()]  # type: ignore[misc]

#: WeChat nicknames people pick instead of their names.
NICKNAMES = [
    "岁月静好", "向日葵", "快乐每一天", "阳光明媚", "云淡风轻", "平安是福", "Sunny", "Coco", "Lily", "Amy",
    "Vivian", "小确幸", "知足常乐", "一路向北", "柠檬不萌", "奶茶续命", "Jessica", "花开半夏", "浅笑安然",
    "橘子汽水", "追光者", "晴天", "微笑向暖", "素年锦时", "Grace", "🌸花花", "✨小仙女", "🍀幸运草",
    "😊开心果", "A.小美", "木子", "大橙子", "糖糖", "兔子不吃草", "Cherry", "宝贝计划", "简单生活",
]

EMAIL_DOMAINS = {"qq.com": 38, "163.com": 20, "126.com": 8, "gmail.com": 6, "outlook.com": 6,
                 "sina.com": 5, "foxmail.com": 5, "icloud.com": 7, "hotmail.com": 3, "139.com": 2}

#: Real mobile prefixes (none of them starts a placeholder such as 000..., 111..., 123...).
MOBILE_PREFIXES = [
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151", "152", "153",
    "155", "156", "157", "158", "159", "166", "173", "175", "176", "177", "178", "180", "181", "182",
    "183", "184", "185", "186", "187", "188", "189", "191", "195", "198", "199",
]

#: platform -> (share of devices, models).
DEVICE_MODELS: dict[str, tuple[float, list[str]]] = {
    "iOS": (0.46, ["iPhone 16 Pro Max", "iPhone 16 Pro", "iPhone 16", "iPhone 15 Pro Max", "iPhone 15 Pro",
                   "iPhone 15", "iPhone 14 Pro", "iPhone 14", "iPhone 13", "iPhone 12", "iPhone 11", "iPad Air"]),
    "Android": (0.42, ["Xiaomi 14", "Xiaomi 13", "Redmi K70", "Redmi Note 13 Pro", "OPPO Find X7", "OPPO Reno11",
                       "vivo X100", "vivo S18", "HONOR Magic6", "HONOR 100", "OnePlus 12", "Samsung Galaxy S24"]),
    "HarmonyOS": (0.12, ["HUAWEI Mate 60 Pro", "HUAWEI Mate 60", "HUAWEI P60 Pro", "HUAWEI nova 12",
                         "HUAWEI Pura 70", "HUAWEI Mate X5"]),
}

#: App event type -> (share of the events after a session's app_open, page).
APP_EVENTS: dict[str, tuple[float, str]] = {
    "view_product": (38, "product_detail"),
    "search": (12, "search"),
    "view_article": (12, "article"),
    "add_cart": (9, "cart"),
    "coupon_claim": (7, "coupon_center"),
    "live_watch": (7, "live_room"),
    "favorite": (5, "product_detail"),
    "checkout": (4, "checkout"),
    "share": (3, "product_detail"),
    "app_open": (3, "home"),
}
PRODUCT_EVENTS = ("view_product", "add_cart", "favorite", "share", "checkout")

#: utm_source of web sessions (None = direct visit), and campaign landing pages.
UTM_SOURCES = {None: 35, "baidu": 18, "wechat": 15, "xiaohongshu": 11, "douyin": 9, "weibo": 5, "bilibili": 4,
               "zhihu": 3}
CAMPAIGN_PAGES = ["/activity/double11", "/activity/618", "/activity/38-goddess", "/activity/new-year",
                  "/activity/member-day", "/activity/live-festival"]

#: Hour-of-day shares: counters open 10:00-22:00; phones peak in the evening.
STORE_HOURS = {10: 5, 11: 7, 12: 8, 13: 9, 14: 10, 15: 10, 16: 9, 17: 8, 18: 9, 19: 11, 20: 10, 21: 4}
ONLINE_HOURS = {0: 3, 1: 1.5, 2: 0.8, 3: 0.5, 4: 0.4, 5: 0.5, 6: 1, 7: 2.5, 8: 3.5, 9: 4, 10: 4.5, 11: 4.5,
                12: 5.5, 13: 5, 14: 4.5, 15: 4.5, 16: 4.5, 17: 4.5, 18: 5, 19: 6, 20: 7.5, 21: 8.5, 22: 8, 23: 5.5}
