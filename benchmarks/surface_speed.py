"""Throughput, thread scaling, wet-area cost and peak memory of the 2D surface engine.

Reference case (issue 5): a closed box of 1000 × 1000 cells of 10 m,
z = 0.002 (L - x) + 0.3 sin(2πx/200) sin(2πy/200) m, 0.1 m of water everywhere,
rain 100 mm/h, n = 0.03, α = 0.7. Prints cell-updates per second for float64 and
float32 on one and two threads, the scaling ratio, the cost of a step with 5 % of the
domain wet (a point inflow into a dry box) relative to a fully wet step, and the peak
memory per cell (resident set of a fresh process, and the engine's own arrays).

Run: ``python benchmarks/surface_speed.py [--size 1000] [--steps 100]``. The machine
may be shared: compare figures within one run.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import time

import numpy as np
from affine import Affine
from shapely.geometry import Point

from floodrisk.engines.surface import Inflow, SurfaceModel, SurfaceSettings
from floodrisk.grid import Grid
from floodrisk.rainfall import Hyetograph

DX = 10.0


def terrain(size: int) -> Grid:
    """The reference terrain, built without full-size temporaries (read-only, so that Grid
    keeps it without a copy)."""
    L = size * DX
    x = (np.arange(size) + 0.5) * DX
    y = L - (np.arange(size) + 0.5) * DX
    z = np.multiply.outer(np.sin(2 * np.pi * y / 200), np.sin(2 * np.pi * x / 200))
    z *= 0.3
    z += (0.002 * (L - x))[None, :]
    z.setflags(write=False)
    return Grid(z, Affine(DX, 0, 0, 0, -DX, L))


def wet_model(size: int, dtype: str, threads: int) -> SurfaceModel:
    return SurfaceModel(terrain(size), 0.03, rain=Hyetograph([0.0], [100.0]),
                        initial_depth=0.1,
                        settings=SurfaceSettings(alpha=0.7, dtype=dtype, threads=threads))


def time_steps(model: SurfaceModel, steps: int, warm: int = 3) -> tuple[float, float]:
    """Seconds per step and cell-updates per second over ``steps`` steps."""
    model.advance(math.inf, max_steps=warm)
    s0 = model.stats()
    model.advance(math.inf, max_steps=steps)
    s1 = model.stats()
    wall = s1.wall_time - s0.wall_time
    return wall / (s1.steps - s0.steps), (s1.cell_updates - s0.cell_updates) / wall


def dry_model(size: int, threads: int) -> SurfaceModel:
    """A dry box with a wet disc over 5 % of it around a point inflow."""
    grid = terrain(size)
    r = np.sqrt(0.05 * size * size / np.pi)
    ii, jj = np.mgrid[0:size, 0:size]
    c = size / 2
    depth = np.where((ii - c) ** 2 + (jj - c) ** 2 <= r * r, 0.1, 0.0)
    feed = Inflow(Point(c * DX, size * DX - c * DX), [0.0, 1e6], [5.0, 5.0])
    return SurfaceModel(grid, 0.03, initial_depth=depth, inflows=[feed],
                        settings=SurfaceSettings(alpha=0.7, threads=threads))


def _peak_rss() -> int:
    """Peak resident set of this process, bytes (VmHWM: unlike ru_maxrss it is not
    inherited from the parent across fork and exec)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def memory_child(size: int, dtype: str) -> None:
    """Run in a fresh process: peak RSS of building and stepping the model."""
    small = wet_model(64, dtype, 1)          # load the compiled kernels first
    small.advance(5.0)
    base = _peak_rss()
    model = wet_model(size, dtype, 2)
    model.advance(math.inf, max_steps=10)
    model.result(finish=True)
    peak = _peak_rss()
    own = sum(a.nbytes for a in (model._z, model.depth, model._gn2, model._active, model.qx,
                                 model.qy, model._max_depth, model._time_of_max,
                                 model._max_velocity, model._first_wet,
                                 model._duration_over, model._halo, model._head))
    print(json.dumps({"peak": peak - base, "own": own, "cells": size * size}))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=1000)
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--memory-child", default=None)
    a = ap.parse_args()
    if a.memory_child:
        memory_child(a.size, a.memory_child)
        return
    n = a.size
    print(f"reference case: {n} x {n} cells of {DX:g} m, {a.steps} steps per figure")
    rates = {}
    for dtype in ("float64", "float32"):
        for threads in (1, 2):
            model = wet_model(n, dtype, threads)
            per_step, rate = time_steps(model, a.steps)
            rates[dtype, threads] = (per_step, rate)
            print(f"  {dtype} {threads} thread(s): {rate / 1e6:7.1f} M cell-updates/s "
                  f"({per_step * 1e3:.1f} ms/step)")
            del model
    for dtype in ("float64", "float32"):
        print(f"  thread scaling {dtype}: 2 threads / 1 thread = "
              f"{rates[dtype, 2][1] / rates[dtype, 1][1]:.2f}x")
    dry = dry_model(n, 2)
    per_step_dry, _ = time_steps(dry, a.steps)
    wet_frac = float((dry.depth > 0).mean())
    print(f"  5 % wet domain (wet fraction now {wet_frac:.3f}): {per_step_dry * 1e3:.2f} ms/step,"
          f" {per_step_dry / rates['float64', 2][0]:.3f} of a fully wet step")
    del dry
    for dtype in ("float64", "float32"):
        out = subprocess.run([sys.executable, __file__, "--size", str(n), "--memory-child",
                              dtype], capture_output=True, text=True, check=True).stdout
        m = json.loads(out.strip().splitlines()[-1])
        print(f"  peak memory {dtype}: {m['peak'] / m['cells']:.1f} bytes/cell (RSS growth, "
              f"input terrain included); engine arrays {m['own'] / m['cells']:.1f} bytes/cell")


if __name__ == "__main__":
    t0 = time.perf_counter()
    main()
    if "--memory-child" not in sys.argv:
        print(f"benchmark wall time {time.perf_counter() - t0:.0f} s")
