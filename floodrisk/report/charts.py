"""Charts that are not maps: the storm hyetograph."""

from __future__ import annotations

import textwrap
from os import PathLike
from pathlib import Path

from matplotlib.figure import Figure

from ..rainfall import Hyetograph
from .fonts import find_cjk_font, has_cjk, require_cjk_font

__all__ = ["hyetograph_figure", "plot_hyetograph"]


def hyetograph_figure(hyetograph: Hyetograph, *, title: str | None = None,
                      lang: str = "en") -> Figure:
    """The hyetograph as a bar chart (intensity, mm/h, against time).

    Time is in minutes for storms up to 6 h, in hours beyond. Made with
    ``matplotlib.figure.Figure`` (no pyplot).

    Parameters
    ----------
    hyetograph
        The storm.
    title
        Title (default: the storm's name).
    lang
        ``"en"`` or ``"zh"`` axis labels (Chinese needs a CJK font:
        :func:`~floodrisk.report.fonts.require_cjk_font`).
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
    font: dict = {}
    if lang == "zh":
        font = {"fontproperties": require_cjk_font().properties()}
    elif has_cjk(title) and (cjk := find_cjk_font()) is not None:
        font = {"fontproperties": cjk.properties()}
    if lang == "zh":
        ax.set_xlabel(f"自降雨开始的时间（{unit}）", **font)
        ax.set_ylabel("雨强（mm/h）", **font)
        summary = f"总雨量 {h.total_depth_mm:.1f} mm，峰值雨强 {h.peak_mm_h:.1f} mm/h"
    else:
        ax.set_xlabel(f"Time from the storm's start ({unit})")
        ax.set_ylabel("Rain intensity (mm/h)")
        summary = f"total {h.total_depth_mm:.1f} mm, peak {h.peak_mm_h:.1f} mm/h"
    ax.grid(axis="y", alpha=0.3)
    lines = [textwrap.fill(line, 95) for line in f"{title}\n{summary}".splitlines()]
    ax.set_title("\n".join(lines), fontsize=10, **font)
    ax.set_ylim(0, max(h.peak_mm_h, 1e-9) * 1.08)
    return fig


def plot_hyetograph(hyetograph: Hyetograph, path: str | PathLike[str],
                    title: str | None = None, dpi: int = 150) -> Path:
    """Draw the hyetograph (:func:`hyetograph_figure`) and save it.

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
    path = Path(path)
    hyetograph_figure(hyetograph, title=title).savefig(path, dpi=dpi)
    return path
