"""One city from its districts: the run folders of one scenario's district tasks merged
into one run folder of the whole study area.

Grids are laid into the city's grid (each district's grid is its own polygon's cells,
the rest NaN): where districts overlap, the larger maximum depth, speed, hazard and risk
and the earlier first-flooding time win. The assessment's layers are stacked with a
``district_id`` column; waterlogging point ids get the district as a prefix
(``west-WL03``) and the points are ranked again city-wide by volume. The volume balances
and timings add up. The merged folder is a run folder like any other (``manifest.json``
complete), so :func:`floodrisk.read_run` and the reports read it.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import rasterio

from ..assess.assessment import findings_summary
from ..grid import Grid
from ..io.raster import write_geotiff
from ..io.run_record import GRID_FILES
from ..io.runs import RunFolder
from ..io.vector import write_layers
from ..variables import VARIABLES

__all__ = ["merge_scenario"]

#: Grids merged by their smallest value where districts overlap (times); others largest.
_EARLIEST = ("first_wet_time",)
#: Layers of assessment.gpkg merged, in order.
_LAYERS = ("waterlogging_points", "waterlogging_areas", "underground_exposure",
           "underground_spaces", "pump_stations", "facilities", "buildings_risk",
           "observed_check", "pipe_capacity", "node_flooding")
_BALANCE_SUMS = ("rain_m3", "inflow_m3", "boundary_outflow_m3", "losses_m3",
                 "outfall_outflow_m3", "surface_initial_m3", "surface_final_m3",
                 "pipe_initial_m3", "pipe_final_m3", "drained_m3", "spilled_m3",
                 "exchange_pipe_side_m3", "exchange_surface_side_m3", "error_m3")


def _place(city: Grid, path: Path) -> tuple[np.ndarray, tuple[slice, slice]]:
    """A district grid and the window of the city grid it covers."""
    with rasterio.open(path) as src:
        values = src.read(1).astype(np.float64)
        t = src.transform
    c0 = int(round((t.c - city.transform.c) / city.dx))
    r0 = int(round((city.transform.f - t.f) / city.dy))
    return values, (slice(r0, r0 + values.shape[0]), slice(c0, c0 + values.shape[1]))


def _mosaic(city: Grid, name: str, paths: Sequence[Path]) -> np.ndarray:
    out = np.full(city.shape, np.nan)
    pick = np.fmin if name in _EARLIEST else np.fmax
    for p in paths:
        values, window = _place(city, p)
        out[window] = pick(out[window], values)
    return out


def _prefix_points(frame: pd.DataFrame, district: str) -> pd.DataFrame:
    frame = frame.copy()
    frame.insert(0, "district_id", district)
    if "point_id" in frame.columns:
        frame["point_id"] = district + "-" + frame["point_id"].astype(str)
    return frame


def _rank(points: pd.DataFrame) -> pd.DataFrame:
    if not len(points):
        return points
    order = np.lexsort((-points["max_depth"].to_numpy(), -points["volume"].to_numpy()))
    rank = np.empty(len(points), dtype=np.int64)
    rank[order] = np.arange(1, len(points) + 1)
    return points.assign(rank=rank).sort_values("rank").reset_index(drop=True)


def _layers(runs: Sequence[tuple[str, Path]]) -> dict[str, gpd.GeoDataFrame]:
    out: dict[str, gpd.GeoDataFrame] = {}
    have = {run: ({n for n, _ in pyogrio.list_layers(run / "assessment.gpkg")}
                  if (run / "assessment.gpkg").is_file() else set()) for _, run in runs}
    for name in _LAYERS:
        parts = []
        for district, run in runs:
            if name in have[run]:
                parts.append(_prefix_points(pyogrio.read_dataframe(
                    run / "assessment.gpkg", layer=name), district))
        if not parts:
            continue
        merged = pd.concat(parts, ignore_index=True)
        crs = next((p.crs for p in parts if getattr(p, "crs", None) is not None), None)
        merged = gpd.GeoDataFrame(merged, geometry="geometry", crs=crs)
        if name in ("waterlogging_points", "waterlogging_areas"):
            merged = _rank(merged)
        out[name] = merged
    if "waterlogging_points" in out and "waterlogging_areas" in out:
        # the areas in the points' order
        order = out["waterlogging_points"]["point_id"].tolist()
        areas = out["waterlogging_areas"].set_index("point_id").loc[order].reset_index()
        out["waterlogging_areas"] = gpd.GeoDataFrame(areas, geometry="geometry",
                                                     crs=out["waterlogging_areas"].crs)
    return out


def _summary(layers: dict[str, gpd.GeoDataFrame], grids: dict[str, np.ndarray],
             cell_area: float, threshold: float, summaries: list[dict[str, Any]]
             ) -> dict[str, Any]:
    a = findings_summary(layers.get("waterlogging_points"), layers.get("underground_spaces"),
                         layers.get("pump_stations"), layers.get("facilities"),
                         layers.get("buildings_risk"), grids.get("risk"), cell_area)
    out: dict[str, Any] = {"assessment": a}
    depth = grids.get("max_depth")
    if depth is not None:
        d = np.nan_to_num(depth, nan=0.0)
        out["surface"] = {"max_depth_m": round(float(d.max()), 3), "wet_threshold_m": threshold,
                          "area_over_threshold_m2": round(float((d > threshold).sum() * cell_area),
                                                          1)}
    storms = [s.get("storm") for s in summaries if s.get("storm")]
    if storms:
        out["storm"] = storms[0]
    return out


def merge_scenario(scenario_id: str, runs: Sequence[tuple[str, Path]], city: Grid,
                   out_dir: Path, *, study_name: str, season: dict[str, Any]) -> Path:
    """Merge the district runs of one scenario into one run folder of the city.

    Parameters
    ----------
    scenario_id
        The scenario (names the folder).
    runs
        ``(district_id, run folder)`` of every district task of the scenario.
    city
        The city's DEM (the merged grids' geometry; written as ``elevation.tif``).
    out_dir
        Where the folder ``<scenario_id>`` is made (it must not exist yet).
    study_name
        The study's name.
    season
        Facts about the season for the manifest (name, scenario, task folders).

    Returns
    -------
    Path
        The merged run folder.
    """
    manifests = [json.loads((r / "manifest.json").read_text(encoding="utf-8")) for _, r in runs]
    summaries = [json.loads((r / "summary.json").read_text(encoding="utf-8"))
                 if (r / "summary.json").is_file() else {} for _, r in runs]
    first = manifests[0]
    config = first.get("config") or {}
    threshold = float(((config.get("assessment") or {}).get("settings") or {})
                      .get("waterlogging", {}).get("threshold", 0.15))
    with RunFolder.create(out_dir, scenario_id, kind="scenario") as run:
        run.manifest.update(study=study_name, crs=first.get("crs"), config=config,
                            season=season, inputs=first.get("inputs", []),
                            notes=[n for m in manifests for n in m.get("notes", [])])
        grids: dict[str, np.ndarray] = {}
        with run.stage("mosaic"):
            elev = VARIABLES["grid", "elevation"]
            write_geotiff(city, run.output("elevation.tif", elev.label),
                          description=elev.description, units=elev.unit)
            for name in GRID_FILES:
                if name == "elevation":
                    continue
                paths = [r / f"{name}.tif" for _, r in runs if (r / f"{name}.tif").is_file()]
                if len(paths) != len(runs):
                    continue
                grids[name] = _mosaic(city, name, paths)
                var = VARIABLES["grid", name]
                write_geotiff(city.with_values(grids[name].astype(np.float32)),
                              run.output(f"{name}.tif", var.label),
                              description=var.description, units=var.unit)
        with run.stage("layers"):
            layers = _layers(runs)
            if layers:
                write_layers(layers, run.output("assessment.gpkg", "the districts' assessment "
                                                "layers, merged (district_id)"))
            for name, table in layers.items():
                if name in ("waterlogging_areas", "pipe_capacity"):
                    continue
                frame = pd.DataFrame(table.drop(columns="geometry", errors="ignore"))
                frame.to_csv(run.output(f"assessment/{name}.csv", f"{name} table"),
                             index=False, float_format="%.6g", encoding="utf-8")
            storm = runs[0][1] / "storm.csv"
            if storm.is_file():
                shutil.copy2(storm, run.output("storm.csv", "the design storm"))
        balances = [m["volume_balance"] for m in manifests if m.get("volume_balance")]
        if balances:
            v = {k: float(sum(b.get(k, 0.0) for b in balances)) for k in _BALANCE_SUMS}
            scale = v["rain_m3"] + v["inflow_m3"] + v["surface_initial_m3"] + v["pipe_initial_m3"]
            v["error_rel"] = v["error_m3"] / scale if scale > 0 else 0.0
            run.manifest["volume_balance"] = v
        timings = [m["timings"] for m in manifests if m.get("timings")]
        if timings:
            run.manifest["timings"] = {k: round(float(sum(t.get(k, 0.0) for t in timings)), 3)
                                       for k in ("surface_s", "drainage_s", "exchange_s",
                                                 "total_s")}
        summary = _summary(layers, grids, city.cell_area, threshold, summaries)
        summary["districts"] = [d for d, _ in runs]
        run.output("summary.json", "the merged figures").write_text(
            json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
        run.manifest["summary"] = summary
    return run.final
