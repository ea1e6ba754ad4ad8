"""Across return periods: the lowest return period at which each place first floods.

Given runs of the same study for several return periods (say 2, 5, 10, 20, 50, 100 a),
a cell first floods at the lowest return period whose maximum depth exceeds the threshold;
a waterlogging point (an area found in one of the runs) at the lowest period at which any
of its cells does; an entrance at the lowest period at which water flows in over its sill.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..errors import InputError

__all__ = ["first_flooding_period", "first_flooding_period_of_areas",
           "first_flooding_period_of"]


def _periods(runs: Mapping[float, object]) -> list[float]:
    if not runs:
        raise InputError("give at least one run (return period → result).", field="runs")
    periods = sorted(float(p) for p in runs)
    if periods[0] <= 0:
        raise InputError(f"return periods must be > 0 years, got {periods[0]:g}.",
                         field="runs")
    return periods


def first_flooding_period(max_depths: Mapping[float, np.ndarray],
                          threshold: float = 0.15) -> np.ndarray:
    """Lowest return period (years) at which each cell's maximum depth exceeds the
    threshold; NaN where none does.

    Parameters
    ----------
    max_depths
        ``{return period (a): maximum depth grid (m)}``, all of one shape.
    threshold
        Depth, m (0.15 m: GB 51222-2017).
    """
    periods = _periods(max_depths)
    shape = None
    out = None
    for p in reversed(periods):        # from the largest down: the last one to flood wins
        d = np.asarray(max_depths[p], dtype=np.float64)     # 2.0 finds the key 2
        if shape is None:
            shape = d.shape
            out = np.full(shape, np.nan)
        elif d.shape != shape:
            raise InputError(f"the {p:g}-year grid has shape {d.shape}, the others {shape}.",
                             field="max_depths")
        out[np.nan_to_num(d, nan=0.0) > threshold] = p
    return out


def first_flooding_period_of_areas(labels: np.ndarray, cell_periods: np.ndarray
                                   ) -> np.ndarray:
    """Lowest return period at which any cell of each labelled area floods.

    Parameters
    ----------
    labels
        Area labels (0: none, 1..n), e.g. :attr:`Waterlogging.labels` of the largest
        return period's run.
    cell_periods
        :func:`first_flooding_period` of the same grid.

    Returns
    -------
    ndarray
        One value per label 1..n (years; NaN: never).
    """
    labels = np.asarray(labels)
    n = int(labels.max()) if labels.size else 0
    out = np.full(n, np.inf)
    on = labels > 0
    vals = np.where(np.isnan(cell_periods[on]), np.inf, cell_periods[on])
    np.minimum.at(out, labels[on] - 1, vals)
    out[np.isinf(out)] = np.nan
    return out


def first_flooding_period_of(tables: Mapping[float, pd.DataFrame], key: str,
                             flooded: str) -> pd.Series:
    """Lowest return period at which each feature of per-run tables floods.

    Parameters
    ----------
    tables
        ``{return period (a): table}``, e.g. each run's underground exposure.
    key
        The feature id column (``entrance_id``).
    flooded
        A boolean column, or a numeric column that floods where > 0 (``inflow_volume``).

    Returns
    -------
    Series
        Indexed by feature id (every id seen in any run), years; NaN: never.
    """
    periods = _periods(tables)
    first: dict[str, float] = {}
    ids: list[str] = []
    for p in periods:
        t = tables[p]
        if key not in t.columns or flooded not in t.columns:
            raise InputError(f"the {p:g}-year table lacks {key!r} or {flooded!r}.",
                             field=flooded)
        col = t[flooded]
        wet = col.astype(bool) if col.dtype == bool else pd.to_numeric(col, errors="coerce") > 0
        for fid, w in zip(t[key].astype(str), wet):
            if fid not in first:
                ids.append(fid)
                first[fid] = np.nan
            if w and np.isnan(first[fid]):
                first[fid] = p
    return pd.Series([first[i] for i in ids], index=pd.Index(ids, name=key),
                     name="first_flooding_period", dtype=float)
