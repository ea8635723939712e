"""Benchmark: the case metrics (评价指标) of a subdistrict over a year, against one raw SQL query.

    python bench/indicators.py --database-url URL [--repeat 5] [--out bench/results/indicators.md]

The database must already hold a data set (`wangge synth --scale district`); PostgreSQL only (the ceiling
uses GROUPING SETS). In a child process:

1. a subdistrict administrator of the first subdistrict (created for the benchmark) and the year of
   reports that ends with the latest report;
2. the product: what the metrics page computes for that user and period, grouped by grid
   (`cases.metrics.case_metrics` over `Case.objects.for_user(...)`, the grid rows and their total, as
   `cases.views._metrics` computes them);
3. the ceiling: the same counts, per grid and in total, written by hand as one SQL query (COUNT FILTER,
   GROUPING SETS) over the same cases;
4. the figures of both are compared and must agree; each is timed `--repeat` times after one warm-up,
   alternating, and the median is reported.
"""

import argparse
import datetime
import json
import statistics
import tempfile
import time

from common import ROOT, append, child, django_setup, is_postgres, ratio, say, table

USERNAME = "bench-subdistrict"
COUNTS = [
    "reported",
    "registered",
    "due",
    "suspended",
    "closed",
    "closed_on_time",
    "reworked",
    "postponed",
    "overdue_open",
    "ratings",
    "satisfied",
]

RAW = """
WITH flags AS (
    SELECT c.area_id, c.state, c.deadline_at, c.closed_at, c.rework_count, c.postponed, r.id AS rating_id, r.stars,
           COALESCE(c.reported_at <= %(now)s, false) AS reported,
           COALESCE(c.registered_at <= %(now)s, false) AS registered,
           COALESCE(c.closed_at <= %(now)s, false) AS closed,
           COALESCE(c.registered_at <= %(now)s AND (c.closed_at <= %(now)s OR c.deadline_at < %(now)s), false) AS due
    FROM cases_case c LEFT JOIN cases_rating r ON r.case_id = c.id
    WHERE c.area_path LIKE %(prefix)s AND c.reported_at >= %(start)s AND c.reported_at < %(end)s
)
SELECT a.code, a.name, GROUPING(a.code) AS is_total,
       COUNT(*) FILTER (WHERE reported),
       COUNT(*) FILTER (WHERE registered),
       COUNT(*) FILTER (WHERE due),
       COUNT(*) FILTER (WHERE due AND state = 'suspended'),
       COUNT(*) FILTER (WHERE due AND closed),
       COUNT(*) FILTER (WHERE due AND closed AND (deadline_at IS NULL OR closed_at <= deadline_at)),
       COUNT(*) FILTER (WHERE due AND rework_count > 0),
       COUNT(*) FILTER (WHERE due AND postponed),
       COUNT(*) FILTER (WHERE due AND NOT closed AND state NOT IN ('rejected', 'suspended') AND deadline_at < %(now)s),
       COUNT(rating_id),
       COUNT(rating_id) FILTER (WHERE stars >= 4)
FROM flags JOIN territory_area a ON a.id = flags.area_id
GROUP BY GROUPING SETS ((a.code, a.name), ())
ORDER BY is_total, a.code
"""


def measure(args: argparse.Namespace) -> dict:
    """Both ways, alternating; their figures must agree."""
    django_setup(args.database_url, args.var_dir)
    from django.db import connection
    from django.db.models import Max

    from wangge.accounts import services as account_services
    from wangge.accounts.models import User
    from wangge.accounts.roles import Role
    from wangge.cases import metrics
    from wangge.cases.models import Case
    from wangge.territory.models import Area, AreaKind

    subdistrict = Area.objects.filter(kind=AreaKind.SUBDISTRICT).order_by("path").first()
    user = User.objects.filter(username=USERNAME).first()
    if user is None:
        user = account_services.user_create(actor=None, username=USERNAME, display_name="基准街道管理员")
        account_services.membership_grant(
            actor=None, user=user, role=Role.SUBDISTRICT_ADMIN, scope_path=subdistrict.path, scope_name=subdistrict.name
        )
    latest = Case.objects.filter(area_path__startswith=subdistrict.path).aggregate(m=Max("reported_at"))["m"]
    end = latest + datetime.timedelta(seconds=1)
    start = end - datetime.timedelta(days=365)
    now = end

    def product() -> list:
        # As cases.views._metrics does it: the user's cases of the period, per grid and in total.
        cases = Case.objects.for_user(user).filter(reported_at__gte=start, reported_at__lt=end)
        rows = metrics.case_metrics(cases, by="grid", now=now)
        total = metrics.total_of(rows)
        return [[r.key, *(getattr(r, n) for n in COUNTS)] for r in rows] + [["", *(getattr(total, n) for n in COUNTS)]]

    def ceiling() -> list:
        params = {"now": now, "start": start, "end": end, "prefix": subdistrict.path + "%"}
        with connection.cursor() as cursor:
            cursor.execute(RAW, params)
            return [["" if row[2] else row[0], *row[3:]] for row in cursor.fetchall()]

    first, top = product(), ceiling()
    if first != top:
        raise SystemExit(f"the raw SQL and the product disagree:\n{first[-1]}\n{top[-1]}")
    timings: dict[str, list[float]] = {"product": [], "ceiling": []}
    for _ in range(args.repeat):
        for name, run in (("product", product), ("ceiling", ceiling)):
            started = time.perf_counter()
            run()
            timings[name].append(time.perf_counter() - started)
    in_period = Case.objects.filter(
        area_path__startswith=subdistrict.path, reported_at__gte=start, reported_at__lt=end
    ).count()
    return {
        "subdistrict": subdistrict.name,
        "grids": len(first) - 1,
        "cases": in_period,
        "all_cases": Case.objects.count(),
        "reported": first[-1][1],
        "product": statistics.median(timings["product"]),
        "ceiling": statistics.median(timings["ceiling"]),
        "product_all": timings["product"],
        "ceiling_all": timings["ceiling"],
    }


def report(found: dict, args: argparse.Namespace) -> str:
    rows = [
        [
            f"metrics page figures, per grid and total (median of {args.repeat})",
            f"{found['product'] * 1000:,.0f} ms",
            f"{found['ceiling'] * 1000:,.0f} ms (one raw SQL query)",
            ratio(found["ceiling"], found["product"]),
        ]
    ]
    title = (
        f"Case metrics of {found['subdistrict']} over a year — {args.label}: {found['cases']:,} cases in "
        f"{found['grids']} grids, of {found['all_cases']:,} in all"
    )
    notes = (
        "Ratio: the ceiling's time over the product's (100 % = as fast as the hand-written query). The figures agree."
    )
    return table(title, ["figure", "value", "ceiling", "ratio"], rows, notes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--var-dir", default="")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--label", default="data set")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "indicators.md"))
    parser.add_argument("--step", default="")
    args = parser.parse_args()
    if args.step:
        print(json.dumps({"measure": measure}[args.step](args), default=str))
        return
    if not is_postgres(args.database_url):
        raise SystemExit("the indicators benchmark runs on PostgreSQL (--database-url postgresql://...)")
    with tempfile.TemporaryDirectory(prefix="wangge-bench-") as scratch:
        var_dir = args.var_dir or scratch
        say(f"[{args.label}] case metrics of a subdistrict over a year, product and raw SQL ...")
        command = ["--database-url", args.database_url, "--var-dir", var_dir, "--repeat", str(args.repeat)]
        found = child("indicators.py", "measure", command)
    append(args.out, report(found, args))


if __name__ == "__main__":
    main()
