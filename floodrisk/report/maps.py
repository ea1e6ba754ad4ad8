"""Map sheets drawn with matplotlib: a hillshaded DEM base with the study's layers on top.

No tile server: the base is drawn from the DEM itself, so maps work offline. Figures are
made with ``matplotlib.figure.Figure`` (no pyplot, no global backend state).
"""

from __future__ import annotations

import datetime as dt
import math
import textwrap
from os import PathLike
from pathlib import Path

import matplotlib
import geopandas as gpd
import numpy as np
from matplotlib.cm import ScalarMappable
from matplotlib.colors import LightSource, Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from ..grid import Grid
from .fonts import cjk_family, has_cjk
from ..study import Study

__all__ = ["hillshade_rgb", "plot_inputs", "plot_pipe_capacity", "plot_ponding", "plot_node_flooding",
           "plot_max_depth", "CAPACITY_CLASSES", "FLOW_RATIO_CLASSES"]

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


class _Sheet:
    """An A4 landscape map sheet: hillshaded DEM base, frame, legend, scale bar, north
    arrow, title and the data line."""

    def __init__(self, terrain: Grid, *, shade_only: bool = False) -> None:
        self.terrain = terrain
        self.fig = Figure(figsize=(11.69, 8.27), layout="constrained")
        self.ax = self.fig.add_subplot()
        self.handles: list = []
        xmin, ymin, xmax, ymax = terrain.bounds
        rgb = hillshade_rgb(terrain)
        if shade_only:  # a grey base under coloured results
            grey = rgb[..., :3].mean(axis=2, keepdims=True)
            rgb = np.concatenate([np.repeat(0.55 + 0.45 * grey, 3, axis=2), rgb[..., 3:]], axis=2)
        self.ax.imshow(rgb, extent=(xmin, xmax, ymin, ymax), origin="upper",
                       interpolation="nearest", zorder=0)

    def finish(self, path: Path, title: str, sources: str, dpi: int,
               colorbar: tuple[ScalarMappable, str] | None = None) -> Path:
        ax, t = self.ax, self.terrain
        xmin, ymin, xmax, ymax = t.bounds
        ax.set_xlim(xmin, xmax)
        ax.set_ylim(ymin, ymax)
        ax.set_aspect("equal")
        ax.ticklabel_format(useOffset=False, style="plain")
        ax.tick_params(labelsize=7)
        crs = t.crs.name if t.crs is not None else "unknown CRS"
        ax.set_xlabel(f"Easting (m), {crs}", fontsize=8)
        ax.set_ylabel("Northing (m)", fontsize=8)
        if colorbar is not None:
            self.fig.colorbar(colorbar[0], ax=ax, location="bottom", shrink=0.4, aspect=40,
                              pad=0.01, label=colorbar[1])
        if self.handles:
            self.fig.legend(handles=self.handles, loc="outside right upper", fontsize=7,
                            framealpha=0.9)
        _scale_bar(ax, t.bounds)
        _north_arrow(ax)
        ax.set_title(textwrap.fill(title, 90), fontsize=12, loc="left")
        self.fig.text(0.01, 0.005, f"Data: {sources}. DEM {t.dx:g} m. Drawn "
                      f"{dt.date.today():%Y-%m-%d} by floodrisk.", fontsize=7, color="#444444")
        self.fig.savefig(path, dpi=dpi)
        return path


def _elevation_mappable(terrain: Grid) -> ScalarMappable:
    z = terrain.values[np.isfinite(terrain.values)]
    return ScalarMappable(cmap="gist_earth",
                          norm=Normalize(float(z.min()), float(z.max()) + 0.25 * float(np.ptp(z) or 1)))


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
    sheet = _Sheet(study.terrain)
    ax, handles = sheet.ax, sheet.handles
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
    sources = ", ".join(sorted({f.path.name for f in study.inputs})) or "in-memory data"
    return sheet.finish(Path(path), title or f"{study.name}: study inputs", sources, dpi,
                        colorbar=(_elevation_mappable(study.terrain), "Ground elevation (m)"))


#: Colours of the capacity return-period classes (the standard 管网排水能力评估 map:
#: red for pipes that cannot carry a 1-year storm, through to blue for ≥ 5 years).
CAPACITY_CLASSES = {"< 1 a": "#d7191c", "1-2 a": "#fdae61", "2-3 a": "#ffffbf",
                    "3-5 a": "#abd9e9", "≥ 5 a": "#2c7bb6"}


def plot_pipe_capacity(terrain: Grid, pipes: gpd.GeoDataFrame, path: str | PathLike[str], *,
                       title: str, sources: str = "", dpi: int = 150) -> Path:
    """Pipes coloured by the return period of storm they can carry (A4 landscape).

    Parameters
    ----------
    terrain
        Ground elevation for the base.
    pipes
        The ``pipe_capacity`` layer: conduit lines with ``capacity_class`` and
        ``full_capacity`` / ``design_flow``.
    path
        PNG (or PDF) file to write.
    title
        Map title.
    sources
        The data line at the foot of the sheet.
    dpi
        Resolution of a PNG.
    """
    sheet = _Sheet(terrain, shade_only=True)
    size = np.where(pipes["shape"] == "circular", pipes["diameter"], pipes["height"]) \
        if "shape" in pipes else np.full(len(pipes), 0.5)
    widths = 0.6 + 1.8 * np.clip(np.nan_to_num(np.asarray(size, dtype=float), nan=0.5), 0, 2.5)
    for label, colour in CAPACITY_CLASSES.items():
        sel = (pipes["capacity_class"] == label).to_numpy()
        if sel.any():
            pipes[sel].plot(ax=sheet.ax, color=colour, linewidth=widths[sel], zorder=3,
                            path_effects=None)
        share = pipes.loc[sel, "length"].sum() / max(pipes["length"].sum(), 1e-9) * 100 \
            if "length" in pipes else 100 * sel.mean()
        sheet.handles.append(Line2D([], [], color=colour, lw=3,
                                    label=f"{label}: {int(sel.sum())} pipes, {share:.0f} % of length"))
    unknown = pipes["capacity_class"].isna().to_numpy()
    if unknown.any():
        pipes[unknown].plot(ax=sheet.ax, color="#7f7f7f", linewidth=widths[unknown], zorder=3)
        sheet.handles.append(Line2D([], [], color="#7f7f7f", lw=3,
                                    label=f"not assessed (no fall or no section): {int(unknown.sum())}"))
    return sheet.finish(Path(path), title, sources, dpi)


def plot_ponding(terrain: Grid, depth: Grid, depressions: gpd.GeoDataFrame,
                 path: str | PathLike[str], *, title: str, sources: str = "",
                 min_depth: float = 0.01, dpi: int = 150) -> Path:
    """Ponded depth over a grey hillshade, with depression outlines (A4 landscape).

    Parameters
    ----------
    terrain
        Ground elevation for the base.
    depth
        Ponded water depth, m.
    depressions
        Depression polygons; those holding water are drawn solid, the others dashed.
    path
        PNG (or PDF) file to write.
    title
        Map title.
    sources
        The data line at the foot of the sheet.
    min_depth
        Depths below this (m) are not drawn.
    dpi
        Resolution of a PNG.
    """
    sheet = _Sheet(terrain, shade_only=True)
    mappable = _draw_depth(sheet, depth, min_depth)
    if len(depressions):
        wet = depressions["stored_volume"] > 0 if "stored_volume" in depressions else \
            np.ones(len(depressions), bool)
        if wet.any():
            depressions[wet].boundary.plot(ax=sheet.ax, color="#08306b", lw=0.6, zorder=3)
        if (~wet).any():
            depressions[~wet].boundary.plot(ax=sheet.ax, color="#525252", lw=0.4, ls="--",
                                            zorder=3)
        sheet.handles += [
            Line2D([], [], color="#08306b", lw=1, label=f"Depressions holding water ({int(wet.sum())})"),
            Line2D([], [], color="#525252", lw=1, ls="--",
                   label=f"Depressions left dry ({int((~wet).sum())})")]
    return sheet.finish(Path(path), title, sources, dpi,
                        colorbar=(mappable, f"Ponded depth (m), shown from {min_depth:g} m"))


def _draw_depth(sheet: _Sheet, depth: Grid, min_depth: float) -> ScalarMappable:
    """Water depth from ``min_depth`` up in blues; the colour scale for the colour bar."""
    d = np.array(depth.values, dtype=float)
    d[~(d >= min_depth)] = np.nan
    vmax = max(0.5, float(np.nanpercentile(d, 99))) if np.isfinite(d).any() else 0.5
    cmap = matplotlib.colormaps["Blues"]
    xmin, ymin, xmax, ymax = depth.bounds
    sheet.ax.imshow(d, extent=(xmin, xmax, ymin, ymax), origin="upper", cmap=cmap, vmin=0,
                    vmax=vmax, interpolation="nearest", zorder=2)
    return ScalarMappable(cmap=cmap, norm=Normalize(0, vmax))


def plot_max_depth(terrain: Grid, depth: Grid, path: str | PathLike[str], *, title: str,
                   sources: str = "", min_depth: float = 0.05,
                   threshold: float | None = None, entrances: gpd.GeoDataFrame | None = None,
                   dpi: int = 150) -> Path:
    """Maximum depth of a 2D run over a grey hillshade (A4 landscape), with the outline of
    the water deeper than ``threshold`` and the underground entrances.

    Parameters
    ----------
    terrain
        Ground elevation for the base.
    depth
        Maximum water depth, m.
    path
        PNG (or PDF) file to write.
    title
        Map title.
    sources
        The data line at the foot of the sheet.
    min_depth
        Depths below this (m) are not drawn.
    threshold
        Depth (m) whose outline is drawn (the waterlogging criterion), or None.
    entrances
        Entrance points to mark, or None.
    dpi
        Resolution of a PNG.
    """
    sheet = _Sheet(terrain, shade_only=True)
    mappable = _draw_depth(sheet, depth, min_depth)
    if threshold is not None and np.nanmax(depth.values, initial=0.0) > threshold:
        xmin, ymin, xmax, ymax = depth.bounds
        ny, nx = depth.shape
        xs = xmin + (np.arange(nx) + 0.5) * (xmax - xmin) / nx
        ys = ymax - (np.arange(ny) + 0.5) * (ymax - ymin) / ny
        sheet.ax.contour(xs, ys, np.nan_to_num(depth.values, nan=0.0), levels=[threshold],
                         colors="#67000d", linewidths=0.6, zorder=3)
        sheet.handles.append(Line2D([], [], color="#67000d", lw=1,
                                    label=f"Deeper than {threshold:g} m"))
    if entrances is not None and len(entrances):
        xy = np.array([(g.x, g.y) for g in entrances.geometry if g is not None])
        sheet.ax.scatter(xy[:, 0], xy[:, 1], marker="^", s=28, c="#7b3294",
                         edgecolors="white", linewidths=0.5, zorder=4)
        sheet.handles.append(Line2D([], [], ls="", marker="^", color="#7b3294",
                                    label=f"Underground entrances ({len(xy)})"))
    return sheet.finish(Path(path), title, sources, dpi,
                        colorbar=(mappable, f"Maximum depth (m), shown from {min_depth:g} m"))


#: Conduit load classes of the drainage map: (upper bound of peak flow / full flow, colour).
FLOW_RATIO_CLASSES = {"< 0.5 of full flow": (0.5, "#9ecae1"),
                      "0.5-0.8": (0.8, "#4292c6"),
                      "0.8-1.0": (1.0, "#fd8d3c"),
                      "> full flow (surcharged)": (float("inf"), "#cb181d")}


def plot_node_flooding(terrain: Grid, nodes: gpd.GeoDataFrame, conduits: gpd.GeoDataFrame,
                       path: str | PathLike[str], *, title: str, sources: str = "",
                       dpi: int = 150) -> Path:
    """SWMM results on a grey hillshade (A4 landscape): conduits coloured by peak flow over
    full-bore flow, flooded nodes as circles whose area follows their flood volume.

    Parameters
    ----------
    terrain
        Ground elevation for the base.
    nodes
        The ``drainage_nodes`` layer (points with ``flood_volume``, m³).
    conduits
        The ``drainage_conduits`` layer (lines with ``peak_flow_ratio``).
    path
        PNG (or PDF) file to write.
    title
        Map title.
    sources
        The data line at the foot of the sheet.
    dpi
        Resolution of a PNG.
    """
    sheet = _Sheet(terrain, shade_only=True)
    ratio = conduits["peak_flow_ratio"].to_numpy(dtype=float)
    lower = -np.inf
    for label, (upper, colour) in FLOW_RATIO_CLASSES.items():
        sel = (ratio >= lower) & (ratio < upper) & conduits.geometry.notna().to_numpy()
        lower = upper
        if sel.any():
            conduits[sel].plot(ax=sheet.ax, color=colour, linewidth=1.4, zorder=3)
        sheet.handles.append(Line2D([], [], color=colour, lw=3,
                                    label=f"{label}: {int(sel.sum())} conduits"))
    vol = nodes["flood_volume"].to_numpy(dtype=float)
    wet = (vol > 0) & nodes.geometry.notna().to_numpy()
    if wet.any():
        vmax = float(vol[wet].max())
        size = 8 + 292 * np.sqrt(vol[wet] / vmax)       # marker area ∝ volume
        xy = np.array([(g.x, g.y) for g in nodes.geometry[wet]])
        sheet.ax.scatter(xy[:, 0], xy[:, 1], s=size, c="#67000d", alpha=0.6,
                         edgecolors="white", linewidths=0.4, zorder=4)
        for v in sorted({vmax, vmax / 10}, reverse=True):
            sheet.handles.append(Line2D([], [], ls="", marker="o", color="#67000d", alpha=0.6,
                                        markersize=math.sqrt(8 + 292 * math.sqrt(v / vmax)),
                                        label=f"Node flood volume {v:,.0f} m³"))
    sheet.handles.append(Line2D([], [], ls="", label=f"{int(wet.sum())} of {len(nodes)} nodes "
                                f"flood, {vol[wet].sum():,.0f} m³ in all"))
    return sheet.finish(Path(path), title, sources, dpi)
