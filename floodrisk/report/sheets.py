"""Map sheets: ISO 216 A4 / A3 landscape pages of a run's findings on a hillshaded DEM.

:func:`draw_sheets` draws the map sheets of a finished run (a
:class:`~floodrisk.io.run_record.RunRecord`) as ``maps/<name>_<paper>.<fmt>``: the risk
map, the maximum depth map, the pipe capacity return period map and the underground
exposure map, in English or Chinese, as PNG and PDF. Nothing is re-run.

A :class:`Sheet` is one page: the map frame on the left keeps the data's aspect (one
metre is as long across as up), the panel on the right stacks the title, the scenario,
the legends and notes from the top and the footer (coordinates, scale, data sources,
dates) from the bottom. The scale bar and north arrow sit in corners of the map frame
that hide none of the labelled points, the coordinates of the study's CRS along its
edges. Sizes are in mm on the paper and fonts in pt, so a sheet reads the same printed
on its paper. No tile server: the base is a hillshade of the run's own DEM.

Text of ``lang="zh"`` sheets, and any Chinese name on an English sheet, is drawn with
an installed CJK font (:mod:`floodrisk.report.fonts`), passed to each text as font
properties. Files are written with the PDF's fonts embedded as TrueType (Type 42) under
a local :func:`matplotlib.rc_context`, so matplotlib's global settings are never
changed. Class colours come from :mod:`floodrisk.report.colours` (shared with the GIS
styles and the web map), words from :mod:`floodrisk.report.labels`.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
from matplotlib import rc_context
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.cm import ScalarMappable
from matplotlib.colors import LightSource, to_rgb
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Polygon, Rectangle
from matplotlib.patheffects import withStroke
from matplotlib.text import Text
from matplotlib.ticker import FuncFormatter, MaxNLocator
from matplotlib.transforms import Bbox
from pyproj import CRS

from ..errors import InputError, RunFolderError
from ..grid import Grid
from ..io.files import atomic_write
from ..io.run_record import RunRecord
from .colours import (CAPACITY_COLOURS, DEPTH_COLOURS, DEPTH_EDGES, RISK_COLOURS,
                      UNDERGROUND_COLOURS, depth_class_labels, depth_classes,
                      return_period_colours)
from .fonts import CJKFont, find_cjk_font, has_cjk, require_cjk_font
from .gis import return_periods
from .labels import LANGS, label

__all__ = ["PAPERS", "STYLES", "FORMATS", "SHEETS", "SheetStyle", "Sheet", "nice_length",
           "hillshade_rgb", "grey_hillshade", "layer_xy", "pipe_sizes", "available_sheets",
           "build_sheet", "draw_sheets"]

_log = logging.getLogger(__name__)

MM_PER_INCH = 25.4
PT_PER_INCH = 72.0

#: Landscape paper sizes (width, height), mm (ISO 216).
PAPERS: dict[str, tuple[float, float]] = {"A4": (297.0, 210.0), "A3": (420.0, 297.0)}

#: File formats a sheet is written in.
FORMATS = ("png", "pdf")


@dataclass(frozen=True)
class SheetStyle:
    """Sizes of one paper: fonts in pt, distances in mm.

    Parameters
    ----------
    title, heading, body, small, label
        Font sizes of the title, legend titles, panel text, footer and tick labels, and
        labels in the map.
    margin
        White margin round the page.
    panel
        Width of the side panel.
    gap
        Space between the map frame and the panel, and between panel blocks.
    line
        Line width scale (1 on A4): pipe widths and outlines.
    """

    title: float
    heading: float
    body: float
    small: float
    label: float
    margin: float
    panel: float
    gap: float
    line: float


#: Sheet sizes of each paper.
STYLES: dict[str, SheetStyle] = {
    "A4": SheetStyle(title=15, heading=9, body=8, small=6.5, label=6, margin=10, panel=72,
                     gap=5, line=1.0),
    "A3": SheetStyle(title=20, heading=12, body=10.5, small=8.5, label=7.5, margin=12,
                     panel=100, gap=7, line=1.3),
}

_CJK_CHAR = r"\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f"
_TOKENS = re.compile(rf"[{_CJK_CHAR}]|[^\s{_CJK_CHAR}]+|\s+")


def nice_length(span: float, fraction: float = 0.2) -> float:
    """The longest 1, 2 or 5 × 10^k not above ``fraction`` of ``span`` (scale bars).

    Parameters
    ----------
    span
        Width of the map, m.
    fraction
        Largest share of the width the bar may take.
    """
    raw = span * fraction
    if not raw > 0:
        raise InputError(f"a map {span} m wide has no scale bar.", field="span")
    mag = 10 ** math.floor(math.log10(raw))
    return max(m * mag for m in (1, 2, 5) if m * mag <= raw * (1 + 1e-12))


def _coordinate_formatter(lo: float, hi: float):
    """Tick labels of frame coordinates (m, no offset); none within 4 % of the frame's
    ends, where the labels of the two axes would meet in a corner."""
    pad = 0.04 * (hi - lo)

    def fmt(v: float, _pos: object) -> str:
        return f"{v:.0f}" if lo + pad <= v <= hi - pad else ""
    return fmt


def _length_text(length: float) -> str:
    return f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"


class Sheet:
    """One map sheet: a figure the size of the paper with a map frame and a side panel.

    Parameters
    ----------
    paper
        "A4" or "A3" (landscape, :data:`PAPERS`).
    bounds
        Extent of the map (xmin, ymin, xmax, ymax) in the CRS, m.
    crs
        The CRS of the map (named in the footer).
    lang
        "en" or "zh" (:data:`floodrisk.report.labels.LANGS`).

    Raises
    ------
    InputError
        Unknown paper or language, or an empty extent.
    FloodRiskError
        ``lang="zh"`` and no CJK font is installed (names the package to install).

    Attributes
    ----------
    fig
        The matplotlib Figure.
    ax
        The map frame (data coordinates of the CRS).
    panel
        The side panel (mm from its top left corner).
    legends
        The legends added, in order.
    scale_denominator
        N of the sheet's scale 1:N on its paper.
    """

    def __init__(self, paper: str, bounds: tuple[float, float, float, float], *,
                 crs: CRS | None, lang: str = "en") -> None:
        if paper not in PAPERS:
            raise InputError(f"unknown paper {paper!r}; known: {', '.join(PAPERS)}.",
                             field="paper")
        if lang not in LANGS:
            raise InputError(f"unknown map language {lang!r}; known: {', '.join(LANGS)}.",
                             field="lang")
        xmin, ymin, xmax, ymax = (float(b) for b in bounds)
        if not (xmax > xmin and ymax > ymin):
            raise InputError(f"the map extent {bounds} is empty.", field="bounds")
        self.paper, self.lang, self.crs = paper, lang, crs
        self.style = STYLES[paper]
        self.width_mm, self.height_mm = PAPERS[paper]
        self.bounds = (xmin, ymin, xmax, ymax)
        self.title = ""
        if lang == "zh":
            self._cjk: CJKFont | None = require_cjk_font()
            self._cjk_bold: CJKFont | None = require_cjk_font(bold=True)
        else:
            self._cjk = find_cjk_font()
            self._cjk_bold = find_cjk_font(bold=True)
        self.fig = Figure(figsize=(self.width_mm / MM_PER_INCH, self.height_mm / MM_PER_INCH),
                          dpi=100)
        FigureCanvasAgg(self.fig)
        self._renderer = self.fig.canvas.get_renderer()
        self.legends: list[Legend] = []
        self._layout()

    # ---- geometry -------------------------------------------------------------------

    def _rect(self, x: float, y: float, w: float, h: float) -> list[float]:
        """Figure fractions of a rectangle given in mm from the page's bottom left."""
        return [x / self.width_mm, y / self.height_mm, w / self.width_mm, h / self.height_mm]

    def _layout(self) -> None:
        st, (xmin, ymin, xmax, ymax) = self.style, self.bounds
        W, H = self.width_mm, self.height_mm
        reserve = st.small * MM_PER_INCH / PT_PER_INCH * 1.3 + 3.0  # tick labels
        left, bottom = st.margin + reserve, st.margin + reserve
        avail_w = W - st.margin - st.panel - st.gap - left
        avail_h = H - st.margin - bottom
        aspect = (xmax - xmin) / (ymax - ymin)
        if avail_w / avail_h > aspect:          # height-limited: centre across
            h = avail_h
            w = h * aspect
            x0, y0 = left + (avail_w - w) / 2, bottom
        else:                                  # width-limited: centre up and down
            w = avail_w
            h = w / aspect
            x0, y0 = left, bottom + (avail_h - h) / 2
        self.frame_mm = (x0, y0, w, h)
        #: Metres on the ground per mm on the paper.
        self.m_per_mm = (xmax - xmin) / w
        self.scale_denominator = self.m_per_mm * 1000.0
        ax = self.ax = self.fig.add_axes(self._rect(x0, y0, w, h))
        ax.set_xlim(xmin, xmax)
        ax.set_ylim(ymin, ymax)
        ax.set_aspect("auto")
        ax.set_autoscale_on(False)             # layers drawn later keep the extent
        for axis, n, lo, hi in ((ax.xaxis, max(3, int(w / 45)), xmin, xmax),
                                (ax.yaxis, max(3, int(h / 45)), ymin, ymax)):
            axis.set_major_locator(MaxNLocator(nbins=n, steps=[1, 2, 2.5, 5, 10]))
            axis.set_major_formatter(FuncFormatter(_coordinate_formatter(lo, hi)))
        ax.tick_params(labelsize=st.small, length=1.5 * st.line * 2, width=0.5, pad=1.5)
        ax.tick_params(axis="y", labelrotation=90)
        for spine in ax.spines.values():
            spine.set_linewidth(0.8 * st.line)
        px = W - st.margin - st.panel
        self.panel_w, self.panel_h = st.panel, H - 2 * st.margin
        p = self.panel = self.fig.add_axes(self._rect(px, st.margin, st.panel, self.panel_h))
        p.set_axis_off()
        p.set_xlim(0, self.panel_w)
        p.set_ylim(self.panel_h, 0)
        self._clear_xy: list[tuple[float, float]] = []
        self._furniture: tuple[str, str] | None = None
        self.cursor = 0.0                      # mm from the panel's top
        self.footer_top = self.panel_h         # mm from the panel's top

    def _mm(self, pixels: float) -> float:
        return pixels / self.fig.dpi * MM_PER_INCH

    def _height_mm(self, artist: Artist) -> float:
        return self._mm(artist.get_window_extent(self._renderer).height)

    # ---- fonts and text -------------------------------------------------------------

    def can_draw(self, text: object) -> bool:
        """Whether the sheet has a font for every character of ``text``."""
        return not has_cjk(str(text)) or self._cjk is not None

    def font(self, size: float, *, bold: bool = False, text: str = "") -> FontProperties:
        """Font properties at ``size`` pt: the CJK font on a Chinese sheet or for Chinese
        ``text``, matplotlib's default sans-serif otherwise."""
        cjk = (self._cjk_bold or self._cjk) if bold else self._cjk
        if cjk is not None and (self.lang == "zh" or has_cjk(text)):
            return cjk.properties(size)
        return FontProperties(size=size, weight="bold" if bold else "normal")

    @property
    def colon(self) -> str:
        """The colon after a name: full-width on a Chinese sheet."""
        return "：" if self.lang == "zh" else ": "

    def words(self, key: str) -> str:
        """:func:`~floodrisk.report.labels.label` in the sheet's language."""
        return label(key, self.lang)

    def _width_mm(self, text: str, prop: FontProperties) -> float:
        w, _h, _d = self._renderer.get_text_width_height_descent(text, prop, ismath=False)
        return self._mm(w)

    def wrap(self, text: str, prop: FontProperties, width: float) -> str:
        """``text`` broken into lines no wider than ``width`` mm (between words, and
        between any two Chinese characters)."""
        out = []
        for para in str(text).split("\n"):
            line = ""
            for tok in _TOKENS.findall(para):
                if tok.isspace() and not line:
                    continue
                trial = line + tok
                if not line or self._width_mm(trial.rstrip(), prop) <= width:
                    line = trial
                else:
                    out.append(line.rstrip())
                    line = "" if tok.isspace() else tok
            out.append(line.rstrip())
        return "\n".join(out)

    def add_text(self, text: str, size: float, *, bold: bool = False, colour: str = "black",
                 space_before: float = 0.0) -> Text:
        """Put a block of text in the panel below what is there (wrapped to the panel).

        Parameters
        ----------
        text
            The text; ``\\n`` starts a new line.
        size
            Font size, pt.
        bold
            Bold face.
        colour
            Text colour.
        space_before
            Space above the block, mm.
        """
        prop = self.font(size, bold=bold, text=text)
        self.cursor += space_before
        t = self.panel.text(0, self.cursor, self.wrap(text, prop, self.panel_w), va="top",
                            ha="left", fontproperties=prop, color=colour, linespacing=1.3)
        self.cursor += self._height_mm(t)
        return t

    def add_title(self, title: str, subtitle: str = "") -> None:
        """The sheet's title (and a subtitle: the study's name) at the panel's top."""
        self.title = title
        self.add_text(title, self.style.title, bold=True)
        if subtitle:
            self.add_text(subtitle, self.style.heading, space_before=1.0)
        self.cursor += self.style.gap * 0.6

    def add_block(self, lines: Sequence[str], *, heading: str = "") -> None:
        """A block of body-size lines (each wrapped) with an optional bold heading."""
        if heading:
            self.add_text(heading, self.style.heading, bold=True)
            self.cursor += 0.6
        if lines:
            self.add_text("\n".join(lines), self.style.body)
        self.cursor += self.style.gap * 0.6

    def add_legend(self, title: str, handles: Sequence[Artist]) -> Legend | None:
        """A legend of ``handles`` (their labels) stacked in the panel.

        Parameters
        ----------
        title
            The legend's title.
        handles
            Legend handles (patches, lines, markers) labelled with ``label=``; none
            gives no legend.
        """
        if not handles:
            return None
        st = self.style
        labels = [str(h.get_label()) for h in handles]
        prop = self.font(st.body, text=" ".join(labels))
        em = st.body * MM_PER_INCH / PT_PER_INCH
        handle_len, text_pad = 2.2, 0.7
        width = self.panel_w - (handle_len + text_pad) * em - 1.0
        labels = [self.wrap(s, prop, width) for s in labels]
        leg = Legend(self.panel, list(handles), labels, loc="upper left",
                     bbox_to_anchor=(0.0, self.cursor), bbox_transform=self.panel.transData,
                     frameon=False, prop=prop, title=title,
                     title_fontproperties=self.font(st.heading, bold=True, text=title),
                     alignment="left", borderaxespad=0.0, borderpad=0.0,
                     handlelength=handle_len, handletextpad=text_pad, labelspacing=0.45,
                     handleheight=1.0)
        self.panel.add_artist(leg)
        self.legends.append(leg)
        self.cursor += self._height_mm(leg) + st.gap * 0.8
        return leg

    def add_colorbar(self, mappable: ScalarMappable, title: str) -> None:
        """A horizontal colour bar across the panel with ``title`` above it."""
        st = self.style
        self.add_text(title, st.heading, bold=True)
        self.cursor += 1.0
        bar_h = 3.5 * st.line
        px = self.width_mm - st.margin - st.panel
        y_top = self.height_mm - st.margin - self.cursor
        cax = self.fig.add_axes(self._rect(px, y_top - bar_h, self.panel_w * 0.92, bar_h))
        cb = self.fig.colorbar(mappable, cax=cax, orientation="horizontal")
        cb.outline.set_linewidth(0.5)
        cax.tick_params(labelsize=st.small, length=1.5, width=0.5, pad=1.0)
        self.cursor += bar_h + st.small * MM_PER_INCH / PT_PER_INCH * 1.4 + 2.0 + st.gap * 0.6

    def add_footer(self, lines: Sequence[str]) -> None:
        """Small lines at the panel's foot (coordinates, scale, data, dates)."""
        prop = self.font(self.style.small, text=" ".join(lines))
        text = "\n".join(self.wrap(s, prop, self.panel_w) for s in lines)
        t = self.panel.text(0, self.panel_h, text, va="bottom", ha="left", fontproperties=prop,
                            color="#333333", linespacing=1.3)
        self.footer_top = self.panel_h - self._height_mm(t)

    @property
    def overflows(self) -> bool:
        """Whether the panel's stacked blocks run into its footer."""
        return self.cursor > self.footer_top

    # ---- the map frame --------------------------------------------------------------

    def _halo(self, width: float = 2.0) -> list:
        return [withStroke(linewidth=width * self.style.line, foreground="white")]

    def finish_frame(self) -> None:
        """Draw the scale bar and north arrow, and keep the frame as laid out (layers
        drawn with geopandas label the axes; the CRS is named in the footer)."""
        xmin, ymin, xmax, ymax = self.bounds
        self.ax.set_xlim(xmin, xmax)
        self.ax.set_ylim(ymin, ymax)
        self.ax.set_xlabel("")
        self.ax.set_ylabel("")
        self.scale_bar()
        self.north_arrow()

    def keep_clear(self, xy: np.ndarray) -> None:
        """Points (n, 2), CRS units, the scale bar and north arrow should not hide; their
        corners are chosen the first time a label is placed or the frame is finished."""
        self._clear_xy.extend(map(tuple, np.asarray(xy, dtype=float).reshape(-1, 2)))

    def _box_at(self, corner: str, w: float, h: float, pad: float) -> tuple[float, float]:
        """Lower left (CRS units) of a w × h box ``pad`` inside the frame's ``corner``
        ("bl", "br", "tl", "tr")."""
        xmin, ymin, xmax, ymax = self.bounds
        x = xmin + pad if corner[1] == "l" else xmax - pad - w
        y = ymin + pad if corner[0] == "b" else ymax - pad - h
        return x, y

    def _corners(self) -> tuple[str, str]:
        """Corners of the scale bar and north arrow: the first free of the points to keep
        clear (bottom left and top right first), else the one hiding fewest."""
        if self._furniture is None:
            pts = np.array(self._clear_xy, dtype=float).reshape(-1, 2)
            k = self.m_per_mm

            def hidden(corner: str, w: float, h: float, pad: float) -> int:
                x, y = self._box_at(corner, w, h, pad)
                inside = ((pts[:, 0] >= x - 2 * k) & (pts[:, 0] <= x + w + 2 * k)
                          & (pts[:, 1] >= y - 2 * k) & (pts[:, 1] <= y + h + 2 * k))
                return int(inside.sum())

            bw, bh, _ = self._scale_bar_size()
            bar = min(("bl", "br", "tl", "tr"), key=lambda c: (hidden(c, bw, bh, 3 * k),
                                                                 ("bl", "br", "tl", "tr").index(c)))
            nw, nh = self._north_size()
            order = [c for c in ("tr", "tl", "br", "bl") if c != bar]
            north = min(order, key=lambda c: (hidden(c, nw, nh, 3 * k), order.index(c)))
            self._furniture = (bar, north)
        return self._furniture

    def _scale_bar_size(self) -> tuple[float, float, float]:
        """Width and height of the scale bar's white box (CRS units) and its length, m."""
        st, k = self.style, self.m_per_mm
        xmin, _, xmax, _ = self.bounds
        length = nice_length(xmax - xmin)
        text_h = st.body * MM_PER_INCH / PT_PER_INCH
        return length + 18 * k, 1.5 * st.line * k + text_h * k + 5.5 * k, length

    def _north_size(self) -> tuple[float, float]:
        s, k = self.style.line, self.m_per_mm
        return 12 * s * k, 22.5 * s * k

    def _scale_bar_box(self) -> tuple[float, float, float, float, float]:
        """The scale bar's white box (x, y, width, height, CRS units) and its length, m."""
        w, h, length = self._scale_bar_size()
        x, y = self._box_at(self._corners()[0], w, h, 3 * self.m_per_mm)
        return x, y, w, h, length

    def _north_box(self) -> tuple[float, float, float, float]:
        """The north arrow's white box (x, y, width, height), CRS units."""
        w, h = self._north_size()
        x, y = self._box_at(self._corners()[1], w, h, 3 * self.m_per_mm)
        return x, y, w, h

    def _furniture_bboxes(self) -> list[Bbox]:
        """Display boxes of the scale bar and north arrow (kept clear of labels)."""
        out = []
        for x, y, w, h, *_ in (self._scale_bar_box(), self._north_box()):
            (x0, y0), (x1, y1) = self.ax.transData.transform([(x, y), (x + w, y + h)])
            out.append(Bbox.from_extents(x0, y0, x1, y1))
        return out

    def scale_bar(self) -> float:
        """Draw a scale bar of a round length in the frame's bottom left; its length, m."""
        st, k = self.style, self.m_per_mm
        bx, by, bw, bh, length = self._scale_bar_box()
        n = 5 if f"{length:e}"[0] == "5" else 4
        x0, y0 = bx + 4 * k, by + 2.5 * k
        h = 1.5 * st.line * k
        self.ax.add_patch(Rectangle((bx, by), bw, bh, facecolor="white", edgecolor="none",
                                    alpha=0.85, zorder=20))
        for i in range(n):
            self.ax.add_patch(Rectangle((x0 + i * length / n, y0), length / n, h,
                                        facecolor="black" if i % 2 == 0 else "white",
                                        edgecolor="black", lw=0.5, zorder=21))
        font = self.font(st.body)
        for value, text in ((0.0, "0"), (length / 2, f"{length / 2:g}" if length < 2000
                                          else f"{length / 2000:g}"),
                            (length, _length_text(length))):
            self.ax.text(x0 + value, y0 + h + 1.0 * k, text, ha="left" if value == length
                         else "center", va="bottom", fontproperties=font, zorder=22)
        return length

    def north_arrow(self) -> None:
        """Draw a north arrow (grid north: up the frame) in the frame's top right."""
        s, k = self.style.line, self.m_per_mm
        bx, by, bw, bh = self._north_box()
        cx, length, half = bx + bw / 2, 13 * s * k, 3.2 * s * k
        top = by + length + 2.5 * s * k
        self.ax.add_patch(Rectangle((bx, by), bw, bh, facecolor="white", edgecolor="none",
                                    alpha=0.85, zorder=20))
        base, notch = top - length, top - 0.72 * length
        self.ax.add_patch(Polygon([(cx, top), (cx - half, base), (cx, notch)], closed=True,
                                  facecolor="black", edgecolor="black", lw=0.6, zorder=21))
        self.ax.add_patch(Polygon([(cx, top), (cx + half, base), (cx, notch)], closed=True,
                                  facecolor="white", edgecolor="black", lw=0.6, zorder=21))
        self.ax.text(cx, top + 1.0 * s * k, self.words("north"), ha="center", va="bottom",
                     fontproperties=self.font(self.style.heading, bold=True), zorder=22)

    def place_labels(self, xy: np.ndarray, texts: Sequence[str], *, size: float | None = None,
                     colour: str = "black", bold: bool = False, obstacle_mm: float = 2.0,
                     zorder: float = 30) -> list[Text]:
        """Label points, each on the first side (NE, SE, NW, SW, E, W, N, S) where its
        text overlaps neither an earlier label, another labelled point, the scale bar nor
        the north arrow and stays in the frame (the NE side when none is free).

        Parameters
        ----------
        xy
            Point coordinates (n, 2), CRS units.
        texts
            One label per point.
        size
            Font size, pt (default: the style's map label size).
        colour
            Text colour.
        bold
            Bold labels.
        obstacle_mm
            Half-size of the square kept clear round every point, mm.
        zorder
            Drawing order.
        """
        size = size or self.style.label
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        self.keep_clear(xy)
        frame = self.ax.get_window_extent(self._renderer)
        to_px = self.ax.transData.transform
        half = obstacle_mm / MM_PER_INCH * self.fig.dpi
        points = to_px(xy) if len(xy) else np.empty((0, 2))
        taken = [Bbox.from_extents(px - half, py - half, px + half, py + half)
                 for px, py in points]
        furniture = self._furniture_bboxes()
        d = obstacle_mm / MM_PER_INCH * PT_PER_INCH + 0.5
        sides = ((d, d, "left", "bottom"), (d, -d, "left", "top"), (-d, d, "right", "bottom"),
                 (-d, -d, "right", "top"), (1.3 * d, 0, "left", "center"),
                 (-1.3 * d, 0, "right", "center"), (0, 1.3 * d, "center", "bottom"),
                 (0, -1.3 * d, "center", "top"))
        out = []
        for i, ((x, y), text) in enumerate(zip(xy, texts)):
            font = self.font(size, bold=bold, text=str(text))
            others = taken[:i] + taken[i + 1:] + furniture
            chosen = None
            for dx, dy, ha, va in sides:
                t = self.ax.annotate(str(text), (x, y), xytext=(dx, dy),
                                     textcoords="offset points", ha=ha, va=va,
                                     fontproperties=font, color=colour, zorder=zorder,
                                     path_effects=self._halo(), annotation_clip=False)
                bb = t.get_window_extent(self._renderer)
                inside = (bb.x0 >= frame.x0 and bb.x1 <= frame.x1 and bb.y0 >= frame.y0
                          and bb.y1 <= frame.y1)
                if inside and not any(bb.overlaps(o) for o in others):
                    chosen = (t, bb)
                    break
                t.remove()
            if chosen is None:
                dx, dy, ha, va = sides[0]
                t = self.ax.annotate(str(text), (x, y), xytext=(dx, dy),
                                     textcoords="offset points", ha=ha, va=va,
                                     fontproperties=font, color=colour, zorder=zorder,
                                     path_effects=self._halo(), annotation_clip=False)
                chosen = (t, t.get_window_extent(self._renderer))
            out.append(chosen[0])
            taken.append(chosen[1])
        return out

    def add_image(self, image: np.ndarray, grid: Grid, *, zorder: float, **kw) -> None:
        """Draw an image (RGBA, or values with ``cmap``/``vmin``/``vmax`` in ``kw``) over
        the cells of ``grid``; cells are drawn as they are, not resampled (a PDF holds
        them at their own resolution)."""
        xmin, ymin, xmax, ymax = grid.bounds
        self.ax.imshow(image, extent=(xmin, xmax, ymin, ymax), origin="upper",
                       interpolation="none", zorder=zorder, **kw)

    def add_contour(self, grid: Grid, level: float, colour: str, width: float) -> bool:
        """Draw the contour of ``grid`` at ``level`` (NaN as 0); whether any cell passes
        it."""
        if not np.nanmax(grid.values, initial=0.0) > level:
            return False
        xmin, _, _, ymax = grid.bounds
        ny, nx = grid.shape
        xs = xmin + (np.arange(nx) + 0.5) * grid.dx
        ys = ymax - (np.arange(ny) + 0.5) * grid.dy
        self.ax.contour(xs, ys, np.nan_to_num(grid.values, nan=0.0), levels=[level],
                        colors=colour, linewidths=width, zorder=3)
        return True

    # ---- output ---------------------------------------------------------------------

    def pixel_size(self, dpi: int) -> tuple[int, int]:
        """Width and height of a PNG of the sheet at ``dpi``, pixels (the paper at that
        resolution, rounded)."""
        return (round(self.width_mm / MM_PER_INCH * dpi),
                round(self.height_mm / MM_PER_INCH * dpi))

    def save(self, path: str | PathLike[str], *, dpi: int = 200) -> Path:
        """Write the sheet (PNG or PDF by the suffix), atomically.

        A PNG is exactly :meth:`pixel_size` pixels; a PDF page is the paper in points,
        its fonts embedded as TrueType (Type 42) subsets.

        Parameters
        ----------
        path
            The file to write.
        dpi
            Resolution of a PNG (and of images inside a PDF).
        """
        path = Path(path)
        fmt = path.suffix.lstrip(".").lower()
        if fmt not in FORMATS:
            raise InputError(f"cannot write a map sheet as {fmt!r}; formats: "
                             f"{', '.join(FORMATS)}.", path=path)
        w_in, h_in = self.width_mm / MM_PER_INCH, self.height_mm / MM_PER_INCH
        if fmt == "png":   # whole pixels: matplotlib truncates width × dpi
            w_px, h_px = self.pixel_size(dpi)
            self.fig.set_size_inches((w_px + 0.25) / dpi, (h_px + 0.25) / dpi)
            meta = {"Title": self.title, "Software": "floodrisk"}
        else:
            meta = {"Title": self.title, "Creator": "floodrisk"}
        try:
            with rc_context({"pdf.fonttype": 42, "ps.fonttype": 42}):
                atomic_write(path, lambda tmp: self.fig.savefig(tmp, dpi=dpi, format=fmt,
                                                                 metadata=meta))
        finally:
            self.fig.set_size_inches(w_in, h_in)
        return path


# ---- bases and layers --------------------------------------------------------------------

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


def grey_hillshade(rgb: np.ndarray) -> np.ndarray:
    """A light grey version of a hillshade, to carry coloured results."""
    grey = rgb[..., :3].mean(axis=2, keepdims=True)
    return np.concatenate([np.repeat(0.55 + 0.45 * grey, 3, axis=2), rgb[..., 3:]], axis=2)


def layer_xy(frame: pd.DataFrame) -> np.ndarray:
    """Coordinates (n, 2) of the points of a layer (representative points of polygons)."""
    geom = frame.geometry
    if len(geom) and not (geom.geom_type == "Point").all():
        geom = geom.representative_point()
    return np.column_stack([geom.x.to_numpy(), geom.y.to_numpy()]) if len(geom) else \
        np.empty((0, 2))


def pipe_sizes(pipes: pd.DataFrame, conduits: pd.DataFrame | None = None) -> np.ndarray:
    """Diameter (circular) or height of each pipe, m; NaN where unknown. Taken from the
    pipes' own columns, else from ``conduits`` by ``link_id``."""
    src = pipes
    if "shape" not in pipes and conduits is not None and "link_id" in pipes:
        src = conduits.set_index("link_id").reindex(pipes["link_id"].to_numpy())
    if "shape" not in src:
        return np.full(len(pipes), np.nan)
    size = np.where(src["shape"].to_numpy() == "circular", src["diameter"].to_numpy(dtype=float),
                    src["height"].to_numpy(dtype=float))
    return np.asarray(size, dtype=float)


# ---- the map sheets of a finished run ---------------------------------------------------

#: The map sheets of a run, by file name: the label key of their title.
SHEETS: dict[str, str] = {"risk": "risk_map", "max_depth": "depth_map",
                          "pipe_capacity": "capacity_map", "underground": "underground_map",
                          "lowest_return_period": "lowest_rp_map"}

#: Risk and hazard-grade class numbers → label keys.
_RISK_KEYS = {0: "none", 1: "low", 2: "medium", 3: "high"}
_CAPACITY_KEYS = {"< 1 a": "ms_cap_lt_1", "1-2 a": "ms_cap_1_2", "2-3 a": "ms_cap_2_3",
                  "3-5 a": "ms_cap_3_5", "≥ 5 a": "ms_cap_ge_5", "unknown": "ms_cap_unknown"}
_UNDERGROUND_KEYS = ("flooded", "at risk", "safe")
_NO_RISK_BUILDING = ("#e3e3e3", "#a0a0a0")        # face, edge
_POINT_STYLE = dict(marker="o", s=16, c="white", edgecolors="#252525", linewidths=0.8)
_OUTLINE = "#67000d"


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.0f}"


def _hm2(m2: float) -> str:
    return f"{m2 / 1e4:.2f} hm²"


def _base(record: RunRecord) -> np.ndarray | None:
    """The grey hillshade of the run's DEM, or None when the run has no elevation.tif."""
    dem = record.grids.get("elevation")
    return None if dem is None else grey_hillshade(hillshade_rgb(dem))


def _extent(record: RunRecord) -> tuple[float, float, float, float]:
    """The map's extent: the DEM's, else another grid's, else the layers' (2 % margin)."""
    for name in ("elevation", *record.grids):
        if name in record.grids:
            return record.grids[name].bounds
    boxes = [f.total_bounds for f in record.layers.values()
             if isinstance(f, gpd.GeoDataFrame) and len(f) and f.geometry.notna().any()]
    if not boxes:
        raise RunFolderError("has neither grids nor map layers to draw.", path=record.path)
    b = np.array(boxes)
    xmin, ymin, xmax, ymax = b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()
    pad = 0.02 * max(xmax - xmin, ymax - ymin, 1.0)
    return xmin - pad, ymin - pad, xmax + pad, ymax + pad


def _scenario_lines(sheet: Sheet, record: RunRecord) -> list[str]:
    """Scenario, design storm and failed stations, in the sheet's language."""
    w, c = sheet.words, sheet.colon
    scen = record.config.get("scenario") or {}
    storm = record.storm
    summary_storm = record.summary.get("storm") or {}
    storm_name = storm.name if storm is not None else summary_storm.get("name")
    lines = [f"{w('scenario')}{c}{scen.get('name') or storm_name or '-'}"]
    if storm is not None:
        lines.append(f"{w('storm')}{c}{storm.total_depth_mm:.1f} mm, "
                     f"{storm.duration_s / 60:g} min, {w('ms_peak')} {storm.peak_mm_h:.1f} mm/h")
    elif summary_storm:
        lines.append(f"{w('storm')}{c}{summary_storm.get('total_depth_mm', float('nan')):.1f} mm, "
                     f"{w('ms_peak')} {summary_storm.get('peak_mm_h', float('nan')):.1f} mm/h")
    failed = scen.get("failed_stations") or {}
    imposed = [w("ms_at_time").format(name=k, t=_minutes(float(t)))
               for k, t in sorted(failed.items())]
    lines.append(f"{w('ms_failed_set')}{c}{', '.join(imposed) if imposed else w('none')}")
    stations = record.layer("assessment/pump_stations")
    if stations is not None and "failed" in stations:
        down = stations[stations["failed"].astype(bool)]
        names = []
        for _, s in down.iterrows():
            name = f"{s['station_id']} {s.get('name', '')}".strip()
            name = name if sheet.can_draw(name) else str(s["station_id"])
            t = s.get("failure_time")
            names.append(w("ms_at_time").format(name=name, t=_minutes(float(t)))
                         if t is not None and np.isfinite(float(t)) else name)
        lines.append(f"{w('ms_failed_run')}{c}{', '.join(names) if names else w('none')}")
    return lines


def _footer(sheet: Sheet, record: RunRecord) -> None:
    w, c = sheet.words, sheet.colon
    crs = record.crs
    crs_text = "-"
    if crs is not None:
        epsg = crs.to_epsg()
        crs_text = f"{crs.name}" + (f" (EPSG:{epsg})" if epsg else "")
    dem = record.grids.get("elevation")
    finished = record.finished
    try:
        finished = dt.datetime.fromisoformat(finished).strftime("%Y-%m-%d %H:%M %z")
    except ValueError:
        pass
    sheet.add_footer([
        f"{w('ms_coordinates')}{c}{crs_text}, m; {w('ms_grid_north')}",
        w("ms_scale_on").format(n=f"{sheet.scale_denominator:,.0f}", paper=sheet.paper),
        f"{w('data')}{c}{record.sources() or '-'}"
        + (f"; DEM {dem.dx:g} m" if dem is not None else f"; {w('ms_no_dem')}"),
        f"{w('ms_run_finished')}{c}{finished} ({record.run_id})",
        f"{w('drawn')}{c}{dt.date.today():%Y-%m-%d}, {w('by')}"])


def _start(name: str, record: RunRecord, paper: str, lang: str,
           base: np.ndarray | None) -> Sheet:
    sheet = Sheet(paper, _extent(record), crs=record.crs, lang=lang)
    dem = record.grids.get("elevation")
    if dem is not None:
        sheet.add_image(_base(record) if base is None else base, dem, zorder=0)
    sheet.add_title(sheet.words(SHEETS[name]), record.name if sheet.can_draw(record.name) else "")
    sheet.add_block(_scenario_lines(sheet, record))
    return sheet


def _class_image(values: np.ndarray, colours: dict, alpha: float) -> np.ndarray:
    """RGBA image of class values: each class of ``colours`` in its colour, the rest clear."""
    rgba = np.zeros(values.shape + (4,))
    for k, colour in colours.items():
        rgba[values == k] = (*to_rgb(colour), alpha)
    return rgba


def _points(sheet: Sheet, record: RunRecord) -> None:
    """Waterlogging points, marked and labelled with their id, and their legend."""
    pts = record.layer("assessment/waterlogging_points")
    if pts is None or not len(pts):
        return
    xy = layer_xy(pts)
    sheet.ax.scatter(xy[:, 0], xy[:, 1], zorder=25, **_POINT_STYLE)
    sheet.place_labels(xy, [str(p) for p in pts["point_id"]], bold=True, colour="#08306b")
    sheet.add_legend(sheet.words("waterlogging_points"), [
        Line2D([], [], ls="", marker="o", markerfacecolor="white", markeredgecolor="#252525",
               markersize=5, label=sheet.words("ms_points_n").format(n=len(pts)))])


def _risk(sheet: Sheet, record: RunRecord) -> None:
    w, c, st = sheet.words, sheet.colon, sheet.style
    risk = record.grid("risk")
    values = risk.values
    sheet.add_image(_class_image(values, RISK_COLOURS, 0.75), risk, zorder=2)
    handles = []
    for k in sorted(RISK_COLOURS, reverse=True):
        n = int(np.sum(values == k))
        if n:
            handles.append(Patch(facecolor=RISK_COLOURS[k], alpha=0.75, edgecolor="none",
                                 label=f"{w(_RISK_KEYS[k])}{c}{_hm2(n * risk.cell_area)}"))
    sheet.add_legend(w("ms_risk_grid"), handles)
    buildings = record.layer("assessment/buildings_risk")
    if buildings is not None and len(buildings):
        classes = buildings["risk"].fillna(0).astype(int).to_numpy()
        handles = []
        for k in sorted(set(classes.tolist()), reverse=True):
            sel = classes == k
            face, edge = (RISK_COLOURS[k], "#252525") if k in RISK_COLOURS else _NO_RISK_BUILDING
            buildings[sel].plot(ax=sheet.ax, facecolor=face, edgecolor=edge,
                                linewidth=0.3 * st.line, zorder=4, aspect=None)
            handles.append(Patch(facecolor=face, edgecolor=edge,
                                 label=f"{w(_RISK_KEYS.get(k, 'none'))}{c}{int(sel.sum())}"))
        sheet.add_legend(w("ms_risk_buildings"), handles)
    _points(sheet, record)
    sheet.add_block([w("ms_risk_note"), w("ms_thresholds")])


def _depth_legend(sheet: Sheet, depth: Grid, alpha: float) -> list[Patch]:
    classes = depth_classes(depth.values)
    names = depth_class_labels()
    c = sheet.colon
    out = []
    for k, (colour, name) in enumerate(zip(DEPTH_COLOURS, names), start=1):
        n = int(np.sum(classes == k))
        if n:
            out.append(Patch(facecolor=colour, alpha=alpha, edgecolor="none",
                             label=f"{name}{c}{_hm2(n * depth.cell_area)}"))
    return out


def _max_depth(sheet: Sheet, record: RunRecord) -> None:
    w, st = sheet.words, sheet.style
    depth = record.grid("max_depth")
    colours = dict(enumerate(DEPTH_COLOURS, start=1))
    sheet.add_image(_class_image(depth_classes(depth.values), colours, 0.9), depth,
                zorder=2)
    sheet.add_legend(w("ms_depth_legend"), _depth_legend(sheet, depth, 0.9))
    threshold = record.threshold
    if sheet.add_contour(depth, threshold, _OUTLINE, 0.8 * st.line):
        sheet.add_legend(w("ms_outline_title"), [
            Line2D([], [], color=_OUTLINE, lw=1.2 * st.line,
                   label=w("ms_outline").format(d=f"{threshold:g}"))])
    _points(sheet, record)
    sheet.add_block([w("ms_depth_note").format(d=f"{DEPTH_EDGES[0]:g}")])


def _lowest_return_period(sheet: Sheet, record: RunRecord) -> None:
    w, c = sheet.words, sheet.colon
    low = record.grid("lowest_return_period")
    values = low.values
    periods = return_periods(record, low)
    colours = return_period_colours(periods)
    sheet.add_image(_class_image(values, colours, 0.85), low, zorder=2)
    handles = []
    for p in periods:
        n = int(np.sum(values == p))
        handles.append(Patch(facecolor=colours[p], alpha=0.85, edgecolor="none",
                             label=f"{p:g} a{c}{_hm2(n * low.cell_area)}"))
    sheet.add_legend(w("ms_lowest_rp_legend").format(d=f"{record.threshold:g}"), handles)
    pts = record.layer("assessment/waterlogging_points")
    if pts is not None and len(pts) and "lowest_return_period" in pts.columns:
        xy = layer_xy(pts)
        sheet.ax.scatter(xy[:, 0], xy[:, 1], zorder=25, **_POINT_STYLE)
        sheet.place_labels(xy, [f"{pid} ({p:g} a)" if p == p else str(pid) for pid, p in
                                zip(pts["point_id"], pts["lowest_return_period"])],
                           bold=True, colour="#08306b")
    sheet.add_block([w("ms_lowest_rp_note")])


def _pipe_capacity(sheet: Sheet, record: RunRecord) -> None:
    w, c, st = sheet.words, sheet.colon, sheet.style
    pipes = record.layer("assessment/pipe_capacity")
    if pipes is None:
        pipes = record.layer("screening/pipe_capacity")
    size = pipe_sizes(pipes, record.layer("study/conduits"))
    known = np.isfinite(size)
    fill = float(np.nanmedian(size)) if known.any() else 0.5
    size = np.where(known, size, fill)

    def width(s: np.ndarray | float) -> np.ndarray | float:
        return (0.9 + 1.2 * np.clip(s, 0.0, 3.0)) * st.line

    cls = pipes["capacity_class"].fillna("unknown").astype(str).to_numpy()
    length = pipes.geometry.length.to_numpy()
    handles = []            # drawn best first, so that the worst pipes lie on top
    for name, colour in reversed(CAPACITY_COLOURS.items()):
        sel = cls == name
        if not sel.any():
            continue
        pipes[sel].plot(ax=sheet.ax, color=colour, linewidth=width(size[sel]), zorder=3,
                        aspect=None)
        handles.append(Line2D([], [], color=colour, lw=3 * st.line,
                              label=f"{w(_CAPACITY_KEYS[name])}{c}{int(sel.sum())}, "
                                    f"{length[sel].sum() / 1000:.2f} km"))
    sheet.add_legend(w("ms_capacity_legend"), handles[::-1])
    if known.any():
        samples = sorted({round(float(v), 1) for v in
                          (np.nanmin(size[known]), np.nanmedian(size[known]),
                           np.nanmax(size[known]))})
        sheet.add_legend(w("ms_pipe_size"), [
            Line2D([], [], color="#525252", lw=width(s), label=f"{s:g} m") for s in samples])
    settings = (record.config.get("capacity") or {}).get("settings") or {}
    formula = (record.summary.get("capacity") or {}).get("formula")
    lines = []
    if formula:
        lines.append(f"{w('ms_design')}{c}{formula}")
    elif "design_return_period" in settings:
        lines.append(w("ms_design_period").format(p=f"{settings['design_return_period']:g}"))
    lines.append(w("ms_capacity_note"))
    sheet.add_block(lines)


def _underground(sheet: Sheet, record: RunRecord) -> None:
    w, c, st = sheet.words, sheet.colon, sheet.style
    depth = record.grids.get("max_depth")
    if depth is not None:
        colours = dict(enumerate(DEPTH_COLOURS, start=1))
        sheet.add_image(_class_image(depth_classes(depth.values), colours, 0.35), depth,
                    zorder=1)
    spaces = record.layer("assessment/underground_spaces")
    entrances = record.layer("assessment/underground_exposure")
    handles = []
    if spaces is not None and len(spaces):
        for name in _UNDERGROUND_KEYS:
            sel = (spaces["class"] == name).to_numpy()
            if sel.any():
                colour = UNDERGROUND_COLOURS[name]
                spaces[sel].plot(ax=sheet.ax, facecolor=colour, edgecolor="#252525", alpha=0.7,
                                 linewidth=0.6 * st.line, zorder=3, aspect=None)
                handles.append(Patch(facecolor=colour, alpha=0.7, edgecolor="#252525",
                                     label=f"{w(name)}{c}{int(sel.sum())}"))
    sheet.add_legend(w("ms_spaces_legend"), handles)
    handles = []
    if spaces is not None and len(spaces):
        sheet.keep_clear(layer_xy(spaces))
    if entrances is not None and len(entrances):
        xy = layer_xy(entrances)
        sheet.keep_clear(xy)
        for name in _UNDERGROUND_KEYS:
            sel = (entrances["class"] == name).to_numpy()
            if sel.any():
                colour = UNDERGROUND_COLOURS[name]
                sheet.ax.scatter(xy[sel, 0], xy[sel, 1], marker="^", s=40 * st.line ** 2,
                                 c=colour, edgecolors="black", linewidths=0.6, zorder=26)
                handles.append(Line2D([], [], ls="", marker="^", markerfacecolor=colour,
                                      markeredgecolor="black", markersize=7,
                                      label=f"{w(name)}{c}{int(sel.sum())}"))
        shown = (entrances["class"] != "safe").to_numpy()
        texts = [_entrance_text(sheet, e) for _, e in entrances[shown].iterrows()]
        sheet.place_labels(xy[shown], texts)
    sheet.add_legend(w("ms_entrances_legend"), handles)
    if depth is not None:
        sheet.add_legend(w("max_depth"), [
            Patch(facecolor=DEPTH_COLOURS[2], alpha=0.35, edgecolor="none",
                  label=w("ms_faint_depth").format(d=f"{DEPTH_EDGES[0]:g}"))])
    if spaces is not None and len(spaces):
        lines = [_space_line(sheet, s) for _, s in spaces.iterrows() if s["class"] != "safe"]
        sheet.add_block(lines or [w("none")], heading=w("ms_spaces_at_risk"))
    sheet.add_block([w("ms_underground_note"), w("ms_thresholds")])


def _finite(v: object) -> bool:
    try:
        return v is not None and bool(np.isfinite(float(v)))
    except (TypeError, ValueError):
        return False


def _entrance_text(sheet: Sheet, e: pd.Series) -> str:
    w = sheet.words
    lines = [str(e["entrance_id"])]
    if _finite(e.get("first_inflow_time")):
        lines.append(w("ms_inflow_at").format(t=_minutes(float(e["first_inflow_time"]))))
    if _finite(e.get("time_at_risk")):
        lines.append(_barrier(w, float(e["time_at_risk"])))
    return "\n".join(lines)


def _barrier(w: Callable[[str], str], seconds: float) -> str:
    """The barrier deadline: before the rain where the water needs no time to come (an
    entrance without a sill)."""
    return w("ms_barrier_before") if seconds <= 0 else w("ms_barrier_by").format(
        t=_minutes(seconds))


def _space_line(sheet: Sheet, s: pd.Series) -> str:
    w = sheet.words
    name = f"{s['space_id']} {s.get('name') or ''}".strip()
    name = name if sheet.can_draw(name) else str(s["space_id"])
    kind = str(s.get("kind") or "")
    try:
        kind = w(kind)
    except InputError:
        pass
    parts = [f"{name} ({kind}){sheet.colon}{w(str(s['class']))}"]
    if _finite(s.get("lead_time")):
        parts.append(w("ms_lead_time").format(t=_minutes(float(s["lead_time"]))))
    if _finite(s.get("time_at_risk")):
        parts.append(_barrier(w, float(s["time_at_risk"])))
    return ", ".join(parts)


_DRAW: dict[str, Callable[[Sheet, RunRecord], None]] = {
    "risk": _risk, "max_depth": _max_depth, "pipe_capacity": _pipe_capacity,
    "underground": _underground, "lowest_return_period": _lowest_return_period}


def available_sheets(record: RunRecord) -> tuple[str, ...]:
    """The sheets of :data:`SHEETS` the run has the data for."""
    have = {
        "risk": "risk" in record.grids,
        "max_depth": "max_depth" in record.grids,
        "pipe_capacity": record.layer("assessment/pipe_capacity") is not None
        or record.layer("screening/pipe_capacity") is not None,
        "underground": record.layer("assessment/underground_spaces") is not None
        or record.layer("assessment/underground_exposure") is not None,
        "lowest_return_period": "lowest_return_period" in record.grids}
    return tuple(n for n in SHEETS if have[n])


def build_sheet(name: str, record: RunRecord, *, paper: str = "A4", lang: str = "en",
                base: np.ndarray | None = None) -> Sheet:
    """One map sheet of a run, drawn but not saved.

    Parameters
    ----------
    name
        A sheet of :data:`SHEETS`: "risk", "max_depth", "pipe_capacity", "underground".
    record
        The finished run.
    paper
        "A4" or "A3".
    lang
        "en" or "zh".
    base
        The grey hillshade RGBA image of the run's DEM (made when None; pass it to draw
        several sheets of one run faster).

    Raises
    ------
    InputError
        Unknown sheet, paper or language.
    RunFolderError
        The run has the data of no sheet at all (neither grids nor map layers), or
        lacks the grid the sheet shows.
    FloodRiskError
        ``lang="zh"`` and no CJK font is installed.
    """
    if name not in SHEETS:
        raise InputError(f"unknown map sheet {name!r}; sheets: {', '.join(SHEETS)}.",
                         field="name")
    sheet = _start(name, record, paper, lang, base)
    _DRAW[name](sheet, record)
    sheet.finish_frame()
    _footer(sheet, record)
    if sheet.overflows:
        _log.warning("map sheet %s (%s, %s): the panel's text runs into its footer", name,
                     paper, lang)
    return sheet


def draw_sheets(record: RunRecord, out_dir: str | PathLike[str], *, lang: str = "en",
                papers: Sequence[str] = ("A3", "A4"), formats: Sequence[str] = ("png", "pdf"),
                dpi: int = 200, names: Sequence[str] | None = None) -> list[Path]:
    """Draw the map sheets of a finished run: ``<out_dir>/maps/<name>_<paper>.<fmt>``.

    Every sheet has a grey hillshade of the run's DEM as its base (a run without
    ``elevation.tif`` is drawn on white, the footer says so), a legend of the classes it
    shows, a scale bar, north arrow, coordinates of the study's CRS, title, scenario
    (storm, failed stations), the run's and today's date and the data sources.

    Parameters
    ----------
    record
        The finished run (:func:`floodrisk.io.run_record.read_run`).
    out_dir
        The folder to write ``maps/`` into (usually the run folder).
    lang
        "en" or "zh": words of the sheets.
    papers
        Papers of :data:`~floodrisk.report.sheets.PAPERS` ("A3", "A4"; landscape).
    formats
        File formats: "png", "pdf".
    dpi
        Resolution of PNGs (and of images in PDFs).
    names
        Sheets to draw (default: every sheet of :data:`SHEETS` the run has data for;
        those without are skipped with a log message).

    Returns
    -------
    list of Path
        The files written, sheet by sheet, paper by paper, format by format.

    Raises
    ------
    InputError
        Unknown sheet, paper, format or language.
    RunFolderError
        The run has none of the data a sheet named in ``names`` shows.
    FloodRiskError
        ``lang="zh"`` and no CJK font is installed (names the package to install).
    """
    for p in papers:
        if p not in PAPERS:
            raise InputError(f"unknown paper {p!r}; known: {', '.join(PAPERS)}.", field="papers")
    for f in formats:
        if f not in FORMATS:
            raise InputError(f"unknown map format {f!r}; known: {', '.join(FORMATS)}.",
                             field="formats")
    if lang == "zh":
        require_cjk_font()
    have = available_sheets(record)
    if names is None:
        for n in SHEETS:
            if n not in have:
                _log.info("no %s map sheet: the run has no data for it", n)
        todo = list(have)
    else:
        todo = list(names)
        for n in todo:
            if n not in SHEETS:
                raise InputError(f"unknown map sheet {n!r}; sheets: {', '.join(SHEETS)}.",
                                 field="names")
            if n not in have:
                raise RunFolderError(f"has no data for the {n} map sheet.", path=record.path,
                                     hint="Run the assessment stage (a coupled or surface run) "
                                          "first.")
    base = _base(record)
    folder = Path(out_dir) / "maps"
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in todo:
        for paper in papers:
            sheet = build_sheet(name, record, paper=paper, lang=lang, base=base)
            for fmt in formats:
                written.append(sheet.save(folder / f"{name}_{paper}.{fmt}", dpi=dpi))
            sheet.fig.clear()
    return written
