"""DEM loading: formats, nodata, CRS handling, reprojection, clipping, resampling, bad files.

Expected values come from the tiny city's plane (see conftest): cell (r, c) holds
32.125 − 0.5 c − 0.25 r.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
from affine import Affine
from pyproj import CRS
from shapely.geometry import box

import floodrisk
from floodrisk.errors import CRSError, FloodRiskError, InputError, InputFileError
from floodrisk.io.raster import read_dem

from conftest import CELL, COLS, ROWS, X0, Y0, YTOP, plane_values


def _asc_text(values: np.ndarray, nodata: float = -9999.0) -> str:
    head = (f"ncols {values.shape[1]}\nnrows {values.shape[0]}\nxllcorner {X0:.1f}\n"
            f"yllcorner {Y0:.1f}\ncellsize {CELL:g}\nNODATA_value {nodata:g}\n")
    body = "\n".join(" ".join(f"{v:g}" for v in row) for row in values)
    return head + body + "\n"


# ---- good input -------------------------------------------------------------------------
def test_geotiff_plane(dem_tif, city):
    grid = read_dem(dem_tif)
    assert grid.shape == (10, 20)
    assert grid.crs.to_epsg() == 4547
    assert tuple(grid.transform)[:6] == (10, 0, 500000, 0, -10, 2500100)
    assert grid.values.dtype == np.float32
    # Spot checks by hand: z[r, c] = 32.125 - 0.5 c - 0.25 r
    assert grid.values[0, 0] == 32.125
    assert grid.values[5, 8] == 32.125 - 4.0 - 1.25 == 26.875
    assert grid.values[9, 19] == 32.125 - 9.5 - 2.25 == 20.375
    r, c = np.mgrid[0:10, 0:20]
    np.testing.assert_array_equal(grid.values, 32.125 - 0.5 * c - 0.25 * r)
    # sampling a point reads its cell: the cell centre of (5, 8) is (500085, 2500045)
    assert grid.sample(500085.0, 2500045.0) == 26.875
    assert city.plane(500085.0, 2500045.0) == 26.875


def test_nodata_becomes_nan_and_is_counted(city):
    values = plane_values()
    holes = [(0, 0), (0, 19), (4, 7), (4, 8), (9, 0), (9, 19), (6, 3)]
    for r, c in holes:
        values[r, c] = -9999.0
    grid = read_dem(city.dem(values=values, nodata=-9999.0))
    assert int(np.isnan(grid.values).sum()) == 7
    assert all(np.isnan(grid.values[r, c]) for r, c in holes)
    # the -9999s do not leak through: the lowest valid cell is (8, 19), (9, 19) being a hole
    assert np.nanmin(grid.values) == 32.125 - 9.5 - 2.0
    assert grid.values[4, 6] == 32.125 - 3.0 - 1.0


def test_esri_ascii_with_crs_argument(tmp_path):
    values = plane_values().astype(np.float64)
    values[2, 3] = values[7, 11] = values[7, 12] = -9999.0
    asc = tmp_path / "dem.asc"
    asc.write_text(_asc_text(values))
    notes: list[str] = []
    grid = read_dem(asc, crs="EPSG:4547", notes=notes)
    assert grid.crs.to_epsg() == 4547
    assert tuple(grid.transform)[:6] == (10, 0, 500000, 0, -10, 2500100)
    assert int(np.isnan(grid.values).sum()) == 3
    assert np.isnan(grid.values[7, 12])
    assert grid.values[2, 4] == 32.125 - 2.0 - 0.5
    assert any("dem.asc" in n and "EPSG:4547" in n for n in notes)


def test_esri_ascii_with_prj(tmp_path):
    asc = tmp_path / "dem.asc"
    asc.write_text(_asc_text(plane_values()))
    (tmp_path / "dem.prj").write_text(CRS.from_epsg(4547).to_wkt("WKT1_ESRI"))
    grid = read_dem(asc)  # no crs= needed: the .prj says it
    # an ESRI .prj carries no authority code (and lists easting first, EPSG:4547 northing
    # first): check the projection itself, Gauss-Krüger on 114°E with 500 km false easting
    assert grid.crs.is_projected and grid.crs.to_epsg(min_confidence=20) == 4547
    assert "Gauss-Kruger CM 114E" in grid.crs.name
    conv = {p.name: p.value for p in grid.crs.coordinate_operation.params}
    assert conv["Longitude of natural origin"] == 114
    assert conv["False easting"] == 500000 and conv["Scale factor at natural origin"] == 1
    assert grid.shape == (10, 20)
    assert grid.values[9, 0] == 32.125 - 2.25


def test_crs_argument_assigns_crs_to_a_geotiff_without_one(city):
    path = city.dem("nocrs.tif", crs=None)
    grid = read_dem(path, crs="EPSG:4547")
    assert grid.crs.to_epsg() == 4547
    assert grid.values[3, 3] == 32.125 - 1.5 - 0.75


def _geographic_dem(city):
    # 20 × 20 cells of 0.0005° (~51 m E-W, ~55 m N-S) around 114°E, 22.6°N
    r, c = np.mgrid[0:20, 0:20]
    values = (10 + 0.1 * c + 0.2 * r).astype(np.float32)
    transform = Affine(0.0005, 0, 113.995, 0, -0.0005, 22.605)
    return city.dem("geo.tif", values=values, transform=transform, crs="EPSG:4326"), values


def test_geographic_dem_reprojected_with_target_crs(city):
    path, values = _geographic_dem(city)
    notes: list[str] = []
    grid = read_dem(path, target_crs="EPSG:4547", notes=notes)
    assert grid.crs.to_epsg() == 4547 and grid.crs.is_projected
    assert grid.dx == pytest.approx(grid.dy, rel=1e-9)  # square cells
    assert 45 < grid.dx < 60  # metres, not degrees
    v = grid.values[np.isfinite(grid.values)]
    assert v.size > 0.8 * values.size
    assert v.min() >= values.min() - 1e-4 and v.max() <= values.max() + 1e-4
    # 114°E is the central meridian of EPSG:4547: the grid straddles x = 500000 m
    x0, _, x1, _ = grid.bounds
    assert x0 < 500000 < x1
    assert any("reprojected" in n for n in notes)


def test_aoi_clip(dem_tif):
    # an L: cells rows 2-5 × cols 3-8, plus rows 2-3 × cols 9-11
    aoi = box(X0 + 30, YTOP - 60, X0 + 90, YTOP - 20).union(
        box(X0 + 90, YTOP - 40, X0 + 120, YTOP - 20))
    grid = read_dem(dem_tif, aoi=aoi)
    assert grid.shape == (4, 9)  # rows 2-5, cols 3-11
    assert tuple(grid.transform)[:6] == (10, 0, X0 + 30, 0, -10, YTOP - 20)
    assert int(np.isnan(grid.values).sum()) == 2 * 3  # rows 4-5 × cols 9-11
    assert np.isnan(grid.values[2:, 6:]).all()
    src = read_dem(dem_tif).values
    np.testing.assert_array_equal(grid.values[:, :6], src[2:6, 3:9])
    np.testing.assert_array_equal(grid.values[:2, 6:], src[2:4, 9:12])
    assert grid.values[0, 0] == 32.125 - 1.5 - 0.5


def test_aoi_as_geodataframe(dem_tif):
    aoi = gpd.GeoDataFrame(geometry=[box(X0 + 100, YTOP - 50, X0 + 150, YTOP - 30)],
                           crs="EPSG:4547")
    grid = read_dem(dem_tif, aoi=aoi)
    assert grid.shape == (2, 5)
    assert not np.isnan(grid.values).any()
    assert grid.values[0, 0] == 32.125 - 5.0 - 0.75


def test_cell_size_averages_blocks_of_four(dem_tif):
    grid = read_dem(dem_tif, cell_size=20)
    assert grid.shape == (5, 10)
    assert (grid.dx, grid.dy) == (20, 20)
    assert grid.bounds == (X0, Y0, X0 + 200, YTOP)
    # mean of cells (2R, 2C), (2R, 2C+1), (2R+1, 2C), (2R+1, 2C+1):
    # 32.125 - 0.5 (2C + 0.5) - 0.25 (2R + 0.5) = 31.75 - C - 0.5 R
    R, C = np.mgrid[0:5, 0:10]
    np.testing.assert_allclose(grid.values, 31.75 - C - 0.5 * R, rtol=0, atol=1e-6)
    assert grid.values[0, 0] == pytest.approx((32.125 + 31.625 + 31.875 + 31.375) / 4)
    fine = plane_values()
    assert grid.values[2, 7] == pytest.approx(fine[4:6, 14:16].mean())


def test_south_up_file_is_flipped(city):
    north = read_dem(city.dem())
    south = city.dem("south.tif", values=plane_values()[::-1].copy(),
                     transform=Affine(CELL, 0, X0, 0, CELL, Y0))
    grid = read_dem(south)
    assert grid.transform.e < 0
    assert tuple(grid.transform)[:6] == tuple(north.transform)[:6]
    np.testing.assert_array_equal(grid.values, north.values)


# ---- bad input --------------------------------------------------------------------------
def test_missing_file(tmp_path, names):
    path = tmp_path / "nope.tif"
    with pytest.raises(InputFileError) as e:
        read_dem(path)
    assert isinstance(e.value, OSError)
    names(e.value, path=path)
    assert "not found" in str(e.value)


def test_garbage_file(tmp_path, names):
    path = tmp_path / "dem.tif"
    path.write_bytes(b"\x00\x17not a raster\xff" * 50)
    with pytest.raises(InputFileError) as e:
        read_dem(path)
    names(e.value, path=path)
    assert "cannot be read" in str(e.value)


def test_dem_without_crs(city, names):
    path = city.dem("nocrs.tif", crs=None)
    with pytest.raises(CRSError) as e:
        read_dem(path)
    assert isinstance(e.value, ValueError) and isinstance(e.value, FloodRiskError)
    names(e.value, path=path)
    assert "no CRS" in str(e.value) and "crs=" in str(e.value)


def test_asc_without_prj_or_crs(tmp_path, names):
    asc = tmp_path / "dem.asc"
    asc.write_text(_asc_text(plane_values()))
    with pytest.raises(CRSError) as e:
        read_dem(asc)
    names(e.value, path=asc)


def test_geographic_dem_refused(city, names):
    path, _ = _geographic_dem(city)
    with pytest.raises(CRSError) as e:
        read_dem(path)
    names(e.value, path=path)
    assert "geographic" in str(e.value) and "target_crs" in str(e.value)


def test_geographic_target_refused(dem_tif, names):
    with pytest.raises(CRSError) as e:
        read_dem(dem_tif, target_crs="EPSG:4326")
    names(e.value, path=dem_tif)


def test_all_nodata(city, names):
    path = city.dem("empty.tif", values=np.full((ROWS, COLS), -9999.0, np.float32))
    with pytest.raises(InputError) as e:
        read_dem(path)
    names(e.value, path=path, layer="band 1")
    assert "nodata" in str(e.value)


def test_aoi_outside_the_dem(dem_tif, names):
    with pytest.raises(InputError) as e:
        read_dem(dem_tif, aoi=box(0, 0, 10, 10))
    names(e.value, path=dem_tif)
    assert "overlap" in str(e.value)


def test_finer_cell_size_refused(dem_tif, names):
    with pytest.raises(InputError) as e:
        read_dem(dem_tif, cell_size=5)
    names(e.value, path=dem_tif)


def test_non_square_cells(city, names):
    path = city.dem("rect.tif", transform=Affine(10, 0, X0, 0, -5, YTOP))
    with pytest.raises(InputError) as e:
        read_dem(path)
    names(e.value, path=path)
    assert "square" in str(e.value)


def test_public_alias():
    assert floodrisk.load_dem is read_dem


# ---- validation data: EA 2D benchmark test 8 (Glasgow) ------------------------------------
def _parse_asc(path):
    lines = path.read_text().splitlines()
    header = {}
    for line in lines[:6]:
        key, value = line.split()
        header[key.lower()] = float(value)
    tokens = " ".join(lines[6:]).split()
    return header, tokens


def test_ea_test8_ascii_dem(validation_dir):
    path = validation_dir / "ea-test8-glasgow" / "dem2m.asc"
    header, tokens = _parse_asc(path)
    assert len(tokens) == 201 * 483
    nodata = header["nodata_value"]
    values = np.array([float(t) for t in tokens])
    n_nodata = int((values == nodata).sum())
    good = values[values != nodata]

    notes: list[str] = []
    grid = read_dem(path, crs="EPSG:27700", notes=notes)
    assert grid.shape == (201, 483)
    assert (grid.dx, grid.dy) == (2.0, 2.0)
    assert grid.crs.to_epsg() == 27700
    x0, y0, x1, y1 = grid.bounds
    assert (x0, y0) == (header["xllcorner"], header["yllcorner"])
    assert (x1, y1) == (header["xllcorner"] + 483 * 2, header["yllcorner"] + 201 * 2)
    assert int(np.isnan(grid.values).sum()) == n_nodata == 683
    assert float(np.nanmin(grid.values)) == pytest.approx(good.min(), abs=1e-5)
    assert float(np.nanmax(grid.values)) == pytest.approx(good.max(), abs=1e-5)
    # first row, first values as written in the file
    assert grid.values[0, 0] == pytest.approx(float(tokens[0]), abs=1e-5)
    last = float(tokens[-1])
    if last != nodata:
        assert grid.values[200, 482] == pytest.approx(last, abs=1e-5)
    assert any("EPSG:27700" in n for n in notes)


def test_ea_test8_geotiff_matches_ascii(validation_dir):
    folder = validation_dir / "ea-test8-glasgow"
    asc = read_dem(folder / "dem2m.asc", crs="EPSG:27700")
    tif = read_dem(folder / "dem2m_epsg27700.tif")
    assert tif.crs.to_epsg() == 27700
    assert tif.shape == asc.shape == (201, 483)
    assert tif.transform.almost_equals(asc.transform)
    np.testing.assert_array_equal(tif.values.astype(np.float64), asc.values.astype(np.float64))
    assert math.isclose(tif.dx, 2.0)
