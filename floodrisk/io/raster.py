"""Read DEMs and write grids with rasterio (GDAL).

A DEM comes in as a :class:`~floodrisk.grid.Grid` in a projected CRS with NaN for
nodata, optionally reprojected, clipped to an area of interest and resampled to a
coarser cell.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from os import PathLike
from pathlib import Path

import geopandas as gpd
import numpy as np
import rasterio
import rasterio.features
import rasterio.warp
import shapely
from affine import Affine
from pyproj import CRS
from rasterio.enums import Resampling

from ..errors import CRSError, InputError, InputFileError
from ..grid import Grid
from .files import atomic_write

__all__ = ["read_dem", "write_cog", "write_geotiff"]

log = logging.getLogger(__name__)


def _crs_of(src: rasterio.io.DatasetReader) -> CRS | None:
    return CRS.from_wkt(src.crs.to_wkt()) if src.crs is not None else None


def raster_crs(path: str | PathLike[str], crs: str | CRS | None = None) -> CRS | None:
    """The CRS of a raster file without reading its cells (``crs`` when it has none).

    Parameters
    ----------
    path
        The raster.
    crs
        What to assume when the file carries no CRS.
    """
    try:
        with rasterio.open(path) as src:
            found = _crs_of(src)
    except rasterio.errors.RasterioIOError as exc:
        raise InputFileError(f"cannot be read as a raster ({exc}).", path=path) from exc
    return found or (CRS.from_user_input(crs) if crs is not None else None)


def read_dem(
    path: str | PathLike[str],
    *,
    crs: str | CRS | None = None,
    target_crs: str | CRS | None = None,
    aoi: shapely.Geometry | gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    cell_size: float | None = None,
    notes: list[str] | None = None,
) -> Grid:
    """Read a DEM (GeoTIFF, ESRI ASCII grid, or anything GDAL reads) as a Grid.

    Parameters
    ----------
    path
        Raster file; band 1 is the ground elevation in metres.
    crs
        CRS to assume when the file carries none (an ``.asc`` without ``.prj``).
    target_crs
        Reproject to this projected CRS (bilinear). Required for a geographic DEM,
        whose degree-sized cells would make slopes and areas wrong.
    aoi
        Area of interest: cells whose centres are outside become NaN and the grid is
        cropped to its bounds. A GeoDataFrame/GeoSeries with a CRS is reprojected; a
        bare shapely geometry must be in the DEM's (target) CRS.
    cell_size
        Resample to this coarser cell size (m) by averaging the valid fine cells.
    notes
        List to which the loader appends what it changed, for the run manifest.

    Returns
    -------
    Grid
        Elevations (float32 unless the file is float64) with NaN for nodata.
    """
    path = Path(path)
    notes = notes if notes is not None else []
    if not path.exists():
        raise InputFileError("DEM file not found.", path=path)
    try:
        src = rasterio.open(path)
    except rasterio.errors.RasterioIOError as exc:
        raise InputFileError(f"cannot be read as a raster ({exc}).", path=path,
                             hint="Give a GeoTIFF or ESRI ASCII grid.") from exc
    with src:
        file_crs = _crs_of(src)
        if file_crs is None:
            if crs is None:
                raise CRSError("the DEM has no CRS.", path=path,
                               hint="Pass crs='EPSG:…' (the CRS the DEM is in), or add a .prj.")
            file_crs = CRS.from_user_input(crs)
            notes.append(f"{path.name}: no CRS in the file; using {file_crs.to_string()} as given")
        dtype = np.float64 if src.dtypes[0] == "float64" else np.float32
        values = src.read(1, masked=True).astype(dtype).filled(np.nan)
        transform = src.transform
        if src.transform.b != 0 or src.transform.d != 0:
            raise InputError("the DEM grid is rotated.", path=path,
                             hint="Warp it to a north-up grid first (gdalwarp).")
        if transform.e > 0:  # south-up: flip to north-up
            values = values[::-1]
            transform = Affine(transform.a, 0, transform.c, 0, -transform.e,
                               transform.f + transform.e * values.shape[0])

    if not np.isfinite(values).any():
        raise InputError("every cell is nodata.", path=path, layer="band 1",
                         hint="Check the nodata value and that this is the right file.")
    if target_crs is not None:
        target = CRS.from_user_input(target_crs)
        if not target.is_projected:
            raise CRSError(f"target CRS {target.name} is geographic.", path=path,
                           hint="Give a projected CRS in metres, e.g. 'EPSG:4547'.")
        if not target.equals(file_crs):
            values, transform = _reproject(values, transform, file_crs, target, cell_size)
            notes.append(f"{path.name}: reprojected from {file_crs.to_string()} to "
                         f"{target.to_string()} (bilinear), cell {transform.a:g} m")
            file_crs = target
    elif file_crs.is_geographic:
        raise CRSError(
            f"the DEM is in a geographic CRS ({file_crs.name}); cells in degrees make slopes, "
            "areas and flow wrong.", path=path,
            hint="Pass target_crs='EPSG:…' (a projected CRS in metres) to reproject it, or "
                 "reproject the file first.")
    if abs(abs(transform.a) - abs(transform.e)) > 1e-6 * abs(transform.a) and cell_size is None:
        raise InputError(f"cells are not square ({transform.a:g} × {-transform.e:g}).",
                         path=path, hint="Pass cell_size=… to resample to square cells.")
    grid = Grid(values, transform, file_crs)
    if aoi is not None:
        if isinstance(aoi, (gpd.GeoDataFrame, gpd.GeoSeries)):
            if aoi.crs is not None:
                aoi = aoi.to_crs(file_crs)
            aoi = aoi.union_all()
        grid = _clip(grid, aoi, path)
        notes.append(f"{path.name}: clipped to the area of interest, {grid.shape[0]}×{grid.shape[1]} cells")
    if cell_size is not None and not (math.isclose(cell_size, grid.dx)
                                      and math.isclose(grid.dx, grid.dy)):
        grid = _resample(grid, float(cell_size), path)
        notes.append(f"{path.name}: resampled to {cell_size:g} m cells (average)")
    if not np.isfinite(grid.values).any():
        raise InputError("no valid cell remains after clipping.", path=path,
                         hint="Check that the area of interest overlaps the DEM.")
    return grid


def _reproject(values: np.ndarray, transform: Affine, src_crs: CRS, dst_crs: CRS,
               cell_size: float | None) -> tuple[np.ndarray, Affine]:
    rows, cols = values.shape
    left, top = transform.c, transform.f
    right, bottom = left + cols * transform.a, top + rows * transform.e
    dst_transform, w, h = rasterio.warp.calculate_default_transform(
        src_crs.to_wkt(), dst_crs.to_wkt(), cols, rows, left=left, bottom=bottom, right=right,
        top=top, resolution=cell_size)
    if cell_size is None:  # square cells of the mean size
        res = math.sqrt(abs(dst_transform.a * dst_transform.e))
        dst_transform, w, h = rasterio.warp.calculate_default_transform(
            src_crs.to_wkt(), dst_crs.to_wkt(), cols, rows, left=left, bottom=bottom,
            right=right, top=top, resolution=res)
    out = np.full((h, w), np.nan, dtype=values.dtype)
    rasterio.warp.reproject(values, out, src_transform=transform, src_crs=src_crs.to_wkt(),
                            dst_transform=dst_transform, dst_crs=dst_crs.to_wkt(),
                            src_nodata=np.nan, dst_nodata=np.nan, resampling=Resampling.bilinear)
    return out, dst_transform


def _clip(grid: Grid, aoi: shapely.Geometry, path: Path) -> Grid:
    try:
        return grid.clip(aoi)
    except ValueError:
        raise InputError("the area of interest does not overlap the DEM.", path=path,
                         hint=f"DEM bounds {grid.bounds}; area of interest bounds {aoi.bounds}. "
                              "Check both are in the same CRS.") from None


def _resample(grid: Grid, cell_size: float, path: Path) -> Grid:
    if cell_size < max(grid.dx, grid.dy) * (1 - 1e-9):
        raise InputError(f"cell_size {cell_size:g} m is finer than the DEM's {grid.dx:g} m.",
                         path=path, hint="Resampling only coarsens; give a larger cell size.")
    x0, y0, x1, y1 = grid.bounds
    cols = max(1, int(round((x1 - x0) / cell_size)))
    rows = max(1, int(round((y1 - y0) / cell_size)))
    transform = Affine(cell_size, 0, x0, 0, -cell_size, y1)
    out = np.full((rows, cols), np.nan, dtype=grid.values.dtype)
    rasterio.warp.reproject(np.ascontiguousarray(grid.values), out, src_transform=grid.transform,
                            src_crs=grid.crs.to_wkt(), dst_transform=transform,
                            dst_crs=grid.crs.to_wkt(), src_nodata=np.nan, dst_nodata=np.nan,
                            resampling=Resampling.average)
    return Grid(out, transform, grid.crs)


def write_geotiff(grid: Grid, path: str | PathLike[str], *, description: str | None = None,
                  units: str | None = None) -> Path:
    """Write a grid as a tiled, DEFLATE-compressed float GeoTIFF with NaN nodata.

    Parameters
    ----------
    grid
        The grid to write.
    path
        File to create.
    description
        Band description (what the values are).
    units
        Band unit, e.g. ``"m"``.

    Returns
    -------
    Path
        The file written.
    """
    path = Path(path)
    rows, cols = grid.shape
    tiled = rows >= 256 and cols >= 256
    profile = dict(driver="GTiff", width=cols, height=rows, count=1, dtype=grid.values.dtype.name,
                   crs=grid.crs.to_wkt() if grid.crs is not None else None,
                   transform=grid.transform, nodata=np.nan, compress="deflate", predictor=3,
                   tiled=tiled)
    if tiled:
        profile.update(blockxsize=256, blockysize=256)
    with rasterio.Env(GDAL_PAM_ENABLED="NO"):
        with rasterio.open(path, "w", **profile) as dst:
            dst.write(grid.values, 1)
            if description:
                dst.set_band_description(1, description)
            if units:
                dst.update_tags(1, units=units)
                dst.set_band_unit(1, units)
    return path


#: Nodata of class grids written as bytes (class values 0-254).
CLASS_NODATA = 255


def write_cog(grid: Grid, path: str | PathLike[str], *, description: str | None = None,
              units: str | None = None,
              classes: Mapping[int, tuple[str, str]] | None = None) -> Path:
    """Write a grid as a Cloud-Optimized GeoTIFF (GDAL's COG driver).

    DEFLATE-compressed 512 × 512 tiles, internal overviews (halving until they fit one
    tile) and embedded band statistics, in one self-contained file (no ``.aux.xml``).

    Parameters
    ----------
    grid
        The grid to write.
    path
        File to create (replaced if it exists).
    description
        Band description (what the values are).
    units
        Band unit, e.g. ``"m"``.
    classes
        For a class grid: class value → (name, colour ``"#rrggbb"``). The grid is then
        written as bytes with nodata 255 for NaN cells, a colour table holding the
        classes' colours and the class names as band metadata ``CLASS_<value>=<name>``;
        overviews take the nearest cell. Without it the grid is written as float32 with
        NaN nodata and averaged overviews.

    Returns
    -------
    Path
        The file written (under a temporary name first, renamed into place when whole).

    Raises
    ------
    InputError
        A class grid holds a value that is not one of ``classes``, or a class value is
        outside 0-254.
    """
    path = Path(path)
    rows, cols = grid.shape
    profile: dict = dict(driver="COG", width=cols, height=rows, count=1,
                         crs=grid.crs.to_wkt() if grid.crs is not None else None,
                         transform=grid.transform, compress="deflate", blocksize=512,
                         statistics="YES")
    tags: dict[str, str] = {}
    if classes is None:
        values = np.asarray(grid.values, dtype=np.float32)
        profile.update(dtype="float32", nodata=np.nan, predictor="YES",
                       overview_resampling="average")
    else:
        values = _class_bytes(grid.values, classes, path)
        profile.update(dtype="uint8", nodata=CLASS_NODATA, overview_resampling="nearest")
        tags = {f"CLASS_{int(k)}": str(name) for k, (name, _) in sorted(classes.items())}
    colormap = None if classes is None else \
        {int(k): (*_hex_rgb(colour, path), 255) for k, (_, colour) in classes.items()}
    if units:
        tags["units"] = units

    def write(target: Path) -> None:
        with rasterio.Env(GDAL_PAM_ENABLED="NO"):
            with rasterio.open(target, "w", **profile) as dst:
                dst.write(values, 1)
                if colormap is not None:
                    dst.write_colormap(1, colormap)
                if description:
                    dst.set_band_description(1, description)
                if units:
                    dst.set_band_unit(1, units)
                if tags:
                    dst.update_tags(1, **tags)

    return atomic_write(path, write)


def _class_bytes(values: np.ndarray, classes: Mapping[int, tuple[str, str]],
                 path: Path) -> np.ndarray:
    """Class values as uint8, NaN → :data:`CLASS_NODATA`; refuses values not in classes."""
    keys = np.array(sorted(int(k) for k in classes), dtype=np.int64)
    if len(keys) == 0 or keys.min() < 0 or keys.max() >= CLASS_NODATA:
        raise InputError(f"class values must be 0-{CLASS_NODATA - 1}, got {keys.tolist()}.",
                         path=path, layer="band 1")
    v = np.asarray(values, dtype=np.float64)
    valid = ~np.isnan(v)
    bad = valid & ~np.isin(v, keys.astype(np.float64))
    if bad.any():
        shown = ", ".join(f"{x:g}" for x in np.unique(v[bad])[:8])
        raise InputError(f"cells hold values that are not classes: {shown}.", path=path,
                         layer="band 1",
                         hint="Classes are " + ", ".join(str(k) for k in keys) + ".")
    out = np.full(v.shape, CLASS_NODATA, dtype=np.uint8)
    out[valid] = v[valid].astype(np.uint8)
    return out


def _hex_rgb(colour: str, path: Path) -> tuple[int, int, int]:
    c = str(colour).lstrip("#")
    try:
        if len(c) != 6:
            raise ValueError
        return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)
    except ValueError:
        raise InputError(f"class colour {colour!r} is not '#rrggbb'.", path=path,
                         layer="band 1") from None
