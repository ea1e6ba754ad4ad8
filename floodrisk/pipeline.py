"""Runs: call the stages in order and write a run folder. Nothing else happens here.

A run loads and validates the study, takes its design storm, works out the inventory,
checks the network data, assesses the capacity of every pipe and screens the terrain's
depressions for where the storm's surplus ponds. With the ``swmm`` engine it then builds
the study's EPA SWMM model under the config's scenario and routes the storm through the
pipes (flooded nodes and volumes); with the ``surface`` engine it runs the storm on the
DEM with the 2D model (the pipes as a loss at their capacity); with the ``coupled``
engine (the default when a storm is given) it runs the 2D model and the SWMM pipes
together, exchanging water at every manhole. Later assessments add their stages here.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from .capacity import assess_capacity
from .config import ENGINES, StudyConfig, load_config
from .assess.assessment import Assessment, assess
from .engines.coupled import CoupledResult, simulate_coupled
from .engines.screening import ScreeningResult, screen
from .engines.surface import ConstantLoss, SurfaceResult, simulate_surface
from .engines.swmm import DrainageResult, run_swmm
from .errors import ConfigError
from .inventory import summarize
from .io.drainage import drainage_layers, write_series_csv
from .io.findings import findings_table, write_findings_gpkg
from .io.rainfall import city_formula, load_storm, read_storm, write_hyetograph_csv
from .io.raster import write_geotiff
from .io.run_record import read_run
from .io.runs import RunFolder, package_versions
from .io.study import read_study
from .io.vector import write_layers
from .network import check_network, conduit_hydraulics, findings_geometry
from .rainfall import Hyetograph, StormModel, storm_label
from .report.build import write_reports
from .report.charts import plot_hyetograph
from .report.maps import (plot_inputs, plot_max_depth, plot_node_flooding, plot_pipe_capacity,
                          plot_ponding)
from .study import Study
from .surface_inputs import entrance_probes, surface_grids
from .surplus import Surplus, surplus_runoff
from .terrain import depression_polygons, find_depressions
from .variables import VARIABLES

__all__ = ["RunOutcome", "run_study", "screen_study"]


@dataclass(frozen=True)
class RunOutcome:
    """What a finished run wrote and found.

    Parameters
    ----------
    path
        The run folder.
    summary
        The figures of the run (also in ``summary.json``).
    timings
        Seconds per stage.
    notes
        What the loaders filled in or changed, and stages that were skipped and why.
    """

    path: Path
    summary: dict[str, Any]
    timings: dict[str, float]
    notes: tuple[str, ...] = field(default=())


def _storm_and_formula(cfg: StudyConfig) -> tuple[Hyetograph | None, StormModel | None, list[str]]:
    """The design storm, the storm-intensity model for the capacity check, and notes."""
    notes: list[str] = []
    hyetograph, model = read_storm(cfg.storm) if cfg.storm is not None else (None, None)
    cap = cfg.capacity
    if cap.city is not None:
        model = city_formula(cap.city)
    elif cap.formula is not None:
        model = load_storm(cap.formula)
    if hyetograph is None:
        notes.append("no [storm] in the config: depression screening skipped")
    if model is None:
        notes.append("no storm-intensity formula ([capacity] city/formula or a [storm] from a "
                     "city/formula): pipe capacity assessment skipped")
    return hyetograph, model, notes


def _screen(study: Study, storm: Hyetograph, pipes: Any, cfg: StudyConfig
            ) -> tuple[ScreeningResult, Surplus]:
    """Route the storm's surplus runoff through the terrain's depressions."""
    sc = cfg.screening.settings
    deps = find_depressions(study.terrain, threshold=sc.depth_threshold, outlets=sc.outlets,
                            nan_outlets=sc.nan_outlets)
    surplus = surplus_runoff(study.terrain, storm, depressions=deps, net=study.network,
                             pipes=pipes if cfg.screening.pipe_share else None,
                             landcover=study.assets.landcover, settings=cfg.capacity.settings)
    return screen(deps, surplus.runoff, runoff_coefficient=surplus.runoff_coefficient), surplus


def run_study(config: StudyConfig | str | PathLike[str], out_dir: str | PathLike[str], *,
              name: str | None = None, kind: str = "run", inputs: bool = True,
              engine: str | None = None, study: Study | None = None,
              progress: Callable[[str], None] | None = None) -> RunOutcome:
    """Load a study, run the analysis, and write a run folder.

    The study is loaded before the run folder exists, so bad input leaves nothing
    behind; a failure while working or writing removes the unfinished folder.

    Parameters
    ----------
    config
        Study config or the path of its TOML file.
    out_dir
        Folder in which the run folder is created.
    name
        Run folder name (default ``{kind}-YYYYmmdd-HHMMSS``).
    kind
        Prefix of the default name.
    inputs
        Whether to write the validated inputs (``study.gpkg``, ``elevation.tif``, the
        input map) besides the results.
    engine
        One of :data:`floodrisk.config.ENGINES`; default the config's ``engine``.
    study
        The study, already loaded (e.g. cut to a district by
        :func:`floodrisk.districts.clip_study`); default: loaded from the config.
    progress
        Called with the name of each stage as it starts; during the SWMM run also with
        ``"drainage <percent>"`` after every stride.

    Returns
    -------
    RunOutcome
    """
    say = progress or (lambda stage: None)
    cfg = config if isinstance(config, StudyConfig) else load_config(config)
    engine = engine or cfg.engine
    if engine not in ENGINES:
        raise ConfigError(f"unknown engine {engine!r}; known: {', '.join(ENGINES)}.",
                          path=cfg.source, field="engine")
    if engine in ("swmm", "surface", "coupled") and cfg.storm is None:
        raise ConfigError(f"the {engine} engine needs a design storm.", path=cfg.source,
                          field="storm", hint="Add a [storm] section (see the README).")
    wl, wet = cfg.assessment.settings.waterlogging.threshold, cfg.surface.settings.wet_threshold
    if engine in ("surface", "coupled") and wl != wet:
        raise ConfigError(f"[assessment.waterlogging] threshold ({wl:g} m) differs from "
                          f"[surface] wet_threshold ({wet:g} m).", path=cfg.source,
                          field="threshold",
                          hint="Set both to the same depth: the run counts the time above "
                               "and the first time over wet_threshold.")
    say("load")
    t0 = time.perf_counter()
    study = study if study is not None else read_study(cfg)
    storm, formula, skipped = _storm_and_formula(cfg)
    t_load = round(time.perf_counter() - t0, 3)
    net = study.network
    sources = ", ".join(sorted({f.path.name for f in study.inputs}))
    with RunFolder.create(out_dir, name, kind=kind) as run:
        run.timings["load"] = t_load
        run.record_inputs(study.inputs)
        run.manifest.update(study=study.name, crs=study.crs.to_string() if study.crs else None,
                            config=cfg.model_dump(mode="json"), notes=list(study.notes) + skipped)
        say("analyse")
        with run.stage("inventory"):
            summary = summarize(study)
        say("check")
        with run.stage("check"):
            findings = check_network(net)
            summary["checks"] = {s: int((findings["severity"] == s).sum())
                                 for s in ("error", "warning", "info")}
        pipes = None
        if formula is not None:
            say("capacity")
            with run.stage("capacity"):
                pipes = assess_capacity(net, formula, settings=cfg.capacity.settings,
                                        dem=study.terrain, landcover=study.assets.landcover)
            summary["capacity"] = _capacity_summary(pipes, formula, cfg)
        result = None
        if storm is not None:
            say("screen")
            with run.stage("screen"):
                result, surplus = _screen(study, storm, pipes, cfg)
            summary["storm"] = {"name": storm.name, "total_depth_mm": round(storm.total_depth_mm, 2),
                                "peak_mm_h": round(storm.peak_mm_h, 2),
                                "duration_min": round(storm.duration_s / 60, 1)}
            summary["screening"] = _screening_summary(result)
        drainage = None
        if engine == "swmm":
            say("drainage")
            with run.stage("drainage"):
                drainage = run_swmm(
                    study, cfg.scenario.build(storm), cfg.swmm.settings, keep=run.path / "swmm",
                    raise_on_continuity=cfg.swmm.refuse_bad_continuity,
                    progress=lambda t, total: say(f"drainage {100 * t / total:.0f}"))
            summary["drainage"] = _drainage_summary(drainage)
            run.manifest["drainage"] = {
                "engine": f"EPA SWMM {drainage.swmm_version} (pyswmm)",
                "scenario": drainage.name,
                "continuity_ok": drainage.continuity_ok,
                "runoff_error_pct": drainage.runoff_error,
                "routing_error_pct": drainage.routing_error,
                "continuity_bound_pct": drainage.continuity_bound,
                "message": drainage.message,
                "timings_s": {k: round(v, 3) for k, v in drainage.timings.items()},
                "notes": list(drainage.notes)}
        surface = None
        if engine == "surface":
            say("surface")
            with run.stage("surface"):
                surface = _simulate_surface(study, cfg.scenario.build(storm),
                                            surplus.drain_rate, cfg,
                                            lambda t, total: say(f"surface {100 * t / total:.0f}"))
            summary["surface"] = _surface_summary(surface)
            v, st = surface.volume, surface.stats
            run.manifest["surface"] = {
                "scheme": "local inertial (Bates et al. 2010; de Almeida et al. 2012)",
                "volume_balance_m3": {k: getattr(v, k) for k in (
                    "rain", "inflow", "boundary_outflow", "losses", "initial", "final",
                    "error")},
                "volume_error_rel": v.relative_error,
                "stats": {"steps": st.steps, "cell_updates": st.cell_updates,
                          "wall_s": round(st.wall_time, 3),
                          "cell_updates_per_s": round(st.cell_updates_per_s),
                          "dt_min_s": st.dt_min, "dt_mean_s": st.dt_mean}}
        coupled = None
        if engine == "coupled":
            say("coupled")
            with run.stage("coupled"):
                coupled = simulate_coupled(
                    study, cfg.scenario.build(storm), _coupled_settings(cfg),
                    progress=lambda t, total: say(f"coupled {100 * t / total:.0f}"))
            surface = coupled.surface
            summary["surface"] = _surface_summary(surface)
            summary["coupled"] = _coupled_summary(coupled)
            v = coupled.volume
            run.manifest["volume_balance"] = {
                **{f"{k}_m3": getattr(v, k) for k in (
                    "rain", "inflow", "boundary_outflow", "losses", "outfall_outflow",
                    "surface_initial", "surface_final", "pipe_initial", "pipe_final",
                    "drained", "spilled", "exchange_pipe_side", "exchange_surface_side",
                    "error")},
                "error_rel": v.relative_error,
                "swmm_routing_error_pct": v.swmm_routing_error}
            run.manifest["timings"] = {k: round(float(t), 3) for k, t in coupled.timings.items()}
        baseline = None
        if (coupled is not None and cfg.assessment.compare_failures
                and coupled.pumps["failed_at"].notna().any()):
            say("baseline")
            with run.stage("baseline"):
                baseline = simulate_coupled(
                    study, dataclasses.replace(cfg.scenario.build(storm), failed_stations={}),
                    dataclasses.replace(_coupled_settings(cfg), pump_failure=False),
                    progress=lambda t, total: say(f"baseline {100 * t / total:.0f}"))
        others: dict[float, Any] = {}
        if surface is not None and cfg.storm is not None:
            for p in sorted(set(cfg.storm.return_periods) - {cfg.storm.return_period}):
                say(f"P{p:g}")
                with run.stage(f"return_period_{p:g}"):
                    others[p] = _rerun(study, cfg, engine, read_storm(cfg.storm.at(p))[0],
                                       surplus, lambda t, total, p=p: say(
                                           f"P{p:g} {100 * t / total:.0f}"))
        assessment = None
        if surface is not None:
            say("assess")
            with run.stage("assess"):
                assessment = assess(
                    study, coupled if coupled is not None else surface, pipes=pipes,
                    design_return_period=cfg.capacity.settings.design_return_period,
                    baseline=baseline, settings=cfg.assessment.settings,
                    filled=None if result is None else result.depressions.terrain.filled.values,
                    return_period=cfg.storm.return_period, other_periods=others or None)
            summary["assessment"] = assessment.summary
            run.manifest["assessment"] = {
                "timings_s": {k: round(v, 3) for k, v in assessment.timings.items()},
                "observed": assessment.observed_summary,
                "failure_cost": assessment.failure_cost}
        say("write")
        with run.stage("write"):
            if assessment is not None:
                _write_assessment(run, study, assessment, pipes, coupled)
            if drainage is not None:
                _write_drainage(run, study, drainage, sources)
            if surface is not None:
                _write_surface(run, study, surface, sources)
            if coupled is not None:
                _write_coupled(run, study, coupled)
            results: dict[str, Any] = {}
            if pipes is not None:
                results["pipe_capacity"] = pipes
                plot_pipe_capacity(study.terrain, pipes, run.output(
                    "pipe_capacity.png", "map of pipe capacity return periods"),
                    title=f"{study.name}: pipe capacity (design {formula.name}, "
                          f"P = {cfg.capacity.settings.design_return_period:g} a)",
                    sources=sources)
            if result is not None:
                polygons = depression_polygons(result.depressions, table=result.table)
                results["depressions"] = polygons
                depth = VARIABLES["grid", "ponded_depth"]
                write_geotiff(result.depth, run.output(f"{depth.name}.tif", depth.label),
                              description=depth.description, units=depth.unit)
                plot_ponding(study.terrain, result.depth, polygons, run.output(
                    "ponding.png", "map of ponded depth and depressions"),
                    title=f"{study.name}: depression screening, {storm.name}", sources=sources)
                write_hyetograph_csv(storm, run.output("storm.csv", "the design storm"))
                plot_hyetograph(storm, run.output("storm.png", "chart of the design storm"))
            if results:
                write_layers(results, run.output("screening.gpkg",
                                                  "pipe_capacity and depressions layers"))
            write_findings_gpkg(findings_geometry(net, findings), run.output(
                "checks.gpkg", "network check findings with the features concerned"))
            findings_table(findings).to_csv(run.output("checks.csv", "network check findings"),
                                            index=False, encoding="utf-8")
            if inputs:
                _write_inputs(run, study)
            run.output("summary.json", "the run's figures").write_text(
                json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
        run.manifest["summary"] = summary
        if assessment is not None and cfg.report.enabled:
            say("report")
            with run.stage("report"):
                if not inputs:              # the map sheets' and web map's hillshade
                    _write_elevation(run, study)
                draft = {**run.manifest, "status": "complete",
                         "versions": package_versions(), "timings_s": dict(run.timings)}
                drawn = write_reports(read_run(run.path, manifest=draft), run.path,
                                      cfg.report.settings)
            for rel, what in drawn.outputs.items():
                run.output(rel, what)
            run.manifest["report"] = {"lang": cfg.report.settings.lang,
                                      "timings_s": drawn.timings, "notes": list(drawn.notes)}
            skipped += list(drawn.notes)
    return RunOutcome(path=run.final, summary=summary, timings=dict(run.timings),
                      notes=study.notes + tuple(skipped))


def screen_study(config: StudyConfig | str | PathLike[str], out_dir: str | PathLike[str], *,
                 name: str | None = None,
                 progress: Callable[[str], None] | None = None) -> RunOutcome:
    """The screening alone: network checks, pipe capacity and depressions, without the
    copies of the inputs (a ``screen-<time>`` folder). Parameters as :func:`run_study`."""
    return run_study(config, out_dir, name=name, kind="screen", inputs=False,
                     engine="screening", progress=progress)


def _write_elevation(run: RunFolder, study: Study) -> None:
    elev = VARIABLES["grid", "elevation"]
    write_geotiff(study.terrain, run.output(f"{elev.name}.tif", elev.label),
                  description=elev.description, units=elev.unit)


def _write_inputs(run: RunFolder, study: Study) -> None:
    _write_elevation(run, study)
    layers = study.network.layers()
    layers["conduits"] = layers["conduits"].merge(conduit_hydraulics(study.network), on="link_id")
    layers.update({k: v for k, v in study.assets.layers().items() if len(v)})
    write_layers({k: v for k, v in layers.items() if len(v)},
                 run.output("study.gpkg", "validated input layers on the canonical schema; "
                            "conduits with slope, full_capacity, full_velocity"))
    plot_inputs(study, run.output("inputs_map.png", "map of the study inputs on a hillshaded DEM"))


def _write_drainage(run: RunFolder, study: Study, result: DrainageResult, sources: str) -> None:
    """The SWMM model and its files, result layers, series and map."""
    for f, what in (("model.inp", "the EPA SWMM model that was run (opens in the SWMM GUI)"),
                    ("model.rpt", "SWMM's report: continuity and summary tables"),
                    ("model.out", "SWMM's binary output (every node and link, each report "
                                  "step)")):
        run.output(f"swmm/{f}", what)
    layers = drainage_layers(study.network, result)
    write_layers(layers, run.output("drainage.gpkg", "SWMM results on the network: "
                                    + ", ".join(layers) + " layers"))
    flooded = list(result.flooded_nodes["node_id"].astype(str))
    if "node_flooding" in result.series:
        write_series_csv(result.series["node_flooding"], run.output(
            "node_flooding.csv", "flooding rate (m³/s) of every node that flooded, per report "
            "step (time_s from the simulation start)"), columns=flooded)
    if "pump_flow" in result.series and len(result.pumps):
        write_series_csv(result.series["pump_flow"], run.output(
            "pump_flow.csv", "flow (m³/s) of every pump, per report step"))
    plot_node_flooding(study.terrain, layers["drainage_nodes"], layers["drainage_conduits"],
                       run.output("drainage.png", "map of flooded nodes and conduit loads "
                                  "(SWMM)"),
                       title=f"{study.name}: SWMM dynamic wave, {result.name}", sources=sources)


def _simulate_surface(study: Study, scenario: Any, drain_rate: np.ndarray | None,
                      cfg: StudyConfig, progress: Callable[[float, float], None]
                      ) -> SurfaceResult:
    """The storm on the DEM: roughness and imperviousness from the land cover, buildings
    blocked, the pipes and pervious ground as a loss, probes at the entrances."""
    g = surface_grids(study, cfg.surface.inputs, drain_rate)
    settings = dataclasses.replace(cfg.surface.settings, blocked=g.blocked)
    return simulate_surface(study.terrain, g.manning, scenario.simulated_seconds,
                            rain=scenario.storm, losses=ConstantLoss(g.losses),
                            boundaries=cfg.surface.boundaries,
                            probes=entrance_probes(study.assets.entrances, study.terrain),
                            settings=settings, progress=progress)


def _rerun(study: Study, cfg: StudyConfig, engine: str, storm: Hyetograph, surplus: Surplus,
           progress: Callable[[float, float], None]) -> SurfaceResult | CoupledResult:
    """The run's engine and scenario under the storm at another return period (no
    baseline, no files): for the lowest return period that floods each place."""
    scenario = cfg.scenario.build(storm)
    if engine == "coupled":
        return simulate_coupled(study, scenario, _coupled_settings(cfg), progress=progress)
    return _simulate_surface(study, scenario, surplus.drain_rate, cfg, progress)


def _write_surface(run: RunFolder, study: Study, result: SurfaceResult, sources: str) -> None:
    """The 2D run's grids, entrance series and map."""
    for name in ("max_depth", "max_velocity", "time_of_max_depth", "first_wet_time",
                 "duration_over"):
        var = VARIABLES["grid", name]
        write_geotiff(result.to_grid(name), run.output(f"{name}.tif", var.label),
                      description=var.description, units=var.unit)
    if len(result.probes.columns):
        result.probes.to_csv(run.output(
            "entrance_depth.csv", "outside water depth (m) and speed (m/s) at every "
            "underground entrance, every output interval (time in s from the storm's start)"),
            float_format="%.5g", encoding="utf-8")
    threshold = result.settings.wet_threshold
    plot_max_depth(study.terrain, result.to_grid("max_depth"), run.output(
        "max_depth.png", "map of the maximum depth of the 2D run"),
        title=f"{study.name}: 2D surface model, maximum depth", sources=sources,
        threshold=threshold, entrances=study.assets.entrances)


def _surface_summary(r: SurfaceResult) -> dict[str, Any]:
    threshold = r.settings.wet_threshold
    cell = r.grid.cell_area
    d = np.nan_to_num(r.max_depth, nan=0.0)
    out: dict[str, Any] = {
        "max_depth_m": round(float(d.max()), 3),
        "wet_threshold_m": threshold,
        "area_over_threshold_m2": round(float((d > threshold).sum() * cell), 1),
        "volume_error_rel": float(f"{r.volume.relative_error:.3g}"),
        "rain_m3": round(r.volume.rain, 1), "losses_m3": round(r.volume.losses, 1),
        "boundary_outflow_m3": round(r.volume.boundary_outflow, 1),
        "final_m3": round(r.volume.final, 1),
        "steps": r.stats.steps,
        "cell_updates_per_s": round(r.stats.cell_updates_per_s),
    }
    if len(r.probes.columns):
        depth = r.probes.xs("depth", axis=1, level=1)
        peak = depth.max().sort_values(ascending=False)
        out["entrances"] = {str(k): round(float(v), 3) for k, v in peak.head(10).items()}
    return out


def _coupled_settings(cfg: StudyConfig) -> Any:
    """The coupled engine's settings: ``[coupled]`` with the ``[surface]`` and ``[swmm]``
    ones (the pipes exchange with the surface, so they are no loss on it)."""
    return dataclasses.replace(
        cfg.coupled.settings, surface=cfg.surface.settings, swmm=cfg.swmm.settings,
        boundaries=cfg.surface.boundaries,
        inputs=dataclasses.replace(cfg.surface.inputs, pipe_drainage=False))


def _write_assessment(run: RunFolder, study: Study, a: Assessment, pipes: Any,
                      coupled: CoupledResult | None) -> None:
    """assessment.gpkg (every finding as a layer; with a coupled run also the manholes
    that spilled, ``node_flooding``), the same tables as CSV under assessment/, and the
    hazard, risk and lowest-return-period grids."""
    layers: dict[str, Any] = {}
    wl = a.waterlogging
    layers["waterlogging_points"] = wl.points.drop(columns=["label"])
    layers["waterlogging_areas"] = wl.polygons.drop(columns=["label"])
    if a.underground is not None:
        layers["underground_exposure"] = a.underground.entrances
        layers["underground_spaces"] = a.underground.spaces
    if len(a.stations):
        layers["pump_stations"] = a.stations
    if len(a.facilities):
        layers["facilities"] = a.facilities
    if len(a.buildings):
        layers["buildings_risk"] = a.buildings
    if a.observed is not None:
        obs = study.assets.observed
        layers["observed_check"] = gpd.GeoDataFrame(
            a.observed, geometry=obs.set_index(obs["point_id"].astype(str)).geometry
            .reindex(a.observed["point_id"].astype(str)).to_numpy(), crs=obs.crs)
    if pipes is not None:
        layers["pipe_capacity"] = pipes
    if coupled is not None:
        spilled = coupled.nodes[coupled.nodes["spilled_m3"] > 0].drop(columns=["row", "col"])
        nodes = study.network.nodes.set_index(study.network.nodes["node_id"].astype(str))
        layers["node_flooding"] = gpd.GeoDataFrame(
            spilled.sort_values("spilled_m3", ascending=False),
            geometry=nodes.geometry.reindex(
                spilled.sort_values("spilled_m3", ascending=False)["node_id"].astype(str))
            .to_numpy(), crs=nodes.crs)
    if a.return_periods is not None:
        layers["return_periods"] = gpd.GeoDataFrame(
            a.return_periods, geometry=[None] * len(a.return_periods))
    write_layers(layers, run.output("assessment.gpkg", "assessment: " + ", ".join(layers)
                                    + " layers"))
    for name, table in layers.items():
        if name in ("waterlogging_areas", "pipe_capacity"):
            continue                      # the points' table; pipe_capacity is in screening
        frame = pd.DataFrame(table.drop(columns="geometry", errors="ignore"))
        frame.to_csv(run.output(f"assessment/{name}.csv", f"{name} table (no geometry)"),
                     index=False, float_format="%.6g", encoding="utf-8")
    if a.underground is not None:
        a.underground.series.to_csv(run.output(
            "assessment/entrance_inflow.csv", "cumulative inflow (m³) over every entrance, "
            "every output interval (time in s from the rain's start)"), float_format="%.6g",
            encoding="utf-8")
    if a.lowest_return_period is not None:
        var = VARIABLES["grid", "lowest_return_period"]
        write_geotiff(study.terrain.with_values(a.lowest_return_period.astype(np.float32)),
                      run.output(f"{var.name}.tif", var.label), description=var.description,
                      units=var.unit)
    hz = a.hazard
    off = ~np.isfinite(study.terrain.values)
    for name, values in (("hazard_rating", hz.defra_rating), ("hazard_defra", hz.defra_class),
                         ("hazard_arr", hz.arr_class), ("hazard_grade", hz.cn_grade),
                         ("risk", a.risk)):
        var = VARIABLES["grid", name]
        grid = np.where(off, np.nan, np.asarray(values, dtype=np.float32)).astype(np.float32)
        write_geotiff(study.terrain.with_values(grid),
                      run.output(f"{name}.tif", var.label), description=var.description,
                      units=var.unit)


def _write_coupled(run: RunFolder, study: Study, r: CoupledResult) -> None:
    """Per-node exchange totals on the nodes' points, pump stations, exchange series."""
    import geopandas as gpd

    xy = study.network.nodes.set_index(study.network.nodes["node_id"].astype(str)).geometry
    nodes = gpd.GeoDataFrame(r.nodes.drop(columns=["row", "col"]),
                             geometry=xy.reindex(r.nodes["node_id"].astype(str)).to_numpy(),
                             crs=study.network.nodes.crs)
    layers = {"exchange_nodes": nodes}
    if len(r.pumps):
        st = study.network.stations.set_index(study.network.stations["station_id"].astype(str))
        layers["pump_stations"] = gpd.GeoDataFrame(
            r.pumps, geometry=st.geometry.reindex(r.pumps["station_id"].astype(str)).to_numpy(),
            crs=study.network.nodes.crs)
    write_layers(layers, run.output("coupled.gpkg", "coupled run: exchange_nodes (drained_m3, "
                                    "spilled_m3, net_m3, max_head, peak flows) and "
                                    "pump_stations (failure times)"))
    write_series_csv(r.series["exchange"], run.output(
        "node_exchange.csv", "net surface → pipe flow (m³/s) at every linked node, every "
        "output interval (negative: the node spills)"))
    model = run.output("swmm/model.inp", "the EPA SWMM model of the pipes that was coupled "
                       "(no subcatchments: the rain falls on the surface)")
    model.write_text(r.model, encoding="utf-8")
    if r.report:
        run.output("swmm/model.rpt", "SWMM's report of the coupled run: continuity and "
                   "summary tables").write_text(r.report, encoding="utf-8")


def _coupled_summary(r: CoupledResult) -> dict[str, Any]:
    v, n = r.volume, r.nodes
    spill = n.sort_values("spilled_m3", ascending=False)
    return {
        "volume_error_rel": float(f"{v.relative_error:.3g}"),
        "drained_m3": round(v.drained, 1), "spilled_m3": round(v.spilled, 1),
        "exchange_pipe_side_m3": round(v.exchange_pipe_side, 3),
        "exchange_surface_side_m3": round(v.exchange_surface_side, 3),
        "outfall_outflow_m3": round(v.outfall_outflow, 1),
        "spilling_nodes": int((n["spilled_m3"] > 0).sum()),
        "worst_nodes": [{"node_id": str(row.node_id), "spilled_m3": round(float(row.spilled_m3), 1)}
                        for row in spill.head(5).itertuples() if row.spilled_m3 > 0],
        "failed_stations": {str(p.station_id): float(p.failed_at) for p in r.pumps.itertuples()
                            if p.failed_at == p.failed_at},
        "timings_s": {k: round(float(t), 2) for k, t in r.timings.items()},
    }


def _drainage_summary(r: DrainageResult) -> dict[str, Any]:
    flooded = r.flooded_nodes.sort_values("flood_volume", ascending=False)
    c = r.conduits
    out: dict[str, Any] = {
        "scenario": r.name,
        "continuity_ok": r.continuity_ok,
        "runoff_error_pct": round(r.runoff_error, 3),
        "routing_error_pct": round(r.routing_error, 3),
        "flooded_nodes": len(flooded),
        "flood_volume_m3": round(float(r.totals.get("flooding_m3", 0.0)), 1),
        "outflow_m3": round(float(r.totals.get("outflow_m3", 0.0)), 1),
        "rainfall_mm": round(float(r.totals.get("rainfall_mm", float("nan"))), 2),
        "surcharged_conduits": int((c["hours_surcharged"] > 0).sum()),
        "conduits_over_full_flow": int((c["peak_flow_ratio"] > 1).sum()),
        "worst_nodes": [{"node_id": str(row.node_id),
                         "flood_volume_m3": round(float(row.flood_volume), 1),
                         "hours_flooded": round(float(row.hours_flooded), 2)}
                        for row in flooded.head(5).itertuples()],
    }
    if len(r.pumps):
        out["pumps"] = {str(p.pump_id): {"hours_on": round(float(p.hours_on), 2),
                                         "volume_m3": round(float(p.volume), 1),
                                         "startups": int(p.startups)}
                        for p in r.pumps.itertuples()}
    if not r.continuity_ok:
        out["warning"] = r.message
    return out


def _capacity_summary(pipes: Any, formula: StormModel, cfg: StudyConfig) -> dict[str, Any]:
    length = pipes.geometry.length
    total = float(length.sum()) or 1.0
    classes = {str(k): {"pipes": int(v), "length_share_pct": round(
        100 * float(length[pipes["capacity_class"] == k].sum()) / total, 1)}
        for k, v in pipes["capacity_class"].value_counts().items()}
    p = cfg.capacity.settings.design_return_period
    return {"formula": storm_label(formula, p),
            "pipes_below_design": int((pipes["capacity_return_period"] < p).sum()),
            "classes": classes}


def _screening_summary(result: ScreeningResult) -> dict[str, Any]:
    t = result.table
    b = result.balance
    return {"depressions": len(t), "holding_water": int((t["stored"] > 0).sum()),
            "overflowing": int((t["overflow"] > 0).sum()),
            "ponded_volume_m3": round(float(b["stored"]), 1),
            "runoff_volume_m3": round(float(b["runoff"]), 1),
            "lost_off_edge_m3": round(float(b["lost_edge"]), 1),
            "max_ponded_depth_m": round(float(np.nanmax(result.depth.values)), 3)
            if len(t) else 0.0}
