"""GIS outputs of the reports (issue 8): Cloud-Optimized GeoTIFFs and the styled GeoPackage,
checked with GDAL's own programs (gdalinfo, gdallocationinfo, ogrinfo from gdal-bin).

The run folder is built here: grids of 520 rows × 600 columns of 5 m cells (one more than
a 512 tile across, so each COG has one overview level of 300 × 260) whose values are
simple functions of row and column, and an assessment.gpkg with a few features whose
classes are known.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import sqlite3
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from affine import Affine
from shapely.geometry import LineString, Point, box

from floodrisk.errors import InputError, InputFileError
from floodrisk.grid import Grid
from floodrisk.io.gpkg_styles import read_layer_styles, write_layer_styles
from floodrisk.io.raster import write_cog, write_geotiff
from floodrisk.io.run_record import read_run
from floodrisk.io.vector import write_layers
from floodrisk.report import colours as C
from floodrisk.report.gis import write_gis
from floodrisk.variables import VARIABLES

ROWS, COLS, CELL = 520, 600, 5.0
X0, YTOP = 500000.0, 2503000.0
EPSG = 4547
TRANSFORM = Affine(CELL, 0.0, X0, 0.0, -CELL, YTOP)

FLOAT_GRIDS = ("max_depth", "max_velocity", "first_wet_time", "duration_over",
               "hazard_rating")
CLASS_GRIDS = ("hazard_defra", "hazard_arr", "hazard_grade", "risk", "lowest_return_period")
PERIODS = (2.0, 5.0, 50.0)             # the lowest return periods in the grid, years
PERIODS_RUN = (2.0, 5.0, 10.0, 50.0)    # those the storm config ran: 10 a floods no new cell

# ---- the synthetic run ---------------------------------------------------------------------


def _source_grids() -> dict[str, np.ndarray]:
    """Every grid as float64, NaN in the 10 × 10 corner block (outside the domain)."""
    r, c = np.mgrid[0:ROWS, 0:COLS]
    g = {
        "max_depth": ((7 * r + 3 * c) % 200) / 100.0,                 # 0 ... 1.99 m
        "max_velocity": ((5 * r + 11 * c) % 300) / 100.0,             # 0 ... 2.99 m/s
        "first_wet_time": 600.0 + 30.0 * ((r + 2 * c) % 120),          # s
        "duration_over": 15.0 * ((3 * r + c) % 500),                   # s
        "hazard_rating": ((r * c) % 1000) / 400.0,
        "hazard_defra": ((r // 104) % 5).astype(float),                # 0-4
        "hazard_arr": ((c // 86) % 7).astype(float),                   # 0-6
        "hazard_grade": ((r + c) % 4).astype(float),                   # 0-3
        "risk": (c % 4).astype(float),                                 # 0-3
        "lowest_return_period": np.array(PERIODS + (np.nan,))[(r + c) % 4],
    }
    for v in g.values():
        v[:10, :10] = np.nan
    return g


def _layers() -> dict[str, gpd.GeoDataFrame]:
    crs = f"EPSG:{EPSG}"
    pts = [Point(X0 + 100 * k + 50, YTOP - 100 * k - 50) for k in range(4)]

    def frame(data: dict, geoms: list) -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame(data, geometry=geoms, crs=crs)

    return {
        "waterlogging_points": frame({"point_id": ["W1", "W2", "W3"],
                                      "max_depth": [0.2, 0.30, 0.75]}, pts[:3]),
        "waterlogging_areas": frame({"point_id": ["W1", "W2", "W3"],
                                     "max_depth": [0.2, 0.30, 0.75]},
                                    [p.buffer(20) for p in pts[:3]]),
        "underground_exposure": frame({"entrance_id": ["E1", "E2", "E3"],
                                       "class": ["safe", "at risk", "flooded"]}, pts[:3]),
        "underground_spaces": frame({"space_id": ["U1", "U2"], "class": ["safe", "flooded"]},
                                    [p.buffer(30) for p in pts[:2]]),
        "pump_stations": frame({"station_id": ["PS01", "PS02"], "failed": [True, False]},
                               pts[:2]),
        "facilities": frame({"facility_id": ["F1"], "failed": [False]}, pts[3:4]),
        "buildings_risk": frame({"building_id": ["B1", "B2", "B3", "B4"],
                                 "risk": [0, 1, 2, 3],
                                 "risk_label": ["none", "low", "medium", "high"]},
                                [box(p.x, p.y, p.x + 10, p.y + 10) for p in pts]),
        "observed_check": frame({"point_id": ["O1", "O2"], "hit": [True, False]}, pts[:2]),
        "pipe_capacity": frame({"link_id": ["C1", "C2", "C3"],
                                "capacity_class": ["< 1 a", "≥ 5 a", "unknown"]},
                               [LineString([pts[k], pts[k + 1]]) for k in range(3)]),
        "node_flooding": frame({"node_id": ["J1", "J2", "J3", "J4"],
                                "spilled_m3": [5.0, 10.0, 250.0, 4000.0]}, pts),
        "entrance_series": gpd.GeoDataFrame({"entrance_id": ["E1"], "inflow": [1.5]},
                                            geometry=[None], crs=crs),
    }


#: Feature layers of the GeoPackage (the attribute table entrance_series gets no style).
FEATURE_LAYERS = ("waterlogging_points", "waterlogging_areas", "underground_exposure",
                  "underground_spaces", "pump_stations", "facilities", "buildings_risk",
                  "observed_check", "pipe_capacity", "node_flooding")


def _make_run(folder: Path) -> Path:
    folder.mkdir(parents=True)
    manifest = {"status": "complete", "study": "tiny", "crs": f"EPSG:{EPSG}",
                "finished": "2026-01-01T00:00:00+08:00",
                "config": {"storm": {"return_period": 50.0, "return_periods": [2, 5, 10]},
                           "assessment": {"settings": {"hazard": {
                    "cn_depth_edges": [0.15, 0.3, 0.5],
                    "arr_limits": [[0.3, 0.3, 2.0], [0.6, 0.5, 2.0], [0.6, 1.2, 2.0],
                                   [1.0, 2.0, 2.0], [4.0, 4.0, 4.0]]}}}}}
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    for name, values in _source_grids().items():
        write_geotiff(Grid(values, TRANSFORM, f"EPSG:{EPSG}"), folder / f"{name}.tif")
    write_layers(_layers(), folder / "assessment.gpkg")
    return folder


@pytest.fixture(scope="module")
def source() -> dict[str, np.ndarray]:
    return _source_grids()


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> tuple[Path, list[Path]]:
    """A run folder and the files write_gis wrote into it."""
    run = _make_run(tmp_path_factory.mktemp("gis") / "run")
    return run, write_gis(read_run(run), run)


# ---- GDAL's programs -----------------------------------------------------------------------


def _gdal(*args: str) -> str:
    if shutil.which(args[0]) is None:
        pytest.fail(f"{args[0]} not found: install GDAL's programs (apt-get install -y "
                    "gdal-bin); the Makefile does.")
    done = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{' '.join(args)} failed: {done.stderr}"
    return done.stdout


def _gdalinfo(path: Path, *extra: str) -> dict:
    return json.loads(_gdal("gdalinfo", "-json", *extra, "--config", "GDAL_PAM_ENABLED", "NO",
                            str(path)))


def _location(path: Path, col: int, row: int) -> float:
    return float(_gdal("gdallocationinfo", "-valonly", str(path), str(col), str(row)).strip())


def _epsg(info: dict) -> int:
    wkt = info["coordinateSystem"]["wkt"]
    return int(re.findall(r'ID\["EPSG",(\d+)\]', wkt)[-1])


# ---- COGs ----------------------------------------------------------------------------------


def test_write_gis_returns_every_file(published):
    run, written = published
    assert written == [run / "rasters" / f"{n}.tif" for n in FLOAT_GRIDS + CLASS_GRIDS] + \
        [run / "assessment.gpkg"]
    assert all(p.is_file() for p in written)
    # one self-contained file per grid: no .aux.xml beside them
    assert sorted(p.name for p in (run / "rasters").iterdir()) == \
        sorted(f"{n}.tif" for n in FLOAT_GRIDS + CLASS_GRIDS)


@pytest.mark.parametrize("name", FLOAT_GRIDS + CLASS_GRIDS)
def test_cog_layout(published, name):
    run, _ = published
    info = _gdalinfo(run / "rasters" / f"{name}.tif")
    assert info["driverShortName"] == "GTiff"
    assert info["metadata"]["IMAGE_STRUCTURE"]["LAYOUT"] == "COG"
    assert info["metadata"]["IMAGE_STRUCTURE"]["COMPRESSION"] == "DEFLATE"
    assert _epsg(info) == EPSG
    assert info["size"] == [COLS, ROWS]
    assert info["geoTransform"] == [X0, CELL, 0.0, YTOP, 0.0, -CELL]
    band = info["bands"][0]
    assert band["block"] == [512, 512]
    # overviews halve the grid (rounding up) until it fits one 512 tile: 300 × 260
    assert band["overviews"] == [{"size": [math.ceil(COLS / 2), math.ceil(ROWS / 2)]}]


@pytest.mark.parametrize("name", FLOAT_GRIDS)
def test_float_cog_values(published, source, name):
    run, _ = published
    path = run / "rasters" / f"{name}.tif"
    expected = source[name].astype(np.float32)
    info = _gdalinfo(path, "-mm")
    band = info["bands"][0]
    var = VARIABLES["grid", name]
    assert band["type"] == "Float32"
    assert band["noDataValue"] == "NaN"
    assert band["description"] == var.description
    assert band.get("unit", "") == var.unit
    valid = expected[np.isfinite(expected)]
    assert band["computedMin"] == pytest.approx(float(valid.min()), abs=5e-4)
    assert band["computedMax"] == pytest.approx(float(valid.max()), abs=5e-4)
    stats = band["metadata"][""]
    assert float(stats["STATISTICS_MEAN"]) == pytest.approx(float(valid.astype(float).mean()),
                                                            rel=1e-9)
    assert float(stats["STATISTICS_VALID_PERCENT"]) == pytest.approx(
        100 * (1 - 100 / (ROWS * COLS)), abs=0.01)
    for row, col in ((10, 10), (137, 451), (ROWS - 1, COLS - 1), (300, 2)):
        assert _location(path, col, row) == pytest.approx(float(expected[row, col]), rel=1e-12)
    assert math.isnan(_location(path, 3, 4))
    with rasterio.open(path) as src:
        assert src.dtypes[0] == "float32"
        np.testing.assert_array_equal(src.read(1), expected)   # NaN where NaN


@pytest.mark.parametrize("name", CLASS_GRIDS)
def test_class_cog_values_and_colour_table(published, source, name):
    run, _ = published
    path = run / "rasters" / f"{name}.tif"
    src_values = source[name]
    if name == "lowest_return_period":     # class k = the k-th return period run
        expected = np.select([src_values == p for p in PERIODS_RUN], range(4), 255)
        names = {0: "2 a", 1: "5 a", 2: "10 a", 3: "50 a"}
        colours = {0: C.RETURN_PERIOD_COLOURS[0], 3: C.RETURN_PERIOD_COLOURS[-1]}
    else:
        expected = np.where(np.isnan(src_values), 255, np.nan_to_num(src_values))
        names = {"hazard_defra": {0: "none", 1: "low: caution", 4: "extreme: danger for all"},
                 "hazard_arr": {0: "none", 1: "H1", 6: "H6"},
                 "hazard_grade": {0: "none", 3: "high"},
                 "risk": {0: "none", 1: "low", 2: "medium", 3: "high"}}[name]
        table = {"hazard_defra": C.DEFRA_COLOURS, "hazard_arr": C.ARR_COLOURS,
                 "hazard_grade": C.GRADE_COLOURS, "risk": C.RISK_COLOURS}[name]
        colours = {0: C.NONE_COLOUR} | dict(table)
    info = _gdalinfo(path)
    band = info["bands"][0]
    assert band["type"] == "Byte"
    assert band["noDataValue"] == 255
    assert band["colorInterpretation"] == "Palette"
    entries = band["colorTable"]["entries"]
    for k, colour in colours.items():
        assert tuple(entries[k][:3]) == C.hex_to_rgb(colour), f"class {k}"
    meta = band["metadata"][""]
    for k, text in names.items():
        assert meta[f"CLASS_{k}"] == text
    description = VARIABLES["grid", name].description
    assert band["description"].startswith(description)
    if name == "lowest_return_period":
        assert band["description"].endswith("(classes: 0 = 2 a, 1 = 5 a, 2 = 10 a, 3 = 50 a)")
        assert set(np.unique(expected)) == {0, 1, 3, 255}
    for row, col in ((10, 10), (137, 451), (ROWS - 1, COLS - 1), (300, 2), (3, 4)):
        assert _location(path, col, row) == expected[row, col]
    with rasterio.open(path) as src:
        assert src.dtypes[0] == "uint8"
        np.testing.assert_array_equal(src.read(1), expected.astype(np.uint8))


def test_class_names_follow_the_language(tmp_path):
    run = _make_run(tmp_path / "run")
    write_gis(read_run(run), run, lang="zh")
    meta = _gdalinfo(run / "rasters" / "risk.tif")["bands"][0]["metadata"][""]
    assert [meta[f"CLASS_{k}"] for k in range(4)] == ["无", "低", "中", "高"]
    qml = {s["f_table_name"]: s["styleQML"] for s in read_layer_styles(run / "assessment.gpkg")}
    labels = [c.get("label") for c in ET.fromstring(qml["underground_exposure"]).iter("category")]
    assert labels == ["安全", "有风险", "进水"]


def test_write_cog_refuses_values_that_are_not_classes(tmp_path):
    grid = Grid(np.array([[0.0, 1.0], [2.0, 7.0]]), TRANSFORM, f"EPSG:{EPSG}")
    with pytest.raises(InputError, match=r"not classes: 7") as err:
        write_cog(grid, tmp_path / "c.tif", classes={0: ("a", "#000000"), 1: ("b", "#ffffff"),
                                                     2: ("c", "#ff0000")})
    assert "c.tif" in str(err.value)
    assert list(tmp_path.iterdir()) == []          # nothing left behind


# ---- GeoPackage and styles -----------------------------------------------------------------


def _ogr_layers(gpkg: Path) -> dict[str, tuple[str, int]]:
    """Layer → (geometry, feature count), as ogrinfo reports them."""
    text = _gdal("ogrinfo", "-so", "-al", str(gpkg))
    out = {}
    for block in text.split("Layer name: ")[1:]:
        name = block.splitlines()[0].strip()
        geom = re.search(r"^Geometry: (.+)$", block, re.M).group(1).strip()
        count = int(re.search(r"^Feature Count: (\d+)$", block, re.M).group(1))
        out[name] = (geom, count)
    return out


def _ogr_styles(gpkg: Path) -> list[tuple[str, str, int]]:
    """(f_table_name, styleName, useAsDefault) of every stored style, through ogrinfo."""
    text = _gdal("ogrinfo", "-q", str(gpkg), "-sql",
                 "SELECT f_table_name, styleName, useAsDefault FROM layer_styles")
    rows, row = [], {}
    for line in text.splitlines():
        m = re.match(r"\s+(\w+) \(.*\) = (.*)$", line)
        if m:
            row[m.group(1)] = m.group(2)
            if m.group(1) == "useAsDefault":
                rows.append((row["f_table_name"], row["styleName"], int(row["useAsDefault"])))
                row = {}
    return rows


def test_ogrinfo_lists_every_layer_and_the_styles(published):
    run, _ = published
    layers = _ogr_layers(run / "assessment.gpkg")
    source = _layers()
    for name in FEATURE_LAYERS + ("entrance_series",):
        assert layers[name][1] == len(source[name]), name
    assert layers["layer_styles"] == ("None", len(FEATURE_LAYERS))
    styles = _ogr_styles(run / "assessment.gpkg")
    assert sorted(styles) == sorted((n, n, 1) for n in FEATURE_LAYERS)


def test_styles_are_registered_as_qgis_does(published):
    run, _ = published
    con = sqlite3.connect(run / "assessment.gpkg")
    try:
        contents = con.execute("SELECT data_type, identifier FROM gpkg_contents "
                               "WHERE table_name = 'layer_styles'").fetchall()
        columns = [r[1] for r in con.execute("PRAGMA table_info(layer_styles)")]
        rows = con.execute("SELECT f_table_catalog, f_table_schema, f_geometry_column, "
                           "styleSLD, owner FROM layer_styles").fetchall()
    finally:
        con.close()
    assert contents == [("attributes", "layer_styles")]
    assert columns == ["id", "f_table_catalog", "f_table_schema", "f_table_name",
                       "f_geometry_column", "styleName", "styleQML", "styleSLD", "useAsDefault",
                       "description", "owner", "ui", "update_time"]
    # QGIS finds a layer's default style by f_table_schema = '' and its geometry column
    assert set(rows) == {("", "", "geom", "", "")}


def _qml(run: Path) -> dict[str, ET.Element]:
    return {s["f_table_name"]: ET.fromstring(s["styleQML"])
            for s in read_layer_styles(run / "assessment.gpkg") if s["useAsDefault"]}


def _colour(symbol: ET.Element) -> str:
    """The #rrggbb of a symbol's first layer, from its <prop> encoding."""
    props = {p.get("k"): p.get("v") for p in symbol.iter("prop")}
    rgba = props.get("color") or props["line_color"]
    return "#" + "".join(f"{int(v):02x}" for v in rgba.split(",")[:3])


def _range_of(renderer: ET.Element, value: float) -> int:
    """The range QGIS draws a value with: the first with lower ≤ value ≤ upper."""
    for k, r in enumerate(renderer.iter("range")):
        if float(r.get("lower")) <= value <= float(r.get("upper")):
            return k
    return -1


def test_qml_of_graduated_layers(published):
    run, _ = published
    qml = _qml(run)
    for layer in ("waterlogging_points", "waterlogging_areas"):
        doc = qml[layer]
        assert doc.tag == "qgis"
        renderer = doc.find("renderer-v2")
        assert (renderer.get("type"), renderer.get("attr")) == ("graduatedSymbol", "max_depth")
        assert [r.get("label") for r in renderer.iter("range")] == \
            ["0.15-0.3 m", "0.3-0.5 m", "≥ 0.5 m"]
        # 0.30 m, exactly at an edge, is in the higher class (hazard.py's edge rule)
        assert [_range_of(renderer, d) for d in (0.2, 0.30, 0.75)] == [0, 1, 2]
        symbols = {s.get("name"): s for s in renderer.find("symbols")}
        # the map sheets' colours of the classes holding 0.15, 0.30 and 0.50 m
        k = {e: C.DEPTH_EDGES.index(e) for e in (0.15, 0.30, 0.50)}
        assert [_colour(symbols[str(i)]) for i in range(3)] == \
            [C.DEPTH_COLOURS[k[0.15]], C.DEPTH_COLOURS[k[0.30]], C.DEPTH_COLOURS[k[0.50]]]
        geometry = "0" if layer == "waterlogging_points" else "2"
        assert doc.findtext("layerGeometryType") == geometry
    renderer = qml["node_flooding"].find("renderer-v2")
    assert (renderer.get("type"), renderer.get("attr")) == ("graduatedSymbol", "spilled_m3")
    assert [r.get("label") for r in renderer.iter("range")] == \
        ["< 10 m³", "10-100 m³", "100-1,000 m³", "≥ 1,000 m³"]
    assert [_range_of(renderer, v) for v in (5.0, 10.0, 250.0, 4000.0)] == [0, 1, 2, 3]


def _categories(doc: ET.Element) -> tuple[str, dict[str, tuple[str, str]]]:
    renderer = doc.find("renderer-v2")
    assert renderer.get("type") == "categorizedSymbol"
    symbols = {s.get("name"): s for s in renderer.find("symbols")}
    cats = {c.get("value"): (c.get("label"), _colour(symbols[c.get("symbol")]))
            for c in renderer.iter("category")}
    return renderer.get("attr"), cats


def test_qml_of_categorized_layers(published):
    run, _ = published
    qml = _qml(run)
    source = _layers()
    for layer in ("underground_exposure", "underground_spaces"):
        attr, cats = _categories(qml[layer])
        assert attr == "class"
        assert cats == {"safe": ("safe", C.UNDERGROUND_COLOURS["safe"]),
                        "at risk": ("at risk", C.UNDERGROUND_COLOURS["at risk"]),
                        "flooded": ("flooded", C.UNDERGROUND_COLOURS["flooded"])}
        assert set(source[layer]["class"]) <= set(cats)
    for layer in ("pump_stations", "facilities"):
        attr, cats = _categories(qml[layer])
        assert attr == "if(\"failed\", 'failed', 'working')"
        assert cats == {"working": ("working", C.STATION_COLOURS["working"]),
                        "failed": ("failed", C.STATION_COLOURS["failed"])}
    attr, cats = _categories(qml["pipe_capacity"])
    assert attr == "capacity_class"
    assert list(cats) == ["< 1 a", "1-2 a", "2-3 a", "3-5 a", "≥ 5 a", "unknown"]
    assert cats["< 1 a"] == ("< 1 a", "#d7191c")
    assert cats["unknown"][1] == C.CAPACITY_COLOURS["unknown"]
    assert set(source["pipe_capacity"]["capacity_class"]) <= set(cats)
    attr, cats = _categories(qml["buildings_risk"])
    assert attr == "risk_label"
    assert cats == {"none": ("none", C.NONE_COLOUR), "low": ("low", C.RISK_COLOURS[1]),
                    "medium": ("medium", C.RISK_COLOURS[2]),
                    "high": ("high", C.RISK_COLOURS[3])}
    renderer = qml["observed_check"].find("renderer-v2")
    assert renderer.get("type") == "singleSymbol"


def test_second_write_replaces_the_styles(tmp_path):
    run = _make_run(tmp_path / "run")
    gpkg = run / "assessment.gpkg"
    record = read_run(run)
    write_gis(record, run)
    # a style the user saved in QGIS as the default of one layer
    con = sqlite3.connect(gpkg)
    with con:
        con.execute("INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, "
                    "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, "
                    "description, owner) VALUES ('', '', 'waterlogging_points', 'geom', "
                    "'mine', '<qgis/>', '', 1, 'by hand', '')")
    con.close()
    write_gis(record, run)
    styles = _ogr_styles(gpkg)
    assert sorted(styles) == sorted([(n, n, 1) for n in FEATURE_LAYERS]
                                    + [("waterlogging_points", "mine", 0)])
    assert _ogr_layers(gpkg)["layer_styles"] == ("None", len(FEATURE_LAYERS) + 1)
    # the layers themselves are untouched
    for name in FEATURE_LAYERS:
        back = gpd.read_file(gpkg, layer=name)
        pd.testing.assert_frame_equal(
            pd.DataFrame(back.drop(columns="geometry")).reset_index(drop=True),
            pd.DataFrame(_layers()[name].drop(columns="geometry")).reset_index(drop=True),
            check_dtype=False)


def test_write_gis_into_another_folder_leaves_the_run_alone(tmp_path):
    run = _make_run(tmp_path / "run")
    before = (run / "assessment.gpkg").read_bytes()
    out = tmp_path / "published"
    written = write_gis(read_run(run), out)
    assert out / "assessment.gpkg" in written
    assert (run / "assessment.gpkg").read_bytes() == before
    assert not (run / "rasters").exists()
    assert len(read_layer_styles(out / "assessment.gpkg")) == len(FEATURE_LAYERS)


def test_write_layer_styles_is_one_transaction(tmp_path):
    gpkg = write_layers({"a": _layers()["waterlogging_points"]}, tmp_path / "x.gpkg")
    before = gpkg.read_bytes()
    with pytest.raises(InputError, match="not a feature layer") as err:
        write_layer_styles(gpkg, {"a": "<qgis/>", "nope": "<qgis/>"})
    assert err.value.layer == "nope"
    with pytest.raises(InputError, match="not an XML document"):
        write_layer_styles(gpkg, {"a": "<qgis>"})
    assert gpkg.read_bytes() == before
    assert write_layer_styles(gpkg, {"a": "<qgis/>"}, descriptions={"a": "A"}) == ["a"]
    (row,) = read_layer_styles(gpkg)
    assert (row["f_table_name"], row["styleName"], row["useAsDefault"], row["description"]) == \
        ("a", "a", 1, "A")


def test_write_layer_styles_refuses_a_file_that_is_not_a_geopackage(tmp_path):
    bad = tmp_path / "x.gpkg"
    bad.write_text("not sqlite")
    with pytest.raises(InputFileError, match="not a GeoPackage"):
        write_layer_styles(bad, {"a": "<qgis/>"})
    with pytest.raises(InputFileError, match="not found"):
        write_layer_styles(tmp_path / "missing.gpkg", {"a": "<qgis/>"})
