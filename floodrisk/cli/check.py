"""``floodrisk check``: check a drainage network's data and write the findings.

The network is a GeoPackage or a folder of layers (read by :func:`floodrisk.load_network`)
or an EPA SWMM ``.inp`` file. The findings go to ``checks.csv`` (one row per finding,
feature ids comma-separated) and ``checks.gpkg`` (layers ``node_findings`` with the points
and ``link_findings`` with the lines of the features concerned) in ``--out``, by default
``./checks-<network name>`` in the current folder (never beside the input, which may be
read-only or shared). Exit code 0: no errors (warnings allowed); 1: errors found; 2: the
input cannot be read.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import typer
from rich.table import Table

from .app import STATE, app, guarded, out

_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
_SHOWN = 40


def _load(network: Path, crs: str | None, dem: Path | None):
    from ..io.network import read_network
    from ..io.raster import read_dem
    from ..io.swmm_inp import read_swmm_network

    grid = read_dem(dem, crs=crs) if dem is not None else None
    if network.suffix.lower() == ".inp":
        return read_swmm_network(network, crs=crs, dem=grid)
    return read_network(network, crs=crs, dem=grid)


def _print(findings: pd.DataFrame, title: str) -> None:
    counts = findings["severity"].value_counts()
    summary = ", ".join(f"{int(counts.get(s, 0))} {s}{'s' if counts.get(s, 0) != 1 else ''}"
                        for s in ("error", "warning", "info"))
    if not len(findings):
        out.print(f"{title}: no findings.")
        return
    table = Table(title=f"{title}: {summary}", title_justify="left")
    for col in ("severity", "rule", "features", "message"):
        table.add_column(col, overflow="fold")
    for row in findings.head(_SHOWN).itertuples():
        ids = list(row.feature_ids)
        shown = ", ".join(map(str, ids[:3])) + (f" +{len(ids) - 3}" if len(ids) > 3 else "")
        table.add_row(f"[{_STYLE[row.severity]}]{row.severity}[/]", row.rule, shown,
                      row.message)
    out.print(table)
    if len(findings) > _SHOWN:
        out.print(f"… and {len(findings) - _SHOWN} more findings in checks.csv.")
    by_rule = findings.groupby(["severity", "rule"], sort=False).size()
    out.print("Per rule: " + ", ".join(f"{r} {n}" for (_, r), n in by_rule.items()))


@app.command()
@guarded
def check(
    network: Path = typer.Argument(..., help="GeoPackage, folder of layers, or SWMM .inp file."),
    crs: str = typer.Option(None, "--crs", help="CRS of coordinates that carry none, e.g. "
                                                "EPSG:4547 (always needed for an .inp)."),
    dem: Path = typer.Option(None, "--dem", help="DEM to fill in missing rim levels."),
    out_dir: Path = typer.Option(None, "--out", help="Folder for checks.csv and checks.gpkg "
                                                     "(default: ./checks-<network name>)."),
) -> None:
    """Check a drainage network (topology, levels, sizes, lengths) and list the findings.

    Exit code 1 when there are errors, 0 when there are none (warnings allowed), 2 when
    the input cannot be read.
    """
    from ..io.findings import write_findings
    from ..network import check_network, findings_geometry

    net = _load(network, crs, dem)
    findings = check_network(net)
    folder = out_dir if out_dir is not None else Path.cwd() / f"checks-{network.stem}"
    csv, gpkg = write_findings(findings, findings_geometry(net, findings), folder)
    if STATE["quiet"]:
        typer.echo(str(folder))
    else:
        _print(findings, f"{network.name} ({net!r})")
        out.print(f"Findings written to [bold]{csv}[/] and [bold]{gpkg}[/].")
    if (findings["severity"] == "error").any():
        raise typer.Exit(1)
