"""Charts that are not maps: the storm hyetograph."""

from __future__ import annotations

import textwrap
from os import PathLike
from pathlib import Path

from matplotlib.figure import Figure

from ..rainfall import Hyetograph
from .fonts import cjk_family, has_cjk

__all__ = ["plot_hyetograph"]


def plot_hyetograph(hyetograph: Hyetograph, path: str | PathLike[str],
                         title: str | None = None, dpi: int = 150) -> Path:
    """Draw the hyetograph as a bar chart (intensity, mm/h, against time) and save it.

    Time is in minutes for storms up to 6 h, in hours beyond. Made with
    ``matplotlib.figure.Figure`` (no pyplot).

    Parameters
    ----------
    hyetograph
        The storm.
    path
        Image file (PNG, or any format matplotlib infers from the suffix).
    title
        Title (default: the storm's name).
    dpi
        Resolution.
    """
    h = hyetograph
    hours = h.duration_s > 6 * 3600
    scale, unit = (3600.0, "h") if hours else (60.0, "min")
    title = h.name if title is None else title
    fig = Figure(figsize=(8, 4), layout="constrained")
    ax = fig.add_subplot()
    if len(h) > 1:
        ax.bar(h.times[:-1] / scale, h.intensity[:-1], width=h.steps_s / scale, align="edge",
               color="#3b75af", edgecolor="#1f3f66", linewidth=0.4)
        ax.set_xlim(h.times[0] / scale, h.duration_s / scale)
    ax.set_xlabel(f"Time from the storm's start ({unit})")
    ax.set_ylabel("Rain intensity (mm/h)")
    ax.grid(axis="y", alpha=0.3)
    font = {}
    if has_cjk(title) and (family := cjk_family()):
        font = {"fontfamily": family}
    summary = f"total {h.total_depth_mm:.1f} mm, peak {h.peak_mm_h:.1f} mm/h"
    lines = [textwrap.fill(line, 95) for line in f"{title}\n{summary}".splitlines()]
    ax.set_title("\n".join(lines), fontsize=10, **font)
    ax.set_ylim(0, max(h.peak_mm_h, 1e-9) * 1.08)
    path = Path(path)
    fig.savefig(path, dpi=dpi)
    return path
