"""Class colours shared by every report product, declared once.

The map sheets (:mod:`floodrisk.report.maps`), the web map
(:mod:`floodrisk.report.webmap`) and the GIS styles give the same class the same colour
from these tables. Colours are ``#rrggbb`` strings; a class that is not drawn (depth
below the first edge, hazard or risk class 0) has no entry.

Extend a table or add one here; keep the keys the values the grids and layers hold
(class numbers of ``hazard_defra.tif`` / ``risk.tif``, ``class`` strings of the
assessment layers).
"""

from __future__ import annotations

import numpy as np

__all__ = ["DEPTH_EDGES", "DEPTH_COLOURS", "DEFRA_COLOURS", "RISK_COLOURS",
           "UNDERGROUND_COLOURS", "STATION_COLOURS", "CAPACITY_COLOURS", "depth_class_labels",
           "hex_to_rgb", "NONE_COLOUR", "ARR_COLOURS", "GRADE_COLOURS",
           "NODE_FLOODING_COLOURS", "RETURN_PERIOD_COLOURS", "depth_classes",
           "return_period_colours", "spread"]

#: Lower edges of the depth classes, m; the last class is open above.
DEPTH_EDGES: tuple[float, ...] = (0.05, 0.15, 0.30, 0.50, 1.0)
#: One colour per depth class of :data:`DEPTH_EDGES` (light to dark blue).
DEPTH_COLOURS: tuple[str, ...] = ("#c6dbef", "#6baed6", "#3182bd", "#08519c", "#08306b")
#: FD2320 hazard classes 1-4 (``hazard_defra.tif``; 0 none is not drawn).
DEFRA_COLOURS: dict[int, str] = {1: "#ffff99", 2: "#fdae61", 3: "#e31a1c", 4: "#7a0177"}
#: Risk classes 1-3 (``risk.tif``, buildings' ``risk``; 0 none is not drawn).
RISK_COLOURS: dict[int, str] = {1: "#fecc5c", 2: "#fd8d3c", 3: "#bd0026"}
#: Underground entrances and spaces by ``class``.
UNDERGROUND_COLOURS: dict[str, str] = {"safe": "#1a9850", "at risk": "#fdae61",
                                       "flooded": "#d7191c"}
#: Pump stations and facilities: working or failed.
STATION_COLOURS: dict[str, str] = {"working": "#1a9850", "failed": "#d7191c"}
#: Pipes by ``capacity_class`` (:data:`floodrisk.capacity.CAPACITY_CLASSES`, the
#: 管网排水能力评估 convention: red below 1 a to blue at ≥ 5 a); grey "unknown" where the
#: capacity could not be worked out (no fall, unknown section).
CAPACITY_COLOURS: dict[str, str] = {"< 1 a": "#d7191c", "1-2 a": "#fdae61", "2-3 a": "#ffffbf",
                                    "3-5 a": "#abd9e9", "≥ 5 a": "#2c7bb6",
                                    "unknown": "#7f7f7f"}
#: Class 0 ("none") where a colour table must hold one (GeoTIFF palettes have no
#: transparency; maps leave the class out).
NONE_COLOUR = "#f0f0f0"
#: ARR 2019 hazard classes H1-H6 (``hazard_arr.tif``; 0 none is not drawn).
ARR_COLOURS: dict[int, str] = {1: "#ffffb2", 2: "#fed976", 3: "#feb24c", 4: "#fd8d3c",
                               5: "#e31a1c", 6: "#800026"}
#: Depth × duration grades 1-3 (``hazard_grade.tif``, buildings' ``hazard_grade``).
GRADE_COLOURS: dict[int, str] = {1: "#fecc5c", 2: "#fd8d3c", 3: "#bd0026"}
#: Manholes that overflowed, by spilled volume, least first (one per volume class).
NODE_FLOODING_COLOURS: tuple[str, ...] = ("#fcbba1", "#fb6a4a", "#cb181d", "#67000d")
#: Lowest return period that floods (``lowest_return_period.tif``), most frequent first:
#: stops of a red-to-blue ramp, spread over however many periods were run.
RETURN_PERIOD_COLOURS: tuple[str, ...] = ("#d7191c", "#fdae61", "#ffffbf", "#abd9e9",
                                          "#2c7bb6")


def depth_classes(depth: np.ndarray) -> np.ndarray:
    """Class number of every depth (m): 0 below the first edge of :data:`DEPTH_EDGES` or
    NaN, k for the k-th class (1-based; a depth on an edge is in the higher class)."""
    d = np.where(np.isfinite(depth), depth, -np.inf)
    return np.searchsorted(np.asarray(DEPTH_EDGES), d, side="right").astype(np.uint8)


def depth_class_labels(unit: str = "m") -> list[str]:
    """Legend labels of the depth classes ("0.05-0.15 m", ..., "≥ 1 m")."""
    e = DEPTH_EDGES
    return [f"{e[k]:g}-{e[k + 1]:g} {unit}" for k in range(len(e) - 1)] + [f"≥ {e[-1]:g} {unit}"]


def spread(stops: tuple[str, ...] | list[str], n: int) -> list[str]:
    """``n`` colours spread evenly along the colour stops (linear in RGB)."""
    if n <= 1:
        return list(stops[:n])
    rgb = [hex_to_rgb(c) for c in stops]
    out = []
    for k in range(n):
        pos = k * (len(rgb) - 1) / (n - 1)
        i = min(int(pos), len(rgb) - 2)
        f = pos - i
        mixed = [round(a + (b - a) * f) for a, b in zip(rgb[i], rgb[i + 1])]
        out.append("#" + "".join(f"{v:02x}" for v in mixed))
    return out


def return_period_colours(periods) -> dict[float, str]:
    """A colour per return period (years), most frequent first, spread over
    :data:`RETURN_PERIOD_COLOURS`."""
    ps = sorted(float(p) for p in periods)
    return dict(zip(ps, spread(RETURN_PERIOD_COLOURS, len(ps))))


def hex_to_rgb(colour: str) -> tuple[int, int, int]:
    """``"#rrggbb"`` → (r, g, b), 0-255."""
    c = colour.lstrip("#")
    if len(c) != 6:
        raise ValueError(f"not a #rrggbb colour: {colour!r}")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)
