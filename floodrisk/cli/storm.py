"""``floodrisk storm``: write a design storm (or the Zhengzhou 7.20 preset) as a CSV."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

import typer

from ..errors import InputError
from .app import STATE, app, guarded, out

PRESETS = ("zhengzhou-720",)


class StormType(str, Enum):
    """Shape of the design storm."""

    chicago = "chicago"
    block = "block"


@app.command()
@guarded
def storm(
    out_path: Path = typer.Option(..., "--out", help="CSV to write (time_s, intensity_mm_h)."),
    city: str = typer.Option(None, "--city",
                             help="City preset of configs/storms/ (e.g. zhengzhou)."),
    formula: Path = typer.Option(None, "--formula",
                                 help="Storm file (TOML: a formula or a per-return-period table)."),
    preset: str = typer.Option(None, "--preset",
                               help=f"Historical storm preset: {', '.join(PRESETS)}."),
    return_period: float = typer.Option(None, "--return-period", "-P",
                                        help="Return period P, years."),
    duration: float = typer.Option(None, "--duration", help="Duration, min."),
    peak_ratio: float = typer.Option(0.4, "--peak-ratio", help="Chicago peak ratio r, (0, 1)."),
    step: float = typer.Option(None, "--step",
                               help="Step, min (default 5; 60 for --preset)."),
    kind: StormType = typer.Option(StormType.chicago, "--type", help="Storm shape."),
    plot: Path = typer.Option(None, "--plot", help="Also draw a bar chart (PNG)."),
) -> None:
    """Write a design storm hyetograph (Chicago or block) or a storm preset as CSV."""
    from .. import rainfall as rf
    from ..io import rainfall as rio
    from ..report.charts import plot_hyetograph

    given = [name for name, v in (("--city", city), ("--formula", formula),
                                  ("--preset", preset)) if v is not None]
    if len(given) != 1:
        raise InputError(f"give exactly one of --city, --formula or --preset (got "
                         f"{', '.join(given) if given else 'none'}).",
                         hint=f"Cities: {', '.join(rio.city_names()) or 'none found'}; "
                              f"presets: {', '.join(PRESETS)}.")
    if preset is not None:
        if preset.lower() not in PRESETS:
            raise InputError(f"unknown preset {preset!r}; available: {', '.join(PRESETS)}.",
                             field="preset")
        extra = [n for n, v in (("--return-period", return_period), ("--duration", duration))
                 if v is not None]
        if extra:
            raise InputError(f"{' and '.join(extra)} do not apply to --preset: the preset "
                             "fixes its own storm.")
        h = rf.zhengzhou_720(60.0 if step is None else step)
        label = "Zhengzhou 7.20 (2021), reconstructed from published totals, not observed"
        title = h.name
    else:
        missing = [n for n, v in (("--return-period", return_period), ("--duration", duration))
                   if v is None]
        if missing:
            raise InputError(f"{' and '.join(missing)} required with {given[0]}.")
        model = rio.city_formula(city) if city is not None else rio.load_storm(formula)
        step = 5.0 if step is None else step
        if kind is StormType.chicago:
            h = rf.chicago(model, return_period, duration, peak_ratio=peak_ratio, step_min=step)
            shape = f"Chicago storm, r = {peak_ratio:g}"
        else:
            h = rf.block(model, return_period, duration, step_min=step)
            shape = "Block storm"
        label = (f"{rf.storm_label(model, return_period)}, {shape}, {duration:g} min in "
                 f"{step:g} min steps")
        title = f"{shape}, {duration:g} min in {step:g} min steps\n" \
                f"{rf.storm_label(model, return_period)}"
    path = rio.write_hyetograph_csv(h, out_path)
    written = [path]
    if plot is not None:
        written.append(plot_hyetograph(h, plot, title=title))
    if STATE["quiet"]:
        for p in written:
            out.print(str(p), markup=False, highlight=False, soft_wrap=True)
        return
    for line in (label,
                 f"Peak intensity: {h.peak_mm_h:.2f} mm/h",
                 f"Total depth: {h.total_depth_mm:.2f} mm",
                 f"Provenance: {h.provenance}",
                 *(f"Written: {p}" for p in written)):
        out.print(line, markup=False, highlight=False, soft_wrap=True)
