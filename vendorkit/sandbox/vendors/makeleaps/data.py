"""Static vocabularies for the MakeLeaps emulator's seed data: Japanese and English company and
person names, real-looking Japanese and overseas addresses, catalog items, document titles,
currencies and document templates. Pure data, no I/O; the emulator draws from it with a seeded
``random.Random`` so that every seed gives the same company."""

from __future__ import annotations

from typing import Final


def _words(text: str) -> tuple[str, ...]:
    """A table of names written as one string: ``"a b c"`` -> ``("a", "b", "c")``."""
    return tuple(text.split())


def _pairs(text: str) -> tuple[tuple[str, str], ...]:
    """Pairs written as one string: ``"a b c d"`` -> ``(("a", "b"), ("c", "d"))``."""
    words = _words(text)
    return tuple(zip(words[::2], words[1::2], strict=True))


# (Japanese name, English name) of client organisations. Companies that only trade in English
# have the same name twice.
JP_COMPANIES: Final[tuple[tuple[str, str], ...]] = (
    ("株式会社山田商事", "Yamada Shoji Co., Ltd."),
    ("さくら電機株式会社", "Sakura Denki Corporation"),
    ("ひかり物流株式会社", "Hikari Logistics Co., Ltd."),
    ("青葉建設株式会社", "Aoba Construction Co., Ltd."),
    ("東洋フーズ株式会社", "Toyo Foods Inc."),
    ("北斗システム株式会社", "Hokuto Systems Co., Ltd."),
    ("みなと印刷株式会社", "Minato Printing Co., Ltd."),
    ("富士テクノ株式会社", "Fuji Techno Co., Ltd."),
    ("大和トレーディング合同会社", "Yamato Trading LLC"),
    ("銀河ソフト株式会社", "Ginga Soft Inc."),
    ("朝日コンサルティング株式会社", "Asahi Consulting Co., Ltd."),
    ("瀬戸内水産株式会社", "Setouchi Suisan Co., Ltd."),
    ("信濃精機株式会社", "Shinano Seiki Co., Ltd."),
    ("有限会社こだま工房", "Kodama Kobo Ltd."),
    ("株式会社はやぶさネットワークス", "Hayabusa Networks Inc."),
    ("株式会社みらいデザイン", "Mirai Design Inc."),
    ("京都茶寮株式会社", "Kyoto Saryo Co., Ltd."),
    ("株式会社つばさ旅行", "Tsubasa Travel Co., Ltd."),
    ("合同会社ことり書房", "Kotori Shobo LLC"),
    ("株式会社エムエル・ラボ", "ML Lab Inc."),
    ("株式会社桜井製作所", "Sakurai Seisakusho Co., Ltd."),
    ("株式会社四季メディカル", "Shiki Medical Co., Ltd."),
    ("株式会社オーシャンリゾート", "Ocean Resort Co., Ltd."),
    ("株式会社グリーンファーム", "Green Farm Co., Ltd."),
)

EN_COMPANIES: Final[tuple[str, ...]] = (
    "Acme Trading Ltd.",
    "Blue Harbor Logistics Inc.",
    "Northwind Traders LLC",
    "Pacific Rim Consulting Pte. Ltd.",
    "Maple Leaf Software Inc.",
    "Greenfield Analytics Ltd.",
    "Silverline Media GmbH",
    "Redwood Ventures LLC",
    "Harbourview Design Ltd.",
    "Summit Peak Engineering Inc.",
    "Bright Lantern Studios LLC",
    "Crescent Bay Imports Inc.",
)

# Company-name suffixes that make the emulator's names unique without looking generated.
BRANCHES_JA: Final = (
    "",
    *_words("東京支店 大阪支店 名古屋営業所 福岡支社 札幌営業所 横浜支店 本社"),
)
BRANCHES_OVERSEAS: Final[tuple[str, ...]] = (
    "",
    "West Coast",
    "East Coast",
    "EMEA",
    "APAC",
    "Holdings",
    "Services",
    "Group",
)

# (kanji, romaji)
JP_FAMILY_NAMES: Final = _pairs(
    "佐藤 Sato 鈴木 Suzuki 高橋 Takahashi 田中 Tanaka 伊藤 Ito 渡辺 Watanabe 山本 Yamamoto "
    "中村 Nakamura 小林 Kobayashi 加藤 Kato 吉田 Yoshida 山田 Yamada 佐々木 Sasaki 山口 Yamaguchi "
    "松本 Matsumoto 井上 Inoue 木村 Kimura 林 Hayashi 斎藤 Saito 清水 Shimizu"
)
JP_GIVEN_NAMES: Final = _pairs(
    "太郎 Taro 花子 Hanako 健太 Kenta 美咲 Misaki 翔太 Shota 陽菜 Hina 大輔 Daisuke さくら Sakura "
    "直樹 Naoki 由美 Yumi 拓也 Takuya 恵 Megumi 誠 Makoto 優子 Yuko 亮 Ryo 彩 Aya"
)
EN_GIVEN_NAMES: Final = _words(
    "James Emily Michael Sarah David Olivia Daniel Sophie Thomas Hannah Robert Grace"
)
EN_FAMILY_NAMES: Final = _words(
    "Smith Johnson Williams Brown Taylor Miller Anderson Clarke Walker Wright Evans Mitchell"
)

JP_DEPARTMENTS: Final[tuple[str, ...]] = ("経理部", "総務部", "営業部", "購買部", "情報システム部")
JP_TITLES: Final[tuple[str, ...]] = ("部長", "課長", "主任", "係長", "")
EN_DEPARTMENTS: Final[tuple[str, ...]] = ("Accounts Payable", "Finance", "Operations", "Purchasing")
EN_TITLES: Final[tuple[str, ...]] = ("Director", "Manager", "Controller", "")

# (region as MakeLeaps wants it: prefecture in lowercase romaji, locality, postal code)
JP_ADDRESSES: Final[tuple[tuple[str, str, str], ...]] = (
    ("tokyo", "渋谷区恵比寿", "150-0013"),
    ("tokyo", "目黒区中目黒", "153-0061"),
    ("tokyo", "千代田区丸の内", "100-0005"),
    ("tokyo", "港区六本木", "106-0032"),
    ("tokyo", "新宿区西新宿", "160-0023"),
    ("osaka", "大阪市北区梅田", "530-0001"),
    ("kanagawa", "横浜市西区みなとみらい", "220-0012"),
    ("aichi", "名古屋市中村区名駅", "450-0002"),
    ("fukuoka", "福岡市博多区博多駅前", "812-0011"),
    ("hokkaido", "札幌市中央区北一条西", "060-0001"),
    ("kyoto", "京都市下京区烏丸通", "600-8216"),
    ("miyagi", "仙台市青葉区中央", "980-0021"),
    ("hiroshima", "広島市中区紙屋町", "730-0031"),
    ("nagano", "松本市中央", "390-0811"),
)
JP_BUILDINGS: Final = (
    *_words(
        "YK中目黒ビル2F サンプルビル1階 丸の内センタービル12F みなとみらいタワー8F 駅前第一ビル5階"
    ),
    "",
    "グランドオフィス301",
)
# (country code, region, locality, postal code, street address)
OVERSEAS_ADDRESSES: Final[tuple[tuple[str, str, str, str, str], ...]] = (
    ("US", "CA", "San Francisco", "94105", "500 Howard St"),
    ("US", "NY", "New York", "10013", "225 Varick St"),
    ("US", "WA", "Seattle", "98101", "1420 5th Ave"),
    ("GB", "London", "London", "EC2A 4NE", "20 Bunhill Row"),
    ("SG", "", "Singapore", "018989", "10 Marina Blvd"),
    ("AU", "NSW", "Sydney", "2000", "1 Martin Pl"),
    ("DE", "Berlin", "Berlin", "10117", "Friedrichstraße 68"),
)

# (product_code, description, unit_cost in JPY, quantity_unit, tax_category, interval, metered)
CATALOG_ITEMS: Final[tuple[tuple[str, str, str, str, str | None, str | None, bool], ...]] = (
    ("WEB-001", "ウェブサイト制作", "300000", "式", "default", None, False),
    ("CONS-H", "コンサルティング（時間）", "15000", "時間", "default", None, False),
    ("SUP-M", "保守サポート（月額）", "50000", "月", "default", "monthly", False),
    ("LIC-Y", "ソフトウェアライセンス（年間）", "120000", "年", "default", "yearly", False),
    ("TRN-D", "研修（1日）", "200000", "日", "default", None, False),
    ("HW-PC", "ノートPC", "158000", "台", "default", None, False),
    ("DSG-LOGO", "ロゴデザイン", "80000", "式", "default", None, False),
    ("FOOD-BENTO", "お弁当", "850", "個", "alternate", None, False),
    ("FOOD-COFFEE", "コーヒー豆 1kg", "3800", "袋", "alternate", None, False),
    ("NEWS-SUB", "業界新聞 定期購読", "4200", "月", "alternate", "monthly", False),
    ("CLOUD-M", "クラウド利用料（月額）", "30000", "月", "custom", "monthly", True),
    ("EN-TRANS", "Translation (per page)", "4500", "page", "default", None, False),
    ("AUDIT-Q", "内部監査支援（四半期）", "450000", "四半期", "default", "quarterly", False),
    ("PRINT-A4", "チラシ印刷 A4", "12", "枚", "default", None, False),
    ("SEO-BM", "SEO対策（隔月）", "90000", "回", "default", "bimonthly", False),
    ("WRITE-JP", "原稿執筆", "30000", "本", None, None, False),
)

TITLES_JA: Final[tuple[str, ...]] = (
    "{month}月分ご請求",
    "ウェブサイトリニューアル",
    "システム保守契約",
    "MakeLeaps導入支援",
    "社内研修プログラム",
    "業務委託費",
    "機器購入",
    "年間ライセンス更新",
)
TITLES_EN: Final[tuple[str, ...]] = (
    "Consulting services for {month_name}",
    "Website redesign",
    "Annual support contract",
    "MakeLeaps onboarding",
    "Translation services",
    "Hardware purchase",
)
PROJECTS: Final[tuple[str, ...]] = (
    "",
    "",
    "Project Sakura",
    "基幹システム刷新",
    "Q3 Campaign",
    "新店舗オープン",
    "DX推進",
)
TAGS: Final[tuple[str, ...]] = ("monthly", "重要", "project-x", "要確認", "retainer")
NOTES: Final[tuple[str, ...]] = ("", "", "", "振込手数料はご負担ください。", "Net 30", "検収済み")
MONTH_NAMES: Final = _words(
    "January February March April May June July August September October November December"
)

# code -> (English name, Japanese name, symbol, decimal places)
CURRENCIES: Final[dict[str, tuple[str, str, str, int]]] = {
    "JPY": ("Japanese Yen", "日本円", "¥", 0),
    "USD": ("US Dollar", "米ドル", "$", 2),
    "EUR": ("Euro", "ユーロ", "€", 2),
    "GBP": ("British Pound", "英ポンド", "£", 2),
    "AUD": ("Australian Dollar", "オーストラリアドル", "A$", 2),
    "CAD": ("Canadian Dollar", "カナダドル", "C$", 2),
    "CNY": ("Chinese Yuan", "人民元", "¥", 2),
    "SGD": ("Singapore Dollar", "シンガポールドル", "S$", 2),
    "HKD": ("Hong Kong Dollar", "香港ドル", "HK$", 2),
    "KRW": ("South Korean Won", "韓国ウォン", "₩", 0),
}

# document_type -> (English name, Japanese name)
DOCUMENT_TYPES: Final[dict[str, tuple[str, str]]] = {
    "order": ("Order", "注文書"),
    "quote": ("Quote", "見積書"),
    "orderslip": ("Order Slip", "発注書"),
    "orderconfirmation": ("Order Confirmation", "注文請書"),
    "deliveryslip": ("Delivery Slip", "納品書"),
    "acceptance": ("Acceptance Certificate", "検収書"),
    "invoice": ("Invoice", "請求書"),
    "receipt": ("Receipt", "領収書"),
    "timesheet": ("Timesheet", "作業報告書"),
}

# Which marking dates each document type accepts ("Document Marking" in the docs).
MARKING_DATES: Final[dict[str, frozenset[str]]] = {
    "order": frozenset({"date_sent", "date_cancelled"}),
    "quote": frozenset({"date_sent", "date_cancelled", "date_paid", "date_accepted"}),
    "orderslip": frozenset({"date_sent", "date_cancelled", "date_paid", "date_accepted"}),
    "orderconfirmation": frozenset({"date_sent", "date_cancelled"}),
    "timesheet": frozenset({"date_sent", "date_cancelled"}),
    "deliveryslip": frozenset({"date_sent", "date_cancelled"}),
    "acceptance": frozenset({"date_sent", "date_cancelled", "date_confirmed"}),
    "invoice": frozenset({"date_sent", "date_cancelled", "date_paid"}),
    "receipt": frozenset({"date_sent", "date_cancelled"}),
}

# (template_code, English display name, Japanese display name, language_code, archived)
TEMPLATES: Final[tuple[tuple[str, str, str, str, bool], ...]] = (
    ("ja_JP_pro_3", "Professional (Japanese)", "プロフェッショナル（日本語）", "ja", False),
    ("en_US_pro_3", "Professional (English)", "プロフェッショナル（英語）", "en", False),
    ("ja_JP_v4_1", "Standard v4 (Japanese)", "スタンダード v4（日本語）", "ja", False),
    ("en_US_v4_1", "Standard v4 (English)", "スタンダード v4（英語）", "en", False),
    ("ja_JP_classic_1", "Classic (Japanese)", "クラシック（日本語）", "ja", True),
)

EMPLOYEES: Final[tuple[tuple[str, str, bool, bool, bool], ...]] = (
    # (name, email local part, is_owner, is_admin, has left)
    ("田中 優子", "yuko.tanaka", True, True, False),
    ("佐藤 健太", "kenta.sato", False, True, False),
    ("Emily Clarke", "emily.clarke", False, False, False),
    ("鈴木 直樹", "naoki.suzuki", False, False, False),
    ("伊藤 さくら", "sakura.ito", False, False, False),
    ("Daniel Walker", "daniel.walker", False, False, True),
)

PARTNER_NAME_EN: Final = "Sakura Digital Solutions K.K."
PARTNER_NAME_JA: Final = "株式会社さくらデジタルソリューションズ"
PARTNER_ACCOUNT: Final = "sakura-digital"
PARTNER_DOMAIN: Final = "sakura-digital.example.jp"
PARTNER_ADDRESS: Final = ("tokyo", "目黒区中目黒", "153-0061", "3-1-5", "YK中目黒ビル2F")
PARTNER_PHONE: Final = "03-1234-5678"
PARTNER_TAX_NUMBER: Final = "T1234567890123"
BANK_DETAILS: Final = "三井住友銀行 中目黒支店 普通 1234567 カ）サクラデジタルソリューションズ"


# Prefecture names for the romaji ``region`` values used above (JP address display).
PREFECTURES: Final[dict[str, str]] = {
    "tokyo": "東京都",
    "osaka": "大阪府",
    "kanagawa": "神奈川県",
    "aichi": "愛知県",
    "fukuoka": "福岡県",
    "hokkaido": "北海道",
    "kyoto": "京都府",
    "miyagi": "宮城県",
    "hiroshima": "広島県",
    "nagano": "長野県",
}
