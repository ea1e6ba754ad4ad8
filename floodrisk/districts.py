"""Drainage districts (排水分区): a city cut into parts that are simulated on their own.

A district is a polygon with the grid edges that water may leave it through. Its study is
the city's study cut to the polygon (:func:`clip_study`): the DEM cropped to the
polygon's bounds with the cells outside it NaN (walls), the network's nodes inside it and
the links between them, and the assets inside it. A drainage district has its own
outfalls, so no pipe should cross its edge: :func:`clip_study` reports the links it had
to cut (their flow is lost), and the season says so in its summary.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .errors import InputError
from .study import Assets, Study

__all__ = ["District", "clip_study"]

_SIDES = ("north", "south", "east", "west")


@dataclass(frozen=True)
class District:
    """One drainage district.

    Parameters
    ----------
    district_id
        Its id (letters, digits, ``-`` and ``_``: it names folders).
    polygon
        Its outline, in the study's CRS.
    name
        Its name.
    boundaries
        The surface model's grid edges for this district: ``"closed"`` (walls: water
        stays in), ``"open"`` (water leaves at normal flow), or a mapping such as
        ``{"east": "open"}`` (sides not named are closed). The grid is the polygon's
        bounding box; cells outside the polygon are walls whatever this says.
    """

    district_id: str
    polygon: Any
    name: str = ""
    boundaries: str | Mapping[str, str] = field(default="closed")

    def __post_init__(self) -> None:
        did = str(self.district_id)
        if not did or not all(ch.isalnum() or ch in "-_" for ch in did):
            raise InputError(f"district id {did!r} must be letters, digits, '-' or '_'.",
                             layer="districts", field="district_id", feature=did)
        object.__setattr__(self, "district_id", did)
        g = self.polygon
        if g is None or g.is_empty or g.geom_type not in ("Polygon", "MultiPolygon"):
            raise InputError("a district needs a polygon.", layer="districts",
                             field="geometry", feature=did)
        b = self.boundaries
        if isinstance(b, str):
            ok = b in ("open", "closed")
        else:
            b = dict(b)
            ok = set(b) <= set(_SIDES) and set(b.values()) <= {"open", "closed"}
            object.__setattr__(self, "boundaries", b)
        if not ok:
            raise InputError(f"boundaries of district {did} must be 'open', 'closed' or "
                             f"{{side = 'open' | 'closed'}} with sides {', '.join(_SIDES)}, "
                             f"got {self.boundaries!r}.", layer="districts",
                             field="boundaries", feature=did)


def _inside(frame: gpd.GeoDataFrame | None, polygon: Any, how: str) -> gpd.GeoDataFrame | None:
    """Rows of a layer inside the polygon: points ``within``, lines and polygons
    ``intersects`` (clipped to it when ``how == "clip"``)."""
    if frame is None or not len(frame) or frame.geometry.isna().all():
        return frame
    geom = frame.geometry
    if how == "within":
        keep = geom.notna() & shapely.covers(polygon, geom.to_numpy())
        return frame[keep]
    keep = geom.notna() & geom.intersects(polygon)
    out = frame[keep]
    if how == "clip" and len(out):
        out = out.copy()
        out.geometry = out.geometry.intersection(polygon)
        out = out[~out.geometry.is_empty]
    return out


def clip_study(study: Study, district: District) -> tuple[Study, list[str]]:
    """The study of one district.

    Parameters
    ----------
    study
        The city's study.
    district
        The district.

    Returns
    -------
    (Study, list of str)
        The district's study and notes on what was cut: links with one end outside
        (their flow is lost at the district's edge), spaces whose entrances lie outside.

    Raises
    ------
    InputError
        When the district does not overlap the DEM or holds no node of the network.
    """
    poly = district.polygon
    notes: list[str] = []
    try:
        terrain = study.terrain.clip(poly)
    except ValueError:
        raise InputError(f"district {district.district_id} does not overlap the DEM.",
                         layer="districts", feature=district.district_id,
                         hint="Check that the districts are in the study's CRS.") from None
    net = study.network
    nodes = _inside(net.nodes, poly, "within")
    if nodes is None or not len(nodes):
        raise InputError(f"district {district.district_id} holds no node of the network.",
                         layer="districts", feature=district.district_id)
    kept = set(nodes["node_id"].astype(str))

    def links(frame: pd.DataFrame | None, kind: str) -> pd.DataFrame | None:
        if frame is None or not len(frame):
            return frame
        a = frame["from_node"].astype(str).isin(kept)
        b = frame["to_node"].astype(str).isin(kept)
        cut = frame[a ^ b]
        if len(cut):
            ids = cut.iloc[:, 0].astype(str).tolist()
            notes.append(f"district {district.district_id}: {len(cut)} {kind} cross its edge "
                         f"and are cut ({', '.join(ids[:5])}{' ...' if len(ids) > 5 else ''})")
        return frame[a & b]

    conduits = links(net.conduits, "conduits")
    pumps = links(net.pumps, "pumps")
    regulators = links(net.regulators, "regulators")
    stations = net.stations
    if stations is not None and len(stations) and pumps is not None:
        stations = stations[stations["station_id"].astype(str).isin(
            set(pumps["station_id"].astype(str)))]
    subcatchments = None
    if net.subcatchments is not None and len(net.subcatchments):
        sub = net.subcatchments
        col = next((c for c in ("outlet", "node_id", "outlet_node") if c in sub.columns), None)
        subcatchments = sub[sub[col].astype(str).isin(kept)] if col else \
            _inside(sub, poly, "intersects")
    network = replace(net, nodes=nodes, conduits=conduits, pumps=pumps, stations=stations,
                      regulators=regulators, subcatchments=subcatchments)

    a = study.assets
    spaces = _inside(a.underground, poly, "intersects")
    entrances = _inside(a.entrances, poly, "within")
    if spaces is not None and entrances is not None and len(spaces):
        have = set(entrances["space_id"].astype(str)) if len(entrances) else set()
        lacking = [s for s in spaces["space_id"].astype(str) if s not in have]
        if lacking:
            notes.append(f"district {district.district_id}: spaces {', '.join(lacking)} have "
                         "no entrance inside it")
        entrances = entrances[entrances["space_id"].astype(str).isin(
            set(spaces["space_id"].astype(str)))]
    assets = Assets(underground=spaces, entrances=entrances,
                    facilities=_inside(a.facilities, poly, "within"),
                    observed=_inside(a.observed, poly, "within"),
                    buildings=_inside(a.buildings, poly, "intersects"),
                    landcover=_inside(a.landcover, poly, "clip"), crs=a.crs, notes=a.notes,
                    roads=_inside(a.roads, poly, "clip"))
    return replace(study, name=f"{study.name} · {district.name or district.district_id}",
                   terrain=terrain, network=network, assets=assets,
                   notes=study.notes + tuple(notes)), notes


def district_mask(terrain_shape: tuple[int, int], transform: Any, polygon: Any) -> np.ndarray:
    """Cells (True) whose centres lie inside the polygon, on a grid of that shape."""
    from rasterio.features import geometry_mask

    return geometry_mask([polygon], out_shape=terrain_shape, transform=transform, invert=True)
