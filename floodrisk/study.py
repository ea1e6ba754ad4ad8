"""The study: every validated input of one city, in one projected CRS."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
from pyproj import CRS

from .grid import Grid
from .network import DrainageNetwork

__all__ = ["Assets", "Study", "InputFile"]


@dataclass(frozen=True, eq=False)
class Assets:
    """Underground spaces and what else the assessment looks at, validated.

    Every attribute is a GeoDataFrame on the canonical schema (empty when the data
    has no such layer).

    Parameters
    ----------
    underground
        Underground spaces with floor_elev, floor_area and critical_elev filled in.
    entrances
        Entrances with space_id, sill_height and width filled in; ``ground_elev`` and
        ``sill_elev`` (m) are added when a DEM was given.
    facilities
        Critical facilities with equipment_elev.
    observed
        Waterlogging points observed in past events.
    buildings
        Building footprints.
    landcover
        Land-cover polygons with roughness and imperviousness.
    crs
        The CRS of every layer.
    notes
        What the loader filled in or changed.
    roads
        Road centrelines (None or empty: the data has none).
    """

    underground: gpd.GeoDataFrame
    entrances: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    observed: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame
    landcover: gpd.GeoDataFrame
    crs: CRS | None
    notes: tuple[str, ...] = field(default=())
    roads: gpd.GeoDataFrame | None = None

    def layers(self) -> dict[str, gpd.GeoDataFrame]:
        """The layers by canonical name."""
        out = {"underground": self.underground, "entrances": self.entrances,
               "facilities": self.facilities, "observed": self.observed,
               "buildings": self.buildings, "landcover": self.landcover}
        if self.roads is not None:
            out["roads"] = self.roads
        return out

    def __repr__(self) -> str:
        parts = ", ".join(f"{len(v)} {k}" for k, v in self.layers().items() if len(v))
        return f"Assets({parts or 'empty'})"


@dataclass(frozen=True)
class InputFile:
    """One input file as read: path, size and SHA-256, for the run manifest."""

    role: str
    path: Path
    sha256: str
    size: int


@dataclass(frozen=True, eq=False)
class Study:
    """Everything known about one city, validated and in one CRS.

    Parameters
    ----------
    name
        Study name.
    terrain
        Ground elevation, m.
    network
        The drainage network.
    assets
        Underground spaces, facilities, observed points, buildings, land cover.
    inputs
        The files read, with hashes.
    notes
        What the loaders filled in or changed (DEM, network, assets).
    """

    name: str
    terrain: Grid
    network: DrainageNetwork
    assets: Assets
    inputs: tuple[InputFile, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def crs(self) -> CRS | None:
        """The study CRS (the terrain's)."""
        return self.terrain.crs
