"""The default trade list. Configuration data: an administrator edits it afterwards (Django admin).

`small_trade` marks the 五小 trades as most cities list them (domain.md "Shops"); cities differ, so it is data.
"""

from django.db import migrations

TRADES = [
    ("restaurant", "小餐饮", True),
    ("food", "小食品店", True),
    ("grocery", "小超市便利店", True),
    ("salon", "美容美发", True),
    ("bathhouse", "洗浴足疗", True),
    ("hotel", "小旅馆", True),
    ("karaoke", "歌舞娱乐", False),
    ("fruit", "果蔬生鲜", False),
    ("clothing", "服装鞋帽", False),
    ("pharmacy", "药店诊所", False),
    ("telecom", "通讯电子", False),
    ("repair", "维修服务", False),
    ("print", "打印复印", False),
    ("education", "教育培训", False),
    ("other", "其他", False),
]


def seed(apps, schema_editor):
    Trade = apps.get_model("territory", "Trade")
    for order, (code, name, small) in enumerate(TRADES, start=1):
        Trade.objects.get_or_create(code=code, defaults={"name": name, "small_trade": small, "order": order})


def unseed(apps, schema_editor):
    Trade = apps.get_model("territory", "Trade")
    Trade.objects.filter(code__in=[code for code, _name, _small in TRADES], shops__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("territory", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
