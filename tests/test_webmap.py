"""The offline web map: data placed where it belongs, user strings kept as text, and the
page working in headless Chromium with no network.

The synthetic run: 40 rows × 60 columns of 5 m cells in EPSG:4547, upper-left corner
(X0, YTOP) = (463000, 3843500) (the demo city's place). Its maximum depth is 0 except a
block of 0.40 m (depth class 3 of 0.05/0.15/0.30/0.50/1.0 m) on rows 10-19, columns
20-29, i.e. x 463100-463150, y 3843400-3843450. Three waterlogging points, two
underground entrances and two pump stations sit on the grid at places given below; one
station is named ``<script>alert(1)</script>``, one point's id is an ``<img onerror>``
and the study's name holds ``</script>``.
"""

from __future__ import annotations

import base64
import io
import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from affine import Affine
from PIL import Image
from pyproj import Transformer
from rasterio.crs import CRS as RioCRS
from rasterio.transform import array_bounds
from rasterio.warp import calculate_default_transform
from shapely.geometry import Point

from floodrisk.errors import InputError, RunFolderError
from floodrisk.grid import Grid
from floodrisk.io.run_record import RunRecord
from floodrisk.report.colours import DEFRA_COLOURS, DEPTH_COLOURS, RISK_COLOURS, hex_to_rgb
from floodrisk.report.labels import label
from floodrisk.report.colours import depth_classes
from floodrisk.report.webmap import build_webmap, write_webmap

CRS = "EPSG:4547"
X0, YTOP, CELL, ROWS, COLS = 463000.0, 3843500.0, 5.0, 40, 60
SCRIPT_NAME = "<script>alert(1)</script>"
IMG_ID = '<img src="x" onerror="alert(2)">'
STUDY = 'Test </script><script>alert(3)</script> <b>town</b>'
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def _grid(values: np.ndarray) -> Grid:
    return Grid(values, Affine(CELL, 0, X0, 0, -CELL, YTOP), CRS)


def _record(path: Path, *, time_at_risk: bool = True, study: str = STUDY) -> RunRecord:
    rows, cols = np.mgrid[0:ROWS, 0:COLS]
    elevation = 90.0 - 0.05 * cols - 0.02 * rows
    depth = np.zeros((ROWS, COLS))
    depth[10:20, 20:30] = 0.40
    hazard = np.zeros((ROWS, COLS))
    hazard[10:20, 20:30] = 2
    hazard[30:35, 40:50] = 4
    hazard[0, 0] = np.nan
    risk = np.zeros((ROWS, COLS))
    risk[10:20, 20:30] = 3
    points = gpd.GeoDataFrame({
        "point_id": ["WL01", "WL02", IMG_ID],
        "rank": [1, 2, 3],
        "max_depth": [0.40, 0.2134, 1.2],
        "area": [2500.0, 1250.4, 75.0],
        "volume": [812.6, 140.0, 30.0],
        "duration_over": [3600.0, 120.0, np.nan],
        "first_time_over": [2730.0, 4301.5, np.nan],
        "cause": ["surcharge", "no_inlet", "overland"],
        "road": ["滨河路", "", "Main St"],
    }, geometry=[Point(463125.0, 3843425.0), Point(463202.5, 3843302.5),
                 Point(463260.0, 3843380.0)], crs=CRS)
    entrances = {
        "entrance_id": ["UG01-E1", "UG02-E1"], "space_id": ["UG01", "UG02"],
        "kind": ["metro_station", "car_park"], "max_outside_depth": [0.35, 0.011],
        "sill_height": [0.15, 0.45], "time_at_risk": [2400.0, np.nan],
        "inflow_volume": [1367.08, 0.0], "first_inflow_time": [3045.9, np.nan],
        "class": ["flooded", "safe"],
    }
    if not time_at_risk:
        del entrances["time_at_risk"]
    entrances = gpd.GeoDataFrame(entrances, geometry=[Point(463060.0, 3843330.0),
                                                      Point(463240.0, 3843440.0)], crs=CRS)
    stations = gpd.GeoDataFrame({
        "station_id": ["PS01", "PS02"], "name": ["经二路排涝泵站", SCRIPT_NAME],
        "max_site_depth": [1.552, 0.066], "failed": [True, False],
        "failure_time": [4726.5, np.nan], "relocate": [True, False],
    }, geometry=[Point(463160.0, 3843360.0), Point(463080.0, 3843420.0)], crs=CRS)
    return RunRecord(
        path=path, manifest={"study": study, "crs": CRS, "status": "complete",
                             "finished": "2026-05-01T10:00:00+08:00"},
        summary={"storm": {"name": "Chicago P=50 a"}},
        grids={"elevation": _grid(elevation), "max_depth": _grid(depth),
               "hazard_defra": _grid(hazard), "risk": _grid(risk)},
        layers={"assessment/waterlogging_points": points,
                "assessment/underground_exposure": entrances,
                "assessment/pump_stations": stations})


def _block(page: str, block_id: str):
    m = re.search(rf'<script type="application/json" id="{block_id}">(.*?)</script>', page, re.S)
    assert m, f"no JSON block {block_id}"
    return json.loads(m.group(1))


def _png(uri: str) -> np.ndarray:
    assert uri.startswith("data:image/png;base64,")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))
                      .convert("RGBA"))


@pytest.fixture(scope="module")
def page_html(tmp_path_factory) -> str:
    return build_webmap(_record(tmp_path_factory.mktemp("run")))


# ---- unit tests --------------------------------------------------------------------------

def test_depth_classes_edges():
    d = np.array([np.nan, 0.0, 0.0499, 0.05, 0.1499, 0.15, 0.30, 0.4999, 0.5, 0.999, 1.0, 7.0])
    assert depth_classes(d).tolist() == [0, 0, 0, 1, 1, 2, 3, 3, 4, 4, 5, 5]


def test_geojson_coordinates_are_the_points_in_lonlat(page_html):
    to_lonlat = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)
    record = _record(Path("."))
    for key, block in (("assessment/waterlogging_points", "fr-data-waterlogging-points"),
                       ("assessment/underground_exposure", "fr-data-underground-exposure"),
                       ("assessment/pump_stations", "fr-data-pump-stations")):
        frame = record.layers[key]
        data = _block(page_html, block)
        assert len(data["features"]) == len(frame)
        for f, geom in zip(data["features"], frame.geometry):
            lon, lat = to_lonlat.transform(geom.x, geom.y)
            assert f["geometry"]["type"] == "Point"
            assert f["geometry"]["coordinates"] == pytest.approx([lon, lat], abs=1e-9)
            # 463000 E in the GK zone of CM 114 E at 34.7 N lies near 113.6 E
            assert 113.5 < lon < 113.7 and 34.6 < lat < 34.8


def test_overlay_bounds_are_the_warped_raster_bounds(page_html):
    cfg = _block(page_html, "fr-config")
    src = RioCRS.from_epsg(4547)
    transform, w, h = calculate_default_transform(src, RioCRS.from_epsg(3857), COLS, ROWS,
                                                  X0, YTOP - ROWS * CELL, X0 + COLS * CELL, YTOP)
    west, south, east, north = array_bounds(h, w, transform)
    to_lonlat = Transformer.from_crs(3857, 4326, always_xy=True)
    (lon0, lat0), (lon1, lat1) = to_lonlat.transform(west, south), to_lonlat.transform(east, north)
    overlays = [cfg["base"]] + cfg["images"]
    assert [o["id"] for o in overlays] == ["hillshade", "max_depth", "hazard_defra", "risk"]
    for o in overlays:
        assert np.array(o["bounds"]) == pytest.approx(np.array([[lat0, lon0], [lat1, lon1]]),
                                                      abs=1e-12)
        assert _png(o["url"]).shape[:2] == (h, w)
    # the bounds are the extent of the source grid's corners to within a pixel (GDAL's
    # suggested warp keeps the pixel count, so an edge may fall short by part of a pixel)
    corners = Transformer.from_crs(CRS, 3857, always_xy=True).transform(
        [X0, X0 + COLS * CELL, X0, X0 + COLS * CELL], [YTOP, YTOP, YTOP - ROWS * CELL,
                                                        YTOP - ROWS * CELL])
    px = transform.a
    assert abs(west - min(corners[0])) < px and abs(east - max(corners[0])) < px
    assert abs(south - min(corners[1])) < px and abs(north - max(corners[1])) < px


def test_depth_overlay_pixels_land_on_their_cells(page_html):
    """Sample the depth image at places inside and outside the 0.40 m block (x 463100-
    463150, y 3843400-3843450), 3.75 m from its edges."""
    o = next(i for i in _block(page_html, "fr-config")["images"] if i["id"] == "max_depth")
    img = _png(o["url"])
    (lat0, lon0), (lat1, lon1) = o["bounds"]
    to_merc = Transformer.from_crs(4326, 3857, always_xy=True)
    (mx0, my0), (mx1, my1) = to_merc.transform(lon0, lat0), to_merc.transform(lon1, lat1)
    to_px = Transformer.from_crs(CRS, 3857, always_xy=True)

    def pixel(x: float, y: float) -> tuple[int, ...]:
        mx, my = to_px.transform(x, y)
        col = int((mx - mx0) / (mx1 - mx0) * img.shape[1])
        row = int((my1 - my) / (my1 - my0) * img.shape[0])
        return tuple(int(v) for v in img[row, col])

    inside = (*hex_to_rgb(DEPTH_COLOURS[2]), 255)
    for x, y in ((463103.75, 3843425), (463146.25, 3843425), (463125, 3843403.75),
                 (463125, 3843446.25), (463125, 3843425)):
        assert pixel(x, y) == inside, (x, y)
    for x, y in ((463096.25, 3843425), (463153.75, 3843425), (463125, 3843396.25),
                 (463125, 3843453.75)):
        assert pixel(x, y)[3] == 0, (x, y)


def test_class_overlays_hold_only_their_class_colours(page_html):
    images = {i["id"]: _png(i["url"]) for i in _block(page_html, "fr-config")["images"]}

    def colours(img):
        opaque = img[img[..., 3] > 0][:, :3]
        return {tuple(int(v) for v in c) for c in np.unique(opaque, axis=0)}

    assert colours(images["hazard_defra"]) == {hex_to_rgb(DEFRA_COLOURS[2]),
                                               hex_to_rgb(DEFRA_COLOURS[4])}
    assert colours(images["risk"]) == {hex_to_rgb(RISK_COLOURS[3])}
    # 100 cells of class 2 and 50 of class 4: the warped image keeps the 2:1 ratio
    haz = images["hazard_defra"][..., :3]
    n2 = np.all(haz == hex_to_rgb(DEFRA_COLOURS[2]), axis=2).sum()
    n4 = np.all(haz == hex_to_rgb(DEFRA_COLOURS[4]), axis=2).sum()
    assert n2 / n4 == pytest.approx(2.0, rel=0.1)


def test_large_overlays_are_downsampled(tmp_path):
    page = build_webmap(_record(tmp_path), max_pixels=30)
    cfg = _block(page, "fr-config")
    full = _block(build_webmap(_record(tmp_path)), "fr-config")
    for small, big in zip([cfg["base"]] + cfg["images"], [full["base"]] + full["images"]):
        shape = _png(small["url"]).shape
        assert max(shape[:2]) <= 30 and max(_png(big["url"]).shape[:2]) > 30
        # the same place: bounds differ by less than one coarse pixel (at most 11 m)
        assert np.array(small["bounds"]) == pytest.approx(np.array(big["bounds"]), abs=1e-4)


def test_popup_rows_have_numbers_with_units(page_html):
    points = _block(page_html, "fr-data-waterlogging-points")["features"]
    p = points[0]["properties"]
    assert p["id"] == "WL01" and p["title"] == "Waterlogging point WL01"
    rows = dict(p["rows"])
    assert rows == {"Rank": "1", "Maximum depth": "0.40 m", "Area": "2,500 m²",
                    "Volume": "813 m³", "Time above the waterlogging depth": "60 min",
                    "First above the waterlogging depth, from rain start": "46 min",
                    "Cause": "surcharge from the network", "Road": "滨河路"}
    assert p["colour"] == DEPTH_COLOURS[2]
    third = dict(points[2]["properties"]["rows"])
    assert third["Time above the waterlogging depth"] == "never"
    assert third["Maximum depth"] == "1.20 m" and points[2]["properties"]["colour"] == \
        DEPTH_COLOURS[4]
    assert dict(points[1]["properties"]["rows"])["Road"] == "no data"

    e = [dict(f["properties"]["rows"]) for f in
         _block(page_html, "fr-data-underground-exposure")["features"]]
    assert e[0]["Barrier deadline (water near the sill), from rain start"] == "40 min"
    assert e[0]["First inflow, from rain start"] == "51 min"
    assert e[0]["Inflow volume"] == "1,367 m³" and e[0]["Class"] == "flooded"
    assert e[0]["Maximum depth outside"] == "0.35 m" and e[0]["Sill height"] == "0.15 m"
    assert e[1]["First inflow, from rain start"] == "never"
    assert e[1]["Kind"] == "car park"

    s = [dict(f["properties"]["rows"]) for f in
         _block(page_html, "fr-data-pump-stations")["features"]]
    assert s[0] == {"Name": "经二路排涝泵站", "Maximum depth at the site": "1.55 m",
                    "Status": "failed", "Failure time, from rain start": "79 min",
                    "Relocate": "yes"}
    assert s[1]["Failure time, from rain start"] == "never" and s[1]["Status"] == "working"
    assert s[1]["Name"] == SCRIPT_NAME


def test_older_runs_without_time_at_risk(tmp_path):
    page = build_webmap(_record(tmp_path, time_at_risk=False))
    rows = dict(_block(page, "fr-data-underground-exposure")["features"][0]["properties"]["rows"])
    assert "Barrier deadline (water near the sill), from rain start" not in rows
    assert rows["First inflow, from rain start"] == "51 min"


def test_chinese_words(tmp_path):
    page = build_webmap(_record(tmp_path), lang="zh")
    s = dict(_block(page, "fr-data-pump-stations")["features"][0]["properties"]["rows"])
    assert s["运行状态"] == "失效" and s["是否需迁建"] == "是"
    assert s["失效时间（自降雨开始）"] == "79 min"
    cfg = _block(page, "fr-config")
    assert [p["name"] for p in cfg["points"]] == ["易涝点", "地下空间出入口", "排涝泵站"]
    assert '<html lang="zh-CN">' in page


def test_user_strings_are_not_markup(page_html):
    # nothing from user data can open an element or end a block: every "<" of the data
    # is \u003c inside the JSON blocks, and the title is entity-escaped
    assert SCRIPT_NAME not in page_html and IMG_ID not in page_html
    assert "alert(3)</script>" not in page_html
    assert "<title>Interactive waterlogging map: Test &lt;/script&gt;&lt;script&gt;alert(3)" \
           "&lt;/script&gt; &lt;b&gt;town&lt;/b&gt;</title>" in page_html
    assert page_html.count("<script") == 6  # config, 3 data blocks, Leaflet, the app
    assert page_html.count("</script>") == 6
    assert "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e" in page_html


def test_no_external_references(page_html):
    # no tiles, CDN or fonts; only Leaflet's attribution link, the SVG namespace and a
    # bug link in a comment of leaflet.css
    urls = set(re.findall(r"https?://[^\s\"')]+", page_html))
    assert urls <= {"https://leafletjs.com", "http://www.w3.org/2000/svg",
                    "https://bugzilla.mozilla.org/show_bug.cgi?id=888319"}, urls
    assert "url(images/" not in page_html and "sourceMappingURL" not in page_html


def test_write_webmap_and_errors(tmp_path):
    record = _record(tmp_path, study="Plain")
    out = write_webmap(record, tmp_path / "map.html")
    assert out == tmp_path / "map.html"
    assert out.read_text(encoding="utf-8") == build_webmap(record)
    assert [p.name for p in tmp_path.iterdir()] == ["map.html"]  # no temporary left
    with pytest.raises(InputError, match="fr"):
        build_webmap(record, lang="fr")
    bare = RunRecord(path=tmp_path, manifest=record.manifest, summary={},
                     grids={"max_depth": record.grids["max_depth"]})
    with pytest.raises(RunFolderError, match="elevation.tif"):
        build_webmap(bare)


def test_missing_layers_are_left_out(tmp_path):
    record = _record(tmp_path)
    slim = RunRecord(path=tmp_path, manifest=record.manifest, summary={},
                     grids={"elevation": record.grids["elevation"]},
                     layers={"assessment/pump_stations": record.layers["assessment/pump_stations"],
                             "assessment/waterlogging_points":
                                 pd.DataFrame(record.layers["assessment/waterlogging_points"]
                                              .drop(columns="geometry"))})
    cfg = _block(build_webmap(slim), "fr-config")
    assert cfg["images"] == []
    assert [p["id"] for p in cfg["points"]] == ["assessment/pump_stations"]


# ---- headless Chromium -------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("Playwright for Python is not installed: pip install playwright==1.65.2 "
                    "(no `playwright install`: the tests use Debian's /usr/bin/chromium).")
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install -y chromium.")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


class _Visit:
    """A page opened on a file, recording console errors, page errors, dialogs and every
    request that is not file: or data: (those are blocked)."""

    def __init__(self, browser, path: Path) -> None:
        self.page = browser.new_page(viewport={"width": 1400, "height": 1000})
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.outside: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error"
                     else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", self._dialog)
        self.page.on("request", self._request)
        self.page.route("**/*", self._route)
        self.page.goto(path.as_uri())
        self.page.wait_for_load_state("load")
        self.page.wait_for_timeout(300)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _request(self, request) -> None:
        if not request.url.startswith(("file:", "data:")):
            self.outside.append(request.url)

    def _route(self, route) -> None:
        if route.request.url.startswith(("file:", "data:")):
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    def popup_of(self, selector: str, n: int) -> str:
        """Close any open popup, click the n-th marker and read the popup it opens."""
        close = self.page.locator(".leaflet-popup-close-button")
        if close.count():
            close.first.click(timeout=5000)
        self.page.wait_for_function(
            "document.querySelectorAll('.leaflet-popup-content').length === 0", timeout=5000)
        self.page.locator(selector).nth(n).click(timeout=5000)
        popup = self.page.locator(".leaflet-popup-content")
        popup.wait_for(timeout=5000)
        return popup.inner_text()


@pytest.fixture(scope="module")
def visit(browser, tmp_path_factory):
    folder = tmp_path_factory.mktemp("webrun")
    path = write_webmap(_record(folder), folder / "map.html")
    v = _Visit(browser, path)
    yield v
    v.page.close()


def test_page_loads_offline_without_errors(visit):
    assert visit.errors == []
    assert visit.outside == []
    assert visit.page.evaluate("typeof L") == "object"
    assert visit.page.evaluate("document.querySelectorAll('.leaflet-image-layer').length") == 2
    # hillshade + depth on at start; hazard and risk off


def test_markers_match_features(visit):
    p = visit.page
    assert p.locator("path.fr-waterlogging").count() == 3
    assert p.locator("path.fr-entrance").count() == 2
    assert p.locator("path.fr-station").count() == 2


def test_popups_show_ids_and_numbers(visit):
    text = visit.popup_of("path.fr-waterlogging", 0)
    assert "Waterlogging point WL01" in text and "0.40 m" in text and "2,500 m²" in text
    text = visit.popup_of("path.fr-entrance", 0)
    assert "UG01-E1" in text and "1,367 m³" in text and "51 min" in text
    text = visit.popup_of("path.fr-station", 0)
    assert "PS01" in text and "1.55 m" in text and "79 min" in text
    assert visit.errors == [] and visit.dialogs == []


def test_layer_switcher_lists_every_layer(visit):
    names = [t.strip() for t in
             visit.page.locator(".leaflet-control-layers label").all_inner_texts()]
    assert names == [label("wm_hillshade"), "Maximum depth (m)", label("hazard_defra"),
                     label("risk"), label("waterlogging_points"), label("entrances"),
                     label("pump_stations")]


def test_legend_follows_the_active_overlays(visit):
    p = visit.page
    legend = p.locator(".fr-legend")
    assert "Maximum depth (m)" in legend.inner_text()
    assert label("hazard_defra") not in legend.inner_text()
    p.locator(".leaflet-control-layers label", has_text=label("hazard_defra")) \
        .locator("input").check()
    text = legend.inner_text()
    assert label("hazard_defra") in text and "significant: danger for most" in text
    assert p.evaluate("document.querySelectorAll('.leaflet-image-layer').length") == 3
    p.locator(".leaflet-control-layers label", has_text="Maximum depth (m)") \
        .locator("input").uncheck()
    assert "0.15-0.3 m" not in legend.inner_text().replace("Maximum depth 0.15-0.3 m", "")
    assert p.evaluate("document.querySelectorAll('.leaflet-image-layer').length") == 2


def test_script_names_show_as_text(visit):
    p = visit.page
    text = visit.popup_of("path.fr-station", 1)
    assert SCRIPT_NAME in text
    assert "PS02" in text
    text = visit.popup_of("path.fr-waterlogging", 2)
    assert IMG_ID in text and "1.20 m" in text
    assert p.title() == f"Interactive waterlogging map: {STUDY}"
    assert STUDY in p.locator(".fr-title").first.inner_text()
    assert STUDY in p.locator(".leaflet-control-attribution").inner_text()
    assert visit.dialogs == [] and visit.errors == []
    counts = p.evaluate("""() => ({
        scripts: document.querySelectorAll('script').length,
        img: document.querySelectorAll('img[src="x"]').length,
        bold: document.querySelectorAll('b').length,
        popupScripts: document.querySelectorAll('.leaflet-popup script').length})""")
    assert counts == {"scripts": 6, "img": 0, "bold": 0, "popupScripts": 0}


def test_chinese_page_in_browser(browser, tmp_path):
    path = write_webmap(_record(tmp_path), tmp_path / "map.html", lang="zh")
    v = _Visit(browser, path)
    try:
        names = [t.strip() for t in
                 v.page.locator(".leaflet-control-layers label").all_inner_texts()]
        assert names[-3:] == ["易涝点", "地下空间出入口", "排涝泵站"]
        assert "失效" in v.popup_of("path.fr-station", 0)
        assert v.errors == [] and v.outside == [] and v.dialogs == []
    finally:
        v.page.close()


# ---- the demo run --------------------------------------------------------------------------

def test_demo_web_map(browser, demo_run):
    """The map.html of the demo run (written by the run's report stage)."""
    run, _ = demo_run
    path = run / "map.html"
    size = path.stat().st_size
    assert 100_000 < size < 5_000_000
    gpkg = run / "assessment.gpkg"
    n = {layer: len(pyogrio.read_dataframe(gpkg, layer=layer, read_geometry=False))
         for layer in ("waterlogging_points", "underground_exposure", "pump_stations")}
    v = _Visit(browser, path)
    try:
        assert v.errors == [] and v.outside == [] and v.dialogs == []
        p = v.page
        assert p.locator("path.fr-waterlogging").count() == n["waterlogging_points"]
        assert p.locator("path.fr-entrance").count() == n["underground_exposure"]
        assert p.locator("path.fr-station").count() == n["pump_stations"]
        stations = pyogrio.read_dataframe(gpkg, layer="pump_stations", read_geometry=False)
        first = stations.iloc[0]
        text = v.popup_of("path.fr-station", 0)
        assert str(first["station_id"]) in text
        assert f"{first['max_site_depth']:.2f} m" in text
    finally:
        v.page.close()
