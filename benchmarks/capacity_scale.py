"""Scale benchmark: graph, checks and capacity assessment of a 100,000-pipe network.

Usage::

    .venv/bin/python benchmarks/capacity_scale.py [--pipes 100000] [--small 10000]

Builds a synthetic storm network in memory (vectorised): manholes on a 50 m grid, every
tenth column a trunk running south to an outfall, the other manholes draining at random
either south or sideways toward the nearest trunk (each step lowers the invert by
0.15 m, so the tree has fall everywhere), diameters from the standard series by the
number of blocks upstream, and a few planted defects (10 adverse slopes, which also show
up as adverse_path and diameter_decrease findings, and 10 orphan nodes).
Each size runs in its own process so that its peak memory is its own. Prints for each
stage (build, to_graph, check_network, assess_capacity) the seconds and pipes/s, the
peak resident memory after each stage (ru_maxrss; tracemalloc is left off because it
slows the allocation-heavy graph building several times), the findings per rule, and the
large/small time ratios.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np

SERIES = np.array([0.3, 0.4, 0.5, 0.6, 0.8, 1.0, 1.2, 1.4, 1.6, 1.8, 2.0, 2.2, 2.4, 2.6, 2.8,
                   3.0, 3.5, 4.0])


def build(pipes: int, seed: int = 1):
    """A tree network of exactly ``pipes`` conduits (plus outfalls), as DrainageNetwork."""
    import geopandas as gpd
    import pandas as pd
    import shapely

    from floodrisk.network import DrainageNetwork

    rng = np.random.default_rng(seed)
    cols = max(20, round(np.sqrt(pipes * 1.6)) // 10 * 10)
    n_man = pipes                     # one outgoing conduit per manhole
    k = np.arange(n_man)
    i, j = k % cols, k // cols        # column, row (row 0 next to the river)
    trunk = (i // 10) * 10 + 5        # trunk column of each manhole's band
    trunk = np.minimum(trunk, cols - 1)
    on_trunk = i == trunk
    south = on_trunk | ((rng.random(n_man) < 0.3) & (j > 0))
    step = np.sign(trunk - i)
    di = np.where(south, 0, step)
    dj = np.where(south, -1, 0)
    down_i, down_j = i + di, j + dj
    # manholes on a trunk in row 0 drain to their outfall; the last row may be partial
    n_trunks = len(np.unique(trunk))
    out_of_trunk = {t: n_man + q for q, t in enumerate(np.unique(trunk))}
    to_outfall = on_trunk & (j == 0)
    down = down_j * cols + down_i
    missing = ~to_outfall & (down >= n_man)    # target beyond a partial last row
    down[missing] = (down_j[missing] * cols + trunk[missing])   # go to the trunk instead
    down[to_outfall] = [out_of_trunk[t] for t in trunk[to_outfall]]
    x = np.concatenate([i * 50.0, np.unique(trunk) * 50.0]) + 500000.0
    y = np.concatenate([j * 50.0, np.full(n_trunks, -50.0)]) + 2500000.0
    phi = np.concatenate([j + np.abs(i - trunk), np.full(n_trunks, -1)])
    invert = 5.0 + 0.15 * phi
    # blocks upstream: accumulate along the tree in order of decreasing phi
    count = np.ones(n_man + n_trunks)
    order = np.argsort(-phi[:n_man], kind="stable")
    levels = phi[:n_man][order]
    bounds = np.flatnonzero(np.diff(levels)) + 1
    for grp in np.split(order, bounds):
        np.add.at(count, down[grp], count[grp])
    q = 0.6 * 300.0 * count[:n_man] * 0.25 / 1000.0        # m³/s, psi q F
    d_need = (q * 0.013 / (0.3117 * np.sqrt(0.003))) ** (3 / 8)
    diam = SERIES[np.minimum(np.searchsorted(SERIES, d_need), len(SERIES) - 1)]
    kind = np.array(["junction"] * n_man + ["outfall"] * n_trunks, dtype=object)
    rim = invert + 2.5 + diam.max() + rng.random(n_man + n_trunks)
    ids = np.array([f"J{v}" for v in range(n_man)] + [f"O{v}" for v in range(n_trunks)],
                   dtype=object)
    # planted defects: 10 adverse conduits (lift the downstream node of some short
    # sideways runs) and 10 orphan manholes far away
    nodes = gpd.GeoDataFrame({"node_id": ids, "kind": kind, "invert_elev": invert,
                              "rim_elev": rim, "max_depth": rim - invert,
                              "storage_area": np.nan},
                             geometry=shapely.points(x, y), crs="EPSG:4547")
    orphans = gpd.GeoDataFrame({"node_id": [f"X{v}" for v in range(10)], "kind": "junction",
                                "invert_elev": 1.0, "rim_elev": 4.0, "max_depth": 3.0,
                                "storage_area": np.nan},
                               geometry=shapely.points(np.arange(10) * 50.0 + 400000.0,
                                                       np.full(10, 2400000.0)),
                               crs="EPSG:4547")
    nodes = pd.concat([nodes, orphans], ignore_index=True)
    xy = np.column_stack([x, y])
    lines = shapely.linestrings(np.stack([xy[k], xy[down]], axis=1))
    length = np.hypot(*(xy[down] - xy[k]).T)
    in_off = np.zeros(n_man)
    out_off = np.zeros(n_man)
    plant = rng.choice(np.flatnonzero(~south & ~on_trunk), 10, replace=False)
    out_off[plant] = 0.5           # downstream end 0.35 m above the upstream end
    conduits = gpd.GeoDataFrame(
        {"link_id": np.array([f"C{v}" for v in range(n_man)], dtype=object),
         "from_node": ids[k], "to_node": ids[down], "shape": "circular", "diameter": diam,
         "height": np.nan, "width": np.nan, "roughness": 0.013, "length": length,
         "in_offset": in_off, "out_offset": out_off},
        geometry=lines, crs="EPSG:4547")
    empty = gpd.GeoDataFrame({"pump_id": [], "station_id": [], "from_node": [], "to_node": [],
                              "capacity": [], "on_depth": [], "off_depth": []},
                             geometry=gpd.GeoSeries([]))
    stations = gpd.GeoDataFrame({"station_id": []}, geometry=gpd.GeoSeries([], crs="EPSG:4547"))
    net = DrainageNetwork(nodes=nodes, conduits=conduits, pumps=empty, stations=stations,
                          subcatchments=None, crs=nodes.crs)
    catchments = pd.DataFrame({"node_id": ids[:n_man], "area": 2500.0, "runoff_coeff": 0.6})
    return net, catchments


def _rss() -> float:
    """Peak resident set size of this process so far, MB (ru_maxrss is KB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_one(pipes: int) -> dict:
    from floodrisk.capacity import assess_capacity
    from floodrisk.network import check_network, to_graph
    from floodrisk.rainfall import StormFormula

    formula = StormFormula(A=13290.6, C=0.607, b=39.12, n=0.956, name="Guangzhou")
    out: dict = {"pipes": pipes, "stages": {}, "rss_mb": {}}
    t = time.perf_counter()
    net, cat = build(pipes)
    out["stages"]["build"] = time.perf_counter() - t
    out["rss_mb"]["build"] = _rss()
    out["nodes"] = len(net.nodes)
    t = time.perf_counter()
    g = to_graph(net)
    out["stages"]["to_graph"] = time.perf_counter() - t
    out["rss_mb"]["to_graph"] = _rss()
    out["graph"] = [g.number_of_nodes(), g.number_of_edges()]
    del g
    t = time.perf_counter()
    findings = check_network(net)
    out["stages"]["check_network"] = time.perf_counter() - t
    out["rss_mb"]["check_network"] = _rss()
    out["findings"] = findings.rule.value_counts().to_dict()
    t = time.perf_counter()
    pc = assess_capacity(net, formula, catchments=cat)
    out["stages"]["assess_capacity"] = time.perf_counter() - t
    out["rss_mb"]["assess_capacity"] = _rss()
    out["classes"] = pc.capacity_class.value_counts().to_dict()
    out["max_time_of_concentration_min"] = float(pc.time_of_concentration.max())
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pipes", type=int, default=100_000)
    ap.add_argument("--small", type=int, default=10_000)
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.one:
        print(json.dumps(run_one(a.one)))
        return
    runs = {}
    for n in (a.small, a.pipes):
        r = subprocess.run([sys.executable, __file__, "--one", str(n)], capture_output=True,
                           text=True, check=True)
        runs[n] = json.loads(r.stdout.strip().splitlines()[-1])
    for n, r in runs.items():
        print(f"\n{n} pipes, {r['nodes']} nodes (graph {r['graph'][0]} nodes, "
              f"{r['graph'][1]} edges)")
        for stage, s in r["stages"].items():
            print(f"  {stage:16s} {s:7.3f} s   {n / s:12,.0f} pipes/s   "
                  f"peak RSS so far {r['rss_mb'][stage]:6.0f} MB")
        work = sum(v for k, v in r["stages"].items() if k != "build")
        print(f"  {'graph+check+cap':16s} {work:7.3f} s")
        print(f"  findings: {r['findings']}")
        print(f"  classes: {r['classes']}; "
              f"longest t = {r['max_time_of_concentration_min']:.1f} min")
    big, small = runs[a.pipes], runs[a.small]
    print(f"\nratio {a.pipes}/{a.small} pipes (×{a.pipes / a.small:g}):")
    for stage in big["stages"]:
        print(f"  {stage:16s} ×{big['stages'][stage] / small['stages'][stage]:.1f}")


if __name__ == "__main__":
    main()
