"""Tiny synthetic inputs built in code (rasterio's 10×10 style) and the validation folder.

The tiny city
-------------
DEM: 10 rows × 20 cols of 10 m cells in EPSG:4547 (CGCS2000 / 3-degree GK CM 114E),
upper-left corner at (X0, YTOP) = (500000, 2500100). The ground is the plane

    z(x, y) = 30 − 0.05 (x − X0) + 0.025 (y − Y0),   Y0 = YTOP − 100 (the bottom edge)

so the cell in row r, column c (centre x = X0 + 10c + 5, y = YTOP − 10r − 5) holds

    z[r, c] = 32.125 − 0.5 c − 0.25 r

(every value is a multiple of 1/8, exact in float32). The ground falls 0.5 m per cell
eastwards and 0.25 m per cell southwards.

Network (every point on a cell centre, so the DEM value under it is the plane's value):

    node  cell    kind     invert   rim (= ground)
    J1    (5, 2)  junction 26.875   29.875
    J2    (5, 8)  junction 24.875   26.875
    J3    (5,14)  junction 21.875   23.875
    O1    (5,18)  outfall  20.875   21.875

    conduit  from→to  diameter  n      length
    C1       J1→J2    0.3 m     0.013  60 m   slope 2/60
    C2       J2→J3    0.4 m     0.013  60 m   slope 3/60
    C3       J3→O1    0.5 m     0.013  40 m   slope 1/40

    pump P1 of station S1 (cell (3,14), equipment 1.5 m above ground), J3 → O1, 0.2 m³/s

Assets:

    M1  metro_station  cells rows 6-8, cols 4-7    depth 12 m   entrance E1 at cell (7, 4)
    K1  car_park       cells rows 1-2, cols 10-12  depth 4 m    entrance E2 at cell (1, 10)
    F1  substation     cell (8, 16), equipment 0.5 m above ground
    L1 'road' (southern half), L2 '绿地' (northern half) land cover
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from affine import Affine
from shapely.geometry import LineString, Point, box

from floodrisk.io.vector import write_layers

CRS_CN = "EPSG:4547"
X0 = 500000.0
YTOP = 2500100.0
CELL = 10.0
ROWS, COLS = 10, 20
Y0 = YTOP - ROWS * CELL

Edit = Callable[[dict[str, gpd.GeoDataFrame]], None]


def plane(x, y):
    """Ground elevation of the tiny city at (x, y), m."""
    return 30.0 - 0.05 * (np.asarray(x) - X0) + 0.025 * (np.asarray(y) - Y0)


def cell_value(r, c):
    """DEM value of cell (r, c), worked out by hand from the plane."""
    return 32.125 - 0.5 * np.asarray(c) - 0.25 * np.asarray(r)


def centre(r: int, c: int) -> tuple[float, float]:
    """Centre of cell (r, c)."""
    return X0 + CELL * c + CELL / 2, YTOP - CELL * r - CELL / 2


def cells_box(r0: int, r1: int, c0: int, c1: int):
    """Polygon covering cells rows r0..r1 and cols c0..c1 (inclusive), edges on cell edges."""
    return box(X0 + CELL * c0, YTOP - CELL * (r1 + 1), X0 + CELL * (c1 + 1), YTOP - CELL * r0)


def plane_values() -> np.ndarray:
    r, c = np.mgrid[0:ROWS, 0:COLS]
    return cell_value(r, c).astype(np.float32)


def write_raster(path: Path, values: np.ndarray, transform: Affine, crs: Any = CRS_CN,
                 nodata: float | None = -9999.0, driver: str = "GTiff") -> Path:
    """Write band 1 with rasterio directly (not through floodrisk's writer)."""
    values = np.asarray(values)
    profile = dict(driver=driver, width=values.shape[1], height=values.shape[0], count=1,
                   dtype=values.dtype.name, transform=transform)
    if crs is not None:
        profile["crs"] = crs
    if nodata is not None:
        profile["nodata"] = nodata
    with rasterio.Env(GDAL_PAM_ENABLED="NO"):
        with rasterio.open(path, "w", **profile) as dst:
            dst.write(values, 1)
    return Path(path)


def _node_frame() -> gpd.GeoDataFrame:
    rows = [("J1", "junction", 26.875, 29.875, (5, 2)),
            ("J2", "junction", 24.875, 26.875, (5, 8)),
            ("J3", "junction", 21.875, 23.875, (5, 14)),
            ("O1", "outfall", 20.875, 21.875, (5, 18))]
    return gpd.GeoDataFrame(
        {"node_id": [r[0] for r in rows], "kind": [r[1] for r in rows],
         "invert_elev": [r[2] for r in rows], "rim_elev": [r[3] for r in rows]},
        geometry=[Point(*centre(*r[4])) for r in rows], crs=CRS_CN)


NODE_CELLS = {"J1": (5, 2), "J2": (5, 8), "J3": (5, 14), "O1": (5, 18)}


def _conduit_frame() -> gpd.GeoDataFrame:
    rows = [("C1", "J1", "J2", 0.3), ("C2", "J2", "J3", 0.4), ("C3", "J3", "O1", 0.5)]
    return gpd.GeoDataFrame(
        {"link_id": [r[0] for r in rows], "from_node": [r[1] for r in rows],
         "to_node": [r[2] for r in rows], "diameter": [r[3] for r in rows],
         "roughness": [0.013] * 3},
        geometry=[LineString([centre(*NODE_CELLS[r[1]]), centre(*NODE_CELLS[r[2]])])
                  for r in rows], crs=CRS_CN)


def _table(data: dict) -> gpd.GeoDataFrame:
    n = len(next(iter(data.values())))
    return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries([None] * n))


def city_layers() -> dict[str, gpd.GeoDataFrame]:
    """A fresh copy of every layer of the tiny city, canonical names."""
    return {
        "nodes": _node_frame(),
        "conduits": _conduit_frame(),
        "pumps": _table({"pump_id": ["P1"], "station_id": ["S1"], "from_node": ["J3"],
                         "to_node": ["O1"], "capacity": [0.2], "on_depth": [1.0],
                         "off_depth": [0.3]}),
        "stations": gpd.GeoDataFrame({"station_id": ["S1"], "name": ["东区泵站"],
                                      "equipment_height": [1.5]},
                                     geometry=[Point(*centre(3, 14))], crs=CRS_CN),
        "underground": gpd.GeoDataFrame({"space_id": ["M1", "K1"],
                                         "kind": ["metro_station", "car_park"],
                                         "depth": [12.0, 4.0]},
                                        geometry=[cells_box(6, 8, 4, 7), cells_box(1, 2, 10, 12)],
                                        crs=CRS_CN),
        "entrances": gpd.GeoDataFrame({"entrance_id": ["E1", "E2"]},
                                      geometry=[Point(*centre(7, 4)), Point(*centre(1, 10))],
                                      crs=CRS_CN),
        "facilities": gpd.GeoDataFrame({"facility_id": ["F1"], "kind": ["substation"],
                                        "equipment_height": [0.5]},
                                       geometry=[Point(*centre(8, 16))], crs=CRS_CN),
        "landcover": gpd.GeoDataFrame({"class": ["road", "绿地"]},
                                      geometry=[cells_box(5, 9, 0, 19), cells_box(0, 4, 0, 19)],
                                      crs=CRS_CN),
    }


# ---- edits: each returns a function that changes the layers in place -------------------
def _row(df: pd.DataFrame, fid: str) -> Any:
    idcol = df.columns[0]
    hit = df.index[df[idcol].astype(str) == fid]
    assert len(hit) == 1, f"no single feature {fid!r} in column {idcol!r}"
    return hit[0]


def set_value(layer: str, fid: str, column: str, value: Any) -> Edit:
    """Set one value; a string put in a numeric column turns the column into text (as a
    spreadsheet export would), the other values written as numbers in text."""
    def edit(layers):
        df = layers[layer]
        if isinstance(value, str) and column in df and pd.api.types.is_numeric_dtype(df[column]):
            df[column] = df[column].map(lambda v: None if pd.isna(v) else f"{v:g}").astype(object)
        if column == "geometry":
            df.loc[_row(df, fid), "geometry"] = value
        else:
            df.loc[_row(df, fid), column] = value
    return edit


def drop_column(layer: str, column: str) -> Edit:
    def edit(layers):
        layers[layer] = layers[layer].drop(columns=[column])
    return edit


def rename_column(layer: str, old: str, new: str) -> Edit:
    def edit(layers):
        layers[layer] = layers[layer].rename(columns={old: new})
    return edit


def add_row(layer: str, **values: Any) -> Edit:
    def edit(layers):
        df = layers[layer]
        row = gpd.GeoDataFrame({k: [v] for k, v in values.items() if k != "geometry"},
                               geometry=[values.get("geometry")], crs=df.crs)
        layers[layer] = pd.concat([df, row], ignore_index=True)
    return edit


def no_crs(layer: str) -> Edit:
    """Strip a layer's CRS (written to the GeoPackage with an undefined SRS)."""
    def edit(layers):
        layers[layer] = layers[layer].set_crs(None, allow_override=True)
    return edit


def to_crs(crs: Any) -> Edit:
    """Reproject every layer that has geometry."""
    def edit(layers):
        for k, df in layers.items():
            if df.crs is not None:
                layers[k] = df.to_crs(crs)
    return edit


def drop_layer(layer: str) -> Edit:
    def edit(layers):
        del layers[layer]
    return edit


class City:
    """Factory of tiny-city files under one temporary folder."""

    crs = CRS_CN
    x0, ytop, cell, rows, cols = X0, YTOP, CELL, ROWS, COLS
    plane = staticmethod(plane)
    cell_value = staticmethod(cell_value)
    centre = staticmethod(centre)
    cells_box = staticmethod(cells_box)
    node_cells = NODE_CELLS
    set = staticmethod(set_value)
    drop = staticmethod(drop_column)
    rename = staticmethod(rename_column)
    add = staticmethod(add_row)
    drop_layer = staticmethod(drop_layer)
    no_crs = staticmethod(no_crs)
    to_crs = staticmethod(to_crs)

    def __init__(self, root: Path) -> None:
        self.root = root

    def layers(self, *edits: Edit) -> dict[str, gpd.GeoDataFrame]:
        layers = city_layers()
        for edit in edits:
            edit(layers)
        return layers

    def dem(self, name: str = "dem.tif", values: np.ndarray | None = None, **kw: Any) -> Path:
        """The plane DEM as a north-up GeoTIFF (EPSG:4547 unless ``crs=`` says otherwise)."""
        values = plane_values() if values is None else values
        kw.setdefault("transform", Affine(CELL, 0, X0, 0, -CELL, YTOP))
        return write_raster(self.root / name, values, **kw)

    def gpkg(self, *edits: Edit, name: str = "city.gpkg",
             layers: dict[str, gpd.GeoDataFrame] | None = None) -> Path:
        """The city's layers, changed by ``edits``, written as one GeoPackage."""
        layers = copy.deepcopy(layers) if layers is not None else self.layers()
        for edit in edits:
            edit(layers)
        return write_layers(layers, self.root / name)

    def config(self, name: str = "study.toml", text: str | None = None) -> Path:
        """A study config next to dem.tif and city.gpkg (relative paths)."""
        text = text or ('[study]\nname = "tiny"\n\n[dem]\npath = "dem.tif"\n\n'
                        '[network]\npath = "city.gpkg"\n\n[assets]\npath = "city.gpkg"\n')
        p = self.root / name
        p.write_text(text, encoding="utf-8")
        return p


@pytest.fixture()
def city(tmp_path: Path) -> City:
    """Factory of the tiny city's files in ``tmp_path``."""
    return City(tmp_path)


@pytest.fixture()
def dem_tif(city: City) -> Path:
    """The tiny city's DEM GeoTIFF."""
    return city.dem()


@pytest.fixture()
def city_gpkg(city: City) -> Path:
    """The tiny city's valid GeoPackage (network and asset layers)."""
    return city.gpkg()


@pytest.fixture()
def validation_dir() -> Path:
    """The shared third-party validation data; the test is skipped when it is absent."""
    path = Path(__file__).resolve().parents[2] / "shared" / "validation"
    if not path.is_dir():
        pytest.skip(f"validation data not found at {path}")
    return path


def assert_names(exc: BaseException, *, path: Any = None, layer: str | None = None,
                 feature: Any = None, field: str | None = None) -> str:
    """Check that an error's message (and attributes) name the place of the fault."""
    msg = str(exc)
    if path is not None:
        assert str(path) in msg, msg
        assert exc.path == str(path)
    if layer is not None:
        assert f"layer '{layer}'" in msg, msg
        assert exc.layer == layer
    if feature is not None:
        for f in ([feature] if isinstance(feature, str) else feature):
            assert repr(str(f)) in msg, msg
    if field is not None:
        assert f"field '{field}'" in msg, msg
        assert exc.field == field
    return msg


@pytest.fixture()
def names() -> Callable[..., str]:
    """``names(exc, path=…, layer=…, feature=…, field=…)``: the message names them all."""
    return assert_names


# ---- the demo run, made once per test session ----------------------------------------------

@pytest.fixture(scope="session")
def demo_run(tmp_path_factory):
    """``floodrisk demo`` through the installed command, once per session: the demo city
    under the 50-year storm through the coupled engine, the storm again at 3, 10 and 100
    years, the assessment and every report product. Returns ``(run folder, completed
    process)``. Tests that change the folder must work on a copy (:func:`shutil.copytree`)."""
    import subprocess
    import sys

    out = tmp_path_factory.mktemp("demo")
    exe = Path(sys.executable).with_name("floodrisk")
    done = subprocess.run([str(exe), "demo", "--out", str(out)], capture_output=True,
                          text=True, timeout=1800)
    assert done.returncode == 0, done.stderr
    runs = [p for p in out.iterdir() if not p.name.startswith(".")]
    assert len(runs) == 1, runs
    return runs[0], done
