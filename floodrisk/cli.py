"""The ``floodrisk`` command line (typer). Thin: it parses, calls the library, prints.

A :class:`~floodrisk.errors.FloodRiskError` becomes one message on stderr and exit code
2; any other exception keeps its traceback (it is a bug to report).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from . import __version__
from .errors import FloodRiskError, InputFileError

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False,
                  help="Urban waterlogging (内涝) risk assessment from a city's own data.")
out = Console()
err = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])

_STATE = {"quiet": False}
_STAGES = {"load": "Loading and validating inputs", "analyse": "Inventory and pipe hydraulics",
           "write": "Writing GeoTIFF, GeoPackage and map"}


def guarded(fn: F) -> F:
    """Turn FloodRiskError into a one-line message and exit code 2."""
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except FloodRiskError as exc:
            err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None
    return wrapper  # type: ignore[return-value]


def _version(value: bool) -> None:
    if value:
        out.print(f"floodrisk {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Only errors and the result path."),
    verbose: bool = typer.Option(False, "--verbose", "-v",
                                 help="Also log what the loaders filled in or changed."),
) -> None:
    """Urban waterlogging (内涝) risk assessment from a city's own data."""
    _STATE["quiet"] = quiet
    logging.basicConfig(level=logging.WARNING, format="%(message)s", force=True,
                        handlers=[RichHandler(console=err, show_time=False, show_path=False)])
    logging.getLogger("floodrisk").setLevel(logging.INFO if verbose and not quiet
                                            else logging.WARNING)


def _run_with_progress(config: Path, out_dir: Path, name: str | None) -> Any:
    from .pipeline import run_study

    if _STATE["quiet"]:
        return run_study(config, out_dir, name=name)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=err, transient=True) as bar:
        task = bar.add_task("Starting", total=None)
        return run_study(config, out_dir, name=name,
                         progress=lambda stage: bar.update(task, description=_STAGES.get(stage,
                                                                                         stage)))


def _print_outcome(outcome: Any) -> None:
    if _STATE["quiet"]:
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
    table.add_row("Filled in by the loaders", f"{s['notes']} notes (manifest.json; --verbose prints them)")
    out.print(table)
    timing = ", ".join(f"{k} {v:.1f} s" for k, v in outcome.timings.items())
    out.print(f"Timings: {timing}")
    out.print(f"Run written to [bold]{outcome.path}[/]:")
    for f in sorted(outcome.path.iterdir()):
        out.print(f"  {f.name}  ({f.stat().st_size / 1024:.0f} KiB)")


def _repo_file(*parts: str) -> Path:
    return Path(__file__).resolve().parent.parent.joinpath(*parts)


@app.command()
@guarded
def demo(out_dir: Path = typer.Option(Path("runs"), "--out", help="Folder for the run folder."),
         ) -> None:
    """Run the analysis on the demo city in data/demo/ and write a run folder."""
    config = _repo_file("configs", "demo.toml")
    if not config.exists():
        raise InputFileError("the demo config is not here.", path=config,
                             hint="Run from a source checkout of floodrisk (configs/ and data/).")
    _print_outcome(_run_with_progress(config, out_dir, None))


@app.command()
@guarded
def run(config: Path = typer.Argument(..., help="Study config (TOML)."),
        out_dir: Path = typer.Option(Path("runs"), "--out", help="Folder for the run folder."),
        name: str = typer.Option(None, "--name", help="Run folder name (default: run-<time>)."),
        ) -> None:
    """Load the study a config names, check it, and write a run folder."""
    _print_outcome(_run_with_progress(config, out_dir, name))


@app.command()
@guarded
def synthetic(
    out_dir: Path = typer.Option(..., "--out", help="Folder to write dem.tif and city.gpkg to."),
    seed: int = typer.Option(7, help="Random seed (same seed, same files)."),
    width: float = typer.Option(2000.0, help="East-west extent, m."),
    height: float = typer.Option(1500.0, help="North-south extent, m."),
    cell_size: float = typer.Option(5.0, "--cell-size", help="DEM cell size, m."),
) -> None:
    """Generate a synthetic city (DEM, pipe network, pumps, underground spaces)."""
    from .synthetic import generate_city, write_city

    out_dir.mkdir(parents=True, exist_ok=True)
    city = generate_city(seed=seed, width=width, height=height, cell_size=cell_size)
    paths = write_city(city, out_dir)
    for p in paths.values():
        out.print(f"{p}  ({p.stat().st_size / 1024:.0f} KiB)")


@app.command()
def schema() -> None:
    """Print the accepted data schema (layers, columns, units, defaults, aliases) as Markdown."""
    from .schema import schema_markdown

    typer.echo(schema_markdown())


def main() -> None:
    """Entry point of the ``floodrisk`` command."""
    app()


if __name__ == "__main__":
    main()
