"""The whole assessment of one run: waterlogging points, underground spaces, pump stations
and facilities, hazard and risk, from a 2D (surface or coupled) run and the study.

:func:`assess` reads the run's result (grids, probe series, and for a coupled run the
manholes' spills and the stations' failures) and the study; it never runs an engine.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ..errors import InputError
from ..surface_inputs import polygon_mask
from ..terrain import fill_depressions
from .hazard import (
    HazardGrids,
    RISK_LABELS,
    HazardSettings,
    RiskSettings,
    building_risk,
    exposure_grid,
    hazard_grids,
    risk_grid,
)
from .pumps import SiteSettings, assess_sites, failure_cost
from .return_periods import (
    first_flooding_period,
    first_flooding_period_of,
    first_flooding_period_of_areas,
)
from .underground import UndergroundAssessment, UndergroundSettings, assess_underground
from .waterlogging import (
    Waterlogging,
    WaterloggingSettings,
    compare_observed,
    find_waterlogging,
)

__all__ = ["AssessmentSettings", "Assessment", "assess", "findings_summary"]


@dataclass(frozen=True)
class AssessmentSettings:
    """Settings of every part of the assessment (each with its sources).

    Parameters
    ----------
    waterlogging
        :class:`~floodrisk.assess.waterlogging.WaterloggingSettings`.
    underground
        :class:`~floodrisk.assess.underground.UndergroundSettings`.
    sites
        :class:`~floodrisk.assess.pumps.SiteSettings`.
    hazard
        :class:`~floodrisk.assess.hazard.HazardSettings`.
    risk
        :class:`~floodrisk.assess.hazard.RiskSettings`.
    water_classes
        Land-cover classes that are water bodies (rivers, lakes): never waterlogging.
    """

    waterlogging: WaterloggingSettings = field(default_factory=WaterloggingSettings)
    underground: UndergroundSettings = field(default_factory=UndergroundSettings)
    sites: SiteSettings = field(default_factory=SiteSettings)
    hazard: HazardSettings = field(default_factory=HazardSettings)
    risk: RiskSettings = field(default_factory=RiskSettings)
    water_classes: tuple[str, ...] = ("water",)


@dataclass(frozen=True)
class Assessment:
    """What the assessment of one run found.

    Parameters
    ----------
    waterlogging
        :class:`~floodrisk.assess.waterlogging.Waterlogging` (points, outlines, labels).
    observed
        The observed points against the points found (one row each: ``point_id``,
        ``hit``, ``matched``, ``distance`` m), or None without observed points.
    observed_summary
        ``observed``, ``hits``, ``misses``, ``hit_rate``, ``false_alarms``, ``radius_m``.
    underground
        :class:`~floodrisk.assess.underground.UndergroundAssessment`, or None without
        underground spaces or entrances.
    stations
        Pump stations at their sites (:func:`~floodrisk.assess.pumps.assess_sites`), with
        geometry.
    facilities
        Substations, hospitals, water plants at their sites, with geometry and ``kind``.
    hazard
        :class:`~floodrisk.assess.hazard.HazardGrids`.
    risk
        Risk class of every cell (0 none, 1 low, 2 medium, 3 high; int8): the depth ×
        duration grade against the exposure of the cell's land cover
        (:func:`~floodrisk.assess.hazard.risk_grid`, :func:`~floodrisk.assess.hazard.exposure_grid`).
    buildings
        Risk of every building (``building_id``, ``hazard_grade``, ``exposure``, ``risk``,
        ``risk_label``), with geometry.
    failure_cost
        What the run's station failures cost against a baseline run with every station
        working (:func:`~floodrisk.assess.pumps.failure_cost`, plus ``stations``: the
        failed ones, jointly), or None without a baseline.
    lowest_return_period
        With runs at other return periods: the lowest return period (years) at which
        each cell floods deeper than the waterlogging threshold (NaN: at none of them, and
        on water bodies);
        the waterlogging points and the entrances then carry a ``lowest_return_period``
        column too. None without such runs.
    return_periods
        One row per return period run (``return_period`` a, ``flooded_area`` m² deeper
        than the threshold off water bodies, ``flooded_volume`` m³ of the maximum depths there,
        ``entrances_flooded``), or None.
    summary
        Counts and figures for the run summary.
    timings
        Seconds per part.
    settings
        The settings used.
    """

    waterlogging: Waterlogging
    observed: pd.DataFrame | None
    observed_summary: dict[str, Any] | None
    underground: UndergroundAssessment | None
    stations: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    hazard: HazardGrids
    risk: np.ndarray
    buildings: gpd.GeoDataFrame
    failure_cost: dict[str, Any] | None
    lowest_return_period: np.ndarray | None
    return_periods: pd.DataFrame | None
    summary: dict[str, Any]
    timings: dict[str, float]
    settings: AssessmentSettings


def _with_geometry(table: pd.DataFrame, source: gpd.GeoDataFrame, key: str,
                   extra: tuple[str, ...] = ()) -> gpd.GeoDataFrame:
    src = source.set_index(source[key].astype(str))
    ids = table[key].astype(str)
    out = table.copy()
    for col in extra:
        if col in src.columns and col not in out.columns:
            out.insert(1, col, src[col].reindex(ids).to_numpy())
    return gpd.GeoDataFrame(out, geometry=src.geometry.reindex(ids).to_numpy(),
                            crs=source.crs)


def assess(study: Any, result: Any, *, pipes: pd.DataFrame | None = None,
           design_return_period: float | None = None, baseline: Any = None,
           filled: np.ndarray | None = None, return_period: float | None = None,
           other_periods: Mapping[float, Any] | None = None,
           settings: AssessmentSettings | None = None) -> Assessment:
    """Assess one 2D run of a study.

    Parameters
    ----------
    study
        The :class:`~floodrisk.study.Study` the run was made from.
    result
        A :class:`~floodrisk.engines.surface.SurfaceResult` or
        :class:`~floodrisk.engines.coupled.CoupledResult`: maximum depth and speed,
        timing grids, final depth, the probe series at the entrances; a coupled result
        also gives each manhole's spill (``nodes.spilled_m3``) and the stations' failure
        times (``pumps``).
    pipes
        The capacity assessment (:func:`floodrisk.assess_capacity`), for the
        ``pipe_capacity`` cause.
    design_return_period
        The pipes' design return period, years.
    baseline
        The same run with every pump station working (a coupled run with
        ``pump_failure=False`` and no failed stations): the extra flooding the failures
        caused is then in ``failure_cost`` and, when one station failed, on its row of
        ``stations`` (``extra_flooded_area``, m²; ``extra_volume``, m³).
    filled
        The terrain with its depressions filled, m (the screening's
        ``depressions.terrain.filled.values``); filled here when None.
    return_period
        The return period of the run's storm, years (with ``other_periods``).
    other_periods
        ``{return period (a): result}`` of the same study and scenario under the same
        storm at other return periods (same engine): the lowest return period at which
        each cell, waterlogging point and entrance floods (an entrance floods when its
        class is "flooded": water flowed in over its sill).
    settings
        :class:`AssessmentSettings`.

    Returns
    -------
    Assessment
    """
    s = settings if settings is not None else AssessmentSettings()
    for name in ("max_depth", "max_velocity", "duration_over", "probes"):
        if not hasattr(result, name):
            raise InputError(f"the run result has no {name}: the assessment needs a 2D "
                             "run (surface or coupled engine).", field=name)
    grid = study.terrain
    timings: dict[str, float] = {}
    t = time.perf_counter()

    # ---- waterlogging points ---------------------------------------------------------
    assets = study.assets
    exclude = None
    lc = getattr(assets, "landcover", None)
    if lc is not None and len(lc) and "class" in lc.columns and s.water_classes:
        water = lc[lc["class"].astype(str).isin(s.water_classes)]
        if len(water):
            exclude = polygon_mask(grid, water)
    nodes = getattr(result, "nodes", None)
    spill = (nodes.set_index(nodes["node_id"].astype(str))["spilled_m3"]
             if isinstance(nodes, pd.DataFrame) and "spilled_m3" in nodes.columns else None)
    wl = find_waterlogging(
        grid, result.max_depth, duration_over=result.duration_over,
        first_time_over=result.first_wet_time, time_of_max_depth=result.time_of_max_depth,
        final_depth=result.final_depth, network=study.network, node_spill=spill,
        pipes=pipes, design_return_period=design_return_period, exclude=exclude,
        roads=getattr(assets, "roads", None), settings=s.waterlogging)
    observed, observed_summary = None, None
    obs = getattr(assets, "observed", None)
    if obs is not None and len(obs):
        observed, observed_summary = compare_observed(wl, obs)
    timings["waterlogging_s"] = time.perf_counter() - t

    # ---- underground spaces ----------------------------------------------------------
    t = time.perf_counter()
    ug = None
    if (assets.underground is not None and len(assets.underground)
            and assets.entrances is not None and len(assets.entrances)):
        ug = assess_underground(assets.underground, assets.entrances, result.probes,
                                s.underground)
    timings["underground_s"] = time.perf_counter() - t

    # ---- pump stations and facilities --------------------------------------------------
    t = time.perf_counter()
    if filled is None:
        filled = fill_depressions(grid).filled.values
    pumps = getattr(result, "pumps", None)
    net = study.network
    if net.stations is not None and len(net.stations):
        st = assess_sites(net.stations, "station_id", grid, result.max_depth, filled=filled,
                          failures=pumps if isinstance(pumps, pd.DataFrame) else None,
                          series=result.probes, settings=s.sites)
        stations = _with_geometry(st, net.stations, "station_id", ("name",))
    else:
        stations = gpd.GeoDataFrame(geometry=[], crs=grid.crs)
    fac = assets.facilities
    if fac is not None and len(fac):
        f = assess_sites(fac, "facility_id", grid, result.max_depth, filled=filled,
                         series=result.probes, settings=s.sites)
        facilities = _with_geometry(f, fac, "facility_id", ("name", "kind"))
    else:
        facilities = gpd.GeoDataFrame(geometry=[], crs=grid.crs)
    cost = None
    if baseline is not None and len(stations) and stations["failed"].any():
        failed = [str(x) for x in stations.loc[stations["failed"], "station_id"]]
        cost = {"stations": failed, **failure_cost(
            result.max_depth, baseline.max_depth, grid.cell_area, s.waterlogging.threshold)}
        stations["extra_flooded_area"] = np.nan
        stations["extra_volume"] = np.nan
        if len(failed) == 1:
            row = stations["station_id"].astype(str) == failed[0]
            stations.loc[row, "extra_flooded_area"] = cost["extra_flooded_area_m2"]
            stations.loc[row, "extra_volume"] = cost["extra_volume_m3"]
    timings["sites_s"] = time.perf_counter() - t

    # ---- hazard and risk ------------------------------------------------------------
    t = time.perf_counter()
    hz = hazard_grids(result.max_depth, result.max_velocity, result.duration_over, s.hazard)
    risk = risk_grid(hz.cn_grade, exposure_grid(grid, lc, s.risk), s.risk)
    b = assets.buildings
    if b is not None and len(b):
        br = building_risk(b, hz.cn_grade, grid.transform, settings=s.risk)
        buildings = gpd.GeoDataFrame(br, geometry=b.geometry.to_numpy(), crs=b.crs)
    else:
        buildings = gpd.GeoDataFrame(geometry=[], crs=grid.crs)
    timings["hazard_s"] = time.perf_counter() - t

    # ---- across return periods -------------------------------------------------------
    lowest, periods = None, None
    if other_periods:
        t = time.perf_counter()
        if return_period is None:
            raise InputError("other_periods needs the run's own return_period.",
                             field="return_period")
        runs = {float(p): r for p, r in other_periods.items()}
        runs[float(return_period)] = result
        thr = s.waterlogging.threshold
        lowest = first_flooding_period({p: r.max_depth for p, r in runs.items()}, thr)
        if exclude is not None:               # rivers and lakes are not waterlogging
            lowest[exclude] = np.nan
        areas = first_flooding_period_of_areas(wl.labels, lowest)
        for frame in (wl.points, wl.polygons):
            frame["lowest_return_period"] = areas[frame["label"].to_numpy(dtype=np.int64) - 1] \
                if len(frame) else np.zeros(0)
        rows = []
        tables = {}
        for p in sorted(runs):
            d = np.nan_to_num(np.asarray(runs[p].max_depth, dtype=np.float64), nan=0.0)
            wet = d > thr
            if exclude is not None:
                wet &= ~exclude
            n_in = 0
            if ug is not None:
                e = ug.entrances if p == float(return_period) else assess_underground(
                    assets.underground, assets.entrances, runs[p].probes, s.underground).entrances
                tables[p] = pd.DataFrame({"entrance_id": e["entrance_id"].astype(str),
                                          "flooded": (e["class"] == "flooded").to_numpy()})
                n_in = int(tables[p]["flooded"].sum())
            rows.append({"return_period": p, "flooded_area": float(wet.sum() * grid.cell_area),
                         "flooded_volume": float(d[wet].sum() * grid.cell_area),
                         "entrances_flooded": n_in})
        periods = pd.DataFrame(rows)
        if ug is not None:
            first = first_flooding_period_of(tables, "entrance_id", "flooded")
            ug.entrances["lowest_return_period"] = \
                first.reindex(ug.entrances["entrance_id"].astype(str)).to_numpy()
        timings["return_periods_s"] = time.perf_counter() - t

    summary = _summary(wl, observed_summary, ug, stations, facilities, hz, risk, buildings,
                       grid.cell_area)
    if periods is not None:
        summary["return_periods"] = [
            {"return_period_a": r.return_period, "flooded_area_m2": round(r.flooded_area, 1),
             "flooded_volume_m3": round(r.flooded_volume, 1),
             "entrances_flooded": int(r.entrances_flooded)} for r in periods.itertuples()]
    if cost is not None:
        summary["failure_cost"] = {k: (round(v, 3) if isinstance(v, float) else v)
                                   for k, v in cost.items()}
    return Assessment(waterlogging=wl, observed=observed, observed_summary=observed_summary,
                      underground=ug, stations=stations, facilities=facilities, hazard=hz,
                      risk=risk, buildings=buildings, failure_cost=cost,
                      lowest_return_period=lowest, return_periods=periods, summary=summary,
                      timings=timings, settings=s)


def findings_summary(points: pd.DataFrame | None, spaces: pd.DataFrame | None,
                     stations: pd.DataFrame | None, facilities: pd.DataFrame | None,
                     buildings: pd.DataFrame | None, risk: np.ndarray | None,
                     cell_area: float) -> dict[str, Any]:
    """Counts and figures of an assessment's tables, for summaries (a run's, or a season's
    merged city's).

    Parameters
    ----------
    points
        Waterlogging points, ranked (``point_id``, ``max_depth``, ``area``, ``cause``).
    spaces
        Underground spaces (``space_id``, ``kind``, ``class``, ``inflow_volume``,
        ``lead_time``), or None.
    stations, facilities
        Site tables (``failed``, ``failure_time``, ``relocate``), or None.
    buildings
        Buildings' risk (``risk_label``), or None.
    risk
        Risk class grid (0-3; NaN off the domain), or None.
    cell_area
        m².
    """
    out: dict[str, Any] = {}
    if points is not None:
        p = points
        out.update({
            "waterlogging_points": len(p),
            "waterlogged_area_m2": round(float(p["area"].sum()), 1) if len(p) else 0.0,
            "by_cause": {str(k): int(v) for k, v in p["cause"].value_counts().items()},
            "top_points": [{"point_id": r.point_id, "max_depth_m": round(float(r.max_depth), 3),
                            "area_m2": round(float(r.area), 1), "cause": r.cause}
                           for r in p.head(5).itertuples()]})
    if spaces is not None:
        sp = spaces
        out["underground"] = {
            "classes": {str(k): int(v) for k, v in sp["class"].value_counts().items()},
            "spaces": [{"space_id": str(r["space_id"]), "kind": str(r["kind"]),
                        "class": str(r["class"]),
                        "inflow_m3": round(float(r["inflow_volume"]), 1),
                        "lead_time_s": (None if pd.isna(r["lead_time"])
                                        else round(float(r["lead_time"]), 1))}
                       for r in sp.drop(columns="geometry", errors="ignore").to_dict("records")
                       if r["class"] != "safe"]}
    if stations is not None and len(stations):
        out["stations_failed"] = {
            str(r.station_id): (None if pd.isna(r.failure_time) else round(float(r.failure_time), 1))
            for r in stations.itertuples() if r.failed}
        out["stations_to_relocate"] = [str(r.station_id) for r in stations.itertuples()
                                       if r.relocate]
    if facilities is not None and len(facilities):
        out["facilities_flooded"] = [str(r.facility_id) for r in facilities.itertuples()
                                     if r.failed]
    if risk is not None:
        out["risk_area_m2"] = {RISK_LABELS[k]: round(float((risk == k).sum() * cell_area), 1)
                               for k in range(1, len(RISK_LABELS)) if (risk == k).any()}
    if buildings is not None and len(buildings):
        out["buildings_by_risk"] = {str(k): int(v) for k, v in
                                    buildings["risk_label"].value_counts().items()}
    return out


def _summary(wl: Waterlogging, obs: dict | None, ug: UndergroundAssessment | None,
             stations: pd.DataFrame, facilities: pd.DataFrame, hz: HazardGrids,
             risk: np.ndarray, buildings: pd.DataFrame, cell_area: float) -> dict[str, Any]:
    out = findings_summary(wl.points, None if ug is None else ug.spaces, stations, facilities,
                           buildings, risk, cell_area)
    if obs is not None:
        out["observed"] = {k: (round(v, 3) if isinstance(v, float) else v)
                           for k, v in obs.items() if k != "false_alarm_ids"}
    cn = hz.summary(cell_area)
    out["hazard_area_m2"] = {f"{r.scheme} {r.label}": round(float(r.area), 1)
                             for r in cn.itertuples() if r.area > 0}
    return out
