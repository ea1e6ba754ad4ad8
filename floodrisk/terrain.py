"""DEM conditioning and terrain analysis: filling, flow directions and depressions.

Everything here works on a :class:`~floodrisk.grid.Grid` of ground elevations (m, NaN
outside the domain) and returns plain arrays held by small frozen values:

- :func:`fill_depressions` fills every closed depression to its spill level by
  priority-flood and gives D8 flow directions on the filled surface
  (:class:`FilledTerrain`);
- :func:`find_depressions` labels the depressions of the filled DEM and tabulates
  their spill level, area, volume, depth, pit and spill cells, the depression (or the
  edge) each one overflows into, and the area draining to each (:class:`Depressions`);
- :func:`depression_polygons` turns the labels into one polygon per depression.

Filling
-------
The fill is the "improved priority-flood" of Barnes, Lehman & Mulla (2014, Computers &
Geosciences 62: 117-127, algorithm 2) with the slope tracing of Zhou, Sun & Fu (2016,
Computers & Geosciences 90: 87-96): outlet cells seed a priority queue keyed on
elevation; each processed cell closes its 8 open neighbours. A neighbour lower than or
level with the processed cell's filled elevation is raised to it and queued FIFO, so
the cells of a depression cost O(1) each; a higher neighbour keeps its elevation (its
correct filled value in any case) and is processed at once, out of the heap's order,
when none of its open neighbours is lower, otherwise it waits in the heap. The kernel
works in float64: every cell of a filled depression holds exactly the elevation of
the cell it spills over, so ``filled - dem`` is exact.

Why not ``pyflwdir.dem.fill_depressions`` (0.5.12), measured on this machine (2 cores,
other jobs running; ``benchmarks/screening_scale.py --pyflwdir``):

- the 4000 × 4000 synthetic city (float32 DEM): pyflwdir 5.6-5.8 s, this fill with its
  D8 pass 3.4-3.7 s (1.5-1.7×); identical filled surfaces;
- a 4000 × 4000 smooth random float64 terrain with 30 % of its cells filled: pyflwdir
  5.6-8.3 s, this kernel 2.9-3.6 s (about 2×); pyflwdir keys its heap on float32, so its
  filled levels of a float64 DEM are float32-rounded (up to 8e-6 m off at 100 m) and
  pool volumes are not exact sums of ``level - dem``.

Plain Barnes algorithm 2 (no tracing) took 7.8 s on the random terrain, and a radix
heap in place of the binary heap gained nothing measurable. The own kernel was kept for
the speed, the exact float64 levels and the directions below; pyflwdir is not needed at
run time (it is the ``bench`` extra). The D8 codes are pyflwdir's (1 E, 2 SE, 4 S, 8 SW,
16 W, 32 NW, 64 N, 128 NE, 0 outlet, 247 nodata), so
``pyflwdir.from_array(terrain.d8, ftype="d8", transform=..., latlon=False)`` works on
them.

Flow directions
---------------
On the filled surface, a cell that has a strictly lower neighbour drains to the
neighbour of steepest descent (drop over centre distance); a cell on a flat or inside
a filled depression drains to the cell that flooded it, so that the flats of filled
depressions drain breadth-first toward their spill cell. Outlet cells are pits (code 0):
water that reaches them leaves the domain. These directions carry a depression's
overflow from its spill cell onward.

Runoff follows the ground itself where it can: a cell outside the filled depressions
sends its runoff down the steepest descent of the *original* DEM to a neighbour that is
either outside the filled depressions too or inside a labelled depression, and along
the D8 directions otherwise (inside filled areas shallower than the threshold, on flats
without such a lower neighbour). So the rim cells of a depression, its spill cell
included, drain into it as on the real ground, where the filled surface's directions
would send the water of cells level with the spill level over the rim. Both kinds of
step never climb and the original-ground step strictly descends, so paths end at an
outlet or a depression.

Depressions
-----------
A depression is a connected set (8-neighbours) of cells whose filled depth
``filled - dem`` exceeds a small threshold (1 mm by default). These are the *maximal*
(merged) depressions of the fully filled DEM: a depression that, once full, merges
with a neighbour into one larger pool is part of that larger one, and nested
sub-depressions are not modelled separately. A depression holds water as one pool at
a level h given by its volume-level curve V(h) = Σ max(0, h − z)·A over all its cells,
even while the pool is low enough to be split among its sub-basins in reality, where
the water first fills the sub-basin it runs into. So its stored volume, when it
overflows and how much, and where to are exact (given the D8 routing), but while it is
partly full its ponded-depth map spreads the water over every sub-basin: too shallow
in the one that fills, wet in ones that would still be dry. Each depression's
downstream is the first other depression met along the D8 path from its deepest (pit)
cell past its last own cell, or 0 for the edge.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd
from scipy import ndimage

from .errors import InputError
from .grid import Grid
from . import _terrain_kernels as _kernels
from ._terrain_kernels import (_priority_flood, _steepest_descent, _downstream_all, _runoff_directions, _sinks, _depression_stats, _spill_paths, _topological_order, _accumulate)

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = [
    "D8_NODATA",
    "D8_OUTLET",
    "Depressions",
    "FilledTerrain",
    "depression_polygons",
    "downstream_index",
    "fill_depressions",
    "find_depressions",
]

log = logging.getLogger(__name__)

#: D8 code of an outlet (pit) cell: water that reaches it leaves the domain.
D8_OUTLET = _kernels.D8_OUTLET
#: D8 code of a cell outside the domain.
D8_NODATA = _kernels.D8_NODATA


# ---------------------------------------------------------------------------------------
# values
# ---------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class FilledTerrain:
    """A DEM with its depressions filled and the D8 flow directions of the filled surface.

    Parameters
    ----------
    dem
        The ground elevations that were filled (m).
    filled
        The filled surface (m, float64): every closed depression raised to its spill
        level; NaN outside the domain.
    d8
        D8 flow directions of the filled surface (uint8, pyflwdir codes: 1 E, 2 SE, 4 S,
        8 SW, 16 W, 32 NW, 64 N, 128 NE; 0 outlet, 247 outside the domain).
    outlets
        How outlet cells were chosen (``"edge"``, ``"lowest"`` or ``"none"``).
    nan_outlets
        Whether valid cells next to NaN cells were outlets.
    """

    dem: Grid
    filled: Grid
    d8: np.ndarray
    outlets: str
    nan_outlets: bool

    @property
    def depth(self) -> np.ndarray:
        """Filled depth ``filled - dem`` (m, NaN outside the domain)."""
        return self.filled.values - np.asarray(self.dem.values, dtype=np.float64)

    @property
    def outlet_mask(self) -> np.ndarray:
        """Boolean mask of the outlet cells (D8 code 0)."""
        return self.d8 == D8_OUTLET

    def __repr__(self) -> str:
        return (f"FilledTerrain(shape={self.dem.shape}, outlets={self.outlets!r}, "
                f"{int(self.outlet_mask.sum())} outlet cells)")


@dataclass(frozen=True, eq=False)
class Depressions:
    """The depressions of a filled DEM.

    Parameters
    ----------
    terrain
        The filled terrain they were found on.
    labels
        Depression id of every cell (int32): 1..n inside depressions, 0 elsewhere in the
        domain, -1 outside it.
    sinks
        Id of the depression each cell's runoff drains to (int32): a depression's own
        cells drain to it, 0 means off the edge (an outlet), -1 outside the domain.
    table
        One row per depression, indexed by ``depression_id`` (1..n); columns:

        - ``spill_elev``: level of the filled pool, m;
        - ``bottom_elev``: lowest ground, m; ``max_depth``: ``spill_elev - bottom_elev``, m;
        - ``area``: cells deeper than the threshold, m²; ``n_cells``;
        - ``volume``: Σ (filled − dem)·cell area, m³ (the volume it holds when full);
        - ``pit_row``, ``pit_col``, ``pit_x``, ``pit_y``: deepest cell;
        - ``spill_row``, ``spill_col``, ``spill_x``, ``spill_y``: the cell it overflows
          through (first cell past its last own cell on the D8 path from the pit);
        - ``downstream_id``: depression its overflow goes to, 0 for off the edge;
        - ``catchment_area``: area draining to it directly, its own cells included, m²;
        - ``total_catchment_area``: that plus the catchments of every depression that
          overflows into it, directly or through others, m².
    threshold
        Least filled depth of a depression cell, m.
    order
        Depression ids in topological order (every depression before the one it
        overflows into).
    """

    terrain: FilledTerrain
    labels: np.ndarray
    sinks: np.ndarray
    table: pd.DataFrame
    threshold: float
    order: np.ndarray

    @property
    def grid(self) -> Grid:
        """The DEM the depressions were found on."""
        return self.terrain.dem

    def label_grid(self) -> Grid:
        """Depression ids as a Grid (0 outside depressions, NaN outside the domain)."""
        dtype = np.float32 if len(self.table) < 2**24 else np.float64
        values = self.labels.astype(dtype)
        values[self.labels < 0] = np.nan
        values.setflags(write=False)   # a fresh array: the Grid may keep it uncopied
        return self.grid.with_values(values)

    def __len__(self) -> int:
        return len(self.table)

    def __repr__(self) -> str:
        vol = float(self.table["volume"].sum()) if len(self.table) else 0.0
        return (f"Depressions({len(self.table)} depressions deeper than "
                f"{self.threshold * 1000:g} mm, {vol:.6g} m³ in all)")


# ---------------------------------------------------------------------------------------
# public functions
# ---------------------------------------------------------------------------------------

def fill_depressions(
    dem: Grid,
    *,
    outlets: Literal["edge", "lowest", "none"] = "edge",
    nan_outlets: bool = True,
    outlet_cells: np.ndarray | None = None,
) -> FilledTerrain:
    """Fill the closed depressions of a DEM (priority-flood) and give D8 directions.

    Parameters
    ----------
    dem
        Ground elevations, m; NaN cells are outside the domain.
    outlets
        Where water leaves the domain: ``"edge"`` every valid cell on the border of the
        grid (and next to NaN cells when ``nan_outlets``); ``"lowest"`` only the lowest
        of those border cells (a closed domain with one outfall); ``"none"`` no border
        cell, only ``outlet_cells``.
    nan_outlets
        Count valid cells with a NaN neighbour as border cells (water flows off into the
        NaN area). False makes NaN areas walls.
    outlet_cells
        Boolean mask (grid shape) of further outlet cells, such as river cells or known
        outfalls; NaN cells in it are ignored.

    Returns
    -------
    FilledTerrain

    Raises
    ------
    InputError
        When there is no outlet at all (the filled level would be undefined).
    """
    if outlets not in ("edge", "lowest", "none"):
        raise InputError(f"outlets must be 'edge', 'lowest' or 'none', not {outlets!r}.",
                         field="outlets")
    z = _readonly(np.ascontiguousarray(dem.values, dtype=np.float64))
    valid = ~np.isnan(z)
    seed = _outlet_seeds(valid, z, outlets, nan_outlets, outlet_cells, dem.shape)
    if not seed.any():
        raise InputError(
            "the DEM has no outlet cell, so its depressions cannot be filled.",
            field="outlets",
            hint="Use outlets='edge' or 'lowest', or give outlet_cells.")
    filled, d8 = _priority_flood(z, seed)
    _steepest_descent(filled, z, d8, float(dem.dx), float(dem.dy))
    log.debug("filled %d cells, %d outlets, %d raised", int(valid.sum()), int(seed.sum()),
              int((filled > z).sum()))
    filled.setflags(write=False)   # ours alone: the Grid may keep it uncopied
    d8.setflags(write=False)
    return FilledTerrain(dem=dem, filled=dem.with_values(filled), d8=d8, outlets=outlets,
                         nan_outlets=nan_outlets)


def find_depressions(
    dem: Grid | FilledTerrain,
    *,
    threshold: float = 0.001,
    outlets: Literal["edge", "lowest", "none"] = "edge",
    nan_outlets: bool = True,
    outlet_cells: np.ndarray | None = None,
) -> Depressions:
    """Label the depressions of the fully filled DEM and tabulate them.

    Parameters
    ----------
    dem
        Ground elevations (filled here with the outlet options below), or a terrain
        already filled by :func:`fill_depressions` (the outlet options are then unused).
    threshold
        Least filled depth of a depression cell, m (> 0).
    outlets, nan_outlets, outlet_cells
        As in :func:`fill_depressions`.

    Returns
    -------
    Depressions
    """
    if not (threshold > 0 and math.isfinite(threshold)):
        raise InputError(f"the depression threshold must be a positive depth in m, not "
                         f"{threshold!r}.", field="threshold")
    terrain = dem if isinstance(dem, FilledTerrain) else fill_depressions(
        dem, outlets=outlets, nan_outlets=nan_outlets, outlet_cells=outlet_cells)
    grid = terrain.dem
    z = _readonly(np.ascontiguousarray(grid.values, dtype=np.float64))
    filled = terrain.filled.values
    deep = (filled - z) > threshold   # False on NaN
    labels, n = ndimage.label(deep, structure=np.ones((3, 3), dtype=bool))
    labels = labels.astype(np.int32, copy=False)
    labels[np.isnan(z)] = -1
    d8 = terrain.d8
    dx, dy = float(grid.dx), float(grid.dy)
    sinks = _sinks(_readonly(_runoff_directions(d8, labels, z, filled, dx, dy)), labels)
    n_cells, depth_sum, pit, bottom = _depression_stats(labels, z, filled, n)
    spill, downstream = _spill_paths(d8, labels, filled, _sinks(d8, labels), pit)
    order = _topological_order(downstream)
    if order.size < n:
        raise RuntimeError("the depressions overflow into each other in a cycle; "
                           "this is a bug in floodrisk.terrain, please report it.")
    area = grid.cell_area
    catchment = np.bincount(sinks.ravel() + 1, minlength=n + 2)[2:] * area
    total = _accumulate(catchment, downstream, order)

    ncol = grid.shape[1]
    xs, ys = grid.cell_centres()
    pit_r, pit_c = np.divmod(pit, ncol)
    sp_r, sp_c = np.divmod(spill, ncol)
    spill_elev = filled.ravel()[pit]
    table = pd.DataFrame({
        "spill_elev": spill_elev,
        "bottom_elev": bottom,
        "max_depth": spill_elev - bottom,
        "area": n_cells * area,
        "n_cells": n_cells,
        "volume": depth_sum * area,
        "pit_row": pit_r, "pit_col": pit_c, "pit_x": xs[pit_c], "pit_y": ys[pit_r],
        "spill_row": sp_r, "spill_col": sp_c, "spill_x": xs[sp_c], "spill_y": ys[sp_r],
        "downstream_id": downstream,
        "catchment_area": catchment,
        "total_catchment_area": total,
    }, index=pd.RangeIndex(1, n + 1, name="depression_id"))
    for a in (labels, sinks):
        a.setflags(write=False)
    log.debug("%d depressions deeper than %g m, %.6g m³", n, threshold,
              float(table["volume"].sum()))
    return Depressions(terrain=terrain, labels=labels, sinks=sinks, table=table,
                       threshold=float(threshold), order=order + 1)


def depression_polygons(depressions: Depressions, grid: Grid | None = None,
                        table: pd.DataFrame | None = None) -> gpd.GeoDataFrame:
    """One (multi)polygon per depression, with the columns of its table.

    Parameters
    ----------
    depressions
        Found by :func:`find_depressions`.
    grid
        Geometry (transform, CRS) of the labels; the DEM they were found on by default.
    table
        Table to attach instead of ``depressions.table`` (e.g. a screening result's),
        indexed by depression id.

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by ``depression_id``, in the CRS of the grid; the polygons are the outlines
        of the depression cells (cells touching only at a corner give a MultiPolygon).
    """
    import geopandas as gpd
    import rasterio.features
    import shapely

    grid = depressions.grid if grid is None else grid
    table = depressions.table if table is None else table
    if grid.shape != depressions.labels.shape:
        raise InputError(f"grid shape {grid.shape} differs from the labels' "
                         f"{depressions.labels.shape}.")
    labels = depressions.labels
    ids: list[int] = []
    geoms = []
    if len(table):
        for geom, value in rasterio.features.shapes(labels, mask=labels > 0,
                                                    connectivity=4,
                                                    transform=grid.transform):
            ids.append(int(value))
            geoms.append(shapely.geometry.shape(geom))
    parts = gpd.GeoDataFrame({"depression_id": np.asarray(ids, dtype=np.int64)},
                             geometry=geoms, crs=grid.crs)
    merged = parts.dissolve(by="depression_id") if len(parts) else parts.set_index(
        "depression_id")
    out = gpd.GeoDataFrame(table.copy(), geometry=merged.geometry.reindex(table.index),
                           crs=grid.crs)
    return out


def downstream_index(d8: np.ndarray) -> np.ndarray:
    """Linear index of each cell's downstream cell (-1 for outlets and nodata).

    Parameters
    ----------
    d8
        D8 codes as in :class:`FilledTerrain`.
    """
    return _downstream_all(np.ascontiguousarray(d8))


# ---------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------

def _readonly(a: np.ndarray) -> np.ndarray:
    """A read-only view: the kernels then compile once whatever the caller passes."""
    v = a.view()
    v.setflags(write=False)
    return v


def _outlet_seeds(valid: np.ndarray, z: np.ndarray, outlets: str, nan_outlets: bool,
                  outlet_cells: np.ndarray | None, shape: tuple[int, int]) -> np.ndarray:
    """Boolean mask of the cells that seed the priority-flood."""
    border = np.zeros(shape, dtype=bool)
    if outlets != "none":
        border[0, :] = border[-1, :] = True
        border[:, 0] = border[:, -1] = True
        if nan_outlets and not valid.all():
            near_nan = ndimage.binary_dilation(~valid, structure=np.ones((3, 3), dtype=bool))
            border |= near_nan
        border &= valid
        if outlets == "lowest" and border.any():
            k = np.argmin(np.where(border, z, np.inf))
            border[:] = False
            border.flat[k] = True
    if outlet_cells is not None:
        extra = np.asarray(outlet_cells, dtype=bool)
        if extra.shape != shape:
            raise InputError(f"outlet_cells has shape {extra.shape}, the DEM {shape}.",
                             field="outlet_cells")
        border |= extra & valid
    return border


# ---------------------------------------------------------------------------------------
# numba kernels (plain arrays; flat indices idx = row * ncol + col)
# ---------------------------------------------------------------------------------------
