"""What a season makes from its merged scenarios: the lowest return period that floods
each place of the city, and what changed since the previous season."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from ..assess.compare import CompareSettings, change_counts, compare_entrances, compare_points
from ..assess.return_periods import (
    first_flooding_period,
    first_flooding_period_of,
    first_flooding_period_of_areas,
)
from ..io.run_record import read_run
from ..io.raster import write_geotiff
from ..io.vector import write_layers
from ..variables import VARIABLES
from .config import SeasonScenario

__all__ = ["compare_seasons", "lowest_return_periods"]


def _layer(folder: Path, name: str) -> gpd.GeoDataFrame | None:
    gpkg = folder / "assessment.gpkg"
    if not gpkg.is_file() or name not in {n for n, _ in pyogrio.list_layers(gpkg)}:
        return None
    return pyogrio.read_dataframe(gpkg, layer=name)


def lowest_return_periods(merged: Mapping[str, Path], scenarios: Sequence[SeasonScenario],
                          out_dir: Path, threshold: float, *,
                          exclude: np.ndarray | None = None) -> list[dict[str, Any]]:
    """For every group of scenarios that differ only in return period (same duration,
    failure and blockage case): the lowest return period that floods each cell, each
    waterlogging point of the group's highest return period and each entrance.

    Writes ``lowest_return_period_<group>.tif`` and ``lowest_return_period_<group>.gpkg``
    (layers ``waterlogging_points``, ``entrances``) into ``out_dir``.

    Parameters
    ----------
    merged
        Scenario id → its merged city run folder (finished scenarios only).
    scenarios
        The season's scenarios.
    out_dir
        The folder to write into (it exists).
    threshold
        Waterlogging depth, m.
    exclude
        Cells (True) that never count: water bodies.

    Returns
    -------
    list of dict
        Per group: ``group``, ``return_periods``, ``files``, ``cells_flooded`` by period.
    """
    groups: dict[str, list[SeasonScenario]] = {}
    for s in scenarios:
        if s.scenario_id in merged:
            groups.setdefault(s.group, []).append(s)
    out = []
    for group, members in groups.items():
        members = sorted(members, key=lambda s: s.return_period)
        records = {s.return_period: read_run(merged[s.scenario_id]) for s in members}
        top = records[members[-1].return_period]
        depth = {p: r.grid("max_depth").values for p, r in records.items()}
        low = first_flooding_period(depth, threshold)
        if exclude is not None:
            low[exclude] = np.nan
        var = VARIABLES["grid", "lowest_return_period"]
        tif = out_dir / f"lowest_return_period_{group}.tif"
        write_geotiff(top.grid("max_depth").with_values(low.astype(np.float32)), tif,
                      description=var.description, units=var.unit)
        layers: dict[str, gpd.GeoDataFrame] = {}
        points = top.layer("assessment/waterlogging_points")
        areas = top.layer("assessment/waterlogging_areas")
        if points is not None and areas is not None and len(areas):
            # each area's cells (its outline burnt into the grid) → its lowest period
            from rasterio.features import rasterize
            grid = top.grid("max_depth")
            labels = rasterize([(g, k + 1) for k, g in enumerate(areas.geometry)],
                               out_shape=grid.shape, transform=grid.transform, fill=0,
                               dtype="int32")
            per = first_flooding_period_of_areas(labels, low)
            per = np.concatenate([per, np.full(len(areas) - per.size, np.nan)])
            by_area = pd.Series(per, index=areas["point_id"].astype(str))
            layers["waterlogging_points"] = points.assign(lowest_return_period=by_area.reindex(
                points["point_id"].astype(str)).to_numpy())
        tables = {}
        for s in members:
            e = records[s.return_period].layer("assessment/underground_exposure")
            if e is not None:
                tables[s.return_period] = pd.DataFrame(
                    {"entrance_id": e["entrance_id"].astype(str),
                     "flooded": (e["class"] == "flooded").to_numpy()})
        if tables:
            first = first_flooding_period_of(tables, "entrance_id", "flooded")
            ent = top.layer("assessment/underground_exposure")
            layers["entrances"] = ent.assign(lowest_return_period=first.reindex(
                ent["entrance_id"].astype(str)).to_numpy())
        files = [tif.name]
        if layers:
            gpkg = out_dir / f"lowest_return_period_{group}.gpkg"
            write_layers(layers, gpkg)
            files.append(gpkg.name)
        cell = top.grid("max_depth").cell_area
        out.append({"group": group, "return_periods": [s.return_period for s in members],
                    "files": files,
                    "flooded_area_m2": {f"{p:g}": round(float((low <= p).sum() * cell), 1)
                                        for p in sorted(depth)}})
    return out


def compare_seasons(merged: Mapping[str, Path], previous: Path, out_dir: Path,
                    settings: CompareSettings | None = None) -> dict[str, Any]:
    """Compare every scenario with the same scenario of the previous season.

    Points are matched by location, entrances by id (:mod:`floodrisk.assess.compare`).
    Writes ``<scenario_id>.gpkg`` (layers ``points``, ``entrances``) into ``out_dir``.

    Parameters
    ----------
    merged
        This season's scenario id → merged city run folder.
    previous
        The previous season's folder (its ``scenarios/`` are compared).
    out_dir
        Where the comparisons go (it exists).
    settings
        How points and entrances are matched.

    Returns
    -------
    dict
        ``previous`` (folder), ``scenarios`` (id → {``points``: counts,
        ``entrances``: counts}), ``missing`` (ids the previous season has not), and
        ``points`` / ``entrances``: the counts summed over the scenarios.
    """
    result: dict[str, Any] = {"previous": str(previous), "scenarios": {}, "missing": []}
    totals = {"points": dict.fromkeys(("new", "worsened", "improved", "resolved", "unchanged"), 0),
              "entrances": dict.fromkeys(("new", "worsened", "improved", "resolved",
                                          "unchanged"), 0)}
    for sid, folder in merged.items():
        old = previous / "scenarios" / sid
        if not (old / "manifest.json").is_file():
            result["missing"].append(sid)
            continue
        layers: dict[str, gpd.GeoDataFrame] = {}
        counts: dict[str, dict[str, int]] = {}
        now_a, old_a = _layer(folder, "waterlogging_areas"), _layer(old, "waterlogging_areas")
        if now_a is not None and old_a is not None:
            t = compare_points(now_a, old_a, settings)
            layers["points"] = t
            counts["points"] = change_counts(t)
        now_e, old_e = _layer(folder, "underground_exposure"), _layer(old, "underground_exposure")
        if now_e is not None and old_e is not None:
            t = compare_entrances(now_e, old_e, settings)
            layers["entrances"] = t
            counts["entrances"] = change_counts(t)
        if layers:
            write_layers({k: v for k, v in layers.items() if len(v)} or
                         {"points": layers.get("points", gpd.GeoDataFrame(geometry=[]))},
                         out_dir / f"{sid}.gpkg")
        result["scenarios"][sid] = counts
        for kind, c in counts.items():
            for k, v in c.items():
                totals[kind][k] += v
    result.update(totals)
    return result
