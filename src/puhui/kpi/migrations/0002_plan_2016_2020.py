"""The indicator catalogue of DOMAIN §6 and the targets of 兰溪农商行普惠金融提升工程五年行动计划(2016–2020年)
(shared/seed/lanxi-action-plan-2016-2020.txt), frozen here: later plans are added in the admin, not in code.

Values: percent as a fraction, money in whole yuan (1 亿 = 100,000,000), customers as households."""

from decimal import Decimal

from django.db import migrations

PLAN_NAME = "2016–2020 普惠金融五年行动计划"
ALL = ["city", "township", "branch", "village"]
AREA = ["city", "township", "branch"]
BANK = ["city", "branch"]
CITY = ["city"]
YI = 100_000_000
WAN = 10_000

# code, name_zh, name_en, definition, unit, source, scopes, comparison
INDICATORS = [
    ("ZC1", "开展整村授信行政村占比", "Villages that carried out whole-village credit",
     "行政村 (is_rural) with a whole-village credit campaign launched by the date ÷ all 行政村.",
     "percent", "internal", AREA, "at_least"),
    ("ZC2", "农户基础信息收集率", "Persons collected / registered population",
     "Collected persons ÷ registered population (村人数), over the villages with a launched campaign.",
     "percent", "internal", ALL, "at_least"),
    ("ZC3", "发起评价户数占比", "Households put into evaluation / households",
     "Households put into a deliberation round by the date ÷ registered households (村户数), over the villages "
     "with a launched campaign.",
     "percent", "internal", ALL, "at_least"),
    ("ZC4", "信用授信户数占比", "Households with an approved, valid credit line / households",
     "Households with a credit line active or frozen and started by the date ÷ registered households, over the "
     "villages with a launched campaign.",
     "percent", "internal", ALL, "at_least"),
    ("XY1", "信用户占比", "Credit households among rural households",
     "信用户 (DOMAIN §5) ÷ rural households.", "percent", "internal", ALL, "at_least"),
    ("XY2", "信用村(社区)占比", "Credit villages among villages",
     "信用村 (DOMAIN §5) ÷ villages.", "percent", "internal", AREA, "at_least"),
    ("XY3", "信用乡镇(街道)占比", "Credit townships among townships",
     "信用乡镇 (DOMAIN §5) ÷ townships.", "percent", "internal", CITY, "at_least"),
    ("DK1", "信用贷款余额", "Credit (unsecured) loan balance",
     "Balance of credit loans at the date.", "yuan", "internal+imported", BANK, "at_least"),
    ("DK2", "涉农贷款余额", "Agriculture-related loan balance",
     "Balance of agriculture-related (涉农) loans; the plan says 突破 (more than) 95 亿.",
     "yuan", "imported", BANK, "at_least"),
    ("DK3", "累计发放低收入农户贷款", "Cumulative loans to low-income households since 2016",
     "Sum of loans granted to low-income households since 2016-01-01.", "yuan", "internal+imported", BANK,
     "at_least"),
    ("DK4", "小额信用贷款余额", "Small credit loan balance",
     "Balance of small credit loans.", "yuan", "internal+imported", BANK, "at_least"),
    ("DK4C", "小额信用贷款客户数", "Small credit loan customers",
     "Customers with a small credit loan (second part of DK4).", "households", "internal+imported", BANK,
     "at_least"),
    ("DK5", "农户贷款余额", "Farmer-household loan balance",
     "Balance of loans to farmer households.", "yuan", "internal+imported", BANK, "at_least"),
    ("DK5C", "农户贷款客户数", "Farmer-household loan customers",
     "Farmer households with a loan (second part of DK5).", "households", "internal+imported", BANK, "at_least"),
    ("DK6", "小微企业贷款余额", "Micro and small enterprise loan balance",
     "Balance of loans to micro and small enterprises.", "yuan", "imported", BANK, "at_least"),
    ("DK6C", "小微企业贷款客户数", "Micro and small enterprise loan customers",
     "Micro and small enterprises with a loan (second part of DK6).", "households", "imported", BANK, "at_least"),
    ("DK7", "“美丽家园”农户改造贷款余额", "Home-improvement (美丽家园) loan balance",
     "Balance of 美丽家园 home-improvement loans (loan purpose).", "yuan", "internal+imported", BANK, "at_least"),
    ("DK8", "“美丽田园”产业链贷款余额", "Industry-chain (美丽田园) loan balance",
     "Balance of 美丽田园 industry-chain loans (loan purpose).", "yuan", "internal+imported", BANK, "at_least"),
    ("DK9", "“两高一剩”行业贷款余额", "Loans to high-pollution, high-energy, overcapacity industries",
     "Balance of 两高一剩 industry loans: a ceiling, not above the end-2015 level.", "yuan", "imported", BANK,
     "at_most"),
    ("QD1", "电子银行替代率", "E-banking substitution rate",
     "Electronic transactions ÷ all transactions.", "percent", "imported", BANK, "at_least"),
    ("QD2", "自助渠道发放30万元以下贷款比率", "Loans up to 300,000 yuan drawn on self-service channels",
     "Loans of at most 300,000 yuan drawn on mobile or online banking ÷ all loans of at most 300,000 yuan, "
     "by count of loans drawn up to the date.", "percent", "internal", ALL, "at_least"),
    ("QD3", "手机银行有效客户", "Active mobile-banking customers",
     "Active mobile-banking customers; the plan says 突破 (more than) 4 万户.", "households", "imported", BANK,
     "at_least"),
    ("QD4", "丰收E支付有效客户", "Active 丰收E支付 customers",
     "Active 丰收E支付 customers; the plan says 突破 (more than) 1.5 万户.", "households", "imported", BANK,
     "at_least"),
    ("QD5", "企业网银有效客户覆盖率", "Enterprise e-banking coverage",
     "Enterprise customers with active e-banking ÷ enterprise customers.", "percent", "imported", BANK, "at_least"),
    ("SB1", "社保卡激活率", "Social-security card activation rate",
     "Activated social-security cards ÷ issued cards.", "percent", "imported", BANK, "at_least"),
    ("SB2", "社保卡签约率", "Social-security card signing rate",
     "Social-security cards signed to the bank ÷ issued cards.", "percent", "imported", BANK, "at_least"),
    ("SB3", "每月社保卡使用率", "Monthly social-security card usage rate",
     "Social-security cards used in the month ÷ issued cards.", "percent", "imported", BANK, "at_least"),
    ("JC1", "基础金融服务行政村覆盖率", "Villages with basic financial services",
     "行政村 with a service point (ATM, POS, 助农终端, outlet) ÷ all 行政村.", "percent", "internal", AREA,
     "at_least"),
    ("JC2", "累计投入普惠基础设施建设及减费让利", "Cumulative investment in inclusive infrastructure and fee cuts",
     "Investment in inclusive-finance infrastructure and fee cuts since 2016.", "yuan", "imported", CITY,
     "at_least"),
]

PILOT = "试点村 (pilot villages)"
# code, year, value, note
TARGETS = [
    ("ZC1", 2017, "0.05", "各乡镇(街道)均开展试点村推广活动: every township at least one pilot village"),
    ("ZC1", 2018, "0.80", ""),
    ("ZC1", 2020, "1.00", ""),
    ("ZC2", 2017, "0.90", PILOT),
    ("ZC2", 2018, "0.90", PILOT),
    ("ZC2", 2020, "0.95", ""),
    ("ZC3", 2017, "0.70", ""),
    ("ZC3", 2018, "0.70", ""),
    ("ZC3", 2020, "0.80", ""),
    ("ZC4", 2017, "0.50", ""),
    ("ZC4", 2018, "0.50", ""),
    ("ZC4", 2020, "0.60", ""),
    ("XY1", 2020, "0.80", ""),
    ("XY2", 2020, "0.70", ""),
    ("XY3", 2020, "0.40", ""),
    ("DK1", 2020, 15 * YI, ""),
    ("DK2", 2020, 95 * YI, "突破95亿元 (more than)"),
    ("DK3", 2020, 1 * YI, "累计 since 2016"),
    ("DK4", 2020, 13 * YI, ""),
    ("DK4C", 2020, 2 * WAN, ""),
    ("DK5", 2020, 50 * YI, ""),
    ("DK5C", 2020, 3 * WAN, ""),
    ("DK6", 2020, 75 * YI, ""),
    ("DK6C", 2020, 1 * WAN, ""),
    ("DK7", 2020, 5 * YI, ""),
    ("DK8", 2020, 4 * YI, ""),
    ("DK9", 2020, None, "不高于2015年末水平: set the value to the end-2015 balance"),
    ("QD1", 2020, "0.80", "超过80% (section 一); section 二(二) says 近80%"),
    ("QD2", 2020, "0.30", ""),
    ("QD3", 2020, 4 * WAN, "突破4万户 (more than)"),
    ("QD4", 2020, 15_000, "突破1.5万户 (more than)"),
    ("QD5", 2020, "0.40", ""),
    ("SB1", 2018, "0.95", ""),
    ("SB2", 2018, "0.60", ""),
    ("SB3", 2018, "0.50", "每月保持 (kept every month)"),
    ("JC1", 2020, "1.00", "全市基础金融服务行政村全覆盖"),
    ("JC2", 2020, 1 * YI, "累计 since 2016"),
]


def load(apps, schema_editor):
    Indicator = apps.get_model("kpi", "Indicator")
    Plan = apps.get_model("kpi", "Plan")
    Target = apps.get_model("kpi", "Target")
    indicators = {}
    for position, (code, name_zh, name_en, definition, unit, source, scopes, comparison) in enumerate(INDICATORS):
        indicators[code], _ = Indicator.objects.update_or_create(
            code=code,
            defaults={
                "name_zh": name_zh,
                "name_en": name_en,
                "definition": definition,
                "unit": unit,
                "source": source,
                "scopes": scopes,
                "comparison": comparison,
                "ordering": (position + 1) * 10,
            },
        )
    plan, _ = Plan.objects.get_or_create(name=PLAN_NAME, defaults={"start_year": 2016, "end_year": 2020})
    for code, year, value, note in TARGETS:
        Target.objects.update_or_create(
            plan=plan,
            indicator=indicators[code],
            year=year,
            scope="city",
            defaults={"value": None if value is None else Decimal(value), "note": note},
        )


def unload(apps, schema_editor):
    apps.get_model("kpi", "Target").objects.filter(plan__name=PLAN_NAME).delete()
    apps.get_model("kpi", "Plan").objects.filter(name=PLAN_NAME).delete()
    apps.get_model("kpi", "Indicator").objects.filter(code__in=[row[0] for row in INDICATORS]).delete()


class Migration(migrations.Migration):
    dependencies = [("kpi", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
