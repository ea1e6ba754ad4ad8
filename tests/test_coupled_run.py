"""`floodrisk run --engine coupled`: the 1D-2D run of the demo city in a run folder, with
the volume balance and the time split in its manifest."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from floodrisk.config import CoupledConfig, ScenarioConfig, load_config
from floodrisk.errors import ConfigError
from floodrisk.pipeline import run_study

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "configs" / "demo.toml"


@pytest.fixture(scope="module")
def coupled_run(tmp_path_factory):
    # the first 90 min of the 50-year storm (its peak is at 72 min)
    cfg = load_config(DEMO).model_copy(update={"scenario": ScenarioConfig(duration=5400)})
    stages: list[str] = []
    outcome = run_study(cfg, tmp_path_factory.mktemp("runs"), name="coupled", engine="coupled",
                        inputs=False, progress=stages.append)
    return outcome, stages


def test_manifest_carries_the_volume_balance_and_the_time_split(coupled_run):
    outcome, stages = coupled_run
    pct = [float(s.split()[1]) for s in stages if s.startswith("coupled ")]
    assert pct and pct[-1] == 100.0
    m = json.loads((outcome.path / "manifest.json").read_text())
    v = m["volume_balance"]
    assert abs(v["error_rel"]) <= 0.005
    assert v["exchange_pipe_side_m3"] == pytest.approx(v["exchange_surface_side_m3"], rel=1e-9)
    assert v["drained_m3"] > 0
    assert v["boundary_outflow_m3"] > 0        # [surface] boundaries = "open": the river leaves
    # rain + inflow = outflows + losses + change in storage (+ the residual it reports)
    stored = (v["surface_final_m3"] - v["surface_initial_m3"]
              + v["pipe_final_m3"] - v["pipe_initial_m3"])
    assert v["rain_m3"] + v["inflow_m3"] == pytest.approx(
        v["outfall_outflow_m3"] + v["boundary_outflow_m3"] + v["losses_m3"] + stored
        + v["error_m3"], rel=1e-9)
    t = m["timings"]
    assert {"surface_s", "drainage_s", "exchange_s", "total_s"} <= set(t)
    assert t["surface_s"] + t["drainage_s"] + t["exchange_s"] <= t["total_s"] * 1.01


def test_outputs(coupled_run):
    outcome, _ = coupled_run
    run = outcome.path
    for f in ("coupled.gpkg", "node_exchange.csv", "max_depth.tif", "entrance_depth.csv",
              "max_depth.png"):
        assert (run / f).is_file(), f
    nodes = gpd.read_file(run / "coupled.gpkg", layer="exchange_nodes")
    assert nodes.geometry.notna().all() and len(nodes) >= 300
    assert (nodes["net_m3"] - (nodes["drained_m3"] - nodes["spilled_m3"])).abs().max() < 1e-6
    c = outcome.summary["coupled"]
    assert c["drained_m3"] == pytest.approx(nodes["drained_m3"].sum(), rel=1e-3)
    stations = gpd.read_file(run / "coupled.gpkg", layer="pump_stations")
    assert set(stations["station_id"]) == {"PS01", "PS02"}
    series = pd.read_csv(run / "node_exchange.csv", index_col=0)
    assert set(series.columns) == set(nodes["node_id"])
    # the pipe model that was coupled, which SWMM can run again on its own
    inp = (run / "swmm" / "model.inp").read_text()
    assert "[JUNCTIONS]" in inp and "FR_FAIL_0" in inp
    assert "Flow Routing Continuity" in (run / "swmm" / "model.rpt").read_text()


def test_coupled_config_refuses_nested_sections(tmp_path):
    with pytest.raises(ValueError, match="not \\[coupled\\] keys"):
        CoupledConfig.model_validate({"swmm": {"routing_step": 1}})
    bad = tmp_path / "bad.toml"
    bad.write_text(DEMO.read_text().replace("coupling_step =", "coupling_stepp ="))
    with pytest.raises(ConfigError, match="coupling_stepp"):
        load_config(bad)
    # the grid's edges are the surface model's: [surface] boundaries, for both engines
    with pytest.raises(ValueError, match="boundaries"):
        CoupledConfig.model_validate({"boundaries": "open"})
    bad.write_text(DEMO.read_text().replace('boundaries = "open"', 'boundaries = "opne"'))
    with pytest.raises(ConfigError, match="boundaries"):
        load_config(bad)
    cfg = load_config(DEMO)
    assert cfg.surface.boundaries == "open" and cfg.engine == "coupled"
    from floodrisk.pipeline import _coupled_settings
    assert _coupled_settings(cfg).boundaries == "open"


def test_the_default_engine_is_coupled_when_a_storm_is_given(tmp_path):
    text = DEMO.read_text().replace('engine = "coupled"', "")
    cfg = tmp_path / "default.toml"
    cfg.write_text(text.replace("../data/demo/", f"{(ROOT / 'data' / 'demo').as_posix()}/"))
    assert load_config(cfg).engine == "coupled"
    storm = text.index("[storm]")
    cfg.write_text(text[:storm].replace("../data/demo/", f"{(ROOT / 'data' / 'demo').as_posix()}/")
                   + text[text.index("[capacity]"):])
    c = load_config(cfg)
    assert c.storm is None and c.engine == "screening"
