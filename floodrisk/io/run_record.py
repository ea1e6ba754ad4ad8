"""Read a finished run folder back: what the reports are made from.

A run folder (:mod:`floodrisk.io.runs`) holds the run's grids as GeoTIFFs, its findings
as GeoPackage layers, its storm, and ``manifest.json`` / ``summary.json``. The reports
(:mod:`floodrisk.report`) never re-run anything: they read the folder through
:func:`read_run` into a :class:`RunRecord` and draw from it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyogrio
import rasterio
from pyproj import CRS

from ..errors import InputFileError, RunFolderError
from ..grid import Grid
from ..rainfall import Hyetograph
from .rainfall import read_hyetograph_csv

__all__ = ["GRID_FILES", "RunRecord", "read_run"]

#: Grids a run may hold at its top level (``<name>.tif``), in the order reports list them.
GRID_FILES = ("elevation", "max_depth", "max_velocity", "time_of_max_depth", "first_wet_time",
              "duration_over", "hazard_rating", "hazard_defra", "hazard_arr", "hazard_grade",
              "risk", "lowest_return_period", "ponded_depth")

#: GeoPackages of a run whose layers a record holds, by file.
_GPKGS = ("assessment", "study", "coupled", "screening", "drainage")


@dataclass(frozen=True, eq=False)
class RunRecord:
    """A finished run, read back from its folder.

    Parameters
    ----------
    path
        The run folder.
    manifest
        ``manifest.json``: inputs, config, versions, timings, ``volume_balance`` and
        ``timings`` of a coupled run, outputs.
    summary
        ``summary.json``: the run's figures.
    grids
        Grid name (:data:`GRID_FILES`) → :class:`~floodrisk.grid.Grid` (NaN nodata) for
        every grid the folder holds.
    layers
        ``"<gpkg stem>/<layer>"`` → GeoDataFrame (a plain DataFrame for tables without
        geometry) for every layer of the run's GeoPackages, e.g.
        ``"assessment/waterlogging_points"``, ``"study/conduits"``.
    storm
        The design storm (``storm.csv``), or None.
    """

    path: Path
    manifest: dict[str, Any]
    summary: dict[str, Any]
    grids: dict[str, Grid] = field(default_factory=dict)
    layers: dict[str, pd.DataFrame] = field(default_factory=dict)
    storm: Hyetograph | None = None

    @property
    def name(self) -> str:
        """The study's name."""
        return str(self.manifest.get("study") or self.path.name)

    @property
    def run_id(self) -> str:
        """The run folder's name (its final name, also while the run is being written)."""
        return str(self.manifest.get("run") or self.path.name)

    @property
    def crs(self) -> CRS | None:
        """The study's CRS."""
        crs = self.manifest.get("crs")
        return CRS.from_user_input(crs) if crs else None

    @property
    def finished(self) -> str:
        """When the run finished (ISO 8601, local time with offset; its start while it
        is still being written)."""
        return str(self.manifest.get("finished") or self.manifest.get("started", ""))

    @property
    def config(self) -> dict[str, Any]:
        """The study config the run was made with (as in the manifest)."""
        return dict(self.manifest.get("config") or {})

    @property
    def threshold(self) -> float:
        """The waterlogging depth threshold of the run, m."""
        a = self.config.get("assessment") or {}
        wl = a.get("waterlogging") or {}
        return float(wl.get("threshold", 0.15))

    def grid(self, name: str) -> Grid:
        """A grid of the run; a clear error when the run has none of that name."""
        try:
            return self.grids[name]
        except KeyError:
            raise RunFolderError(f"the run has no {name}.tif.", path=self.path) from None

    def layer(self, key: str) -> pd.DataFrame | None:
        """A layer (``"assessment/pump_stations"``), or None when the run has none."""
        return self.layers.get(key)

    def sources(self) -> str:
        """The names of the input files, for map footers."""
        names = sorted({Path(str(f.get("path", ""))).name
                        for f in self.manifest.get("inputs", []) if f.get("path")})
        return ", ".join(names)


def _read_grid(path: Path) -> Grid:
    with rasterio.open(path) as src:
        values = src.read(1)
        if values.dtype.kind == "f":
            if src.nodata is not None and not np.isnan(src.nodata):
                values = np.where(values == src.nodata, np.nan, values)
        crs = CRS.from_wkt(src.crs.to_wkt()) if src.crs is not None else None
        return Grid(values, src.transform, crs)


def _read_manifest(path: Path) -> dict[str, Any]:
    manifest_path = path / "manifest.json"
    if not manifest_path.is_file():
        raise InputFileError("is not a finished run: it has no manifest.json.", path=path,
                             hint="Give a folder written by floodrisk run or floodrisk demo "
                                  "(an unfinished run is removed when it fails).")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputFileError(f"manifest.json cannot be read ({exc}).", path=manifest_path) \
            from exc
    if manifest.get("status") != "complete":
        raise InputFileError("manifest.json does not say the run is complete.",
                             path=manifest_path)
    return manifest


def read_run(path: str | PathLike[str], *, manifest: dict[str, Any] | None = None) -> RunRecord:
    """Read a finished run folder.

    Parameters
    ----------
    path
        A folder written by ``floodrisk run`` / ``floodrisk demo`` (it holds
        ``manifest.json`` with status "complete").
    manifest
        The manifest of a run still being written (its folder has no ``manifest.json``
        yet): the reports drawn at the end of a run read the files written so far.

    Returns
    -------
    RunRecord

    Raises
    ------
    InputFileError
        When the folder or its manifest is missing or unreadable, or the run did not
        finish.
    """
    path = Path(path)
    if not path.is_dir():
        raise InputFileError("run folder not found.", path=path,
                             hint="Give a folder written by floodrisk run or floodrisk demo.")
    if manifest is None:
        manifest = _read_manifest(path)
    summary_path = path / "summary.json"
    summary = (json.loads(summary_path.read_text(encoding="utf-8"))
               if summary_path.is_file() else dict(manifest.get("summary") or {}))
    grids = {name: _read_grid(path / f"{name}.tif") for name in GRID_FILES
             if (path / f"{name}.tif").is_file()}
    layers: dict[str, pd.DataFrame] = {}
    for stem in _GPKGS:
        gpkg = path / f"{stem}.gpkg"
        if not gpkg.is_file():
            continue
        for name, geom_type in pyogrio.list_layers(gpkg):
            if name == "layer_styles":
                continue
            frame = pyogrio.read_dataframe(gpkg, layer=name) if geom_type else \
                pd.DataFrame(pyogrio.read_dataframe(gpkg, layer=name, read_geometry=False))
            layers[f"{stem}/{name}"] = frame
    storm = None
    if (path / "storm.csv").is_file():
        name = (summary.get("storm") or {}).get("name")
        storm = read_hyetograph_csv(path / "storm.csv", name=name)
    return RunRecord(path=path, manifest=manifest, summary=summary, grids=grids,
                     layers=layers, storm=storm)
