"""The residents' and households' Excel ledgers: import checks, upserts, masked round trips, bad input."""

import datetime
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from openpyxl import Workbook, load_workbook

from wangge.core import ledgers
from wangge.core.models import AuditEvent
from wangge.core.validators import id_number_check_character
from wangge.people import services
from wangge.people.models import Household, ResidenceRegistration, Resident
from wangge.territory import services as territory_services

pytestmark = pytest.mark.django_db

HEADERS = ["姓名", "证件号码", "联系电话", "人口类型", "楼栋编号", "单元", "房号", "户号", "与户主关系", "关爱标签"]


def id_number(birth: str, sequence: int, prefix: str = "410105") -> str:
    """A made-up ID number with a valid check character (odd sequence: male)."""
    first17 = f"{prefix}{birth}{sequence:03d}"
    return first17 + id_number_check_character(first17)


def workbook(tmp_path: Path, rows: list[list], headers: list[str] = HEADERS, name: str = "in.xlsx") -> Path:
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    path = tmp_path / name
    book.save(path)
    return path


def run(cast, path: Path, *, actor=None, scope=None, **kwargs) -> ledgers.ImportResult:
    return ledgers.run_import(
        ledgers.get("residents"),
        path,
        actor=actor if actor is not None else cast.director,
        scope=scope or cast.home,
        error_path=path.with_suffix(".errors.xlsx"),
        **kwargs,
    )


def family(prefix: str = "H1") -> list[list]:
    return [
        [
            "王大明",
            id_number("19800501", 11),
            "17000001234",
            "户籍人口",
            "T-C01-B1",
            "1",
            "101",
            prefix,
            "户主",
            "退役军人",
        ],
        ["李小红", id_number("19820302", 22), "", "户籍人口", "T-C01-B1", "1", "101", prefix, "配偶", ""],
        ["王乐乐", id_number("20150808", 31), "", "户籍人口", "T-C01-B1", "1", "101", prefix, "子女", ""],
    ]


def snapshot() -> list[tuple]:
    """Every resident's stored values, clear, for before/after comparisons."""
    return [
        (r.pk, r.name, r.sex, r.birth_date, r.id_number, r.phone, r.residence, r.dwelling_id, r.household_id, r.tags)
        for r in Resident.objects.order_by("pk")
    ]


class ResidentImportTests:
    def test_it_imports_a_family_with_its_household(self, cast, tmp_path):
        result = run(cast, workbook(tmp_path, family()))
        assert (result.error_count, result.counts.created, result.applied) == (0, 3, True)
        household = Household.objects.get(number="H1")
        assert household.dwelling == cast.dwellings[0]
        assert household.community == cast.home
        father = Resident.objects.get(name="王大明")
        assert (father.sex, father.birth_date, father.relation, father.tags) == (
            "male",
            datetime.date(1980, 5, 1),
            "head",
            ",veteran,",
        )
        assert father.household == household
        assert father.area_path == cast.dwellings[0].area_path
        assert AuditEvent.objects.filter(action="resident.import").count() == 3
        assert AuditEvent.objects.filter(action="household.import").count() == 1

    def test_it_changes_nothing_when_the_same_file_is_imported_again(self, cast, tmp_path):
        path = workbook(tmp_path, family())
        run(cast, path)
        before = snapshot()
        events = AuditEvent.objects.count()
        result = run(cast, path)
        assert (result.counts.created, result.counts.updated, result.counts.unchanged) == (0, 0, 3)
        assert snapshot() == before
        assert AuditEvent.objects.count() == events

    def test_it_updates_a_resident_found_by_document_number(self, cast, tmp_path):
        run(cast, workbook(tmp_path, family()))
        rows = family()
        rows[0][2] = "17000009999"
        result = run(cast, workbook(tmp_path, rows, name="again.xlsx"))
        assert (result.counts.updated, result.counts.unchanged) == (1, 2)
        father = Resident.objects.get(name="王大明")
        assert father.phone == "17000009999"
        assert Resident.objects.filter(phone_index=father.phone_index).count() == 1
        event = AuditEvent.objects.get(action="resident.import_update")
        assert event.before["phone"] == "170****1234"
        assert event.after["phone"] == "170****9999"

    def test_it_writes_nothing_when_any_row_is_wrong(self, cast, tmp_path):
        rows = family()
        rows[1][1] = rows[1][1][:-1] + ("0" if rows[1][1][-1] != "0" else "1")  # a wrong check character
        result = run(cast, workbook(tmp_path, rows))
        assert not result.applied
        assert Resident.objects.count() == 0
        assert Household.objects.count() == 0
        assert [(e.row, e.column) for e in result.errors] == [(3, "证件号码")]
        assert "校验" in result.errors[0].message

    def test_it_applies_the_valid_rows_when_asked(self, cast, tmp_path):
        rows = family()
        rows[2][6] = "999"  # no such room
        result = run(cast, workbook(tmp_path, rows), apply_valid=True)
        assert result.applied
        assert sorted(Resident.objects.values_list("name", flat=True)) == ["李小红", "王大明"]
        assert [(e.row, e.column) for e in result.errors] == [(4, "房号")]

    def test_the_error_workbook_lists_row_column_and_message(self, cast, tmp_path):
        rows = family()
        rows[0][3] = "外星人"
        rows[2][1] = ""
        result = run(cast, workbook(tmp_path, rows))
        sheet = load_workbook(result.error_path).active
        lines = [tuple(row) for row in sheet.iter_rows(values_only=True)]
        assert lines[0] == ("行号", "列", "问题")
        assert (2, "人口类型") == lines[1][:2]
        assert (4, "证件号码") == lines[2][:2]
        assert all(message for _row, _column, message in lines[1:])

    def test_it_reads_full_width_digits_spaces_and_lower_case_x(self, cast, tmp_path):
        number = id_number("19900101", 13)
        if not number.endswith("X"):
            number = next(id_number("19900101", s) for s in range(1, 999, 2) if id_number("19900101", s).endswith("X"))
        typed = " ".join(number[i : i + 6] for i in range(0, 18, 6)).translate(
            str.maketrans("0123456789X", "０１２３４５６７８９x")
        )
        row = ["张三", typed, "１７０ ０００１ ２３４５", "流动人口", "T-C01-B1", "1", "102", "", "", ""]
        result = run(cast, workbook(tmp_path, [row]))
        assert result.error_count == 0, result.errors
        resident = Resident.objects.get()
        assert resident.id_number == number
        assert resident.phone == "17000012345"

    def test_it_refuses_a_birth_date_that_contradicts_the_id_number(self, cast, tmp_path):
        headers = [*HEADERS, "出生日期"]
        rows = [[*family()[0], "1981-05-01"]]
        result = run(cast, workbook(tmp_path, rows, headers=headers))
        assert [(e.column, "矛盾" in e.message) for e in result.errors] == [("出生日期", True)]

    def test_it_reads_dates_as_text_serial_numbers_and_date_cells(self, cast, tmp_path):
        headers = [*HEADERS, "迁入日期"]
        rows = family()
        rows[0].append("2010年3月1日")
        rows[1].append(40238)  # Excel's serial number of 2010-03-01
        rows[2].append(datetime.datetime(2016, 1, 2))
        result = run(cast, workbook(tmp_path, rows, headers=headers))
        assert result.error_count == 0, result.errors
        moved = dict(Resident.objects.values_list("name", "moved_in_on"))
        assert moved == {
            "王大明": datetime.date(2010, 3, 1),
            "李小红": datetime.date(2010, 3, 1),
            "王乐乐": datetime.date(2016, 1, 2),
        }

    def test_it_refuses_a_number_excel_has_shortened(self, cast, tmp_path):
        rows = family()[:1]
        rows[0][1] = 410105198005010011  # typed as a number: Excel keeps 15 digits
        result = run(cast, workbook(tmp_path, rows))
        assert result.errors[0].column == "证件号码"
        assert "文本" in result.errors[0].message

    def test_it_refuses_formulas(self, cast, tmp_path):
        rows = family()[:1]
        rows[0][0] = '=CONCAT("王","大明")'
        result = run(cast, workbook(tmp_path, rows))
        assert result.errors[0].column == "姓名"
        assert "公式" in result.errors[0].message

    def test_it_refuses_the_same_person_twice_in_one_file(self, cast, tmp_path):
        rows = family()
        rows.append(list(rows[1]))
        rows[3][8] = "子女"
        result = run(cast, workbook(tmp_path, rows))
        assert [(e.row, "第 3 行" in e.message) for e in result.errors] == [(5, True)]
        assert Resident.objects.count() == 0

    def test_it_refuses_two_heads_of_one_household(self, cast, tmp_path):
        rows = family()
        rows[1][8] = "户主"
        result = run(cast, workbook(tmp_path, rows))
        assert [(e.row, e.column) for e in result.errors] == [(3, "与户主关系")]

    def test_it_refuses_a_household_in_another_dwelling(self, cast, tmp_path):
        rows = family()
        rows[2][6] = "102"
        result = run(cast, workbook(tmp_path, rows))
        assert [(e.row, e.column) for e in result.errors] == [(4, "户号")]

    def test_it_refuses_dwellings_outside_the_importing_community(self, cast, tmp_path):
        building = territory_services.building_create(
            actor=None, code="N-C01-B1", name="邻楼", compound=cast.next_compound
        )
        territory_services.dwelling_create(actor=None, building=building, unit="1", number="101")
        rows = family()[:1]
        rows[0][4] = "N-C01-B1"
        result = run(cast, workbook(tmp_path, rows))
        assert result.errors[0].column == "房号"
        assert Resident.objects.count() == 0

    def test_a_grid_worker_cannot_import_at_all(self, cast, tmp_path):
        result = run(cast, workbook(tmp_path, family()), actor=cast.grid_worker)
        assert result.error_count == 3
        assert Resident.objects.count() == 0

    def test_a_masked_value_stands_only_for_a_registered_resident(self, cast, tmp_path):
        rows = family()[:1]
        rows[0][1] = "410105********0011"
        result = run(cast, workbook(tmp_path, rows))
        assert result.errors[0].column == "证件号码"
        assert "脱敏" in result.errors[0].message

    def test_the_example_row_of_the_template_is_skipped(self, cast, tmp_path):
        book = ledgers.template(ledgers.get("residents"))
        sheet = book.worksheets[0]
        headers = [cell.value.rstrip("*") for cell in sheet[1]]
        row = dict(zip(headers, family()[0] + [""] * 20, strict=False))
        values = {"姓名": "王大明", "证件号码": family()[0][1], "人口类型": "户籍人口", "楼栋编号": "T-C01-B1"}
        values.update({"单元": "1", "房号": "101", "户号": "", "与户主关系": "", "关爱标签": ""})
        sheet.append([values.get(header, None) for header in headers])
        assert row  # the template's own headers are readable
        path = tmp_path / "template.xlsx"
        book.save(path)
        result = run(cast, path)
        assert result.error_count == 0, result.errors
        assert list(Resident.objects.values_list("name", flat=True)) == ["王大明"]


class ResidentExportTests:
    def test_a_masked_export_imports_back_unchanged(self, cast, tmp_path):
        headers = [*HEADERS, "居住登记日期", "居住证号码", "居住证有效期至"]
        rows = family()
        rows.append(
            ["赵流动", id_number("19950606", 41, "510104"), "17100004321", "流动人口", "T-C01-B1", "1", "102"]
            + ["", "", "", "2024-01-10", "JZZ20240001", "2025-01-10"]
        )
        for row in rows[:3]:
            row += ["", "", ""]
        run(cast, workbook(tmp_path, rows, headers=headers))
        resident = Resident.objects.get(name="赵流动")
        services.resident_update(actor=None, resident=resident, sensitive_tags=["disabled"])
        before = snapshot()
        registrations = ResidenceRegistration.objects.count()
        ledger = ledgers.get("residents")
        exported = ledgers.export(ledger, ledger.export_queryset(Resident.objects.order_by("pk")), reveal=False)
        try:
            cells = [tuple(r) for r in load_workbook(exported).active.iter_rows(values_only=True)]
            assert "410105********0011"[:6] in cells[1][5] and "*" in cells[1][5]
            assert not any(rows[0][1] in str(cell) for line in cells for cell in line)
            result = run(cast, exported)
        finally:
            exported.unlink()
        assert result.error_count == 0, result.errors
        assert (result.counts.created, result.counts.updated, result.counts.unchanged) == (0, 0, 4)
        assert snapshot() == before
        assert ResidenceRegistration.objects.count() == registrations
        assert Resident.objects.get(name="赵流动").sensitive_tags == ",disabled,"

    def test_a_revealed_export_carries_clear_values_and_imports_back_unchanged(self, cast, tmp_path):
        run(cast, workbook(tmp_path, family()))
        before = snapshot()
        ledger = ledgers.get("residents")
        exported = ledgers.export(ledger, ledger.export_queryset(Resident.objects.all()), reveal=True)
        try:
            cells = [tuple(r) for r in load_workbook(exported).active.iter_rows(values_only=True)]
            assert {line[5] for line in cells[1:]} == {row[1] for row in family()}
            result = run(cast, exported)
        finally:
            exported.unlink()
        assert result.counts.unchanged == 3
        assert snapshot() == before

    def test_raw_rows_hold_no_clear_document_number_or_phone(self, cast, tmp_path):
        run(cast, workbook(tmp_path, family()))
        with connection.cursor() as cursor:
            cursor.execute("SELECT id_number, phone, id_number_index FROM people_resident")
            raw = " ".join(" ".join(row) for row in cursor.fetchall())
        for row in family():
            assert row[1] not in raw
        assert "17000001234" not in raw


class HouseholdLedgerTests:
    def test_it_creates_updates_and_leaves_households(self, cast, tmp_path):
        headers = ["户号", "楼栋编号", "单元", "房号", "备注"]
        path = workbook(tmp_path, [["H7", "T-C01-B1", "1", "101", ""], ["H8", "T-C01-B1", "1", "102", "租户"]], headers)
        result = ledgers.run_import(ledgers.get("households"), path, actor=cast.director, scope=cast.home)
        assert result.counts.created == 2
        again = ledgers.run_import(ledgers.get("households"), path, actor=cast.director, scope=cast.home)
        assert again.counts.unchanged == 2
        changed = workbook(tmp_path, [["H8", "T-C01-B1", "1", "102", "已更换租户"]], headers, name="b.xlsx")
        third = ledgers.run_import(ledgers.get("households"), changed, actor=cast.director, scope=cast.home)
        assert third.counts.updated == 1
        assert Household.objects.get(number="H8").note == "已更换租户"
        assert AuditEvent.objects.filter(object_type="people.household").count() == 3


class ReviewFindingsTests:
    """Rules found missing by the privacy review, each with the case that broke them."""

    def test_a_file_without_household_columns_leaves_households_alone(self, cast, tmp_path):
        run(cast, workbook(tmp_path, family()))
        slim = [row[:7] for row in family()]
        slim[0][2] = "17000005555"
        result = run(cast, workbook(tmp_path, slim, headers=HEADERS[:7], name="slim.xlsx"))
        assert (result.error_count, result.counts.updated, result.counts.unchanged) == (0, 1, 2)
        father = Resident.objects.get(name="王大明")
        assert (father.household.number, father.relation, father.phone) == ("H1", "head", "17000005555")

    def test_household_numbers_match_whatever_their_case(self, cast, tmp_path):
        services.household_create(actor=None, dwelling=cast.dwellings[0], number="h-low1")
        headers = ["户号", "楼栋编号", "单元", "房号", "备注"]
        path = workbook(tmp_path, [["H-LOW1", "T-C01-B1", "1", "101", ""]], headers)
        result = ledgers.run_import(ledgers.get("households"), path, actor=cast.director, scope=cast.home)
        assert (result.counts.created, result.counts.unchanged) == (0, 1)
        assert Household.objects.count() == 1

    def test_two_rows_for_one_resident_are_refused(self, cast, tmp_path):
        run(cast, workbook(tmp_path, family()))
        father = Resident.objects.get(name="王大明")
        headers = ["系统编号", *HEADERS]
        rows = [[father.pk, *family()[0]], [father.pk, *family()[0]]]
        rows[1][2] = id_number("19800501", 13)
        result = run(cast, workbook(tmp_path, rows, headers=headers, name="twice.xlsx"))
        assert [(e.row, "第 2 行" in e.message) for e in result.errors] == [(3, True)]
        assert Resident.objects.get(pk=father.pk).id_number == family()[0][1]

    def test_no_registration_is_added_to_an_archived_resident(self, cast, tmp_path):
        headers = [*HEADERS, "居住登记日期"]
        row = ["赵流动", id_number("19950606", 41, "510104"), "", "流动人口", "T-C01-B1", "1", "102", "", "", ""]
        run(cast, workbook(tmp_path, [[*row, ""]], headers=headers))
        resident = Resident.objects.get()
        services.resident_archive(actor=None, resident=resident, status="moved_out", on=datetime.date(2024, 5, 1))
        result = run(cast, workbook(tmp_path, [[*row, "2024-01-10"]], headers=headers, name="b.xlsx"))
        assert result.error_count == 1
        assert "只读" in result.errors[0].message
        with pytest.raises(ValidationError):
            services.registration_create(actor=None, resident=resident, registered_on=datetime.date(2024, 1, 10))
        assert ResidenceRegistration.objects.count() == 0

    def test_a_masked_export_does_not_give_the_birth_date(self, cast, tmp_path):
        run(cast, workbook(tmp_path, family()))
        ledger = ledgers.get("residents")
        exported = ledgers.export(ledger, ledger.export_queryset(Resident.objects.all()), reveal=False)
        try:
            cells = [tuple(r) for r in load_workbook(exported).active.iter_rows(values_only=True)]
        finally:
            exported.unlink()
        column = cells[0].index("出生日期")
        assert {line[column] for line in cells[1:]} == {"******"}


class ArchiveDateTests:
    def test_a_resident_cannot_move_out_before_moving_in(self, cast):
        resident = services.resident_create(
            actor=None,
            name="钱某",
            id_number=id_number("19700101", 15),
            residence="registered",
            dwelling=cast.dwellings[0],
            moved_in_on=datetime.date(2010, 1, 1),
        )
        with pytest.raises(ValidationError) as error:
            services.resident_archive(actor=None, resident=resident, status="moved_out", on=datetime.date(2009, 1, 1))
        assert "on" in error.value.message_dict
        assert Resident.objects.get().status == "living"


class ReminderRecipientsTests:
    def test_building_leaders_are_not_told_about_registrations(self, cast):
        from wangge.core.models import Notification
        from wangge.territory import services as places

        places.assignment_create(actor=None, person=cast.building_leader, place=cast.building1)
        resident = services.resident_create(
            actor=None,
            name="孙流动",
            id_number=id_number("19900303", 17, "510104"),
            residence="floating",
            dwelling=cast.dwellings[0],
            moved_in_on=datetime.date(2020, 1, 1),
        )
        services.floating_remind()
        told = set(Notification.objects.filter(event__startswith="people").values_list("recipient_id", flat=True))
        assert cast.building_leader.pk not in told
        assert told, "someone of the office must be told"
        assert resident.pk
