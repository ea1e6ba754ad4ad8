"""Benchmark of a 12-task season on a LocalCluster of 1 and of 2 workers, and the coupled
engine's throughput per task, with a city-scale extrapolation.

Usage::

    .venv/bin/python benchmarks/season_scale.py [--duration 30] [--after 1800] [--threads 1]
                                                [--workers 1,2] [--reports none]

The season is the demo season of ``configs/season.toml`` (the demo city's 2 drainage
districts, layer ``districts`` of ``data/demo/city.gpkg``, × its 6 scenarios: return
periods 3, 10 and 50 a × pump stations working / PS01 out × inlets clear = 12 tasks) with
shorter storms (``--duration`` min, then ``--after`` s simulated: about 5-15 s per task).
Its study is a copy of ``configs/demo.toml`` with ``[surface] threads = --threads``: the
surface kernel otherwise takes numba's default (every core) in each task, so that two
workers on two cores would each start two threads and the ratio would measure
oversubscription, not worker scaling.

The season runs with :func:`floodrisk.season.run_season` into a fresh folder on a
LocalCluster of each ``--workers`` count in turn, then once more into the last folder
(every task finished: all reused). Prints, per run, the wall time of the season and of its
task phase (cluster start, tasks, cluster close), the speed-up of 2 workers over 1 (target
≥ 1.7×), the Dask overhead per task, (task phase × workers − Σ the tasks' own times) /
tasks, split into the start (phase start to the first task's start), the close (last
result to phase end) and the idle time between; the tasks' times (season.json) side by
side; whether both runs gave the same results; the cost of the all-reused season; and
the coupled engine's throughput from the tasks' manifests (surface cell-updates/s, steps
per simulated hour, wall time per simulated hour per million cells, pipes and exchange
per km², the rest of a task per million cells, the serial planning and products phase
per scenario). Then a city-scale estimate of the task phase from those figures
(``--city-km2``, ``--city-cell``, ``--district-km2``, ``--matrix``, ``--hours``,
``--mean-dt``; its assumptions are printed with it).

The machine may be shared: the 1-vs-2-worker ratio is only meaningful on idle cores, so
the load averages are printed before and after.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEMO = ROOT / "configs" / "demo.toml"
SEASON = ROOT / "configs" / "season.toml"
#: The demo city's cell size, m (as ``make data`` generates it).
DEMO_CELL = 5.0
_STAMP = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) ")


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f}, {five:.2f}, {fifteen:.2f} (1, 5, 15 min)"


def study_copy(folder: Path, threads: int | None) -> Path:
    """The demo study with absolute input paths and the surface's thread count set."""
    text = DEMO.read_text(encoding="utf-8")
    text = text.replace("../data/demo/", (ROOT / "data" / "demo").as_posix() + "/")
    if threads is not None:
        text, n = re.subn(r"(?m)^\[surface\][^\n]*\n", lambda m: m.group(0)
                          + f"threads = {threads}\n", text, count=1)
        if n != 1:
            raise SystemExit(f"{DEMO}: no [surface] table to set threads in")
    path = folder / "study.toml"
    path.write_text(text, encoding="utf-8")
    return path


def season_config(study: Path, duration: float, after: float, reports: str) -> Any:
    """configs/season.toml with the study copy, shorter storms and the reports chosen."""
    from floodrisk.config import load_config
    from floodrisk.season import load_season

    base = load_season(SEASON)
    season = base.model_copy(update={
        "study": study, "previous": None, "reports": reports,
        "scenarios": base.scenarios.model_copy(update={"durations": (float(duration),),
                                                       "after": float(after)})})
    got = load_config(study).surface.settings.threads
    print(f"study: {DEMO.name} copy, [surface] threads = {got}")
    return season


def _log_times(path: Path) -> tuple[float | None, float | None]:
    """Epoch seconds of a task log's first and last line (the task's start and end)."""
    try:
        lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if _STAMP.match(ln)]
    except OSError:
        return None, None
    if not lines:
        return None, None

    def stamp(line: str) -> float:
        s = _STAMP.match(line).group(1)
        return dt.datetime.strptime(s, "%Y-%m-%d %H:%M:%S,%f").timestamp()

    return stamp(lines[0]), stamp(lines[-1])


def run(season: Any, out: Path, workers: int) -> dict[str, Any]:
    """One season run; its season.json with the phase boundaries seen from here."""
    from floodrisk.season import run_season

    marks: list[float] = []

    def progress(done: int, total: int, result: dict[str, Any]) -> None:
        marks.append(time.time())

    t = time.perf_counter()
    outcome = run_season(season, out, workers=workers, progress=progress)
    wall = time.perf_counter() - t
    s = outcome.summary
    s["_wall"] = wall
    s["_phase_start"] = marks[0]           # the first call comes just before the task phase
    s["_last_result"] = marks[-1] if len(marks) > 1 else marks[0]
    starts, ends = [], []
    for row in s["tasks"]:
        a, b = _log_times(out / row["log"]) if row["status"] == "done" else (None, None)
        row["_start"], row["_end"] = a, b
        if a is not None:
            starts.append(a)
            ends.append(b)
    s["_first_start"] = min(starts) if starts else None
    s["_last_end"] = max(ends) if ends else None
    return s


def task_figures(out: Path, row: dict[str, Any], domain_cells: dict[str, float]
                 ) -> dict[str, float]:
    """Figures of one finished task from its run folder's manifest and summary."""
    folder = out / row["path"]
    m = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    summ = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    tm, surf, terr = m["timings"], summ["surface"], summ["terrain"]
    sim = float(m["config"]["scenario"]["duration"])
    cells = domain_cells[row["district"]]
    rate = float(surf["cell_updates_per_s"])
    return {
        "seconds": float(row["seconds"]), "sim_s": sim, "domain_cells": cells,
        "grid_cells": terr["rows"] * terr["cols"], "area_km2": cells * terr["cell_size_m"] ** 2
        / 1e6, "process_s": tm["process_s"], "loop_s": tm["total_s"],
        "surface_s": tm["surface_s"], "pipes_s": tm["drainage_s"] + tm["exchange_s"],
        "exchange_s": tm["exchange_s"], "steps": surf["steps"], "rate": rate,
        "updates": rate * tm["surface_s"], "max_depth": surf["max_depth_m"],
        "task_total_s": m["timings_s"]["total"],
    }


def district_cells(season: Any) -> dict[str, float]:
    """Cells of each district's polygon at the demo's cell size."""
    import geopandas as gpd

    d = season.districts
    frame = gpd.read_file(d.path, layer=d.layer)
    return {str(r[d.id_field]): r.geometry.area / DEMO_CELL ** 2 for _, r in frame.iterrows()}


def report_run(s: dict[str, Any], label: str) -> dict[str, float]:
    n_w = s["workers"]
    rows = [r for r in s["tasks"] if r["status"] == "done"]
    own = sum(r["seconds"] for r in rows)
    phase = s["tasks_wall_s"]
    print(f"\n{label}: {s['counts']}, status {s['status']}")
    print(f"  season wall time       {s['_wall']:8.2f} s (season.json {s['wall_s']:.2f} s)")
    print(f"  task phase             {phase:8.2f} s   Σ tasks' own times {own:.2f} s, "
          f"{own / max(len(rows), 1):.2f} s per task")
    products = s["wall_s"] - phase
    print(f"  planning + products    {products:8.2f} s   (products: merge, lowest return "
          "period, report)")
    out = {"phase": phase, "own": own, "wall": s["_wall"], "products": products,
           "tasks": len(rows)}
    if rows:
        over = (phase * n_w - own) / len(rows)
        print(f"  Dask overhead          {over:8.2f} s per task = (phase × {n_w} − Σ own) / "
              f"{len(rows)}")
        out.update(overhead=over)
        if s["_first_start"] is None:
            print("    (no task log with timestamps: no split)")
            return out
        start = s["_first_start"] - s["_phase_start"]
        close = (s["_phase_start"] + phase) - s["_last_result"]
        span = s["_last_end"] - s["_first_start"]
        idle = span * n_w - own
        print(f"    cluster start to first task {start:6.2f} s; last result to phase end "
              f"{close:.2f} s (cluster close); idle between first start and last end "
              f"{idle:.2f} worker-s ({idle / len(rows):.2f} s per task: dispatch, imports, "
              "the last task's tail)")
        out.update(start=start, close=close, idle=idle)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--duration", type=float, default=30.0, help="storm duration, min")
    ap.add_argument("--after", type=float, default=1800.0, help="s simulated after the storm")
    ap.add_argument("--threads", type=int, default=1,
                    help="surface (numba) threads per task; 0: numba's default (all cores)")
    ap.add_argument("--workers", default="1,2", help="LocalCluster sizes, in order")
    ap.add_argument("--reports", default="none", choices=("none", "highest", "all"),
                    help="the season's per-scenario reports")
    ap.add_argument("--keep", type=Path, help="keep the season folders under this folder")
    ap.add_argument("--city-km2", type=float, default=500.0, help="city area, km²")
    ap.add_argument("--city-cell", type=float, default=2.0, help="city cell size, m")
    ap.add_argument("--district-km2", type=float, default=10.0, help="district area, km²")
    ap.add_argument("--matrix", type=int, default=48, help="scenarios in the city's matrix")
    ap.add_argument("--hours", default="3,5",
                    help="simulated hours of the matrix's storm durations (storm + after), "
                         "each an equal share of the scenarios")
    ap.add_argument("--mean-dt", type=float, default=None,
                    help="mean surface step at the demo's 5 m cells for the estimate, s "
                         "(default: as measured; deeper water, e.g. long 50-100 a storms, "
                         "gives shorter steps)")
    args = ap.parse_args()
    counts = [int(w) for w in args.workers.split(",")]

    import dask
    import numba

    print(f"season benchmark; {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, dask "
          f"{dask.__version__}, numba {numba.__version__}")
    print(f"load average before: {_load()}")
    tmp = Path(tempfile.mkdtemp(prefix="floodrisk-season-bench-"))
    try:
        season = season_config(study_copy(tmp, args.threads or None), args.duration,
                               args.after, args.reports)
        cells = district_cells(season)
        sizes = ", ".join(f"{k} {v / 1e3:.0f} k cells" for k, v in cells.items())
        print(f"season: {len(cells)} districts ({sizes}"
              f" at {DEMO_CELL:g} m) × storms of {args.duration:g} min + {args.after:g} s; "
              f"reports {args.reports!r}")
        runs: dict[int, dict[str, Any]] = {}
        folders: dict[int, Path] = {}
        for w in counts:
            folders[w] = tmp / f"season-{w}w"
            print(f"\nrunning on {w} worker(s) … (load now {_load()})", flush=True)
            runs[w] = run(season, folders[w], w)
        figures: dict[int, dict[str, float]] = {w: report_run(runs[w], f"{w} worker(s)")
                                                for w in counts}
        last = counts[-1]
        print(f"\nresume: the {last}-worker season again, every task finished …", flush=True)
        again = run(season, folders[last], last)
        print(f"  all reused: {again['counts']}; season wall time {again['_wall']:.2f} s "
              f"(task phase {again['tasks_wall_s']:.2f} s, products "
              f"{again['wall_s'] - again['tasks_wall_s']:.2f} s)")

        if len(counts) >= 2:
            a, b = counts[0], counts[-1]
            ra, rb = figures[a], figures[b]
            print(f"\nspeed-up {b} workers over {a}: task phase {ra['phase'] / rb['phase']:.2f}× "
                  f"(target ≥ 1.7×), whole season {ra['wall'] / rb['wall']:.2f}×; tasks' own "
                  f"times {rb['own'] / ra['own']:.2f}× as long on {b} workers (cores shared)")

        # per-task table and throughput
        per: dict[int, dict[str, dict[str, float]]] = {}
        for w in counts:
            per[w] = {r["task_id"]: task_figures(folders[w], r, cells)
                      for r in runs[w]["tasks"] if r["status"] == "done"}
        ids = [r["task_id"] for r in runs[counts[0]]["tasks"]]
        head = "".join(f"{f'{w}w s':>9}" for w in counts)
        print(f"\n  {'task':<32}{head}{'steps':>8}{'M upd/s':>9}{'max h m':>9}  same")
        for tid in ids:
            cols = "".join(f"{per[w][tid]['seconds']:9.2f}" if tid in per[w] else f"{'-':>9}"
                           for w in counts)
            f = per[counts[-1]].get(tid) or per[counts[0]].get(tid)
            same = len({round(per[w][tid]["max_depth"], 6) for w in counts if tid in per[w]}) == 1
            print(f"  {tid:<32}{cols}{f['steps']:8d}{f['rate'] / 1e6:9.1f}"
                  f"{f['max_depth']:9.3f}  {'yes' if same else 'NO'}")

        throughput(per, counts, runs, cells, args)
    finally:
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            for p in tmp.iterdir():
                shutil.move(str(p), args.keep / p.name)
            print(f"\nseason folders kept in {args.keep}")
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"\nload average after: {_load()}")


def throughput(per: dict[int, dict[str, dict[str, float]]], counts: list[int],
               runs: dict[int, dict[str, Any]], cells: dict[str, float],
               args: argparse.Namespace) -> None:
    """The engine's throughput per task, and the city-scale estimate from it."""
    print("\ncoupled engine throughput per task (median over tasks; cells: inside the "
          f"district, {DEMO_CELL:g} m):")
    med: dict[int, dict[str, float]] = {}
    for w in counts:
        fs = list(per[w].values())
        if not fs:
            continue

        def m(fn: Any, fs: list[dict[str, float]] = fs) -> float:
            return statistics.median(fn(f) for f in fs)

        med[w] = {
            "rate": m(lambda f: f["rate"]),
            "steps_h": m(lambda f: f["steps"] / (f["sim_s"] / 3600)),
            "upd_cell_h": m(lambda f: f["updates"] / (f["domain_cells"] * f["sim_s"] / 3600)),
            "loop_h_mc": m(lambda f: f["loop_s"] / (f["sim_s"] / 3600) / (f["domain_cells"] / 1e6)),
            "task_h_mc": m(lambda f: f["seconds"] / (f["sim_s"] / 3600)
                           / (f["domain_cells"] / 1e6)),
            "pipes_km2_h": m(lambda f: f["pipes_s"] / f["area_km2"] / (f["sim_s"] / 3600)),
            "rest_mc": m(lambda f: (f["seconds"] - f["loop_s"]) / (f["domain_cells"] / 1e6)),
            "start": m(lambda f: f["process_s"] - f["loop_s"]),
        }
        q = med[w]
        print(f"  {w} worker(s): surface {q['rate'] / 1e6:.1f} M cell-updates/s; "
              f"{q['steps_h']:.0f} surface steps per simulated h (mean Δt "
              f"{3600 / q['steps_h']:.2f} s); {q['upd_cell_h']:.0f} updates per cell per "
              f"simulated h")
        print(f"      coupled loop {q['loop_h_mc']:.0f} s, whole task {q['task_h_mc']:.0f} s per "
              f"simulated h per M cells; pipes + exchange {q['pipes_km2_h']:.3f} s per km² per "
              f"simulated h; the rest of a task (load, checks, screening, engine process "
              f"start and setup {q['start']:.1f} s, assessment, writing) {q['rest_mc']:.0f} s "
              "per M cells")
    w = counts[-1]
    if w not in med:
        return
    s = runs[w]
    n_sc = len({r["scenario"] for r in s["tasks"]})
    serial = (s["wall_s"] - s["tasks_wall_s"]) / n_sc
    print(f"  planning + products (serial, in the client): {serial:.1f} s per scenario at "
          f"{sum(cells.values()) / 1e6:.2f} M city cells ({n_sc} scenarios; at this "
          "size mostly GeoPackage layers and map sheets, not cells: not extrapolated)")
    over = (s["tasks_wall_s"] * w - sum(f["seconds"] for f in per[w].values())) / len(per[w])
    city_estimate(med[w], over, args)


def city_estimate(q: dict[str, float], overhead: float, args: argparse.Namespace) -> None:
    """Tasks, per-task time and the task phase's wall time of a city season on N workers,
    from the measured throughput (printed with its assumptions)."""
    dx = args.city_cell
    city_cells = args.city_km2 * 1e6 / dx ** 2
    districts = math.ceil(args.city_km2 / args.district_km2)
    n = args.district_km2 * 1e6 / dx ** 2
    hours = [float(h) for h in args.hours.split(",")]
    tasks = args.matrix * districts
    steps_h = 3600.0 / args.mean_dt if args.mean_dt else q["steps_h"]
    # updates per cell per step as measured; CFL: Δt ∝ cell size
    upd_h = q["upd_cell_h"] / q["steps_h"] * steps_h * DEMO_CELL / dx
    per_task = []
    for h in hours:
        surface = n * upd_h * h / q["rate"]
        pipes = q["pipes_km2_h"] * args.district_km2 * h
        rest = q["rest_mc"] * n / 1e6
        per_task.append(surface + pipes + rest + overhead)
    total = statistics.fmean(per_task) * tasks
    print(f"\ncity-scale estimate: {args.city_km2:g} km² at {dx:g} m = {city_cells / 1e6:.0f} M "
          f"cells; {districts} districts of {args.district_km2:g} km² = {n / 1e6:.2f} M cells; "
          f"{args.matrix} scenarios → {tasks:,} tasks")
    print(f"  assumed: the surface rate per task measured with every worker busy, "
          f"{q['rate'] / 1e6:.1f} M cell-updates/s, holds at {n / 1e6:.1f} M cells; "
          f"mean surface Δt {3600 / steps_h:.2f} s at "
          f"{DEMO_CELL:g} m{'' if args.mean_dt else ' (measured)'}, × {dx / DEMO_CELL:g} at "
          f"{dx:g} m (CFL) → {upd_h:.0f} updates per cell per simulated h; pipes + exchange per "
          f"km² and the rest of a task per cell as measured (the latter an upper bound: its "
          f"fixed part is large in the demo's districts); Dask overhead {overhead:.1f} s per "
          f"task; the scenarios split evenly over {args.hours} simulated h; products not "
          "counted")
    for h, t in zip(hours, per_task):
        print(f"  one task, {h:g} simulated h: {t / 60:.0f} min on one core")
    print(f"  all tasks: {total / 3600:,.0f} worker-hours")
    print(f"  {'workers':>8}{'Σ / N':>10}{'≤ Σ / N + longest':>20}")
    for n_w in (8, 32, 128):
        low, high = total / n_w / 3600, (total / n_w + max(per_task)) / 3600
        print(f"  {n_w:8d}{low:8.1f} h{high:18.1f} h")


if __name__ == "__main__":
    main()
