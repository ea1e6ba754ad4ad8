"""The SWMM engine: build an EPA SWMM 5 model from a study and a scenario, run it with
pyswmm in its own process, and read what came out.

Three steps, kept apart:

1. :func:`build_model` / :func:`build_inp` write the model (``.inp`` text, SI units,
   FLOW_UNITS CMS, DYNWAVE routing) from a :class:`~floodrisk.study.Study` and a
   :class:`~floodrisk.scenario.Scenario`;
2. :func:`run_swmm` (a built model) and :func:`run_inp` (any ``.inp`` file) run it in a
   fresh Python process — one simulation per process, always inside pyswmm's context
   manager — stepping ``sim.step_advance(stride)`` and reporting progress as JSON lines; :func:`run_scenarios` runs several at once, each in
   its own process;
3. the parent reads SWMM's statistics (sent back by the child), the binary ``.out`` file
   (time series, read with numpy: :func:`read_out`) and the ``.rpt`` (continuity tables,
   error messages) into a frozen :class:`DrainageResult`, in SI units (US-unit models
   given to :func:`run_inp` are converted).

Only this module (and its child entry, ``_swmm_worker.py``) touches pyswmm.

Modelling choices
-----------------
*Nodes.* Junctions keep their invert and depth to the rim (an unknown rim gives SWMM's
max depth 0: the node reaches the highest connected crown). Storage nodes are FUNCTIONAL
with a constant plan area, ``storage_area``. Outfalls are FREE unless the scenario gives
a stage (FIXED for a number, TIMESERIES for a :class:`~floodrisk.scenario.StageSeries`);
flap gates from :attr:`SwmmSettings.outfall_gates` or the node's ``gated`` column. SWMM
allows one link into an outfall: an outfall that several links enter (two pumps into one
outfall) gets a copy ``<outfall>.2``, ``<outfall>.3`` ... per extra link, with the same
invert, boundary and gate — exact for a boundary condition, and it keeps SWMM's free
outfall depth per link (a connector junction with a short conduit made the connector the
time-step critical element and cost 2 % routing continuity in the demo city). A conduit
drawn out of an outfall is written reversed (its flows are given back in the drawn
direction).

*Conduits.* ``circular`` → CIRCULAR, ``rect_closed`` → RECT_CLOSED, ``rect_open`` →
RECT_OPEN. ``other`` sections with a known full area A and hydraulic radius R become an
equivalent RECT_CLOSED with both A and R (possible when A ≥ 16 R², flat sections) or
else a CIRCULAR of the same full-bore conveyance A·R^(2/3) (same Manning capacity, area
somewhat off); open ones (``closed`` False, as the SWMM reader marks them) a RECT_OPEN
with both A and R where one exists. Sections with neither are refused. Offsets are
depths above the node inverts (LINK_OFFSETS DEPTH); barrels and max_flow are kept.

*Pumps.* A pump with a rated capacity gets a one-point PUMP2 curve ``(wet-well depth,
capacity)``: SWMM's type-2 curve is stepwise in the inlet depth, so the pump delivers its
rated flow whenever it is on, whatever the head (no head-flow data is known). It starts
when the wet-well depth rises to ``on_depth`` and stops when it falls to ``off_depth``
(SWMM's startup/shutoff depths). A pump without a capacity is an IDEAL pump (``*``).
A failed station becomes a control rule per station,
``IF SIMULATION TIME > t THEN PUMP p STATUS = OFF AND ...`` (failed at 0 s: also OFF from
the start); rules override the startup depth, so the pumps stay off (checked).

*Regulators.* A regulator with a ``capacity`` becomes an OUTLET whose FUNCTIONAL/DEPTH
curve ``Q = C·h^1.5`` (a weir law, h above its crest) passes the capacity when the water
stands at the from-node's rim; weirs and orifices with ``height`` and ``width`` columns
become WEIRS (TRANSVERSE, Cd 1.84) and ORIFICES (SIDE, Cd 0.65). Others are refused.

*Subcatchments.* Given polygons (the network's ``subcatchments`` layer): area, outlet,
imperviousness (else from ψ by inverting ψ = 0.9·imp + 0.15·(1 − imp), the capacity
check's mapping, else from the land cover under the polygon, else the default), slope the
mean DEM slope under the polygon, width √area (or area / flow length). Without a layer
they are derived from the terrain: every DEM cell drains to its nearest junction within
:attr:`SwmmSettings.max_inlet_distance` (:func:`floodrisk.capacity.inlet_cells`, the
split the capacity check uses), one subcatchment ``SC_<node>`` per junction. Manning n,
depression storage and infiltration are :class:`SwmmSettings` values (DOMAIN.md §2).

*Inlet blockage.* A blocked fraction f of a node's inlets means f of the runoff meant for
it never enters the pipes: each subcatchment draining there is split into a part of area
(1 − f) that drains to the node and a part ``<id>.blocked`` of area f that drains to an
unconnected outfall ``FR_UNCAPTURED``. The runoff of those parts is reported per node
(``uncaptured_volume``) as water left on the surface near that inlet: it is not routed
overland to another inlet (a 1D model has no surface to route it on), which is
optimistic for the pipes downstream and pessimistic for the surface at the node.

*Rain.* One gauge ``RG1`` (INTENSITY, mm/h) carries the storm as a TIMESERIES on a
uniform step: the largest step that divides every time of the hyetograph (else a
depth-preserving resampling), so the gauge total equals the hyetograph's depth.

*Results.* Maxima, durations and volumes come from SWMM's own statistics (the figures of
its report), full-flow capacities from SWMM's ``swmm_getValue`` (its Manning qFull), time
series from the ``.out`` file at the report step (instantaneous values, times in s from
the simulation start, the first at one report step). Link ends and flow signs follow
the ``.inp`` as drawn (SWMM turns adverse conduits round inside; its output keeps the
drawn sign).

*Processes.* The child is ``python _swmm_worker.py`` (:mod:`subprocess`), so that it
loads pyswmm alone (0.12 s) rather than the floodrisk package (1.4 s), and nothing of the
caller's main module (multiprocessing's ``spawn`` would re-run it: 1.3 s more per SWMM
process under the ``floodrisk`` console script, and a failure for ``python -`` scripts).
"""

from __future__ import annotations

import logging
import math
import json
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from os import PathLike
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..errors import ConfigError, ContinuityError, InputError, NetworkError, SimulationError
from ..io.swmm_out import read_out, rpt_continuity, rpt_errors
from ..rainfall import Hyetograph
from ..scenario import Scenario, StageSeries
from ..variables import Variable, of
from ._child import child_env, run_child

__all__ = ["SwmmSettings", "SwmmBuild", "DrainageResult", "SWMM_VARIABLES", "SERIES",
           "build_model", "build_inp", "run_swmm", "run_inp", "run_scenarios",
           "rain_timeseries", "rpt_errors", "rpt_continuity", "read_out", "Progress"]

log = logging.getLogger(__name__)

#: ``progress(elapsed_s, total_s)``, called in the parent after every stride.
Progress = Callable[[float, float], None]

#: Time series the engine can read from the ``.out`` file, name → meaning (unit).
SERIES = MappingProxyType({
    "node_depth": "Water depth above the node invert (m)",
    "node_head": "Water surface elevation at the node (m)",
    "node_flooding": "Rate of water leaving the node onto the surface (m³/s)",
    "link_flow": "Flow in the conduit, positive from from_node to to_node (m³/s)",
    "pump_flow": "Flow through the pump (m³/s)",
    "rainfall": "Rain intensity over the catchment (mm/h)",
})

#: Every column of the result tables (declared in :mod:`floodrisk.variables`).
SWMM_VARIABLES: tuple[Variable, ...] = (of("drainage_nodes") + of("drainage_conduits")
                                        + of("drainage_pumps"))

_WORKER = Path(__file__).with_name("_swmm_worker.py")
_ID_BAD = re.compile(r'[\s;"]')
_NODE_TYPES = {0: "junction", 1: "outfall", 2: "storage", 3: "divider"}
_LINK_TYPES = {0: "conduit", 1: "pump", 2: "orifice", 3: "weir", 4: "outlet"}
UNCAPTURED = "FR_UNCAPTURED"


# ---- settings ---------------------------------------------------------------------------
@dataclass(frozen=True)
class SwmmSettings:
    """How floodrisk builds and runs an SWMM model; every default with its source.

    Parameters
    ----------
    routing_step
        Longest routing time step, s. Project default 5 s: manholes 40-120 m apart with
        waves at 3-5 m/s need steps of about 10 s; SWMM's variable step works below it.
    variable_step
        Safety factor of SWMM's variable (Courant) step (SWMM default 0.75).
    minimum_step
        Shortest variable step, s (SWMM default 0.5 s).
    report_step
        Interval of the time series, s (project default 60 s).
    wet_step, dry_step
        Runoff time steps with and without rain, s (project defaults 60 s and 300 s; the
        wet step is shortened to the rain interval when that is shorter).
    allow_ponding
        SWMM's ALLOW_PONDING: water above a rim ponds over the node and returns (True) or
        leaves the system as flood volume (False, project default: the surface is the 2D
        engine's business, the flood volume is what it receives).
    ponded_area
        Ponded area of nodes without a ``ponded_area`` column when ponding is allowed,
        m². Project default 100 m² [verify]: calibrate to the street around the inlet.
    infiltration
        ``"horton"`` or ``"green_ampt"``.
    horton_max_rate, horton_min_rate, horton_decay
        Horton f0 = 76.2 mm/h, fmin = 12.7 mm/h, decay 4 h⁻¹ (DOMAIN.md §2).
    horton_dry_time
        Days for a saturated soil to dry (SWMM manual: 2-14 d; 7 d project default).
    ga_suction
        Green-Ampt suction head, mm: 200 mm (sandy loam / loam, DOMAIN.md §2).
    ga_conductivity
        Green-Ampt saturated hydraulic conductivity, mm/h: 3.3 mm/h, loam (SWMM 5 user
        manual Table A.2 after Rawls et al. 1983) [verify].
    ga_moisture_deficit
        Green-Ampt initial moisture deficit: 0.32 (0.31-0.34, DOMAIN.md §2).
    n_impervious, n_pervious
        Manning n of sheet flow: smooth concrete 0.012, short grass 0.15 (TR-55,
        DOMAIN.md §2).
    dstore_impervious, dstore_pervious
        Depression storage, mm: 1.9 (impervious 1.27-2.54) and 3.8 (lawn 2.54-5.08),
        the middles of the ranges in DOMAIN.md §2 [verify].
    pct_zero_impervious
        Share of impervious area without depression storage, % (SWMM default 25).
    default_imperviousness
        Imperviousness where nothing gives one: 0.6, the ψ = 0.6 of GB 50014 dense
        built-up areas (DOMAIN.md §2, [verify]) through the ψ mapping below.
    psi_impervious, psi_pervious
        ψ of fully impervious and fully pervious ground (0.9 and 0.15, GB 50014 via
        DOMAIN.md §2), to turn a subcatchment's ψ into imperviousness the way the capacity
        check turns imperviousness into ψ.
    flow_length
        Overland flow length, m, giving width = area / flow_length; None (default):
        width = √area (a square subcatchment drained along one side).
    min_slope
        Least subcatchment slope, m/m (project default 0.001: SWMM needs a slope > 0).
    max_inlet_distance
        Subcatchments derived from the terrain: cells farther than this from every
        junction drain nowhere, m (200 m, as :class:`~floodrisk.capacity.CapacitySettings`).
    outfall_gates
        Flap gates on every outfall (True), none (False), or as the node's ``gated``
        column says (None, default; no column: none).
    inertial_damping, normal_flow_limited, force_main_equation
        SWMM options (PARTIAL, BOTH, H-W: SWMM's defaults).
    head_tolerance
        Head convergence tolerance, m (SWMM default 0.005 ft = 0.0015 m).
    max_trials
        Trials per routing step (SWMM default 8).
    min_surfarea
        Least surface area of a node, m² (SWMM default 12.566 ft² = 1.167 m²).
    threads
        SWMM's THREADS (1: several scenarios run side by side instead).
    start
        Date and time the simulation starts (any: results count seconds from it).
    stride
        Simulated seconds between returns to Python (progress), s (default 60).
    continuity_bound
        Largest acceptable runoff and flow routing continuity error, % (default 2).
    series
        Time series read from the ``.out`` file (names of :data:`SERIES`).
    report_tables
        Also write SWMM's per-element time-series tables into the ``.rpt``
        (``swmm_report``, for the elements [REPORT] lists). They repeat the ``.out`` file:
        73 MB and 65 % more CPU than the simulation for the demo city under a 24 h storm.
        Default False, as ``swmm_run`` does when it writes an ``.out`` file: the report
        holds the continuity and summary tables only.
    """

    routing_step: float = 5.0
    variable_step: float = 0.75
    minimum_step: float = 0.5
    report_step: float = 60.0
    wet_step: float = 60.0
    dry_step: float = 300.0
    allow_ponding: bool = False
    ponded_area: float = 100.0
    infiltration: Literal["horton", "green_ampt"] = "horton"
    horton_max_rate: float = 76.2
    horton_min_rate: float = 12.7
    horton_decay: float = 4.0
    horton_dry_time: float = 7.0
    ga_suction: float = 200.0
    ga_conductivity: float = 3.3
    ga_moisture_deficit: float = 0.32
    n_impervious: float = 0.012
    n_pervious: float = 0.15
    dstore_impervious: float = 1.9
    dstore_pervious: float = 3.8
    pct_zero_impervious: float = 25.0
    default_imperviousness: float = 0.6
    psi_impervious: float = 0.9
    psi_pervious: float = 0.15
    flow_length: float | None = None
    min_slope: float = 0.001
    max_inlet_distance: float | None = 200.0
    outfall_gates: bool | None = None
    inertial_damping: Literal["NONE", "PARTIAL", "FULL"] = "PARTIAL"
    normal_flow_limited: Literal["SLOPE", "FROUDE", "BOTH"] = "BOTH"
    force_main_equation: Literal["H-W", "D-W"] = "H-W"
    head_tolerance: float = 0.0015
    max_trials: int = 8
    min_surfarea: float = 1.167
    threads: int = 1
    start: datetime = datetime(2000, 1, 1)
    stride: float = 60.0
    continuity_bound: float = 2.0
    series: tuple[str, ...] = ("node_depth", "node_head", "node_flooding", "link_flow",
                               "pump_flow", "rainfall")
    report_tables: bool = False

    def __post_init__(self) -> None:
        positive = ("routing_step", "variable_step", "minimum_step", "report_step",
                    "wet_step", "dry_step", "ponded_area", "horton_max_rate", "horton_decay",
                    "horton_dry_time", "ga_suction", "ga_conductivity", "n_impervious",
                    "n_pervious", "min_slope", "head_tolerance",
                    "min_surfarea", "stride", "continuity_bound")
        for name in positive:
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
                raise ConfigError(f"{name} must be a positive number, got {v!r}.", field=name)
        for name in ("horton_min_rate", "dstore_impervious", "dstore_pervious"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v >= 0):
                raise ConfigError(f"{name} must be ≥ 0, got {v!r}.", field=name)
        for name in ("default_imperviousness", "psi_impervious", "psi_pervious",
                     "ga_moisture_deficit"):
            v = getattr(self, name)
            if not 0 <= v <= 1:
                raise ConfigError(f"{name} must be in [0, 1], got {v!r}.", field=name)
        if not self.psi_impervious > self.psi_pervious:
            raise ConfigError("psi_impervious must exceed psi_pervious.", field="psi_impervious")
        if not 0 <= self.pct_zero_impervious <= 100:
            raise ConfigError("pct_zero_impervious is a percentage (0-100).",
                              field="pct_zero_impervious")
        if self.horton_min_rate > self.horton_max_rate:
            raise ConfigError("horton_min_rate exceeds horton_max_rate.", field="horton_min_rate")
        if self.infiltration not in ("horton", "green_ampt"):
            raise ConfigError(f"infiltration must be 'horton' or 'green_ampt', not "
                              f"{self.infiltration!r}.", field="infiltration")
        if self.flow_length is not None and not self.flow_length > 0:
            raise ConfigError("flow_length must be positive (or None).", field="flow_length")
        if self.max_inlet_distance is not None and not self.max_inlet_distance > 0:
            raise ConfigError("max_inlet_distance must be positive (or None).",
                              field="max_inlet_distance")
        if self.minimum_step > self.routing_step:
            raise ConfigError("minimum_step exceeds routing_step.", field="minimum_step")
        if not (isinstance(self.threads, int) and self.threads >= 1):
            raise ConfigError("threads must be a whole number ≥ 1.", field="threads")
        if not (isinstance(self.max_trials, int) and self.max_trials >= 1):
            raise ConfigError("max_trials must be a whole number ≥ 1.", field="max_trials")
        if self.report_step != round(self.report_step) or self.report_step < 1:
            raise ConfigError("report_step must be whole seconds.", field="report_step")
        unknown = [s for s in self.series if s not in SERIES]
        if unknown:
            raise ConfigError(f"unknown series {unknown}; known: {list(SERIES)}.",
                              field="series")
        object.__setattr__(self, "series", tuple(self.series))


# ---- the model text ---------------------------------------------------------------------
@dataclass(frozen=True)
class SwmmBuild:
    """An SWMM model built from a study and a scenario.

    Parameters
    ----------
    text
        The ``.inp`` text.
    name
        The scenario's name.
    duration
        Simulated time, s.
    notes
        What the build had to decide or change, one line each.
    added_nodes
        Nodes the build added (outfall copies, the uncaptured-runoff outfall), left out of
        the result tables.
    copies
        Outfall copy → the outfall it copies.
    reversed_links
        Conduits written against their drawn direction.
    uncaptured
        Subcatchment parts for blocked inlets → the node they were meant for.
    station_of
        Pump id → station id.
    failed_at
        Pump id → time its station fails, s.
    barrels
        Conduit id → number of barrels.
    rain_depth_mm
        Rain the gauge carries over the simulation, mm.
    """

    text: str
    name: str
    duration: float
    notes: tuple[str, ...] = ()
    added_nodes: frozenset[str] = frozenset()
    copies: Mapping[str, str] = field(default_factory=dict)
    reversed_links: frozenset[str] = frozenset()
    uncaptured: Mapping[str, str] = field(default_factory=dict)
    station_of: Mapping[str, str] = field(default_factory=dict)
    failed_at: Mapping[str, float] = field(default_factory=dict)
    barrels: Mapping[str, float] = field(default_factory=dict)
    rain_depth_mm: float = float("nan")


def _f(v: float, digits: int = 10) -> str:
    """A number as SWMM reads it (no exponent for ordinary values)."""
    v = float(v)
    if v == 0:
        return "0"
    text = format(v, f".{digits}g")
    if "e" in text:
        text = format(v, ".10f").rstrip("0").rstrip(".")
    return text


def _hms(seconds: float) -> str:
    s = round(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def _table(header: str, comment: str, rows: Iterable[Sequence[Any]]) -> list[str]:
    rows = [[str(c) for c in r] for r in rows]
    out = [f"[{header}]", f";;{comment}"]
    if not rows:
        return out + [""]
    widths = [max(len(r[k]) for r in rows if k < len(r)) for k in range(max(map(len, rows)))]
    for r in rows:
        out.append(" ".join(c.ljust(widths[k]) for k, c in enumerate(r)).rstrip())
    return out + [""]


def _col(df: pd.DataFrame, name: str, default: float = np.nan) -> np.ndarray:
    if name in df.columns:
        return pd.to_numeric(df[name], errors="coerce").to_numpy(dtype=np.float64)
    return np.full(len(df), default, dtype=np.float64)


def _check_ids(ids: Iterable[str], layer: str | None, field_name: str | None) -> None:
    ids = [str(i) for i in ids]
    bad = [i for i in ids if not i or _ID_BAD.search(i) or i.startswith("[")]
    if bad:
        raise InputError("ids SWMM cannot read (empty, or with blanks, ';' or '\"').",
                         layer=layer, field=field_name, feature=bad,
                         hint="Rename them without blanks, semicolons or quotes.")
    seen: dict[str, str] = {}
    clash = []
    for i in ids:
        k = i.upper()
        if k in seen:
            clash.append(i if seen[k] == i else f"{seen[k]}/{i}")
        seen[k] = i
    if clash:
        raise InputError("ids that SWMM would take for the same object (SWMM ignores case).",
                         layer=layer, field=field_name, feature=clash,
                         hint="Make the ids unique regardless of case.")


def rain_timeseries(storm: Hyetograph, end_s: float, max_entries: int = 200_000
                    ) -> tuple[int, np.ndarray]:
    """The storm on a uniform step for an SWMM INTENSITY gauge.

    Parameters
    ----------
    storm
        The hyetograph (step intensities, the last one held after its last time).
    end_s
        End of the simulation, s: rain still falling at the storm's last time continues
        to here.
    max_entries
        Most entries; a finer common step is resampled to a coarser one (depth kept).

    Returns
    -------
    (step_s, intensities)
        Whole-second step and one intensity (mm/h) per step from time 0.
    """
    t = np.asarray(storm.times, dtype=np.float64)
    i = np.asarray(storm.intensity, dtype=np.float64)
    last = float(t[-1])
    stop = max(last, end_s) if i[-1] > 0 else last
    # the cumulative depth curve (mm), exact for step intensities
    knots = np.r_[t, stop] if stop > last else t
    cum = np.r_[0.0, np.cumsum(i[:-1] * np.diff(t) / 3600.0)]
    if stop > last:
        cum = np.r_[cum, cum[-1] + i[-1] * (stop - last) / 3600.0]
    whole = np.round(knots).astype(np.int64)
    exact = np.allclose(whole, knots, rtol=0, atol=1e-6)
    step = int(np.gcd.reduce(whole[whole > 0])) if exact and (whole > 0).any() else 0
    if step <= 0 or stop / step > max_entries:
        step = max(60, math.ceil(stop / max_entries) if stop > 0 else 60)
    n = max(1, math.ceil(stop / step - 1e-9))
    grid = np.arange(n + 1, dtype=np.float64) * step
    depth = np.interp(grid, knots, cum, left=0.0, right=cum[-1])
    return step, np.diff(depth) * 3600.0 / step


def _imperviousness_from_psi(psi: np.ndarray, s: SwmmSettings) -> np.ndarray:
    return np.clip((psi - s.psi_pervious) / (s.psi_impervious - s.psi_pervious), 0.0, 1.0)


def _slope_grid(dem) -> np.ndarray:
    z = np.asarray(dem.values, dtype=np.float64)
    if min(z.shape) < 2:
        return np.full(z.shape, np.nan)
    gy, gx = np.gradient(z, abs(dem.dy), abs(dem.dx))
    return np.hypot(gx, gy)


def _zonal_mean(labels: np.ndarray, values: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean of finite ``values`` per label 0..n-1 (labels < 0 ignored) and cell counts."""
    lab = labels.ravel()
    val = values.ravel()
    ok = (lab >= 0) & np.isfinite(val)
    total = np.bincount(lab[ok], weights=val[ok], minlength=n)[:n]
    count = np.bincount(lab[ok], minlength=n)[:n]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / count, np.nan), count


def _landcover_imperviousness(study, s: SwmmSettings) -> np.ndarray:
    """Imperviousness of every DEM cell from the land-cover polygons (default elsewhere)."""
    from rasterio.features import rasterize

    dem = study.terrain
    lc = study.assets.landcover
    out = np.full(dem.shape, s.default_imperviousness)
    if lc is None or not len(lc):
        return out
    imp = _col(lc, "imperviousness")
    shapes = [(g, float(v)) for g, v in zip(lc.geometry, imp)
              if g is not None and not g.is_empty and np.isfinite(v)]
    if not shapes:
        return out
    grid = rasterize(shapes, out_shape=dem.shape, transform=dem.transform, fill=np.nan,
                     dtype="float64")
    return np.where(np.isnan(grid), s.default_imperviousness, grid)


@dataclass
class _Sub:
    name: str
    outlet: str
    area: float          # m²
    imperv: float        # 0-1
    width: float         # m
    slope: float         # m/m
    ring: list | None = None


def _subcatchments(study, s: SwmmSettings, notes: list[str]) -> list[_Sub]:
    from rasterio.features import rasterize

    net = study.network
    dem = study.terrain
    slope = _slope_grid(dem)
    nodes = net.nodes
    subs = net.subcatchments
    out: list[_Sub] = []

    def width(area: float) -> float:
        return area / s.flow_length if s.flow_length else math.sqrt(area)

    if subs is not None and len(subs):
        ids = subs["subcatchment_id"].astype(str).to_numpy()
        _check_ids(ids, "subcatchments", "subcatchment_id")
        known = set(nodes["node_id"].astype(str))
        outlets = subs["outlet"].astype(str).to_numpy()
        bad = [i for i, o in zip(ids, outlets) if o not in known]
        if bad:
            raise InputError("subcatchment outlets are not nodes of the network.",
                             layer="subcatchments", field="outlet", feature=bad)
        area = _col(subs, "area")
        geom = subs.geometry
        miss = ~np.isfinite(area)
        if miss.any():
            area[miss] = geom[miss].area.to_numpy()
        if not (np.isfinite(area) & (area > 0)).all():
            bad = list(ids[~(np.isfinite(area) & (area > 0))])
            raise InputError("subcatchments without a positive area.", layer="subcatchments",
                             field="area", feature=bad)
        imp = _col(subs, "imperviousness")
        psi = _col(subs, "runoff_coeff")
        imp = np.where(np.isnan(imp), _imperviousness_from_psi(psi, s), imp)
        shapes = [(g, k) for k, g in enumerate(geom) if g is not None and not g.is_empty]
        labels = (rasterize(shapes, out_shape=dem.shape, transform=dem.transform, fill=-1,
                            dtype="int32") if shapes else np.full(dem.shape, -1, np.int32))
        sl, _ = _zonal_mean(labels, slope, len(subs))
        if np.isnan(imp).any():
            lc_imp, _ = _zonal_mean(labels, _landcover_imperviousness(study, s), len(subs))
            imp = np.where(np.isnan(imp), lc_imp, imp)
            notes.append(f"{int(np.isnan(_col(subs, 'imperviousness')).sum())} subcatchments "
                         "without imperviousness or ψ: taken from the land cover under them")
        imp = np.where(np.isnan(imp), s.default_imperviousness, imp)
        # polygons smaller than a cell: the slope at their centroid
        none = np.isnan(sl)
        if none.any():
            cents = geom[none].centroid
            r, c = dem.index(cents.x.to_numpy(), cents.y.to_numpy())
            r = np.asarray(r)
            c = np.asarray(c)
            inside = (r >= 0) & (r < dem.shape[0]) & (c >= 0) & (c < dem.shape[1])
            vals = np.full(len(r), np.nan)
            vals[inside] = slope[r[inside], c[inside]]
            sl[none] = vals
        flat = np.isnan(sl)
        if flat.any():
            notes.append(f"{int(flat.sum())} subcatchments off the DEM: slope "
                         f"{s.min_slope:g} m/m")
        sl = np.fmax(np.nan_to_num(sl, nan=s.min_slope), s.min_slope)
        for k in range(len(subs)):
            g = geom.iloc[k]
            ring = None
            if g is not None and not g.is_empty:
                poly = max(getattr(g, "geoms", [g]), key=lambda p: p.area)
                ring = list(poly.exterior.coords)
            out.append(_Sub(ids[k], outlets[k], float(area[k]), float(imp[k]),
                            width(float(area[k])), float(sl[k]), ring))
        notes.append(f"{len(out)} subcatchments from the subcatchments layer")
        return out

    # derived from the terrain: nearest-inlet split
    from ..capacity import CapacitySettings, inlet_cells

    cells = inlet_cells(net, dem, CapacitySettings(max_inlet_distance=s.max_inlet_distance))
    n = len(nodes)
    imp_grid = _landcover_imperviousness(study, s)
    count = np.bincount(cells[cells >= 0].ravel(), minlength=n)
    imp, _ = _zonal_mean(cells, imp_grid, n)
    sl, _ = _zonal_mean(cells, slope, n)
    node_ids = nodes["node_id"].astype(str).to_numpy()
    for k in np.flatnonzero(count > 0):
        a = float(count[k] * dem.cell_area)
        out.append(_Sub(f"SC_{node_ids[k]}", node_ids[k], a,
                        float(np.nan_to_num(imp[k], nan=s.default_imperviousness)), width(a),
                        float(max(np.nan_to_num(sl[k], nan=s.min_slope), s.min_slope))))
    notes.append(f"no subcatchments layer: {len(out)} subcatchments derived from the terrain "
                 f"(nearest junction within {s.max_inlet_distance} m of every DEM cell)")
    return out


def _blockage(scenario: Scenario, node_ids: set[str]) -> Callable[[str], float]:
    b = scenario.inlet_blockage
    if isinstance(b, Mapping):
        bad = [k for k in b if str(k) not in node_ids]
        if bad:
            raise InputError("inlet blockage names nodes that are not in the network.",
                             field="inlet_blockage", feature=bad)
        per = {str(k): float(v) for k, v in b.items()}
        return lambda node: per.get(node, 0.0)
    frac = float(b)
    return lambda node: frac


def _equivalent_section(area: float, radius: float, closed: bool = True
                        ) -> tuple[str, float, float]:
    """An SWMM section standing in for another shape: for open channels a RECT_OPEN with
    the same A and R (R = hw/(w + 2h)) when one exists; else a RECT_CLOSED with the same A
    and R when one exists (A ≥ 16 R²); else a CIRCULAR with the same full-bore conveyance
    A·R^(2/3)."""
    if not closed:
        p = area / radius                # w + 2h
        disc = p * p - 8.0 * area
        if disc >= 0:
            h = (p - math.sqrt(disc)) / 4.0   # the wide, shallow one
            return "RECT_OPEN", h, area / h
    p = area / (2.0 * radius)           # h + w
    disc = p * p - 4.0 * area
    if disc >= 0:
        w = (p + math.sqrt(disc)) / 2.0
        return "RECT_CLOSED", area / w, w
    k = area * radius ** (2.0 / 3.0)    # (π D²/4)(D/4)^(2/3) = k
    d = (k / (math.pi / 4.0 * 0.25 ** (2.0 / 3.0))) ** (3.0 / 8.0)
    return "CIRCULAR", d, 0.0


def build_model(study, scenario: Scenario, settings: SwmmSettings | None = None, *,
                runoff: bool = True) -> SwmmBuild:
    """Build the SWMM model of a study under a scenario (see the module docstring).

    Parameters
    ----------
    study
        The :class:`~floodrisk.study.Study`.
    scenario
        Storm, duration and failures.
    settings
        :class:`SwmmSettings`.
    runoff
        Whether to build subcatchments and the rain gauge. False: the pipes alone (no
        rain reaches them from SWMM), for an engine that puts the surface water in at the
        nodes itself (the coupled 1D-2D engine); the scenario's storm still sets the
        duration, and inlet blockage (which acts on subcatchment runoff) does not apply.

    Returns
    -------
    SwmmBuild
        The ``.inp`` text and what the run needs to map SWMM's elements back.

    Raises
    ------
    NetworkError
        Elements SWMM cannot be given (unknown sections, regulators without size).
    InputError
        Scenario entries naming unknown stations, nodes or outfalls; ids SWMM cannot read.
    """
    s = settings or SwmmSettings()
    net = study.network
    notes: list[str] = []
    nodes = net.nodes.reset_index(drop=True)
    node_ids = nodes["node_id"].astype(str).to_numpy()
    _check_ids(node_ids, "nodes", "node_id")
    kinds = nodes["kind"].astype(str).to_numpy()
    kind_of = dict(zip(node_ids, kinds))
    inv = nodes["invert_elev"].to_numpy(dtype=np.float64)
    rim = _col(nodes, "rim_elev")
    given = _col(nodes, "max_depth")
    depth = np.where(np.isfinite(rim) & (rim > inv), rim - inv,
                     np.where(np.isfinite(given) & (given > 0), given, 0.0))
    depth_of = dict(zip(node_ids, depth))
    duration = float(scenario.simulated_seconds)

    # ---- links ---------------------------------------------------------------------
    conduits = net.conduits.reset_index(drop=True)
    pumps = net.pumps.reset_index(drop=True) if net.pumps is not None else pd.DataFrame()
    regs = (net.regulators.reset_index(drop=True) if net.regulators is not None
            else pd.DataFrame())
    link_ids = [*conduits["link_id"].astype(str)]
    _check_ids(link_ids, "conduits", "link_id")
    if len(pumps):
        _check_ids(pumps["pump_id"].astype(str), "pumps", "pump_id")
        link_ids += list(pumps["pump_id"].astype(str))
    if len(regs):
        _check_ids(regs["link_id"].astype(str), "regulators", "link_id")
        link_ids += list(regs["link_id"].astype(str))
    _check_ids(link_ids, None, None)   # SWMM keeps conduits, pumps and regulators together

    c_from = conduits["from_node"].astype(str).to_numpy().copy()
    c_to = conduits["to_node"].astype(str).to_numpy().copy()
    off1 = np.nan_to_num(_col(conduits, "in_offset"), nan=0.0)
    off2 = np.nan_to_num(_col(conduits, "out_offset"), nan=0.0)
    rev = np.array([kind_of.get(a) == "outfall" for a in c_from], dtype=bool)
    if rev.any():
        c_from[rev], c_to[rev] = c_to[rev].copy(), c_from[rev].copy()
        off1[rev], off2[rev] = off2[rev].copy(), off1[rev].copy()
        notes.append(f"{int(rev.sum())} conduits drawn out of an outfall written reversed: "
                     + ", ".join(conduits["link_id"].astype(str)[rev][:5]))
    shape = conduits["shape"].astype(str).to_numpy()
    diam = _col(conduits, "diameter")
    height = _col(conduits, "height")
    width = _col(conduits, "width")
    farea = _col(conduits, "full_area")
    frad = _col(conduits, "hydraulic_radius")
    closed = (conduits["closed"].fillna(True).astype(bool).to_numpy()
              if "closed" in conduits.columns else np.ones(len(conduits), dtype=bool))
    barrels = np.nan_to_num(_col(conduits, "barrels", 1.0), nan=1.0)
    barrels = np.where(barrels >= 1, np.floor(barrels), 1.0)
    maxflow = np.nan_to_num(_col(conduits, "max_flow"), nan=0.0)
    length = _col(conduits, "length")
    rough = _col(conduits, "roughness")
    xs_rows, bad_sec, equiv = [], [], []
    for k, lid in enumerate(conduits["link_id"].astype(str)):
        sh = shape[k]
        if sh == "circular" and diam[k] > 0:
            xs_rows.append((lid, "CIRCULAR", _f(diam[k]), 0, 0, 0, int(barrels[k])))
        elif sh in ("rect_closed", "rect_open") and height[k] > 0 and width[k] > 0:
            xs_rows.append((lid, sh.upper(), _f(height[k]), _f(width[k]), 0, 0, int(barrels[k])))
        elif farea[k] > 0 and frad[k] > 0:
            kind, g1, g2 = _equivalent_section(farea[k], frad[k], bool(closed[k]))
            xs_rows.append((lid, kind, _f(g1), _f(g2), 0, 0, int(barrels[k])))
            equiv.append(lid)
        else:
            bad_sec.append(lid)
    if bad_sec:
        raise NetworkError("conduits whose cross-section SWMM cannot be given: circular "
                           "needs diameter, rect_closed/rect_open height and width, other "
                           "shapes full_area and hydraulic_radius.", layer="conduits",
                           field="shape", feature=bad_sec)
    if equiv:
        notes.append(f"{len(equiv)} conduits of other shapes modelled as equivalent "
                     f"RECT_CLOSED (same area and hydraulic radius) or CIRCULAR (same "
                     f"full-bore conveyance): {', '.join(equiv[:5])}")
    bad = list(conduits["link_id"].astype(str)[~(np.isfinite(length) & (length > 0))])
    if bad:
        raise NetworkError("conduits without a positive length.", layer="conduits",
                           field="length", feature=bad)
    bad = list(conduits["link_id"].astype(str)[~(np.isfinite(rough) & (rough > 0))])
    if bad:
        raise NetworkError("conduits without a positive Manning n.", layer="conduits",
                           field="roughness", feature=bad)
    cond_rows = [(lid, c_from[k], c_to[k], _f(length[k]), _f(rough[k]), _f(off1[k]),
                  _f(off2[k]), 0, _f(maxflow[k]))
                 for k, lid in enumerate(conduits["link_id"].astype(str))]
    # pumps
    pump_rows, curve_rows = [], []
    station_of: dict[str, str] = {}
    failed_at: dict[str, float] = {}
    stations = set(net.stations["station_id"].astype(str)) if len(net.stations) else set()
    if len(pumps):
        stations |= set(pumps["station_id"].astype(str))
    bad = [k for k in scenario.failed_stations if str(k) not in stations]
    if bad:
        raise InputError("failed stations that are not in the network.",
                         field="failed_stations", feature=bad)
    failed = {str(k): float(v) for k, v in scenario.failed_stations.items()}
    if len(pumps):
        cap = _col(pumps, "capacity")
        on = np.nan_to_num(_col(pumps, "on_depth"), nan=0.0)
        off = np.nan_to_num(_col(pumps, "off_depth"), nan=0.0)
        ideal = []
        for k, pid in enumerate(pumps["pump_id"].astype(str)):
            a = str(pumps["from_node"].iloc[k])
            b = str(pumps["to_node"].iloc[k])
            sid = str(pumps["station_id"].iloc[k])
            station_of[pid] = sid
            status = "ON"
            if sid in failed:
                failed_at[pid] = failed[sid]
                if failed[sid] <= 0:
                    status = "OFF"
            if np.isfinite(cap[k]) and cap[k] > 0:
                cname = f"PC_{pid}"
                top = depth_of.get(a, 0.0) or 100.0
                curve_rows.append((cname, "PUMP2", _f(top), _f(cap[k])))
            else:
                cname = "*"
                ideal.append(pid)
            pump_rows.append((pid, a, b, cname, status, _f(on[k]), _f(off[k])))
        if ideal:
            notes.append(f"{len(ideal)} pumps without a capacity modelled as IDEAL pumps: "
                         + ", ".join(ideal[:5]))
        notes.append("pumps deliver their rated capacity whenever on (one-point PUMP2 "
                     "curves), switched by their on/off depths")

    # regulators
    weir_rows, orif_rows, outl_rows, reg_xs = [], [], [], []
    if len(regs):
        rcap = _col(regs, "capacity")
        rh = _col(regs, "height")
        rw = _col(regs, "width")
        crest = np.nan_to_num(_col(regs, "crest_height"), nan=0.0)
        coef = _col(regs, "coefficient")
        gated = (regs["gated"].astype(str).str.upper().to_numpy() if "gated" in regs.columns
                 else np.full(len(regs), "NO"))
        unsized = []
        for k, rid in enumerate(regs["link_id"].astype(str)):
            a, b = str(regs["from_node"].iloc[k]), str(regs["to_node"].iloc[k])
            kind = str(regs["kind"].iloc[k])
            g = "YES" if gated[k] == "YES" else "NO"
            if kind == "weir" and rh[k] > 0 and rw[k] > 0:
                cd = coef[k] if np.isfinite(coef[k]) and coef[k] > 0 else 1.84
                weir_rows.append((rid, a, b, "TRANSVERSE", _f(crest[k]), _f(cd), g))
                reg_xs.append((rid, "RECT_OPEN", _f(rh[k]), _f(rw[k]), 0, 0))
            elif kind == "orifice" and rh[k] > 0 and rw[k] > 0:
                cd = coef[k] if np.isfinite(coef[k]) and coef[k] > 0 else 0.65
                orif_rows.append((rid, a, b, "SIDE", _f(crest[k]), _f(cd), g))
                reg_xs.append((rid, "RECT_CLOSED", _f(rh[k]), _f(rw[k]), 0, 0))
            elif np.isfinite(rcap[k]) and rcap[k] > 0:
                head = max(depth_of.get(a, 0.0) - crest[k], 0.1)
                c = rcap[k] / head ** 1.5
                outl_rows.append((rid, a, b, _f(crest[k]), "FUNCTIONAL/DEPTH", _f(c), "1.5", g))
            else:
                unsized.append(rid)
        if unsized:
            raise NetworkError("regulators SWMM cannot size: give a capacity (m³/s), or a "
                               "height and width for weirs and orifices.",
                               layer="regulators", field="capacity", feature=unsized)
        if outl_rows:
            notes.append(f"{len(outl_rows)} regulators modelled as outlets passing their "
                         "capacity at the rim of their upstream node (Q = C·h^1.5)")

    # ---- outfalls: one link each ----------------------------------------------------------
    out_of = [r[0] for r in pump_rows + weir_rows + orif_rows + outl_rows
              if kind_of.get(r[1]) == "outfall"]
    if out_of:
        raise NetworkError("pumps or regulators that draw from an outfall: SWMM outfalls "
                           "only receive water.", layer="pumps", field="from_node",
                           feature=out_of, hint="Draw them from a junction or storage node.")
    added_nodes: set[str] = set()
    copies: dict[str, list[str]] = {}      # outfall → its added copies
    seen: dict[str, int] = {}

    def one_link_each(rows: list[tuple]) -> list[tuple]:
        out = []
        for r in rows:
            b = r[2]
            if kind_of.get(b) == "outfall":
                seen[b] = seen.get(b, 0) + 1
                if seen[b] > 1:
                    copy = f"{b}.{seen[b]}"
                    copies.setdefault(b, []).append(copy)
                    added_nodes.add(copy)
                    r = (*r[:2], copy, *r[3:])
            out.append(r)
        return out

    cond_rows = one_link_each(cond_rows)
    pump_rows = one_link_each(pump_rows)
    weir_rows = one_link_each(weir_rows)
    orif_rows = one_link_each(orif_rows)
    outl_rows = one_link_each(outl_rows)
    if copies:
        notes.append(f"{len(copies)} outfalls that several links enter were given one copy "
                     "per extra link (same invert, boundary and gate; SWMM allows one link "
                     "per outfall): " + ", ".join(list(copies)[:5]))

    # ---- subcatchments -------------------------------------------------------------------
    subs = _subcatchments(study, s, notes) if runoff else []
    blocked = _blockage(scenario, set(node_ids))
    uncaptured: dict[str, str] = {}
    sub_rows, area_rows, inf_rows, poly_rows = [], [], [], []
    n_blocked = 0
    for sub in subs:
        f = blocked(sub.outlet)
        parts = []
        if f < 1.0:
            parts.append((sub.name, sub.outlet, sub.area * (1.0 - f)))
        if f > 0.0:
            parts.append((f"{sub.name}.blocked", UNCAPTURED, sub.area * f))
            uncaptured[f"{sub.name}.blocked"] = sub.outlet
            n_blocked += 1
        for name, outlet, area in parts:
            w = sub.width * area / sub.area
            sub_rows.append((name, "RG1", outlet, _f(area / 1e4, 8), _f(100.0 * sub.imperv, 6),
                             _f(w, 6), _f(100.0 * sub.slope, 6), 0))
            area_rows.append((name, _f(s.n_impervious), _f(s.n_pervious),
                              _f(s.dstore_impervious), _f(s.dstore_pervious),
                              _f(s.pct_zero_impervious), "OUTLET"))
            if s.infiltration == "horton":
                inf_rows.append((name, _f(s.horton_max_rate), _f(s.horton_min_rate),
                                 _f(s.horton_decay), _f(s.horton_dry_time), 0))
            else:
                inf_rows.append((name, _f(s.ga_suction), _f(s.ga_conductivity),
                                 _f(s.ga_moisture_deficit)))
            if sub.ring and name == sub.name:
                poly_rows += [(name, _f(x, 12), _f(y, 12)) for x, y, *_ in sub.ring]
    if n_blocked:
        added_nodes.add(UNCAPTURED)
        notes.append(f"inlet blockage: the blocked share of {n_blocked} subcatchments drains "
                     f"to the unconnected outfall {UNCAPTURED} (reported per node as "
                     "uncaptured_volume)")
    _check_ids([r[0] for r in sub_rows], "subcatchments", "subcatchment_id")

    # ---- node rows ------------------------------------------------------------------------
    stage = dict(scenario.outfall_stage)
    bad = [k for k in stage if kind_of.get(str(k)) != "outfall"]
    if bad:
        raise InputError("outfall stages given for nodes that are not outfalls.",
                         field="outfall_stage", feature=bad)
    gated_col = (nodes["gated"].astype(str).str.upper().to_numpy() if "gated" in nodes.columns
                 else np.full(len(nodes), "NO"))
    subtype = (nodes["swmm_subtype"].astype(str).str.upper().to_numpy()
               if "swmm_subtype" in nodes.columns else np.full(len(nodes), ""))
    surch = np.nan_to_num(_col(nodes, "surcharge_depth"), nan=0.0)
    apond = _col(nodes, "ponded_area")
    apond = np.where(np.isfinite(apond) & (apond > 0), apond,
                     s.ponded_area if s.allow_ponding else 0.0)
    sarea = _col(nodes, "storage_area")
    junc_rows, out_rows, stor_rows, ts_rows = [], [], [], []
    was_fixed = []
    for k, nid in enumerate(node_ids):
        kind = kinds[k]
        if kind == "outfall":
            g = ("YES" if s.outfall_gates else "NO") if s.outfall_gates is not None else \
                ("YES" if gated_col[k] == "YES" else "NO")
            st = stage.get(nid)
            if st is None:
                row = (nid, _f(inv[k]), "FREE", "", g)
                if subtype[k] in ("FIXED", "TIDAL", "TIMESERIES", "NORMAL"):
                    was_fixed.append(nid)
            elif isinstance(st, StageSeries):
                ts = f"stage_{nid}"
                for t_, z_ in zip(st.times, st.levels):
                    ts_rows.append((ts, _hms(t_), _f(z_)))
                row = (nid, _f(inv[k]), "TIMESERIES", ts, g)
            else:
                row = (nid, _f(inv[k]), "FIXED", _f(float(st)), g)
            row = tuple(c for c in row if c != "")
            out_rows.append(row)
            out_rows += [(copy, *row[1:]) for copy in copies.get(nid, [])]
        elif kind == "storage":
            if not (np.isfinite(sarea[k]) and sarea[k] > 0):
                raise NetworkError("storage node without a storage_area.", layer="nodes",
                                   field="storage_area", feature=[nid])
            if not depth[k] > 0:
                raise NetworkError("storage node without a depth (rim_elev or max_depth).",
                                   layer="nodes", field="rim_elev", feature=[nid])
            stor_rows.append((nid, _f(inv[k]), _f(depth[k]), 0, "FUNCTIONAL", 0, 0,
                              _f(sarea[k]), _f(surch[k]), 0))
        else:
            junc_rows.append((nid, _f(inv[k]), _f(depth[k]), 0, _f(surch[k]), _f(apond[k])))
    if was_fixed:
        notes.append(f"{len(was_fixed)} outfalls had a stage in their source model that is "
                     "not known here: modelled FREE unless the scenario gives outfall_stage: "
                     + ", ".join(was_fixed[:5]))
    if UNCAPTURED in added_nodes:
        out_rows.append((UNCAPTURED, _f(float(np.nanmin(inv)) - 1.0), "FREE", "NO"))

    # ---- rain, rules, options ------------------------------------------------------------
    step, rain = rain_timeseries(scenario.storm, duration)
    rain_depth = float(rain.sum() * step / 3600.0)
    rain_rows = [("rain", _hms(k * step), _f(v, 8)) for k, v in enumerate(rain)]
    rain_rows.append(("rain", _hms(len(rain) * step), 0))
    rules: list[str] = []
    for sid, t in sorted(failed.items()):
        ps = [p for p, st_ in station_of.items() if st_ == sid]
        if not ps:
            continue
        rules += [f"RULE FAIL_{sid}", f"IF SIMULATION TIME > {t / 3600.0:.6f}",
                  f"THEN PUMP {ps[0]} STATUS = OFF"]
        rules += [f"AND PUMP {p} STATUS = OFF" for p in ps[1:]]
        rules += ["PRIORITY 5", ""]
    if failed:
        notes.append("failed stations: " + ", ".join(f"{k} from {v:g} s" for k, v in
                                                     sorted(failed.items())))
    start = s.start
    end = start + timedelta(seconds=duration)
    wet = min(s.wet_step, step)
    opts = [
        ("FLOW_UNITS", "CMS"), ("INFILTRATION",
                                "HORTON" if s.infiltration == "horton" else "GREEN_AMPT"),
        ("FLOW_ROUTING", "DYNWAVE"), ("LINK_OFFSETS", "DEPTH"), ("MIN_SLOPE", 0),
        ("ALLOW_PONDING", "YES" if s.allow_ponding else "NO"), ("SKIP_STEADY_STATE", "NO"),
        ("START_DATE", start.strftime("%m/%d/%Y")), ("START_TIME", start.strftime("%H:%M:%S")),
        ("REPORT_START_DATE", start.strftime("%m/%d/%Y")),
        ("REPORT_START_TIME", start.strftime("%H:%M:%S")),
        ("END_DATE", end.strftime("%m/%d/%Y")), ("END_TIME", end.strftime("%H:%M:%S")),
        ("SWEEP_START", "01/01"), ("SWEEP_END", "12/31"), ("DRY_DAYS", 0),
        ("REPORT_STEP", _hms(s.report_step)), ("WET_STEP", _hms(wet)),
        ("DRY_STEP", _hms(s.dry_step)), ("ROUTING_STEP", _f(s.routing_step)),
        ("RULE_STEP", "00:00:00"), ("INERTIAL_DAMPING", s.inertial_damping),
        ("NORMAL_FLOW_LIMITED", s.normal_flow_limited),
        ("FORCE_MAIN_EQUATION", s.force_main_equation), ("VARIABLE_STEP", _f(s.variable_step)),
        ("LENGTHENING_STEP", 0), ("MIN_SURFAREA", _f(s.min_surfarea)),
        ("MAX_TRIALS", s.max_trials), ("HEAD_TOLERANCE", _f(s.head_tolerance)),
        ("SYS_FLOW_TOL", 5), ("LAT_FLOW_TOL", 5), ("MINIMUM_STEP", _f(s.minimum_step)),
        ("THREADS", s.threads),
    ]
    coords = []
    for nid, g in zip(node_ids, nodes.geometry):
        if g is not None and not g.is_empty:
            coords.append((nid, _f(g.x, 12), _f(g.y, 12)))
            coords += [(copy, _f(g.x, 12), _f(g.y, 12)) for copy in copies.get(nid, [])]

    vert_rows = []      # bends of drawn conduits, so that the SWMM GUI draws them as mapped
    for k, (lid, g) in enumerate(zip(conduits["link_id"].astype(str), conduits.geometry)):
        if g is None or g.is_empty or g.geom_type != "LineString" or len(g.coords) < 3:
            continue
        inner = list(g.coords)[1:-1]
        vert_rows += [(lid, _f(x, 12), _f(y, 12))
                      for x, y, *_ in (inner[::-1] if rev[k] else inner)]
    xy = [(float(x), float(y)) for _, x, y in coords]
    map_rows = []
    if xy:
        xs, ys = zip(*xy)
        pad = max(max(xs) - min(xs), max(ys) - min(ys), 1.0) * 0.02
        map_rows = [("DIMENSIONS", _f(min(xs) - pad, 12), _f(min(ys) - pad, 12),
                     _f(max(xs) + pad, 12), _f(max(ys) + pad, 12)), ("UNITS", "Meters")]

    title = f"floodrisk: {study.name} | scenario {scenario.name} | storm {scenario.storm.name}"
    lines = ["[TITLE]", title.replace("\n", " "), ""]
    lines += _table("OPTIONS", "Option Value", opts)
    lines += _table("EVAPORATION", "Data Source Parameters", [("CONSTANT", 0.0),
                                                              ("DRY_ONLY", "NO")])
    lines += _table("RAINGAGES", "Name Format Interval SCF Source",
                    [("RG1", "INTENSITY", _hms(step), "1.0", "TIMESERIES", "rain")]
                    if sub_rows else [])
    lines += _table("SUBCATCHMENTS", "Name Raingage Outlet Area(ha) %Imperv Width(m) "
                    "%Slope CurbLen", sub_rows)
    lines += _table("SUBAREAS", "Subcatchment N-Imperv N-Perv S-Imperv(mm) S-Perv(mm) "
                    "PctZero RouteTo", area_rows)
    lines += _table("INFILTRATION", "Subcatchment " + (
        "MaxRate MinRate Decay DryTime MaxInfil" if s.infiltration == "horton"
        else "Suction Ksat IMD"), inf_rows)
    lines += _table("JUNCTIONS", "Name Elevation MaxDepth InitDepth SurDepth Aponded",
                    junc_rows)
    lines += _table("OUTFALLS", "Name Elevation Type StageData Gated", out_rows)
    lines += _table("STORAGE", "Name Elev MaxDepth InitDepth Shape A B C SurDepth Fevap",
                    stor_rows)
    lines += _table("CONDUITS", "Name FromNode ToNode Length Roughness InOffset OutOffset "
                    "InitFlow MaxFlow", cond_rows)
    lines += _table("PUMPS", "Name FromNode ToNode PumpCurve Status Startup Shutoff",
                    pump_rows)
    lines += _table("ORIFICES", "Name FromNode ToNode Type Offset Qcoeff Gated", orif_rows)
    lines += _table("WEIRS", "Name FromNode ToNode Type CrestHt Qcoeff Gated", weir_rows)
    lines += _table("OUTLETS", "Name FromNode ToNode Offset Type QCoeff QExpon Gated",
                    outl_rows)
    lines += _table("XSECTIONS", "Link Shape Geom1 Geom2 Geom3 Geom4 Barrels",
                    xs_rows + reg_xs)
    lines += _table("CURVES", "Name Type X-Value Y-Value", curve_rows)
    lines += ["[CONTROLS]", *rules, ""]
    lines += _table("TIMESERIES", "Name Time Value", rain_rows + ts_rows)
    lines += _table("REPORT", "Reporting Options", [("INPUT", "NO"), ("CONTROLS", "NO"),
                                                   ("SUBCATCHMENTS", "NONE"),
                                                   ("NODES", "ALL"), ("LINKS", "ALL")])
    lines += _table("MAP", "Dimensions and units of the map", map_rows)
    lines += _table("COORDINATES", "Node X-Coord Y-Coord", coords)
    lines += _table("VERTICES", "Link X-Coord Y-Coord", vert_rows)
    lines += _table("Polygons", "Subcatchment X-Coord Y-Coord", poly_rows)
    for line in notes:
        log.info(line)
    return SwmmBuild(
        text="\n".join(lines) + "\n", name=scenario.name, duration=duration,
        notes=tuple(notes), added_nodes=frozenset(added_nodes),
        copies=MappingProxyType({c: o for o, cs in copies.items() for c in cs}),
        reversed_links=frozenset(conduits["link_id"].astype(str)[rev]),
        uncaptured=MappingProxyType(uncaptured), station_of=MappingProxyType(station_of),
        failed_at=MappingProxyType(failed_at),
        barrels=MappingProxyType(dict(zip(conduits["link_id"].astype(str), barrels))),
        rain_depth_mm=rain_depth)


def build_inp(study, scenario: Scenario, settings: SwmmSettings | None = None) -> str:
    """The ``.inp`` text of the study's SWMM model under a scenario (see
    :func:`build_model`)."""
    return build_model(study, scenario, settings).text


# ---- the result -------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class DrainageResult:
    """What an SWMM run gave.

    Parameters
    ----------
    name
        Scenario name (or the ``.inp`` file's stem).
    nodes
        One row per node: ``node_id``, ``kind``, ``invert_elev``, ``rim_elev`` (m; NaN
        where SWMM's max depth is 0), and the ``drainage_nodes`` variables of
        :data:`SWMM_VARIABLES` (max_depth, max_head, time_max_depth, hours_surcharged,
        hours_flooded, flood_volume, peak_flooding, peak_inflow, uncaptured_volume).
    conduits
        One row per conduit: ``link_id``, ``from_node``, ``to_node`` and the
        ``drainage_conduits`` variables (peak_flow, time_peak_flow, full_flow,
        peak_flow_ratio, peak_velocity, peak_depth_ratio, hours_surcharged,
        hours_capacity_limited).
    pumps
        One row per pump: ``pump_id``, ``station_id``, ``from_node``, ``to_node`` and the
        ``drainage_pumps`` variables (hours_on, peak_flow, mean_flow, volume, startups,
        failed_at).
    series
        Time series by name (:data:`SERIES`): DataFrames indexed by time (s from the
        simulation start), one column per element (``rainfall``: one column).
    runoff_error, routing_error
        SWMM's runoff and flow routing continuity errors, %.
    continuity_bound
        The bound they were checked against, %.
    continuity_ok
        Whether both errors are within the bound.
    message
        What the continuity check found.
    totals
        Volumes of the run: ``rainfall_mm``, ``infiltration_mm``, ``runoff_mm`` (depths
        over the subcatchments) and ``wet_weather_inflow_m3``, ``external_inflow_m3``,
        ``flooding_m3``, ``outflow_m3`` (uncaptured runoff included), ``uncaptured_m3``,
        ``initial_storage_m3``, ``final_storage_m3``.
    duration
        Simulated time, s.
    timings
        Wall seconds: ``build``, ``process_start`` (process start to SWMM open), ``simulate``,
        ``statistics``, ``read`` (parent reading the results), ``total``.
    files
        ``inp``, ``rpt``, ``out`` paths when the files were kept (else empty).
    notes
        What the build decided and what the run noticed.
    swmm_version
        The SWMM engine's version.
    """

    name: str
    nodes: pd.DataFrame
    conduits: pd.DataFrame
    pumps: pd.DataFrame
    series: Mapping[str, pd.DataFrame]
    runoff_error: float
    routing_error: float
    continuity_bound: float
    continuity_ok: bool
    message: str
    totals: Mapping[str, float]
    duration: float
    timings: Mapping[str, float]
    files: Mapping[str, Path] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    swmm_version: str = ""

    @property
    def flooded_nodes(self) -> pd.DataFrame:
        """Nodes that spilled water onto the surface."""
        return self.nodes[self.nodes["flood_volume"] > 0]

    def __repr__(self) -> str:
        return (f"DrainageResult({self.name!r}, {len(self.nodes)} nodes, "
                f"{len(self.flooded_nodes)} flooded, {self.totals.get('flooding_m3', 0):.0f} m³ "
                f"flood volume, routing error {self.routing_error:.2f} %)")


# ---- the run ----------------------------------------------------------------------------
def _simulation_error(rpt: Path, inp: Path, child: dict | None, keep_inp: bool
                      ) -> SimulationError:
    text = rpt.read_text(encoding="utf-8", errors="replace") if rpt.exists() else ""
    errs = [e for e in rpt_errors(text) if e["code"] != 200] or rpt_errors(text)
    where = str(inp) if keep_inp else None
    if errs:
        first = errs[0]
        parts = []
        for e in errs[:5]:
            msg = f"ERROR {e['code']}: {e['text']}"
            if e.get("line_text"):
                msg += f" → {e['line_text']!r}"
            parts.append(msg)
        more = f" (and {len(errs) - 5} more)" if len(errs) > 5 else ""
        feature = None
        if first.get("line_text"):
            feature = first["line_text"].split()[0]
        else:
            m = re.search(r"(?:Node|Link|Conduit|Pump|Subcatchment|Outfall|object)\s+(\S+)",
                          first["text"])
            feature = m.group(1) if m else None
        err = SimulationError("SWMM refused the model: " + "; ".join(parts) + more + ".",
                              path=where, layer=first.get("section"), feature=feature,
                              hint="Fix the named line or object and run again.")
    else:
        detail = (child or {}).get("message", "").strip() or "the SWMM process ended early"
        err = SimulationError(f"SWMM failed: {detail}", path=where)
        errs = []
    err.swmm_errors = errs          # type: ignore[attr-defined]
    err.code = errs[0]["code"] if errs else None   # type: ignore[attr-defined]
    err.child_traceback = (child or {}).get("traceback")   # type: ignore[attr-defined]
    return err


def _spawn_run(inp: Path, rpt: Path, out: Path, cwd: Path, stride: float,
               progress: Progress | None, tables: bool = False) -> tuple[dict, float]:
    """Run one simulation in a new Python process; returns the child's payload and the
    seconds from starting it to its first progress message."""
    job = {"inp": str(inp), "rpt": str(rpt), "out": str(out), "cwd": str(cwd),
           "stride": float(stride), "tables": bool(tables)}
    end = run_child([sys.executable, "-u", str(_WORKER)], cwd=cwd, env=child_env(),
                    stdin=json.dumps(job), progress=progress)
    if end.message is None:
        tail = f": {end.stderr[-2000:]}" if end.stderr else ""
        return {"status": "error", "message": f"the SWMM process ended with exit code "
                                              f"{end.returncode} and no result{tail}"}, end.started
    status = "error" if end.message[0] == "error" else "done"
    return {"status": status, **end.message[1]}, end.started


def _ole(when: datetime) -> float:
    return (when - datetime(1899, 12, 30)).total_seconds() / 86400.0


@dataclass(frozen=True)
class _Units:
    """Factors from a model's units to SI (SWMM manual, "Units of measurement")."""

    length: float = 1.0      # ft → m
    flow: float = 1.0        # flow units → m³/s
    volume: float = 1.0      # ft³ → m³ (SWMM's statistics volumes)
    rain: float = 1.0        # in/h → mm/h

    @classmethod
    def of(cls, flow_units: str) -> _Units:
        from ..io.swmm_inp import FLOW_FACTORS, FT, US_FLOW_UNITS

        name = str(flow_units).upper().split(".")[-1]
        if name in US_FLOW_UNITS:
            return cls(FT, FLOW_FACTORS[name], FT ** 3, 25.4)
        return cls(1.0, FLOW_FACTORS.get(name, 1.0), 1.0, 1.0)


def _read_out(path: Path, start: datetime, want: Sequence[str],
              units: _Units = _Units()) -> dict[str, pd.DataFrame]:
    """Time series from the binary output file, as DataFrames indexed by seconds from
    the simulation start (the first period one report step after the report start)."""
    o = read_out(path)
    nper, step = o["periods"], o["report_step"]
    first = (o["start"] - _ole(start)) * 86400.0
    t0 = max(math.ceil(first / step - 1e-6), 1) * step
    index = pd.Index(t0 + step * np.arange(nper, dtype=np.float64), name="time_s")
    out: dict[str, pd.DataFrame] = {}
    node_var = {"node_depth": (0, units.length), "node_head": (1, units.length),
                "node_flooding": (5, units.flow)}

    def scaled(a: np.ndarray, factor: float) -> np.ndarray:
        a = np.ascontiguousarray(a)
        return a if factor == 1.0 else a * np.float32(factor)

    for name, (k, factor) in node_var.items():
        if name in want:
            out[name] = pd.DataFrame(scaled(o["node"][:, :, k], factor), index=index,
                                     columns=pd.Index(o["nodes"], name="id"))
    if "link_flow" in want or "pump_flow" in want:
        out["_flow"] = pd.DataFrame(scaled(o["link"][:, :, 0], units.flow), index=index,
                                    columns=pd.Index(o["links"], name="id"))
    if "rainfall" in want:
        out["rainfall"] = pd.DataFrame({"rainfall": scaled(o["system"][:, 1], units.rain)},
                                       index=index)
    return out


def _drawn_ends(text: str) -> dict[str, tuple[str, str]]:
    """Link id → (from node, to node) as the ``.inp`` draws them. SWMM turns adverse
    conduits round inside (its toolkit then reports the turned ends) but keeps the sign of
    flows in the output file relative to the drawn direction: the tables follow the file."""
    from ..io.swmm_inp import parse_inp

    inp = parse_inp(text)
    out = {}
    for section in ("CONDUITS", "PUMPS", "ORIFICES", "WEIRS", "OUTLETS"):
        for r in inp.rows(section):
            if len(r) >= 3:
                out[r[0]] = (r[1], r[2])
    return out


def _tables(payload: dict, series: dict[str, pd.DataFrame], build: SwmmBuild | None,
            network=None, report: str = "", u: _Units = _Units(),
            drawn: Mapping[str, tuple[str, str]] | None = None
            ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict[str, pd.DataFrame],
                       dict[str, float]]:
    n = {k: (np.asarray(v, dtype=np.float64) if k not in ("id", "type") else v)
         for k, v in payload["nodes"].items()}
    for k in ("invert", "full_depth", "max_depth"):
        n[k] = n[k] * u.length
    for k in ("flood_volume",):
        n[k] = n[k] * u.volume
    for k in ("peak_flooding", "peak_inflow"):
        n[k] = n[k] * u.flow
    lk = dict(payload["links"])
    if drawn:
        ends = [drawn.get(i, (a, b)) for i, a, b in zip(lk["id"], lk["from"], lk["to"])]
        lk["from"] = [e[0] for e in ends]
        lk["to"] = [e[1] for e in ends]
    for k, f in (("full_flow", u.flow), ("peak_flow", u.flow), ("pump_min_flow", u.flow),
                 ("pump_mean_flow", u.flow), ("pump_max_flow", u.flow),
                 ("peak_velocity", u.length), ("pump_volume", u.volume)):
        lk[k] = np.asarray(lk[k], dtype=np.float64) * f
    sc = payload["subcatchments"]
    added_nodes = build.added_nodes if build else frozenset()
    copies = build.copies if build else {}
    reversed_links = build.reversed_links if build else frozenset()
    nodes = pd.DataFrame({
        "node_id": n["id"], "kind": [_NODE_TYPES.get(t, str(t)) for t in n["type"]],
        "invert_elev": n["invert"],
        "rim_elev": np.where(n["full_depth"] > 0, n["invert"] + n["full_depth"], np.nan),
        "max_depth": n["max_depth"], "max_head": n["invert"] + n["max_depth"],
        "time_max_depth": n["time_max_depth"], "hours_surcharged": n["hours_surcharged"],
        "hours_flooded": n["hours_flooded"], "flood_volume": n["flood_volume"],
        "peak_flooding": n["peak_flooding"], "peak_inflow": n["peak_inflow"],
    })
    unc = pd.Series(0.0, index=nodes["node_id"])
    uncaptured_total = 0.0
    if build and build.uncaptured:
        vol = dict(zip(sc["id"], sc["runoff_volume"]))
        for part, node in build.uncaptured.items():
            v = float(vol.get(part, 0.0)) * u.volume
            unc[node] = unc.get(node, 0.0) + v
            uncaptured_total += v
    nodes["uncaptured_volume"] = unc.reindex(nodes["node_id"]).to_numpy()
    if network is not None:
        kind = dict(zip(network.nodes["node_id"].astype(str), network.nodes["kind"]))
        nodes["kind"] = [kind.get(i, k) for i, k in zip(nodes["node_id"], nodes["kind"])]
    nodes = nodes[~nodes["node_id"].isin(added_nodes)].reset_index(drop=True)

    links = pd.DataFrame(lk)
    conduit = links["type"] == 0
    barrels = build.barrels if build else {}
    c = links[conduit]
    full = c["full_flow"].to_numpy() * np.array([barrels.get(i, 1.0) for i in c["id"]])
    fr = c["from"].to_numpy().copy()
    to = c["to"].to_numpy().copy()
    flip = c["id"].isin(reversed_links).to_numpy()
    fr[flip], to[flip] = to[flip], fr[flip].copy()
    with np.errstate(invalid="ignore", divide="ignore"):
        conduits = pd.DataFrame({
            "link_id": c["id"].to_numpy(), "from_node": fr, "to_node": to,
            "peak_flow": c["peak_flow"].to_numpy(), "time_peak_flow": c["time_peak_flow"].to_numpy(),
            "full_flow": full, "peak_flow_ratio": c["peak_flow"].to_numpy() / full,
            "peak_velocity": c["peak_velocity"].to_numpy(),
            "peak_depth_ratio": c["peak_depth"].to_numpy() / c["full_depth"].to_numpy(),
            "hours_surcharged": c["hours_surcharged"].to_numpy(),
            "hours_capacity_limited": c["hours_capacity_limited"].to_numpy(),
        })
    p = links[links["type"] == 1]
    station_of = build.station_of if build else {}
    failed_at = build.failed_at if build else {}
    pumps = pd.DataFrame({
        "pump_id": p["id"].to_numpy(),
        "station_id": [station_of.get(i, a) for i, a in zip(p["id"], p["from"])],
        "from_node": p["from"].to_numpy(), "to_node": p["to"].to_numpy(),
        "hours_on": p["pump_seconds_on"].to_numpy() / 3600.0,
        "peak_flow": p["pump_max_flow"].to_numpy(), "mean_flow": p["pump_mean_flow"].to_numpy(),
        "volume": p["pump_volume"].to_numpy(), "startups": p["pump_startups"].to_numpy(),
        "failed_at": [failed_at.get(i, np.nan) for i in p["id"]],
    })
    # links into outfall copies deliver to the outfall
    if copies:
        for table in (pumps, conduits):
            for col in ("from_node", "to_node"):
                table[col] = [copies.get(v, v) for v in table[col]]

    out: dict[str, pd.DataFrame] = {}
    for name in ("node_depth", "node_head", "node_flooding"):
        if name in series:
            df = series[name]
            out[name] = df.loc[:, [k for k in df.columns if k not in added_nodes]]
    flow = series.get("_flow")
    if flow is not None:
        cids = list(conduits["link_id"])
        f = flow.loc[:, cids] if cids else flow.iloc[:, :0]
        if flip.any():
            f = f.copy()
            f.loc[:, list(conduits["link_id"][flip])] *= -1
        out["link_flow"] = f
        out["pump_flow"] = flow.loc[:, list(pumps["pump_id"])]
    if "rainfall" in series:
        out["rainfall"] = series["rainfall"]
    # totals: the report's tables (final storage is only there), else the toolkit's
    ro = {k: v * u.rain for k, v in payload["runoff_totals"].items()}
    rt = {k: v * u.volume for k, v in payload["routing_totals"].items()}
    rt["final_storage"] = np.nan
    rep = rpt_continuity(report)
    rr, rg = rep.get("runoff", {}), rep.get("routing", {})
    totals = {
        "rainfall_mm": rr.get("total precipitation", ro.get("rainfall", np.nan)),
        "infiltration_mm": rr.get("infiltration loss", ro.get("infiltration", np.nan)),
        "runoff_mm": rr.get("surface runoff", ro.get("runoff", np.nan)),
        "wet_weather_inflow_m3": rg.get("wet weather inflow",
                                        rt.get("wet_weather_inflow", np.nan)),
        "external_inflow_m3": rg.get("external inflow", rt.get("external_inflow", np.nan)),
        "flooding_m3": rg.get("flooding loss", rt.get("flooding", np.nan)),
        "outflow_m3": rg.get("external outflow", rt.get("outflow", np.nan)),
        "uncaptured_m3": uncaptured_total,
        "initial_storage_m3": rg.get("initial stored volume",
                                     rt.get("initial_storage", np.nan)),
        "final_storage_m3": rg.get("final stored volume", np.nan),
    }
    return nodes, conduits, pumps, out, totals


def _workdir(keep: str | PathLike[str] | None) -> tuple[Path, Path | None]:
    if keep is None:
        return Path(tempfile.mkdtemp(prefix="floodrisk-swmm-")), None
    target = Path(keep)
    if target.exists():
        raise InputError("the folder to keep the SWMM files in exists already.",
                         path=target, hint="Give a new folder name; runs never overwrite.")
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".partial",
                                 dir=target.parent))
    work.chmod(0o755)    # a kept folder reads like any other (mkdtemp makes it private)
    return work, target


def _execute(inp: Path, work: Path, target: Path | None, *, name: str,
             build: SwmmBuild | None, network, settings: SwmmSettings,
             progress: Progress | None, raise_on_continuity: bool, t_build: float,
             copy_inp: bool, t_total0: float) -> DrainageResult:
    rpt, out = work / "model.rpt", work / "model.out"
    payload, started = _spawn_run(inp, rpt, out, inp.parent, settings.stride, progress,
                                  settings.report_tables)
    if payload["status"] != "done" or not out.exists():
        err = _simulation_error(rpt, inp, payload, keep_inp=build is None)
        err.inp_text = build.text if build is not None else None   # type: ignore[attr-defined]
        raise err
    t_read = time.perf_counter()
    start = datetime.fromisoformat(payload["start"])
    units = _Units.of(payload.get("flow_units", "CMS"))
    series = _read_out(out, start, settings.series, units) if settings.series else {}
    report = rpt.read_text(encoding="utf-8", errors="replace") if rpt.exists() else ""
    text = build.text if build is not None else inp.read_text(encoding="utf-8",
                                                              errors="surrogateescape")
    nodes, conduits, pumps, series, totals = _tables(payload, series, build, network, report,
                                                     units, _drawn_ends(text))
    t_read = time.perf_counter() - t_read
    runoff_err = float(payload.get("runoff_error", np.nan))
    routing_err = float(payload.get("routing_error", np.nan))
    bound = settings.continuity_bound
    problems = []
    if not abs(routing_err) <= bound:
        problems.append(f"flow routing continuity error {routing_err:.2f} %")
    if not abs(runoff_err) <= bound:
        problems.append(f"runoff continuity error {runoff_err:.2f} %")
    ok = not problems
    message = (f"continuity within ±{bound:g} % (runoff {runoff_err:.3f} %, routing "
               f"{routing_err:.3f} %)" if ok else
               " and ".join(problems) + f" exceed the bound of ±{bound:g} %: the results are "
               "not trustworthy; shorten routing_step or check the model "
               "(see the report's 'Highest Continuity Errors').")
    notes = list(build.notes) if build else []
    if not ok:
        notes.append(message)
        log.warning("%s: %s", name, message)
        if raise_on_continuity:
            err = ContinuityError(message, path=str(inp) if build is None else None)
            err.runoff_error = runoff_err     # type: ignore[attr-defined]
            err.routing_error = routing_err   # type: ignore[attr-defined]
            raise err
    files: dict[str, Path] = {}
    if target is not None:
        if copy_inp:
            shutil.copy2(inp, work / "model.inp")
        os.replace(work, target)
        files = {"inp": target / "model.inp", "rpt": target / "model.rpt",
                 "out": target / "model.out"}
    ct = payload.get("timings", {})
    timings = {"build": t_build, "process_start": started,
               "simulate": float(ct.get("simulate", np.nan)),
               "statistics": float(ct.get("statistics", np.nan)), "read": t_read,
               "total": time.perf_counter() - t_total0}
    return DrainageResult(
        name=name, nodes=nodes, conduits=conduits, pumps=pumps,
        series=MappingProxyType(series), runoff_error=runoff_err, routing_error=routing_err,
        continuity_bound=bound, continuity_ok=ok, message=message,
        totals=MappingProxyType(totals), duration=float(payload["duration"]),
        timings=MappingProxyType(timings), files=MappingProxyType(files), notes=tuple(notes),
        swmm_version=payload.get("version", ""))


def run_swmm(study, scenario: Scenario, settings: SwmmSettings | None = None, *,
             progress: Progress | None = None, keep: str | PathLike[str] | None = None,
             raise_on_continuity: bool = False) -> DrainageResult:
    """Build the study's SWMM model under a scenario and run it in its own process.

    Parameters
    ----------
    study
        The :class:`~floodrisk.study.Study`.
    scenario
        Storm and failures.
    settings
        :class:`SwmmSettings`.
    progress
        ``progress(elapsed_s, total_s)``, called in this process after every stride.
    keep
        A new folder to keep ``model.inp``, ``model.rpt`` and ``model.out`` in (written
        under a temporary name beside it and renamed into place when the run succeeded);
        None: the files are deleted.
    raise_on_continuity
        Raise :class:`~floodrisk.errors.ContinuityError` when a continuity error exceeds
        ``settings.continuity_bound`` (otherwise the result says so).

    Raises
    ------
    SimulationError
        SWMM refused the model or the run failed (nothing is kept). Its ``code`` is
        SWMM's first error code, ``swmm_errors`` every ``ERROR nnn`` of the report (code,
        text, line, section, offending line), ``inp_text`` the model that was refused,
        ``child_traceback`` the child's traceback when Python failed there.
    ContinuityError
        With ``raise_on_continuity``, when a continuity error exceeds the bound (nothing
        is kept).
    """
    s = settings or SwmmSettings()
    t0 = time.perf_counter()
    build = build_model(study, scenario, s)
    t_build = time.perf_counter() - t0
    work, target = _workdir(keep)
    try:
        inp = work / "model.inp"
        inp.write_text(build.text, encoding="utf-8")
        return _execute(inp, work, target, name=scenario.name, build=build,
                        network=study.network, settings=s, progress=progress,
                        raise_on_continuity=raise_on_continuity, t_build=t_build,
                        copy_inp=False, t_total0=t0)
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)


def run_inp(path: str | PathLike[str], settings: SwmmSettings | None = None, *,
            progress: Progress | None = None, keep: str | PathLike[str] | None = None,
            raise_on_continuity: bool = False) -> DrainageResult:
    """Run an existing ``.inp`` file the way :func:`run_swmm` runs a built model.

    Only the run settings of ``settings`` apply (stride, continuity bound, series); the
    model's own options are left as they are. Units are the model's (m, m³/s for CMS).

    Parameters
    ----------
    path
        The ``.inp`` file (relative file names in it are taken from its folder).
    settings, progress, keep, raise_on_continuity
        As for :func:`run_swmm`.

    Raises
    ------
    SimulationError
        SWMM refused the file (with its error code, text and offending line) or the run
        failed.
    """
    s = settings or SwmmSettings()
    t0 = time.perf_counter()
    inp = Path(path).resolve()
    if not inp.is_file():
        from ..errors import InputFileError
        raise InputFileError("file not found.", path=inp)
    work, target = _workdir(keep)
    try:
        return _execute(inp, work, target, name=inp.stem, build=None, network=None,
                        settings=s, progress=progress,
                        raise_on_continuity=raise_on_continuity, t_build=0.0,
                        copy_inp=True, t_total0=t0)
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)


def run_scenarios(study, scenarios: Sequence[Scenario], settings: SwmmSettings | None = None,
                  *, processes: int = 2,
                  progress: Callable[[str, float, float], None] | None = None,
                  keep: str | PathLike[str] | None = None,
                  raise_on_continuity: bool = False) -> list[DrainageResult]:
    """Run several scenarios, at most ``processes`` SWMM processes at a time.

    Parameters
    ----------
    study
        The study.
    scenarios
        The scenarios (names must differ when ``keep`` is given).
    settings
        :class:`SwmmSettings` for all of them.
    processes
        SWMM processes running side by side (one simulation each).
    progress
        ``progress(scenario_name, elapsed_s, total_s)``; called from worker threads.
    keep
        A folder to keep each run's files in, one subfolder per scenario name.
    raise_on_continuity
        As for :func:`run_swmm`.

    Returns
    -------
    list of DrainageResult
        In the order of ``scenarios``. The first failure is raised after the others ended.
    """
    if processes < 1:
        raise ConfigError("processes must be ≥ 1.", field="processes")
    names = [sc.name for sc in scenarios]
    if keep is not None and len(set(names)) != len(names):
        raise InputError("scenario names must differ to keep their files apart.",
                         field="name")

    def one(sc: Scenario) -> DrainageResult:
        cb = (lambda t, total: progress(sc.name, t, total)) if progress else None
        return run_swmm(study, sc, settings, progress=cb,
                        keep=None if keep is None else Path(keep) / sc.name,
                        raise_on_continuity=raise_on_continuity)

    with ThreadPoolExecutor(max_workers=processes, thread_name_prefix="floodrisk-swmm") as ex:
        futures = [ex.submit(one, sc) for sc in scenarios]
        results, first_error = [], None
        for fut in futures:
            try:
                results.append(fut.result())
            except BaseException as exc:   # noqa: BLE001 (keep waiting for the others)
                first_error = first_error or exc
                results.append(None)
    if first_error is not None:
        raise first_error
    return results
