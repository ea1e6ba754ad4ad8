"""Benchmark of the 1D-2D coupled engine on the demo city.

Usage::

    .venv/bin/python benchmarks/coupled_scale.py [--duration 5400] [--step 2] [--threads N]

Runs the demo city (``configs/demo.toml``) under the 50-year 3-hour Chicago storm
(Zhengzhou formula; the peak falls at 72 min) for ``--duration`` simulated seconds:

1. the coupled engine in this process (``process="inline"``: one SWMM simulation in this
   process, so that the peak resident memory printed is the coupled run's own);
2. the surface model alone on the same inputs (same terrain, roughness, buildings,
   infiltration and storm; no pipes), stepped to the same time.

Prints the wall time, the split between surface, pipes and exchange and the exchange's
share (target ≤ 10 %), the exchange cost per node and step, the surface cell-updates per
second inside the coupled run against the surface model alone (target ≥ 0.9×), the
volume error, and the peak resident memory (ru_maxrss).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--duration", type=float, default=5400.0, help="simulated seconds")
    ap.add_argument("--step", default="2", help="coupling step, s, or 'surface'")
    ap.add_argument("--threads", type=int, default=None, help="numba threads (surface)")
    args = ap.parse_args()

    import floodrisk
    from floodrisk.engines import coupled as C
    from floodrisk.engines.surface import ConstantLoss, SurfaceModel, SurfaceSettings
    from floodrisk.scenario import Scenario

    step = args.step if args.step == "surface" else float(args.step)
    study = floodrisk.load_study(ROOT / "configs" / "demo.toml")
    storm = floodrisk.chicago(floodrisk.city_formula("zhengzhou"), 50, 180)
    scenario = Scenario("P50", storm, duration=args.duration)
    settings = C.CoupledSettings(coupling_step=step, process="inline",
                                 surface=SurfaceSettings(threads=args.threads))
    rss0 = _rss_mb()
    t = time.perf_counter()
    r = C.simulate_coupled(study, scenario, settings)
    wall = time.perf_counter() - t
    rss = _rss_mb()
    tm, st, v = r.timings, r.stats, r.volume
    n = len(r.nodes)
    print(f"demo city {study.terrain.shape[0]}×{study.terrain.shape[1]} cells "
          f"({study.terrain.dx:g} m), {n} linked nodes, {args.duration:g} s simulated, "
          f"coupling step {args.step}")
    print(f"coupled wall time      {wall:8.2f} s (loop {tm['total_s']:.2f} s, setup "
          f"{tm['setup_s']:.2f} s)")
    print(f"  surface              {tm['surface_s']:8.2f} s  {tm['surface_s'] / tm['total_s']:6.1%}")
    print(f"  pipes (SWMM)         {tm['drainage_s']:8.2f} s  {tm['drainage_s'] / tm['total_s']:6.1%}")
    print(f"  exchange             {tm['exchange_s']:8.2f} s  {tm['exchange_s'] / tm['total_s']:6.1%}"
          "   (target ≤ 10 %)")
    print(f"  exchanges            {r.coupling_steps:8d}      "
          f"{tm['exchange_s'] / max(r.coupling_steps, 1) * 1e6:.0f} µs each, "
          f"{tm['exchange_s'] / max(r.coupling_steps * n, 1) * 1e9:.0f} ns per node")
    print(f"volume error           {v.relative_error:9.2e} (exchange {v.exchange_surface_side:.1f}"
          f" / {v.exchange_pipe_side:.1f} m³ on the two sides)")
    print(f"peak RSS               {rss:8.0f} MB (before the run {rss0:.0f} MB)")

    # ---- the surface alone, same inputs --------------------------------------------
    job = C._prepare(study, scenario, settings, None)
    losses = job["losses"]
    model = SurfaceModel(job["terrain"], job["manning"], rain=job["rain"],
                         boundaries=job["boundaries"],
                         losses=None if losses is None else ConstantLoss(losses),
                         settings=job["surface_settings"])
    t = time.perf_counter()
    model.advance(args.duration)
    alone_wall = time.perf_counter() - t
    alone = model.stats()
    print(f"surface alone          {alone_wall:8.2f} s, {alone.steps} steps, "
          f"{alone.cell_updates_per_s / 1e6:.1f} M cell-updates/s")
    print(f"surface in coupled run {st.wall_time:8.2f} s, {st.steps} steps, "
          f"{st.cell_updates_per_s / 1e6:.1f} M cell-updates/s  → ratio "
          f"{st.cell_updates_per_s / alone.cell_updates_per_s:.2f} (target ≥ 0.9)")


if __name__ == "__main__":
    main()
