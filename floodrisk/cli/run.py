"""``floodrisk demo`` and ``floodrisk run``: load a study and write a run folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..errors import InputFileError
from .app import STATE, app, err, guarded, out

_STAGES = {"load": "Loading and validating inputs", "analyse": "Inventory",
           "check": "Checking the network data", "capacity": "Pipe capacity assessment",
           "screen": "Depression screening", "drainage": "SWMM dynamic-wave routing",
           "surface": "2D surface model",
           "coupled": "Coupled 2D surface and SWMM pipes",
           "baseline": "The same run with every pump station working",
           "assess": "Assessment: waterlogging points, underground spaces, sites, risk",
           "write": "Writing GeoTIFFs, GeoPackages and maps",
           "report": "Reports: GIS files, map sheets, web map, assessment report"}


def _describe(stage: str) -> str:
    name, _, pct = stage.partition(" ")
    if name.startswith("P") and name[1:].replace(".", "", 1).isdigit():
        label = f"The storm at P = {name[1:]} a"
    else:
        label = _STAGES.get(name, stage)
    return f"{label} ({pct} % of the simulated time)" if pct else label


def run_with_progress(config: Path, out_dir: Path, name: str | None, *,
                      screen_only: bool = False, engine: str | None = None) -> Any:
    """Run the pipeline with a spinner naming the current stage (none with --quiet)."""
    from ..pipeline import run_study, screen_study

    kwargs: dict[str, Any] = {"name": name}
    if screen_only:
        run = screen_study
    else:
        run, kwargs["engine"] = run_study, engine
    if STATE["quiet"]:
        return run(config, out_dir, **kwargs)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=err, transient=True) as bar:
        task = bar.add_task("Starting", total=None)
        return run(config, out_dir, **kwargs,
                   progress=lambda stage: bar.update(task, description=_describe(stage)))


def print_outcome(outcome: Any) -> None:
    """The inventory table, the timings and the files written."""
    if STATE["quiet"]:
        typer.echo(str(outcome.path))
        return
    s = outcome.summary
    t, n, a = s["terrain"], s["network"], s["assets"]
    table = Table(title="Study", show_header=False, title_justify="left")
    table.add_column("item")
    table.add_column("value")
    table.add_row("DEM", f"{t['rows']}×{t['cols']} cells of {t['cell_size_m']:g} m, "
                         f"{t['area_km2']:.2f} km², {t['elevation_min_m']:.1f}-"
                         f"{t['elevation_max_m']:.1f} m ({t['crs']})")
    table.add_row("Nodes", ", ".join(f"{v} {k}" for k, v in n["nodes"].items()))
    table.add_row("Conduits", f"{n['conduits']} ({n['conduit_length_km']:.2f} km, "
                              f"{n['conduit_size_min_m']}-{n['conduit_size_max_m']} m)")
    table.add_row("Conduits without fall", str(n["conduits_without_fall"]))
    table.add_row("Pump stations", f"{n['stations']} with {n['pumps']} pumps, "
                                   f"{n['pump_capacity_m3_s']:.2f} m³/s")
    table.add_row("Underground spaces", ", ".join(f"{v} {k}" for k, v in a["underground"].items())
                  or "none")
    table.add_row("Entrances", str(a["entrances"]))
    table.add_row("Facilities", ", ".join(f"{v} {k}" for k, v in a["facilities"].items()) or "none")
    table.add_row("Buildings", str(a["buildings"]))
    table.add_row("Filled in by the loaders",
                  f"{s['notes']} notes (manifest.json; --verbose prints them)")
    c = s["checks"]
    table.add_row("Network checks", f"{c['error']} errors, {c['warning']} warnings, "
                                    f"{c['info']} info (checks.csv)")
    if "capacity" in s:
        cap = s["capacity"]
        classes = ", ".join(f"{k}: {v['pipes']}" for k, v in sorted(cap["classes"].items()))
        table.add_row("Pipe capacity", f"{cap['formula']}; {cap['pipes_below_design']} pipes below "
                                       f"the design period; {classes}")
    if "screening" in s:
        st, sc = s["storm"], s["screening"]
        table.add_row("Design storm", f"{st['name']}: {st['total_depth_mm']:.1f} mm in "
                                      f"{st['duration_min']:g} min, peak {st['peak_mm_h']:.1f} mm/h")
        table.add_row("Depressions", f"{sc['depressions']} found, {sc['holding_water']} holding "
                                     f"water ({sc['ponded_volume_m3']:.0f} m³), "
                                     f"{sc['overflowing']} overflowing; deepest "
                                     f"{sc['max_ponded_depth_m']:.2f} m")
    if "drainage" in s:
        d = s["drainage"]
        ok = "[green]within bound[/]" if d["continuity_ok"] else "[bold red]EXCEEDS BOUND[/]"
        table.add_row("SWMM continuity", f"runoff {d['runoff_error_pct']:.2f} %, routing "
                                         f"{d['routing_error_pct']:.2f} % ({ok})")
        worst = ", ".join(f"{w['node_id']} {w['flood_volume_m3']:,.0f} m³"
                          for w in d["worst_nodes"][:3])
        table.add_row("Flooded nodes (SWMM)", f"{d['flooded_nodes']} nodes, "
                                              f"{d['flood_volume_m3']:,.0f} m³"
                                              + (f"; most: {worst}" if worst else ""))
        table.add_row("Conduits (SWMM)", f"{d['conduits_over_full_flow']} above full-bore flow, "
                                         f"{d['surcharged_conduits']} surcharged")
        if "pumps" in d:
            table.add_row("Pumps (SWMM)", ", ".join(
                f"{k} {v['hours_on']:.1f} h on" for k, v in d["pumps"].items()))
    if "surface" in s:
        f = s["surface"]
        table.add_row("2D surface", f"deepest {f['max_depth_m']:.2f} m; "
                                    f"{f['area_over_threshold_m2'] / 1e4:.2f} ha deeper than "
                                    f"{f['wet_threshold_m']:g} m; volume error "
                                    f"{f['volume_error_rel']:.1e}; {f['steps']} steps at "
                                    f"{f['cell_updates_per_s'] / 1e6:.0f} M cell-updates/s")
        if f.get("entrances"):
            wet = {k: v for k, v in f["entrances"].items() if v > 0}
            table.add_row("Entrances (2D)", ", ".join(f"{k} {v:.2f} m" for k, v in
                                                      list(wet.items())[:5])
                          or "no water outside any entrance")
    if "coupled" in s:
        c = s["coupled"]
        table.add_row("1D-2D exchange", f"{c['drained_m3']:,.0f} m³ into the pipes, "
                                        f"{c['spilled_m3']:,.0f} m³ spilled at "
                                        f"{c['spilling_nodes']} node"
                                        f"{'' if c['spilling_nodes'] == 1 else 's'}; combined "
                                        "volume error "
                                        f"{c['volume_error_rel']:.1e}")
        table.add_row("Pump stations failed", ", ".join(
            f"{k} at {v / 60:.0f} min" for k, v in c["failed_stations"].items()) or "none")
    if "assessment" in s:
        a = s["assessment"]
        causes = ", ".join(f"{k} {v}" for k, v in a["by_cause"].items())
        top = "; ".join(f"{p['point_id']} {p['max_depth_m']:.2f} m over {p['area_m2']:,.0f} m² "
                        f"({p['cause']})" for p in a["top_points"][:3])
        table.add_row("Waterlogging points", f"{a['waterlogging_points']} ({causes})"
                      + (f"; worst: {top}" if top else ""))
        if "observed" in a:
            o = a["observed"]
            table.add_row("Observed points", f"{o['hits']} of {o['observed']} found within "
                                             f"{o['radius_m']:g} m; {o['false_alarms']} "
                                             "points found where none was observed")
        if "underground" in a:
            u = a["underground"]
            spaces = "; ".join(
                f"{x['space_id']} ({x['kind']}) {x['class']}"
                + (f", {x['inflow_m3']:,.0f} m³ in" if x["inflow_m3"] > 0 else "")
                + (f", lead time {x['lead_time_s'] / 60:.0f} min"
                   if x["lead_time_s"] is not None else "")
                for x in u["spaces"])
            table.add_row("Underground spaces", spaces or "all safe")
        if "stations_failed" in a:
            table.add_row("Pump station sites", (", ".join(
                f"{k} flooded" + (f" at {v / 60:.0f} min" if v is not None else "")
                for k, v in a["stations_failed"].items()) or "none flooded")
                + ("; relocate " + ", ".join(a["stations_to_relocate"])
                   if a.get("stations_to_relocate") else ""))
        if "failure_cost" in a:
            c = a["failure_cost"]
            table.add_row("Cost of the failures", f"{', '.join(c['stations'])} failing: "
                          f"{c['extra_flooded_area_m2'] / 1e4:+.2f} ha flooded deeper than "
                          f"0.15 m, {c['extra_volume_m3']:+,.0f} m³ (maximum depths) against "
                          "every station working")
        if "facilities_flooded" in a:
            table.add_row("Facilities flooded", ", ".join(a["facilities_flooded"]) or "none")
        if "buildings_by_risk" in a:
            table.add_row("Buildings by risk", ", ".join(
                f"{k} {v}" for k, v in a["buildings_by_risk"].items()))
    out.print(table)
    if "drainage" in s and not s["drainage"]["continuity_ok"]:
        err.print(f"[bold yellow]warning:[/] {s['drainage']['warning']}")
    timing = ", ".join(f"{k} {v:.1f} s" for k, v in outcome.timings.items())
    out.print(f"Timings: {timing}")
    out.print(f"Run written to [bold]{outcome.path}[/]:")
    for f in sorted(outcome.path.iterdir()):
        out.print(f"  {f.name}  ({f.stat().st_size / 1024:.0f} KiB)")


def repo_file(*parts: str) -> Path:
    """A file of the source checkout (configs/, data/)."""
    return Path(__file__).resolve().parents[2].joinpath(*parts)


@app.command()
@guarded
def demo(out_dir: Path = typer.Option(Path("runs"), "--out", help="Folder for the run folder."),
         ) -> None:
    """Run the analysis on the demo city in data/demo/ and write a run folder."""
    config = repo_file("configs", "demo.toml")
    if not config.exists():
        raise InputFileError("the demo config is not here.", path=config,
                             hint="Run from a source checkout of floodrisk (configs/ and data/).")
    print_outcome(run_with_progress(config, out_dir, None))


@app.command()
@guarded
def run(config: Path = typer.Argument(..., help="Study config (TOML)."),
        out_dir: Path = typer.Option(Path("runs"), "--out", help="Folder for the run folder."),
        name: str = typer.Option(None, "--name", help="Run folder name (default: run-<time>)."),
        engine: str = typer.Option(None, "--engine", help="screening | swmm | surface | coupled "
                                                          "(default: the config's engine)."),
        ) -> None:
    """Run the study a config names and write a run folder.

    Every engine checks the network, assesses pipe capacity and screens depressions;
    ``swmm`` then routes the config's scenario through the pipes with EPA SWMM (flooded
    nodes and volumes, conduit loads, pump operation; the model is kept in swmm/);
    ``surface`` runs it on the DEM with the 2D model (depth, speed and timing grids, the
    depth outside every underground entrance); ``coupled`` runs the 2D model and the SWMM
    pipes together, exchanging water at every inlet and manhole."""
    print_outcome(run_with_progress(config, out_dir, name, engine=engine))


@app.command()
@guarded
def screen(config: Path = typer.Argument(..., help="Study config (TOML) with a [storm]."),
           out_dir: Path = typer.Option(Path("runs"), "--out", help="Folder for the run folder."),
           name: str = typer.Option(None, "--name",
                                    help="Run folder name (default: screen-<time>)."),
           ) -> None:
    """Fast screening: network checks, pipe capacity (return period of every pipe) and the
    depressions where the design storm's surplus ponds; GIS layers, grids and maps."""
    print_outcome(run_with_progress(config, out_dir, name, screen_only=True))
