"""Benchmark of the assessment on a 4-million-cell run.

Usage::

    .venv/bin/python benchmarks/assess_scale.py [--size 10000] [--cell 5] [--duration 5400]

Generates the synthetic city on ``--size`` × ``--size`` m at ``--cell`` m (10 km at 5 m:
2000 × 2000 = 4 million cells), runs the demo's storm (50-year 3-hour Chicago, Zhengzhou
formula) through the coupled 1D-2D engine for ``--duration`` simulated seconds (default
the first 90 min: the peak falls at 72 min; a shorter run makes the assessment's share
larger, not smaller), then assesses the run (waterlogging points, underground spaces,
pump stations and facilities, hazard grids and building risk) and prints each part's
time, the assessment's share of the simulation time (target < 10 %), what it found, and
the peak resident memory.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEMO = ROOT / "configs" / "demo.toml"


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", type=float, default=10000.0, help="city width and height, m")
    ap.add_argument("--cell", type=float, default=5.0, help="cell size, m")
    ap.add_argument("--duration", type=float, default=5400.0, help="simulated seconds")
    args = ap.parse_args()

    import floodrisk
    from floodrisk.assess.assessment import assess
    from floodrisk.config import load_config
    from floodrisk.pipeline import _coupled_settings
    from floodrisk.synthetic import generate_city, write_city

    print(f"assessment benchmark; {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory(prefix="floodrisk-assess-") as tmp:
        t = time.perf_counter()
        city = generate_city(width=args.size, height=args.size, cell_size=args.cell)
        paths = write_city(city, Path(tmp) / "city")
        del city
        text = DEMO.read_text(encoding="utf-8")
        text = text.replace("../data/demo/dem.tif", paths["dem"].as_posix())
        text = text.replace("../data/demo/city.gpkg", paths["city"].as_posix())
        config = Path(tmp) / "config.toml"
        config.write_text(text, encoding="utf-8")
        cfg = load_config(config)
        study = floodrisk.load_study(config)
        rows, cols = study.terrain.shape
        print(f"city {args.size:g} m × {args.size:g} m at {args.cell:g} m: {rows}×{cols} = "
              f"{rows * cols / 1e6:.2f} M cells, {len(study.network.nodes)} nodes, "
              f"{len(study.assets.buildings)} buildings, {len(study.assets.entrances)} "
              f"entrances; generated and loaded in {time.perf_counter() - t:.1f} s")
        storm = floodrisk.chicago(floodrisk.city_formula("zhengzhou"), 50, 180)
        scenario = floodrisk.Scenario("P50", storm, duration=args.duration)
        pipes = floodrisk.assess_capacity(study.network, floodrisk.city_formula("zhengzhou"),
                                          dem=study.terrain, landcover=study.assets.landcover)
        t = time.perf_counter()
        run = floodrisk.simulate_coupled(study, scenario, _coupled_settings(cfg))
        sim = time.perf_counter() - t
        print(f"coupled run ({args.duration:g} s simulated): {sim:.1f} s wall "
              f"(surface {run.timings['surface_s']:.1f} s, SWMM {run.timings['drainage_s']:.1f}"
              f" s, exchange {run.timings['exchange_s']:.1f} s)")
        rss0 = _rss_mb()
        t = time.perf_counter()
        a = assess(study, run, pipes=pipes,
                   design_return_period=cfg.capacity.settings.design_return_period,
                   settings=cfg.assessment.settings)
        took = time.perf_counter() - t
        for k, v in a.timings.items():
            print(f"  {k[:-2]:<14} {v:7.2f} s")
        print(f"assessment      {took:7.2f} s = {took / sim:.1%} of the simulation time "
              "(target < 10 %)")
        s = a.summary
        print(f"found: {s['waterlogging_points']} waterlogging points "
              f"({s['waterlogged_area_m2'] / 1e4:.1f} ha), causes {s['by_cause']}; "
              f"{len(a.buildings)} buildings graded; stations failed "
              f"{list(s.get('stations_failed', {}))}")
        print(f"peak RSS {_rss_mb():.0f} MB (after the run {rss0:.0f} MB)")


if __name__ == "__main__":
    main()
