"""The seeded inspection standards: compound sanitation, street shops (门前三包 and the small-trade extras),
office buildings; and the case categories their failures turn into that the cases seed lacks. Configuration
data: the community director edits the checklists afterwards (a new version each time one has been used).
"""

from django.db import migrations
from django.utils import timezone

# code, name, kind, class code, class name, deadline hours, working hours, level, photo required, public
CATEGORIES = [
    ("E0502", "店外经营", "event", "05", "街面秩序", 24, False, "community", True, True),
    ("C07", "消防安全隐患", "event", "JX", "社区事务", 24, False, "community", True, True),
    ("C08", "门店经营规范", "event", "JX", "社区事务", 72, False, "community", False, False),
]

# code, name, target, pass mark, description
CHECKLISTS = [
    ("compound-sanitation", "楼院环境卫生检查表", "compound", 80, "每周逐院检查；不合格项限期整改，复查合格后销号。"),
    ("shop-standards", "街边门店检查表（门前三包）", "shop", 80, "门前三包与门店经营规范；五小门店另查行业附加项。"),
    ("office-building", "写字楼检查表", "office", 80, "写字楼周边环境、消防与秩序。"),
]

# checklist, item code, section, standard, points, severity, category, trades, photo required, hours to rectify
ITEMS = [
    ("compound-sanitation", "HY01", "环境卫生", "院内道路、公共区域干净整洁，无暴露垃圾", 15, "major", "C01", [], True, 24),
    ("compound-sanitation", "HY02", "环境卫生", "垃圾桶（池）完好，垃圾日产日清、无满溢", 15, "major", "E0102", [], True, 24),
    ("compound-sanitation", "HY03", "环境卫生", "楼道、楼梯间无堆放杂物", 10, "minor", "C01", [], True, None),
    ("compound-sanitation", "HY04", "宣传广告", "无乱贴乱画小广告", 10, "minor", "E0201", [], True, None),
    ("compound-sanitation", "HY05", "秩序", "车辆停放有序", 10, "minor", "E0505", [], True, None),
    ("compound-sanitation", "HY06", "绿化", "绿化带无垃圾、无毁绿种菜", 10, "minor", "C01", [], True, None),
    ("compound-sanitation", "HY07", "设施", "路灯、楼道灯、单元门等公共设施完好", 10, "minor", "C03", [], False, None),
    ("compound-sanitation", "HY08", "公示", "领导小组和网格责任人公示牌完好", 5, "minor", "C01", [], False, 72),
    ("compound-sanitation", "HY09", "安全", "消防通道畅通，无飞线充电等安全隐患", 15, "critical", "C07", [], True, 12),
    ("shop-standards", "MD01", "证照", "营业执照等证照在店内醒目位置公示", 10, "minor", "C08", [], False, None),
    ("shop-standards", "MD02", "门前三包", "门前卫生干净，无垃圾、油污", 15, "major", "C02", [], True, None),
    ("shop-standards", "MD03", "门前三包", "门前绿化、设施完好", 10, "minor", "C02", [], True, None),
    ("shop-standards", "MD04", "门前三包", "门前秩序良好，车辆停放有序", 15, "minor", "C02", [], True, None),
    ("shop-standards", "MD05", "店外经营", "不占道、不出店经营，无店外摆放", 15, "major", "E0502", [], True, None),
    ("shop-standards", "MD06", "卫生", "店内整洁，垃圾分类存放、及时清运", 10, "minor", "C08", [], True, None),
    ("shop-standards", "MD07", "消防", "灭火器配备且在有效期内，安全出口畅通", 15, "critical", "C07", [], True, 12),
    ("shop-standards", "MD08", "广告", "招牌规范，无乱贴乱挂", 10, "minor", "E0201", [], True, None),
    ("shop-standards", "XC01", "行业附加", "油烟净化设施正常使用，生熟分开", 10, "major", "C08", ["restaurant", "food"], True, None),
    ("shop-standards", "XC02", "行业附加", "从业人员持有效健康证明", 5, "minor", "C08", ["restaurant", "food"], False, None),
    ("shop-standards", "MF01", "行业附加", "美容美发工具按规定消毒并有记录", 10, "minor", "C08", ["salon"], False, None),
    ("shop-standards", "LG01", "行业附加", "旅客身份如实登记", 10, "major", "C08", ["hotel"], False, None),
    ("shop-standards", "YS01", "行业附加", "场所通风良好，消毒设施正常", 10, "minor", "C08", ["bathhouse"], True, None),
    ("office-building", "XZ01", "环境卫生", "楼前区域干净整洁，无暴露垃圾", 20, "major", "C01", [], True, None),
    ("office-building", "XZ02", "消防", "消防通道、安全出口畅通，消防设施完好", 30, "critical", "C07", [], True, 12),
    ("office-building", "XZ03", "秩序", "车辆停放有序", 20, "minor", "E0505", [], True, None),
    ("office-building", "XZ04", "宣传广告", "无乱贴小广告", 15, "minor", "E0201", [], True, None),
    ("office-building", "XZ05", "宣传", "创建宣传氛围布置到位", 15, "minor", "C01", [], False, 72),
]


def seed(apps, schema_editor):
    Category = apps.get_model("cases", "Category")
    Checklist = apps.get_model("inspections", "Checklist")
    ChecklistItem = apps.get_model("inspections", "ChecklistItem")
    top = Category.objects.order_by("-order").values_list("order", flat=True).first() or 0
    for order, row in enumerate(CATEGORIES, start=top + 1):
        code, name, kind, class_code, class_name, hours, working, level, photo, public = row
        Category.objects.get_or_create(
            code=code,
            defaults={
                "name": name, "kind": kind, "class_code": class_code, "class_name": class_name,
                "deadline_hours": hours, "working_hours": working, "level": level, "photo_required": photo,
                "public": public, "order": order,
            },
        )
    categories = {category.code: category for category in Category.objects.all()}
    now = timezone.now()
    for code, name, target, pass_mark, description in CHECKLISTS:
        checklist, created = Checklist.objects.get_or_create(
            code=code,
            version=1,
            defaults={
                "name": name, "target": target, "pass_mark": pass_mark, "description": description,
                "status": "published", "published_at": now,
            },
        )
        if not created:
            continue
        for order, row in enumerate([row for row in ITEMS if row[0] == code], start=1):
            _code, item_code, section, text, points, severity, category, trades, photo, hours = row
            ChecklistItem.objects.create(
                checklist=checklist, code=item_code, section=section, text=text, points=points, severity=severity,
                category=categories[category], trades=trades, photo_required=photo, rectify_hours=hours, order=order,
            )


def unseed(apps, schema_editor):
    Checklist = apps.get_model("inspections", "Checklist")
    Category = apps.get_model("cases", "Category")
    Checklist.objects.filter(code__in=[row[0] for row in CHECKLISTS], inspections__isnull=True).delete()
    Category.objects.filter(
        code__in=[row[0] for row in CATEGORIES], cases__isnull=True, checklist_items__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("inspections", "0001_initial"),
        ("cases", "0002_seed_categories"),
        ("territory", "0002_seed_trades"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
