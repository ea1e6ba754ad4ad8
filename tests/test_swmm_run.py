"""`floodrisk run` with the SWMM engine, `floodrisk swmm-export`, and the top-level
read_inp / write_inp: what lands in the run folder and its manifest."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

import floodrisk
from floodrisk.config import SwmmConfig, load_config
from floodrisk.errors import ConfigError, ContinuityError
from floodrisk.pipeline import run_study

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "configs" / "demo.toml"
VALIDATION = ROOT.parent / "shared" / "validation"
EXE = shutil.which("floodrisk", path=str(Path(sys.executable).parent)) or "floodrisk"


def cli(*args, cwd=None):
    return subprocess.run([EXE, *args], capture_output=True, text=True, cwd=cwd, timeout=600)


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs")
    stages = []
    outcome = run_study(DEMO, out, name="swmm", engine="swmm", inputs=False,
                        progress=stages.append)
    return outcome, stages


def test_run_folder_holds_the_model_its_results_and_the_continuity(demo_run):
    outcome, stages = demo_run
    run = outcome.path
    assert "drainage" in stages and stages.index("drainage") < stages.index("write")
    pct = [float(s.split()[1]) for s in stages if s.startswith("drainage ")]
    assert pct[0] == 0.0 and pct[-1] == 100.0 and pct == sorted(pct)
    for f in ("swmm/model.inp", "swmm/model.rpt", "swmm/model.out", "drainage.gpkg",
              "drainage.png", "node_flooding.csv", "pump_flow.csv"):
        assert (run / f).is_file(), f
    manifest = json.loads((run / "manifest.json").read_text())
    listed = {o["path"] for o in manifest["outputs"]}
    assert {"swmm/model.inp", "swmm/model.out", "drainage.gpkg", "node_flooding.csv"} <= listed
    d = manifest["drainage"]
    assert d["continuity_ok"] is True and d["continuity_bound_pct"] == 2.0
    assert abs(d["routing_error_pct"]) <= 1.0 and abs(d["runoff_error_pct"]) <= 1.0
    assert "drainage" in manifest["timings_s"]
    # the report SWMM wrote says the same
    rpt = (run / "swmm" / "model.rpt").read_text().splitlines()
    runoff, routing = (float(ln.split()[-1]) for ln in rpt if "Continuity Error (%)" in ln)
    assert routing == pytest.approx(d["routing_error_pct"], abs=0.0015)
    assert runoff == pytest.approx(d["runoff_error_pct"], abs=0.0015)


def test_result_layers_and_series_agree(demo_run):
    outcome, _ = demo_run
    run, s = outcome.path, outcome.summary["drainage"]
    nodes = gpd.read_file(run / "drainage.gpkg", layer="drainage_nodes")
    conduits = gpd.read_file(run / "drainage.gpkg", layer="drainage_conduits")
    pumps = gpd.read_file(run / "drainage.gpkg", layer="drainage_pumps")
    assert nodes.crs.to_epsg() == 4547 and len(nodes) == 364 and nodes.geometry.notna().all()
    assert len(conduits) == 358 and (conduits.geom_type == "LineString").all()
    assert len(pumps) == 4
    flooded = nodes[nodes["flood_volume"] > 0]
    assert s["flooded_nodes"] == len(flooded) >= 10
    assert s["flood_volume_m3"] == pytest.approx(flooded["flood_volume"].sum(), rel=1e-3)
    assert s["worst_nodes"][0]["node_id"] == flooded.loc[flooded["flood_volume"].idxmax(),
                                                         "node_id"]
    # the CSV holds every flooded node; integrating its rates (instantaneous, every 60 s)
    # gives back SWMM's own per-node flood volume (summed at every routing step)
    series = pd.read_csv(run / "node_flooding.csv", index_col="time_s")
    assert set(series.columns) == set(flooded["node_id"])
    assert np.all(np.diff(series.index) == 60.0)
    integrated = series.sum() * 60.0
    by_id = flooded.set_index("node_id")["flood_volume"]
    big = by_id[by_id > 500]
    assert len(big) >= 5
    np.testing.assert_allclose(integrated[big.index], big, rtol=0.05)
    assert integrated.sum() == pytest.approx(by_id.sum(), rel=0.02)
    # pumps: the CSV's flow integrates to the pumped volume
    pflow = pd.read_csv(run / "pump_flow.csv", index_col="time_s")
    vol = pumps.set_index("pump_id")["volume"]
    np.testing.assert_allclose(pflow.sum() * 60.0, vol[pflow.columns], rtol=0.05)


@pytest.fixture(scope="module")
def demo_cfg():
    return load_config(DEMO)


def test_continuity_beyond_the_bound_is_flagged_or_refused(demo_cfg, tmp_path):
    tight = demo_cfg.model_copy(update={"swmm": SwmmConfig(continuity_bound=1e-4)})
    outcome = run_study(tight, tmp_path, name="flagged", engine="swmm", inputs=False)
    d = json.loads((outcome.path / "manifest.json").read_text())["drainage"]
    assert d["continuity_ok"] is False and "exceed" in d["message"]
    assert "exceed" in outcome.summary["drainage"]["warning"]
    refuse = demo_cfg.model_copy(update={"swmm": SwmmConfig(continuity_bound=1e-4,
                                                            refuse_bad_continuity=True)})
    with pytest.raises(ContinuityError, match="routing continuity error"):
        run_study(refuse, tmp_path / "refused", engine="swmm", inputs=False)
    assert not (tmp_path / "refused").exists() or not list((tmp_path / "refused").iterdir())


def test_engine_and_config_errors_leave_no_run_folder(demo_cfg, tmp_path):
    with pytest.raises(ConfigError, match="needs a design storm") as e:
        run_study(demo_cfg.model_copy(update={"storm": None}), tmp_path, engine="swmm")
    assert e.value.field == "storm"
    with pytest.raises(ConfigError, match="unknown engine 'lisflood'"):
        run_study(demo_cfg, tmp_path, engine="lisflood")
    assert not list(tmp_path.iterdir())
    bad = tmp_path / "bad.toml"
    bad.write_text(DEMO.read_text().replace("routing_step = 5", "routing_stepp = 5"))
    with pytest.raises(ConfigError) as e:
        load_config(bad)
    assert "routing_stepp" in str(e.value) and e.value.field.startswith("swmm")
    bad.write_text(DEMO.read_text().replace("routing_step = 5", "routing_step = -5"))
    with pytest.raises(ConfigError, match="routing_step must be a positive number"):
        load_config(bad)


def test_config_settings_reach_the_model(demo_cfg):
    cfg = load_config(DEMO)
    assert cfg.engine == "coupled" and cfg.swmm.settings.routing_step == 5.0
    assert cfg.swmm.refuse_bad_continuity is False
    green = SwmmConfig(infiltration="green_ampt", allow_ponding=True, report_step=300)
    assert green.settings.infiltration == "green_ampt" and green.settings.report_step == 300


def test_swmm_export_writes_the_model_the_run_used(demo_run, tmp_path):
    outcome, _ = demo_run
    target = tmp_path / "demo.inp"
    r = cli("--quiet", "swmm-export", str(DEMO), "--out", str(target))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == str(target)
    text = target.read_text()
    assert text == (outcome.path / "swmm" / "model.inp").read_text()
    for section in ("[OPTIONS]", "[RAINGAGES]", "[SUBCATCHMENTS]", "[JUNCTIONS]", "[PUMPS]",
                    "[CURVES]", "[TIMESERIES]", "[MAP]", "[COORDINATES]", "[Polygons]"):
        assert section in text, section
    # SWMM runs it, and it floods as the run said
    res = floodrisk.run_inp(target)
    assert res.totals["flooding_m3"] == pytest.approx(
        outcome.summary["drainage"]["flood_volume_m3"], abs=0.1)
    # an existing file is never replaced without --overwrite
    before = target.read_bytes()
    r = cli("swmm-export", str(DEMO), "--out", str(target))
    assert r.returncode == 2 and "exists already" in r.stderr and "--overwrite" in r.stderr
    assert target.read_bytes() == before
    r = cli("swmm-export", str(DEMO), "--out", str(target), "--overwrite")
    assert r.returncode == 0 and "Model written to" in r.stdout
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_read_inp_and_write_inp_at_the_top_level(tmp_path):
    src = VALIDATION / "swmm-nrtestsuite" / "examples" / "Example1.inp"
    if not src.exists():
        pytest.skip(f"validation data not found at {src.parent}")
    model = floodrisk.read_inp(src, crs="EPSG:32632")
    assert isinstance(model, floodrisk.SwmmModel)
    assert isinstance(model.network, floodrisk.DrainageNetwork)
    assert model.network.nodes.crs.to_epsg() == 32632
    floodrisk.write_inp(model, tmp_path / "copy.inp")
    assert (tmp_path / "copy.inp").read_bytes() == src.read_bytes()
