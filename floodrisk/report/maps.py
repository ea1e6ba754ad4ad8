"""Map sheets drawn with matplotlib: a hillshaded DEM base with the study's layers on top.

No tile server: the base is drawn from the DEM itself, so maps work offline. Figures are
made with ``matplotlib.figure.Figure`` (no pyplot, no global backend state).
"""

from __future__ import annotations

import datetime as dt
import math
from os import PathLike
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.cm import ScalarMappable
from matplotlib.colors import LightSource, Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from ..grid import Grid
from .fonts import cjk_family, has_cjk
from ..study import Study

__all__ = ["hillshade_rgb", "plot_inputs"]

_SPACE_COLOURS = {"metro_station": "#7b3294", "car_park": "#c2a5cf", "basement": "#a6dba0",
                  "underpass": "#e66101", "tunnel": "#b35806"}


def hillshade_rgb(terrain: Grid, *, vert_exag: float = 3.0) -> np.ndarray:
    """RGBA image of the DEM: elevation colours blended with a hillshade (NW light).

    Parameters
    ----------
    terrain
        Ground elevation, m.
    vert_exag
        Vertical exaggeration of the shading (urban terrain is flat).
    """
    z = np.array(terrain.values, dtype=np.float64)
    valid = np.isfinite(z)
    z[~valid] = np.nanmin(z)
    ls = LightSource(azdeg=315, altdeg=45)
    rgb = ls.shade(z, cmap=matplotlib.colormaps["gist_earth"], vert_exag=vert_exag, dx=terrain.dx,
                   dy=terrain.dy, blend_mode="soft", vmin=float(z[valid].min()),
                   vmax=float(z[valid].max()) + 0.25 * float(np.ptp(z[valid]) or 1.0))
    rgb[..., 3] = np.where(valid, 1.0, 0.0)
    return rgb


def _nice_length(span: float) -> float:
    raw = span / 5
    mag = 10 ** math.floor(math.log10(raw))
    return max(m * mag for m in (1, 2, 5) if m * mag <= raw)


def _scale_bar(ax, bounds: tuple[float, float, float, float]) -> None:
    xmin, ymin, xmax, ymax = bounds
    length = _nice_length(xmax - xmin)
    x0, y0 = xmin + 0.04 * (xmax - xmin), ymin + 0.05 * (ymax - ymin)
    h = 0.012 * (ymax - ymin)
    for k in range(2):
        ax.add_patch(Rectangle((x0 + k * length / 2, y0), length / 2, h,
                               facecolor="black" if k == 0 else "white", edgecolor="black", lw=0.8,
                               zorder=10))
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    ax.text(x0 + length / 2, y0 + 1.6 * h, label, ha="center", va="bottom", fontsize=8, zorder=10)


def _north_arrow(ax) -> None:
    ax.annotate("N", xy=(0.95, 0.95), xytext=(0.95, 0.86), xycoords="axes fraction",
                ha="center", va="center", fontsize=11, fontweight="bold",
                arrowprops=dict(facecolor="black", width=4, headwidth=11, headlength=10))


def _label(name: object, fallback: object) -> tuple[str, dict[str, str]]:
    """Text and font options for a map label: the id where no installed font can draw
    the (Chinese) name."""
    text = str(name)
    if not has_cjk(text):
        return text, {}
    family = cjk_family()
    return (text, {"fontfamily": family}) if family else (str(fallback), {})


def plot_inputs(study: Study, path: str | PathLike[str], *, title: str | None = None,
                dpi: int = 150) -> Path:
    """Draw the study's inputs on a hillshaded DEM (A4 landscape PNG).

    Parameters
    ----------
    study
        The loaded study.
    path
        PNG (or PDF) file to write.
    title
        Map title; default from the study name.
    dpi
        Resolution of a PNG.

    Returns
    -------
    Path
        The file written.
    """
    path = Path(path)
    t = study.terrain
    xmin, ymin, xmax, ymax = t.bounds
    fig = Figure(figsize=(11.69, 8.27), layout="constrained")
    ax = fig.add_subplot()
    ax.imshow(hillshade_rgb(t), extent=(xmin, xmax, ymin, ymax), origin="upper",
              interpolation="nearest", zorder=0)
    handles: list = []
    a = study.assets
    if len(a.buildings):
        a.buildings.plot(ax=ax, facecolor="#d9d9d9", edgecolor="#969696", lw=0.2, zorder=1)
        handles.append(Patch(facecolor="#d9d9d9", edgecolor="#969696", label="Buildings"))
    if len(a.underground):
        for kind, grp in a.underground.groupby("kind"):
            colour = _SPACE_COLOURS.get(kind, "#999999")
            grp.plot(ax=ax, facecolor=colour, edgecolor="black", alpha=0.75, lw=0.6, zorder=2)
            handles.append(Patch(facecolor=colour, edgecolor="black",
                                 label=f"Underground: {kind.replace('_', ' ')} ({len(grp)})"))
    net = study.network
    c = net.conduits
    if len(c):
        size = np.where(c["shape"] == "circular", c["diameter"], c["height"]).astype(float)
        c.plot(ax=ax, color="#08519c", linewidth=0.4 + 1.6 * np.clip(size, 0, 2.5), zorder=3)
        handles.append(Line2D([], [], color="#08519c", lw=1.5,
                              label=f"Pipes ({len(c)}, {c['length'].sum() / 1000:.1f} km; "
                                    "width ∝ size)"))
    nodes = net.nodes
    for kind, style in (("junction", dict(marker="o", color="#6baed6", markersize=2)),
                        ("outfall", dict(marker="v", color="#08306b", markersize=40)),
                        ("storage", dict(marker="s", color="#2171b5", markersize=30))):
        sel = nodes[nodes["kind"] == kind]
        if len(sel):
            sel.plot(ax=ax, zorder=4, **style)
            size = 3 if kind == "junction" else 7
            handles.append(Line2D([], [], ls="", marker=style["marker"], color=style["color"],
                                  markersize=size, label=f"{kind.capitalize()}s ({len(sel)})"))
    if len(net.stations):
        net.stations.plot(ax=ax, marker="P", color="#e31a1c", markersize=90, edgecolor="black",
                          zorder=5)
        handles.append(Line2D([], [], ls="", marker="P", color="#e31a1c", markeredgecolor="black",
                              markersize=9, label=f"Pump stations ({len(net.stations)})"))
        for _, s in net.stations.iterrows():
            text, font = _label(s["name"], s["station_id"])
            ax.annotate(text, (s.geometry.x, s.geometry.y), xytext=(5, 5),
                        textcoords="offset points", fontsize=7, zorder=6, **font)
    if len(a.entrances):
        a.entrances.plot(ax=ax, marker="^", color="#fdb863", edgecolor="black", markersize=25,
                         zorder=5)
        handles.append(Line2D([], [], ls="", marker="^", color="#fdb863", markeredgecolor="black",
                              markersize=6, label=f"Underground entrances ({len(a.entrances)})"))
    if len(a.facilities):
        a.facilities.plot(ax=ax, marker="D", color="#1a9850", edgecolor="black", markersize=45,
                          zorder=5)
        handles.append(Line2D([], [], ls="", marker="D", color="#1a9850", markeredgecolor="black",
                              markersize=6, label=f"Critical facilities ({len(a.facilities)})"))
    if len(a.observed):
        a.observed.plot(ax=ax, marker="x", color="#d7191c", markersize=40, zorder=5)
        handles.append(Line2D([], [], ls="", marker="x", color="#d7191c", markersize=7,
                              label=f"Observed waterlogging ({len(a.observed)})"))
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    ax.set_aspect("equal")
    ax.ticklabel_format(useOffset=False, style="plain")
    ax.tick_params(labelsize=7)
    crs = t.crs.name if t.crs is not None else "unknown CRS"
    ax.set_xlabel(f"Easting (m), {crs}", fontsize=8)
    ax.set_ylabel("Northing (m)", fontsize=8)
    z = t.values[np.isfinite(t.values)]
    sm = ScalarMappable(cmap="gist_earth",
                        norm=Normalize(float(z.min()), float(z.max()) + 0.25 * float(np.ptp(z) or 1)))
    fig.colorbar(sm, ax=ax, location="bottom", shrink=0.4, aspect=40, pad=0.01,
                 label="Ground elevation (m)")
    fig.legend(handles=handles, loc="outside right upper", fontsize=7, framealpha=0.9)
    _scale_bar(ax, t.bounds)
    _north_arrow(ax)
    ax.set_title(title or f"{study.name}: study inputs", fontsize=13, loc="left")
    sources = ", ".join(sorted({f.path.name for f in study.inputs})) or "in-memory data"
    fig.text(0.01, 0.005, f"Data: {sources}. DEM {t.dx:g} m. Drawn {dt.date.today():%Y-%m-%d} "
             "by floodrisk.", fontsize=7, color="#444444")
    fig.savefig(path, dpi=dpi)
    return path
