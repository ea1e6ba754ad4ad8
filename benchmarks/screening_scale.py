"""Scale benchmark of the depression screening engine.

Usage::

    .venv/bin/python benchmarks/screening_scale.py [--pyflwdir] [--sizes 1000 4000]

The terrain is the synthetic city's DEM, ``generate_city(width=4·N, height=4·N,
cell_size=4)`` for N × N cells (4000 × 4000 cells = 16 × 16 km). (The 20 × 20 km city
at 5 m does not generate: the street namer fails past 99 streets.) Each size runs in
its own process so that its peak memory is its own. For each size it prints the
seconds of the stages

- fill: :func:`floodrisk.terrain.fill_depressions` (priority-flood + D8);
- label: :func:`floodrisk.terrain.find_depressions` on the filled terrain (labels,
  runoff paths, table, links between depressions);
- route: :func:`floodrisk.engines.screening.route_runoff` of a spatially varying runoff
  (fill-spill, pool levels, overflow rain),

their total and cells per second, the number of depressions, the volume balance
error, the peak of numpy allocations during screening (tracemalloc, in a second, untimed
run of the three stages; arrays numba allocates inside kernels are not traced) and the
peak resident memory of the process (ru_maxrss, which includes generating the city and
the input), and the ratios of the largest size to
the smallest (16 for linear scaling from 1000² to 4000²). With ``--pyflwdir`` it also
times ``pyflwdir.dem.fill_depressions`` on the same DEM (if pyflwdir is installed), and
how far its filled surface lies from floodrisk's. Numba compilation is done beforehand
on a small grid and reported separately.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
import tracemalloc

STAGES = ("fill", "label", "route")


def _peak_rss_mb() -> float:
    """Peak resident set size of this process, MB (ru_maxrss is KB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_one(n: int, with_pyflwdir: bool) -> dict:
    """Generate an n × n city and time the screening stages on it; a JSON-able record."""
    import numpy as np

    from floodrisk.engines.screening import route_runoff
    from floodrisk.grid import Grid
    from floodrisk.synthetic import generate_city
    from floodrisk.terrain import fill_depressions, find_depressions

    out: dict = {"n": n, "stages": {}}
    t = time.perf_counter()
    small = Grid(np.random.default_rng(0).random((30, 30)), (1, 0, 0, 0, -1, 0))
    route_runoff(find_depressions(fill_depressions(small)), np.full((30, 30), 0.01))
    out["compile_s"] = time.perf_counter() - t

    t = time.perf_counter()
    city = generate_city(width=4.0 * n, height=4.0 * n, cell_size=4.0)
    out["generate_s"] = time.perf_counter() - t
    dem = city.dem
    out["cells"] = int(dem.values.size)
    # runoff: 80 mm of rain, ψ 0.9 on streets and 0.6 elsewhere, the pipes take 30 mm
    street = dem.values < np.nanmean(dem.values)   # any spatially varying field will do
    runoff = 0.080 * np.where(street, 0.9, 0.6) - 0.030
    del city

    t = time.perf_counter()
    terrain = fill_depressions(dem)
    out["stages"]["fill"] = time.perf_counter() - t
    t = time.perf_counter()
    deps = find_depressions(terrain)
    out["stages"]["label"] = time.perf_counter() - t
    t = time.perf_counter()
    res = route_runoff(deps, runoff)
    out["stages"]["route"] = time.perf_counter() - t
    # again with tracemalloc on (it slows numpy's allocations, so not timed)
    del terrain, deps, res
    tracemalloc.start()
    res = route_runoff(find_depressions(fill_depressions(dem)), runoff)
    out["tracemalloc_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    deps, terrain = res.depressions, res.depressions.terrain
    out["depressions"] = len(deps)
    out["linked"] = int((deps.table["downstream_id"] > 0).sum())
    out["balance"] = res.balance
    out["full"] = int((res.table["filled_fraction"] >= 1).sum())

    if with_pyflwdir:
        try:
            import pyflwdir
        except ImportError:
            out["pyflwdir"] = None
        else:
            z = np.asarray(dem.values, dtype=np.float64)
            pyflwdir.dem.fill_depressions(z[:30, :30].copy(), nodata=np.nan)   # compile
            t = time.perf_counter()
            filled, _ = pyflwdir.dem.fill_depressions(z, nodata=np.nan)
            out["pyflwdir"] = {
                "fill_s": time.perf_counter() - t,
                "max_abs_diff_m": float(np.nanmax(np.abs(filled - terrain.filled.values))),
            }
    out["peak_rss_mb"] = _peak_rss_mb()
    return out


def _report(rec: dict) -> None:
    n, cells, st = rec["n"], rec["cells"], rec["stages"]
    total = sum(st.values())
    b = rec["balance"]
    print(f"\n{n} × {n} cells ({cells / 1e6:.1f} M): city generated in {rec['generate_s']:.1f} s "
          f"(not counted); numba warm-up {rec['compile_s']:.1f} s")
    for name in STAGES:
        print(f"  {name:<6} {st[name]:7.2f} s   {cells / st[name] / 1e6:6.2f} M cells/s")
    print(f"  {'total':<6} {total:7.2f} s   {cells / total / 1e6:6.2f} M cells/s")
    print(f"  {rec['depressions']} depressions ({rec['linked']} overflow into another, "
          f"{rec['full']} full); runoff {b['runoff']:.4g} m³ = stored {b['stored']:.4g} + "
          f"lost {b['lost_edge']:.4g}, error {b['error']:.2e} m³")
    print(f"  peak numpy allocations (tracemalloc) {rec['tracemalloc_peak_mb']:.0f} MB; "
          f"peak RSS {rec['peak_rss_mb']:.0f} MB")
    pf = rec.get("pyflwdir", "skipped")
    if pf is None:
        print("  pyflwdir: not installed")
    elif pf != "skipped":
        print(f"  pyflwdir.dem.fill_depressions {pf['fill_s']:.2f} s "
              f"({pf['fill_s'] / st['fill']:.1f}× floodrisk's fill); filled surfaces differ "
              f"by at most {pf['max_abs_diff_m']:.1e} m")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 4000],
                    help="grid sizes N (N × N cells), smallest first")
    ap.add_argument("--pyflwdir", action="store_true", help="also time pyflwdir's fill")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.pyflwdir)))
        return
    records = []
    for n in args.sizes:
        cmd = [sys.executable, __file__, "--one", str(n)] + (["--pyflwdir"] if args.pyflwdir
                                                             else [])
        proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
        rec = json.loads(proc.stdout.strip().splitlines()[-1])
        records.append(rec)
        _report(rec)
    if len(records) > 1:
        a, b = records[0], records[-1]
        print(f"\nratios {b['n']}² / {a['n']}² (cells × {b['cells'] / a['cells']:.0f}):")
        for name in STAGES:
            print(f"  {name:<6} × {b['stages'][name] / a['stages'][name]:.1f}")
        ta, tb = sum(a["stages"].values()), sum(b["stages"].values())
        print(f"  {'total':<6} × {tb / ta:.1f}")
        mem = b["tracemalloc_peak_mb"] / a["tracemalloc_peak_mb"]
        print(f"  memory × {mem:.1f} (tracemalloc), "
              f"× {b['peak_rss_mb'] / a['peak_rss_mb']:.1f} (RSS)")


if __name__ == "__main__":
    main()
