"""The 1D-2D coupled engine: EPA SWMM pipes exchanging water with the 2D surface model.

:func:`simulate_coupled` runs a study's storm on the 2D grid (:class:`SurfaceModel`,
DOMAIN.md §7) while the pipes alone (:func:`floodrisk.engines.swmm.build_model` with
``runoff=False``: no subcatchments, no rain in SWMM, so no water is counted twice) route
what the inlets take, and puts back on the surface what the network cannot hold.

Linking
-------
Every junction (a manhole with its street inlets) and every storage node is linked to one
surface cell: the cell holding it, or, for junctions, the lowest domain cell whose centre
lies within :attr:`CoupledSettings.inlet_radius` of it (road inlets sit in the gutter next
to their manhole). Storage nodes (wet wells, tanks) only spill: they have no street inlet.
Outfalls are not linked (they are the network's boundary).

Exchange (every coupling step, vectorised over the linked nodes)
----------------------------------------------------------------
With h the depth in the node's cell, η = ground + h the water level there and H the node's
head (SWMM's, at the start of the step):

- **surface → pipe** when η > H and the cell is wetter than ``exchange_depth``: the
  smaller of the weir flow
  ``c_w P h √(2 g h)`` (H below the ground; submerged ``c_sw P h √(2 g (η - H))`` above
  it) and the orifice flow ``c_o A √(2 g (η - max(H, ground)))``, P the weir length and A
  the opening of the node's inlets (Itzi's linkage equations, after Rubinato et al.
  2017), reduced by the scenario's inlet blockage, at most the inlet capture capacity,
  and at most what the cell holds over the longest the step can last (cells shared by
  several nodes share that limit);
- **pipe → surface**: SWMM's own node overflow (ALLOW_PONDING is off: water above the
  rim leaves the node as flooding), integrated over every routing step and put into the
  linked cell. A node at its rim (surcharged) under ponded water takes the inlet flow and
  spills what the pipes cannot carry in the same routing step: the net exchange is then
  the pipes' excess. An earlier rule that shut a spilling node's inlet for the next step
  made the node pulse between taking and spilling, and its net exchange depended on the
  coupling step (59 / 66 / 105 m³ at 1 / 2 / 5 s in the test's pond; 105.2 / 105.5 /
  105.2 m³ without the rule).

The inflow rates go to SWMM with ``swmm_setNodeInflow`` (the toolkit call pyswmm's
``generated_inflow`` makes) through ctypes, and heads and overflows are read with
``swmm_getValue``, both in a numba loop (DESIGN.md: 8 ns a node instead of µs).

Time loop
---------
At time t the rates are worked out from both models' states; SWMM then takes routing
steps (each at most ``routing_step``, which is set no longer than the coupling step) until
it reaches t + coupling step, ending at t₁; the surface gives up exactly rate × (t₁ - t)
at each linked cell, receives the overflow SWMM produced over those steps, and is advanced
to t₁. Both models are then at the same time. The coupling step is a setting (default
2 s, or ``"surface"``: the surface model's last CFL step, Itzi's choice).

Pump stations
-------------
A station fails when the water level in its cell rises above its ``equipment_elev``
(DOMAIN.md §6): its pumps are switched off for the rest of the run and the time is
recorded. SWMM turns pumps back on at their startup depth whatever a toolkit call set, so
the switch is an SWMM control rule per station whose condition is the depth of a small
unconnected flag node (1 m², ``FR_FAIL_<n>``); the engine fills the flag node to fail the
station. That water is not part of the system (it is left out of the balance).

Volume balance
--------------
One balance for surface and pipes together::

    rain + pipe inflows + initial surface + initial pipes
        = outfalls + boundary outflow + losses + final surface + final pipes + error

The exchange is counted on each side (what the surface gave minus what it received, and
the volumes the engine passed to and took from SWMM); the two totals agree to round-off.
SWMM's own totals of external inflow and flooding are reported beside them.

Limits
------
- Inlets: the data have no inlet layer yet, so every junction gets ``inlets_per_node``
  grates of one geometry (:class:`CoupledSettings`); the weir and orifice coefficients
  are Itzi's defaults, not calibrated here.
- Pipe → surface is SWMM's overflow (heads capped at the rim unless the node has a
  surcharge depth); a node pressurised above the ground by a surcharge depth returns
  nothing until it overflows its rim + surcharge depth.
- Cost: :meth:`SurfaceModel.add_volume` loops over cells in Python (about 2 µs a cell),
  which is most of the exchange time (0.8 ms of 1 ms per exchange for the demo's 360
  nodes).

Processes
---------
pyswmm holds one simulation per process, so by default the whole coupled loop runs in a
fresh Python process (``python -m floodrisk.engines._coupled_worker``) that reads the
prepared job and writes the result into a temporary folder: a caller can run several in a
row. ``CoupledSettings(process="inline")`` runs it in the caller's process (one per
process).
"""

from __future__ import annotations

import ctypes
import dataclasses
import glob
import logging
import math
import os
import pickle
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..errors import InputError, SimulationError
from ..grid import Grid
from ..scenario import Scenario
from ..surface_inputs import (
    SurfaceInputs,
    entrance_probes,
    surface_grids,
)
from ._child import child_env, run_child
from . import _exchange as X
from .surface import ConstantLoss, RunStats, SurfaceModel, SurfaceResult, SurfaceSettings
from .swmm import SwmmSettings, build_model

__all__ = ["CoupledBalance", "CoupledResult", "CoupledSettings", "simulate_coupled"]

log = logging.getLogger(__name__)

Progress = Callable[[float, float], None]

#: SWMM 5.2 toolkit property codes for ``swmm_getValue`` (swmm5.h).
_NODE_HEAD = 304
_NODE_OVERFLOW = 308
_LINK_FLOW = 410
#: Depth of a flag node that switches its station's pumps off, m.
_FLAG_DEPTH = 0.5
#: Inflow that fills a flag node past that depth within one routing step, m³/s (1 m²).
_FLAG_FLOW = 1.0


# ---------------------------------------------------------------------------------------
# Settings
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CoupledSettings:
    """How the coupled engine links and steps the two models; every default's source.

    Parameters
    ----------
    coupling_step
        Seconds between exchanges (fixed, 1-5 s typical; project default 2 s: the test in
        ``tests/test_coupled.py`` measures its effect), or ``"surface"``: every surface
        CFL step (Itzi's choice; SWMM's routing step then bounds it from below).
    weir_coefficient
        c_w of the free weir ``c_w P h √(2gh)``: 0.54, Itzi's default after the
        calibration of Rubinato et al. (2017) [verify against the paper].
    submerged_weir_coefficient
        c_sw of the submerged weir ``c_sw P h √(2gΔh)``: 0.056, same source [verify].
    orifice_coefficient
        c_o of the orifice ``c_o A √(2gΔh)``: 0.167, same source [verify].
    inlet_perimeter
        Weir length of one inlet, m: 2.4 m, the rim of a 750 × 450 mm grate (the common
        Chinese flat-grate inlet, 16S518 [verify]).
    inlet_area
        Opening of one inlet, m²: 0.3375 m² (750 × 450 mm, bars not deducted).
    inlets_per_node
        Inlets draining into a junction whose ``inlets`` field is empty (project
        default 1).
    inlet_capacity
        Capture capacity of a junction whose ``inlet_capacity`` field is empty, m³/s: a
        number, or None (default): no limit beyond the weir and orifice laws; or
        ``{node_id: m³/s}``, which overrides the field for those nodes (others: the field,
        else unlimited). DOMAIN.md §3 gives 20 / 35 / 50 L/s for single / double / triple
        grates [verify].
    inlet_radius
        A junction links to the lowest domain cell within this distance, m (project
        default 5 m: the gutter beside the manhole; 0: the cell holding it).
    linked_nodes
        Ids of the nodes linked to the surface; None (default): every junction and
        storage node. Others are sealed (a culvert's junctions, say).
    exchange_depth
        Depth below which a cell gives nothing to the pipes, m (0.001: the surface
        model's h_min, LISFLOOD-FP's depth threshold).
    boundaries
        Grid edges of the surface model (:func:`simulate_surface`); default closed, as the
        2D-only pipeline run.
    pump_failure
        Whether stations fail when water reaches their equipment (DOMAIN.md §6).
    surface
        :class:`SurfaceSettings` (blocked cells are set from the study's buildings).
    inputs
        :class:`SurfaceInputs` for roughness, buildings and infiltration; the pipe loss is
        never used here (the pipes are coupled).
    swmm
        :class:`SwmmSettings`; ``allow_ponding`` is forced off (the surface receives the
        flooding) and ``routing_step`` cut to the coupling step.
    process
        ``"child"`` (default): run in a fresh Python process (pyswmm holds one simulation
        per process); ``"inline"``: in this process.
    """

    coupling_step: float | Literal["surface"] = 2.0
    weir_coefficient: float = 0.54
    submerged_weir_coefficient: float = 0.056
    orifice_coefficient: float = 0.167
    inlet_perimeter: float = 2.4
    inlet_area: float = 0.3375
    inlets_per_node: float = 1.0
    inlet_capacity: float | Mapping[str, float] | None = None
    inlet_radius: float = 5.0
    linked_nodes: tuple[str, ...] | None = None
    exchange_depth: float = 0.001
    boundaries: str | Mapping[str, str] = "closed"
    pump_failure: bool = True
    surface: SurfaceSettings = field(default_factory=SurfaceSettings)
    inputs: SurfaceInputs = field(default_factory=lambda: SurfaceInputs(pipe_drainage=False))
    swmm: SwmmSettings = field(default_factory=SwmmSettings)
    process: Literal["child", "inline"] = "child"

    def __post_init__(self) -> None:
        def bad(name: str, need: str) -> None:
            raise InputError(f"{name} must be {need}, got {getattr(self, name)!r}.",
                             field=name)

        def pos(v: Any) -> bool:
            return (isinstance(v, (int, float)) and not isinstance(v, bool)
                    and math.isfinite(v) and v > 0)

        cs = self.coupling_step
        if not (cs == "surface" or (pos(cs) and cs <= 60)):
            bad("coupling_step", "a number of seconds in (0, 60] or 'surface'")
        for name in ("weir_coefficient", "submerged_weir_coefficient", "orifice_coefficient",
                     "inlet_perimeter", "inlet_area", "exchange_depth"):
            if not pos(getattr(self, name)):
                bad(name, "a positive number")
        if not (isinstance(self.inlets_per_node, (int, float)) and self.inlets_per_node >= 0):
            bad("inlets_per_node", "≥ 0")
        if not (isinstance(self.inlet_radius, (int, float)) and self.inlet_radius >= 0):
            bad("inlet_radius", "≥ 0 m")
        cap = self.inlet_capacity
        if isinstance(cap, Mapping):
            if any(not (float(v) >= 0) for v in cap.values()):
                bad("inlet_capacity", "≥ 0 m³/s for every node")
            object.__setattr__(self, "inlet_capacity",
                               {str(k): float(v) for k, v in cap.items()})
        elif cap is not None and not (isinstance(cap, (int, float)) and cap >= 0):
            bad("inlet_capacity", "None, a flow ≥ 0 m³/s or a mapping of node ids to flows")
        if self.linked_nodes is not None:
            object.__setattr__(self, "linked_nodes", tuple(str(k) for k in self.linked_nodes))
        if self.process not in ("child", "inline"):
            bad("process", "'child' or 'inline'")
        for name, kind in (("surface", SurfaceSettings), ("inputs", SurfaceInputs),
                           ("swmm", SwmmSettings)):
            if not isinstance(getattr(self, name), kind):
                bad(name, f"a {kind.__name__}")


# ---------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CoupledBalance:
    """Volumes of the whole system, m³.

    ``rain + inflow + surface_initial + pipe_initial = outfall_outflow + boundary_outflow
    + losses + surface_final + pipe_final + error``.

    Parameters
    ----------
    rain
        Rain on the surface domain.
    inflow
        Water put into pipe nodes (``node_inflows``).
    boundary_outflow, losses
        Water that left the surface through open edges, and infiltration.
    outfall_outflow
        Water that left the pipes through outfalls (SWMM's routing totals).
    surface_initial, surface_final, pipe_initial, pipe_final
        Water stored on the surface and in the pipes (nodes and links) at the start and end.
    drained, spilled
        Surface → pipe and pipe → surface totals as passed to and taken from SWMM.
    exchange_pipe_side
        ``drained - spilled``: the net exchange counted on the pipe side.
    exchange_surface_side
        Net water the surface gave to the pipes, as its own ledger counted it.
    swmm_external_inflow, swmm_flooding
        SWMM's own totals of the inflow the engine set (flag nodes and ``inflow``
        excluded) and of node flooding, for comparison with ``drained`` and ``spilled``.
    swmm_routing_error
        SWMM's flow routing continuity error, %.
    error
        The residual of the balance.
    relative_error
        ``error / (rain + inflow + surface_initial + pipe_initial)``.
    """

    rain: float
    inflow: float
    boundary_outflow: float
    losses: float
    outfall_outflow: float
    surface_initial: float
    surface_final: float
    pipe_initial: float
    pipe_final: float
    drained: float
    spilled: float
    exchange_pipe_side: float
    exchange_surface_side: float
    swmm_external_inflow: float
    swmm_flooding: float
    swmm_routing_error: float
    error: float
    relative_error: float


@dataclass(frozen=True, eq=False)
class CoupledResult:
    """What a coupled run produced.

    Every attribute of the :class:`SurfaceResult` (``max_depth``, ``probes``,
    ``to_grid`` ...) is available on this object too.

    Parameters
    ----------
    surface
        The surface model's result (its ``volume`` books the exchange as ``exchange``).
    nodes
        One row per linked node: ``node_id``, ``kind``, ``row``, ``col`` (its cell),
        ``drained_m3`` (surface → pipe), ``spilled_m3`` (pipe → surface), ``net_m3``
        (drained - spilled; at surcharged nodes both gross totals include water taken
        in and spilled again in the same step), ``max_head``
        (m), ``peak_inflow`` and ``peak_overflow`` (m³/s, over the coupling steps).
    series
        Frames indexed by time (s), one column per linked node, at the first coupling time
        of each output interval and at the end: ``"head"`` (m) and ``"depth"`` (depth in
        the linked cell, m) then; ``"overflow"`` (pipe → surface, m³/s, mean over the
        coupling step that ended then); ``"exchange"`` (net surface → pipe flow, m³/s:
        the inflow set then for the next step, worked out from that head and depth, minus
        that overflow).
    pumps
        One row per station: ``station_id``, ``equipment_elev``, ``max_level`` (water
        level reached in its cell, m), ``failed_at`` (s; NaN: did not fail), ``cause``
        (``"flooded"`` or ``"scenario"``), ``flow_after_failure`` (the most its pumps
        delivered at the end of any coupling step from two routing steps after a
        flood failure, m³/s: 0 when the switch worked; NaN without such a failure).
    volume
        :class:`CoupledBalance`.
    timings
        ``surface_s``, ``drainage_s``, ``exchange_s``, ``total_s`` (the loop) and
        ``setup_s`` (building both models), ``process_s`` (wall time seen by the caller).
    coupling_steps
        Exchanges made.
    notes
        What the engine decided (links, failures), one line each.
    settings
        The settings used.
    model
        The SWMM input file that was coupled (no subcatchments: the rain falls on the
        surface; flag nodes ``FR_FAIL_n`` and their control rules switch failed stations'
        pumps off).
    report
        SWMM's report of that run (continuity, node and link summaries).
    """

    surface: SurfaceResult
    nodes: pd.DataFrame
    series: Mapping[str, pd.DataFrame]
    pumps: pd.DataFrame
    volume: CoupledBalance
    timings: Mapping[str, float]
    coupling_steps: int
    notes: tuple[str, ...]
    settings: CoupledSettings
    model: str = ""
    report: str = ""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name == "surface":
            raise AttributeError(name)
        return getattr(self.surface, name)

    @property
    def stats(self) -> RunStats:
        """The surface model's steps and cell-updates inside the coupled run."""
        return self.surface.stats

    def __repr__(self) -> str:
        v = self.volume
        return (f"CoupledResult({len(self.nodes)} linked nodes, {self.coupling_steps} "
                f"exchanges, drained {v.drained:.0f} m³, spilled {v.spilled:.0f} m³, "
                f"volume error {v.relative_error:.2e})")


# ---------------------------------------------------------------------------------------
# Preparation (caller's process)
# ---------------------------------------------------------------------------------------
def _lowest_within(z: np.ndarray, active: np.ndarray, grid: Grid, x: float, y: float,
                   radius: float) -> tuple[int, int] | None:
    """Lowest active cell whose centre is within ``radius`` of (x, y); the cell holding
    the point when radius is 0; None when there is none."""
    r0, c0 = grid.index(np.array([x]), np.array([y]))
    r0, c0 = int(r0[0]), int(c0[0])
    if radius <= 0:
        return (r0, c0) if r0 >= 0 and active[r0, c0] else None
    nr = math.ceil(radius / grid.dy) + 1
    nc = math.ceil(radius / grid.dx) + 1
    rows, cols = z.shape
    if r0 < 0:
        return None
    best, best_z = None, math.inf
    x0, ytop = grid.transform.c, grid.transform.f
    for r in range(max(r0 - nr, 0), min(r0 + nr + 1, rows)):
        yc = ytop - (r + 0.5) * grid.dy
        for c in range(max(c0 - nc, 0), min(c0 + nc + 1, cols)):
            if not active[r, c]:
                continue
            xc = x0 + (c + 0.5) * grid.dx
            near = (xc - x) ** 2 + (yc - y) ** 2 <= radius * radius + 1e-9
            if (near or (r, c) == (r0, c0)) and z[r, c] < best_z:
                best, best_z = (r, c), z[r, c]
    return best


def _prepare(study, scenario: Scenario, s: CoupledSettings,
             initial_depth: np.ndarray | None,
             node_inflows: Mapping[str, tuple[Any, Any]] | None = None) -> dict:
    """Everything the loop needs, as plain values (picklable for the child)."""
    notes: list[str] = []
    terrain = study.terrain
    si = dataclasses.replace(s.inputs, pipe_drainage=False)
    grids = surface_grids(study, si)
    manning, losses, blocked = grids.manning, grids.losses, grids.blocked
    surface_settings = dataclasses.replace(s.surface, blocked=blocked)
    z = np.asarray(terrain.values, dtype=np.float64)
    active = ~np.isnan(z)
    if blocked is not None:
        active &= ~blocked

    # ---- SWMM model of the pipes ----------------------------------------------------
    routing = s.swmm.routing_step
    if s.coupling_step != "surface":
        routing = min(routing, float(s.coupling_step))
    sw = dataclasses.replace(s.swmm, allow_ponding=False, routing_step=routing,
                             minimum_step=min(s.swmm.minimum_step, routing))
    build = build_model(study, scenario, sw, runoff=False)

    # ---- linked nodes -------------------------------------------------------------
    net = study.network
    nodes = net.nodes.reset_index(drop=True)
    kinds = nodes["kind"].astype(str).to_numpy()
    ids = nodes["node_id"].astype(str).to_numpy()
    b = scenario.inlet_blockage
    block = (lambda n: float(b.get(n, 0.0))) if isinstance(b, Mapping) else (lambda n: float(b))
    if isinstance(b, Mapping):
        unknown = [k for k in b if str(k) not in set(ids)]
        if unknown:
            raise InputError("inlet blockage names nodes that are not in the network.",
                             field="inlet_blockage", feature=unknown)
    cap = s.inlet_capacity
    if isinstance(cap, Mapping):
        unknown = [k for k in cap if k not in set(ids)]
        if unknown:
            raise InputError("inlet_capacity names nodes that are not in the network.",
                             field="inlet_capacity", feature=unknown)
    link = {k: [] for k in ("node_id", "kind", "row", "col", "perimeter", "area",
                            "capacity")}
    moved = 0
    chosen = None if s.linked_nodes is None else set(s.linked_nodes)
    if chosen is not None and chosen - set(ids):
        raise InputError("linked_nodes names nodes that are not in the network.",
                         field="linked_nodes", feature=sorted(chosen - set(ids)))
    def column(name: str) -> np.ndarray:
        if name not in nodes.columns:
            return np.full(len(nodes), np.nan)
        return pd.to_numeric(nodes[name], errors="coerce").to_numpy(dtype=np.float64)

    data_inlets, data_capacity = column("inlets"), column("inlet_capacity")
    for k_node, (nid, kind, g) in enumerate(zip(ids, kinds, nodes.geometry)):
        if kind not in ("junction", "storage") or g is None or g.is_empty:
            continue
        if chosen is not None and nid not in chosen:
            continue
        rc = _lowest_within(z, active, terrain, g.x, g.y,
                            s.inlet_radius if kind == "junction" else 0.0)
        if rc is None:
            r0, _ = terrain.index(np.array([g.x]), np.array([g.y]))
            if r0[0] < 0:
                raise InputError(f"node {nid} lies off the terrain grid; the coupled engine "
                                 "links every junction and storage node to a cell.",
                                 layer="nodes", feature=nid, field="geometry")
            rc = terrain.nearest_cell(g.x, g.y, active)
            moved += 1
        f = 1.0 - block(nid) if kind == "junction" else 0.0
        # inlets and capacity: the node's own data where given, else the settings (a
        # per-node capacity in the settings overrides the data)
        n_in = data_inlets[k_node]
        if not np.isfinite(n_in):
            n_in = s.inlets_per_node
        n_in = n_in if kind == "junction" else 0.0
        if isinstance(cap, Mapping) and nid in cap:
            c = cap[nid]
        elif np.isfinite(data_capacity[k_node]):
            c = float(data_capacity[k_node])
        else:
            c = math.inf if (cap is None or isinstance(cap, Mapping)) else float(cap)
        link["node_id"].append(nid)
        link["kind"].append(kind)
        link["row"].append(rc[0])
        link["col"].append(rc[1])
        link["perimeter"].append(n_in * s.inlet_perimeter * f)
        link["area"].append(n_in * s.inlet_area * f)
        link["capacity"].append(c * f if kind == "junction" else 0.0)
    if not link["node_id"]:
        raise InputError("the network has no junction or storage node to link to the "
                         "surface.", layer="nodes", field="kind")
    if moved:
        notes.append(f"{moved} nodes lie in blocked or NaN cells: linked to the nearest "
                     "domain cell")
    n_st = sum(1 for k in link["kind"] if k == "storage")
    notes.append(f"{len(link['node_id'])} nodes linked to the surface ({n_st} storage "
                 "nodes spill only)")

    # ---- stations ---------------------------------------------------------------------
    stations = []
    extra_storage, extra_rules = [], []
    st = net.stations.reset_index(drop=True) if len(net.stations) else None
    pumps = net.pumps.reset_index(drop=True) if net.pumps is not None else pd.DataFrame()
    if st is not None and len(pumps):
        elev = (st["equipment_elev"].to_numpy(dtype=float) if "equipment_elev" in st.columns
                else np.full(len(st), np.nan))
        height = (st["equipment_height"].to_numpy(dtype=float)
                  if "equipment_height" in st.columns else np.full(len(st), np.nan))
        for k, (sid, g) in enumerate(zip(st["station_id"].astype(str), st.geometry)):
            ps = list(pumps.loc[pumps["station_id"].astype(str) == sid, "pump_id"].astype(str))
            if not ps or g is None or g.is_empty:
                continue
            rc = _lowest_within(z, active, terrain, g.x, g.y, 0.0)
            if rc is None:
                rc = terrain.nearest_cell(g.x, g.y, active)
            level = elev[k]
            if not np.isfinite(level) and np.isfinite(height[k]):
                level = z[rc] + height[k]
            flag = f"FR_FAIL_{k}"
            pre = scenario.failed_stations.get(sid)
            stations.append({"station_id": sid, "row": rc[0], "col": rc[1],
                             "equipment_elev": float(level), "flag": flag, "pumps": ps,
                             "scenario_failed_at": None if pre is None else float(pre)})
            if s.pump_failure and np.isfinite(level):
                extra_storage.append(f"{flag} 0 10 0 FUNCTIONAL 0 0 1 0 0")
                extra_rules += [f"RULE FR_FAIL_{k}", f"IF NODE {flag} DEPTH > {_FLAG_DEPTH}",
                                f"THEN PUMP {ps[0]} STATUS = OFF"]
                extra_rules += [f"AND PUMP {p} STATUS = OFF" for p in ps[1:]]
                extra_rules += ["PRIORITY 9", ""]
    text = build.text
    if extra_storage:
        text += "\n[STORAGE]\n" + "\n".join(extra_storage) + "\n\n[CONTROLS]\n" + \
            "\n".join(extra_rules) + "\n"

    inflow_volume = 0.0
    if node_inflows:
        unknown = [k for k in node_inflows if str(k) not in set(ids)]
        if unknown:
            raise InputError("node_inflows names nodes that are not in the network.",
                             field="node_inflows", feature=unknown)
        rows_in, rows_ts = [], []
        dur = float(build.duration)
        for k, (nid, (tt, qq)) in enumerate(node_inflows.items()):
            tt = np.asarray(tt, dtype=np.float64)
            qq = np.asarray(qq, dtype=np.float64)
            if (tt.ndim != 1 or tt.shape != qq.shape or tt.size < 2 or np.any(np.diff(tt) <= 0)
                    or not np.all(np.isfinite(qq)) or np.any(qq < 0)):
                raise InputError(f"inflow at {nid}: give increasing times (s) and flows "
                                 "(≥ 0 m³/s) of the same length.", field="node_inflows",
                                 feature=str(nid))
            name = f"FR_INFLOW_{k}"
            rows_in.append(f"{nid} FLOW {name} FLOW 1.0 1.0")
            rows_ts += [f"{name} {t_ / 3600.0:.9f} {q_:.10g}" for t_, q_ in zip(tt, qq)]
            # SWMM interpolates the series linearly and holds nothing outside it
            te = np.clip(tt, 0.0, dur)
            qe = np.interp(te, tt, qq)
            inflow_volume += float(np.sum(0.5 * (qe[1:] + qe[:-1]) * np.diff(te)))
        text += ("\n[INFLOWS]\n" + "\n".join(rows_in) + "\n\n[TIMESERIES]\n"
                 + "\n".join(rows_ts) + "\n")
    probes = {k: (p.x, p.y) for k, p in entrance_probes(study.assets.entrances,
                                                          terrain).items()}
    if initial_depth is not None:
        initial_depth = np.asarray(initial_depth, dtype=np.float64)
    return {
        "terrain": terrain, "manning": manning,
        "losses": losses if np.any(losses > 0) else None,
        "rain": scenario.storm, "initial_depth": initial_depth,
        "boundaries": s.boundaries if isinstance(s.boundaries, str) else dict(s.boundaries),
        "surface_settings": surface_settings, "probes": probes,
        "inp": text, "duration": float(build.duration), "inflow_volume": inflow_volume, "routing_step": float(routing),
        "link": {k: np.asarray(v) for k, v in link.items()},
        "stations": stations, "coupling_step": s.coupling_step,
        "coef": (s.weir_coefficient, s.submerged_weir_coefficient, s.orifice_coefficient),
        "exchange_depth": s.exchange_depth, "pump_failure": s.pump_failure,
        "notes": notes + list(build.notes),
    }


# ---------------------------------------------------------------------------------------
# The loop (runs in the child, or inline)
# ---------------------------------------------------------------------------------------
def _swmm_library() -> ctypes.CDLL:
    """The SWMM engine pyswmm loaded (same library file, hence the same state)."""
    import swmm.toolkit
    here = os.path.dirname(swmm.toolkit.__file__)
    for pattern in ("libswmm5.so", "libswmm5.dylib", "swmm5.dll", "libswmm5*"):
        hits = glob.glob(os.path.join(here, pattern))
        if hits:
            return ctypes.CDLL(hits[0])
    raise SimulationError("the SWMM engine library of swmm-toolkit was not found beside "
                          f"{here}.", field="swmm")


def _pipe_storage(solver, node_idx: np.ndarray, link_count: int) -> float:
    from swmm.toolkit.shared_enum import LinkResult, NodeResult
    v = sum(solver.node_get_result(int(i), NodeResult.VOLUME.value) for i in node_idx)
    v += sum(solver.link_get_result(i, LinkResult.VOLUME.value) for i in range(link_count))
    return float(v)


def _run(job: dict, progress: Progress | None = None) -> dict:
    """Run the coupled loop of a prepared job; returns the pieces of the result."""
    t_start = time.perf_counter()
    from pyswmm import Simulation, SystemStats
    from swmm.toolkit import solver

    lib = _swmm_library()
    get_value = lib.swmm_getValue
    get_value.restype, get_value.argtypes = ctypes.c_double, [ctypes.c_int, ctypes.c_int]
    set_inflow = lib.swmm_setNodeInflow
    set_inflow.restype, set_inflow.argtypes = ctypes.c_int, [ctypes.c_int, ctypes.c_double]
    swmm_step = lib.swmm_step
    swmm_step.restype, swmm_step.argtypes = ctypes.c_int, [ctypes.POINTER(ctypes.c_double)]
    read, write = X.swmm_batch(get_value, set_inflow)

    losses = job["losses"]
    model = SurfaceModel(job["terrain"], job["manning"], rain=job["rain"],
                         initial_depth=job["initial_depth"], boundaries=job["boundaries"],
                         losses=None if losses is None else ConstantLoss(losses),
                         settings=job["surface_settings"])
    from shapely.geometry import Point
    cells = model.probe_cells({k: Point(*xy) for k, xy in job["probes"].items()})
    ss = model.settings
    g = ss.gravity
    link = job["link"]
    rows = link["row"].astype(np.int64)
    cols = link["col"].astype(np.int64)
    n = rows.size
    ground = np.asarray(model.grid.values, dtype=np.float64)[rows, cols]
    perim = link["perimeter"].astype(np.float64)
    area = link["area"].astype(np.float64)
    capacity = link["capacity"].astype(np.float64)
    flat = rows * model.depth.shape[1] + cols
    uniq, cell_of = np.unique(flat, return_inverse=True)
    cell_of = cell_of.astype(np.int64)
    demand = np.zeros(uniq.size)
    cw, csw, co = job["coef"]
    hmin = float(job["exchange_depth"])
    duration = job["duration"]
    step_c = job["coupling_step"]
    routing = job["routing_step"]
    stations = job["stations"]

    work = Path(tempfile.mkdtemp(prefix="floodrisk-coupled-"))
    inp, rpt, out = work / "model.inp", work / "model.rpt", work / "model.out"
    inp.write_text(job["inp"], encoding="utf-8")
    after: dict = {}
    interval = ss.output_interval
    rec_t: list[float] = []
    rec_head, rec_ex, rec_ovf, rec_cell, rec_depth, rec_speed = [], [], [], [], [], []
    t_surface = t_drain = t_exchange = 0.0
    try:
        with Simulation(str(inp), str(rpt), str(out)) as sim:
            sim.add_after_end(lambda: after.update(
                routing_error=float(sim.flow_routing_error)))
            sim.start()
            n_nodes = solver.project_get_count(2)
            n_links = solver.project_get_count(3)
            index = {solver.project_get_id(2, i): i for i in range(n_nodes)}
            idx = np.array([index[k] for k in link["node_id"]], dtype=np.int32)
            flags = {st["flag"]: index[st["flag"]] for st in stations if st["flag"] in index}
            links = {solver.project_get_id(3, i): i for i in range(solver.project_get_count(3))}
            pump_idx = {st["station_id"]: [links[p] for p in st["pumps"] if p in links]
                        for st in stations}
            flow_after = {st["station_id"]: math.nan for st in stations}
            real = np.array([i for k, i in index.items() if k not in flags], dtype=np.int64)
            pipe_initial = _pipe_storage(solver, real, n_links)
            read(_NODE_HEAD, idx[:1], np.zeros(1))      # compile the ctypes loops now
            write(idx[:0], np.zeros(0))
            t_setup = time.perf_counter() - t_start

            head = np.zeros(n)
            q = np.zeros(n)
            ovf = np.zeros(n)
            ovf_vol = np.zeros(n)
            closed = np.zeros(n, dtype=np.uint8)
            drained = np.zeros(n)
            spilled = np.zeros(n)
            max_head = np.full(n, -np.inf)
            peak_in = np.zeros(n)
            peak_ovf = np.zeros(n)
            failed_at = {st["station_id"]: math.nan for st in stations}
            max_level = {st["station_id"]: -math.inf for st in stations}
            flag_on: list[int] = []
            flag_volume = 0.0
            last_dt = [float(routing)]
            el = ctypes.c_double(0.0)
            t = 0.0
            t_swmm = 0.0
            next_out = 0.0
            steps = 0
            ended = False

            def on_step(m: SurfaceModel, dt: float) -> None:
                last_dt[0] = dt

            ovf_rate = np.zeros(n)
            depth = np.zeros(n)

            def exchange_rates(t_now: float, horizon: float) -> None:
                depth[:] = model.depth[rows, cols]
                read(_NODE_HEAD, idx, head)
                np.maximum(max_head, head, out=max_head)
                X.inlet_rates(depth, ground, head, closed, perim, area, capacity, cw, csw, co,
                              g, hmin, cell_of, uniq.size, model.area, horizon, demand, q)

            def record(t_now: float) -> None:
                rec_t.append(t_now)
                rec_head.append(head.copy())
                rec_cell.append(depth.copy())
                rec_ex.append(q - ovf_rate)
                rec_ovf.append(ovf_rate.copy())
                d, v = model.sample(cells)
                rec_depth.append(d)
                rec_speed.append(v)

            while t < duration - 1e-9 and not ended:
                te = time.perf_counter()
                dt_c = float(step_c) if step_c != "surface" else last_dt[0]
                target = min(t + dt_c, duration)
                exchange_rates(t, (target - t) + routing + 1e-9)
                if t >= next_out - 1e-9:
                    record(t)
                    while next_out <= t + 1e-9:
                        next_out += interval
                write(idx, q)
                if job["pump_failure"]:
                    for st in stations:
                        sid = st["station_id"]
                        lv = float(model.grid.values[st["row"], st["col"]]
                                   + model.depth[st["row"], st["col"]])
                        max_level[sid] = max(max_level[sid], lv)
                        if (math.isnan(failed_at[sid]) and lv > st["equipment_elev"]
                                and st["flag"] in flags):
                            failed_at[sid] = t
                            set_inflow(flags[st["flag"]], _FLAG_FLOW)
                            flag_on.append(flags[st["flag"]])
                            log.info("station %s failed at %.0f s (water level %.3f m above "
                                     "its equipment at %.3f m)", sid, t, lv,
                                     st["equipment_elev"])
                t_exchange += time.perf_counter() - te

                td = time.perf_counter()
                ovf_vol[:] = 0.0
                t0 = t_swmm
                while t_swmm < target - 1e-6:
                    if swmm_step(ctypes.byref(el)) != 0:
                        raise SimulationError(f"SWMM stopped with an error at {t_swmm:.1f} s "
                                              "(see its report).", field="swmm")
                    if el.value <= 0.0:
                        ended = True
                        break
                    t_new = el.value * 86400.0
                    read(_NODE_OVERFLOW, idx, ovf)
                    ovf_vol += ovf * (t_new - t_swmm)
                    t_swmm = t_new
                if ended:
                    t_swmm = max(t_swmm, target)
                dt_a = t_swmm - t0
                t_drain += time.perf_counter() - td

                te = time.perf_counter()
                for sid, when in failed_at.items():
                    # the rule acts from the routing step after the flag node filled
                    if not math.isnan(when) and t0 > when + 2.0 * routing:
                        f = sum(get_value(_LINK_FLOW, i) for i in pump_idx[sid])
                        flow_after[sid] = f if math.isnan(flow_after[sid]) else max(
                            flow_after[sid], f)
                if flag_on:
                    for i in flag_on:
                        set_inflow(i, 0.0)
                    flag_volume += _FLAG_FLOW * dt_a * len(flag_on)
                    flag_on = []
                taken = q * dt_a
                net = ovf_vol - taken
                moving = np.flatnonzero(net)
                if moving.size:
                    model.add_volume(rows[moving], cols[moving], net[moving])
                drained += taken
                spilled += ovf_vol
                if dt_a > 0:
                    np.maximum(peak_in, q, out=peak_in)
                    np.maximum(peak_ovf, ovf_vol / dt_a, out=peak_ovf)
                if dt_a > 0:
                    np.divide(ovf_vol, dt_a, out=ovf_rate)
                t_exchange += time.perf_counter() - te

                ts = time.perf_counter()
                model.advance(t_swmm, on_step=on_step if step_c == "surface" else None)
                t_surface += time.perf_counter() - ts
                t = t_swmm
                steps += 1
                if t >= next_out - 1e-9 or t >= duration - 1e-9:
                    model.mark_output()
                    if progress is not None:
                        progress(t, duration)
            exchange_rates(t, routing)     # the state at the end, for the series (not applied)
            record(t)
            pipe_final = _pipe_storage(solver, real, n_links)
            totals = {k: float(v) for k, v in SystemStats(sim).routing_stats.items()}
        t_loop = time.perf_counter() - t_start - t_setup
        report = rpt.read_text(encoding="utf-8", errors="replace") if rpt.exists() else ""
    finally:
        for p in (inp, rpt, out):
            try:
                p.unlink()
            except OSError:
                pass
        try:
            work.rmdir()
        except OSError:
            pass

    names = list(cells)
    times = np.array(rec_t)
    columns = pd.MultiIndex.from_product([names, ["depth", "velocity"]],
                                         names=["probe", "variable"])
    data = np.empty((times.size, 2 * len(names)))
    if names:
        data[:, 0::2] = np.array(rec_depth)
        data[:, 1::2] = np.array(rec_speed)
    probes = pd.DataFrame(data, index=pd.Index(times, name="time"), columns=columns)
    surface = model.result(probes, finish=True)
    return {
        "surface": surface, "times": times, "head": np.array(rec_head),
        "exchange": np.array(rec_ex), "overflow": np.array(rec_ovf),
        "depth": np.array(rec_cell),
        "drained": drained, "spilled": spilled, "max_head": max_head, "peak_inflow": peak_in,
        "peak_overflow": peak_ovf, "failed_at": failed_at, "max_level": max_level,
        "flow_after": flow_after,
        "pipe_initial": pipe_initial, "pipe_final": pipe_final, "totals": totals,
        "flag_volume": flag_volume, "routing_error": after.get("routing_error", math.nan),
        "steps": steps, "report": report,
        "timings": {"surface_s": t_surface, "drainage_s": t_drain, "exchange_s": t_exchange,
                    "total_s": t_loop, "setup_s": t_setup},
    }


# ---------------------------------------------------------------------------------------
# Child process
# ---------------------------------------------------------------------------------------
def _in_child(job: dict, progress: Progress | None) -> dict:
    work = Path(tempfile.mkdtemp(prefix="floodrisk-coupled-job-"))
    try:
        job_path, out_path = work / "job.pkl", work / "result.pkl"
        with open(job_path, "wb") as fh:
            pickle.dump(job, fh, protocol=pickle.HIGHEST_PROTOCOL)
        end = run_child([sys.executable, "-u", "-m", "floodrisk.engines._coupled_worker",
                         str(job_path), str(out_path)], cwd=work,
                        env=child_env(with_package=True), progress=progress, wait_s=120.0)
        message, stderr = end.message, end.stderr
        if message is None or message[0] != "done":
            detail = (message[1].get("message") if message else
                      f"the coupled process ended with exit code {end.returncode}"
                      + (f": {stderr[-2000:]}" if stderr else ""))
            err = SimulationError(f"the coupled run failed: {detail}", field="coupled")
            err.child_traceback = message[1].get("traceback") if message else stderr  # type: ignore[attr-defined]
            raise err
        with open(out_path, "rb") as fh:
            return pickle.load(fh)
    finally:
        for p in work.iterdir():
            p.unlink()
        work.rmdir()


# ---------------------------------------------------------------------------------------
# Public function
# ---------------------------------------------------------------------------------------
def simulate_coupled(study, scenario: Scenario, settings: CoupledSettings | None = None, *,
                     initial_depth: np.ndarray | None = None,
                     node_inflows: Mapping[str, tuple[Any, Any]] | None = None,
                     progress: Progress | None = None) -> CoupledResult:
    """Run a study's storm through the surface and the pipes together.

    Parameters
    ----------
    study
        The :class:`~floodrisk.study.Study` (terrain, network, assets).
    scenario
        Storm (falls on the 2D grid), duration, failed stations, inlet blockage (reduces
        the inlets' weir length, opening and capacity), outfall stages.
    settings
        :class:`CoupledSettings`; defaults when None.
    initial_depth
        Water on the surface at the start, m (array of the terrain's shape).
    node_inflows
        Flows put into pipe nodes, ``{node_id: (times_s, flows_m3_s)}`` (linear between
        times, none outside them): a culverted watercourse's upstream inflow, say.
    progress
        Called as ``progress(t, duration)`` after every output interval.

    Returns
    -------
    CoupledResult

    Raises
    ------
    InputError
        Bad settings or scenario entries naming unknown nodes.
    SimulationError
        SWMM refused the model or the run failed.
    """
    t0 = time.perf_counter()
    s = settings if settings is not None else CoupledSettings()
    if not isinstance(s, CoupledSettings):
        raise InputError(f"settings must be a CoupledSettings, got {type(s).__name__}.",
                         field="settings")
    if not isinstance(scenario, Scenario):
        raise InputError(f"scenario must be a Scenario, got {type(scenario).__name__}.",
                         field="scenario")
    job = _prepare(study, scenario, s, initial_depth, node_inflows)
    out = _in_child(job, progress) if s.process == "child" else _run(job, progress)
    result = _assemble(job, out, s)
    timings = dict(result.timings)
    timings["process_s"] = time.perf_counter() - t0
    return dataclasses.replace(result, timings=timings)


def _assemble(job: dict, out: dict, s: CoupledSettings) -> CoupledResult:
    surface: SurfaceResult = out["surface"]
    link = job["link"]
    ids = [str(k) for k in link["node_id"]]
    nodes = pd.DataFrame({
        "node_id": ids, "kind": link["kind"], "row": link["row"], "col": link["col"],
        "drained_m3": out["drained"], "spilled_m3": out["spilled"],
        "net_m3": out["drained"] - out["spilled"],
        "max_head": out["max_head"], "peak_inflow": out["peak_inflow"],
        "peak_overflow": out["peak_overflow"]})
    index = pd.Index(out["times"], name="time")
    series = {k: pd.DataFrame(out[k].reshape(len(index), len(ids)), index=index,
                              columns=pd.Index(ids, name="node_id"))
              for k in ("head", "exchange", "overflow", "depth")}
    rows = []
    for st in job["stations"]:
        sid = st["station_id"]
        dyn = out["failed_at"].get(sid, math.nan)
        pre = st["scenario_failed_at"]
        if pre is not None and (math.isnan(dyn) or pre <= dyn):
            when, cause = pre, "scenario"
        else:
            when, cause = dyn, ("flooded" if not math.isnan(dyn) else "")
        rows.append({"station_id": sid, "equipment_elev": st["equipment_elev"],
                     "max_level": out["max_level"].get(sid, math.nan), "failed_at": when,
                     "cause": cause,
                     "flow_after_failure": out["flow_after"].get(sid, math.nan)})
    pumps = pd.DataFrame(rows, columns=["station_id", "equipment_elev", "max_level",
                                        "failed_at", "cause", "flow_after_failure"])
    v = surface.volume
    tot = out["totals"]
    drained = float(out["drained"].sum())
    spilled = float(out["spilled"].sum())
    outfall = float(tot.get("outflow", math.nan))
    inflow = job["inflow_volume"]
    error = (v.rain + inflow + v.initial + out["pipe_initial"] - outfall - v.boundary_outflow
             - v.losses - v.final - out["pipe_final"])
    scale = v.rain + inflow + v.initial + out["pipe_initial"]
    balance = CoupledBalance(
        rain=v.rain, inflow=inflow, boundary_outflow=v.boundary_outflow, losses=v.losses,
        outfall_outflow=outfall, surface_initial=v.initial, surface_final=v.final,
        pipe_initial=out["pipe_initial"], pipe_final=out["pipe_final"], drained=drained,
        spilled=spilled, exchange_pipe_side=drained - spilled,
        exchange_surface_side=-v.exchange,
        swmm_external_inflow=(float(tot.get("external_inflow", math.nan)) - out["flag_volume"]
                              - inflow),
        swmm_flooding=float(tot.get("flooding", math.nan)),
        swmm_routing_error=float(out["routing_error"]),
        error=error, relative_error=error / scale if scale > 0 else 0.0)
    notes = list(job["notes"])
    for _, r in pumps.iterrows():
        if r["cause"] == "flooded":
            notes.append(f"station {r['station_id']} failed at {r['failed_at']:.0f} s: water "
                         f"reached its equipment at {r['equipment_elev']:.2f} m")
    return CoupledResult(surface=surface, nodes=nodes, series=series,
                         pumps=pumps, volume=balance, timings=dict(out["timings"]),
                         coupling_steps=int(out["steps"]), notes=tuple(notes), settings=s,
                         model=job["inp"], report=out.get("report", ""))
