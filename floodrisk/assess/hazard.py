"""Flood hazard and risk from the envelope grids of a 2D surface run (DOMAIN.md §4).

Inputs are the run's maxima grids, plain float64 arrays of one shape with NaN outside the
domain and on buildings: ``max_depth`` (m), ``max_velocity`` (m/s) and ``duration_over``
(s the depth stayed above the engine's wet threshold, 0.15 m).

Depth and velocity are each the maximum over the run, and the two need not have happened
at the same time step. Rating a cell on both maxima together is the usual conservative
envelope: it can only overstate the hazard of any single moment, never understate it.

Three hazard schemes are worked out per cell:

* **DEFRA/EA FD2320/FD2321** hazard rating ``HR = d·(v + 0.5) + DF`` (DF the debris
  factor) and its four classes low / moderate / significant / extreme
  (:func:`defra_rating`, :func:`defra_class`, :func:`debris_factor`).
* **ARR 2019 / AIDR 7-3** hazard classes H1..H6 (:func:`arr_class`).
* **Chinese depth × duration grading** low / medium / high (:func:`cn_grade`). Chinese
  grading tables differ by city and were not verified here: the table of
  :class:`HazardSettings` is a project default [verify].

Edge conventions
----------------
* A value exactly at a class edge belongs to the higher class, everywhere: HR = 0.75 is
  moderate, HR = 2.0 extreme; a depth of exactly 0.30 m is in the 0.30-0.50 m class, a
  duration of exactly 1800 s in the 0.5-2 h class. (DOMAIN.md writes "> 2.0 extreme"; the
  project takes the edge into the worse class, the conservative side.)
* ARR limits are upper limits that hold *with* equality (the table says "≤"): d = 0.3 m,
  v = 1.0 m/s is H1.
* ``wet_depth`` (0.15 m) is the least depth that is classed: a cell shallower than it is
  class 0, a cell exactly at it gets a class. GB 51222-2017 accepts ponding of 0.15 m, so
  such a cell gets the lowest class of each scheme, the conservative side.
* Debris factor: d < 0.25 m gives DF = 0 whatever the velocity; 0.25 ≤ d ≤ 0.75 m gives
  the middle factor unless v > 2 m/s; d > 0.75 m or v > 2 m/s gives the high factor.
* NaN in any input of a cell gives a NaN rating and class 0.

Comparisons are made on the float64 values as given, without a tolerance.

Risk crosses a hazard grade (by default the Chinese grade 0-3) with an exposure class
(1 low, 2 medium, 3 high) through the matrix of :class:`RiskSettings` (project default
[verify]): per cell (:func:`risk_grid`) or per building (:func:`building_risk`, the worst
grade in the ring of cells around the footprint, since building cells are blocked in the
run).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from affine import Affine
from rasterio import features

from ..errors import ConfigError, InputError

__all__ = [
    "CN_LABELS",
    "DEFRA_LABELS",
    "EXPOSURE_LABELS",
    "RISK_LABELS",
    "HazardGrids",
    "HazardSettings",
    "RiskSettings",
    "arr_class",
    "arr_labels",
    "building_risk",
    "cn_grade",
    "debris_factor",
    "defra_class",
    "defra_rating",
    "hazard_grids",
    "risk_grid",
    "exposure_grid",
]

#: DEFRA/EA FD2320 classes 0-4 (0: below the wet depth, or no data).
DEFRA_LABELS = ("none", "low: caution", "moderate: danger for some",
                "significant: danger for most", "extreme: danger for all")
#: Chinese grades 0-3.
CN_LABELS = ("none", "low", "medium", "high")
#: Exposure classes 1-3 (index 0 unused: nothing exposed).
EXPOSURE_LABELS = ("none", "low", "medium", "high")
#: Risk classes 0-3.
RISK_LABELS = ("none", "low", "medium", "high")


def arr_labels(n_limits: int = 5) -> tuple[str, ...]:
    """Labels of ARR classes 0..n+1 for ``n_limits`` limit rows ("none", "H1", ...)."""
    return ("none",) + tuple(f"H{k}" for k in range(1, n_limits + 2))


def _floats(name: str, value: Sequence[float], n: int | None = None, *,
            increasing: bool = True, positive: bool = True) -> tuple[float, ...]:
    """Check a sequence of finite numbers (length n, strictly increasing, > 0)."""
    try:
        out = tuple(float(x) for x in value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a sequence of numbers, got {value!r}.",
                          field=name) from None
    if n is not None and len(out) != n:
        raise ConfigError(f"{name} must hold {n} numbers, got {len(out)}.", field=name)
    if not out or not all(np.isfinite(out)):
        raise ConfigError(f"{name} must hold finite numbers, got {value!r}.", field=name)
    if positive and min(out) <= 0:
        raise ConfigError(f"{name} must be positive, got {value!r}.", field=name)
    if increasing and any(b <= a for a, b in itertools.pairwise(out)):
        raise ConfigError(f"{name} must be strictly increasing, got {value!r}.", field=name)
    return out


def _int_matrix(name: str, value: Sequence[Sequence[int]], shape: tuple[int, int],
                lo: int, hi: int) -> tuple[tuple[int, ...], ...]:
    """Check a matrix of integers in [lo, hi], non-decreasing along rows and columns."""
    try:
        m = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a table of integers.", field=name) from None
    if m.shape != shape:
        raise ConfigError(f"{name} must be a {shape[0]}×{shape[1]} table, got shape "
                          f"{m.shape}.", field=name)
    if not (np.all(np.isfinite(m)) and np.all(m == np.round(m))
            and m.min() >= lo and m.max() <= hi):
        raise ConfigError(f"{name} must hold integers from {lo} to {hi}.", field=name)
    if np.any(np.diff(m, axis=0) < 0) or np.any(np.diff(m, axis=1) < 0):
        raise ConfigError(f"{name} must not decrease along a row or down a column "
                          "(more water or more exposure is never less serious).", field=name)
    return tuple(tuple(int(x) for x in row) for row in m)


@dataclass(frozen=True)
class HazardSettings:
    """Thresholds of the hazard schemes, with their sources (DOMAIN.md §4).

    Parameters
    ----------
    wet_depth
        Least depth that gets a hazard class, m: 0.15 m, the GB 51222-2017 / MOHURD 2014
        ponding limit of one traffic lane. Shallower cells are class 0 in the DEFRA and
        ARR schemes.
    defra_class_edges
        Limits of the FD2320/FD2321 HR classes (HR index, no unit): 0.75 / 1.25 / 2.0
        between low "caution", moderate "danger for some", significant "danger for most"
        and extreme "danger for all". A value at an edge is in the higher class.
    land_use
        Land use picking the debris factor: "urban" (default), "pasture" or "woodland"
        (a name of ``debris_factors``).
    debris_depth_edges
        Depth limits of the FD2321 debris-factor table, m: below 0.25 m DF = 0; from
        0.25 to 0.75 m (both included) the middle factor; above 0.75 m the high factor.
    debris_velocity
        Velocity above which the high debris factor applies at any depth of at least
        the first ``debris_depth_edges``, m/s: 2 m/s (FD2321).
    debris_factors
        Rows (land use, DF at 0.25-0.75 m, DF above 0.75 m or 2 m/s), no unit: pasture
        0 / 0.5, woodland 0.5 / 1, urban 1 / 1 (FD2321 as DOMAIN.md §4 quotes it,
        [verify DF]).
    arr_limits
        ARR 2019 / AIDR 7-3 hazard curves, one row (d·v m²/s, d m, v m/s) per class
        H1..H5, each an upper limit that holds with equality; a cell is the first class
        whose three limits all hold, beyond the last row H6. Default the DOMAIN.md §4
        table: H1 (0.3, 0.3, 2.0), H2 (0.6, 0.5, 2.0), H3 (0.6, 1.2, 2.0),
        H4 (1.0, 2.0, 2.0), H5 (4.0, 4.0, 4.0).
    cn_depth_edges
        Lower limits of the Chinese depth classes, m: 0.15-0.30, 0.30-0.50, ≥ 0.50 m.
        Shallower than the first: grade 0. Project default, DOMAIN.md §4 ("Chinese risk
        grading tables differ by city and were not verified here") [verify].
    cn_duration_edges
        Limits of the duration classes, s: < 1800 s (0.5 h), 1800-7200 s (0.5-2 h),
        ≥ 7200 s (2 h). Project default, DOMAIN.md §4 [verify]. Durations are the time
        above the engine's wet threshold (0.15 m).
    cn_matrix
        Grade (1 low, 2 medium, 3 high) of each depth class (rows, shallowest first) and
        duration class (columns, shortest first); must not decrease along rows or
        columns. Project default [verify], a monotone grid::

                         < 0.5 h  0.5-2 h  > 2 h
            0.15-0.30 m     1        1       2
            0.30-0.50 m     1        2       3
            ≥ 0.50 m        2        3       3
    """

    wet_depth: float = 0.15
    defra_class_edges: tuple[float, float, float] = (0.75, 1.25, 2.0)
    land_use: str = "urban"
    debris_depth_edges: tuple[float, float] = (0.25, 0.75)
    debris_velocity: float = 2.0
    debris_factors: tuple[tuple[str, float, float], ...] = (
        ("pasture", 0.0, 0.5), ("woodland", 0.5, 1.0), ("urban", 1.0, 1.0))
    arr_limits: tuple[tuple[float, float, float], ...] = (
        (0.3, 0.3, 2.0), (0.6, 0.5, 2.0), (0.6, 1.2, 2.0), (1.0, 2.0, 2.0), (4.0, 4.0, 4.0))
    cn_depth_edges: tuple[float, ...] = (0.15, 0.30, 0.50)
    cn_duration_edges: tuple[float, ...] = (1800.0, 7200.0)
    cn_matrix: tuple[tuple[int, ...], ...] = ((1, 1, 2), (1, 2, 3), (2, 3, 3))

    def __post_init__(self) -> None:
        put = object.__setattr__
        for name in ("wet_depth", "debris_velocity"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and np.isfinite(v) and v > 0):
                raise ConfigError(f"{name} must be a positive number, got {v!r}.", field=name)
        put(self, "defra_class_edges", _floats("defra_class_edges", self.defra_class_edges, 3))
        put(self, "debris_depth_edges",
            _floats("debris_depth_edges", self.debris_depth_edges, 2))
        rows = []
        for row in self.debris_factors:
            if (isinstance(row, str) or not isinstance(row, Sequence) or len(row) != 3
                    or not isinstance(row[0], str)):
                raise ConfigError("debris_factors rows must be (land use, DF middle, DF high), "
                                  f"got {row!r}.", field="debris_factors")
            mid, high = _floats("debris_factors", row[1:], 2, increasing=False, positive=False)
            if min(mid, high) < 0:
                raise ConfigError(f"debris factors must not be negative, got {row!r}.",
                                  field="debris_factors")
            rows.append((row[0], mid, high))
        put(self, "debris_factors", tuple(rows))
        names = [r[0] for r in rows]
        if self.land_use not in names:
            raise ConfigError(f"unknown land use {self.land_use!r}.", field="land_use",
                              hint=f"Use one of {', '.join(map(repr, names))}.")
        lim = []
        for row in self.arr_limits:
            lim.append(_floats("arr_limits", row, 3, increasing=False))
        if not lim:
            raise ConfigError("arr_limits must hold at least one row.", field="arr_limits")
        if np.any(np.diff(np.array(lim), axis=0) < 0):
            raise ConfigError("arr_limits must not decrease from one class to the next.",
                              field="arr_limits")
        put(self, "arr_limits", tuple(lim))
        put(self, "cn_depth_edges", _floats("cn_depth_edges", self.cn_depth_edges))
        put(self, "cn_duration_edges", _floats("cn_duration_edges", self.cn_duration_edges))
        shape = (len(self.cn_depth_edges), len(self.cn_duration_edges) + 1)
        put(self, "cn_matrix", _int_matrix("cn_matrix", self.cn_matrix, shape, 1, 3))

    def debris(self) -> tuple[float, float]:
        """(DF at 0.25-0.75 m, DF above 0.75 m or 2 m/s) of :attr:`land_use`."""
        return next((m, h) for name, m, h in self.debris_factors if name == self.land_use)


@dataclass(frozen=True)
class RiskSettings:
    """Exposure × hazard risk matrix, a project default [verify].

    Parameters
    ----------
    matrix
        Risk class (0 none, 1 low, 2 medium, 3 high) of each exposure class (rows:
        1 low, 2 medium, 3 high) and hazard grade (columns: 0, 1, ...; by default the
        Chinese grade 0-3 of :func:`cn_grade`, so 4 columns). Hazard grade 0 must give
        risk 0 and the table must not decrease along rows or columns. Project default
        [verify] (no source fixes it; medium exposure keeps the hazard grade, low
        exposure lowers it, high exposure raises it)::

                        grade 0  1  2  3
            low            0     1  1  2
            medium         0     1  2  3
            high           0     2  3  3
    default_exposure
        Exposure class of a building when none is given, and of a cell of the risk grid
        that no land-cover polygon classifies: 2 (medium), project default.
    landcover_exposure
        Exposure class (0 none, 1 low, 2 medium, 3 high) of the cells of each land-cover
        class, for the risk grid (:func:`exposure_grid`). Project default [verify]:
        buildings 3 (people and property; their cells are blocked in a 2D run, so the
        buildings' own risk is in :func:`building_risk`), roads 2 (traffic), green 1,
        water 0 (a water body is not exposed to waterlogging).
    """

    matrix: tuple[tuple[int, ...], ...] = ((0, 1, 1, 2), (0, 1, 2, 3), (0, 2, 3, 3))
    default_exposure: int = 2
    landcover_exposure: tuple[tuple[str, int], ...] = (
        ("building", 3), ("road", 2), ("green", 1), ("water", 0))

    def __post_init__(self) -> None:
        try:
            ncol = len(self.matrix[0])
        except (TypeError, IndexError):
            raise ConfigError("matrix must be a table of 3 rows.", field="matrix") from None
        if ncol < 2:
            raise ConfigError("matrix needs a column for grade 0 and at least one more.",
                              field="matrix")
        m = _int_matrix("matrix", self.matrix, (3, ncol), 0, 3)
        if any(row[0] != 0 for row in m):
            raise ConfigError("hazard grade 0 (no flooding) must give risk 0.", field="matrix")
        object.__setattr__(self, "matrix", m)
        if self.default_exposure not in (1, 2, 3) or isinstance(self.default_exposure, bool):
            raise ConfigError(f"default_exposure must be 1, 2 or 3, got "
                              f"{self.default_exposure!r}.", field="default_exposure")
        try:
            pairs = tuple((str(k), v) for k, v in (
                self.landcover_exposure.items() if isinstance(self.landcover_exposure, dict)
                else self.landcover_exposure))
        except (TypeError, ValueError):
            raise ConfigError("landcover_exposure must map land-cover classes to exposure "
                              "classes 0-3, e.g. { road = 2, green = 1 }.",
                              field="landcover_exposure") from None
        bad = [k for k, v in pairs if v not in (0, 1, 2, 3) or isinstance(v, bool)]
        if bad:
            raise ConfigError(f"landcover_exposure of {', '.join(bad)} must be 0, 1, 2 or 3.",
                              field="landcover_exposure")
        object.__setattr__(self, "landcover_exposure", tuple((k, int(v)) for k, v in pairs))

    @property
    def n_grades(self) -> int:
        """Number of hazard grades the matrix takes (0 .. n-1)."""
        return len(self.matrix[0])


# ---- per-cell hazard ---------------------------------------------------------------------
def _arr(x: np.ndarray | float, name: str) -> np.ndarray:
    try:
        return np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be an array of numbers.", field=name) from None


def _same_shape(**arrays: np.ndarray) -> None:
    first, *rest = arrays.items()
    for name, a in rest:
        if a.shape != first[1].shape:
            raise InputError(f"{name} has shape {a.shape}, {first[0]} has {first[1].shape}.",
                             field=name, hint="Pass grids of one run, of one shape.")


def debris_factor(depth: np.ndarray | float, velocity: np.ndarray | float,
                  settings: HazardSettings | None = None) -> np.ndarray:
    """FD2321 debris factor DF of each cell, for the settings' land use.

    Parameters
    ----------
    depth
        Maximum depth d, m.
    velocity
        Maximum velocity v, m/s.
    settings
        :class:`HazardSettings` (land use, debris table).

    Returns
    -------
    ndarray
        DF (no unit): 0 where d < 0.25 m (whatever v); the middle factor where
        0.25 ≤ d ≤ 0.75 m and v ≤ 2 m/s; the high factor where d ≥ 0.25 m and (d > 0.75 m
        or v > 2 m/s); NaN where d or v is NaN.
    """
    s = settings or HazardSettings()
    d, v = _arr(depth, "depth"), _arr(velocity, "velocity")
    _same_shape(depth=d, velocity=v)
    mid, high = s.debris()
    low_edge, high_edge = s.debris_depth_edges
    with np.errstate(invalid="ignore"):
        df = np.where(d < low_edge, 0.0,
                      np.where((d > high_edge) | (v > s.debris_velocity), high, mid))
    return np.where(np.isnan(d) | np.isnan(v), np.nan, df)


def defra_rating(depth: np.ndarray | float, velocity: np.ndarray | float,
                 settings: HazardSettings | None = None) -> np.ndarray:
    """FD2320/FD2321 hazard rating ``HR = d·(v + 0.5) + DF`` of each cell.

    Parameters
    ----------
    depth
        Maximum depth d, m.
    velocity
        Maximum velocity v, m/s (0.5 m/s is added as FD2320 does).
    settings
        :class:`HazardSettings` (land use for the debris factor).

    Returns
    -------
    ndarray
        HR, an index without unit (d in m, v in m/s, DF from :func:`debris_factor`),
        for every cell whatever its depth; NaN where d or v is NaN.
    """
    s = settings or HazardSettings()
    d, v = _arr(depth, "depth"), _arr(velocity, "velocity")
    return d * (v + 0.5) + debris_factor(d, v, s)


def defra_class(rating: np.ndarray | float, settings: HazardSettings | None = None, *,
                depth: np.ndarray | float | None = None) -> np.ndarray:
    """FD2320 hazard class of each HR: 1 low, 2 moderate, 3 significant, 4 extreme.

    Parameters
    ----------
    rating
        HR from :func:`defra_rating` (index, no unit).
    settings
        :class:`HazardSettings` (class edges, wet depth).
    depth
        Maximum depth, m; where given, cells shallower than ``wet_depth`` (or NaN) are
        class 0. Without it only a NaN rating gives class 0.

    Returns
    -------
    ndarray of int8
        Class 0-4 (:data:`DEFRA_LABELS`); a rating exactly at an edge is in the higher
        class (HR = 0.75 is moderate, HR = 2.0 extreme).
    """
    s = settings or HazardSettings()
    hr = _arr(rating, "rating")
    cls = np.searchsorted(np.asarray(s.defra_class_edges), hr, side="right") + 1
    dry = np.isnan(hr)
    if depth is not None:
        d = _arr(depth, "depth")
        _same_shape(rating=hr, depth=d)
        with np.errstate(invalid="ignore"):
            dry |= ~(d >= s.wet_depth)
    return np.where(dry, 0, cls).astype(np.int8)


def arr_class(depth: np.ndarray | float, velocity: np.ndarray | float,
              settings: HazardSettings | None = None) -> np.ndarray:
    """ARR 2019 / AIDR 7-3 hazard class of each cell: 1..6 for H1..H6.

    Parameters
    ----------
    depth
        Maximum depth d, m.
    velocity
        Maximum velocity v, m/s.
    settings
        :class:`HazardSettings` (``arr_limits``, wet depth).

    Returns
    -------
    ndarray of int8
        The first class whose limits on d·v (m²/s), d (m) and v (m/s) all hold (with
        equality), one more than the last row when none does; 0 where d < ``wet_depth``
        or d or v is NaN.
    """
    s = settings or HazardSettings()
    d, v = _arr(depth, "depth"), _arr(velocity, "velocity")
    _same_shape(depth=d, velocity=v)
    dv = d * v
    n = len(s.arr_limits)
    cls = np.full(d.shape, n + 1, dtype=np.int8)
    with np.errstate(invalid="ignore"):
        for k in range(n - 1, -1, -1):      # over the classes, worst first
            dv_max, d_max, v_max = s.arr_limits[k]
            cls[(dv <= dv_max) & (d <= d_max) & (v <= v_max)] = k + 1
        wet = (d >= s.wet_depth) & ~np.isnan(v)
    return np.where(wet, cls, 0).astype(np.int8)


def cn_grade(max_depth: np.ndarray | float, duration_over: np.ndarray | float,
             settings: HazardSettings | None = None) -> np.ndarray:
    """Chinese depth × duration hazard grade (project default [verify]).

    Parameters
    ----------
    max_depth
        Maximum depth, m, picking the depth class.
    duration_over
        Time the depth stayed above 0.15 m, s, picking the duration class.
    settings
        :class:`HazardSettings` (``cn_depth_edges``, ``cn_duration_edges``,
        ``cn_matrix``).

    Returns
    -------
    ndarray of int8
        Grade 1 low, 2 medium, 3 high from ``cn_matrix``; 0 where the depth is below the
        first depth edge (0.15 m) or either input is NaN. Values at an edge are in the
        higher class (0.30 m → 0.30-0.50 m class; 1800 s → 0.5-2 h class).
    """
    s = settings or HazardSettings()
    d, t = _arr(max_depth, "max_depth"), _arr(duration_over, "duration_over")
    _same_shape(max_depth=d, duration_over=t)
    di = np.searchsorted(np.asarray(s.cn_depth_edges), d, side="right") - 1
    ti = np.searchsorted(np.asarray(s.cn_duration_edges), t, side="right")
    m = np.asarray(s.cn_matrix, dtype=np.int8)
    graded = (di >= 0) & ~np.isnan(d) & ~np.isnan(t)
    g = m[np.clip(di, 0, m.shape[0] - 1), np.clip(ti, 0, m.shape[1] - 1)]
    return np.where(graded, g, 0).astype(np.int8)


@dataclass(frozen=True)
class HazardGrids:
    """Hazard grids of one run, all of the input's shape.

    Parameters
    ----------
    defra_rating
        FD2320 HR (index, no unit); NaN where depth or velocity is NaN.
    defra_class
        FD2320 class 0-4 (:data:`DEFRA_LABELS`), int8.
    arr_class
        ARR class 0-6 (0 none, 1..6 H1..H6), int8.
    cn_grade
        Chinese grade 0-3 (:data:`CN_LABELS`), int8.
    in_domain
        Cells with a depth (not NaN): the cells :meth:`summary` counts.
    n_arr_limits
        Number of ARR limit rows the classes were made with (5: H1..H6).
    """

    defra_rating: np.ndarray
    defra_class: np.ndarray
    arr_class: np.ndarray
    cn_grade: np.ndarray
    in_domain: np.ndarray
    n_arr_limits: int = 5

    def summary(self, cell_area: float) -> pd.DataFrame:
        """Cell counts and areas of every class of every scheme, over the domain.

        Parameters
        ----------
        cell_area
            Area of one cell, m² (e.g. ``abs(transform.a * transform.e)``).

        Returns
        -------
        DataFrame
            One row per (scheme, class), every class listed even when empty: ``scheme``
            ("defra", "arr", "cn"), ``class`` (int), ``label``, ``cells`` (count of
            domain cells; NaN cells outside the domain are not counted) and ``area``
            (m²).
        """
        if not (isinstance(cell_area, (int, float, np.floating)) and np.isfinite(cell_area)
                and cell_area > 0):
            raise InputError(f"cell_area must be a positive area in m², got {cell_area!r}.",
                             field="cell_area")
        parts = []
        for scheme, grid, labels in (("defra", self.defra_class, DEFRA_LABELS),
                                     ("arr", self.arr_class, arr_labels(self.n_arr_limits)),
                                     ("cn", self.cn_grade, CN_LABELS)):
            counts = np.bincount(grid[self.in_domain].astype(np.int64),
                                 minlength=len(labels))
            parts.append(pd.DataFrame({"scheme": scheme, "class": np.arange(len(labels)),
                                       "label": labels, "cells": counts,
                                       "area": counts * float(cell_area)}))
        return pd.concat(parts, ignore_index=True)


def hazard_grids(max_depth: np.ndarray, max_velocity: np.ndarray, duration_over: np.ndarray,
                 settings: HazardSettings | None = None) -> HazardGrids:
    """All hazard grids of a run from its envelope grids.

    Parameters
    ----------
    max_depth
        Maximum depth, m (NaN outside the domain and on buildings).
    max_velocity
        Maximum velocity, m/s, taken together with ``max_depth`` as the conservative
        envelope (the maxima need not be simultaneous).
    duration_over
        Time the depth stayed above 0.15 m, s.
    settings
        :class:`HazardSettings`.

    Returns
    -------
    HazardGrids
        The grids; areas per class come from :meth:`HazardGrids.summary` given the cell
        area.
    """
    s = settings or HazardSettings()
    d = _arr(max_depth, "max_depth")
    v = _arr(max_velocity, "max_velocity")
    t = _arr(duration_over, "duration_over")
    _same_shape(max_depth=d, max_velocity=v, duration_over=t)
    hr = defra_rating(d, v, s)
    return HazardGrids(defra_rating=hr, defra_class=defra_class(hr, s, depth=d),
                       arr_class=arr_class(d, v, s), cn_grade=cn_grade(d, t, s),
                       in_domain=~np.isnan(d), n_arr_limits=len(s.arr_limits))


# ---- risk --------------------------------------------------------------------------------
def _grades(grade: np.ndarray, settings: RiskSettings) -> np.ndarray:
    """Check hazard grades are integers 0 .. n_grades-1 and return them as int64."""
    g = _arr(grade, "grade")
    if not np.all(np.isfinite(g)) or np.any(g != np.round(g)) or (
            g.size and (g.min() < 0 or g.max() >= settings.n_grades)):
        raise InputError(f"hazard grades must be integers from 0 to {settings.n_grades - 1}.",
                         field="grade",
                         hint="Pass cn_grade(...) or a grade grid the risk matrix covers.")
    return g.astype(np.int64)


def risk_grid(grade: np.ndarray, exposure_grid: np.ndarray,
              settings: RiskSettings | None = None) -> np.ndarray:
    """Risk class of each cell from its hazard grade and exposure class.

    Parameters
    ----------
    grade
        Hazard grade of each cell (0 .. columns of the matrix − 1; default Chinese 0-3).
    exposure_grid
        Exposure class of each cell: 1 low, 2 medium, 3 high; 0 or NaN where nothing is
        exposed.
    settings
        :class:`RiskSettings`.

    Returns
    -------
    ndarray of int8
        Risk 0 none, 1 low, 2 medium, 3 high (:data:`RISK_LABELS`); 0 where nothing is
        exposed.
    """
    s = settings or RiskSettings()
    g = _grades(grade, s)
    e = _arr(exposure_grid, "exposure_grid")
    _same_shape(grade=g, exposure_grid=e)
    e = np.nan_to_num(e, nan=0.0)
    if np.any(~np.isin(e, (0.0, 1.0, 2.0, 3.0))):
        raise InputError("exposure classes must be 0 (none), 1, 2 or 3 (or NaN).",
                         field="exposure_grid")
    e = e.astype(np.int64)
    m = np.asarray(s.matrix, dtype=np.int8)
    return np.where(e > 0, m[np.maximum(e - 1, 0), g], 0).astype(np.int8)


def exposure_grid(grid: Any, landcover: gpd.GeoDataFrame | None,
                  settings: RiskSettings | None = None) -> np.ndarray:
    """Exposure class of every cell from the land cover (for :func:`risk_grid`).

    Parameters
    ----------
    grid
        The run's :class:`~floodrisk.grid.Grid` (shape, transform; NaN cells are off the
        domain and get 0).
    landcover
        Land-cover polygons with a ``class`` column, in the grid's CRS; cells whose
        centre no polygon covers (or whose class the settings do not list) get
        ``settings.default_exposure``. Later polygons win where they overlap.
    settings
        :class:`RiskSettings` (``landcover_exposure``, ``default_exposure``).

    Returns
    -------
    ndarray of int8
        0 none, 1 low, 2 medium, 3 high.
    """
    s = settings or RiskSettings()
    out = np.full(grid.shape, s.default_exposure, dtype=np.int8)
    codes = dict(s.landcover_exposure)
    if landcover is not None and len(landcover) and "class" in landcover.columns:
        shapes = [(g, codes[str(c)] + 1) for g, c in zip(landcover.geometry, landcover["class"])
                  if g is not None and not g.is_empty and str(c) in codes]
        if shapes:
            burnt = features.rasterize(shapes, out_shape=grid.shape, transform=grid.transform,
                                       fill=0, dtype="uint8")
            out = np.where(burnt > 0, burnt.astype(np.int8) - 1, out).astype(np.int8)
    out[~np.isfinite(np.asarray(grid.values, dtype=np.float64))] = 0
    return out


def _exposure(buildings: gpd.GeoDataFrame, ids: np.ndarray,
              exposure: str | pd.Series | None, settings: RiskSettings) -> np.ndarray:
    """Exposure class 1-3 of every building (labels or numbers accepted)."""
    n = len(buildings)
    if exposure is None:
        return np.full(n, settings.default_exposure, dtype=np.int8)
    if isinstance(exposure, str):
        if exposure not in buildings.columns:
            raise InputError(f"no column {exposure!r} of exposure classes.", layer="buildings",
                             field=exposure, hint="Name a column of the buildings layer.")
        values, field = buildings[exposure], exposure
    elif isinstance(exposure, pd.Series):
        values, field = exposure.reindex(buildings.index), "exposure"
    else:
        raise InputError("exposure must be a column name, a Series or None.", field="exposure")
    values = pd.Series(np.asarray(values, dtype=object), index=range(n))
    by_label = {name: k for k, name in enumerate(EXPOSURE_LABELS) if k}
    code = values.astype(str).str.strip().str.lower().map(by_label)
    code = code.fillna(pd.to_numeric(values, errors="coerce"))
    bad = ~code.isin([1, 2, 3]).to_numpy()
    if bad.any():
        raise InputError("exposure classes must be 1/low, 2/medium or 3/high.",
                         layer="buildings", field=field, feature=ids[bad].tolist())
    return code.to_numpy(dtype=np.int8)


def building_risk(buildings: gpd.GeoDataFrame, grade: np.ndarray, transform: Affine,
                  exposure: str | pd.Series | None = None,
                  settings: RiskSettings | None = None) -> pd.DataFrame:
    """Worst hazard grade around each building, its exposure and risk class.

    Buildings are blocked (NaN, grade 0) cells in the run, so the water that threatens a
    building is in the cells around it. A building looks at every cell its footprint
    touches (``all_touched`` rasterization) and those cells' 8 neighbours, i.e. every cell
    touching or within one cell of the footprint, and takes the worst grade there.

    The footprints are rasterized together into a label grid, in layer order and again in
    reverse order, so that a cell two footprints share counts for both. A footprint that
    gets no cell either way (three or more footprints sharing its only cells) is placed at
    the cell of its representative point.

    Parameters
    ----------
    buildings
        Footprints in the grade grid's CRS, with ``building_id`` (else the row number is
        the id).
    grade
        Hazard grade grid (2-D, integers 0 .. columns of the risk matrix − 1; by default
        :func:`cn_grade`).
    transform
        Affine transform of ``grade`` (cell corners in CRS units, m).
    exposure
        Exposure class per building: a column name, a Series aligned on the buildings'
        index, or None for ``settings.default_exposure`` (medium) everywhere. Values are
        1/2/3 or "low"/"medium"/"high".
    settings
        :class:`RiskSettings`.

    Returns
    -------
    DataFrame
        One row per building in layer order: ``building_id``, ``hazard_grade`` (worst
        grade around it), ``exposure`` (1-3), ``risk`` (0-3), ``risk_label``, ``cells``
        (number of cells looked at). Buildings off the grid (no cell) have ``cells`` 0
        and ``<NA>`` grade and risk (nullable Int8), not a grade of 0.
    """
    s = settings or RiskSettings()
    g = _grades(grade, s)
    if g.ndim != 2:
        raise InputError(f"grade must be a 2-D grid, got {g.ndim} dimensions.", field="grade")
    if not isinstance(buildings, gpd.GeoDataFrame):
        raise InputError("buildings must be a GeoDataFrame of footprints.", layer="buildings")
    n = len(buildings)
    ids = (buildings["building_id"].to_numpy() if "building_id" in buildings.columns
           else np.arange(n))
    expo = _exposure(buildings, ids, exposure, s)
    nrow, ncol = g.shape

    geoms = buildings.geometry.reset_index(drop=True)
    ok = (geoms.notna() & ~geoms.is_empty).to_numpy()
    which = np.flatnonzero(ok)
    b_parts, cell_parts = [], []
    if len(which) and g.size:
        shapes = [(geoms.iat[i], i + 1) for i in which]
        kw = {"out_shape": g.shape, "transform": transform, "fill": 0, "all_touched": True,
              "dtype": "int32"}
        fwd = features.rasterize(shapes, **kw)
        rev = features.rasterize(shapes[::-1], **kw)
        flat_f = np.flatnonzero(fwd)
        flat_r = np.flatnonzero(rev != fwd)
        flat_r = flat_r[rev.ravel()[flat_r] > 0]
        b_parts += [fwd.ravel()[flat_f] - 1, rev.ravel()[flat_r] - 1]
        cell_parts += [flat_f, flat_r]
        seen = np.zeros(n, dtype=bool)
        seen[np.concatenate(b_parts)] = True
        lost = which[~seen[which]]
        if len(lost):
            pts = geoms.iloc[lost].representative_point()
            inv = ~transform
            x, y = pts.x.to_numpy(), pts.y.to_numpy()
            col = inv.a * x + inv.b * y + inv.c
            row = inv.d * x + inv.e * y + inv.f
            row, col = np.floor(row).astype(np.int64), np.floor(col).astype(np.int64)
            inside = (row >= 0) & (row < nrow) & (col >= 0) & (col < ncol)
            b_parts.append(lost[inside])
            cell_parts.append(row[inside] * ncol + col[inside])
    b = np.concatenate(b_parts) if b_parts else np.zeros(0, dtype=np.int64)
    cell = np.concatenate(cell_parts) if cell_parts else np.zeros(0, dtype=np.int64)

    # the ring: every touched cell and its 8 neighbours
    r0, c0 = np.divmod(cell, ncol)
    nb_b, nb_cell = [], []
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            r, c = r0 + dr, c0 + dc
            inside = (r >= 0) & (r < nrow) & (c >= 0) & (c < ncol)
            nb_b.append(b[inside])
            nb_cell.append(r[inside] * ncol + c[inside])
    key = np.unique(np.concatenate(nb_b).astype(np.int64) * g.size + np.concatenate(nb_cell))
    kb, kc = np.divmod(key, g.size)
    worst = np.full(n, -1, dtype=np.int64)
    np.maximum.at(worst, kb, g.ravel()[kc])
    cells = np.bincount(kb, minlength=n)

    on_grid = worst >= 0
    m = np.asarray(s.matrix, dtype=np.int8)
    risk = np.where(on_grid, m[expo.astype(np.int64) - 1, np.maximum(worst, 0)], 0)
    labels = np.array(RISK_LABELS, dtype=object)[risk]
    return pd.DataFrame({
        "building_id": ids,
        "hazard_grade": pd.Series(worst).where(on_grid).astype("Int8").array,
        "exposure": expo,
        "risk": pd.Series(risk).where(on_grid).astype("Int8").array,
        "risk_label": pd.Series(labels).where(on_grid, None).to_numpy(),
        "cells": cells,
    })

