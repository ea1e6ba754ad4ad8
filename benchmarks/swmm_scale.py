"""Benchmark of the SWMM engine: wrapper cost against swmm-toolkit's ``swmm_run``, and
scenarios side by side.

Usage::

    .venv/bin/python benchmarks/swmm_scale.py [--hours 24] [--repeat 3] [--no-bellinge]

1. **Wrapper cost.** The same ``.inp`` file is run by floodrisk's :func:`run_inp` (a
   new Python process, pyswmm stepping with a stride and progress, SWMM's statistics, the
   ``.out`` file read into tables and series, temporary files removed) and by
   ``swmm.toolkit.solver.swmm_run`` in this process (SWMM alone: no results read). Both
   write the report's summaries and the binary output only (``swmm_run`` skips the
   per-element time-series tables when it writes an ``.out`` file; so does floodrisk unless
   ``report_tables=True``). The models: the demo city exported by :func:`build_inp` under
   a ``--hours`` Chicago storm (50-year, Zhengzhou formula; simulated storm + 2 h), and
   Bellinge's demo-storm model from the shared validation data (995 junctions, 8 h,
   THREADS 2). Wall and CPU seconds (this process and its children, so a shared machine
   distorts the ratio less) are printed; runs alternate, ``--repeat`` times, the fastest
   kept.
2. **Scenarios side by side.** Four demo-city scenarios (50-, 20-, 5- and 1-year
   ``--hours`` storms) through :func:`run_scenarios` with ``processes=1`` (one after
   another) and ``processes=2``; the speed-up on this machine's cores.

Each SWMM run of floodrisk is its own ``python _swmm_worker.py`` process, which loads
pyswmm alone (not floodrisk); its start-up is part of the wrapper cost measured here.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

# the same OpenMP wait policy as floodrisk's SWMM processes (set before swmm-toolkit's
# library loads), so that both sides of the comparison run SWMM alike
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

ROOT = Path(__file__).resolve().parents[1]
BELLINGE = (ROOT.parent / "shared" / "validation" / "bellinge"
            / "BellingeSWMM_v021_nopervious_demo_storm.inp")


def swmm_run(inp: Path) -> float:
    """Wall seconds of swmm-toolkit's swmm_run on ``inp`` (files in a temporary folder)."""
    from swmm.toolkit import solver

    work = Path(tempfile.mkdtemp(prefix="swmm-run-"))
    try:
        t = time.perf_counter()
        solver.swmm_run(str(inp), str(work / "model.rpt"), str(work / "model.out"))
        return time.perf_counter() - t
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _cpu() -> float:
    import resource

    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def floodrisk_run(inp: Path) -> tuple[float, float, dict]:
    """Wall and CPU seconds of floodrisk's run_inp on ``inp``, process start included."""
    from floodrisk.engines.swmm import run_inp

    c, t = _cpu(), time.perf_counter()
    r = run_inp(inp, progress=lambda t, total: None)
    return (time.perf_counter() - t, _cpu() - c,
            dict(r.timings) | {"routing_error": r.routing_error})


def compare(name: str, inp: Path, repeat: int) -> None:
    best = {"swmm_run": [float("inf")] * 2, "floodrisk run_inp": [float("inf")] * 2}
    parts = {}
    for _ in range(repeat):
        c = _cpu()
        wall = swmm_run(inp)
        b = best["swmm_run"]
        b[:] = [min(b[0], wall), min(b[1], _cpu() - c)]
        wall, cpu, parts_t = floodrisk_run(inp)
        b = best["floodrisk run_inp"]
        if wall < b[0]:
            parts = parts_t
        b[:] = [min(b[0], wall), min(b[1], cpu)]
    base = best["swmm_run"]
    print(f"\n{name}: {inp.name}")
    for k, (wall, cpu) in best.items():
        print(f"  {k:<18} wall {wall:7.2f} s (× {wall / base[0]:5.3f})   "
              f"CPU {cpu:7.2f} s (× {cpu / base[1]:5.3f})")
    print("  floodrisk parts: " + ", ".join(
        f"{k} {v:.3f} s" for k, v in parts.items() if k not in ("routing_error", "build"))
        + f"; routing continuity {parts.get('routing_error', float('nan')):.2f} %")
    f = best["floodrisk run_inp"]
    print(f"  wrapper cost: wall {100 * (f[0] / base[0] - 1):+.1f} %, CPU "
          f"{100 * (f[1] / base[1] - 1):+.1f} % (target ≤ +10 %)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hours", type=float, default=24.0, help="storm length, h")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-bellinge", action="store_true")
    args = ap.parse_args()

    import floodrisk
    from floodrisk.engines.swmm import SwmmSettings, build_inp, run_scenarios
    from floodrisk.scenario import Scenario

    print(f"cores: {os.cpu_count()}, load average {os.getloadavg()[0]:.1f} (other "
          "processes on the machine make the wall ratios noisy)")
    study = floodrisk.load_study(ROOT / "configs" / "demo.toml")
    formula = floodrisk.city_formula("zhengzhou")
    minutes = round(args.hours * 60)

    def storm(p: float):
        return floodrisk.chicago(formula, p, minutes)

    work = Path(tempfile.mkdtemp(prefix="floodrisk-bench-"))
    try:
        inp = work / "demo.inp"
        inp.write_text(build_inp(study, Scenario("P50", storm(50))), encoding="utf-8")
        compare(f"demo city, {args.hours:g} h 50-year Chicago storm "
                f"({len(study.network.nodes)} nodes, {len(study.network.conduits)} conduits)",
                inp, args.repeat)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if not args.no_bellinge:
        if BELLINGE.is_file():
            compare("Bellinge demo storm (995 junctions, 8 h)", BELLINGE, args.repeat)
        else:
            print(f"\nBellinge model not found at {BELLINGE}: skipped")

    scenarios = [Scenario(f"P{p:g}", storm(p)) for p in (50, 20, 5, 1)]
    settings = SwmmSettings(series=("node_depth", "node_flooding", "link_flow", "pump_flow"))
    times = {}
    for procs in (1, 2):
        t = time.perf_counter()
        results = run_scenarios(study, scenarios, settings, processes=procs)
        times[procs] = time.perf_counter() - t
        flooded = ", ".join(f"{r.name} {r.totals['flooding_m3']:.0f} m³" for r in results)
    print(f"\n4 demo-city scenarios ({args.hours:g} h storms; flood volumes {flooded})")
    print(f"  one after another (processes=1) {times[1]:7.2f} s")
    print(f"  side by side      (processes=2) {times[2]:7.2f} s")
    print(f"  speed-up {times[1] / times[2]:.2f}× on {os.cpu_count()} cores "
          f"(load average now {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
