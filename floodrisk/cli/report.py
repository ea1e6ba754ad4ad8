"""``floodrisk report``: redraw the reports of a finished run folder."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import typer

from .app import STATE, app, err, guarded, out


@app.command()
@guarded
def report(
    run_dir: Path = typer.Argument(..., help="A run folder written by floodrisk run / demo."),
    lang: str = typer.Option(None, "--lang", help="en | zh (default: the run's [report] lang)."),
    previous: Path = typer.Option(None, "--previous",
                                  help="An earlier run folder of the same area: the report "
                                       "says what changed."),
    paper: list[str] = typer.Option(None, "--paper", help="A3 and/or A4 (repeat the option; "
                                                          "default: the run's)."),
    fmt: list[str] = typer.Option(None, "--format", help="png and/or pdf map sheets (repeat "
                                                         "the option; default: the run's)."),
    pdf: bool = typer.Option(None, "--pdf/--no-pdf", help="Print report.pdf with Chromium "
                                                          "(default: the run's)."),
) -> None:
    """Redraw the reports of a run from its folder, without re-running anything:
    rasters/*.tif (Cloud-Optimized GeoTIFFs), the QGIS styles in assessment.gpkg,
    maps/*.png and maps/*.pdf (A3, A4), map.html (offline web map), report.html (and
    report.pdf). Settings default to the run's own [report]."""
    from ..config import ReportConfig
    from ..io.run_record import read_run
    from ..report.build import rebuild_reports

    record = read_run(run_dir)
    saved = record.config.get("report") or {}
    settings = ReportConfig.model_validate(saved).settings if saved else \
        ReportConfig().settings
    changes = {k: v for k, v in (("lang", lang), ("previous", previous),
                                 ("papers", tuple(paper) if paper else None),
                                 ("formats", tuple(fmt) if fmt else None), ("pdf", pdf))
               if v is not None}
    settings = dataclasses.replace(settings, **changes)
    if STATE["quiet"]:
        outcome = rebuild_reports(run_dir, settings)
    else:
        with err.status("Drawing the reports ..."):
            outcome = rebuild_reports(run_dir, settings)
    for note in outcome.notes:
        err.print(f"[yellow]note:[/] {note}")
    if STATE["quiet"]:
        typer.echo(str(run_dir))
        return
    timing = ", ".join(f"{k} {v:.1f} s" for k, v in outcome.timings.items())
    out.print(f"Reports of [bold]{run_dir}[/] ({settings.lang}): {timing}")
    for rel in sorted(outcome.outputs):
        size = (Path(run_dir) / rel).stat().st_size
        out.print(f"  {rel}  ({size / 1024:.0f} KiB)")
