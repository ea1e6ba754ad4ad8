"""Map sheets (floodrisk.report.maps / sheets / fonts): paper sizes, fonts, legends.

The unit tests draw a small synthetic run built here (a 600 m × 400 m town of 10 m cells
with hand-placed classes, so every legend entry and area is known); one integration test
draws every sheet of the demo run.

Expected figures, by hand:

- PNG pixels = paper (mm) / 25.4 × dpi, rounded: A4 297 × 210 mm at 100 dpi → 1169 × 827,
  A3 420 × 297 mm at 100 dpi → 1654 × 1169; at 200 dpi A4 → 2339 × 1654, A3 → 3307 × 2339.
- PDF page = paper (mm) / 25.4 × 72 pt: A4 841.89 × 595.28 pt, A3 1190.55 × 841.89 pt.
- Risk grid: 30 cells of class 1 (0.30 hm²) and 6 of class 3 (0.06 hm²), none of 2.
- Depth grid: 20 cells of 0.10 m (0.20 hm²), 10 of 0.40 m (0.10 hm²), 4 of 1.20 m
  (0.04 hm²); the rest dry or 0.02 m (not drawn).
"""

from __future__ import annotations

import re
import struct
from pathlib import Path

import geopandas as gpd
import matplotlib
import numpy as np
import pytest
from affine import Affine
from matplotlib import font_manager, ft2font
from pyproj import CRS
from shapely.geometry import LineString, Point, box

from floodrisk.errors import FloodRiskError, InputError, RunFolderError
from floodrisk.grid import Grid
from floodrisk.io.run_record import RunRecord, read_run
from floodrisk.rainfall import Hyetograph
from floodrisk.report import fonts
from floodrisk.report.maps import plot_max_depth
from floodrisk.report.sheets import SHEETS, Sheet, build_sheet, draw_sheets, nice_length

pypdf = pytest.importorskip("pypdf")  # a test dependency (pyproject [test])

CRS_CN = "EPSG:4547"
X0, YTOP, CELL, ROWS, COLS = 463000.0, 3843400.0, 10.0, 40, 60


def _grid(values: np.ndarray) -> Grid:
    return Grid(np.asarray(values, dtype=np.float32),
                Affine(CELL, 0, X0, 0, -CELL, YTOP), CRS.from_user_input(CRS_CN))


def _cell_box(r0: int, r1: int, c0: int, c1: int):
    """The ground covered by rows r0..r1-1, cols c0..c1-1."""
    return box(X0 + c0 * CELL, YTOP - r1 * CELL, X0 + c1 * CELL, YTOP - r0 * CELL)


def _centre(r: int, c: int) -> Point:
    return Point(X0 + (c + 0.5) * CELL, YTOP - (r + 0.5) * CELL)


def _record(path: Path) -> RunRecord:
    rows, cols = np.mgrid[0:ROWS, 0:COLS]
    elevation = 90.0 - 0.02 * cols - 0.01 * rows
    risk = np.zeros((ROWS, COLS))
    risk[5:10, 5:11] = 1            # 30 cells low
    risk[20:22, 30:33] = 3          # 6 cells high
    depth = np.full((ROWS, COLS), np.nan)
    depth[30:35, 0:30] = 0.02       # below the first class: not drawn
    depth[10:14, 20:25] = 0.10      # 20 cells 0.05-0.15 m
    depth[25:27, 40:45] = 0.40      # 10 cells 0.3-0.5 m
    depth[20:22, 30:32] = 1.20      # 4 cells ≥ 1 m
    low = np.full((ROWS, COLS), np.nan)
    low[10:14, 20:25] = 3.0         # 20 cells first flood at 3 a
    low[25:27, 40:45] = 50.0        # 10 cells at 50 a; none at 10 a
    grids = {"elevation": _grid(elevation), "risk": _grid(risk), "max_depth": _grid(depth),
             "lowest_return_period": _grid(low)}
    crs = CRS_CN
    points = gpd.GeoDataFrame({"point_id": ["WL01", "WL02"], "max_depth": [0.4, 1.2]},
                              geometry=[_centre(26, 42), _centre(21, 31)], crs=crs)
    buildings = gpd.GeoDataFrame(
        {"building_id": ["B1", "B2", "B3"], "risk": [3, 0, 0],
         "risk_label": ["high", "none", "none"]},
        geometry=[_cell_box(20, 22, 30, 33), _cell_box(0, 3, 0, 3), _cell_box(0, 3, 50, 53)],
        crs=crs)
    y = YTOP - 155.0
    pipes = gpd.GeoDataFrame(
        {"link_id": ["C1", "C2", "C3"], "capacity_class": ["< 1 a", "≥ 5 a", "≥ 5 a"]},
        geometry=[LineString([(X0 + 100, y), (X0 + 200, y)]),
                  LineString([(X0 + 200, y), (X0 + 350, y)]),
                  LineString([(X0 + 350, y), (X0 + 500, y)])], crs=crs)
    conduits = gpd.GeoDataFrame(
        {"link_id": ["C1", "C2", "C3"], "shape": ["circular", "circular", "rect_closed"],
         "diameter": [0.3, 0.8, np.nan], "height": [np.nan, np.nan, 1.5]},
        geometry=list(pipes.geometry), crs=crs)
    spaces = gpd.GeoDataFrame(
        {"space_id": ["UG01", "UG02"], "kind": ["underpass", "car_park"],
         "name": ["测试下穿通道", "Car park two"], "class": ["flooded", "safe"],
         "lead_time": [1800.0, np.nan], "time_at_risk": [0.0, np.nan]},
        geometry=[_cell_box(10, 12, 35, 45), _cell_box(30, 34, 50, 56)], crs=crs)
    entrances = gpd.GeoDataFrame(
        {"space_id": ["UG01", "UG01", "UG02"], "entrance_id": ["UG01-E1", "UG01-E2", "UG02-E1"],
         "class": ["flooded", "at risk", "safe"],
         "first_inflow_time": [1800.0, np.nan, np.nan],
         "time_at_risk": [0.0, 1500.0, np.nan]},
        geometry=[_centre(11, 35), _centre(11, 44), _centre(30, 50)], crs=crs)
    stations = gpd.GeoDataFrame(
        {"station_id": ["PS01", "PS02"], "name": ["West", "East"], "failed": [True, False],
         "failure_time": [4740.0, np.nan]},
        geometry=[_centre(35, 5), _centre(35, 55)], crs=crs)
    layers = {"assessment/waterlogging_points": points, "assessment/buildings_risk": buildings,
              "assessment/pipe_capacity": pipes, "study/conduits": conduits,
              "assessment/underground_spaces": spaces,
              "assessment/underground_exposure": entrances,
              "assessment/pump_stations": stations}
    manifest = {
        "status": "complete", "study": "Test town", "crs": CRS_CN,
        "finished": "2026-03-04T05:06:07+00:00",
        "inputs": [{"role": "dem", "path": "/data/town/dem.tif"},
                   {"role": "network", "path": "/data/town/town.gpkg"}],
        "config": {"storm": {"return_period": 50.0, "return_periods": [3.0, 10.0]},
                   "scenario": {"name": None, "failed_stations": {"PS02": 1800.0}},
                   "assessment": {"waterlogging": {"threshold": 0.15}},
                   "capacity": {"settings": {"design_return_period": 3.0}}}}
    storm = Hyetograph(np.array([0.0, 1800.0, 3600.0]), np.array([20.0, 60.0, 0.0]),
                       name="Test storm 1 h")
    return RunRecord(path=path, manifest=manifest, summary={}, grids=grids, layers=layers,
                     storm=storm)


@pytest.fixture
def record(tmp_path: Path) -> RunRecord:
    return _record(tmp_path / "run")


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


def _pdf_fonts(path: Path) -> dict[str, bool]:
    """Base names of the fonts of a PDF's first page (subset prefix removed) → whether
    the font file is embedded."""
    page = pypdf.PdfReader(path).pages[0]
    out = {}
    for ref in page["/Resources"]["/Font"].values():
        font = ref.get_object()
        descs = [d.get_object()["/FontDescriptor"].get_object()
                 for d in font.get("/DescendantFonts") or []]
        if "/FontDescriptor" in font:
            descs.append(font["/FontDescriptor"].get_object())
        for fd in descs:
            name = str(fd["/FontName"]).lstrip("/").split("+")[-1]
            out[name] = any(k in fd for k in ("/FontFile", "/FontFile2", "/FontFile3"))
    return out


def _pdf_text(path: Path) -> str:
    """The text of a PDF's first page, lines wrapped to the panel joined by spaces."""
    return " ".join(pypdf.PdfReader(path).pages[0].extract_text().split())


def _legend_texts(sheet: Sheet) -> list[list[str]]:
    """Entries of each legend of the sheet (lines wrapped to the panel joined again)."""
    return [[t.get_text().replace("\n", " ") for t in leg.get_texts()] for leg in sheet.legends]


def _cjk_or_fail() -> fonts.CJKFont:
    font = fonts.find_cjk_font()
    if font is None:
        pytest.fail("no CJK font installed: apt-get install fonts-noto-cjk (make test does)")
    return font


# ---- paper sizes -------------------------------------------------------------------------

@pytest.mark.parametrize(("paper", "dpi", "pixels"), [("A4", 100, (1169, 827)),
                                                       ("A3", 100, (1654, 1169)),
                                                       ("A4", 200, (2339, 1654))])
def test_png_is_the_paper_at_the_dpi(record, tmp_path, paper, dpi, pixels):
    out = draw_sheets(record, tmp_path, papers=(paper,), formats=("png",), dpi=dpi,
                      names=("risk",))
    assert out == [tmp_path / "maps" / f"risk_{paper}.png"]
    assert _png_size(out[0]) == pixels


@pytest.mark.parametrize(("paper", "points"), [("A4", (841.89, 595.28)),
                                                ("A3", (1190.55, 841.89))])
def test_pdf_page_is_the_paper_in_points(record, tmp_path, paper, points):
    (pdf,) = draw_sheets(record, tmp_path, papers=(paper,), formats=("pdf",),
                         names=("max_depth",))
    box_ = pypdf.PdfReader(pdf).pages[0].mediabox
    assert float(box_.width) == pytest.approx(points[0], abs=0.01)
    assert float(box_.height) == pytest.approx(points[1], abs=0.01)


def test_draw_sheets_writes_every_sheet_paper_and_format(record, tmp_path):
    out = draw_sheets(record, tmp_path, dpi=50)
    names = sorted(p.name for p in out)
    assert names == sorted(f"{n}_{p}.{f}" for n in SHEETS for p in ("A3", "A4")
                           for f in ("png", "pdf"))
    assert sorted(p.name for p in (tmp_path / "maps").iterdir()) == names  # no temp files left


# ---- Chinese and English -----------------------------------------------------------------

def test_zh_pdf_embeds_the_cjk_font_and_holds_the_chinese_title(record, tmp_path):
    cjk = _cjk_or_fail()
    (pdf,) = draw_sheets(record, tmp_path, lang="zh", papers=("A4",), formats=("pdf",),
                         names=("risk",))
    embedded = _pdf_fonts(pdf)
    ps_name = ft2font.FT2Font(cjk.path, face_index=cjk.index).postscript_name
    assert ps_name in embedded and embedded[ps_name]          # the CJK face, embedded
    text = _pdf_text(pdf)
    assert "内涝风险图" in text
    assert "风险等级（面积）" in text                            # legend title in Chinese
    assert "PS02（第 30 min）" in text                          # failed by assumption at 1800 s
    assert "Waterlogging risk map" not in text


def test_zh_sheets_use_the_cjk_font_for_every_panel_text(record):
    cjk = _cjk_or_fail()
    sheet = build_sheet("underground", record, lang="zh")
    files = {Path(t.get_fontproperties().get_file()).name for t in sheet.panel.texts}
    assert files == {Path(cjk.path).name, Path(fonts.find_cjk_font(bold=True).path).name}
    assert sheet.panel.texts[0].get_text() == "地下空间进水风险图"


def test_en_pdf_holds_the_english_title(record, tmp_path):
    (pdf,) = draw_sheets(record, tmp_path, lang="en", papers=("A4",), formats=("pdf",),
                         names=("risk",))
    text = _pdf_text(pdf)
    assert "Waterlogging risk map" in text
    assert "内涝风险图" not in text
    assert "Test town" in text and "Test storm 1 h" in text
    assert "PS02 at 30 min" in text                             # failed by assumption
    assert "PS01 West at 79 min" in text                        # failed in the run, 4740 s
    assert "dem.tif, town.gpkg" in text                         # RunRecord.sources()
    assert "2026-03-04 05:06" in text                           # run finished
    assert "Thresholds: project defaults, unverified." in text


def test_chinese_names_on_an_english_sheet_are_drawn_in_the_cjk_font(record, tmp_path):
    _cjk_or_fail()
    (pdf,) = draw_sheets(record, tmp_path, papers=("A4",), formats=("pdf",),
                         names=("underground",))
    assert "UG01 测试下穿通道 (underpass): flooded" in _pdf_text(pdf)


def test_no_cjk_font_names_the_package_to_install(record, tmp_path, monkeypatch):
    monkeypatch.setattr(font_manager.fontManager, "ttflist",
                        [f for f in font_manager.fontManager.ttflist
                         if f.name not in fonts.CJK_FAMILIES])
    monkeypatch.setattr(font_manager, "findSystemFonts", lambda *a, **k: [])
    assert fonts.find_cjk_font() is None
    with pytest.raises(FloodRiskError, match="fonts-noto-cjk") as err:
        draw_sheets(record, tmp_path, lang="zh")
    assert "fonts-wqy-microhei" in str(err.value)               # an alternative
    assert not (tmp_path / "maps").exists()                     # failed before writing
    # English sheets still draw; a Chinese name falls back to its id
    sheet = build_sheet("underground", record, lang="en")
    assert not sheet.can_draw("测试")
    assert any(t.get_text().startswith("UG01 (underpass)") for t in sheet.panel.texts)


def test_a_font_installed_after_matplotlibs_cache_is_found(monkeypatch):
    cjk = _cjk_or_fail()
    # matplotlib's font list as it was before the CJK font files were installed
    cjk_files = {f.fname for f in font_manager.fontManager.ttflist if "CJK" in f.name} | {cjk.path}
    monkeypatch.setattr(font_manager.fontManager, "ttflist",
                        [f for f in font_manager.fontManager.ttflist if f.fname not in cjk_files])
    assert fonts.cjk_family() is None
    found = fonts.find_cjk_font()
    assert found is not None and found.family == cjk.family and found.path == cjk.path


def test_drawing_leaves_matplotlib_settings_alone(record, tmp_path):
    before = (matplotlib.rcParams["pdf.fonttype"], dict(matplotlib.rcParams),
              len(font_manager.fontManager.ttflist))
    draw_sheets(record, tmp_path, lang="zh" if fonts.find_cjk_font() else "en",
                papers=("A4",), formats=("pdf",), names=("risk",))
    after = (matplotlib.rcParams["pdf.fonttype"], dict(matplotlib.rcParams),
             len(font_manager.fontManager.ttflist))
    assert after == before


# ---- legends and labels ------------------------------------------------------------------

def test_risk_legends_are_the_classes_present(record):
    sheet = build_sheet("risk", record)
    assert _legend_texts(sheet) == [["high: 0.06 hm²", "low: 0.30 hm²"],
                                    ["high: 1", "none: 2"],
                                    ["2, labelled with their id"]]
    labels = {t.get_text() for t in sheet.ax.texts}
    assert {"WL01", "WL02"} <= labels


def test_depth_legend_is_the_classes_present(record):
    sheet = build_sheet("max_depth", record)
    texts = _legend_texts(sheet)
    assert texts[0] == ["0.05-0.15 m: 0.20 hm²", "0.3-0.5 m: 0.10 hm²", "≥ 1 m: 0.04 hm²"]
    assert texts[1] == ["0.15 m outline: waterlogging depth (GB 51222)"]


def test_capacity_legend_counts_pipes_and_length(record):
    sheet = build_sheet("pipe_capacity", record)
    texts = _legend_texts(sheet)
    assert texts[0] == ["< 1 a: 1, 0.10 km", "≥ 5 a: 2, 0.30 km"]
    assert texts[1] == ["0.3 m", "0.8 m", "1.5 m"]               # min, median, max size


def test_underground_legends_and_entrance_labels(record):
    sheet = build_sheet("underground", record)
    texts = _legend_texts(sheet)
    assert texts[0] == ["flooded: 1", "safe: 1"]
    assert texts[1] == ["flooded: 1", "at risk: 1", "safe: 1"]
    labels = {t.get_text() for t in sheet.ax.texts}
    assert "UG01-E1\ninflow at 30 min\nbarriers before the rain (no sill)" in labels
    assert "UG01-E2\nbarriers by 25 min" in labels
    assert not any(t.startswith("UG02-E1") for t in labels)     # safe: not labelled


def test_legend_words_are_chinese_on_a_zh_sheet(record):
    _cjk_or_fail()
    sheet = build_sheet("pipe_capacity", record, lang="zh")
    assert _legend_texts(sheet)[0] == ["小于 1 年一遇：1, 0.10 km", "5 年一遇及以上：2, 0.30 km"]


# ---- layout ------------------------------------------------------------------------------

@pytest.mark.parametrize("paper", ["A4", "A3"])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_layout_keeps_the_aspect_and_fits_the_page(record, paper, lang):
    if lang == "zh":
        _cjk_or_fail()
    width_mm = {"A4": 297.0, "A3": 420.0}[paper]
    height_mm = {"A4": 210.0, "A3": 297.0}[paper]
    for name in SHEETS:
        sheet = build_sheet(name, record, paper=paper, lang=lang)
        pos = sheet.ax.get_position()
        w, h = pos.width * width_mm, pos.height * height_mm
        assert w / h == pytest.approx(600.0 / 400.0, rel=1e-9)   # data 600 m × 400 m
        # scale 1:N: 600 m of ground on w mm of paper
        assert sheet.scale_denominator == pytest.approx(600.0 / (w / 1000.0), rel=1e-9)
        panel = sheet.panel.get_position()
        assert pos.x1 < panel.x0                                 # map left of the panel
        assert not sheet.overflows                               # panel text above footer
        renderer = sheet.fig.canvas.get_renderer()
        page = sheet.fig.bbox
        for artist in [*sheet.legends, *sheet.panel.texts, *sheet.ax.texts]:
            bb = artist.get_window_extent(renderer)
            assert page.x0 <= bb.x0 and bb.x1 <= page.x1 and page.y0 <= bb.y0 <= bb.y1 <= page.y1


def test_every_pdf_text_lies_on_the_page(record, tmp_path):
    (pdf,) = draw_sheets(record, tmp_path, papers=("A4",), formats=("pdf",),
                         names=("underground",))
    page = pypdf.PdfReader(pdf).pages[0]
    w, h = float(page.mediabox.width), float(page.mediabox.height)
    where = []
    page.extract_text(visitor_text=lambda text, cm, tm, fd, fs:
                      where.append((text, cm[4], cm[5])) if text.strip() else None)
    assert len(where) > 20
    assert all(0 <= x <= w and 0 <= y <= h for _, x, y in where), where


def test_nice_scale_bar_lengths():
    assert nice_length(600.0) == 100.0          # 20 % of 600 m = 120 m → 100 m
    assert nice_length(2000.0) == 200.0         # 400 m → 200 m
    assert nice_length(3000.0) == 500.0         # 600 m → 500 m
    assert nice_length(12000.0) == 2000.0       # 2.4 km → 2 km
    with pytest.raises(InputError):
        nice_length(0.0)


def test_scale_bar_is_drawn_and_labelled(record):
    sheet = build_sheet("risk", record)
    labels = [t.get_text() for t in sheet.ax.texts]
    assert "100 m" in labels and "50" in labels and "0" in labels


def test_a_run_without_a_dem_is_drawn_on_white(record, tmp_path):
    grids = {k: v for k, v in record.grids.items() if k != "elevation"}
    no_dem = RunRecord(path=record.path, manifest=record.manifest, summary={}, grids=grids,
                       layers={"assessment/pipe_capacity":
                               record.layers["assessment/pipe_capacity"]})
    (pdf,) = draw_sheets(no_dem, tmp_path, papers=("A4",), formats=("pdf",),
                         names=("pipe_capacity",))
    assert pdf.name == "pipe_capacity_A4.pdf"
    assert "no elevation.tif in the run: no hillshade" in _pdf_text(pdf)
    sheet = build_sheet("pipe_capacity", no_dem)
    assert sheet.bounds == record.grids["risk"].bounds          # the extent of another grid
    assert not sheet.ax.images
    pipes_only = RunRecord(path=record.path, manifest=record.manifest, summary={}, grids={},
                           layers=no_dem.layers)
    x0, y0, x1, y1 = build_sheet("pipe_capacity", pipes_only).bounds
    # pipes from x 100-500 m, y 155 m below the top: 2 % of 400 m round them
    assert (x0, x1) == pytest.approx((X0 + 92.0, X0 + 508.0))
    assert (y0, y1) == pytest.approx((YTOP - 163.0, YTOP - 147.0))


def test_scale_bar_and_north_arrow_keep_off_the_points(record):
    bounds = record.grids["elevation"].bounds            # 463000-463600 × 3843000-3843400
    point = (bounds[0] + 15.0, bounds[1] + 10.0)         # in the bottom left corner

    def covered(sheet: Sheet) -> bool:
        boxes = [p.get_bbox() for p in sheet.ax.patches if p.get_alpha() == 0.85]
        assert len(boxes) == 2                           # scale bar and north arrow
        return any(b.x0 <= point[0] <= b.x1 and b.y0 <= point[1] <= b.y1 for b in boxes)

    free = Sheet("A4", bounds, crs=None)
    free.finish_frame()
    assert covered(free)                                 # the bar's usual place
    busy = Sheet("A4", bounds, crs=None)
    busy.keep_clear(np.array([point]))
    busy.finish_frame()
    assert not covered(busy)


def test_unknown_paper_format_sheet_and_missing_data(record, tmp_path):
    with pytest.raises(InputError, match="paper"):
        draw_sheets(record, tmp_path, papers=("A5",))
    with pytest.raises(InputError, match="format"):
        draw_sheets(record, tmp_path, formats=("jpg",))
    with pytest.raises(InputError, match="sheet"):
        draw_sheets(record, tmp_path, names=("flood",))
    with pytest.raises(InputError, match="language"):
        draw_sheets(record, tmp_path, lang="fr")
    bare = RunRecord(path=record.path, manifest=record.manifest, summary={},
                     grids={"elevation": record.grids["elevation"]}, layers={})
    assert draw_sheets(bare, tmp_path / "bare") == []            # nothing to draw
    with pytest.raises(RunFolderError, match="risk"):
        draw_sheets(bare, tmp_path, names=("risk",))


# ---- the run's working maps ------------------------------------------------------------------

def test_working_depth_map_keeps_its_legend_on_the_page(record, tmp_path):
    pdf = plot_max_depth(record.grids["elevation"], record.grids["max_depth"],
                         tmp_path / "max_depth.pdf", title="Maximum depth", threshold=0.15)
    page = pypdf.PdfReader(pdf).pages[0]
    w, h = float(page.mediabox.width), float(page.mediabox.height)
    assert (w, h) == pytest.approx((841.89, 595.28), abs=0.01)
    where = []
    text = page.extract_text(visitor_text=lambda t, cm, tm, fd, fs:
                             where.append((t, cm[4], cm[5])) if t.strip() else None)
    assert "Deeper than 0.15 m" in text                          # the legend that was clipped
    assert all(0 <= x <= w and 0 <= y <= h for _, x, y in where)


# ---- the demo run ------------------------------------------------------------------------

def test_demo_run_sheets(demo_run, tmp_path):
    record = read_run(demo_run[0])
    out = draw_sheets(record, tmp_path)
    assert len(out) == 20                  # 5 sheets (the demo runs 4 return periods) × 2 × 2
    for path in out:
        paper = re.match(r"\w+_(A[34])\.(png|pdf)$", path.name).group(1)
        if path.suffix == ".png":
            assert _png_size(path) == {"A4": (2339, 1654), "A3": (3307, 2339)}[paper]
    # the risk legend: every class of risk.tif present, its area from the cells
    risk = record.grid("risk")
    expected = [f"{word}: {np.sum(risk.values == k) * risk.cell_area / 1e4:.2f} hm²"
                for k, word in ((3, "high"), (2, "medium"), (1, "low"))
                if np.sum(risk.values == k)]
    sheet = build_sheet("risk", record)
    assert _legend_texts(sheet)[0] == expected
    assert not sheet.overflows
    # the capacity legend: classes of the layer, pipes and km
    pipes = record.layer("assessment/pipe_capacity")
    text = _pdf_text(tmp_path / "maps" / "pipe_capacity_A4.pdf")
    for cls, n in pipes["capacity_class"].value_counts().items():
        km = pipes.geometry[pipes["capacity_class"] == cls].length.sum() / 1000
        assert f"{cls}: {n}, {km:.2f} km" in text
    # in Chinese: the title and the underpass's own (Chinese) name
    _cjk_or_fail()
    (pdf,) = draw_sheets(record, tmp_path / "zh", lang="zh", papers=("A4",), formats=("pdf",),
                         names=("underground",))
    spaces = record.layer("assessment/underground_spaces")
    underpass = spaces.loc[spaces["kind"] == "underpass"].iloc[0]
    text = _pdf_text(pdf)
    assert "地下空间进水风险图" in text
    assert f"{underpass['space_id']} {underpass['name']} (下穿通道)" in text


def test_lowest_return_period_sheet(record):
    """Every return period run is in the legend with the area that first floods at it
    (20 cells of 100 m² at 3 a, none at 10 a, 10 cells at 50 a), in the colours shared
    with the GIS outputs."""
    from floodrisk.report.colours import return_period_colours

    sheet = build_sheet("lowest_return_period", record)
    assert _legend_texts(sheet)[0] == ["3 a: 0.20 hm²", "10 a: 0.00 hm²", "50 a: 0.10 hm²"]
    colours = return_period_colours([3.0, 10.0, 50.0])
    assert list(colours) == [3.0, 10.0, 50.0] and colours[3.0] == "#d7191c"
