"""The 2D surface model's inputs from a study: roughness, buildings, losses and probes.

The surface engine (:mod:`floodrisk.engines.surface`) works on arrays; this module turns
the study's layers into them:

- Manning n per cell from the land-cover polygons' ``roughness`` (0.02 roads and paved,
  0.05 elsewhere in the project's land-cover table, the UK EA urban benchmark values of
  DOMAIN.md §2), a default where no polygon covers a cell;
- a mask of building cells (cell centres inside a footprint), taken out of the flow;
- a loss rate per cell: what the pipes carry away (the capacity check's drain rate of the
  nearest junction's outgoing pipes, none in a depression without an inlet: the rate the
  screening uses) plus infiltration into the pervious share of the cell at a constant
  rate;
- probe points at the underground entrances.

When the SWMM pipes are coupled to the surface (the coupled engine) the pipe loss is not
used: the pipes take water at their inlets instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
from shapely.geometry import Point

from .errors import ConfigError
from .grid import Grid
from .rainfall import MM_H_TO_M_S

__all__ = ["SurfaceInputs", "SurfaceGrids", "surface_grids", "landcover_values",
           "building_mask", "loss_rate", "entrance_probes"]


@dataclass(frozen=True)
class SurfaceInputs:
    """How a study's layers become the surface model's inputs.

    Parameters
    ----------
    default_manning
        Manning n where no land-cover polygon gives a roughness, s/m^(1/3) (0.03: between
        the EA benchmark's 0.02 for roads and 0.05 elsewhere, DOMAIN.md §2; project
        default).
    default_imperviousness
        Imperviousness where no land-cover polygon gives one (0.6: the ψ = 0.6 of dense
        built-up areas in GB 50014 through the ψ mapping, DOMAIN.md §2 [verify]).
    pervious_infiltration
        Infiltration rate of fully pervious ground, mm/h (12.7: Horton's final capacity
        f_min, DOMAIN.md §2 — a wet soil's rate, conservative for the start of a storm).
    pipe_drainage
        Whether the pipes take their capacity from each cell draining to a junction (the
        2D-only run's stand-in for the network; off when the pipes are coupled). The
        rates are the screening's (none when ``[screening] pipe_share`` is off or no
        capacity check ran).
    buildings
        ``"blocked"``: building cells are taken out of the flow (rain on them is not
        counted); ``"none"``: buildings are ignored (raise them in the DEM yourself).
    """

    default_manning: float = 0.03
    default_imperviousness: float = 0.6
    pervious_infiltration: float = 12.7
    pipe_drainage: bool = True
    buildings: str = "blocked"

    def __post_init__(self) -> None:
        if not 0 < self.default_manning <= 1:
            raise ConfigError("default_manning must be in (0, 1] s/m^(1/3).",
                              field="default_manning")
        if not 0 <= self.default_imperviousness <= 1:
            raise ConfigError("default_imperviousness is a fraction 0-1.",
                              field="default_imperviousness")
        if not (np.isfinite(self.pervious_infiltration) and self.pervious_infiltration >= 0):
            raise ConfigError("pervious_infiltration must be ≥ 0 mm/h.",
                              field="pervious_infiltration")
        if self.buildings not in ("blocked", "none"):
            raise ConfigError("buildings must be 'blocked' or 'none'.", field="buildings")


def landcover_values(dem: Grid, landcover: gpd.GeoDataFrame | None, column: str,
                     default: float) -> np.ndarray:
    """One numeric land-cover column rasterised onto the DEM (cell centres), the default
    where no polygon (or a NaN value) covers a cell.

    Parameters
    ----------
    dem
        The grid.
    landcover
        Land-cover polygons, or None.
    column
        The column to burn (``roughness``, ``imperviousness``).
    default
        Value of cells no polygon gives one.
    """
    from rasterio.features import rasterize

    if landcover is None or not len(landcover) or column not in landcover.columns:
        return np.full(dem.shape, float(default))
    values = landcover[column].to_numpy(dtype=float)
    shapes = [(g, float(v)) for g, v in zip(landcover.geometry, values)
              if g is not None and not g.is_empty and np.isfinite(v)]
    if not shapes:
        return np.full(dem.shape, float(default))
    grid = rasterize(shapes, out_shape=dem.shape, transform=dem.transform, fill=np.nan,
                     dtype="float64")
    return np.where(np.isnan(grid), float(default), grid)


def building_mask(dem: Grid, buildings: gpd.GeoDataFrame | None) -> np.ndarray:
    """Cells whose centres lie inside a building footprint.

    Parameters
    ----------
    dem
        The grid.
    buildings
        Building polygons, or None (no cell).
    """
    return polygon_mask(dem, buildings)


def polygon_mask(dem: Grid, polygons: gpd.GeoDataFrame | None) -> np.ndarray:
    """Cells whose centres lie inside any of the polygons (None: no cell)."""
    from rasterio.features import rasterize

    shapes = [] if polygons is None else [
        (g, 1) for g in polygons.geometry if g is not None and not g.is_empty]
    if not shapes:
        return np.zeros(dem.shape, dtype=bool)
    return rasterize(shapes, out_shape=dem.shape, transform=dem.transform, fill=0,
                     dtype="uint8").astype(bool)


def loss_rate(dem: Grid, *, imperviousness: np.ndarray, inputs: SurfaceInputs,
              drain_rate: np.ndarray | None = None) -> np.ndarray:
    """Water leaving each cell while water stands on it, mm/h: infiltration into its
    pervious share, plus (with ``pipe_drainage``) the rain rate its pipes carry.

    Parameters
    ----------
    dem
        The grid.
    imperviousness
        Impervious fraction per cell.
    inputs
        :class:`SurfaceInputs`.
    drain_rate
        Rain rate the pipes carry from each cell, m/s
        (:attr:`floodrisk.surplus.Surplus.drain_rate`: the nearest junction's outgoing
        pipes, none in a depression without an inlet); None: the pipes take nothing.
    """
    rate = (1.0 - np.clip(imperviousness, 0.0, 1.0)) * inputs.pervious_infiltration
    if inputs.pipe_drainage and drain_rate is not None:
        rate = rate + np.asarray(drain_rate, dtype=float) / MM_H_TO_M_S
    return np.where(dem.valid, rate, 0.0)


def entrance_probes(entrances: gpd.GeoDataFrame | None, dem: Grid) -> dict[str, Point]:
    """Probe points at the underground entrances inside the grid, keyed by entrance id.

    Parameters
    ----------
    entrances
        The ``entrances`` layer (``entrance_id``, points), or None.
    dem
        The grid (entrances outside it or on NaN cells are left out).
    """
    if entrances is None or not len(entrances):
        return {}
    out: dict[str, Point] = {}
    for eid, g in zip(entrances["entrance_id"].astype(str), entrances.geometry):
        if g is None or g.is_empty:
            continue
        r, c = dem.index(np.array([g.x]), np.array([g.y]))
        if r[0] >= 0 and dem.valid[r[0], c[0]]:
            out[eid] = Point(g.x, g.y)
    return out


@dataclass(frozen=True, eq=False)
class SurfaceGrids:
    """The per-cell inputs of a study's surface model.

    Parameters
    ----------
    manning
        Manning n, s/m^(1/3).
    losses
        Loss rate, mm/h (:func:`loss_rate`).
    blocked
        Building cells taken out of the flow, or None.
    """

    manning: np.ndarray
    losses: np.ndarray
    blocked: np.ndarray | None


def surface_grids(study, inputs: SurfaceInputs,
                  drain_rate: np.ndarray | None = None) -> SurfaceGrids:
    """Roughness and imperviousness from the study's land cover, its buildings as blocked
    cells (when ``inputs.buildings`` says so) and the loss rate per cell.

    Parameters
    ----------
    study
        The :class:`~floodrisk.study.Study`.
    inputs
        :class:`SurfaceInputs`.
    drain_rate
        Rain rate the pipes carry from each cell, m/s (see :func:`loss_rate`).
    """
    terrain, landcover = study.terrain, study.assets.landcover
    manning = landcover_values(terrain, landcover, "roughness", inputs.default_manning)
    imperv = landcover_values(terrain, landcover, "imperviousness",
                              inputs.default_imperviousness)
    blocked = (building_mask(terrain, study.assets.buildings)
               if inputs.buildings == "blocked" else None)
    return SurfaceGrids(manning=manning, blocked=blocked,
                        losses=loss_rate(terrain, imperviousness=imperv, inputs=inputs,
                                         drain_rate=drain_rate))
