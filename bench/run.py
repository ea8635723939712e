"""Benchmark driver for `make bench` after the import: HTTP at two scales, case metrics, point-in-grid.

    python bench/run.py --database-url postgresql://.../wangge_bench [--out bench/results/results.md]

1. `wangge synth --scale community` into a fresh database `<name>_community`; the HTTP benchmark on it
   (bench/http_bench.py: the pages, Open311 and the resident's report against a trivial view);
2. `wangge synth --scale district` into `<name>_district`; the case metrics of a subdistrict over a year
   (bench/indicators.py) and point-in-grid of --points points (bench/point_in_grid.py) on it, then the HTTP
   benchmark on it, with the same grid worker's view of the first grid;
3. the scale table: each endpoint on the district against the same on the community. The page a grid
   worker opens should not slow down as the district grows: the ratio should stay near 100 %.

Each data set gets its own var folder (its throwaway keys decrypt its data). Appends every table to --out.
"""

import argparse
import tempfile
from pathlib import Path

import http_bench
from common import ROOT, append, database_url_for, is_postgres, ratio, say, script, synth, table


def scale_table(community: dict, district: dict) -> str:
    rows = []
    for name in http_bench.ENDPOINTS:
        small, large = community["results"][name], district["results"][name]
        rows.append(
            [
                name,
                f"{large['rps']:,.0f} req/s, p50 {large['p50_ms']:.1f} ms, p99 {large['p99_ms']:.1f} ms",
                f"{small['rps']:,.0f} req/s, p50 {small['p50_ms']:.1f} ms, p99 {small['p99_ms']:.1f} ms",
                ratio(large["rps"], small["rps"]),
            ]
        )
    c, d = community["facts"], district["facts"]
    title = (
        f"Scale: district ({d['all_cases']:,} cases) against community ({c['all_cases']:,} cases), "
        "the same grid worker's view"
    )
    notes = (
        f"The grid worker's grid holds {d['grid_cases']:,} cases in the district data set and {c['grid_cases']:,} in "
        "the community one. Ratio: district requests/s over community requests/s (100 % = no slower as the "
        "district grows)."
    )
    return table(title, ["endpoint", "district", "ceiling: community", "ratio"], rows, notes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    http_bench.add_arguments(parser)
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "results.md"))
    args = parser.parse_args()
    if not is_postgres(args.database_url):
        raise SystemExit("bench/run.py runs on PostgreSQL (--database-url postgresql://.../wangge_bench)")
    base = args.database_url
    built: dict[str, tuple[str, str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="wangge-bench-") as var_root:
        for scale in ("community", "district"):
            url, var_dir = database_url_for(base, scale), str(Path(var_root) / scale)
            say(f"[{scale}] wangge synth --scale {scale} ...")
            seconds = synth(url, var_dir, scale, args.seed)
            say(f"[{scale}] built in {seconds:.0f} s")
            built[scale] = (url, var_dir, seconds)
        url, var_dir, _seconds = built["district"]
        # Before the HTTP benchmark, whose reports add cases to the year measured.
        common_args = ["--database-url", url, "--var-dir", var_dir, "--label", "district data set"]
        script("indicators.py", [*common_args, "--out", args.out])
        script("point_in_grid.py", [*common_args, "--points", str(args.points), "--out", args.out])
        # Both data sets served at once and loaded in turn, endpoint by endpoint, so that whatever else the
        # machine does falls on both alike.
        sites = []
        try:
            for scale, (url, var_dir, seconds) in built.items():
                sites.append(http_bench.Site(url, var_dir, f"{scale} data set (built in {seconds:.0f} s)", args))
            measured = http_bench.measure(sites, args)
        finally:
            for site in sites:
                site.stop()
    for site in sites:
        append(args.out, http_bench.http_table(site.label, measured[site.label], args))
    append(args.out, scale_table(*(measured[site.label] for site in sites)))


if __name__ == "__main__":
    main()
