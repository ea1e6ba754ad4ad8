"""Waterlogging points (易涝点): where a run's water stood deeper than the 内涝 criterion.

A waterlogging point is a connected area (8-neighbour) of cells whose maximum depth
exceeded the threshold (0.15 m: GB 51222-2017, ponding on one traffic lane ≤ 0.15 m),
larger than a minimum area. For each one this module reports its depth, area, volume and
timing from the run's envelope grids, the manholes near it and whether they overflowed,
a cause label with the evidence for it, and a rank; and, given the city's observed
points, the hit rate, misses and false alarms.

Everything is worked out from a run's grids and the study: no engine is called. The
volume is the envelope volume Σ max_depth · cell area over the area (the depths need not
peak together, so it bounds the water that stood there at any one time from above).

Cause labels, checked in this order (the first that holds):

``surcharge``
    a manhole linked within ``manhole_radius`` of the area spilled more than
    ``spill_volume`` onto the surface (coupled run) or flooded (SWMM run): water came up
    out of the network.
``no_inlet``
    water still stood deeper than the threshold at the end of the run, and no manhole or
    inlet lies within ``inlet_radius`` of any cell where it stood (of any cell of the
    area when the run gives no final depth): a depression nothing drains, even where the
    area reaches a drained street at its peak.
``pipe_capacity``
    a pipe at a manhole within ``manhole_radius`` has a capacity return period below the
    design period (the capacity assessment's table): the inlets there could not pass
    more to the pipes.
``overland``
    none of these: water ran in from upslope faster than the inlets took it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import ndimage
from shapely.geometry import Point, shape

from ..errors import InputError
from ..grid import Grid

__all__ = ["WaterloggingSettings", "Waterlogging", "find_waterlogging", "compare_observed",
           "CAUSES"]

#: Cause labels and what they mean, for reports.
CAUSES = {
    "surcharge": "surcharge from the network: a manhole nearby overflowed",
    "no_inlet": "a depression with no inlet: nothing drains it",
    "pipe_capacity": "pipe capacity exceeded: a pipe at a manhole nearby is below its "
                     "design return period",
    "overland": "overland flow from upslope, faster than the inlets take it",
}


@dataclass(frozen=True)
class WaterloggingSettings:
    """What counts as a waterlogging point and how its cause is judged.

    Parameters
    ----------
    threshold
        Depth above which a cell is waterlogged, m: 0.15 m, GB 51222-2017 (ponding on
        one traffic lane of a road ≤ 0.15 m).
    min_area
        Smallest area reported, m²: 100 m² (project default, four 5 m cells; a city sets
        its own).
    min_duration
        Shortest time above the threshold reported, s: 0 (GB 51222 fixes no duration;
        each city sets its own, e.g. 1800 s).
    manhole_radius
        Manholes within this distance of the area are its manholes, m (project default
        50 m: about one manhole spacing on a street, GB 50014 40-50 m for DN ≤ 600).
    inlet_radius
        A cell with a manhole or inlet within this distance is drained, m (5 m: the
        coupled engine's inlet radius).
    spill_volume
        A manhole that spilled more than this overflowed, m³ (project default 1 m³).
    observed_radius
        An observed point within this distance of an area is a hit, m (project default
        50 m: observed points are street addresses).
    max_manholes
        Manholes listed per point, nearest first.
    road_radius
        A point sits on the road whose centreline passes within this distance of its
        area, m (project default 15 m: half a 30 m street corridor).
    """

    threshold: float = 0.15
    min_area: float = 100.0
    min_duration: float = 0.0
    manhole_radius: float = 50.0
    inlet_radius: float = 5.0
    spill_volume: float = 1.0
    observed_radius: float = 50.0
    max_manholes: int = 3
    road_radius: float = 15.0

    def __post_init__(self) -> None:
        for name in ("threshold", "min_area", "min_duration", "manhole_radius",
                     "inlet_radius", "spill_volume", "observed_radius", "road_radius"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and not isinstance(v, bool)
                    and math.isfinite(v) and v >= 0):
                raise InputError(f"{name} must be a number ≥ 0, got {v!r}.", field=name)
        if self.threshold <= 0:
            raise InputError("threshold must be > 0 m.", field="threshold")
        if not (isinstance(self.max_manholes, int) and self.max_manholes >= 1):
            raise InputError(f"max_manholes must be an integer ≥ 1, got "
                             f"{self.max_manholes!r}.", field="max_manholes")


@dataclass(frozen=True)
class Waterlogging:
    """Waterlogging points of one run.

    Parameters
    ----------
    points
        One row per point, ranked (``rank`` 1 = largest volume): ``point_id``,
        ``max_depth`` (m), ``mean_depth`` (m, of the maximum depths), ``area`` (m²),
        ``volume`` (m³, envelope), ``duration_over`` (s, longest above the threshold of
        any cell), ``first_time_over`` (s from rain start, earliest of any cell),
        ``time_of_peak`` (s, at the deepest cell), ``final_depth`` (m, deepest at the end),
        ``road`` (the road it sits on: name, else id; empty off the roads or without a
        road layer), ``manholes`` (nearest manhole ids, comma-separated), ``manholes_overflowed``
        (ids of those that spilled), ``cause`` (:data:`CAUSES`), ``evidence``, ``rank``,
        ``cells``; geometry: the deepest cell's centre.
    polygons
        The same rows with the areas' outlines as geometry.
    labels
        Label array of the run's grid: 0 none, k the point with ``label`` k.
    settings
        The settings used.
    """

    points: gpd.GeoDataFrame
    polygons: gpd.GeoDataFrame
    labels: np.ndarray
    settings: WaterloggingSettings


def _node_table(network: Any) -> gpd.GeoDataFrame | None:
    if network is None:
        return None
    nodes = network.nodes
    keep = nodes["kind"].astype(str).isin(["junction", "storage"])
    nodes = nodes.loc[keep & nodes.geometry.notna(), ["node_id", "geometry"]].copy()
    nodes["node_id"] = nodes["node_id"].astype(str)
    return nodes.reset_index(drop=True)


def _near_points(grid: Grid, x: np.ndarray, y: np.ndarray, radius: float) -> np.ndarray:
    """Cells (True) whose square lies within ``radius`` (m) of any of the points."""
    t = grid.transform
    rows, cols = grid.shape
    out = np.zeros(grid.shape, dtype=bool)
    r0, c0 = grid.index(x, y)
    inside = (r0 >= 0) & (c0 >= 0)
    x, y, r0, c0 = x[inside], y[inside], r0[inside], c0[inside]
    kr, kc = int(math.ceil(radius / grid.dy)) + 1, int(math.ceil(radius / grid.dx)) + 1
    for dr in range(-kr, kr + 1):
        for dc in range(-kc, kc + 1):
            r, c = r0 + dr, c0 + dc
            ok = (r >= 0) & (r < rows) & (c >= 0) & (c < cols)
            x0 = t.c + c * grid.dx
            y1 = t.f - r * grid.dy
            gap_x = np.maximum.reduce([x0 - x, np.zeros_like(x), x - (x0 + grid.dx)])
            gap_y = np.maximum.reduce([(y1 - grid.dy) - y, np.zeros_like(y), y - y1])
            ok &= np.hypot(gap_x, gap_y) <= radius
            out[r[ok], c[ok]] = True
    return out


def find_waterlogging(
    grid: Grid,
    max_depth: np.ndarray,
    *,
    duration_over: np.ndarray | None = None,
    first_time_over: np.ndarray | None = None,
    time_of_max_depth: np.ndarray | None = None,
    final_depth: np.ndarray | None = None,
    network: Any = None,
    node_spill: pd.Series | None = None,
    pipes: pd.DataFrame | None = None,
    design_return_period: float | None = None,
    exclude: np.ndarray | None = None,
    roads: gpd.GeoDataFrame | None = None,
    settings: WaterloggingSettings | None = None,
) -> Waterlogging:
    """Find the waterlogging points of a run.

    Parameters
    ----------
    grid
        The run's grid (geometry and CRS; its values are not used).
    max_depth
        Maximum depth, m (NaN off the domain and on buildings).
    duration_over, first_time_over, time_of_max_depth, final_depth
        The run's grids: time above the threshold (s; the engine's ``wet_threshold``, so
        it should equal ``settings.threshold``), first time above it (s, NaN never),
        time of the maximum (s) and depth at the end (m). Missing ones give NaN columns.
    network
        The study's :class:`~floodrisk.network.DrainageNetwork` (manholes near each
        point; without it no manhole columns and no network causes).
    node_spill
        Volume each node spilled onto the surface, m³, indexed by node id (the coupled
        run's ``nodes.spilled_m3``; a SWMM run's flood volumes).
    pipes
        The capacity assessment (``from_node``, ``to_node``, ``link_id``,
        ``capacity_return_period``).
    design_return_period
        Design period of the pipes, years (with ``pipes``).
    exclude
        Cells never counted (True): rivers and lakes (the land cover's water class) are
        water bodies, not waterlogging.
    roads
        Road centrelines (``road_id``, ``name``): each point's ``road``.
    settings
        :class:`WaterloggingSettings`.

    Returns
    -------
    Waterlogging
    """
    s = settings if settings is not None else WaterloggingSettings()
    depth = np.asarray(max_depth, dtype=np.float64)
    if depth.shape != grid.shape:
        raise InputError(f"max_depth has shape {depth.shape}, the grid {grid.shape}.",
                         field="max_depth")

    def grid_or_nan(a: np.ndarray | None, name: str) -> np.ndarray:
        if a is None:
            return np.full(depth.shape, np.nan)
        a = np.asarray(a, dtype=np.float64)
        if a.shape != depth.shape:
            raise InputError(f"{name} has shape {a.shape}, max_depth {depth.shape}.",
                             field=name)
        return a

    over = grid_or_nan(duration_over, "duration_over")
    first = grid_or_nan(first_time_over, "first_time_over")
    tmax = grid_or_nan(time_of_max_depth, "time_of_max_depth")
    final = grid_or_nan(final_depth, "final_depth")
    cell_area = grid.cell_area
    wet = np.nan_to_num(depth, nan=0.0) > s.threshold
    if exclude is not None:
        exclude = np.asarray(exclude, dtype=bool)
        if exclude.shape != depth.shape:
            raise InputError(f"exclude has shape {exclude.shape}, max_depth {depth.shape}.",
                             field="exclude")
        wet &= ~exclude
    labels, n = ndimage.label(wet, structure=np.ones((3, 3), dtype=bool))
    crs = grid.crs
    columns = ["point_id", "label", "max_depth", "mean_depth", "area", "volume",
               "duration_over", "first_time_over", "time_of_peak", "final_depth", "road",
               "manholes", "manholes_overflowed", "cause", "evidence", "rank", "cells"]
    if n == 0:
        empty = gpd.GeoDataFrame({c: [] for c in columns}, geometry=[], crs=crs)
        return Waterlogging(empty, empty.copy(), labels, s)

    # ---- per-label statistics (bincount: one pass over the labelled cells) ---------
    flat = labels.ravel()
    on = flat > 0
    lab = flat[on]
    d = depth.ravel()[on]
    cells = np.bincount(lab, minlength=n + 1)[1:]
    vol = np.bincount(lab, weights=d, minlength=n + 1)[1:] * cell_area
    idx = np.arange(1, n + 1)
    dmax = ndimage.maximum(depth, labels, idx)
    where_max = ndimage.maximum_position(depth, labels, idx)
    dur = ndimage.maximum(np.nan_to_num(over, nan=0.0), labels, idx)
    first_t = ndimage.minimum(np.where(np.isnan(first), np.inf, first), labels, idx)
    first_t = np.where(np.isinf(first_t), np.nan, first_t)
    fin = ndimage.maximum(np.nan_to_num(final, nan=0.0), labels, idx) if final_depth is not None \
        else np.full(n, np.nan)
    rows = np.array([p[0] for p in where_max])
    cols = np.array([p[1] for p in where_max])
    peak_t = tmax[rows, cols]
    area = cells * cell_area
    keep = (area >= s.min_area - 1e-9) & (np.nan_to_num(dur, nan=0.0) >= s.min_duration
                                          if duration_over is not None else True)
    keep = np.asarray(keep, dtype=bool)
    ids = idx[keep]
    if ids.size == 0:
        empty = gpd.GeoDataFrame({c: [] for c in columns}, geometry=[], crs=crs)
        return Waterlogging(empty, empty.copy(), np.zeros_like(labels), s)
    # relabel the kept areas 1..m in label order
    remap = np.zeros(n + 1, dtype=np.int32)
    remap[ids] = np.arange(1, ids.size + 1)
    labels = remap[labels]
    k = ids - 1
    t = grid.transform
    xs = t.c + (cols[k] + 0.5) * t.a + (rows[k] + 0.5) * t.b
    ys = t.f + (cols[k] + 0.5) * t.d + (rows[k] + 0.5) * t.e
    table = pd.DataFrame({
        "label": np.arange(1, ids.size + 1), "max_depth": dmax[k],
        "mean_depth": vol[k] / area[k], "area": area[k], "volume": vol[k],
        "duration_over": dur[k] if duration_over is not None else np.nan,
        "first_time_over": first_t[k], "time_of_peak": peak_t[k],
        "final_depth": fin[k], "cells": cells[k]})

    # ---- outlines -----------------------------------------------------------------
    from rasterio.features import shapes
    geoms: dict[int, list] = {}
    for g, v in shapes(labels.astype(np.int32), mask=labels > 0, transform=grid.transform,
                       connectivity=8):
        geoms.setdefault(int(v), []).append(shape(g))
    from shapely.ops import unary_union
    outline = [unary_union(geoms[i]) if len(geoms[i]) > 1 else geoms[i][0]
               for i in table["label"]]

    # ---- manholes, spills, causes -----------------------------------------------------
    nodes = _node_table(network)
    manholes = [""] * len(table)
    spilled = [""] * len(table)
    causes, evidence = [], []
    low_pipes: dict[str, list[tuple[str, float]]] = {}
    if pipes is not None and design_return_period is not None and len(pipes):
        below = pipes[pd.to_numeric(pipes["capacity_return_period"], errors="coerce")
                      < design_return_period]
        for row in below.itertuples():
            for nid in (str(row.from_node), str(row.to_node)):
                low_pipes.setdefault(nid, []).append(
                    (str(row.link_id), float(row.capacity_return_period)))
    spill = (pd.Series(dtype=float) if node_spill is None
             else pd.Series(node_spill, dtype=float).rename(index=str))
    polys = gpd.GeoSeries(outline, crs=crs)
    near_sets: list[list[tuple[str, float]]] = [[] for _ in range(len(table))]
    drained_cell = [False] * len(table)
    if nodes is not None and len(nodes):
        # nodes within manhole_radius of each outline, nearest first
        buf = gpd.GeoDataFrame({"i": np.arange(len(table))},
                               geometry=polys.buffer(s.manhole_radius), crs=crs)
        hits = gpd.sjoin(nodes, buf, predicate="within", how="inner")
        for i, grp in hits.groupby("i"):
            dist = polys.iloc[int(i)].distance(gpd.GeoSeries(grp.geometry.values, crs=crs))
            order = np.argsort(dist.to_numpy(), kind="stable")
            near_sets[int(i)] = [(str(grp["node_id"].iloc[j]), float(dist.iloc[j]))
                                 for j in order]
    if nodes is not None and len(nodes) and final_depth is not None:
        # the cells where water still stood at the end: is any of them drained?
        standing = np.nan_to_num(final, nan=0.0) > s.threshold
        drained = _near_points(grid, nodes.geometry.x.to_numpy(), nodes.geometry.y.to_numpy(),
                               s.inlet_radius)
        lab_idx = np.arange(1, len(table) + 1)
        drained_standing = ndimage.maximum(drained & standing, labels, lab_idx) > 0
        standing_area = ndimage.sum(standing, labels, lab_idx) * cell_area
    for i in range(len(table)):
        near = near_sets[i]
        drained_cell[i] = (bool(drained_standing[i]) if final_depth is not None and
                           nodes is not None and len(nodes)
                           else any(dd <= s.inlet_radius for _, dd in near))
        manholes[i] = ",".join(nid for nid, _ in near[:s.max_manholes])
        over_ = [(nid, float(spill[nid])) for nid, _ in near
                 if nid in spill.index and spill[nid] > s.spill_volume]
        spilled[i] = ",".join(nid for nid, _ in over_)
        r = table.iloc[i]
        if over_:
            nid, v = max(over_, key=lambda t: t[1])
            causes.append("surcharge")
            evidence.append(f"{nid} spilled {v:,.0f} m³ within {s.manhole_radius:g} m"
                            + (f" (and {len(over_) - 1} more)" if len(over_) > 1 else ""))
        elif nodes is not None and not drained_cell[i] and (
                final_depth is None or r["final_depth"] > s.threshold):
            causes.append("no_inlet")
            evidence.append(
                f"no manhole or inlet within {s.inlet_radius:g} m of its {r['area']:,.0f} m²"
                if final_depth is None else
                f"{r['final_depth']:.2f} m still standing at the end over "
                f"{standing_area[i]:,.0f} m² with no manhole or inlet within "
                f"{s.inlet_radius:g} m")
        elif low := [p for nid, _ in near for p in low_pipes.get(nid, [])]:
            link, rp = min(low, key=lambda t: t[1])
            causes.append("pipe_capacity")
            evidence.append(f"{link} carries a {rp:.2f}-year storm, below the design "
                            f"{design_return_period:g} a")
        else:
            causes.append("overland")
            evidence.append("manholes nearby did not overflow and their pipes meet the "
                            "design period" if near else
                            f"no manhole within {s.manhole_radius:g} m; water ran in from "
                            "upslope")
    table["road"] = _roads_of(polys, roads, s.road_radius)
    table["manholes"] = manholes
    table["manholes_overflowed"] = spilled
    table["cause"] = causes
    table["evidence"] = evidence
    order = np.lexsort((-table["max_depth"].to_numpy(), -table["volume"].to_numpy()))
    rank = np.empty(len(table), dtype=np.int64)
    rank[order] = np.arange(1, len(table) + 1)
    table["rank"] = rank
    width = max(2, len(str(len(table))))
    table.insert(0, "point_id", [f"WL{r:0{width}d}" for r in rank])
    table = table[columns]
    points = gpd.GeoDataFrame(table, geometry=[Point(x, y) for x, y in zip(xs, ys)], crs=crs)
    polygons = gpd.GeoDataFrame(table.copy(), geometry=list(outline), crs=crs)
    points = points.sort_values("rank").reset_index(drop=True)
    polygons = polygons.sort_values("rank").reset_index(drop=True)
    return Waterlogging(points, polygons, labels, s)


def _roads_of(polys: gpd.GeoSeries, roads: gpd.GeoDataFrame | None, radius: float
              ) -> list[str]:
    """The nearest road within ``radius`` of each outline: its name, else its id."""
    out = [""] * len(polys)
    if roads is None or len(roads) == 0 or len(polys) == 0:
        return out
    r = roads.reset_index(drop=True)
    if polys.crs is not None and r.crs is not None and r.crs != polys.crs:
        r = r.to_crs(polys.crs)
    names = (r["name"].astype(str).where(r["name"].notna() & (r["name"].astype(str) != ""),
                                          r["road_id"].astype(str))
             if "name" in r.columns else r["road_id"].astype(str))
    areas = gpd.GeoDataFrame({"i": np.arange(len(polys))}, geometry=polys.values,
                             crs=polys.crs)
    hit = gpd.sjoin_nearest(areas, r[["geometry"]], how="inner", max_distance=radius,
                            distance_col="d")
    hit = hit.sort_values(["i", "d"]).drop_duplicates("i")
    for i, j in zip(hit["i"], hit["index_right"]):
        out[int(i)] = str(names.iloc[int(j)])
    return out


def compare_observed(found: Waterlogging, observed: gpd.GeoDataFrame,
                     radius: float | None = None) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Check the points found against the city's observed waterlogging points.

    Parameters
    ----------
    found
        The run's :class:`Waterlogging`.
    observed
        Observed points (``point_id``; the ``observed`` layer), in the run's CRS.
    radius
        An observed point within this distance of an area's outline is a hit, m
        (default: ``found.settings.observed_radius``).

    Returns
    -------
    (table, summary)
        One row per observed point: ``point_id``, ``hit``, ``matched`` (the nearest
        area's point_id within the radius), ``distance`` (m, to the nearest area);
        and ``{"observed", "hits", "misses", "hit_rate", "false_alarms",
        "false_alarm_ids"}`` (false alarms: areas with no observed point within the
        radius).
    """
    r = found.settings.observed_radius if radius is None else float(radius)
    polys = found.polygons
    obs = observed.reset_index(drop=True)
    if polys.crs is not None and obs.crs is not None and obs.crs != polys.crs:
        obs = obs.to_crs(polys.crs)
    rows = []
    matched_areas: set[str] = set()
    ids = polys["point_id"].astype(str).to_numpy()
    for p in obs.itertuples():
        dist = polys.distance(p.geometry).to_numpy() if len(polys) else np.empty(0)
        j = int(np.argmin(dist)) if dist.size else -1
        dmin = float(dist[j]) if dist.size else math.inf
        hit = dmin <= r
        # every area within the radius counts as matched (an observed street can span two)
        matched_areas.update(ids[dist <= r])
        rows.append({"point_id": str(p.point_id), "hit": bool(hit),
                     "matched": str(polys["point_id"].iloc[j]) if hit else "",
                     "distance": dmin})
    table = pd.DataFrame(rows, columns=["point_id", "hit", "matched", "distance"])
    false_ids = [pid for pid in polys["point_id"].astype(str) if pid not in matched_areas]
    n = len(table)
    hits = int(table["hit"].sum()) if n else 0
    summary = {"observed": n, "hits": hits, "misses": n - hits,
               "hit_rate": hits / n if n else math.nan,
               "false_alarms": len(false_ids), "false_alarm_ids": false_ids,
               "radius_m": r}
    return table, summary
