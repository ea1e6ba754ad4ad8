"""What changed between two assessments: waterlogging points and underground entrances
that are new, worse, better or gone (a season against last season, a city after its
fixes against before).

Points are matched by location, not by id (ids are ranks and change from run to run):
a point of one assessment matches the other's points whose areas overlap its area or lie
within ``radius`` of it, the nearest first. Entrances are matched by ``entrance_id``
(an entrance is a fixed asset).

Statuses (:data:`STATUSES`):

- points: ``new`` (no match last time), ``resolved`` (no match now), ``worsened``
  (deeper by at least ``depth_change`` or with at least ``volume_change`` more volume),
  ``improved`` (shallower by at least ``depth_change`` or with at least
  ``volume_change`` less volume, and not worsened), ``unchanged``;
- entrances, by class (safe < at risk < flooded): ``new`` (not safe now, safe or absent
  before), ``resolved`` (safe now, not safe before), ``worsened`` / ``improved`` (a class
  up / down between "at risk" and "flooded", or, in the same class, ``volume_change``
  more / less inflow), ``unchanged``; entrances safe both times are not listed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from ..errors import ConfigError, InputError

__all__ = ["STATUSES", "CompareSettings", "compare_entrances", "compare_points",
           "change_counts"]

#: Statuses of a change, in report order.
STATUSES = ("new", "worsened", "improved", "resolved", "unchanged")

_CLASS_RANK = {"safe": 0, "at risk": 1, "flooded": 2}


@dataclass(frozen=True)
class CompareSettings:
    """How two assessments are matched and what counts as a change (project defaults).

    Parameters
    ----------
    radius
        Areas closer than this match, m. Default 50 m: the observed-point radius of
        the waterlogging assessment.
    depth_change
        A change of maximum depth at least this large is a change, m. Default 0.05 m:
        a third of the 0.15 m waterlogging criterion (GB 51222), below which model
        differences between two years of data are noise [verify].
    volume_change
        A relative change of volume (points) or inflow (entrances) at least this large
        is a change. Default 0.25 [verify].
    """

    radius: float = 50.0
    depth_change: float = 0.05
    volume_change: float = 0.25

    def __post_init__(self) -> None:
        for name in ("radius", "depth_change", "volume_change"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not (
                    math.isfinite(v) and v >= 0):
                raise ConfigError(f"{name} must be a number ≥ 0, got {v!r}.", field=name)


def _need(frame: pd.DataFrame, name: str, cols: tuple[str, ...]) -> None:
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise InputError(f"the {name} table lacks {', '.join(missing)}.", layer=name,
                         field=missing[0], hint="Pass the layers of an assessment "
                                                "(assessment.gpkg).")


def _relative(now: float, before: float) -> float:
    if before > 0:
        return (now - before) / before
    return math.inf if now > 0 else 0.0


def compare_points(current: gpd.GeoDataFrame, previous: gpd.GeoDataFrame,
                   settings: CompareSettings | None = None) -> gpd.GeoDataFrame:
    """Match two assessments' waterlogging points by location and say what changed.

    Parameters
    ----------
    current, previous
        Waterlogging areas (``waterlogging_areas``: outlines) or points
        (``waterlogging_points``) of the two assessments, in one CRS, with
        ``point_id``, ``max_depth`` (m) and ``volume`` (m³).
    settings
        :class:`CompareSettings`.

    Returns
    -------
    GeoDataFrame
        One row per current point (input order) and then one per resolved previous
        point: ``status``, ``point_id`` (now; empty when resolved), ``previous_id``
        (empty when new), ``max_depth``, ``previous_max_depth`` (m), ``depth_change``
        (m), ``volume``, ``previous_volume`` (m³), ``distance`` (m between the two
        areas, 0 where they overlap); geometry: the current area, or the previous one
        for a resolved point.
    """
    s = settings or CompareSettings()
    for name, frame in (("current", current), ("previous", previous)):
        _need(frame, name, ("point_id", "max_depth", "volume"))
    if current.crs is not None and previous.crs is not None and \
            not current.crs.equals(previous.crs):
        raise InputError("the two assessments are in different CRSs.", field="crs",
                         hint="Compare runs of the same study area.")
    cur = current.reset_index(drop=True)
    prev = previous.reset_index(drop=True)
    matched_prev = np.zeros(len(prev), dtype=bool)
    rows = []
    if len(prev):
        pg = prev.geometry.to_numpy()
    for i in range(len(cur)):
        g = cur.geometry.iat[i]
        j, dist = -1, math.inf
        if len(prev):
            d = np.asarray(gpd.GeoSeries(pg, crs=prev.crs).distance(g), dtype=np.float64)
            near = np.flatnonzero(d <= s.radius)
            matched_prev[near] = True
            if near.size:
                # nearest area; among overlapping ones the one with the nearer deepest point
                centre = g.representative_point()
                key = [(d[k], pg[k].representative_point().distance(centre)) for k in near]
                k = int(near[min(range(near.size), key=lambda n: key[n])])
                j, dist = k, float(d[k])
        depth, vol = float(cur["max_depth"].iat[i]), float(cur["volume"].iat[i])
        if j < 0:
            status = "new"
            p_id, p_depth, p_vol = "", math.nan, math.nan
        else:
            p_id = str(prev["point_id"].iat[j])
            p_depth, p_vol = float(prev["max_depth"].iat[j]), float(prev["volume"].iat[j])
            dd, dv = depth - p_depth, _relative(vol, p_vol)
            if dd >= s.depth_change - 1e-12 or dv >= s.volume_change - 1e-12:
                status = "worsened"
            elif dd <= -s.depth_change + 1e-12 or dv <= -s.volume_change + 1e-12:
                status = "improved"
            else:
                status = "unchanged"
        rows.append({"status": status, "point_id": str(cur["point_id"].iat[i]),
                     "previous_id": p_id, "max_depth": depth, "previous_max_depth": p_depth,
                     "depth_change": depth - p_depth, "volume": vol, "previous_volume": p_vol,
                     "distance": dist if j >= 0 else math.nan, "geometry": g})
    for j in np.flatnonzero(~matched_prev):
        p_depth, p_vol = float(prev["max_depth"].iat[j]), float(prev["volume"].iat[j])
        rows.append({"status": "resolved", "point_id": "", "previous_id": str(prev["point_id"].iat[j]),
                     "max_depth": math.nan, "previous_max_depth": p_depth,
                     "depth_change": math.nan, "volume": math.nan, "previous_volume": p_vol,
                     "distance": math.nan, "geometry": prev.geometry.iat[j]})
    crs = current.crs if current.crs is not None else previous.crs
    if not rows:
        return gpd.GeoDataFrame({c: [] for c in (
            "status", "point_id", "previous_id", "max_depth", "previous_max_depth",
            "depth_change", "volume", "previous_volume", "distance")}, geometry=[], crs=crs)
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=crs)


def compare_entrances(current: pd.DataFrame, previous: pd.DataFrame,
                      settings: CompareSettings | None = None) -> pd.DataFrame:
    """Say how every underground entrance's class and inflow changed.

    Parameters
    ----------
    current, previous
        ``underground_exposure`` tables of the two assessments: ``entrance_id``,
        ``space_id``, ``class``, ``inflow_volume`` (m³).
    settings
        :class:`CompareSettings`.

    Returns
    -------
    DataFrame
        One row per entrance not safe in at least one of them: ``entrance_id``,
        ``space_id``, ``status``, ``class``, ``previous_class`` (empty when absent),
        ``inflow_volume``, ``previous_inflow_volume`` (m³); geometry kept when
        ``current`` has it.
    """
    s = settings or CompareSettings()
    for name, frame in (("current", current), ("previous", previous)):
        _need(frame, name, ("entrance_id", "space_id", "class", "inflow_volume"))
    prev = previous.set_index(previous["entrance_id"].astype(str))
    cur = current.set_index(current["entrance_id"].astype(str))
    ids = list(cur.index) + [i for i in prev.index if i not in cur.index]
    rows = []
    for eid in ids:
        now = cur.loc[eid] if eid in cur.index else None
        before = prev.loc[eid] if eid in prev.index else None
        c_now = str(now["class"]) if now is not None else "safe"
        c_before = str(before["class"]) if before is not None else ""
        r_now, r_before = _CLASS_RANK.get(c_now, 0), _CLASS_RANK.get(c_before, 0)
        if r_now == 0 and r_before == 0:
            continue
        v_now = float(now["inflow_volume"]) if now is not None else 0.0
        v_before = float(before["inflow_volume"]) if before is not None else 0.0
        if r_before == 0:
            status = "new"
        elif r_now == 0:
            status = "resolved"
        elif r_now != r_before:
            status = "worsened" if r_now > r_before else "improved"
        else:
            dv = _relative(v_now, v_before)
            status = ("worsened" if dv >= s.volume_change - 1e-12 else
                      "improved" if dv <= -s.volume_change + 1e-12 else "unchanged")
        row = now if now is not None else before
        rows.append({"entrance_id": eid, "space_id": str(row["space_id"]), "status": status,
                     "class": c_now, "previous_class": c_before, "inflow_volume": v_now,
                     "previous_inflow_volume": v_before})
    out = pd.DataFrame(rows, columns=["entrance_id", "space_id", "status", "class",
                                      "previous_class", "inflow_volume",
                                      "previous_inflow_volume"])
    if isinstance(current, gpd.GeoDataFrame):
        geo = pd.concat([cur.geometry, prev.geometry[~prev.index.isin(cur.index)]]) \
            if isinstance(previous, gpd.GeoDataFrame) else cur.geometry
        out = gpd.GeoDataFrame(out, geometry=geo.reindex(out["entrance_id"]).to_numpy(),
                               crs=current.crs)
    return out


def change_counts(table: pd.DataFrame) -> dict[str, int]:
    """How many rows of a comparison have each status (every status, zeros included)."""
    counts = table["status"].value_counts() if len(table) else pd.Series(dtype=int)
    return {k: int(counts.get(k, 0)) for k in STATUSES}
