"""Load a whole study from a config: DEM, network and assets in one CRS, with file hashes."""

from __future__ import annotations

import logging
from os import PathLike
from pathlib import Path

import geopandas as gpd

from ..config import StudyConfig, load_config
from ..errors import InputFileError
from ..grid import Grid
from ..study import Assets, InputFile, Study
from .assets import read_assets
from .network import read_network
from .raster import read_dem
from .runs import sha256_of
from .vector import find_layers, read_layer

__all__ = ["read_study", "study_inputs", "file_record"]

log = logging.getLogger(__name__)


def file_record(role: str, path: Path) -> InputFile:
    """Path, size and SHA-256 of an input file (a Shapefile's side files are not hashed)."""
    return InputFile(role=role, path=path.resolve(), sha256=sha256_of(path),
                     size=path.stat().st_size)


def _files(role: str, path: Path, layers: dict[str, str]) -> list[InputFile]:
    if path.is_dir():
        found = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
    else:
        found = [path]
    found += [Path(v) for v in layers.values() if Path(v).is_file()]
    return [file_record(role, p) for p in dict.fromkeys(found)]


def _read_aoi(path: Path) -> gpd.GeoDataFrame:
    from ..schema import Layer
    src = find_layers(path, (Layer("aoi", "Polygon", ()),))
    df = read_layer(next(iter(src.values()))) if src else None
    if df is None or not len(df) or not df.geometry.notna().any():
        raise InputFileError("area-of-interest file holds no polygon.", path=path)
    return df


def read_study(config: StudyConfig | str | PathLike[str]) -> Study:
    """Load every input a study config names, validated and in one projected CRS.

    Parameters
    ----------
    config
        A :class:`~floodrisk.config.StudyConfig` or the path of its TOML file.

    Returns
    -------
    Study
    """
    cfg = config if isinstance(config, StudyConfig) else load_config(config)
    notes: list[str] = []
    d = cfg.dem
    aoi = _read_aoi(d.aoi) if d.aoi is not None else None
    dem: Grid = read_dem(d.path, crs=d.crs, target_crs=d.target_crs or cfg.crs, aoi=aoi,
                         cell_size=d.cell_size, notes=notes)
    n = cfg.network
    network = read_network(n.path, layers=n.layers, columns=n.columns, dem=dem, crs=n.crs,
                           snap_tolerance=n.snap_tolerance)
    if cfg.assets is not None:
        a = cfg.assets
        assets = read_assets(a.path, layers=a.layers, columns=a.columns, dem=dem, crs=a.crs,
                             defaults=a.defaults)
    else:
        assets = Assets(*(gpd.GeoDataFrame(geometry=[], crs=dem.crs) for _ in range(6)),
                        crs=dem.crs)
    return Study(name=cfg.name, terrain=dem, network=network, assets=assets,
                 inputs=study_inputs(cfg), notes=tuple(notes) + network.notes + assets.notes)


def study_inputs(config: StudyConfig) -> tuple[InputFile, ...]:
    """The files a study config reads, with their sizes and SHA-256 (without reading
    them as data).

    Parameters
    ----------
    config
        The study config.
    """
    d, n = config.dem, config.network
    inputs = _files("dem", d.path, {}) + _files("network", n.path, n.layers)
    if d.aoi is not None:  # it decides which cells are in the study: record it too
        inputs += _files("aoi", d.aoi, {})
    if config.assets is not None:
        inputs += _files("assets", config.assets.path, config.assets.layers)
    return tuple({(f.role, f.path): f for f in inputs}.values())
