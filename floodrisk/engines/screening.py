"""Depression ("bluespot") fill-spill screening of a storm's effective rainfall.

The fastest of the engines: no hydraulics, only where water comes to rest. Given the
runoff depth each cell sheds (rain × runoff coefficient − what the pipes take, worked
out by the caller), every cell's runoff follows the D8 directions of the filled DEM to
the depression it drains to, or off the edge; each depression holds up to its volume
and passes the excess on to the depression it overflows into (fill-spill-merge). See
:mod:`floodrisk.terrain` for how depressions, their volumes and the links between
them are found, and for what treating nested sub-depressions as one pool means.

Method
------
1. Runoff to depressions: one ``numpy.bincount`` of the runoff volume (depth × cell
   area) over the id of the depression each cell drains to (0: off the edge).
2. Fill-spill: depressions are visited in topological order (each before the one it
   overflows into); each stores ``min(inflow, volume)`` and adds the rest to its
   downstream depression's inflow, or to the edge loss. A numba loop over
   depressions, O(n).
3. Ponded depth: a depression holding S < V stands at the level h with
   V(h) = Σ max(0, h − z)·A = S over its cells; its cells are sorted by elevation and
   h is found on the piecewise-linear V(h) in one pass. Full depressions stand at the
   spill level, empty ones are dry.
4. Overflow rain: the uniform effective rain depth e at which a depression first
   overflows, with no pipe share. Its inflow I_k(e) = e·a_k + Σ_j max(0, I_j(e) − V_j)
   over the depressions j overflowing into it (a_k: its ψ-weighted direct catchment
   area) is convex and piecewise linear in e, with kinks where upstream depressions
   start to overflow; e*_k solves I_k(e) = V_k exactly. The kinks are carried
   downstream in mergeable heaps (skew heaps): at depression k, kinks below the
   current solution are taken in ascending order, each adding its upstream area to the
   slope of I_k, until the next kink lies beyond the solution; k then passes
   (e*_k, slope) and its unused kinks on. Every kink is used once: O(n log n).
   ``overflow_rain_mm`` = 1000·e*. With a runoff coefficient ψ (scalar or per cell)
   it is the storm rain depth P instead, the cells shedding ψ·P.

All volumes balance: runoff = stored + lost off the edge, to round-off; the result's
``balance`` holds the terms and the ponded-depth grid's own volume.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from ..errors import InputError
from ..grid import Grid
from ._screening_kernels import (_fill_spill, _pool_levels, _overflow_depths)
from ..terrain import Depressions, FilledTerrain, _readonly, find_depressions

__all__ = ["ScreeningResult", "ScreeningSettings", "excess_runoff", "route_runoff", "screen"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScreeningSettings:
    """How depressions are found for screening.

    Parameters
    ----------
    depth_threshold
        Least filled depth of a depression cell, m (1 mm by default).
    outlets
        Where water leaves the domain, as in :func:`floodrisk.terrain.fill_depressions`:
        ``"edge"``, ``"lowest"`` or ``"none"``.
    nan_outlets
        Whether cells next to NaN (outside the domain) drain off into it.
    """

    depth_threshold: float = 0.001
    outlets: Literal["edge", "lowest", "none"] = "edge"
    nan_outlets: bool = True

    def __post_init__(self) -> None:
        if not (isinstance(self.depth_threshold, (int, float))
                and 0 < self.depth_threshold < 1 and math.isfinite(self.depth_threshold)):
            raise InputError(f"depth_threshold must lie in (0, 1) m, not "
                             f"{self.depth_threshold!r}.", field="depth_threshold")
        if self.outlets not in ("edge", "lowest", "none"):
            raise InputError(f"outlets must be 'edge', 'lowest' or 'none', not "
                             f"{self.outlets!r}.", field="outlets")


@dataclass(frozen=True, eq=False)
class ScreeningResult:
    """What a screening run found.

    Parameters
    ----------
    depth
        Ponded depth, m: the water level of each depression minus the ground where
        positive, 0 elsewhere, NaN outside the domain.
    table
        One row per depression (index ``depression_id``): the columns of
        :attr:`floodrisk.terrain.Depressions.table` and

        - ``runoff_in``: runoff reaching it directly from its catchment, m³;
        - ``inflow``: that plus what upstream depressions spill into it, m³;
        - ``stored``: water it holds, m³; ``filled_fraction``: ``stored / volume``;
        - ``overflow``: water it passes on downstream, m³;
        - ``water_level``: level of its pool, m (its bottom when dry);
        - ``ponded_depth``: deepest water, m; ``ponded_area``: wet area, m²;
        - ``overflow_rain_mm``: uniform effective rain (runoff) depth at which it first
          overflows, pipes ignored, mm; the storm rain depth when a runoff coefficient
          was given; ``inf`` when no rain reaches it (ψ = 0 over its catchment).
    labels
        Depression id of each cell (0 outside depressions, NaN outside the domain).
    balance
        Volumes, m³: ``runoff`` (all runoff shed), ``stored`` (held in depressions),
        ``lost_edge`` (left the domain), ``error`` (runoff − stored − lost_edge) and
        ``ponded`` (Σ depth × cell area of :attr:`depth`).
    depressions
        The depressions routed through, for reuse with other storms and for
        :func:`floodrisk.terrain.depression_polygons`.
    """

    depth: Grid
    table: pd.DataFrame
    labels: Grid
    balance: dict[str, float]
    depressions: Depressions

    def __repr__(self) -> str:
        b = self.balance
        full = int((self.table["filled_fraction"] >= 1.0).sum()) if len(self.table) else 0
        return (f"ScreeningResult({len(self.table)} depressions, {full} full; runoff "
                f"{b['runoff']:.6g} m³ = stored {b['stored']:.6g} + lost "
                f"{b['lost_edge']:.6g})")


def screen(
    dem: Grid | FilledTerrain | Depressions,
    runoff_m: float | np.ndarray | Grid,
    *,
    runoff_coefficient: float | np.ndarray | Grid = 1.0,
    settings: ScreeningSettings = ScreeningSettings(),
) -> ScreeningResult:
    """Route a storm's runoff through the depressions of a DEM (fill-spill-merge).

    Parameters
    ----------
    dem
        Ground elevations (m); or the terrain already filled by
        :func:`floodrisk.terrain.fill_depressions` (its outlets are kept), or the
        depressions already found by :func:`floodrisk.terrain.find_depressions` (to
        screen several storms on one terrain; ``settings`` are then unused).
    runoff_m
        Runoff depth each cell sheds, m: rain depth × runoff coefficient − the depth the
        pipes take. A scalar or an array (or Grid) of the DEM's shape; negative values
        count as 0.
    runoff_coefficient
        Runoff coefficient ψ (scalar or per cell) used only for ``overflow_rain_mm``:
        with ψ = 1 (default) that column is the effective-rain depth of first overflow,
        otherwise the storm rain depth P with the cells shedding ψ·P.
    settings
        How depressions are found when ``dem`` is a Grid.

    Returns
    -------
    ScreeningResult
    """
    t0 = time.perf_counter()
    if isinstance(dem, Depressions):
        deps = dem
        if settings != ScreeningSettings():
            log.warning("screen() was given depressions already found: its settings %s "
                        "are not used", settings)
    else:
        deps = find_depressions(dem, threshold=settings.depth_threshold,
                                outlets=settings.outlets, nan_outlets=settings.nan_outlets)
    t1 = time.perf_counter()
    result = route_runoff(deps, runoff_m, runoff_coefficient=runoff_coefficient)
    log.debug("screening: depressions %.3f s, routing %.3f s", t1 - t0,
              time.perf_counter() - t1)
    return result


def excess_runoff(
    times_s: np.ndarray,
    rain_m_s: np.ndarray,
    runoff_coefficient: float | np.ndarray,
    drain_rate_m_s: float | np.ndarray,
) -> np.ndarray:
    """Surface runoff depth (m) left when the pipes take what they can.

    ``ψ · Σ_k max(0, i_k − r) · Δt_k`` per cell: rain falling faster than the rate ``r``
    that the cell's pipes can carry (see :func:`floodrisk.capacity.node_drain_rates`)
    runs off at the runoff coefficient ψ; routing delays in the network are ignored, as
    befits a screening. Steps are the hyetograph's (each intensity holds until the next
    time; nothing after the last time).

    Parameters
    ----------
    times_s
        Step start times, s, strictly increasing (the last one ends the storm).
    rain_m_s
        Rain intensity of each step, m/s.
    runoff_coefficient
        ψ, scalar or per cell.
    drain_rate_m_s
        r, scalar or per cell (0 where no pipe drains the cell).

    Returns
    -------
    ndarray
        Runoff depth per cell (the shape of the broadcast inputs), m.
    """
    t = np.asarray(times_s, dtype=np.float64)
    i = np.asarray(rain_m_s, dtype=np.float64)[:-1]
    dt = np.diff(t)
    r = np.asarray(drain_rate_m_s, dtype=np.float64)
    levels, inverse = np.unique(r, return_inverse=True)  # one per node: few distinct rates
    excess = np.empty(len(levels))
    for start in range(0, len(levels), 4096):  # bounded (levels × steps) work arrays
        lv = levels[start:start + 4096, None]
        excess[start:start + 4096] = (np.maximum(i[None, :] - lv, 0.0) * dt[None, :]).sum(axis=1)
    return np.asarray(runoff_coefficient, dtype=np.float64) * excess[inverse].reshape(r.shape)


def route_runoff(
    depressions: Depressions,
    runoff_m: float | np.ndarray | Grid,
    *,
    runoff_coefficient: float | np.ndarray | Grid = 1.0,
) -> ScreeningResult:
    """Fill-spill-merge routing of runoff through depressions already found.

    Parameters
    ----------
    depressions
        From :func:`floodrisk.terrain.find_depressions`.
    runoff_m, runoff_coefficient
        As in :func:`screen`.

    Returns
    -------
    ScreeningResult
    """
    grid = depressions.grid
    shape = grid.shape
    valid = depressions.labels >= 0
    runoff = _per_cell(runoff_m, shape, valid, "runoff_m")
    np.maximum(runoff, 0.0, out=runoff)
    psi = _per_cell(runoff_coefficient, shape, valid, "runoff_coefficient")
    if (psi < 0).any():
        raise InputError("the runoff coefficient must not be negative.",
                         field="runoff_coefficient")
    table = depressions.table
    n = len(table)
    cell_area = grid.cell_area
    sinks = depressions.sinks
    inside = sinks >= 0
    sink_ids = sinks[inside]

    # 1. runoff to each depression (bin 0: straight off the edge)
    if runoff.ndim == 0:
        counts = np.bincount(sink_ids, minlength=n + 1)
        direct = counts * (float(runoff) * cell_area)
        total_runoff = float(runoff) * cell_area * int(inside.sum())
    else:
        cell_vol = runoff[inside] * cell_area
        direct = np.bincount(sink_ids, weights=cell_vol, minlength=n + 1)
        total_runoff = float(cell_vol.sum())
    # 2. fill-spill in topological order
    downstream = _readonly(np.ascontiguousarray(table["downstream_id"], dtype=np.int32))
    volume = _readonly(np.ascontiguousarray(table["volume"], dtype=np.float64))
    order = depressions.order - 1
    inflow, stored, overflow, spilled_off = _fill_spill(direct[1:].copy(), volume,
                                                        downstream, order)
    lost = float(direct[0]) + spilled_off
    # 3. pool levels and ponded depth
    z = np.asarray(grid.values, dtype=np.float64)
    spill = table["spill_elev"].to_numpy(np.float64)
    bottom = table["bottom_elev"].to_numpy(np.float64)
    level = _levels(depressions.labels, z, stored, volume, spill, bottom, cell_area)
    depth = np.where(valid, 0.0, np.nan)
    wet_cells = depressions.labels > 0
    lab = depressions.labels[wet_cells]
    d = level[lab - 1] - z[wet_cells]
    np.maximum(d, 0.0, out=d)
    depth[wet_cells] = d
    ponded_area = np.bincount(lab[d > 0], minlength=n + 1)[1:] * cell_area
    # 4. uniform effective rain of first overflow
    if psi.ndim == 0:
        eff_area = table["catchment_area"].to_numpy(np.float64) * float(psi)
    else:
        eff_area = np.bincount(sink_ids, weights=psi[inside] * cell_area,
                               minlength=n + 1)[1:]
    e_star = _overflow_depths(eff_area, volume, downstream, order)

    out = table.copy()
    out["runoff_in"] = direct[1:]
    out["inflow"] = inflow
    out["stored"] = stored
    out["filled_fraction"] = stored / volume if n else np.empty(0)
    out["overflow"] = overflow
    out["water_level"] = level
    out["ponded_depth"] = level - bottom
    out["ponded_area"] = ponded_area
    out["overflow_rain_mm"] = e_star * 1000.0
    stored_total = float(stored.sum())
    balance = {
        "runoff": total_runoff,
        "stored": stored_total,
        "lost_edge": lost,
        "error": total_runoff - stored_total - lost,
        "ponded": float(np.nansum(depth) * cell_area),
    }
    log.info("screening: %d depressions, runoff %.6g m³, stored %.6g m³, lost %.6g m³",
             n, total_runoff, stored_total, lost)
    depth.setflags(write=False)   # ours alone: the Grid may keep it uncopied
    return ScreeningResult(depth=grid.with_values(depth), table=out,
                           labels=depressions.label_grid(), balance=balance,
                           depressions=depressions)


# ---------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------

def _per_cell(value: float | np.ndarray | Grid, shape: tuple[int, int], valid: np.ndarray,
              name: str) -> np.ndarray:
    """A 0-d array for a scalar, else a float64 copy of the grid-shaped array."""
    if isinstance(value, Grid):
        value = value.values
    arr = np.array(value, dtype=np.float64)
    if arr.ndim == 0:
        if not math.isfinite(float(arr)):
            raise InputError(f"{name} must be a finite number, not {float(arr)!r}.",
                             field=name)
        return arr
    if arr.shape != shape:
        raise InputError(f"{name} has shape {arr.shape}, the DEM {shape}.", field=name,
                         hint="Give a scalar or an array of the DEM's shape.")
    bad = valid & ~np.isfinite(arr)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise InputError(f"{name} is not finite in {int(bad.sum())} cells of the domain, "
                         f"first at row {r}, col {c}.", field=name)
    return arr


def _levels(labels: np.ndarray, z: np.ndarray, stored: np.ndarray, volume: np.ndarray,
            spill: np.ndarray, bottom: np.ndarray, cell_area: float) -> np.ndarray:
    """Water level of every depression from its volume-level curve."""
    level = np.where(stored >= volume, spill, bottom)
    partial = (stored > 0) & (stored < volume)
    if partial.any():
        keep = np.zeros(len(stored) + 1, dtype=bool)
        keep[1:] = partial
        cells = keep[np.maximum(labels, 0)]
        lab = labels[cells]
        zc = z[cells]
        srt = np.lexsort((zc, lab))
        lab = lab[srt]
        zc = np.ascontiguousarray(zc[srt])
        ids = np.flatnonzero(partial)
        starts = np.searchsorted(lab, ids + 1)
        ends = np.searchsorted(lab, ids + 1, side="right")
        h = _pool_levels(zc, starts, ends, stored[ids] / cell_area)
        level[ids] = np.minimum(h, spill[ids])
    return level


# ---------------------------------------------------------------------------------------
# numba kernels (plain arrays; depression k has id k + 1, downstream id 0 is the edge)
# ---------------------------------------------------------------------------------------
