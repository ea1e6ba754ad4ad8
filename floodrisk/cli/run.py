"""``floodrisk demo`` and ``floodrisk run``: load a study and write a run folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..errors import InputFileError
from .app import STATE, app, err, guarded, out

_STAGES = {"load": "Loading and validating inputs", "analyse": "Inventory and pipe hydraulics",
           "write": "Writing GeoTIFF, GeoPackage and map"}


def run_with_progress(config: Path, out_dir: Path, name: str | None) -> Any:
    """Run the pipeline with a spinner naming the current stage (none with --quiet)."""
    from ..pipeline import run_study

    if STATE["quiet"]:
        return run_study(config, out_dir, name=name)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=err, transient=True) as bar:
        task = bar.add_task("Starting", total=None)
        return run_study(config, out_dir, name=name,
                         progress=lambda stage: bar.update(task, description=_STAGES.get(stage,
                                                                                         stage)))


def print_outcome(outcome: Any) -> None:
    """The inventory table, the timings and the files written."""
    if STATE["quiet"]:
        out.print(str(outcome.path))
        return
    s = outcome.summary
    t, n, a = s["terrain"], s["network"], s["assets"]
    table = Table(title="Study inventory", show_header=False, title_justify="left")
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
    out.print(table)
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
        ) -> None:
    """Load the study a config names, check it, and write a run folder."""
    print_outcome(run_with_progress(config, out_dir, name))
