"""``floodrisk synthetic``: generate a synthetic city."""

from __future__ import annotations

from pathlib import Path

import typer

from .app import app, guarded, out


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
    from ..synthetic import generate_city, write_city

    out_dir.mkdir(parents=True, exist_ok=True)
    city = generate_city(seed=seed, width=width, height=height, cell_size=cell_size)
    paths = write_city(city, out_dir)
    for p in paths.values():
        out.print(f"{p}  ({p.stat().st_size / 1024:.0f} KiB)")
