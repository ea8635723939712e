"""The default case categories: event and component classes in the GB/T 30428.2 style, and the community's
own. Configuration data: an administrator edits it afterwards (Django admin). Subclass numbering differs
between implementations (domain.md), so codes are data, never constants in code.
"""

from django.db import migrations

# code, name, kind, class code, class name, deadline hours, working hours, level, photo required, public
CATEGORIES = [
    ("E0102", "暴露垃圾", "event", "01", "市容环境", 24, False, "compound", True, True),
    ("E0105", "道路不洁", "event", "01", "市容环境", 24, False, "community", False, True),
    ("E0201", "非法小广告", "event", "02", "宣传广告", 48, False, "compound", True, True),
    ("E0301", "施工噪声", "event", "03", "施工管理", 24, False, "community", False, True),
    ("E0501", "无照经营游商", "event", "05", "街面秩序", 24, False, "community", False, True),
    ("E0505", "乱停乱放", "event", "05", "街面秩序", 12, False, "compound", False, True),
    ("C01", "楼院环境卫生", "event", "JX", "社区事务", 48, False, "compound", True, True),
    ("C02", "门前三包", "event", "JX", "社区事务", 24, False, "community", True, True),
    ("C03", "设施报修", "event", "JX", "社区事务", 24, True, "community", False, True),
    ("C04", "噪声扰民", "event", "JX", "社区事务", 24, False, "compound", False, True),
    ("C05", "流动人口登记", "event", "JX", "社区事务", 40, True, "community", False, False),
    ("C06", "邻里纠纷", "event", "JX", "社区事务", 72, False, "compound", False, True),
    ("P0101", "井盖破损缺失", "component", "01", "公用设施", 12, False, "community", True, True),
    ("P0301", "公厕设施损坏", "component", "03", "市容环境设施", 48, False, "community", False, True),
    ("P0305", "垃圾桶破损", "component", "03", "市容环境设施", 48, False, "community", False, True),
    ("P0108", "路灯不亮", "component", "01", "公用设施", 24, True, "community", False, True),
]

QUESTIONS = {
    "C03": [
        ("facility", "报修设施", "single", True,
         [["light", "楼道灯"], ["water", "水管"], ["door", "单元门禁"], ["elevator", "电梯"], ["other", "其他"]]),
        ("danger", "是否影响安全", "single", False, [["yes", "是"], ["no", "否"]]),
    ],
    "C05": [("persons", "涉及人数", "number", True, [])],
    "C04": [("hours", "扰民时段", "multiple", False, [["day", "白天"], ["evening", "晚间"], ["night", "深夜"]])],
}


def seed(apps, schema_editor):
    Category = apps.get_model("cases", "Category")
    Question = apps.get_model("cases", "Question")
    for order, row in enumerate(CATEGORIES, start=1):
        code, name, kind, class_code, class_name, hours, working, level, photo, public = row
        category, _ = Category.objects.get_or_create(
            code=code,
            defaults={
                "name": name, "kind": kind, "class_code": class_code, "class_name": class_name,
                "deadline_hours": hours, "working_hours": working, "level": level, "photo_required": photo,
                "public": public, "order": order,
            },
        )
        for position, (qcode, label, datatype, required, choices) in enumerate(QUESTIONS.get(code, []), start=1):
            Question.objects.get_or_create(
                category=category, code=qcode,
                defaults={"label": label, "datatype": datatype, "required": required, "choices": choices,
                          "order": position},
            )


def unseed(apps, schema_editor):
    Category = apps.get_model("cases", "Category")
    Category.objects.filter(code__in=[row[0] for row in CATEGORIES], cases__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
