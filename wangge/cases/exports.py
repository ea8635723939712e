"""Excel ledgers (台账) of cases.

The headers are the standards' Chinese terms whatever the interface language: the office files these
workbooks with others and compares them against the evaluation rules, which use exactly these names.
"""

import datetime
import io

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet.worksheet import Worksheet

from wangge.cases.metrics import Metrics

GROUP_HEADERS = {"grid": "网格", "person": "人员", "category": "类别", "month": "月份"}
COUNTS = [
    ("reported", "上报数"),
    ("registered", "立案数"),
    ("due", "应结案数"),
    ("suspended", "缓办数"),
    ("closed", "结案数"),
    ("closed_on_time", "按期结案数"),
    ("reworked", "返工数"),
    ("postponed", "延期数"),
    ("overdue_open", "超期未结数"),
    ("ratings", "评价数"),
    ("satisfied", "满意数"),
]
RATES = [
    ("closure", "结案率"),
    ("on_time", "按期结案率"),
    ("rework", "返工率"),
    ("postponement", "延期率"),
    ("overdue", "超期率"),
    ("satisfaction", "满意率"),
    ("reporter_accuracy", "上报准确率"),
]
DEFINITIONS = [
    ("应结案数", "已立案且已过处置时限或已结案的案件"),
    ("结案率", "结案数 ÷ (应结案数 − 缓办数)"),
    ("按期结案率", "按期结案数 ÷ (应结案数 − 缓办数)"),
    ("返工率", "应结案中返工过的案件 ÷ 应结案数"),
    ("延期率", "应结案中延期过的案件 ÷ 应结案数"),
    ("超期率", "超期未结案件 ÷ 应结案数"),
    ("满意率", "4–5 星评价 ÷ 评价数"),
    ("上报准确率", "立案数 ÷ 上报数"),
    ("综合得分", "30·结案率 + 20·按期结案率 + 20·(1−返工率) + 20·(1−超期率) + 10·(1−延期率)，权重可配置"),
    ("—", "分母为 0，无法计算"),
]
NOT_DEFINED = "—"


def _row(sheet: Worksheet, key: str, label: str, metrics: Metrics) -> list:
    row: list = [key, label, *(getattr(metrics, name) for name, _header in COUNTS)]
    for name, _header in RATES:
        value = metrics.rates.get(name)
        if value is None:
            row.append(NOT_DEFINED)
        else:
            # Real numbers shown as percentages: the office can still sum and sort them.
            cell = WriteOnlyCell(sheet, value=value)
            cell.number_format = "0.0%"
            row.append(cell)
    composite = metrics.rates.get("composite")
    row.append(NOT_DEFINED if composite is None else round(composite, 1))
    return row


def metrics_workbook(
    *, rows: list[Metrics], total: Metrics, by: str, since: datetime.date, until: datetime.date
) -> bytes:
    """The case metrics of a period as an .xlsx file: one row per group, a total, and the definitions."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("案件指标")
    group = GROUP_HEADERS.get(by, "分组")
    sheet.append([f"{group}编码", group, *(h for _n, h in COUNTS), *(h for _n, h in RATES), "综合得分"])
    for metrics in rows:
        sheet.append(_row(sheet, metrics.key, metrics.label, metrics))
    sheet.append(_row(sheet, "", "合计", total))
    notes = workbook.create_sheet("说明")
    notes.append(["统计区间（按上报日期）", f"{since:%Y-%m-%d} 至 {until:%Y-%m-%d}"])
    notes.append(["分组", group])
    for term, definition in DEFINITIONS:
        notes.append([term, definition])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
