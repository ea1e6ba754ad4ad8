"""The drainage network value and its hydraulics on arrays.

:class:`DrainageNetwork` holds the validated layers (see :mod:`floodrisk.schema`).
Pipe hydraulics follow DOMAIN.md §3: Manning full-bore capacity
``Q_full = (1/n)·A·R^(2/3)·S^(1/2)``, which for a circular pipe is
``(0.3117/n)·D^(8/3)·S^(1/2)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

__all__ = ["DrainageNetwork", "section_full", "full_flow_capacity", "conduit_slopes",
           "conduit_hydraulics"]


@dataclass(frozen=True, eq=False)
class DrainageNetwork:
    """Validated drainage network layers in one projected CRS (SI units).

    Parameters
    ----------
    nodes
        ``nodes`` layer (node_id, kind, invert_elev, rim_elev, max_depth, ...).
    conduits
        ``conduits`` layer with from_node/to_node resolved, ends snapped onto their nodes,
        length and offsets filled in.
    pumps
        ``pumps`` table (may be empty).
    stations
        ``stations`` layer (may be empty).
    subcatchments
        ``subcatchments`` layer, or None when the data has none.
    crs
        The CRS of every layer.
    notes
        What the loader filled in or changed, one line each.
    """

    nodes: gpd.GeoDataFrame
    conduits: gpd.GeoDataFrame
    pumps: gpd.GeoDataFrame
    stations: gpd.GeoDataFrame
    subcatchments: gpd.GeoDataFrame | None
    crs: CRS | None
    notes: tuple[str, ...] = field(default=())

    def layers(self) -> dict[str, gpd.GeoDataFrame]:
        """The layers by canonical name (empty ones included, subcatchments when present)."""
        out = {"nodes": self.nodes, "conduits": self.conduits, "pumps": self.pumps,
               "stations": self.stations}
        if self.subcatchments is not None:
            out["subcatchments"] = self.subcatchments
        return out

    def __repr__(self) -> str:
        return (f"DrainageNetwork({len(self.nodes)} nodes, {len(self.conduits)} conduits, "
                f"{len(self.pumps)} pumps, {len(self.stations)} stations)")


def section_full(shape: np.ndarray, diameter: np.ndarray, height: np.ndarray,
                 width: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Flow area (m²) and hydraulic radius (m) of full sections.

    Parameters
    ----------
    shape
        ``"circular"`` or ``"rect_closed"`` per conduit.
    diameter
        Diameter of circular sections, m.
    height, width
        Inside height and width of rectangular sections, m.
    """
    shape = np.asarray(shape)
    d = np.asarray(diameter, dtype=np.float64)
    h = np.asarray(height, dtype=np.float64)
    w = np.asarray(width, dtype=np.float64)
    circ = shape == "circular"
    area = np.where(circ, np.pi * d**2 / 4.0, h * w)
    radius = np.where(circ, d / 4.0, h * w / (2.0 * (h + w)))
    return area, radius


def full_flow_capacity(shape: np.ndarray, diameter: np.ndarray, height: np.ndarray,
                       width: np.ndarray, roughness: np.ndarray, slope: np.ndarray) -> np.ndarray:
    """Manning full-bore capacity, m³/s; NaN where the slope is not positive.

    Parameters
    ----------
    shape, diameter, height, width
        Cross-sections, as for :func:`section_full`.
    roughness
        Manning n.
    slope
        Invert slope, m/m (positive downstream).
    """
    area, radius = section_full(shape, diameter, height, width)
    s = np.asarray(slope, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        q = area * radius ** (2.0 / 3.0) * np.sqrt(np.where(s > 0, s, np.nan)) / np.asarray(
            roughness, dtype=np.float64)
    return q


def conduit_slopes(net: DrainageNetwork) -> np.ndarray:
    """Invert slope of each conduit, m/m, from node inverts, offsets and length."""
    inv = net.nodes.set_index("node_id")["invert_elev"]
    c = net.conduits
    up = inv.reindex(c["from_node"]).to_numpy() + c["in_offset"].to_numpy()
    down = inv.reindex(c["to_node"]).to_numpy() + c["out_offset"].to_numpy()
    return (up - down) / c["length"].to_numpy()


def conduit_hydraulics(net: DrainageNetwork) -> pd.DataFrame:
    """Slope, full-bore capacity and full velocity of every conduit.

    Returns
    -------
    DataFrame
        ``link_id``, ``slope`` (m/m), ``full_capacity`` (m³/s, NaN where the slope is not
        positive) and ``full_velocity`` (m/s).
    """
    c = net.conduits
    slope = conduit_slopes(net)
    args = (c["shape"].to_numpy(), c["diameter"].to_numpy(), c["height"].to_numpy(),
            c["width"].to_numpy())
    q = full_flow_capacity(*args, c["roughness"].to_numpy(), slope)
    area, _ = section_full(*args)
    return pd.DataFrame({"link_id": c["link_id"].to_numpy(), "slope": slope, "full_capacity": q,
                         "full_velocity": q / area})
