"""Benchmark of the 1D-2D coupled engine on the demo city, at its size and at 4× its area.

Usage::

    .venv/bin/python benchmarks/coupled_scale.py [--duration 5400] [--step 2] [--threads N]
                                                 [--areas 1,4]

For each area factor k, a city of k times the demo's area (``k = 1``: the demo city of
``configs/demo.toml``; ``k = 4``: the synthetic city generator with the demo's seed and
settings on 4000 m × 3000 m, written to a temporary folder) runs under the demo's storm
(50-year 3-hour Chicago, Zhengzhou formula; the peak falls at 72 min) for ``--duration``
simulated seconds, in its own process so that its peak memory is its own:

1. the coupled engine in that process (``process="inline"``: the SWMM simulation runs in
   the same process, so that the peak resident memory printed is the coupled run's);
2. the surface model alone on the same inputs (terrain, roughness, buildings,
   infiltration, storm, grid edges; no pipes), stepped to the same time.

Prints per size: the wall time, the split between surface, pipes and exchange and the
exchange's share (target ≤ 10 %), the exchange cost per node and step, the surface
cell-updates per second inside the coupled run against the surface model alone (target
≥ 0.9×; both in the same process, one after the other), the volume error, and the peak
resident memory (ru_maxrss). Then the 4× run against the 1× run.
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

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "configs" / "demo.toml"
#: The demo city's extent (m) and cell size, as ``make data`` generates it.
DEMO_WIDTH, DEMO_HEIGHT, DEMO_CELL, DEMO_SEED = 2000.0, 1500.0, 5.0, 7


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def one(config: Path, duration: float, step: str, threads: int | None) -> dict:
    """Run the coupled engine and the surface alone on one config; a JSON-able record."""
    sys.path.insert(0, str(ROOT))
    import floodrisk
    from floodrisk.config import load_config
    from floodrisk.engines import coupled as C
    from floodrisk.engines.surface import ConstantLoss, SurfaceModel, SurfaceSettings
    from floodrisk.pipeline import _coupled_settings

    cfg = load_config(config)
    study = floodrisk.load_study(config)
    storm = floodrisk.chicago(floodrisk.city_formula("zhengzhou"), 50, 180)
    scenario = floodrisk.Scenario("P50", storm, duration=duration)
    base = _coupled_settings(cfg)
    settings = C.CoupledSettings(**{
        **{f: getattr(base, f) for f in base.__dataclass_fields__},
        "coupling_step": step if step == "surface" else float(step), "process": "inline",
        "surface": SurfaceSettings(threads=threads)})
    rss0 = _rss_mb()
    t = time.perf_counter()
    r = C.simulate_coupled(study, scenario, settings)
    wall = time.perf_counter() - t
    rss = _rss_mb()
    st, v = r.stats, r.volume

    job = C._prepare(study, scenario, settings, None)
    losses = job["losses"]
    model = SurfaceModel(job["terrain"], job["manning"], rain=job["rain"],
                         boundaries=job["boundaries"],
                         losses=None if losses is None else ConstantLoss(losses),
                         settings=job["surface_settings"])
    t = time.perf_counter()
    model.advance(duration)
    alone_wall = time.perf_counter() - t
    alone = model.stats()
    return {
        "shape": list(study.terrain.shape), "cell": study.terrain.dx,
        "nodes": len(r.nodes), "wall_s": wall, "timings": dict(r.timings),
        "exchanges": r.coupling_steps, "error_rel": v.relative_error,
        "exchange_sides": [v.exchange_surface_side, v.exchange_pipe_side],
        "rss_before_mb": rss0, "rss_mb": rss,
        "surface_steps": st.steps, "surface_wall_s": st.wall_time,
        "surface_rate": st.cell_updates_per_s,
        "alone_steps": alone.steps, "alone_wall_s": alone_wall,
        "alone_rate": alone.cell_updates_per_s,
    }


def make_city(factor: float, folder: Path) -> Path:
    """A city of ``factor`` times the demo's area and a config for it; returns the config."""
    sys.path.insert(0, str(ROOT))
    from floodrisk.synthetic import generate_city, write_city

    k = factor ** 0.5
    t = time.perf_counter()
    city = generate_city(width=DEMO_WIDTH * k, height=DEMO_HEIGHT * k, cell_size=DEMO_CELL,
                         seed=DEMO_SEED)
    paths = write_city(city, folder / "city")
    print(f"  generated the {factor:g}× city in {time.perf_counter() - t:.1f} s")
    text = DEMO.read_text(encoding="utf-8")
    text = text.replace("../data/demo/dem.tif", paths["dem"].as_posix())
    text = text.replace("../data/demo/city.gpkg", paths["city"].as_posix())
    config = folder / "config.toml"
    config.write_text(text, encoding="utf-8")
    return config


def report(factor: float, rec: dict, duration: float, step: str) -> None:
    tm = rec["timings"]
    total = tm["total_s"]
    rows, cols = rec["shape"]
    n = rec["nodes"]
    print(f"\n{factor:g}× the demo area: {rows}×{cols} cells ({rec['cell']:g} m, "
          f"{rows * cols * rec['cell'] ** 2 / 1e6:.1f} km²), {n} linked nodes, "
          f"{duration:g} s simulated, coupling step {step}")
    print(f"  coupled wall time      {rec['wall_s']:8.2f} s (loop {total:.2f} s, setup "
          f"{tm['setup_s']:.2f} s)")
    for name, key in (("surface", "surface_s"), ("pipes (SWMM)", "drainage_s"),
                      ("exchange", "exchange_s")):
        extra = "   (target ≤ 10 %)" if key == "exchange_s" else ""
        print(f"    {name:<20} {tm[key]:8.2f} s  {tm[key] / total:6.1%}{extra}")
    ex = max(rec["exchanges"], 1)
    print(f"    exchanges            {rec['exchanges']:8d}      "
          f"{tm['exchange_s'] / ex * 1e6:.0f} µs each, "
          f"{tm['exchange_s'] / (ex * n) * 1e9:.0f} ns per node")
    a, b = rec["exchange_sides"]
    print(f"  volume error           {rec['error_rel']:9.2e} (exchange {a:.1f} / {b:.1f} m³ "
          "on the two sides)")
    print(f"  peak RSS               {rec['rss_mb']:8.0f} MB (before the run "
          f"{rec['rss_before_mb']:.0f} MB)")
    print(f"  surface alone          {rec['alone_wall_s']:8.2f} s, {rec['alone_steps']} steps, "
          f"{rec['alone_rate'] / 1e6:.1f} M cell-updates/s")
    print(f"  surface in coupled run {rec['surface_wall_s']:8.2f} s, {rec['surface_steps']} "
          f"steps, {rec['surface_rate'] / 1e6:.1f} M cell-updates/s  → ratio "
          f"{rec['surface_rate'] / rec['alone_rate']:.2f} (target ≥ 0.9)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--duration", type=float, default=5400.0, help="simulated seconds")
    ap.add_argument("--step", default="2", help="coupling step, s, or 'surface'")
    ap.add_argument("--threads", type=int, default=None, help="numba threads (surface)")
    ap.add_argument("--areas", default="1,4", help="area factors against the demo city")
    ap.add_argument("--one", type=Path, help=argparse.SUPPRESS)     # child: one config
    args = ap.parse_args()
    if args.one is not None:
        print(json.dumps(one(args.one, args.duration, args.step, args.threads)))
        return

    print(f"coupled engine benchmark; {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    records = {}
    with tempfile.TemporaryDirectory(prefix="floodrisk-bench-") as tmp:
        for factor in (float(a) for a in args.areas.split(",")):
            config = DEMO if factor == 1 else make_city(factor, Path(tmp) / f"x{factor:g}")
            cmd = [sys.executable, __file__, "--one", str(config), "--duration",
                   str(args.duration), "--step", args.step]
            if args.threads:
                cmd += ["--threads", str(args.threads)]
            done = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                print(f"\n{factor:g}×: failed\n{done.stderr[-3000:]}")
                continue
            rec = json.loads(done.stdout.strip().splitlines()[-1])
            records[factor] = rec
            report(factor, rec, args.duration, args.step)
    if 1.0 in records and 4.0 in records:
        a, b = records[1.0], records[4.0]
        cells = (b["shape"][0] * b["shape"][1]) / (a["shape"][0] * a["shape"][1])
        print(f"\n4× against 1×: {cells:.2f}× the cells, {b['nodes'] / a['nodes']:.2f}× the "
              f"nodes; wall time {b['wall_s'] / a['wall_s']:.2f}×, exchange time "
              f"{b['timings']['exchange_s'] / a['timings']['exchange_s']:.2f}×, peak RSS "
              f"{b['rss_mb'] / a['rss_mb']:.2f}×")


if __name__ == "__main__":
    main()
