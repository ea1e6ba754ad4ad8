"""The GIS outputs of a run: Cloud-Optimized GeoTIFFs and a styled GeoPackage.

:func:`write_gis` turns a finished run (a :class:`~floodrisk.io.run_record.RunRecord`)
into the publication set of its grids and layers:

* ``rasters/<name>.tif``: a Cloud-Optimized GeoTIFF of each result grid the run holds
  (:data:`COG_GRIDS`). Float grids stay float32 with NaN nodata; class grids (hazard
  classes, risk, the lowest return period that floods) become bytes with nodata 255, an
  embedded colour table and the class names in the band metadata, so that they open
  coloured in QGIS or any GDAL-based viewer.
* ``assessment.gpkg``: the run's own GeoPackage, with a QGIS style per layer stored in
  its ``layer_styles`` table (:mod:`floodrisk.report.styles`), so that every layer
  opens styled. The file is rewritten atomically.

Names, units and descriptions come from :mod:`floodrisk.variables`, words from
:mod:`floodrisk.report.labels`, colours from :mod:`floodrisk.report.colours`.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Sequence
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio

from ..errors import InputError
from ..grid import Grid
from ..io.files import atomic_write
from ..io.gpkg_styles import STYLE_TABLE, write_layer_styles
from ..io.raster import write_cog
from ..io.run_record import RunRecord
from ..variables import VARIABLES
from . import colours as C
from .labels import label
from .styles import geometry_kind, layer_style, style_description

__all__ = ["COG_GRIDS", "CLASS_GRIDS", "grid_classes", "return_periods", "write_gis"]

log = logging.getLogger(__name__)

#: Grids published as COGs, in this order (those the run has).
COG_GRIDS = ("max_depth", "max_velocity", "first_wet_time", "duration_over", "hazard_rating",
             "hazard_defra", "hazard_arr", "hazard_grade", "risk", "lowest_return_period")

#: Grids written as classes (bytes with a colour table).
CLASS_GRIDS = ("hazard_defra", "hazard_arr", "hazard_grade", "risk", "lowest_return_period")

#: Columns of ``node_flooding`` that may hold the volume spilled onto the street (m³),
#: in order of preference.
_VOLUME_COLUMNS = ("spilled_m3", "flood_volume", "spilled_volume", "volume")

_DEFAULT_DEPTH_EDGES = (0.15, 0.30, 0.50)
_DEFAULT_ARR_LIMITS = 5


def _hazard_settings(record: RunRecord) -> dict[str, Any]:
    """The run's ``[assessment.hazard]`` settings as recorded in its manifest."""
    a = record.config.get("assessment") or {}
    settings = a.get("settings") or a
    return dict(settings.get("hazard") or {})


def _period_text(period: float) -> str:
    return f"{period:g} a"


def grid_classes(name: str, *, lang: str = "en", arr_limits: int = _DEFAULT_ARR_LIMITS,
                 periods: Sequence[float] = ()) -> dict[int, tuple[str, str]]:
    """Class value → (name, colour) of a class grid.

    Parameters
    ----------
    name
        One of :data:`CLASS_GRIDS`.
    lang
        Language of the class names.
    arr_limits
        Number of limit rows of the ARR table (classes H1 ... H(n+1)).
    periods
        For ``lowest_return_period``: the return periods run, years, increasing; class k
        is the k-th (:func:`return_periods`).
    """
    none = label("none", lang)
    if name == "hazard_defra":
        keys = ("defra_none", "defra_low", "defra_moderate", "defra_significant",
                "defra_extreme")
        return {k: (label(key, lang), C.DEFRA_COLOURS.get(k, C.NONE_COLOUR))
                for k, key in enumerate(keys)}
    if name == "hazard_arr":
        n = arr_limits + 1
        stops = [C.ARR_COLOURS[k] for k in sorted(C.ARR_COLOURS)]
        colours = stops[:n] if n <= len(stops) else C.spread(stops, n)
        return {0: (none, C.NONE_COLOUR)} | {k: (f"H{k}", colours[k - 1])
                                            for k in range(1, n + 1)}
    if name in ("hazard_grade", "risk"):
        table = C.GRADE_COLOURS if name == "hazard_grade" else C.RISK_COLOURS
        return {k: (label(key, lang), table.get(k, C.NONE_COLOUR))
                for k, key in enumerate(("none", "low", "medium", "high"))}
    if name == "lowest_return_period":
        colours = C.spread(C.RETURN_PERIOD_COLOURS, len(periods))
        return {k: (_period_text(p), colours[k]) for k, p in enumerate(periods)}
    raise InputError(f"{name!r} is not a class grid; class grids are "
                     + ", ".join(CLASS_GRIDS) + ".", field="name")


def return_periods(record: RunRecord, grid: Grid) -> list[float]:
    """The return periods of a run's ``lowest_return_period`` classes, years, increasing:
    those its storm config ran (``return_period`` and ``return_periods``) and any other the
    grid holds, so that class k means the same period in every run of one config."""
    storm = record.config.get("storm") or {}
    configured = [storm.get("return_period"), *(storm.get("return_periods") or ())]
    v = grid.values[np.isfinite(grid.values)]
    periods = sorted({float(p) for p in configured if p is not None}
                     | {float(p) for p in np.unique(v)})
    if any(p <= 0 for p in periods):
        raise InputError(f"lowest_return_period holds return periods ≤ 0 a "
                         f"({', '.join(f'{p:g}' for p in periods if p <= 0)}).",
                         path=record.path / "lowest_return_period.tif",
                         hint="Return periods are years > 0; NaN where no run floods.")
    if len(periods) > 254:
        raise InputError(f"lowest_return_period holds {len(periods)} return periods; at "
                         "most 254 fit a class grid.",
                         path=record.path / "lowest_return_period.tif")
    return periods


def _as_period_index(grid: Grid, periods: Sequence[float]) -> Grid:
    """Years → index of the period in ``periods`` (NaN stays NaN)."""
    v = grid.values
    out = np.full(v.shape, np.nan)
    ok = np.isfinite(v)
    out[ok] = np.searchsorted(np.asarray(periods), v[ok])
    return Grid(out, grid.transform, grid.crs)


def _grid_text(name: str, lang: str) -> tuple[str, str]:
    """Description and unit of a grid (variables.py; labels.py for one it lacks)."""
    var = VARIABLES.get(("grid", name))
    if var is None:
        return label(name, lang), ""
    return var.description, var.unit


def _write_rasters(record: RunRecord, folder: Path, lang: str) -> list[Path]:
    names = [n for n in COG_GRIDS if n in record.grids]
    if not names:
        return []
    folder.mkdir(parents=True, exist_ok=True)
    arr_limits = len(_hazard_settings(record).get("arr_limits") or
                     [None] * _DEFAULT_ARR_LIMITS)
    written = []
    for name in names:
        grid = record.grids[name]
        description, unit = _grid_text(name, lang)
        classes = None
        if name in CLASS_GRIDS:
            periods = return_periods(record, grid) if name == "lowest_return_period" else []
            classes = grid_classes(name, lang=lang, arr_limits=arr_limits, periods=periods)
            if name == "lowest_return_period":
                grid = _as_period_index(grid, periods)
                listed = ", ".join(f"{k} = {_period_text(p)}" for k, p in enumerate(periods))
                description = f"{description} (classes: {listed or 'none'})"
                unit = ""
        path = write_cog(grid, folder / f"{name}.tif", description=description,
                         units=unit or None, classes=classes)
        log.info("%s: %d × %d COG", path.name, grid.shape[1], grid.shape[0])
        written.append(path)
    return written


def _layer_info(gpkg: Path) -> dict[str, tuple[str, list[str]]]:
    """Feature layer → (geometry kind, columns) of a GeoPackage."""
    out = {}
    for name, geometry_type in pyogrio.list_layers(gpkg):
        kind = geometry_kind(geometry_type)
        if name == STYLE_TABLE or kind is None:
            continue
        out[str(name)] = (kind, list(pyogrio.read_info(gpkg, layer=name)["fields"]))
    return out


def _style_gpkg(record: RunRecord, out_dir: Path, lang: str) -> Path | None:
    target = out_dir / "assessment.gpkg"
    source = target if target.is_file() else record.path / "assessment.gpkg"
    if not source.is_file():
        log.info("the run has no assessment.gpkg: no layer styles written")
        return None
    edges = tuple(float(e) for e in
                  (_hazard_settings(record).get("cn_depth_edges") or _DEFAULT_DEPTH_EDGES))
    info = _layer_info(source)
    styles, descriptions = {}, {}
    for layer, (kind, columns) in info.items():
        volume = next((c for c in _VOLUME_COLUMNS if c in columns), _VOLUME_COLUMNS[0])
        styles[layer] = layer_style(layer, kind, columns, lang=lang, depth_edges=edges,
                                    volume_column=volume)
        descriptions[layer] = style_description(layer, lang)

    def write(tmp: Path) -> None:
        shutil.copyfile(source, tmp)
        write_layer_styles(tmp, styles, descriptions=descriptions)

    atomic_write(target, write)
    log.info("%s: QGIS styles stored for %s", target.name, ", ".join(styles))
    return target


def write_gis(record: RunRecord, out_dir: str | PathLike[str], *,
              lang: str = "en") -> list[Path]:
    """Write the GIS outputs of a run: COGs of its grids and the styled GeoPackage.

    Parameters
    ----------
    record
        The finished run (:func:`floodrisk.io.run_record.read_run`).
    out_dir
        Folder to write into, normally the run folder itself: ``out_dir/rasters/<name>.tif``
        for each grid of :data:`COG_GRIDS` the run has, and ``out_dir/assessment.gpkg``
        (the run's own file, or a copy of it when ``out_dir`` is elsewhere) with a QGIS
        style stored for each of its layers.
    lang
        Language of class names and legend labels (``"en"`` or ``"zh"``).

    Returns
    -------
    list of Path
        The files written.
    """
    out_dir = Path(out_dir)
    label("none", lang)   # refuse an unknown language before writing anything
    out_dir.mkdir(parents=True, exist_ok=True)
    written = _write_rasters(record, out_dir / "rasters", lang)
    gpkg = _style_gpkg(record, out_dir, lang)
    if gpkg is not None:
        written.append(gpkg)
    return written
