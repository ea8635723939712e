"""Benchmark: import residents from an Excel ledger, against the database's own bulk-insert rate.

    python bench/import_residents.py [--rows 100000] [--database-url URL] [--out bench/results/import.md]

One run, one database (SQLite in a temporary folder unless --database-url names PostgreSQL):

1. setup (a child process): a fresh database, one community with enough dwellings, and a workbook of
   `--rows` made-up residents in families (valid checksummed ID numbers, phones, households);
2. import (a child process, so its peak memory is its own): `core.ledgers.run_import` of the workbook, the
   whole path a user's import takes (streamed reading, every row checked, encryption, blind indexes,
   households, one audit row per record, one transaction);
3. a second import of a fifth of the rows, to show that peak memory does not grow with the file;
4. ceiling (a child process): the same number of resident rows, already encrypted, written straight into the
   same table by the database's fastest path (PostgreSQL COPY, SQLite executemany in one transaction).

Prints a Markdown table (figure, ceiling, ratio) and appends it to --out.
"""

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import PYTHON, ROOT, django_setup, fresh_postgres_database

COMMUNITY = "410105008004"


def made_up_id(rng: random.Random, male: bool) -> tuple[str, str]:
    """A made-up ID number with a valid check character, and its birth date as ISO text."""
    from wangge.core.validators import id_number_check_character

    year, month, day = rng.randint(1935, 2020), rng.randint(1, 12), rng.randint(1, 28)
    sequence = rng.randrange(1 if male else 0, 1000, 2)
    first17 = f"{rng.choice(['410105', '410102', '411302', '510104'])}{year}{month:02d}{day:02d}{sequence:03d}"
    return first17 + id_number_check_character(first17), f"{year}-{month:02d}-{day:02d}"


def setup(args: argparse.Namespace) -> dict:
    """A fresh database with one community of `dwellings`, and the workbook of `rows` residents."""
    if args.database_url.startswith("postgres"):
        fresh_postgres_database(args.database_url)
    django_setup(args.database_url, args.var_dir)
    from django.core.management import call_command
    from openpyxl import Workbook

    from wangge.territory import services
    from wangge.territory.models import AreaKind, Building, Compound, Dwelling

    call_command("migrate", verbosity=0)
    district = services.area_create(actor=None, kind=AreaKind.DISTRICT, code="410105", name="金水区")
    subdistrict = services.area_create(
        actor=None, kind=AreaKind.SUBDISTRICT, code="410105008", name="文化路街道", parent=district
    )
    community = services.area_create(
        actor=None, kind=AreaKind.COMMUNITY, code=COMMUNITY, name="基准社区", parent=subdistrict
    )
    grid = services.area_create(
        actor=None, kind=AreaKind.GRID, code=COMMUNITY + "001", name="基准网格", parent=community
    )
    families = args.rows // 3 + 1
    buildings_needed = families // 100 + 1
    compound = services.compound_create(actor=None, code="B-C01", name="基准小区", area=grid, management="none")
    buildings = Building.objects.bulk_create(
        Building(code=f"B-C01-{n:04d}", name=f"{n}号楼", area=grid, compound=compound, area_path=compound.area_path)
        for n in range(1, buildings_needed + 1)
    )
    Dwelling.objects.bulk_create(
        (
            Dwelling(building=building, unit=str(u), number=f"{f}0{r}", area_path=compound.area_path)
            for building in buildings
            for u in (1, 2)
            for f in range(1, 11)
            for r in range(1, 6)
        ),
        batch_size=2000,
    )
    assert Compound.objects.count() == 1  # noqa: S101 - a benchmark's own sanity check
    rng = random.Random(20141001)  # noqa: S311 - made-up data, not security
    surnames = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
    given = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰建国文"
    # An ordinary workbook, as Excel and WPS write them (shared strings, a declared dimension); openpyxl's
    # write-only files lack the dimension, which makes every reader scan the sheet once more.
    book = Workbook()
    sheet = book.active
    sheet.title = "居民"
    sheet.append(["姓名", "证件号码", "联系电话", "人口类型", "楼栋编号", "单元", "房号", "户号", "与户主关系"])
    seen: set[str] = set()
    written = 0
    slots = ((b.code, str(u), f"{f}0{r}") for b in buildings for u in (1, 2) for f in range(1, 11) for r in range(1, 6))
    for family in range(families):
        building, unit, room = next(slots)
        for member, relation in enumerate(("户主", "配偶", "子女")):
            if written >= args.rows:
                break
            number, _born = made_up_id(rng, male=member != 1)
            while number in seen:
                number, _born = made_up_id(rng, male=member != 1)
            seen.add(number)
            name = rng.choice(surnames) + "".join(rng.choice(given) for _ in range(rng.choice((1, 2))))
            phone = f"170{rng.randrange(10**8):08d}" if member == 0 else ""
            residence = rng.choice(("户籍人口", "户籍人口", "常住非户籍人口", "流动人口"))
            sheet.append([name, number, phone, residence, building, unit, room, f"H{family:06d}", relation])
            written += 1
    path = Path(args.var_dir) / f"residents-{args.rows}.xlsx"
    book.save(path)
    small = Path(args.var_dir) / "residents-small.xlsx"
    return {"workbook": str(path), "small": str(small), "bytes": path.stat().st_size, "rows": written}


def run_import(args: argparse.Namespace) -> dict:
    """Import the workbook through the ledger engine; rows per second and this process's peak memory."""
    django_setup(args.database_url, args.var_dir)
    from wangge.core import ledgers
    from wangge.territory.models import Area

    community = Area.objects.get(code=COMMUNITY)
    started = time.perf_counter()
    result = ledgers.run_import(
        ledgers.get("residents"), Path(args.workbook), actor=None, scope=community, error_path=None
    )
    seconds = time.perf_counter() - started
    if result.error_count or not result.applied:
        raise SystemExit(f"import refused rows: {result.errors[:3]}")
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"seconds": seconds, "rows": result.total, "created": result.counts.created, "peak_mb": peak_kb / 1024}


def clear(args: argparse.Namespace) -> dict:
    """Remove what an import wrote, so the next measurement starts from the same empty register."""
    django_setup(args.database_url, args.var_dir)
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ("core_auditevent", "people_residenceregistration", "people_resident", "people_household"):
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
    return {}


def ceiling(args: argparse.Namespace) -> dict:
    """The same number of resident rows, encrypted beforehand, written by the database's fastest path."""
    django_setup(args.database_url, args.var_dir)
    from django.db import connection, transaction
    from django.utils import timezone

    from wangge.core.pii import blind_index, encrypt
    from wangge.people.models import Resident
    from wangge.territory.models import Dwelling

    dwellings = list(Dwelling.objects.values_list("id", "area_path"))
    rng = random.Random(7)  # noqa: S311 - made-up data
    now = timezone.now()
    columns = [
        f.column
        for f in Resident._meta.concrete_fields
        if f.column not in ("id",) and not f.column.endswith("household_id")
    ]
    rows = []
    seen: set[str] = set()
    for n in range(args.rows):
        number, born = made_up_id(rng, male=n % 2 == 0)
        while number in seen:
            number, born = made_up_id(rng, male=n % 2 == 0)
        seen.add(number)
        dwelling_id, path = dwellings[n // 3 % len(dwellings)]
        values = {
            "created_at": now,
            "updated_at": now,
            "area_path": path,
            "name": "王某某",
            "sex": "male",
            "birth_date": born,
            "id_type": "id_card",
            "id_number": encrypt(number, context="people.resident.id_number"),
            "id_number_index": blind_index(number),
            "phone": encrypt("17000000000", context="people.resident.phone"),
            "phone_index": blind_index("17000000000"),
            "residence": "registered",
            "registered_address": "",
            "dwelling_id": dwelling_id,
            "relation": "",
            "tags": "",
            "sensitive_tags": "",
            "sensitive_tags_index": "",
            "moved_in_on": None,
            "moved_out_on": None,
            "status": "living",
            "archived_at": None,
        }
        rows.append(tuple(values[c] for c in columns))
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # psycopg's own cursor: COPY is PostgreSQL's bulk-load path
            with raw.copy(f"COPY people_resident ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO people_resident ({', '.join(columns)}) VALUES ({marks})", rows)  # noqa: S608
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "rows": args.rows}


def child(step: str, args: argparse.Namespace, **extra: str) -> dict:
    """Run one step in a fresh Python process and return its JSON answer."""
    command = [PYTHON, __file__, "--step", step, "--rows", str(extra.get("rows", args.rows))]
    command += ["--var-dir", args.var_dir, "--database-url", args.database_url]
    if "workbook" in extra:
        command += ["--workbook", extra["workbook"]]
    output = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)  # noqa: S603
    if output.returncode:
        raise SystemExit(f"step {step} failed:\n{output.stderr[-3000:]}")
    return json.loads(output.stdout.strip().splitlines()[-1])


def small_workbook(source: str, target: str, rows: int) -> None:
    """The first `rows` rows of a workbook, streamed, for the memory comparison."""
    from openpyxl import Workbook, load_workbook

    reader = load_workbook(source, read_only=True)
    writer = Workbook()
    sheet = writer.active
    sheet.title = "居民"
    for index, values in enumerate(reader.worksheets[0].iter_rows(values_only=True)):
        if index > rows:
            break
        sheet.append(list(values))
    reader.close()
    writer.save(target)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "import.md"))
    parser.add_argument("--step", default="")
    parser.add_argument("--var-dir", default="")
    parser.add_argument("--workbook", default="")
    args = parser.parse_args()
    if args.step:
        steps = {"setup": setup, "import": run_import, "clear": clear, "ceiling": ceiling}
        print(json.dumps(steps[args.step](args)))
        return
    with tempfile.TemporaryDirectory(prefix="wangge-bench-") as var_dir:
        args.var_dir = var_dir
        database = "PostgreSQL" if args.database_url.startswith("postgres") else "SQLite"
        print(f"[{database}] building a community and a workbook of {args.rows:,} residents ...", file=sys.stderr)
        made = child("setup", args)
        small_rows = max(1, args.rows // 5)
        small_workbook(made["workbook"], made["small"], small_rows)
        print(f"[{database}] importing {small_rows:,} rows ...", file=sys.stderr)
        small = child("import", args, workbook=made["small"], rows=small_rows)
        child("clear", args)
        print(f"[{database}] importing {args.rows:,} rows ...", file=sys.stderr)
        full = child("import", args, workbook=made["workbook"])
        child("clear", args)
        print(f"[{database}] ceiling: raw bulk insert of {args.rows:,} rows ...", file=sys.stderr)
        top = child("ceiling", args)
    rate = full["rows"] / full["seconds"]
    ceiling_rate = top["rows"] / top["seconds"]
    table = "\n".join(
        [
            f"### Import of {full['rows']:,} residents from a {made['bytes'] / 1e6:.1f} MB workbook — {database}",
            "",
            "| figure | value | ceiling | ratio |",
            "| --- | ---: | ---: | ---: |",
            f"| rows per second (import, all checks, audit) | {rate:,.0f} | {ceiling_rate:,.0f} (raw bulk insert) "
            f"| {rate / ceiling_rate:.1%} |",
            f"| peak memory, {full['rows']:,} rows | {full['peak_mb']:.0f} MB | {small['peak_mb']:.0f} MB "
            f"({small['rows']:,} rows) | {full['peak_mb'] / small['peak_mb']:.2f}× for {args.rows // small_rows}× "
            "the rows |",
            f"| import time | {full['seconds']:.1f} s | {top['seconds']:.1f} s | |",
            "",
        ]
    )
    print(table)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("a") as handle:
        handle.write(table + "\n")


if __name__ == "__main__":
    main()
