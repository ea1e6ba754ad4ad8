"""2D surface flood model: the local inertial scheme on a regular grid (DOMAIN.md §7).

:func:`simulate_surface` runs a storm (rain on every cell, point or area inflows,
infiltration) over a terrain grid and returns the maxima, the depth and speed series at
probes, the volume balance and timings (:class:`SurfaceResult`). It is built on
:class:`SurfaceModel`, which holds the state (depths, discharges, maxima) and can be
stepped by another engine: ``advance(until)`` runs CFL steps up to a time, ``depth`` is
the live depth array, and :meth:`SurfaceModel.add_volume` adds or takes water at cells
(the 1D-2D coupled engine exchanges with pipes that way every few seconds) with its own
ledger in the volume balance.

Scheme
------
Per face, with ``h_f = max(η_i, η_j) - max(z_i, z_j)`` (Bates et al. 2010; de Almeida
et al. 2012)::

    q ← [θ q + (1-θ)/2 (q_up + q_down) - g h_f Δt ∂η/∂x] / [1 + g Δt n² |q| / h_f^(7/3)]
    Δt = α min(Δx, Δy) / √(g h_max)        (≤ dt_max, and cut to hit output times and
                                            the breakpoints of the rain and inflow series)
    h ← h + Δt (Σ q_in - Σ q_out) / Δx + rain - infiltration

Faces with ``h_f ≤ h_min`` carry no flow. All outflows of a cell are scaled together so
that it cannot lose more than it holds (no per-face cap, which DOMAIN.md §7 found biases
outlet depths); depths therefore never go negative and volume is conserved to round-off.
The scheme suits subcritical, gradually varied flow (Froude < ~0.5); on steep, fast
flow water levels are biased high (DOMAIN.md §7).

Defaults, and why (DOMAIN.md §7 and the tests in ``tests/test_surface*.py``):
``alpha = 0.5`` and ``theta = 0.8``. A lake at rest amplified round-off to m/s with
α = 0.7 (LISFLOOD-FP's default) but stayed at rest with α 0.5-0.6 and θ 0.7-0.8, and
θ = 1 made a low-friction wet-dry front oscillate; α = 0.5 also keeps the open-edge
outflow monotone (see below). ``h_min = 1 mm`` is LISFLOOD-FP's depth threshold.

Grid edges
----------
``boundaries`` closes or opens each side of the grid (``north`` = row 0, ``south`` =
last row, ``west`` = column 0, ``east`` = last column). Through an open edge, water
leaves at the normal (Manning) flow of the edge cell's depth on the bed slope of the
last interior face, capped at critical flow ``h √(g h)``; where the bed does not fall
towards the edge the water-surface slope of that face is used instead. Outflow is
counted in ``volume.boundary_outflow``. Cells next to NaN cells (outside the domain)
and to blocked cells are closed there: NaN holes and irregular outlines are walls.

Buildings
---------
``SurfaceSettings.blocked`` is a boolean mask of cells taken out of the flow domain:
no flow enters or leaves them and **no rain falls on them** (their rain is neither
added nor counted). To keep roof rain in the model, raise building cells in the DEM
instead (it then runs off the roofs).
"""

from __future__ import annotations

import bisect
import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numba
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from ..errors import InputError, SimulationError
from ..grid import Grid
from ..rainfall import MM_H_TO_M_S, Hyetograph
from . import _inertial as k
from .losses import ConstantLoss, GreenAmpt, Horton, LossModel

__all__ = [
    "GRAVITY",
    "ConstantLoss",
    "GreenAmpt",
    "Horton",
    "Inflow",
    "RunStats",
    "SurfaceModel",
    "SurfaceResult",
    "SurfaceSettings",
    "VolumeBalance",
    "simulate_surface",
]

log = logging.getLogger(__name__)

#: Standard gravity, m/s².
GRAVITY = 9.81

_SIDES = ("north", "south", "east", "west")

#: Steps updating fewer cells than this run on one thread: a parallel launch costs tens of
#: µs, and on a busy machine a descheduled worker stalls it for a whole time slice (8 ms
#: per kernel measured on 2 shared cores, against 0.05 ms on one thread for 3000 cells).
PARALLEL_MIN_CELLS = 50_000


# ---------------------------------------------------------------------------------------
# Inputs and settings
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Inflow:
    """Water put into the surface at a place, as a flow series.

    Parameters
    ----------
    geometry
        A shapely Point (the cell holding it) or Polygon / MultiPolygon (the cells whose
        centres lie inside it; the flow is split evenly between them).
    times
        Seconds from the start of the simulation, strictly increasing, the first ≥ 0.
    flows
        Flow at those times, m³/s, ≥ 0; linear interpolation in between, no flow before
        the first time or after the last.
    name
        Label for messages.
    """

    geometry: BaseGeometry
    times: Any
    flows: Any
    name: str = ""

    def __post_init__(self) -> None:
        label = self.name or "inflow"
        try:
            t = np.array(self.times, dtype=np.float64)
            q = np.array(self.flows, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise InputError(f"{label}: times and flows must be numbers ({exc}).",
                             field="inflows") from exc
        if t.ndim != 1 or q.shape != t.shape or t.size == 0:
            raise InputError(f"{label}: times and flows must be 1-D series of the same "
                             f"non-zero length, got {t.shape} and {q.shape}.", field="inflows")
        if not (np.isfinite(t).all() and np.isfinite(q).all()):
            raise InputError(f"{label}: times and flows must be finite.", field="inflows")
        if t[0] < 0 or (np.diff(t) <= 0).any():
            raise InputError(f"{label}: times must start at ≥ 0 s and increase strictly.",
                             field="inflows")
        if (q < 0).any():
            raise InputError(f"{label}: flows must be ≥ 0 m³/s (got {q.min():g}); take water "
                             "out with SurfaceModel.add_volume instead.", field="inflows")
        if not isinstance(self.geometry, BaseGeometry) or self.geometry.geom_type not in (
                "Point", "Polygon", "MultiPolygon"):
            raise InputError(f"{label}: geometry must be a shapely Point or Polygon, got "
                             f"{type(self.geometry).__name__}.", field="inflows")
        t.flags.writeable = False
        q.flags.writeable = False
        object.__setattr__(self, "times", t)
        object.__setattr__(self, "flows", q)

    def volume_between(self, t0: float, t1: float) -> float:
        """Volume (m³) put in between two times (exact for the linear series)."""
        t0 = max(t0, float(self.times[0]))
        t1 = min(t1, float(self.times[-1]))
        if t1 <= t0:
            return 0.0
        ts = np.concatenate(([t0], self.times[(self.times > t0) & (self.times < t1)], [t1]))
        qs = self._flow(ts)
        return float(np.sum(0.5 * (qs[1:] + qs[:-1]) * np.diff(ts)))

    def _flow(self, t: np.ndarray) -> np.ndarray:
        return np.interp(t, self.times, self.flows, left=0.0, right=0.0)


@dataclass(frozen=True, eq=False)
class SurfaceSettings:
    """Numerical settings of the surface model.

    Parameters
    ----------
    theta
        θ weighting of the face's own discharge against its neighbours' (de Almeida et
        al. 2012), in (0, 1]. 0.8: stable for a lake at rest and for a low-friction
        wet-dry front, where θ = 1 oscillated (DOMAIN.md §7).
    alpha
        CFL factor α of ``Δt = α Δx / √(g h_max)``, in (0, 0.7]. 0.5: at rest to
        round-off where LISFLOOD-FP's 0.7 amplified it (DOMAIN.md §7).
    dt_max
        Longest step, s (5 s, as Itzi's default); bounds steps over dry or very shallow
        water.
    h_min
        Depth on a face below which it carries no flow, m (0.001, LISFLOOD-FP's depth
        threshold). Speeds are reported only where the depth exceeds it.
    wet_threshold
        Depth for ``first_wet_time`` and ``duration_over``, m (0.15: the 内涝 ponding
        criterion of GB 51222-2017, DOMAIN.md §4).
    output_interval
        Interval of the probe series and progress calls, s (30 s: the EA benchmark's
        output frequency); at most 30 s.
    dtype
        ``"float64"`` or ``"float32"`` for depths and discharges (volumes are always
        summed in float64).
    threads
        Numba threads for the run (None: numba's default, all cores).
    blocked
        Boolean mask of the terrain's shape: cells taken out of the domain (buildings):
        no flow in or out, no rain. None: no blocked cells.
    gravity
        g, m/s² (9.81).
    """

    theta: float = 0.8
    alpha: float = 0.5
    dt_max: float = 5.0
    h_min: float = 0.001
    wet_threshold: float = 0.15
    output_interval: float = 30.0
    dtype: Literal["float64", "float32"] = "float64"
    threads: int | None = None
    blocked: np.ndarray | None = field(default=None, repr=False)
    gravity: float = GRAVITY

    def __post_init__(self) -> None:
        def check(name: str, ok: bool, need: str) -> None:
            if not ok:
                raise InputError(f"{name} must be {need}, got {getattr(self, name)!r}.",
                                 field=name)

        def num(v: Any) -> bool:
            return isinstance(v, (int, float, np.floating, np.integer)) and math.isfinite(v)

        check("theta", num(self.theta) and 0 < self.theta <= 1, "in (0, 1]")
        check("alpha", num(self.alpha) and 0 < self.alpha <= 0.7,
              "in (0, 0.7] (the scheme is unstable above a Courant number of 1/√2)")
        check("dt_max", num(self.dt_max) and self.dt_max > 0, "a positive number of seconds")
        check("h_min", num(self.h_min) and 0 < self.h_min < 1, "in (0, 1) m")
        check("wet_threshold", num(self.wet_threshold) and self.wet_threshold > 0,
              "a positive depth in m")
        check("output_interval", num(self.output_interval) and 0 < self.output_interval <= 30,
              "in (0, 30] s")
        check("dtype", self.dtype in ("float64", "float32"), "'float64' or 'float32'")
        check("threads", self.threads is None or (isinstance(self.threads, int)
                                                   and self.threads >= 1),
              "None or a positive integer")
        check("gravity", num(self.gravity) and self.gravity > 0, "positive")
        if self.blocked is not None:
            b = np.asarray(self.blocked)
            if b.ndim != 2 or b.dtype != bool:
                raise InputError(f"blocked must be a 2-D boolean mask, got {b.dtype} with "
                                 f"shape {b.shape}.", field="blocked")


# ---------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class VolumeBalance:
    """Volumes of a run, m³.

    ``initial + rain + inflow + exchange = boundary_outflow + losses + final + error``.

    Parameters
    ----------
    rain
        Rain that fell on the domain (blocked cells excluded).
    inflow
        Water put in by :class:`Inflow` series.
    exchange
        Net water added (positive) or taken (negative) through
        :meth:`SurfaceModel.add_volume`, e.g. by a coupled pipe network.
    boundary_outflow
        Water that left through open grid edges.
    losses
        Water infiltrated.
    initial, final
        Water on the surface at the start and at the end.
    error
        The balance's residual.
    relative_error
        ``error`` over the water that entered (initial + rain + inflow + |exchange|).
    """

    rain: float
    inflow: float
    exchange: float
    boundary_outflow: float
    losses: float
    initial: float
    final: float
    error: float
    relative_error: float


@dataclass(frozen=True)
class RunStats:
    """Cost of a run.

    Parameters
    ----------
    steps
        Time steps taken.
    cell_updates
        Cells updated, summed over steps (only cells next to water are visited).
    wall_time
        Seconds spent stepping (excluding setup and result assembly).
    cell_updates_per_s
        ``cell_updates / wall_time``.
    dt_min, dt_mean
        Shortest and mean step, s (steps cut short to hit output times included).
    """

    steps: int
    cell_updates: int
    wall_time: float
    cell_updates_per_s: float
    dt_min: float
    dt_mean: float


@dataclass(frozen=True, eq=False)
class SurfaceResult:
    """What a surface run produced. Grids are float64 arrays of the terrain's shape,
    NaN outside the domain and on blocked cells.

    Parameters
    ----------
    max_depth
        Deepest water reached, m.
    max_velocity
        Highest depth-averaged speed reached where deeper than ``h_min``, m/s.
    time_of_max_depth
        Time the deepest water was reached, s (0 where never wet).
    final_depth
        Depth at the end, m.
    first_wet_time
        Time the depth first exceeded ``settings.wet_threshold``, s (NaN: never).
    duration_over
        Time spent above that threshold, s.
    probes
        Depth (m) and speed (m/s) at the probe cells every ``output_interval`` s:
        index ``time`` (s), columns MultiIndex ``(name, "depth" | "velocity")``.
    boundary_outflow
        Mean rate of outflow through open edges over each output interval, m³/s,
        indexed by the interval's end time (s).
    volume
        The volume balance.
    stats
        Steps, cell updates and timings.
    grid
        The terrain grid (geometry and CRS of every output grid).
    settings
        The settings used.
    """

    max_depth: np.ndarray
    max_velocity: np.ndarray
    time_of_max_depth: np.ndarray
    final_depth: np.ndarray
    first_wet_time: np.ndarray
    duration_over: np.ndarray
    probes: pd.DataFrame
    boundary_outflow: pd.Series
    volume: VolumeBalance
    stats: RunStats
    grid: Grid
    settings: SurfaceSettings

    def to_grid(self, name: str) -> Grid:
        """One output array as a :class:`~floodrisk.grid.Grid` on the terrain's geometry.

        Parameters
        ----------
        name
            ``"max_depth"``, ``"max_velocity"``, ``"time_of_max_depth"``,
            ``"final_depth"``, ``"first_wet_time"`` or ``"duration_over"``.
        """
        names = ("max_depth", "max_velocity", "time_of_max_depth", "final_depth",
                 "first_wet_time", "duration_over")
        if name not in names:
            raise InputError(f"no output grid {name!r}; choose one of {', '.join(names)}.",
                             field="name")
        return self.grid.with_values(getattr(self, name))

    def __repr__(self) -> str:
        v = self.volume
        return (f"SurfaceResult({self.grid.shape}, {self.stats.steps} steps, max depth "
                f"{np.nanmax(self.max_depth):.3f} m, volume error {v.relative_error:.2e})")


# ---------------------------------------------------------------------------------------
# Validation helpers
# ---------------------------------------------------------------------------------------
def _per_cell(name: str, value: Any, shape: tuple[int, int]) -> np.ndarray:
    """A scalar, ndarray or Grid as a float64 array of ``shape``."""
    if isinstance(value, Grid):
        arr = np.asarray(value.values, dtype=np.float64)
    else:
        try:
            arr = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise InputError(f"{name} must be a number, an array or a Grid ({exc}).",
                             field=name) from exc
    if arr.ndim == 0:
        return np.full(shape, float(arr))
    if arr.shape != shape:
        raise InputError(f"{name} has shape {arr.shape} but the terrain has shape {shape}.",
                         field=name, hint="Give a number or an array of the terrain's shape.")
    return arr


def _boundaries(value: Any) -> dict[str, bool]:
    """``"open"``/``"closed"`` or a mapping per side → {side: is_open}."""
    def state(side: str, v: Any) -> bool:
        if v not in ("open", "closed"):
            raise InputError(f"boundary {side!r} must be 'open' or 'closed', got {v!r}.",
                             field="boundaries")
        return v == "open"

    if isinstance(value, str):
        return {s: state("all sides", value) for s in _SIDES}
    if isinstance(value, Mapping):
        bad = [s for s in value if s not in _SIDES]
        if bad:
            raise InputError(f"unknown side {bad[0]!r}; sides are north, south, east and west "
                             "(north = first row).", field="boundaries")
        return {s: state(s, value.get(s, "closed")) for s in _SIDES}
    raise InputError(f"boundaries must be 'open', 'closed' or a mapping of sides to them, "
                     f"got {type(value).__name__}.", field="boundaries")


# ---------------------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------------------
class SurfaceModel:
    """State of a surface run and its time loop, for :func:`simulate_surface` and for
    engines that step it themselves (the 1D-2D coupled engine).

    Parameters are those of :func:`simulate_surface` but ``duration``, ``probes`` and
    ``progress``; probes are given to :meth:`advance` callers through
    :meth:`sample`. Typical use by a coupled engine::

        model = SurfaceModel(terrain, 0.03, rain=storm, settings=s)
        while model.t < end:
            model.advance(model.t + 2.0)
            taken = model.add_volume(rows, cols, -exchange_m3)   # into the pipes
        result = model.result()

    Attributes
    ----------
    t
        Current time, s.
    depth
        The live depth array (m, model dtype; 0 outside the domain). Read it freely;
        change it only through :meth:`add_volume` so that the volume balance holds.
    grid
        The terrain grid.
    """

    def __init__(self, terrain: Grid, manning: float | Grid | np.ndarray, *,
                 rain: Hyetograph | None = None, inflows: Sequence[Inflow] = (),
                 initial_depth: np.ndarray | Grid | None = None,
                 boundaries: str | Mapping[str, str] = "closed",
                 losses: float | LossModel | None = None,
                 settings: SurfaceSettings | None = None) -> None:
        s = settings if settings is not None else SurfaceSettings()
        if not isinstance(s, SurfaceSettings):
            raise InputError(f"settings must be a SurfaceSettings, got {type(s).__name__}.",
                             field="settings")
        self.settings = s
        if not isinstance(terrain, Grid):
            raise InputError(f"terrain must be a Grid, got {type(terrain).__name__}.",
                             field="terrain")
        self.grid = terrain
        shape = terrain.shape
        rows, cols = shape
        dt_ = np.dtype(s.dtype)
        self._dtype = dt_
        self.dx, self.dy = terrain.dx, terrain.dy
        self.area = terrain.cell_area
        z = np.asarray(terrain.values, dtype=np.float64)
        if np.isinf(z).any():
            raise InputError("terrain holds infinite elevations; mark cells outside the domain "
                             "with NaN.", field="terrain")
        valid = ~np.isnan(z)
        if not valid.any():
            raise InputError("terrain has no cell inside the domain (all NaN).", field="terrain")
        active = valid.copy()
        if s.blocked is not None:
            if s.blocked.shape != shape:
                raise InputError(f"blocked has shape {s.blocked.shape} but the terrain has "
                                 f"shape {shape}.", field="blocked")
            active &= ~s.blocked
        self._active = active.view(np.uint8)
        del valid
        self._z = np.array(z, dtype=dt_)   # the one copy; few temporaries (memory budget)
        self._z[~active] = 0.0

        self._gn2 = self._friction(manning, shape, active)

        self._open = _boundaries(boundaries)
        self._rain = None
        if rain is not None:
            if not isinstance(rain, Hyetograph):
                raise InputError(f"rain must be a Hyetograph, got {type(rain).__name__}.",
                                 field="rain")
            self._rain = rain

        h = np.zeros(shape, dtype=dt_)
        if initial_depth is not None:
            d = (np.asarray(initial_depth.values) if isinstance(initial_depth, Grid)
                 else initial_depth)
            d = _per_cell("initial_depth", d, shape) if np.ndim(d) == 0 else np.asarray(d)
            if d.shape != shape:
                raise InputError(f"initial_depth has shape {d.shape} but the terrain has shape "
                                 f"{shape}.", field="initial_depth")
            bad = active & ~(np.isfinite(d) & (d >= 0))
            if bad.any():
                r, c = np.argwhere(bad)[0]
                raise InputError(f"initial depth must be finite and ≥ 0 in every domain cell; "
                                 f"cell ({r}, {c}) has {d[r, c]!r}.", field="initial_depth")
            del bad
            if (~active & (d > 0)).any():
                raise InputError("initial depth is positive on cells outside the domain or "
                                 "blocked; set it to 0 (or NaN) there.", field="initial_depth")
            np.copyto(h, d, where=active, casting="unsafe")
            del d
        self.depth = h

        self._inflows: list[tuple[Inflow, np.ndarray, np.ndarray]] = []
        for idx, inflow in enumerate(inflows):
            if not isinstance(inflow, Inflow):
                raise InputError(f"inflow {idx} must be an Inflow, got "
                                 f"{type(inflow).__name__}.", field="inflows")
            r, c = self._cells_of(inflow.geometry, inflow.name or f"inflow {idx}")
            self._inflows.append((inflow, r, c))

        self._loss_kind = 0
        self._loss = None
        if losses is not None:
            if isinstance(losses, (int, float, np.integer, np.floating)) and not isinstance(
                    losses, bool):
                losses = ConstantLoss(float(losses))
            if not isinstance(losses, (ConstantLoss, Horton, GreenAmpt)):
                raise InputError("losses must be a rate in mm/h, ConstantLoss, Horton or "
                                 f"GreenAmpt, got {type(losses).__name__}.", field="losses")
            kind, p1, p2, state = losses._arrays(shape)
            p2 = p1 if p2 is None else p2
            state = np.zeros((1, 1)) if state is None else state
            self._loss_kind = kind
            self._loss = (p1, p2, p2, state)

        # discharges, band-edge buffers of the kernels (_inertial._faces), positivity factors
        self.qx = np.zeros((rows, cols + 1), dtype=dt_)
        self.qy = np.zeros((rows + 1, cols), dtype=dt_)
        nband = (rows + k.BAND_ROWS - 1) // k.BAND_ROWS
        self._halo = np.zeros((nband + 1, 3, cols), dtype=dt_)
        self._head = np.zeros((nband + 1, cols), dtype=dt_)
        self._fac = np.ones(shape, dtype=dt_)
        # statistics
        self._max_depth = h.copy()
        self._time_of_max = np.zeros(shape, dtype=np.float32)
        self._max_velocity = np.zeros(shape, dtype=np.float32)
        self._first_wet = np.full(shape, -1.0, dtype=np.float32)
        self._first_wet[h > s.wet_threshold] = 0.0
        self._duration_over = np.zeros(shape, dtype=np.float64)
        # wet ranges
        self._lo = np.full(rows, cols, dtype=np.int64)
        self._hi = np.full(rows, -1, dtype=np.int64)
        cols_idx = np.arange(cols)
        has = active.any(axis=1)
        self._first_col = np.where(has, np.argmax(active, axis=1), cols)
        self._last_col = np.where(has, cols - 1 - np.argmax(active[:, ::-1], axis=1), -1)
        del cols_idx
        self._a = np.empty(rows, dtype=np.int64)
        self._b = np.empty(rows, dtype=np.int64)
        self._ta = np.empty(rows, dtype=np.int64)
        self._tb = np.empty(rows, dtype=np.int64)
        self._row_hmax = np.zeros(rows, dtype=dt_)
        self._row_out = np.zeros((rows, 2), dtype=np.float64)
        k._tidy(self.depth, self.qx, self.qy, self._lo, self._hi)
        self._hmax = float(h.max())
        self._full = False  # ranges set to the whole domain (while it rains)

        self.t = 0.0
        self._n_active = int(active.sum())
        self._threads = 1
        self._threads_now = 1
        self._ledger = dict(rain=0.0, inflow=0.0, exchange=0.0, boundary_outflow=0.0,
                            losses=0.0)
        self._initial = self._stored()
        self._steps = 0
        self._cell_updates = 0
        self._wall = 0.0
        self._dt_min = math.inf
        self._next_tidy = s.output_interval
        if self._rain is not None:
            self._rain_times = np.asarray(self._rain.times)
            self._rain_rates = np.asarray(self._rain.intensity) * MM_H_TO_M_S
            self._rain_cumdepth = np.concatenate(
                ([0.0], np.cumsum(self._rain_rates[:-1] * np.diff(self._rain_times))))
            # the same as Python floats: looked up every step (bisect on a list is ~10x
            # cheaper than np.searchsorted on a small array, and that shows on small grids)
            self._rain_lists = (self._rain_times.astype(np.float64).tolist(),
                                self._rain_rates.tolist(), self._rain_cumdepth.tolist())
        self._out_t: list[float] = [0.0]
        self._out_rate: list[float] = []
        self._out_last = (0.0, 0.0)

    def _friction(self, manning: Any, shape: tuple[int, int], active: np.ndarray
                  ) -> np.ndarray:
        """g·n² per cell (float32; 0 off the domain), after checking n."""
        g = self.settings.gravity
        if isinstance(manning, Grid):
            manning = manning.values
        if np.ndim(manning) == 0:
            try:
                n = float(manning)
            except (TypeError, ValueError) as exc:
                raise InputError(f"Manning's n must be a number, an array or a Grid, got "
                                 f"{manning!r}.", field="manning") from exc
            if not (math.isfinite(n) and 0 < n <= 1):
                raise InputError(f"Manning's n must be positive, finite and at most 1 "
                                 f"s/m^(1/3), got {manning!r}.", field="manning")
            gn2 = np.full(shape, g * n * n, dtype=np.float32)
        else:
            n = np.asarray(manning)
            if n.shape != shape:
                raise InputError(f"manning has shape {n.shape} but the terrain has shape "
                                 f"{shape}.", field="manning",
                                 hint="Give a number or an array of the terrain's shape.")
            bad = active & ~(np.isfinite(n) & (n > 0) & (n <= 1))
            if bad.any():
                r, c = np.argwhere(bad)[0]
                raise InputError(f"Manning's n must be positive, finite and at most 1 "
                                 f"s/m^(1/3) in every domain cell; cell ({r}, {c}) has "
                                 f"{n[r, c]!r}.", field="manning")
            del bad
            gn2 = np.array(n, dtype=np.float32)
            gn2 *= gn2
            gn2 *= np.float32(g)
        gn2[~active] = 0.0
        return gn2

    # -- geometry ----------------------------------------------------------------------
    def _cells_of(self, geom: BaseGeometry, label: str) -> tuple[np.ndarray, np.ndarray]:
        """Domain cells of a Point (its cell) or Polygon (cells whose centres are inside)."""
        g = self.grid
        if geom.geom_type == "Point":
            r, c = g.index(geom.x, geom.y)
            r, c = int(r), int(c)
            if r < 0 or not self._active[r, c]:
                where = "off the grid" if r < 0 else (
                    "in a blocked cell" if not np.isnan(g.values[r, c]) else
                    "outside the domain (NaN terrain)")
                raise InputError(f"{label} at ({geom.x:g}, {geom.y:g}) lies {where}.",
                                 field="inflows", feature=label)
            return np.array([r]), np.array([c])
        xs, ys = g.cell_centres()
        xmin, ymin, xmax, ymax = geom.bounds
        ci = np.flatnonzero((xs >= xmin) & (xs <= xmax))
        ri = np.flatnonzero((ys >= ymin) & (ys <= ymax))
        if ci.size and ri.size:
            cc, rr = np.meshgrid(ci, ri)
            inside = shapely.contains_xy(geom, xs[cc], ys[rr])
            rr, cc = rr[inside], cc[inside]
            keep = self._active[rr, cc].astype(bool)
            rr, cc = rr[keep], cc[keep]
        else:
            rr = cc = np.empty(0, dtype=np.int64)
        if rr.size == 0:
            raise InputError(f"{label}: no domain cell has its centre inside the polygon.",
                             field="inflows", feature=label,
                             hint="Enlarge the polygon or give a Point.")
        return rr.astype(np.int64), cc.astype(np.int64)

    def probe_cells(self, probes: Mapping[str, BaseGeometry]) -> dict[str, tuple[int, int]]:
        """Cell (row, col) of each probe point; InputError when one is outside the domain.

        Parameters
        ----------
        probes
            Name → shapely Point.
        """
        if not isinstance(probes, Mapping):
            raise InputError("probes must be a mapping of names to shapely Points.",
                             field="probes")
        cells = {}
        for name, p in probes.items():
            if not isinstance(p, BaseGeometry) or p.geom_type != "Point":
                raise InputError(f"probe {name!r} must be a shapely Point.", field="probes",
                                 feature=str(name))
            r, c = self.grid.index(p.x, p.y)
            r, c = int(r), int(c)
            if r < 0 or not self._active[r, c]:
                where = "off the grid" if r < 0 else "outside the domain or in a blocked cell"
                raise InputError(f"probe at ({p.x:g}, {p.y:g}) lies {where}.", field="probes",
                                 feature=str(name))
            cells[str(name)] = (r, c)
        return cells

    # -- coupling ----------------------------------------------------------------------
    def add_volume(self, rows: np.ndarray, cols: np.ndarray, volumes: np.ndarray) -> np.ndarray:
        """Add (positive) or take (negative) water at cells, m³; returns what was applied.

        A cell cannot give more than it holds: takings are cut to its volume (the
        returned array says how much was actually taken). Repeated cells are applied in
        turn. The net total goes to ``volume.exchange``.

        Parameters
        ----------
        rows, cols
            Cell indices (domain cells only).
        volumes
            Volume per cell, m³.
        """
        rows = np.atleast_1d(np.asarray(rows, dtype=np.int64))
        cols = np.atleast_1d(np.asarray(cols, dtype=np.int64))
        vol = np.atleast_1d(np.asarray(volumes, dtype=np.float64))
        if not (rows.shape == cols.shape == vol.shape):
            raise InputError("rows, cols and volumes must have the same length.",
                             field="volumes")
        if rows.size and (rows.min() < 0 or cols.min() < 0 or rows.max() >= self.depth.shape[0]
                          or cols.max() >= self.depth.shape[1]
                          or not self._active[rows, cols].all()):
            raise InputError("add_volume got cells off the grid, outside the domain or "
                             "blocked.", field="rows")
        if not np.isfinite(vol).all():
            raise InputError("volumes must be finite.", field="volumes")
        applied = np.empty_like(vol)
        deepest = k._add_volume(self.depth, rows, cols, vol, float(self.area), self._lo,
                                self._hi, applied)
        self._hmax = max(self._hmax, deepest)
        self._ledger["exchange"] += float(applied.sum())
        return applied

    def _widen(self, r: int, c: int, depth: float) -> None:
        self._lo[r] = min(self._lo[r], c)
        self._hi[r] = max(self._hi[r], c)
        self._hmax = max(self._hmax, depth)

    # -- time loop ---------------------------------------------------------------------
    def _rain_cum(self, t: float) -> float:
        """Rain depth fallen from 0 to t, m (each intensity holds until the next time,
        the last one for ever, none before the first)."""
        if self._rain is None:
            return 0.0
        times, rates, cum = self._rain_lists
        i = bisect.bisect_right(times, t) - 1
        if i < 0:
            return 0.0
        return float(cum[i] + rates[i] * (t - times[i]))

    def _rain_rate_max(self, t0: float, t1: float) -> float:
        """Highest rain intensity between two times, m/s."""
        if self._rain is None:
            return 0.0
        times, rates, _ = self._rain_lists
        i0 = max(bisect.bisect_right(times, t0) - 1, 0)
        i1 = bisect.bisect_left(times, t1)
        return float(max(rates[i0:max(i1, i0 + 1)]))

    def _inflow_rate_max(self, t0: float, t1: float) -> np.ndarray:
        """Largest flow per cell (m³/s / cell area → m/s) of each inflow over [t0, t1]."""
        return np.array([max(inf._flow(np.array([t0, t1]))) / (r.size * self.area)
                         for inf, r, _ in self._inflows])

    def _choose_dt(self, until: float) -> tuple[float, float]:
        """Length and end time of the next step.

        The CFL step, shortened so that the depth rain and inflows add within it cannot
        break the CFL condition; steps are not cut at the rain and inflow breakpoints
        (their volumes are integrated exactly over any step). When ``until`` is less
        than two steps away, the remaining time is split evenly rather than leaving a
        sliver: θ-smoothing acts once per step whatever its length, so slivers show as
        wiggles.
        """
        s = self.settings
        g = s.gravity
        cfl = s.alpha * min(self.dx, self.dy)
        h = self._hmax
        dt = min(s.dt_max, cfl / math.sqrt(g * h)) if h > 0 else s.dt_max
        for _ in range(2):
            add = self._rain_rate_max(self.t, self.t + dt) * dt
            if self._inflows:
                add += float(self._inflow_rate_max(self.t, self.t + dt).max()) * dt
            if add > 0:
                dt = min(dt, cfl / math.sqrt(g * (h + add)))
        left = until - self.t
        if left <= dt * (1 + 1e-9):
            return left, until
        if left < 2 * dt:
            dt = 0.5 * left
        return dt, self.t + dt

    def step(self, until: float = math.inf) -> float:
        """Take one CFL step, not beyond ``until``; returns its length, s."""
        s = self.settings
        t0 = self.t
        dt, t1 = self._choose_dt(until)
        if not dt > 0:
            raise SimulationError(f"time step {dt!r} s at t = {t0} s; nothing to step.",
                                  field="dt")
        h = self.depth
        # sources: inflows (volumes of the step, exact for the linear series)
        for inflow, r, c in self._inflows:
            v = inflow.volume_between(t0, t1)
            if v > 0:
                d = v / (r.size * self.area)
                h[r, c] += h.dtype.type(d)
                self._ledger["inflow"] += d * self.area * r.size
                for rr, cc in zip(r, c):
                    self._widen(int(rr), int(cc), float(h[rr, cc]))
        rain_depth = self._rain_cum(t1) - self._rain_cum(t0)
        if rain_depth > 0 and not self._full:
            self._lo[:] = self._first_col
            self._hi[:] = self._last_col
            self._full = True
        count = k._ranges(self._lo, self._hi, h.shape[1], self._a, self._b, self._ta, self._tb)
        want = 1 if count < PARALLEL_MIN_CELLS else self._threads
        if want != self._threads_now:
            numba.set_num_threads(want)
            self._threads_now = want
        rain_in_update = rain_depth
        if rain_depth > 0:
            self._ledger["rain"] += rain_depth * self.area * self._n_active
        if self._loss_kind:
            p1, p2, _, state = self._loss
            lost = k._losses(h, self._active, self._a, self._b, rain_depth, dt,
                             self._loss_kind, p1, p2, p2, state)
            self._ledger["losses"] += lost * self.area
            rain_in_update = 0.0
        op = self._open
        k._halo(self.qy, self._ta, self._tb, self._halo)
        k._faces(self._z, h, self._gn2, self._active, self.qx, self.qy, self._halo,
                 self._head, self._fac, self._a, self._b, self._ta, self._tb, dt, self.dx,
                 self.dy, s.theta, s.gravity, s.h_min, op["west"], op["east"], op["north"],
                 op["south"])
        k._update(h, self._active, self.qx, self.qy, self._head, self._fac,
                  self._a, self._b, self._ta, self._tb, self._lo, self._hi, dt, self.dx,
                  self.dy, rain_in_update, t1, s.h_min, s.wet_threshold, self._max_depth,
                  self._time_of_max, self._max_velocity, self._first_wet,
                  self._duration_over, self._row_hmax, self._row_out)
        out = self._row_out.sum(axis=0)
        outflow = float(out[0]) * self.dy + float(out[1]) * self.dx
        self._ledger["boundary_outflow"] += outflow
        self._hmax = float(self._row_hmax.max())
        self.t = t1
        self._steps += 1
        self._cell_updates += count
        self._dt_min = min(self._dt_min, dt)
        if rain_depth == 0 and self.t >= self._next_tidy:
            k._tidy(h, self.qx, self.qy, self._lo, self._hi)
            self._full = False
            self._next_tidy = self.t + s.output_interval
        return dt

    def advance(self, until: float, on_step: Callable[[SurfaceModel, float], None] | None = None,
                max_steps: int | None = None) -> None:
        """Step until time ``until`` (s), hitting it exactly.

        Parameters
        ----------
        until
            Time to reach, s (``math.inf`` with ``max_steps``: just take steps).
        on_step
            Called as ``on_step(model, dt)`` after every step (e.g. to record a series or
            exchange water every step).
        max_steps
            Stop after this many steps even if ``until`` is not reached.
        """
        if until < self.t:
            raise InputError(f"cannot advance to {until} s: the model is at {self.t} s.",
                             field="until")
        threads = self.settings.threads
        old = numba.get_num_threads()
        self._threads = min(threads or numba.config.NUMBA_NUM_THREADS,
                            numba.config.NUMBA_NUM_THREADS)
        self._threads_now = old
        start = time.perf_counter()
        try:
            taken = 0
            while self.t < until and (max_steps is None or taken < max_steps):
                dt = self.step(until)
                taken += 1
                if on_step is not None:
                    self._wall += time.perf_counter() - start
                    on_step(self, dt)
                    start = time.perf_counter()
        finally:
            self._wall += time.perf_counter() - start
            numba.set_num_threads(old)
        if not np.isfinite(self._hmax):
            raise SimulationError(f"the depths became non-finite by t = {self.t:g} s.",
                                  field="depth", hint="Lower alpha or dt_max.")

    def sample(self, cells: Mapping[str, tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
        """Depth (m) and speed (m/s) now at cells (row, col) given by :meth:`probe_cells`."""
        if not cells:
            return np.empty(0), np.empty(0)
        r = np.array([rc[0] for rc in cells.values()], dtype=np.int64)
        c = np.array([rc[1] for rc in cells.values()], dtype=np.int64)
        depth = self.depth[r, c].astype(np.float64)
        vel = k._cell_velocity(self.depth, self.qx, self.qy, r, c, self.settings.h_min)
        return depth, vel

    def mark_output(self) -> None:
        """Close an output interval of the boundary-outflow series (mean rate since the
        last mark)."""
        t_prev, v_prev = self._out_last
        v = self._ledger["boundary_outflow"]
        if self.t > t_prev:
            self._out_t.append(self.t)
            self._out_rate.append((v - v_prev) / (self.t - t_prev))
            self._out_last = (self.t, v)

    # -- results -----------------------------------------------------------------------
    def _stored(self) -> float:
        return float(self.depth.sum(dtype=np.float64)) * self.area

    def volume_balance(self) -> VolumeBalance:
        """The volume balance now."""
        led = self._ledger
        final = self._stored()
        error = (self._initial + led["rain"] + led["inflow"] + led["exchange"]
                 - led["boundary_outflow"] - led["losses"] - final)
        scale = self._initial + led["rain"] + led["inflow"] + abs(led["exchange"])
        return VolumeBalance(rain=led["rain"], inflow=led["inflow"], exchange=led["exchange"],
                             boundary_outflow=led["boundary_outflow"], losses=led["losses"],
                             initial=self._initial, final=final, error=error,
                             relative_error=error / scale if scale > 0 else 0.0)

    def stats(self) -> RunStats:
        """Steps and timings so far."""
        return RunStats(steps=self._steps, cell_updates=self._cell_updates,
                        wall_time=self._wall,
                        cell_updates_per_s=self._cell_updates / self._wall if self._wall else 0.0,
                        dt_min=self._dt_min if self._steps else 0.0,
                        dt_mean=self.t / self._steps if self._steps else 0.0)

    def result(self, probes: pd.DataFrame | None = None, *, finish: bool = False
               ) -> SurfaceResult:
        """Assemble the result now (grids are float64, NaN off the domain).

        Parameters
        ----------
        probes
            The probe series collected by the caller (empty frame when None).
        finish
            Hand the model's own arrays over to the result instead of copying them and
            free the scratch arrays (less peak memory); the model cannot step afterwards.
        """
        off = ~self._active.view(bool)
        volume, stats = self.volume_balance(), self.stats()
        if finish:
            self._halo = self._head = self._fac = None  # type: ignore[assignment]

        def out(a: np.ndarray) -> np.ndarray:
            o = a if (finish and a.dtype == np.float64) else a.astype(np.float64)
            o[off] = np.nan
            return o

        first = out(self._first_wet)
        first[first < 0] = np.nan
        if probes is None:
            probes = pd.DataFrame(index=pd.Index([], name="time", dtype=float),
                                  columns=pd.MultiIndex.from_tuples([], names=["probe",
                                                                               "variable"]))
        rates = pd.Series(self._out_rate, index=pd.Index(self._out_t[1:], name="time"),
                          name="boundary_outflow", dtype=float)
        return SurfaceResult(
            max_depth=out(self._max_depth), max_velocity=out(self._max_velocity),
            time_of_max_depth=out(self._time_of_max), final_depth=out(self.depth),
            first_wet_time=first, duration_over=out(self._duration_over), probes=probes,
            boundary_outflow=rates, volume=volume, stats=stats,
            grid=self.grid, settings=self.settings)


# ---------------------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------------------
def simulate_surface(
    terrain: Grid,
    manning: float | Grid | np.ndarray,
    duration: float,
    rain: Hyetograph | None = None,
    inflows: Sequence[Inflow] = (),
    initial_depth: np.ndarray | Grid | None = None,
    boundaries: str | Mapping[str, str] = "closed",
    losses: float | LossModel | None = None,
    probes: Mapping[str, BaseGeometry] = (),
    settings: SurfaceSettings | None = None,
    progress: Callable[[float, float], None] | None = None,
) -> SurfaceResult:
    """Run the 2D surface model over a terrain for a duration.

    Parameters
    ----------
    terrain
        Ground elevation, m; NaN cells are outside the domain. Rows north to south.
    manning
        Manning's n, s/m^(1/3): a number, or a Grid / array of the terrain's shape.
    duration
        Simulated time, s (the storm and inflow series start at 0).
    rain
        Storm applied to every domain cell (blocked cells excluded).
    inflows
        Point or area inflows (:class:`Inflow`).
    initial_depth
        Depth at the start, m (array or Grid of the terrain's shape; 0 by default).
    boundaries
        ``"closed"`` or ``"open"`` for all grid edges, or a mapping such as
        ``{"east": "open"}`` (unnamed sides closed). See the module doc for the outflow.
    losses
        Infiltration: a constant rate in mm/h, or :class:`ConstantLoss`,
        :class:`Horton`, :class:`GreenAmpt` (parameters scalar or per cell).
    probes
        Name → shapely Point: depth and speed series at those cells, every
        ``settings.output_interval`` s (≤ 30 s) from 0 to ``duration``.
    settings
        Numerical settings (:class:`SurfaceSettings`); defaults when None.
    progress
        Called as ``progress(t, duration)`` after every output interval.

    Returns
    -------
    SurfaceResult
    """
    try:
        duration = float(duration)
    except (TypeError, ValueError) as exc:
        raise InputError(f"duration must be a number of seconds, got {duration!r}.",
                         field="duration") from exc
    if not (math.isfinite(duration) and duration > 0):
        raise InputError(f"duration must be a positive number of seconds, got {duration!r}.",
                         field="duration")
    model = SurfaceModel(terrain, manning, rain=rain, inflows=inflows,
                         initial_depth=initial_depth, boundaries=boundaries, losses=losses,
                         settings=settings)
    cells = model.probe_cells(dict(probes) if probes else {})
    interval = model.settings.output_interval
    n_out = int(math.ceil(duration / interval - 1e-9))
    times = np.minimum(np.arange(n_out + 1) * interval, duration)
    depth = np.empty((times.size, len(cells)))
    speed = np.empty((times.size, len(cells)))
    depth[0], speed[0] = model.sample(cells)
    for m in range(1, times.size):
        model.advance(float(times[m]))
        model.mark_output()
        depth[m], speed[m] = model.sample(cells)
        if progress is not None:
            progress(model.t, duration)
    names = list(cells)
    columns = pd.MultiIndex.from_product([names, ["depth", "velocity"]],
                                         names=["probe", "variable"])
    data = np.empty((times.size, 2 * len(names)))
    data[:, 0::2] = depth
    data[:, 1::2] = speed
    frame = pd.DataFrame(data, index=pd.Index(times, name="time"), columns=columns)
    result = model.result(frame, finish=True)
    log.debug("surface: %d steps, %.3g cell-updates/s, volume error %.2e",
              result.stats.steps, result.stats.cell_updates_per_s,
              result.volume.relative_error)
    return result
