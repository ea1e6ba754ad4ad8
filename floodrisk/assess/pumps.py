"""Pump stations and critical facilities: does the water at the site reach the equipment?

A station fails when water at its site rises above its electrical equipment level
(DOMAIN.md §6; Zhengzhou 2021: 362 of 2000+ heat stations took water). For every pump
station and every facility (substation, hospital, water plant) this module reads the
run's maximum depth at the site's cell, compares the water level with the equipment
level, and says whether the site lies in a depression of the terrain (the seed asks that
stations in low places that flood and fail be relocated before flood season). Failure
times come from the coupled run (which switches the pumps off when it happens); for
facilities, and for stations of other runs, the time the water first rose above the
equipment level is read from the site's depth series when the run recorded one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
import geopandas as gpd
import numpy as np
import pandas as pd

from ..errors import InputError
from ..grid import Grid

__all__ = ["SiteSettings", "assess_sites", "failure_cost", "site_cells"]


@dataclass(frozen=True)
class SiteSettings:
    """How a site is judged.

    Parameters
    ----------
    depression_depth
        A site whose ground lies more than this below the terrain with its depressions
        filled is in a depression, m (project default 0.05 m: below that, DEM noise).
    surroundings_radius
        Radius of the neighbourhood a site's ground is compared with, m (project default
        100 m); ``below_surroundings`` is the median ground there minus the site's.
    """

    depression_depth: float = 0.05
    surroundings_radius: float = 100.0

    def __post_init__(self) -> None:
        for name in ("depression_depth", "surroundings_radius"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v >= 0):
                raise InputError(f"{name} must be a number ≥ 0 m, got {v!r}.", field=name)


def site_cells(grid: Grid, points: gpd.GeoSeries, active: np.ndarray) -> tuple[np.ndarray,
                                                                               np.ndarray]:
    """The cell of each point; a point on a blocked or NaN cell takes the nearest active
    cell (a station's building is blocked in the run: the water is outside its walls)."""
    if not active.any():
        raise InputError("the run has no active cell.", field="max_depth")
    r, c = grid.index(points.x.to_numpy(), points.y.to_numpy())
    r = np.asarray(r, dtype=np.int64)
    c = np.asarray(c, dtype=np.int64)
    rows, cols = grid.shape
    for k, p in enumerate(points):
        if not (0 <= r[k] < rows and 0 <= c[k] < cols and active[r[k], c[k]]):
            r[k], c[k] = grid.nearest_cell(p.x, p.y, active)
    return r, c


def _first_over(series: pd.Series, ground: float, level: float) -> float:
    """First time (s) the water level ground + depth rose above ``level``, interpolated."""
    t = series.index.to_numpy(dtype=float)
    h = ground + series.to_numpy(dtype=float) - level
    above = np.flatnonzero(h > 0)
    if above.size == 0:
        return math.nan
    k = int(above[0])
    if k == 0:
        return float(t[0])
    return float(t[k - 1] + (t[k] - t[k - 1]) * (-h[k - 1]) / (h[k] - h[k - 1]))


def assess_sites(
    sites: gpd.GeoDataFrame,
    id_column: str,
    grid: Grid,
    max_depth: np.ndarray,
    *,
    filled: np.ndarray | None = None,
    failures: pd.DataFrame | None = None,
    series: pd.DataFrame | None = None,
    settings: SiteSettings | None = None,
) -> pd.DataFrame:
    """Check the water at each site against its equipment level.

    Parameters
    ----------
    sites
        Stations or facilities with ``equipment_elev`` (m; loaders fill it from the
        ground and ``equipment_height``) and point geometry.
    id_column
        Their id column (``station_id``, ``facility_id``).
    grid
        The terrain (ground elevation, m).
    max_depth
        The run's maximum depth, m (NaN off the domain and on buildings).
    filled
        The terrain with its depressions filled, m (:func:`floodrisk.fill_depressions`);
        without it no depression columns.
    failures
        The coupled run's ``pumps`` table (``station_id``, ``failed_at`` s, ``cause``).
    series
        Depth series at the sites: index time (s), columns MultiIndex (site id,
        ``"depth"``) as the run's probes.
    settings
        :class:`SiteSettings`.

    Returns
    -------
    DataFrame
        ``id_column``, ``ground_elev`` (m, at the site's cell), ``equipment_elev`` (m),
        ``max_site_depth`` (m), ``max_water_level`` (m), ``margin`` (equipment level minus
        the highest water level, m; negative: water reached the equipment), ``failed``,
        ``failure_time`` (s from rain start; NaN: did not fail or the run recorded no time),
        ``failure_cause``, ``depression_depth`` (m, filled minus ground), ``in_depression``,
        ``below_surroundings`` (m), ``relocate`` (failed and in a depression), geometry
        columns dropped.
    """
    s = settings if settings is not None else SiteSettings()
    depth = np.asarray(max_depth, dtype=np.float64)
    z = np.asarray(grid.values, dtype=np.float64)
    cols_out = [id_column, "ground_elev", "equipment_elev", "max_site_depth",
                "max_water_level", "margin", "failed", "failure_time", "failure_cause",
                "depression_depth", "in_depression", "below_surroundings", "relocate"]
    if sites is None or len(sites) == 0:
        return pd.DataFrame(columns=cols_out)
    if "equipment_elev" not in sites.columns:
        raise InputError("the sites have no equipment_elev.", layer=id_column,
                         field="equipment_elev",
                         hint="Give equipment_elev or equipment_height in the data.")
    sites = sites.reset_index(drop=True)
    active = ~np.isnan(depth) & ~np.isnan(z)
    r, c = site_cells(grid, sites.geometry, active)
    ground = z[r, c]
    d = np.nan_to_num(depth[r, c], nan=0.0)
    level = ground + d
    equip = pd.to_numeric(sites["equipment_elev"], errors="coerce").to_numpy(dtype=float)
    margin = equip - level
    failed = margin < 0
    ids = sites[id_column].astype(str).to_numpy()
    when = np.full(len(sites), np.nan)
    cause = np.array([""] * len(sites), dtype=object)
    if failures is not None and len(failures):
        f = failures.set_index(failures["station_id"].astype(str))
        for k, sid in enumerate(ids):
            if sid in f.index and not pd.isna(f.loc[sid, "failed_at"]):
                when[k] = float(f.loc[sid, "failed_at"])
                cause[k] = str(f.loc[sid, "cause"])
                failed[k] = True
    if series is not None and len(series):
        for k, sid in enumerate(ids):
            if failed[k] and math.isnan(when[k]) and (sid, "depth") in series.columns:
                when[k] = _first_over(series[(sid, "depth")], ground[k], equip[k])
    for k in range(len(sites)):
        if failed[k] and not cause[k]:
            cause[k] = "flooded"
    if filled is not None:
        fz = np.asarray(filled, dtype=np.float64)
        dep = fz[r, c] - ground
    else:
        dep = np.full(len(sites), np.nan)
    in_dep = np.nan_to_num(dep, nan=0.0) > s.depression_depth
    xs, ys = grid.cell_centres()
    rad = max(int(math.ceil(s.surroundings_radius / min(grid.dx, grid.dy))), 1)
    below = np.full(len(sites), np.nan)
    for k in range(len(sites)):
        r0, r1 = max(r[k] - rad, 0), min(r[k] + rad + 1, z.shape[0])
        c0, c1 = max(c[k] - rad, 0), min(c[k] + rad + 1, z.shape[1])
        win = z[r0:r1, c0:c1]
        dy = (ys[r0:r1] - ys[r[k]])[:, None]
        dx = (xs[c0:c1] - xs[c[k]])[None, :]
        near = (dx * dx + dy * dy <= s.surroundings_radius ** 2) & ~np.isnan(win)
        if near.any():
            below[k] = float(np.median(win[near])) - ground[k]
    out = pd.DataFrame({
        id_column: ids, "ground_elev": ground, "equipment_elev": equip,
        "max_site_depth": d, "max_water_level": level, "margin": margin, "failed": failed,
        "failure_time": when, "failure_cause": cause, "depression_depth": dep,
        "in_depression": in_dep, "below_surroundings": below,
        "relocate": failed & in_dep})
    return out[cols_out]


def failure_cost(max_depth: np.ndarray, baseline_depth: np.ndarray, cell_area: float,
                 threshold: float = 0.15) -> dict[str, float]:
    """What station failures cost: a run with them against the same run with every
    station working.

    Parameters
    ----------
    max_depth
        Maximum depth of the run with the failures, m.
    baseline_depth
        Maximum depth of the run with every station working, m (same grid).
    cell_area
        m² per cell.
    threshold
        Flooded depth, m (0.15 m: GB 51222).

    Returns
    -------
    dict
        ``extra_flooded_area_m2`` (flooded area with the failures minus without),
        ``newly_flooded_area_m2`` (flooded only with the failures), ``extra_volume_m3``
        (Σ of the maximum depth differences times the cell area: envelope volumes),
        ``max_extra_depth_m``.
    """
    a = np.nan_to_num(np.asarray(max_depth, dtype=np.float64), nan=0.0)
    b = np.nan_to_num(np.asarray(baseline_depth, dtype=np.float64), nan=0.0)
    if a.shape != b.shape:
        raise InputError(f"the two runs' grids differ: {a.shape} and {b.shape}.",
                         field="baseline_depth")
    wa, wb = a > threshold, b > threshold
    diff = a - b
    return {"extra_flooded_area_m2": float(int(wa.sum()) - int(wb.sum())) * cell_area,
            "newly_flooded_area_m2": float((wa & ~wb).sum()) * cell_area,
            "extra_volume_m3": float(diff.sum()) * cell_area,
            "max_extra_depth_m": float(diff.max()) if diff.size else 0.0}
