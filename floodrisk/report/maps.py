"""The run's working maps: A4 sheets drawn by the pipeline from in-memory results.

``plot_inputs``, ``plot_pipe_capacity``, ``plot_ponding``, ``plot_node_flooding`` and
``plot_max_depth`` draw the study's inputs and each engine's results on a hillshaded
DEM, in English, on the A4 layout of :class:`~floodrisk.report.sheets.Sheet` (map frame,
side panel with title, legend and footer; no pyplot, no global state). The map sheets
of a finished run (risk, maximum depth, pipe capacity, underground exposure; A3/A4,
English/Chinese, PNG/PDF) are :func:`floodrisk.report.sheets.draw_sheets`.
"""

from __future__ import annotations

import datetime as dt
import math
from os import PathLike
from pathlib import Path

import geopandas as gpd
import matplotlib
import numpy as np
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ..grid import Grid
from ..study import Study
from .colours import CAPACITY_COLOURS
from .sheets import Sheet, grey_hillshade, hillshade_rgb, layer_xy, pipe_sizes

__all__ = ["hillshade_rgb", "plot_inputs", "plot_pipe_capacity", "plot_ponding",
           "plot_node_flooding", "plot_max_depth", "CAPACITY_CLASSES", "FLOW_RATIO_CLASSES"]

_SPACE_COLOURS = {"metro_station": "#7b3294", "car_park": "#c2a5cf", "basement": "#a6dba0",
                  "underpass": "#e66101", "tunnel": "#b35806"}


# ---- the run's working maps (A4, English) ----------------------------------------------

class _Sheet:
    """An A4 English working map: hillshaded DEM base, layers, one legend."""

    def __init__(self, terrain: Grid, *, shade_only: bool = False) -> None:
        self.terrain = terrain
        self.sheet = Sheet("A4", terrain.bounds, crs=terrain.crs, lang="en")
        self.ax = self.sheet.ax
        self.handles: list = []
        rgb = hillshade_rgb(terrain)
        self.sheet.add_image(grey_hillshade(rgb) if shade_only else rgb, terrain, zorder=0)

    def label(self, name: object, fallback: object) -> str:
        """The name, or the id where no installed font can draw the (Chinese) name."""
        return str(name) if self.sheet.can_draw(name) else str(fallback)

    def finish(self, path: Path, title: str, sources: str, dpi: int,
               colorbar: tuple[ScalarMappable, str] | None = None) -> Path:
        s, t = self.sheet, self.terrain
        s.add_title(title)
        s.add_legend("Legend", self.handles)
        if colorbar is not None:
            s.add_colorbar(*colorbar)
        s.finish_frame()
        crs = t.crs.name if t.crs is not None else "unknown CRS"
        s.add_footer([f"Coordinates: {crs}, m; grid north.",
                      f"Scale 1:{s.scale_denominator:,.0f} on A4.",
                      f"Data: {sources or 'in-memory data'}. DEM {t.dx:g} m.",
                      f"Drawn {dt.date.today():%Y-%m-%d} by floodrisk."])
        return s.save(path, dpi=dpi)


def _elevation_mappable(terrain: Grid) -> ScalarMappable:
    z = terrain.values[np.isfinite(terrain.values)]
    return ScalarMappable(cmap="gist_earth",
                          norm=Normalize(float(z.min()),
                                         float(z.max()) + 0.25 * float(np.ptp(z) or 1)))


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
        a.buildings.plot(ax=ax, facecolor="#d9d9d9", edgecolor="#969696", lw=0.2, zorder=1,
                         aspect=None)
        handles.append(Patch(facecolor="#d9d9d9", edgecolor="#969696", label="Buildings"))
    if len(a.underground):
        for kind, grp in a.underground.groupby("kind"):
            colour = _SPACE_COLOURS.get(kind, "#999999")
            grp.plot(ax=ax, facecolor=colour, edgecolor="black", alpha=0.75, lw=0.6, zorder=2,
                     aspect=None)
            handles.append(Patch(facecolor=colour, edgecolor="black",
                                 label=f"Underground: {kind.replace('_', ' ')} ({len(grp)})"))
    net = study.network
    c = net.conduits
    if len(c):
        size = np.where(c["shape"] == "circular", c["diameter"], c["height"]).astype(float)
        c.plot(ax=ax, color="#08519c", linewidth=0.4 + 1.6 * np.clip(size, 0, 2.5), zorder=3,
               aspect=None)
        handles.append(Line2D([], [], color="#08519c", lw=1.5,
                              label=f"Pipes ({len(c)}, {c['length'].sum() / 1000:.1f} km; "
                                    "width ∝ size)"))
    nodes = net.nodes
    for kind, style in (("junction", dict(marker="o", color="#6baed6", markersize=2)),
                        ("outfall", dict(marker="v", color="#08306b", markersize=40)),
                        ("storage", dict(marker="s", color="#2171b5", markersize=30))):
        sel = nodes[nodes["kind"] == kind]
        if len(sel):
            sel.plot(ax=ax, zorder=4, aspect=None, **style)
            size = 3 if kind == "junction" else 7
            handles.append(Line2D([], [], ls="", marker=style["marker"], color=style["color"],
                                  markersize=size, label=f"{kind.capitalize()}s ({len(sel)})"))
    if len(net.stations):
        net.stations.plot(ax=ax, marker="P", color="#e31a1c", markersize=90, edgecolor="black",
                          zorder=5, aspect=None)
        handles.append(Line2D([], [], ls="", marker="P", color="#e31a1c", markeredgecolor="black",
                              markersize=9, label=f"Pump stations ({len(net.stations)})"))
        sheet.sheet.place_labels(layer_xy(net.stations),
                                 [sheet.label(s["name"], s["station_id"])
                                  for _, s in net.stations.iterrows()], size=7)
    if len(a.entrances):
        a.entrances.plot(ax=ax, marker="^", color="#fdb863", edgecolor="black", markersize=25,
                         zorder=5, aspect=None)
        handles.append(Line2D([], [], ls="", marker="^", color="#fdb863", markeredgecolor="black",
                              markersize=6, label=f"Underground entrances ({len(a.entrances)})"))
    if len(a.facilities):
        a.facilities.plot(ax=ax, marker="D", color="#1a9850", edgecolor="black", markersize=45,
                          zorder=5, aspect=None)
        handles.append(Line2D([], [], ls="", marker="D", color="#1a9850", markeredgecolor="black",
                              markersize=6, label=f"Critical facilities ({len(a.facilities)})"))
    if len(a.observed):
        a.observed.plot(ax=ax, marker="x", color="#d7191c", markersize=40, zorder=5, aspect=None)
        handles.append(Line2D([], [], ls="", marker="x", color="#d7191c", markersize=7,
                              label=f"Observed waterlogging ({len(a.observed)})"))
    sources = ", ".join(sorted({f.path.name for f in study.inputs})) or "in-memory data"
    return sheet.finish(Path(path), title or f"{study.name}: study inputs", sources, dpi,
                        colorbar=(_elevation_mappable(study.terrain), "Ground elevation (m)"))


#: Colours of the capacity return-period classes (the standard 管网排水能力评估 map:
#: red for pipes that cannot carry a 1-year storm, through to blue for ≥ 5 years).
CAPACITY_CLASSES = {k: v for k, v in CAPACITY_COLOURS.items() if k != "unknown"}


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
    size = pipe_sizes(pipes)
    widths = 0.6 + 1.8 * np.clip(np.nan_to_num(size, nan=0.5), 0, 2.5)
    for label, colour in CAPACITY_CLASSES.items():
        sel = (pipes["capacity_class"] == label).to_numpy()
        if sel.any():
            pipes[sel].plot(ax=sheet.ax, color=colour, linewidth=widths[sel], zorder=3,
                            aspect=None)
        share = pipes.loc[sel, "length"].sum() / max(pipes["length"].sum(), 1e-9) * 100 \
            if "length" in pipes else 100 * sel.mean()
        sheet.handles.append(Line2D([], [], color=colour, lw=3,
                                    label=f"{label}: {int(sel.sum())} pipes, "
                                          f"{share:.0f} % of length"))
    unknown = (pipes["capacity_class"].isna() | (pipes["capacity_class"] == "unknown")).to_numpy()
    if unknown.any():
        pipes[unknown].plot(ax=sheet.ax, color=CAPACITY_COLOURS["unknown"],
                            linewidth=widths[unknown], zorder=3, aspect=None)
        sheet.handles.append(Line2D([], [], color=CAPACITY_COLOURS["unknown"], lw=3,
                                    label="not assessed (no fall or no section): "
                                          f"{int(unknown.sum())}"))
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
            depressions[wet].boundary.plot(ax=sheet.ax, color="#08306b", lw=0.6, zorder=3,
                                           aspect=None)
        if (~wet).any():
            depressions[~wet].boundary.plot(ax=sheet.ax, color="#525252", lw=0.4, ls="--",
                                            zorder=3, aspect=None)
        sheet.handles += [
            Line2D([], [], color="#08306b", lw=1,
                   label=f"Depressions holding water ({int(wet.sum())})"),
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
    sheet.sheet.add_image(d, depth, zorder=2, cmap=cmap, vmin=0, vmax=vmax)
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
    if threshold is not None and sheet.sheet.add_contour(depth, threshold, "#67000d", 0.6):
        sheet.handles.append(Line2D([], [], color="#67000d", lw=1,
                                    label=f"Deeper than {threshold:g} m"))
    if entrances is not None and len(entrances):
        xy = np.array([(g.x, g.y) for g in entrances.geometry if g is not None])
        sheet.ax.scatter(xy[:, 0], xy[:, 1], marker="^", s=28, c="#7b3294",
                         edgecolors="white", linewidths=0.5, zorder=4)
        sheet.sheet.keep_clear(xy)
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
            conduits[sel].plot(ax=sheet.ax, color=colour, linewidth=1.4, zorder=3, aspect=None)
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


