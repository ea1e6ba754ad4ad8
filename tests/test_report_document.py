"""The assessment report: every table with the right counts, escaping, both languages,
what changed against a previous assessment, the printable copy, and `floodrisk report`."""

from __future__ import annotations

import html as html_lib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import box

from floodrisk.io.run_record import RunRecord
from floodrisk.rainfall import Hyetograph
from floodrisk.report.document import build_report, table_counts

CRS = "EPSG:4547"


def _record(path: Path, points: list[tuple], *, spaces=None, entrances=None) -> RunRecord:
    """A run record built in code: waterlogging areas as 10 m boxes at (x, y)."""
    rows = [{"point_id": pid, "rank": k + 1, "max_depth": d, "mean_depth": d / 2,
             "area": 100.0, "volume": v, "duration_over": 1800.0, "first_time_over": 3000.0,
             "cause": "overland", "evidence": ev, "road": road}
            for k, (pid, x, y, d, v, ev, road) in enumerate(points)]
    geoms = [box(x, y, x + 10, y + 10) for _, x, y, *_ in points]
    areas = gpd.GeoDataFrame(rows, geometry=geoms, crs=CRS)
    pts = gpd.GeoDataFrame(rows, geometry=[g.centroid for g in geoms], crs=CRS)
    layers = {"assessment/waterlogging_points": pts, "assessment/waterlogging_areas": areas}
    if spaces is not None:
        layers["assessment/underground_spaces"] = spaces
    if entrances is not None:
        layers["assessment/underground_exposure"] = entrances
    storm = Hyetograph(np.array([0.0, 600.0, 1200.0]), np.array([30.0, 60.0, 0.0]), name="T")
    manifest = {"study": "Test <city>", "crs": CRS, "finished": "2026-06-01T10:00:00+08:00",
                "config": {"engine": "coupled", "scenario": {"failed_stations": {"PS9": 600}}},
                "volume_balance": {"rain_m3": 1000.0, "losses_m3": 100.0, "error_m3": 0.5,
                                   "error_rel": 5e-4, "exchange_pipe_side_m3": 200.0,
                                   "exchange_surface_side_m3": 200.0},
                "timings": {"surface_s": 3.0, "drainage_s": 1.0, "exchange_s": 0.2,
                            "total_s": 4.5},
                "inputs": [{"path": "/data/dem.tif"}, {"path": "/data/city.gpkg"}]}
    summary = {"assessment": {"waterlogging_points": len(points)},
               "surface": {"area_over_threshold_m2": 100.0 * len(points)}}
    return RunRecord(path=path, manifest=manifest, summary=summary, layers=layers, storm=storm)


def _ug():
    spaces = pd.DataFrame({"space_id": ["S1", "S2"], "kind": ["metro_station", "car_park"],
                           "name": ["Station", "Park"], "class": ["at risk", "safe"],
                           "lead_time": [4500.0, np.nan], "time_at_risk": [3600.0, np.nan],
                           "inflow_volume": [130.0, 0.0], "fill_depth": [0.03, 0.0],
                           "time_flooded": [np.nan, np.nan], "evidence": ["E1: over", "x"]})
    ent = pd.DataFrame({"entrance_id": ["S1-E1", "S1-E2", "S2-E1"],
                        "space_id": ["S1", "S1", "S2"], "class": ["flooded", "safe", "safe"],
                        "max_outside_depth": [0.5, 0.01, 0.0], "sill_height": [0.45] * 3,
                        "time_at_risk": [3600.0, np.nan, np.nan],
                        "first_inflow_time": [4500.0, np.nan, np.nan],
                        "inflow_volume": [130.0, 0.0, 0.0]})
    return spaces, ent


def test_every_table_with_its_rows_and_user_text_escaped(tmp_path):
    spaces, ent = _ug()
    rec = _record(tmp_path, [("WL01", 0, 0, 0.5, 50.0, "spilled", "<script>alert(1)</script>"),
                             ("WL02", 500, 0, 0.3, 20.0, "a & b", "Main Rd")],
                  spaces=spaces, entrances=ent)
    page = build_report(rec, lang="en")
    counts = table_counts(page)
    assert counts["points-table"] == 2 and counts["spaces-table"] == 2
    assert counts["entrances-table"] == 1                    # only S1-E1 is not safe
    assert counts["storm-table"] == 4 and counts["timings-table"] == 4
    # user strings are text: no tag from the data, the study name escaped in the title
    assert "<script>alert(1)</script>" not in page
    assert html_lib.escape("<script>alert(1)</script>") in page
    assert "Test &lt;city&gt;" in page and "a &amp; b" in page
    assert page.count("<script") == 0                       # the report has no script at all
    # times in minutes from the rain's start: lead 75 min, barrier deadline 60 min
    row = re.search(r'<tr><td>S1</td>.*?</tr>', page, re.S).group(0)
    assert ">75 min<" in row and ">60 min<" in row and "at risk" in row
    assert "PS9 (10 min)" in page                           # the scenario's failed station
    assert "5.00e-04" in page                               # relative volume error


def test_chinese_report(tmp_path):
    spaces, ent = _ug()
    page = build_report(_record(tmp_path, [("WL01", 0, 0, 0.5, 50.0, "x", "")],
                                spaces=spaces, entrances=ent), lang="zh")
    assert '<html lang="zh-CN">' in page
    for words in ("内涝风险评估报告", "易涝点（按积水量排序）", "地下空间进水风险", "有风险", "地铁车站"):
        assert words in page, words


def test_changes_against_a_previous_assessment(tmp_path):
    # previous: A (0.30 m), B (0.50 m), C; now: A deeper by 0.10 m (worsened), B the same
    # (not listed), C gone (resolved), D new; the station's entrance S1-E1 was safe before
    # (new), and S2-E1 was flooded before (resolved).
    spaces, ent = _ug()
    prev_ent = ent.assign(**{"class": ["safe", "safe", "flooded"],
                             "inflow_volume": [0.0, 0.0, 40.0]})
    prev = _record(tmp_path / "p", [("A", 0, 0, 0.30, 10.0, "", ""), ("B", 200, 0, 0.5, 20.0, "", ""),
                                    ("C", 400, 0, 0.2, 5.0, "", "")], entrances=prev_ent)
    now = _record(tmp_path / "n", [("A1", 0, 0, 0.40, 10.0, "", ""), ("B1", 200, 0, 0.5, 20.0, "", ""),
                                   ("D1", 900, 0, 0.2, 5.0, "", "")], spaces=spaces, entrances=ent)
    page = build_report(now, previous=prev)
    counts = table_counts(page)
    assert counts["changes-points-table"] == 3               # A1 worsened, D1 new, C resolved
    assert counts["changes-entrances-table"] == 2
    assert "new 1, worsened 1, improved 0, resolved 1" in page
    table = page[page.index('id="changes-points-table"'):]
    table = table[:table.index("</table>")]
    assert re.search(r"<td>worsened</td><td>A1</td><td>A</td>", table)
    assert re.search(r"<td>new</td><td>D1</td><td></td>", table)
    assert re.search(r"<td>resolved</td><td></td><td>C</td>", table)


# ---- the demo run ----------------------------------------------------------------------------

def test_demo_report_matches_the_assessment(demo_run):
    run, _ = demo_run
    page = (run / "report.html").read_text(encoding="utf-8")
    counts = table_counts(page)

    def n(layer):
        return len(gpd.read_file(run / "assessment.gpkg", layer=layer))

    ent = gpd.read_file(run / "assessment.gpkg", layer="underground_exposure")
    assert counts["points-table"] == min(n("waterlogging_points"), 100)
    assert counts["spaces-table"] == n("underground_spaces")
    assert counts["entrances-table"] == int((ent["class"] != "safe").sum()) > 0
    assert counts["stations-table"] == n("pump_stations") == 2
    assert counts["facilities-table"] == n("facilities")
    assert counts["periods-table"] == 4                       # 3, 10, 50, 100 a
    # the maps are embedded, the page needs nothing from outside
    assert page.count('src="data:image/png;base64,') == 6     # storm chart + 5 map sheets
    assert not re.search(r'(src|href)="(https?:)?//', page)
    # the printable copy: a PDF with the report's text
    from pypdf import PdfReader
    pdf = PdfReader(run / "report.pdf")
    assert len(pdf.pages) >= 3
    text = " ".join(p.extract_text() for p in pdf.pages[:2])
    assert "Waterlogging risk assessment" in text and "WL01" in text


def test_report_command_redraws_in_chinese_and_compares(demo_run, tmp_path):
    src, _ = demo_run
    run = tmp_path / "run"
    shutil.copytree(src, run)
    before = json.loads((run / "manifest.json").read_text())
    exe = Path(sys.executable).with_name("floodrisk")
    r = subprocess.run([str(exe), "report", str(run), "--lang", "zh", "--previous", str(src),
                        "--paper", "A4", "--no-pdf"], capture_output=True, text=True,
                       timeout=900)
    assert r.returncode == 0, r.stderr
    page = (run / "report.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in page and "内涝风险评估报告" in page
    # against itself nothing changed
    assert "新增 0，加重 0，改善 0，消除 0" in page or "新增 0, 加重 0, 改善 0, 消除 0" in page
    m = json.loads((run / "manifest.json").read_text())
    assert m["report"]["lang"] == "zh" and m["report"]["previous"] == str(src)
    assert {p.name for p in (run / "maps").iterdir()} == {
        f"{n}_A4.{f}" for n in ("risk", "max_depth", "pipe_capacity", "underground",
                                "lowest_return_period") for f in ("png", "pdf")}
    # the manifest's hashes are those of the files now there; the run's own results untouched
    from floodrisk.io.runs import sha256_of
    for o in m["outputs"]:
        assert sha256_of(run / o["path"]) == o["sha256"], o["path"]
    same = {o["path"]: o["sha256"] for o in before["outputs"]
            if o["path"].endswith((".tif", ".csv")) and "/" not in o["path"]}
    assert all(sha256_of(run / p) == h for p, h in same.items())
    assert not list(run.glob(".*"))


def test_report_command_failure_leaves_the_run_as_it_was(demo_run, tmp_path):
    src, _ = demo_run
    run = tmp_path / "run"
    shutil.copytree(src, run)
    from floodrisk.io.runs import sha256_of
    before = {p.relative_to(run): sha256_of(p) for p in run.rglob("*") if p.is_file()}
    exe = Path(sys.executable).with_name("floodrisk")
    r = subprocess.run([str(exe), "report", str(run), "--previous", str(tmp_path / "nowhere")],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 2 and "nowhere" in r.stderr and "run folder not found" in r.stderr
    after = {p.relative_to(run): sha256_of(p) for p in run.rglob("*") if p.is_file()}
    assert after == before
    r = subprocess.run([str(exe), "report", str(tmp_path)], capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 2 and "manifest.json" in r.stderr
