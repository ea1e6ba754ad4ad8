"""Pipe capacity assessment (管网排水能力评估) by the rational method (DOMAIN.md §3).

For every conduit:

1. **Catchment.** Each node's own catchment (area F, runoff coefficient ψ) comes from
   the subcatchments draining to it, or, when there are none, from a nearest-inlet split
   of the terrain: every valid DEM cell goes to its nearest junction (within
   :attr:`CapacitySettings.max_inlet_distance`), ψ per cell from the land cover's
   imperviousness (or :attr:`CapacitySettings.default_runoff_coeff`).
   Imperviousness becomes ψ as ``ψ = ψ_imp·imp + ψ_perv·(1 − imp)`` with ψ_imp = 0.9
   (roofs, concrete, asphalt 0.85-0.95) and ψ_perv = 0.15 (parks and green 0.10-0.20),
   GB 50014 values from DOMAIN.md §2; the linear blend is a project default.
2. **Accumulation.** F and ψ·F are summed down the network in topological order (flow
   direction as :func:`floodrisk.network.to_graph`): a conduit carries everything its
   upstream node collects. Where a node has several outgoing links the collected flow is
   split in proportion to their full capacities (pumps: rated capacity); regulators
   (weirs, orifices, outlets) beside a conduit or pump are taken as overflows that carry
   nothing at the design storm, and share equally where they are the only way out;
   street inlets (SWMM 5.2 dual-drainage models) take all their node collects, the
   street conduit beside them being the overflow.
   Conduits inside a loop (see the ``gravity_cycle`` check) carry the whole loop's
   collection (conservative; flagged ``in_cycle``).
3. **Time of concentration** ``t = t1 + Σ L/(60 v)`` along the longest upstream path,
   t1 the inlet time, v the full-pipe velocity clipped below at
   :attr:`CapacitySettings.min_velocity` (0.6 m/s, project default: flat or unknown
   pipes would otherwise take absurd times).
4. **Design flow** ``Q = ψ·q(P, t)·F`` (q in L/(s·hm²) from the storm formula, F in hm²,
   Q in L/s → m³/s) at the design return period P.
5. **Pumped systems.** A pump passes ``min(inflow, capacity)`` on as a fixed flow: the
   area upstream of a pump stops at the pump, and downstream conduits carry the rational
   flow of their own gravity catchment plus the pumped flows (what exceeds a pump's
   capacity is stored or spilled upstream, not passed on). Pumps without a capacity
   (SWMM ideal pumps) pass their catchment on like a conduit.
6. **Capacity** ``Q_full`` by Manning (slope in flow direction, all barrels); capacity
   ratio ``Q/Q_full``; **capacity return period** the P at which
   ``ψ·q(P, t)·F + Q_pumped = Q_full``, from ``StormFormula.return_period`` with
   ``q_full = (Q_full − Q_pumped)/(ψ·F)`` (the pumped flow held at its design value);
   classes ``< 1 a``, ``1-2 a``, ``2-3 a``, ``3-5 a``, ``≥ 5 a`` (``unknown`` where
   Q_full cannot be worked out: no fall, unknown section).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse import csgraph
from scipy.spatial import cKDTree

from .errors import ConfigError, InputError
from .grid import Grid
from .network import (
    DrainageNetwork,
    Topology,
    _extra,
    _sections,
    full_flow_capacity,
    section_full,
    topology,
)
from .rainfall import StormFormula
from .variables import of

__all__ = ["CapacitySettings", "CAPACITY_CLASSES", "PIPE_CAPACITY_VARIABLES",
           "runoff_from_imperviousness", "node_catchments", "inlet_cells",
           "runoff_coefficient_grid", "node_drain_rates", "accumulate", "assess_capacity",
           "capacity_class"]

#: Capacity classes of the 管网排水能力评估 map, lowest first.
CAPACITY_CLASSES = ("< 1 a", "1-2 a", "2-3 a", "3-5 a", "≥ 5 a")
UNKNOWN_CLASS = "unknown"

#: Columns of the ``pipe_capacity`` layer (declared in :mod:`floodrisk.variables`).
PIPE_CAPACITY_VARIABLES = of("pipe_capacity")


@dataclass(frozen=True)
class CapacitySettings:
    """Settings of the capacity assessment, with their sources.

    Parameters
    ----------
    design_return_period
        P, years. Default 3 a: GB 50014-2021 megacities, non-central districts 2-3 a,
        central 3-5 a (DOMAIN.md §1).
    inlet_time
        t1, min. GB 50014: 5-15 min (DOMAIN.md §3); 10 min default.
    min_velocity
        Least velocity used for travel times, m/s (project default 0.6 m/s; DOMAIN.md §3
        asks design velocities ≥ 0.75 m/s full).
    default_runoff_coeff
        ψ where nothing else gives one: 0.6, GB 50014 dense built-up 0.60-0.70
        (DOMAIN.md §2, [verify]).
    impervious_runoff_coeff, pervious_runoff_coeff
        ψ of fully impervious and fully pervious ground for the imperviousness mapping:
        0.9 (roofs, concrete, asphalt 0.85-0.95) and 0.15 (parks and green 0.10-0.20),
        DOMAIN.md §2; the linear blend is a project default.
    max_inlet_distance
        Terrain split: cells farther than this from every junction drain to none, m.
        Project default 200 m (about a city block; manholes are 40-120 m apart); None:
        no limit.
    class_bounds
        Upper bounds of the capacity classes but the last, years (1, 2, 3, 5).
    """

    design_return_period: float = 3.0
    inlet_time: float = 10.0
    min_velocity: float = 0.6
    default_runoff_coeff: float = 0.6
    impervious_runoff_coeff: float = 0.9
    pervious_runoff_coeff: float = 0.15
    max_inlet_distance: float | None = 200.0
    class_bounds: tuple[float, float, float, float] = (1.0, 2.0, 3.0, 5.0)

    def __post_init__(self) -> None:
        for name in ("design_return_period", "inlet_time", "min_velocity"):
            v = getattr(self, name)
            if not (np.isfinite(v) and v > 0):
                raise ConfigError(f"{name} must be positive, got {v}.", field=name)
        for name in ("default_runoff_coeff", "impervious_runoff_coeff", "pervious_runoff_coeff"):
            v = getattr(self, name)
            if not 0 <= v <= 1:
                raise ConfigError(f"{name} must be in [0, 1], got {v}.", field=name)
        if self.max_inlet_distance is not None and not self.max_inlet_distance > 0:
            raise ConfigError("max_inlet_distance must be positive (or None).",
                              field="max_inlet_distance")
        if len(self.class_bounds) != 4 or list(self.class_bounds) != sorted(self.class_bounds):
            raise ConfigError("class_bounds must be 4 increasing return periods.",
                              field="class_bounds")


def runoff_from_imperviousness(imperviousness: np.ndarray | float,
                               settings: CapacitySettings | None = None) -> np.ndarray:
    """ψ = ψ_imp·imp + ψ_perv·(1 − imp) (see :class:`CapacitySettings`)."""
    s = settings or CapacitySettings()
    imp = np.asarray(imperviousness, dtype=np.float64)
    return s.impervious_runoff_coeff * imp + s.pervious_runoff_coeff * (1.0 - imp)


def capacity_class(period: np.ndarray, bounds: tuple[float, ...] = (1.0, 2.0, 3.0, 5.0)
                   ) -> np.ndarray:
    """Class label of each capacity return period (``unknown`` for NaN)."""
    p = np.asarray(period, dtype=np.float64)
    k = np.searchsorted(np.asarray(bounds), np.nan_to_num(p, nan=0.0), side="right")
    labels = np.array(CAPACITY_CLASSES, dtype=object)[np.minimum(k, len(CAPACITY_CLASSES) - 1)]
    return np.where(np.isnan(p), UNKNOWN_CLASS, labels).astype(object)


# ---- catchments of the nodes ------------------------------------------------------------
def node_catchments(net: DrainageNetwork, *, subcatchments: gpd.GeoDataFrame | None = None,
                    dem: Grid | None = None, landcover: gpd.GeoDataFrame | None = None,
                    settings: CapacitySettings | None = None) -> pd.DataFrame:
    """Each node's own catchment area and runoff coefficient.

    Parameters
    ----------
    net
        The network.
    subcatchments
        Subcatchments (``outlet``, ``area`` m², ``runoff_coeff`` or ``imperviousness``);
        default the network's own. Used when present.
    dem
        Terrain for the nearest-inlet split, used when there are no subcatchments.
    landcover
        Polygons with ``runoff_coeff`` or ``imperviousness`` giving ψ per DEM cell in the
        terrain split (cells outside them: the default ψ).
    settings
        :class:`CapacitySettings`.

    Returns
    -------
    DataFrame
        ``node_id``, ``area`` (m²), ``runoff_coeff`` (NaN where the area is 0), in the
        nodes layer's order; ``attrs["source"]`` says where the figures came from.
    """
    s = settings or CapacitySettings()
    node_ids = net.nodes["node_id"].to_numpy()
    n = len(node_ids)
    subs = subcatchments if subcatchments is not None else net.subcatchments
    if subs is not None and len(subs):
        at = pd.Index(node_ids).get_indexer(subs["outlet"].to_numpy())
        if (at < 0).any():
            bad = subs.iloc[:, 0][at < 0].astype(str).tolist()
            raise InputError("subcatchment outlets are not nodes of the network.",
                             layer="subcatchments", field="outlet", feature=bad)
        area = (np.array(pd.to_numeric(subs["area"], errors="coerce"), dtype=np.float64)
                if "area" in subs.columns else np.full(len(subs), np.nan))
        no_area = np.isnan(area)
        if no_area.any():
            area[no_area] = subs.geometry[no_area].area.to_numpy()
        psi = _extra(subs, "runoff_coeff", np.nan)
        imp = _extra(subs, "imperviousness", np.nan)
        psi = np.where(np.isnan(psi), runoff_from_imperviousness(imp, s), psi)
        psi = np.where(np.isnan(psi), s.default_runoff_coeff, psi)
        a = np.bincount(at, weights=area, minlength=n)
        pa = np.bincount(at, weights=area * psi, minlength=n)
        source = "subcatchments"
    elif dem is not None:
        a, pa = _terrain_split(net, dem, landcover, s)
        source = "terrain"
    else:
        raise InputError("no subcatchments and no DEM: the catchments of the nodes are "
                         "unknown.", layer="subcatchments",
                         hint="Give a subcatchments layer, or a DEM for the nearest-inlet split.")
    with np.errstate(invalid="ignore", divide="ignore"):
        out = pd.DataFrame({"node_id": node_ids, "area": a,
                            "runoff_coeff": np.where(a > 0, pa / a, np.nan)})
    out.attrs["source"] = source
    return out


def inlet_cells(net: DrainageNetwork, dem: Grid, settings: CapacitySettings | None = None
                ) -> np.ndarray:
    """The nearest-inlet split of the terrain: for each DEM cell, the index (in the nodes
    layer) of the nearest junction, or -1 outside the domain or beyond
    ``settings.max_inlet_distance``.

    Parameters
    ----------
    net
        The network.
    dem
        Terrain whose cells are split.
    settings
        :class:`CapacitySettings`.
    """
    s = settings or CapacitySettings()
    nodes = net.nodes
    inlet = (nodes["kind"] == "junction").to_numpy() & nodes.geometry.notna().to_numpy()
    if not inlet.any():
        raise InputError("no junction with a location to split the terrain between.",
                         layer="nodes")
    which = np.flatnonzero(inlet)
    g = nodes.geometry.to_numpy()[inlet]
    tree = cKDTree(np.column_stack([shapely.get_x(g), shapely.get_y(g)]))
    out = np.full(dem.shape[0] * dem.shape[1], -1, dtype=np.int32)
    valid = np.flatnonzero(dem.valid.ravel())
    cols = dem.shape[1]
    xs, ys = dem.cell_centres()
    bound = s.max_inlet_distance if s.max_inlet_distance is not None else np.inf
    for start in range(0, len(valid), 2_000_000):  # bounded memory on city-size grids
        cells = valid[start:start + 2_000_000]
        pts = np.column_stack([xs[cells % cols], ys[cells // cols]])
        _, near = tree.query(pts, distance_upper_bound=bound, workers=-1)
        hit = near < len(which)
        out[cells[hit]] = which[near[hit]]
    return out.reshape(dem.shape)


def runoff_coefficient_grid(dem: Grid, landcover: gpd.GeoDataFrame | None,
                            settings: CapacitySettings | None = None) -> np.ndarray:
    """Runoff coefficient ψ of every DEM cell from the land-cover polygons (their
    ``runoff_coeff``, else ψ from ``imperviousness``); the default ψ where none covers a
    cell.

    Parameters
    ----------
    dem
        The grid to rasterise onto.
    landcover
        Land-cover polygons, or None for the default everywhere.
    settings
        :class:`CapacitySettings`.
    """
    from rasterio.features import rasterize

    s = settings or CapacitySettings()
    if landcover is None or not len(landcover):
        return np.full(dem.shape, s.default_runoff_coeff)
    psi = _extra(landcover, "runoff_coeff", np.nan)
    imp = _extra(landcover, "imperviousness", np.nan)
    psi = np.where(np.isnan(psi), runoff_from_imperviousness(imp, s), psi)
    shapes = [(geom, float(v)) for geom, v in zip(landcover.geometry, psi)
              if geom is not None and not geom.is_empty and np.isfinite(v)]
    if not shapes:
        return np.full(dem.shape, s.default_runoff_coeff)
    grid = rasterize(shapes, out_shape=dem.shape, transform=dem.transform, fill=np.nan,
                     dtype="float64")
    return np.where(np.isnan(grid), s.default_runoff_coeff, grid)


def _terrain_split(net: DrainageNetwork, dem: Grid, landcover: gpd.GeoDataFrame | None,
                   s: CapacitySettings) -> tuple[np.ndarray, np.ndarray]:
    n = len(net.nodes)
    to = inlet_cells(net, dem, s).ravel()
    psi = runoff_coefficient_grid(dem, landcover, s).ravel()
    hit = to >= 0
    a = np.bincount(to[hit], minlength=n) * dem.cell_area
    pa = np.bincount(to[hit], weights=psi[hit], minlength=n) * dem.cell_area
    return a.astype(np.float64), pa


def node_drain_rates(pipe_capacity: gpd.GeoDataFrame, node_ids: np.ndarray) -> np.ndarray:
    """The rain rate (m/s) each node's outgoing pipes can carry away from everything
    upstream: Σ Q_full / (ψ·F) over the conduits leaving the node, with ψ·F their
    accumulated upstream runoff area. 0 for nodes with no assessed outgoing conduit.

    Rain falling faster than this on the node's catchment cannot enter the network at
    full-bore flow; the screening treats the excess as surface runoff.

    Parameters
    ----------
    pipe_capacity
        The layer :func:`assess_capacity` returns.
    node_ids
        Node ids in the order wanted (the nodes layer's).
    """
    pc = pipe_capacity
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = (pc["full_capacity"] / (pc["runoff_coeff"] * pc["catchment_area"])).to_numpy(
            dtype=np.float64)
    at = pd.Index(node_ids).get_indexer(pc["from_node"].to_numpy())
    keep = np.isfinite(rate) & (rate > 0) & (at >= 0)
    return np.bincount(at[keep], weights=rate[keep], minlength=len(node_ids))


# ---- accumulation -----------------------------------------------------------------------
def _edge_capacity(net: DrainageNetwork, top: Topology) -> tuple[np.ndarray, np.ndarray]:
    """Full capacity (m³/s, all barrels) and full velocity (m/s) of every edge in flow
    direction (pumps: rated capacity, velocity NaN; regulators: NaN)."""
    ne = len(top.src)
    nc = len(net.conduits)
    cap = np.full(ne, np.nan)
    vel = np.full(ne, np.nan)
    if nc:
        c = net.conduits
        sec = _sections(c)
        fall = top.up_invert[:nc] - top.down_invert[:nc]
        fall = np.where(np.abs(fall) < 1e-9, 0.0, fall)   # level ends added up differently
        with np.errstate(invalid="ignore", divide="ignore"):
            slope = fall / top.length[:nc]
        q1 = full_flow_capacity(**sec, roughness=c["roughness"].to_numpy(dtype=np.float64),
                                slope=slope)
        area, _ = section_full(**sec)
        barrels = np.nan_to_num(_extra(c, "barrels", 1.0), nan=1.0)
        cap[:nc] = q1 * barrels
        with np.errstate(invalid="ignore", divide="ignore"):
            vel[:nc] = q1 / area
    pump = top.kind == "pump"
    if pump.any():
        cap[pump] = net.pumps["capacity"].to_numpy(dtype=np.float64)[top.row[pump]]
    return cap, vel


def _ranges(indptr: np.ndarray, which: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(indptr[k], indptr[k+1])`` for k in ``which``."""
    starts = indptr[which]
    counts = indptr[which + 1] - starts
    total = int(counts.sum())
    if not total:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(starts - np.cumsum(counts) + counts, counts)
    return offsets + np.arange(total)


def accumulate(net: DrainageNetwork, catchments: pd.DataFrame, formula: StormFormula,
               settings: CapacitySettings | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sum catchments down the network and work out the time of concentration.

    Parameters
    ----------
    net
        The network.
    catchments
        Each node's own catchment: ``node_id``, ``area`` (m²), ``runoff_coeff``
        (as :func:`node_catchments` returns; missing nodes have none).
    formula
        Storm formula (for the flow pumps pass on at the design return period).
    settings
        :class:`CapacitySettings`.

    Returns
    -------
    (nodes, links)
        ``nodes``: node_id, ``local_area`` and ``upstream_area`` (m², the node's own and
        everything collected there), ``runoff_coeff``, ``time_of_concentration`` (min),
        ``pumped_flow`` (m³/s). ``links`` (conduits, pumps, regulators in flow
        direction): link_id, kind, from_node, to_node, ``share`` of the upstream node's
        collection it carries, ``catchment_area`` (m²), ``runoff_coeff``,
        ``time_of_concentration`` (min, at its upstream end), ``pumped_flow`` (m³/s),
        ``travel_time`` (min), ``full_capacity`` (m³/s), ``full_velocity`` (m/s),
        ``in_cycle``.
    """
    s = settings or CapacitySettings()
    top = topology(net)
    n = top.n_nodes
    ne = len(top.src)
    at = pd.Index(top.node_ids).get_indexer(catchments["node_id"].to_numpy())
    keep = at >= 0
    a_loc = np.bincount(at[keep], weights=np.nan_to_num(
        catchments["area"].to_numpy(dtype=np.float64)[keep]), minlength=n)
    psi = catchments["runoff_coeff"].to_numpy(dtype=np.float64)[keep]
    psi = np.where(np.isnan(psi), s.default_runoff_coeff, psi)
    pa_loc = np.bincount(at[keep], weights=np.nan_to_num(
        catchments["area"].to_numpy(dtype=np.float64)[keep]) * psi, minlength=n)

    cap, vel = _edge_capacity(net, top)
    kind = top.kind
    is_pump = kind == "pump"
    is_reg = ~is_pump & (kind != "conduit")
    travel = np.where(kind == "conduit",
                      top.length / (60.0 * np.fmax(np.nan_to_num(vel, nan=0.0), s.min_velocity)),
                      0.0)

    # strongly connected components: loops become one node of a DAG
    adj = sparse.csr_matrix((np.ones(ne, dtype=np.int8), (top.src, top.dst)), shape=(n, n))
    ncomp, comp = csgraph.connected_components(adj, directed=True, connection="strong")
    csrc, cdst = comp[top.src], comp[top.dst]
    ext = csrc != cdst
    size = np.bincount(comp, minlength=ncomp)
    in_cycle = ~ext & (size[csrc] > 1)

    # shares of each component's collection among its outgoing (external) links
    weight = np.where(ext & ~is_reg, np.nan_to_num(cap, nan=0.0), 0.0)
    total = np.bincount(csrc, weights=weight, minlength=ncomp)
    primary = ext & ~is_reg
    n_primary = np.bincount(csrc[primary], minlength=ncomp)
    n_ext = np.bincount(csrc[ext], minlength=ncomp)
    share = np.zeros(ne)
    pos = ext & (total[csrc] > 0)
    share[pos] = weight[pos] / total[csrc[pos]]
    eq = ext & (total[csrc] == 0)
    eq_primary = eq & primary
    share[eq_primary] = 1.0 / n_primary[csrc[eq_primary]]
    eq_rest = eq & (n_primary[csrc] == 0)
    share[eq_rest] = 1.0 / n_ext[csrc[eq_rest]]
    # street inlets (dual-drainage models) take everything their node collects: the
    # assessment is of the pipes, the street conduits beside them are the overflow
    inlet = ext & (kind == "inlet")
    n_inlet = np.bincount(csrc[inlet], minlength=ncomp)
    has_inlet = ext & (n_inlet[csrc] > 0)
    share[has_inlet] = 0.0
    share[inlet] = 1.0 / n_inlet[csrc[inlet]]
    share[in_cycle] = 1.0

    # component state
    A = np.bincount(comp, weights=a_loc, minlength=ncomp)
    PA = np.bincount(comp, weights=pa_loc, minlength=ncomp)
    QF = np.zeros(ncomp)
    T = np.full(ncomp, s.inlet_time, dtype=np.float64)
    capped = is_pump & np.isfinite(cap)

    # edges grouped by their source component (CSR), external edges counted for Kahn
    order = np.argsort(csrc, kind="stable")
    indptr = np.searchsorted(csrc[order], np.arange(ncomp + 1))
    indeg = np.bincount(cdst[ext], minlength=ncomp)
    e_area = np.zeros(ne)
    e_parea = np.zeros(ne)
    e_qf = np.zeros(ne)
    e_time = np.zeros(ne)
    frontier = np.flatnonzero(indeg == 0)
    done = 0
    while len(frontier):
        done += len(frontier)
        e = order[_ranges(indptr, frontier)]
        u = csrc[e]
        sh = share[e]
        e_area[e] = A[u] * sh
        e_parea[e] = PA[u] * sh
        e_qf[e] = QF[u] * sh
        e_time[e] = T[u]
        x = e[ext[e]]
        if not len(x):
            break
        v = cdst[x]
        pumped = capped[x]
        if pumped.any():
            p = x[pumped]
            q = (formula.intensity(s.design_return_period, e_time[p]) * e_parea[p] / 1e7
                 + e_qf[p])
            np.add.at(QF, v[pumped], np.minimum(q, cap[p]))
        g = x[~pumped]
        vg = v[~pumped]
        np.add.at(A, vg, e_area[g])
        np.add.at(PA, vg, e_parea[g])
        np.add.at(QF, vg, e_qf[g])
        np.maximum.at(T, vg, e_time[g] + travel[g])
        np.subtract.at(indeg, v, 1)
        cand = np.unique(v)
        frontier = cand[indeg[cand] == 0]
    assert done == ncomp, "internal error: the condensed graph is not acyclic"

    with np.errstate(invalid="ignore", divide="ignore"):
        node_psi = np.where(A[comp] > 0, PA[comp] / A[comp], np.nan)
        edge_psi = np.where(e_area > 0, e_parea / e_area, np.nan)
    nodes = pd.DataFrame({"node_id": top.node_ids, "local_area": a_loc,
                          "upstream_area": A[comp], "runoff_coeff": node_psi,
                          "time_of_concentration": T[comp], "pumped_flow": QF[comp]})
    links = pd.DataFrame({"link_id": top.link_id, "kind": kind,
                          "from_node": top.node_ids[top.src], "to_node": top.node_ids[top.dst],
                          "share": share, "catchment_area": e_area, "runoff_coeff": edge_psi,
                          "time_of_concentration": e_time, "pumped_flow": e_qf,
                          "travel_time": travel, "full_capacity": cap, "full_velocity": vel,
                          "in_cycle": in_cycle, "reversed": top.reversed})
    return nodes, links


def assess_capacity(net: DrainageNetwork, formula: StormFormula, *,
                    settings: CapacitySettings | None = None,
                    catchments: pd.DataFrame | None = None,
                    subcatchments: gpd.GeoDataFrame | None = None, dem: Grid | None = None,
                    landcover: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """Design flow, capacity and capacity return period of every conduit.

    Parameters
    ----------
    net
        The network.
    formula
        Storm-intensity formula of the city.
    settings
        :class:`CapacitySettings` (design return period, inlet time ...).
    catchments
        Each node's own catchment (``node_id``, ``area`` m², ``runoff_coeff``); default
        :func:`node_catchments` from ``subcatchments`` (or the network's), else from
        ``dem`` and ``landcover``.
    subcatchments, dem, landcover
        As for :func:`node_catchments`.

    Returns
    -------
    GeoDataFrame
        The ``pipe_capacity`` layer, one row per conduit with its geometry: ``link_id``,
        ``from_node``, ``to_node`` (flow direction), ``reversed``, ``catchment_area``
        (m²), ``runoff_coeff``, ``time_of_concentration`` (min), ``pumped_flow``,
        ``design_flow``, ``full_capacity`` (m³/s), ``full_velocity`` (m/s),
        ``capacity_ratio``, ``capacity_return_period`` (years), ``capacity_class``,
        ``in_cycle``. ``attrs`` hold the design return period and the formula's name.
    """
    s = settings or CapacitySettings()
    if catchments is None:
        catchments = node_catchments(net, subcatchments=subcatchments, dem=dem,
                                     landcover=landcover, settings=s)
    _, links = accumulate(net, catchments, formula, s)
    nc = len(net.conduits)
    L = links.iloc[:nc].reset_index(drop=True)
    t = L["time_of_concentration"].to_numpy()
    parea = (L["catchment_area"] * L["runoff_coeff"].fillna(0.0)).to_numpy()
    qf = L["pumped_flow"].to_numpy()
    qcap = L["full_capacity"].to_numpy()
    q_rational = formula.intensity(s.design_return_period, t) * parea / 1e7   # L/s → m³/s
    design = q_rational + qf
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = design / qcap
        q_full = (qcap - qf) * 1e7 / parea    # L/(s·hm²)
        period = np.where(parea > 0, formula.return_period(q_full, t),
                          np.where(qcap >= qf, np.inf, 0.0))
    period = np.where(np.isfinite(qcap) & (parea > 0) & (qcap <= qf), 0.0, period)
    period = np.where(np.isnan(qcap), np.nan, period)
    out = gpd.GeoDataFrame({
        "link_id": L["link_id"].to_numpy(), "from_node": L["from_node"].to_numpy(),
        "to_node": L["to_node"].to_numpy(), "reversed": L["reversed"].to_numpy(),
        "catchment_area": L["catchment_area"].to_numpy(),
        "runoff_coeff": L["runoff_coeff"].to_numpy(), "time_of_concentration": t,
        "pumped_flow": qf, "design_flow": design, "full_capacity": qcap,
        "full_velocity": L["full_velocity"].to_numpy(), "capacity_ratio": ratio,
        "capacity_return_period": period,
        "capacity_class": capacity_class(period, s.class_bounds),
        "in_cycle": L["in_cycle"].to_numpy(),
    }, geometry=net.conduits.geometry.reset_index(drop=True), crs=net.crs)
    out.attrs.update(design_return_period=s.design_return_period,
                     formula=formula.name or "storm formula",
                     catchments=catchments.attrs.get("source", "given"))
    return out
