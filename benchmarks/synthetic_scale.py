"""Scale benchmark: generate, write and load the synthetic city at 4× the demo area.

Usage::

    .venv/bin/python benchmarks/synthetic_scale.py [--cell-size 5]

Each size runs in its own process so that its peak memory is its own. For the 4× demo
area (4000 × 3000 m) and the demo (2000 × 1500 m) it prints the seconds and DEM cells/s
of every stage (generate, write, load_dem, load_network, load_assets), the total, the
peak resident memory, PASS/FAIL of the 4× total against the 30 s bar (and of generation
against 15 s), and the 4×/1× ratios. Loaders that cannot be imported yet are reported
as "loaders not available" and left out of the total.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BAR_TOTAL_S = 30.0      # generate + write + load, 4× demo area
BAR_GENERATE_S = 15.0   # generation alone, 4× demo area
SIZES = {"demo": (2000.0, 1500.0), "4x": (4000.0, 3000.0)}
STAGES = ("generate", "write", "load_dem", "load_network", "load_assets")


def _peak_mb() -> float:
    """Peak resident set size of this process, MB (ru_maxrss is KB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_one(width: float, height: float, cell: float) -> dict:
    """Time every stage for one size in this process; returns a JSON-able record."""
    out: dict = {"width": width, "height": height, "cell": cell, "stages": {}, "notes": []}
    t = time.perf_counter()
    from floodrisk.synthetic import generate_city, write_city
    out["import_s"] = time.perf_counter() - t

    t = time.perf_counter()
    city = generate_city(width=width, height=height, cell_size=cell)
    out["stages"]["generate"] = time.perf_counter() - t
    out["cells"] = int(city.dem.values.size)
    out["counts"] = {k: len(v) for k, v in city.layers.items()}
    out["counts"]["weak_spots"] = len(city.weak_spots)

    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        paths = write_city(city, Path(tmp) / "city")
        out["stages"]["write"] = time.perf_counter() - t
        out["bytes"] = {k: p.stat().st_size for k, p in paths.items()}
        del city

        loaders = {}
        for name in ("load_dem", "load_network", "load_assets"):
            try:
                import floodrisk
                loaders[name] = getattr(floodrisk, name)
            except (ImportError, AttributeError) as exc:
                out["stages"][name] = None
                out["notes"].append(f"{name}: loaders not available ({exc})")
        grid = None
        if "load_dem" in loaders:
            t = time.perf_counter()
            try:
                grid = loaders["load_dem"](paths["dem"])
                out["stages"]["load_dem"] = time.perf_counter() - t
            except Exception as exc:   # report and go on: this is a benchmark, not a test
                out["stages"]["load_dem"] = None
                out["notes"].append(f"load_dem failed: {exc!r}")
        for name in ("load_network", "load_assets"):
            if name not in loaders:
                continue
            t = time.perf_counter()
            try:
                loaders[name](paths["city"], dem=grid)
                out["stages"][name] = time.perf_counter() - t
            except Exception as exc:
                out["stages"][name] = None
                out["notes"].append(f"{name} failed: {exc!r}")
    out["peak_mb"] = _peak_mb()
    return out


def _fmt_s(v: float | None) -> str:
    return "      n/a" if v is None else f"{v:8.2f}s"


def _report(label: str, r: dict) -> float:
    print(f"\n== {label}: {r['width']:g} × {r['height']:g} m, {r['cell']:g} m cells, "
          f"{r['cells']:,} cells ==")
    print("   " + ", ".join(f"{v} {k}" for k, v in r["counts"].items()))
    print(f"   files: dem.tif {r['bytes']['dem'] / 1e6:.2f} MB, city.gpkg "
          f"{r['bytes']['city'] / 1e6:.2f} MB, together {sum(r['bytes'].values()) / 1e6:.2f} MB")
    print(f"   {'stage':<14}{'time':>9}  {'cells/s':>12}")
    print(f"   {'(import)':<14}{_fmt_s(r['import_s'])}")
    total = 0.0
    for name in STAGES:
        v = r["stages"].get(name)
        if v is None:
            print(f"   {name:<14}{_fmt_s(v)}  loaders not available / failed")
            continue
        total += v
        print(f"   {name:<14}{_fmt_s(v)}  {r['cells'] / v:12,.0f}")
    print(f"   {'total':<14}{_fmt_s(total)}  {r['cells'] / total:12,.0f}")
    print(f"   peak memory (max RSS) {r['peak_mb']:.0f} MB")
    for note in r["notes"]:
        print(f"   note: {note}")
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cell-size", type=float, default=5.0)
    parser.add_argument("--one", nargs=2, type=float, metavar=("WIDTH", "HEIGHT"),
                        help=argparse.SUPPRESS)   # internal: run one size, print JSON
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one[0], args.one[1], args.cell_size)))
        return 0

    print(f"synthetic city scale benchmark; {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    results = {}
    for label, (w, h) in SIZES.items():
        proc = subprocess.run([sys.executable, __file__, "--one", str(w), str(h),
                               "--cell-size", str(args.cell_size)],
                              capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            print(f"{label}: failed\n{proc.stderr}")
            return 1
        results[label] = json.loads(proc.stdout.strip().splitlines()[-1])
    totals = {label: _report(label, r) for label, r in results.items()}

    big, small = results["4x"], results["demo"]
    print("\n== ratios 4× / demo ==")
    print(f"   cells {big['cells'] / small['cells']:.2f}")
    for name in STAGES:
        a, b = big["stages"].get(name), small["stages"].get(name)
        if a is not None and b is not None:
            print(f"   {name:<14}{a / b:6.2f}")
    print(f"   {'total':<14}{totals['4x'] / totals['demo']:6.2f}")
    print(f"   {'peak memory':<14}{big['peak_mb'] / small['peak_mb']:6.2f}")

    gen = big["stages"]["generate"]
    missing = [n for n in STAGES if big["stages"].get(n) is None]
    print(f"\ngenerate 4×: {gen:.2f} s against {BAR_GENERATE_S:g} s: "
          f"{'PASS' if gen < BAR_GENERATE_S else 'FAIL'}")
    verdict = "PASS" if totals["4x"] < BAR_TOTAL_S else "FAIL"
    extra = f" (without {', '.join(missing)}: loaders not available)" if missing else ""
    print(f"total 4× (generate + write + load): {totals['4x']:.2f} s against {BAR_TOTAL_S:g} s: "
          f"{verdict}{extra}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
