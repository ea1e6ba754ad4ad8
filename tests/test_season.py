"""Seasons on Dask: a 2-district × 3-scenario season of the demo city on a 2-worker
LocalCluster, killed mid-way and resumed; compared with an earlier season in which one
pipe was too small; one failing task; the folder lock; and districts merged into the
same maxima as one run over the whole area where their edges cut no flow path."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import rasterio
from affine import Affine
from shapely.geometry import LineString, Point, box

from floodrisk.errors import ConfigError
from floodrisk.grid import Grid
from floodrisk.io.raster import write_geotiff
from floodrisk.io.runs import sha256_of
from floodrisk.io.vector import write_layers

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo"
EXE = str(Path(sys.executable).with_name("floodrisk"))

STUDY = """[study]
name = "{name}"
engine = "coupled"
[dem]
path = "{demo}/dem.tif"
[network]
path = "{network}"
[assets]
path = "{network}"
[storm]
city = "zhengzhou"
return_period = 10
duration = 30
[surface]
boundaries = "open"
[report]
enabled = false
"""

SEASON = """[season]
name = "{name}"
study = "{study}"
workers = 2
reports = "none"
{previous}
[scenarios]
return_periods = [3, 10, 50]
durations = [30]
after = 1800
[districts]
path = "{demo}/city.gpkg"
layer = "districts"
"""


def _season(folder: Path, name: str, network: Path, previous: Path | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    study = folder / f"{name}.toml"
    study.write_text(STUDY.format(name=name, demo=DEMO.as_posix(), network=network.as_posix()))
    season = folder / f"season-{name}.toml"
    season.write_text(SEASON.format(
        name=name, study=study.as_posix(), demo=DEMO.as_posix(),
        previous=f'previous = "{previous.as_posix()}"' if previous else ""))
    return season


def _complete(tasks: Path) -> list[Path]:
    return [p for p in tasks.iterdir() if not p.name.startswith(".")
            and (p / "manifest.json").is_file()] if tasks.is_dir() else []


@pytest.fixture(scope="module")
def seasons(tmp_path_factory):
    """Season A: the demo city with its outfall culvert C0357 (2.5 × 2.0 m box) replaced
    by a 0.6 m pipe, killed after two tasks finished and run again; season B: as built
    (the pipe 'enlarged' back), compared with A."""
    work = tmp_path_factory.mktemp("season")
    small = work / "city_small_C0357.gpkg"
    small.write_bytes((DEMO / "city.gpkg").read_bytes())
    c = pyogrio.read_dataframe(small, layer="conduits")
    i = c.index[c["link_id"] == "C0357"][0]
    c.loc[i, ["shape", "diameter", "height", "width"]] = ["circular", 0.6, np.nan, np.nan]
    pyogrio.write_dataframe(c, small, layer="conduits")
    cfg_a = _season(work, "before", small)
    out_a = work / "A"

    # A, killed mid-way: the CLI in its own process group, killed when two tasks are done
    p = subprocess.Popen([EXE, "season", str(cfg_a), "--out", str(out_a)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         start_new_session=True)
    deadline = time.monotonic() + 600
    while len(_complete(out_a / "tasks")) < 2 and time.monotonic() < deadline \
            and p.poll() is None:
        time.sleep(0.2)
    killed_with = _complete(out_a / "tasks")
    os.killpg(p.pid, signal.SIGKILL)
    p.wait()
    after_kill = {d.name: sha256_of(d / "manifest.json") for d in _complete(out_a / "tasks")}
    json_after_kill = json.loads((out_a / "season.json").read_text())   # never half-written
    resumed = subprocess.run([EXE, "season", str(cfg_a), "--out", str(out_a)],
                             capture_output=True, text=True, timeout=900)
    cfg_b = _season(work, "after", DEMO / "city.gpkg", previous=out_a)
    out_b = work / "B"
    fixed = subprocess.run([EXE, "season", str(cfg_b), "--out", str(out_b)],
                           capture_output=True, text=True, timeout=900)
    return dict(work=work, out_a=out_a, out_b=out_b, killed_with=killed_with,
                after_kill=after_kill, json_after_kill=json_after_kill, resumed=resumed,
                fixed=fixed, cfg_a=cfg_a)


def test_killed_season_resumes_without_rerunning_finished_tasks(seasons):
    s = seasons
    assert len(s["killed_with"]) >= 2, "the season finished before it could be killed"
    assert s["json_after_kill"]["status"] == "running"
    assert s["resumed"].returncode == 0, s["resumed"].stderr
    summary = json.loads((s["out_a"] / "season.json").read_text())
    assert summary["status"] == "complete" and len(summary["tasks"]) == 6
    status = {t["path"].split("/")[-1]: t["status"] for t in summary["tasks"]}
    # every task finished before the kill was reused, untouched; the others ran now
    assert {k for k, v in status.items() if v == "reused"} == set(s["after_kill"])
    assert {v for k, v in status.items() if k not in s["after_kill"]} == {"done"}
    for name, sha in s["after_kill"].items():
        assert sha256_of(s["out_a"] / "tasks" / name / "manifest.json") == sha
    # nothing half-written is left: no hidden partial folder, six complete task folders
    assert not [p for p in (s["out_a"] / "tasks").iterdir() if p.name.startswith(".")]
    assert not [p for p in s["out_a"].iterdir() if ".partial" in p.name]
    assert len(_complete(s["out_a"] / "tasks")) == 6
    # a third run: everything reused, nothing run
    again = subprocess.run([EXE, "--quiet", "season", str(s["cfg_a"]), "--out",
                            str(s["out_a"])], capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    counts = json.loads((s["out_a"] / "season.json").read_text())["counts"]
    assert counts == {"done": 0, "reused": 6, "failed": 0, "pending": 0}


def test_season_products(seasons):
    out = seasons["out_a"]
    summary = json.loads((out / "season.json").read_text())
    ids = [r["scenario_id"] for r in summary["scenarios"]]
    assert ids == ["P3-D30-working-clear", "P10-D30-working-clear", "P50-D30-working-clear"]
    # the merged city: each district's grid laid into the city's, its points prefixed
    run = out / "scenarios" / "P50-D30-working-clear"
    with rasterio.open(run / "max_depth.tif") as src, rasterio.open(DEMO / "dem.tif") as dem:
        merged = src.read(1)
        assert src.shape == dem.shape and src.transform == dem.transform
    for task in summary["tasks"]:
        if task["scenario"] != "P50-D30-working-clear":
            continue
        with rasterio.open(out / task["path"] / "max_depth.tif") as src:
            part, t = src.read(1), src.transform
        r0, c0 = round((3843500 - t.f) / 5), round((t.c - 463000) / 5)
        window = merged[r0:r0 + part.shape[0], c0:c0 + part.shape[1]]
        have = np.isfinite(part)
        np.testing.assert_array_equal(window[have], part[have].astype(np.float32))
    points = gpd.read_file(run / "assessment.gpkg", layer="waterlogging_points")
    assert set(points["district_id"]) == {"D1", "D2"}
    assert points["point_id"].str.match(r"^D[12]-WL\d\d$").all()
    assert list(points["rank"]) == list(range(1, len(points) + 1))
    assert points["volume"].is_monotonic_decreasing
    # the lowest return period over 3, 10, 50 a for the city, on the water-free cells
    with rasterio.open(out / "city" / "lowest_return_period_D30-working-clear.tif") as src:
        low = src.read(1)
    assert set(np.unique(low[np.isfinite(low)])) <= {3.0, 10.0, 50.0}
    assert (out / "season_report.html").is_file()
    page = (out / "season_report.html").read_text(encoding="utf-8")
    assert 'id="tasks-table" data-rows="6"' in page and 'id="scenarios-table" data-rows="3"' \
        in page


def test_enlarged_pipe_fixes_its_waterlogging_point(seasons):
    """With the culvert back to its design size the point at its upstream manhole J0006,
    which J0006's spill made in season A, is better or gone in every scenario; nothing
    is new or worse anywhere."""
    s = seasons
    assert s["fixed"].returncode == 0, s["fixed"].stderr
    summary = json.loads((s["out_b"] / "season.json").read_text())
    cmp_ = summary["comparison"]
    assert cmp_["missing"] == [] and set(cmp_["scenarios"]) == {
        "P3-D30-working-clear", "P10-D30-working-clear", "P50-D30-working-clear"}
    assert cmp_["points"]["new"] == 0 and cmp_["points"]["worsened"] == 0
    assert cmp_["points"]["improved"] + cmp_["points"]["resolved"] >= 1
    nodes = gpd.read_file(DEMO / "city.gpkg", layer="nodes").set_index("node_id")
    j0006 = nodes.geometry["J0006"]
    seen = 0
    for sid in cmp_["scenarios"]:
        before = gpd.read_file(s["out_a"] / "scenarios" / sid / "assessment.gpkg",
                               layer="waterlogging_areas")
        spilled = before[before["manholes_overflowed"].fillna("").str.contains("J0006")]
        if not len(spilled):
            continue
        seen += 1
        table = gpd.read_file(s["out_b"] / "comparison" / f"{sid}.gpkg", layer="points")
        rows = table[table["previous_id"].isin(spilled["point_id"])]
        assert len(rows) and set(rows["status"]) <= {"improved", "resolved"}, sid
        now = gpd.read_file(s["out_b"] / "scenarios" / sid / "assessment.gpkg",
                            layer="node_flooding")
        assert "J0006" not in set(now["node_id"])          # the manhole no longer spills
        assert spilled.distance(j0006).min() < 60.0
    assert seen >= 1
    assert "points new 0, worsened 0" in s["fixed"].stdout.replace("\n", " ")


def test_a_failed_task_is_reported_and_the_others_go_on(tmp_path):
    """A district with no node of the network fails; the other runs; exit code 1."""
    districts = tmp_path / "districts.gpkg"
    write_layers({"districts": gpd.GeoDataFrame(
        {"district_id": ["D1", "EMPTY"], "name": ["west", "park"],
         "boundaries": ["open", "closed"]},
        geometry=[box(463000, 3842000, 463738.5, 3843500), box(463000, 3843400, 463100,
                                                                3843500)],
        crs="EPSG:4547")}, districts)
    cfg = _season(tmp_path, "one", DEMO / "city.gpkg")
    text = cfg.read_text().replace(f'{DEMO.as_posix()}/city.gpkg"\nlayer = "districts"',
                                   f'{districts.as_posix()}"')
    text = text.replace("return_periods = [3, 10, 50]", "return_periods = [3]")
    text = text.replace("durations = [30]", "durations = [15]").replace("after = 1800",
                                                                        "after = 300")
    cfg.write_text(text)
    r = subprocess.run([EXE, "season", str(cfg), "--out", str(tmp_path / "S")],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 1, r.stderr
    summary = json.loads((tmp_path / "S" / "season.json").read_text())
    status = {t["district"]: t for t in summary["tasks"]}
    assert status["D1"]["status"] == "done" and status["EMPTY"]["status"] == "failed"
    assert "holds no node" in status["EMPTY"]["error"]
    assert "holds no node" in (tmp_path / "S" / status["EMPTY"]["log"]).read_text()
    assert summary["status"] == "failed" and summary["incomplete_scenarios"] == [
        "P3-D15-working-clear"]
    assert "failed:" in r.stderr and "EMPTY" in r.stderr


def test_two_seasons_never_write_to_one_folder(tmp_path):
    from filelock import FileLock

    from floodrisk.season import SeasonLockedError, run_season

    cfg = _season(tmp_path, "locked", DEMO / "city.gpkg")
    out = tmp_path / "S"
    out.mkdir()
    with FileLock(out / "season.lock"):
        with pytest.raises(SeasonLockedError, match="another season"):
            run_season(cfg, out)
        r = subprocess.run([EXE, "season", str(cfg), "--out", str(out)], capture_output=True,
                           text=True, timeout=120)
        assert r.returncode == 2 and "season.lock" in r.stderr
    assert not (out / "season.json").exists()


def test_unknown_station_in_a_failure_case_is_a_config_error(tmp_path):
    from floodrisk.season import run_season

    cfg = _season(tmp_path, "bad", DEMO / "city.gpkg")
    cfg.write_text(cfg.read_text().replace("after = 1800", "after = 1800\n"
                                           "[scenarios.failures]\nPS9_off = { PS9 = 0 }"))
    with pytest.raises(ConfigError, match="PS9") as e:
        run_season(cfg, tmp_path / "S")
    assert e.value.field == "scenarios.failures"
    assert not (tmp_path / "S" / "tasks").exists() or not any((tmp_path / "S" / "tasks").iterdir())


# ---- districts merged = the whole area, where no flow path is cut -----------------------------

def test_districts_merge_to_the_whole_area_run(tmp_path):
    """Two valleys on either side of a north-south ridge, each draining to its own low
    corner, with its own junction and outfall: no water crosses the ridge. The two
    districts split at the ridge merge into the maxima of one run over the whole area
    (2-D surface engine, closed edges, 30-min storm)."""
    nx_, ny_ = 40, 24
    x0, ytop, cell = 500000.0, 3000000.0 + ny_ * 5.0, 5.0
    col = np.arange(nx_) + 0.5
    row = np.arange(ny_) + 0.5
    ridge = nx_ / 2
    # V-shaped valleys falling 0.04 per cell away from the ridge and 0.01 per cell south
    z = 20.0 - 0.04 * np.abs(col[None, :] - ridge) - 0.01 * row[:, None]
    dem = tmp_path / "dem.tif"
    write_geotiff(Grid(z.astype(np.float32), Affine(cell, 0, x0, 0, -cell, ytop), "EPSG:4547"),
                  dem)

    def xy(c: float, r: float) -> tuple[float, float]:
        return x0 + (c + 0.5) * cell, ytop - (r + 0.5) * cell

    pts = {"JW": xy(3, 20), "OW": xy(1, 22), "JE": xy(36, 20), "OE": xy(38, 22)}
    nodes = gpd.GeoDataFrame(
        {"node_id": list(pts), "kind": ["junction", "outfall", "junction", "outfall"],
         "invert_elev": [17.0, 16.5, 17.0, 16.5], "rim_elev": [19.0, 18.5, 19.0, 18.5]},
        geometry=[Point(p) for p in pts.values()], crs="EPSG:4547")
    conduits = gpd.GeoDataFrame(
        {"link_id": ["CW", "CE"], "from_node": ["JW", "JE"], "to_node": ["OW", "OE"],
         "shape": ["circular"] * 2, "diameter": [0.3, 0.3], "roughness": [0.013] * 2},
        geometry=[LineString([pts["JW"], pts["OW"]]), LineString([pts["JE"], pts["OE"]])],
        crs="EPSG:4547")
    net = tmp_path / "net.gpkg"
    write_layers({"nodes": nodes, "conduits": conduits}, net)
    xr = x0 + ridge * cell
    write_layers({"districts": gpd.GeoDataFrame(
        {"district_id": ["W", "E"], "boundaries": ["closed", "closed"]},
        geometry=[box(x0, ytop - ny_ * cell, xr, ytop), box(xr, ytop - ny_ * cell,
                                                            x0 + nx_ * cell, ytop)],
        crs="EPSG:4547")}, tmp_path / "districts.gpkg")
    (tmp_path / "study.toml").write_text(f"""[study]
name = "two valleys"
engine = "surface"
[dem]
path = "{dem.as_posix()}"
[network]
path = "{net.as_posix()}"
[storm]
city = "zhengzhou"
return_period = 50
duration = 30
[surface]
boundaries = "closed"
pipe_drainage = false
buildings = "none"
[report]
enabled = false
""")
    base = """[season]
name = "{n}"
study = "study.toml"
workers = 2
reports = "none"
[scenarios]
return_periods = [50]
after = 600
"""
    (tmp_path / "whole.toml").write_text(base.format(n="whole"))
    (tmp_path / "split.toml").write_text(base.format(n="split") + """[districts]
path = "districts.gpkg"
""")
    from floodrisk.season import run_season

    whole = run_season(tmp_path / "whole.toml", tmp_path / "whole")
    split = run_season(tmp_path / "split.toml", tmp_path / "split")
    assert whole.ok and split.ok
    sid = "P50-D30-working-clear"

    def grid(folder: Path, name: str) -> np.ndarray:
        with rasterio.open(folder / "scenarios" / sid / f"{name}.tif") as src:
            return src.read(1)

    for name, tol in (("max_depth", 2e-3), ("max_velocity", 5e-3)):
        a, b = grid(tmp_path / "whole", name), grid(tmp_path / "split", name)
        assert np.isfinite(a).all() and np.isfinite(b).all()
        assert np.abs(a - b).max() <= tol, (name, float(np.abs(a - b).max()))
    assert np.nanmax(grid(tmp_path / "whole", "max_depth")) > 0.05      # water did pond
