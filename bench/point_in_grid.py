"""Benchmark: point-in-grid assignment of many points, against Shapely's vectorised query over the same tree.

    python bench/point_in_grid.py --database-url URL [--points 1000000] [--out bench/results/point_in_grid.md]

The database must already hold a data set with grid boundaries (`wangge synth --scale district`). In a
child process:

1. the grids' boundaries, as `territory.selectors.locate_grid` reads them, into the product's
   `territory.geo.GridLocator` (an STRtree of the polygons);
2. `--points` random points (fixed seed) over the bounding box of all grids;
3. the product: `GridLocator.locate(lng, lat)` for every point, one call per point, as every report,
   import row and shop with a location does;
4. the ceiling: one vectorised `STRtree.query(points, predicate="intersects")` over the same tree (the
   predicate `locate` uses, so points on a shared edge go to the same grid), the lowest grid id per point
   taken with NumPy, as `locate` does;
5. both assignments must be equal, point by point;
6. and, on a sample, the selector the product calls (`locate_grid`: the locator plus its database reads).
"""

import argparse
import json
import tempfile
import time

from common import ROOT, append, child, django_setup, ratio, say, table

SAMPLE = 2_000


def measure(args: argparse.Namespace) -> dict:
    django_setup(args.database_url, args.var_dir)
    import numpy as np
    import shapely

    from wangge.territory import selectors
    from wangge.territory.geo import GridLocator
    from wangge.territory.models import Area, AreaKind

    grids = Area.objects.filter(kind=AreaKind.GRID).exclude(boundary=None)
    started = time.perf_counter()
    locator = GridLocator(grids.values_list("id", "boundary"))
    build = time.perf_counter() - started
    bounds = shapely.total_bounds(np.array(locator.geometries, dtype=object))
    rng = np.random.default_rng(20141001)
    lng = rng.uniform(bounds[0], bounds[2], args.points)
    lat = rng.uniform(bounds[1], bounds[3], args.points)

    started = time.perf_counter()
    product = [locator.locate(x, y) for x, y in zip(lng.tolist(), lat.tolist(), strict=True)]
    product_seconds = time.perf_counter() - started

    started = time.perf_counter()
    points = shapely.points(lng, lat)
    point_index, tree_index = locator.tree.query(points, predicate="intersects")
    ids = np.asarray(locator.ids, dtype=np.int64)
    assigned = np.full(args.points, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(assigned, point_index, ids[tree_index])
    ceiling_seconds = time.perf_counter() - started

    expected = np.array([-1 if g is None else g for g in product], dtype=np.int64)
    got = np.where(assigned == np.iinfo(np.int64).max, -1, assigned)
    if not np.array_equal(expected, got):
        differ = int(np.count_nonzero(expected != got))
        raise SystemExit(f"the vectorised query and GridLocator.locate disagree on {differ:,} points")

    # The selector the product calls per point reads the grids' count and latest change each time.
    sample = min(SAMPLE, args.points)
    selectors.locate_grid(float(lng[0]), float(lat[0]))  # builds and caches its own tree
    started = time.perf_counter()
    for x, y in zip(lng[:sample].tolist(), lat[:sample].tolist(), strict=True):
        selectors.locate_grid(x, y)
    selector_seconds = time.perf_counter() - started
    return {
        "grids": len(locator.ids),
        "points": args.points,
        "inside": int(np.count_nonzero(got >= 0)),
        "build": build,
        "product": product_seconds,
        "ceiling": ceiling_seconds,
        "sample": sample,
        "selector": selector_seconds,
    }


def report(found: dict, args: argparse.Namespace) -> str:
    n = found["points"]
    product_rate = n / found["product"]
    ceiling_rate = n / found["ceiling"]
    selector_rate = found["sample"] / found["selector"]
    rows = [
        [
            f"points per second, `GridLocator.locate` ({n:,} points)",
            f"{product_rate:,.0f}",
            f"{ceiling_rate:,.0f} (vectorised `STRtree.query`)",
            ratio(product_rate, ceiling_rate),
        ],
        [f"time for {n:,} points", f"{found['product']:.1f} s", f"{found['ceiling']:.1f} s", ""],
        [
            f"points per second, `territory.selectors.locate_grid` ({found['sample']:,} points)",
            f"{selector_rate:,.0f}",
            f"{ceiling_rate:,.0f}",
            ratio(selector_rate, ceiling_rate),
        ],
    ]
    title = (
        f"Point-in-grid — {args.label}: {found['grids']:,} grids, {n:,} random points "
        f"({found['inside'] / n:.0%} inside a grid), same assignments"
    )
    notes = f"Building the STRtree of the grids takes {found['build']:.2f} s (once per process and change of grids)."
    return table(title, ["figure", "value", "ceiling", "ratio"], rows, notes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--var-dir", default="")
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--label", default="data set")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "point_in_grid.md"))
    parser.add_argument("--step", default="")
    args = parser.parse_args()
    if args.step:
        print(json.dumps({"measure": measure}[args.step](args)))
        return
    with tempfile.TemporaryDirectory(prefix="wangge-bench-") as scratch:
        say(f"[{args.label}] point-in-grid of {args.points:,} points ...")
        command = ["--database-url", args.database_url, "--var-dir", args.var_dir or scratch]
        found = child("point_in_grid.py", "measure", [*command, "--points", str(args.points)])
    append(args.out, report(found, args))


if __name__ == "__main__":
    main()
