"""`floodrisk run --engine coupled`: the 1D-2D run of the demo city in a run folder, with
the volume balance and the time split in its manifest."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
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


REQUIRED = {
    "waterlogging_points": {"point_id", "max_depth", "area", "volume", "duration_over",
                            "first_time_over", "cause", "rank"},
    "underground_exposure": {"space_id", "entrance_id", "max_outside_depth", "inflow_volume",
                             "first_inflow_time", "class"},
    "pump_stations": {"station_id", "max_site_depth", "failed", "failure_time"},
    "facilities": {"facility_id", "max_site_depth", "failed"},
    "pipe_capacity": {"link_id", "capacity_return_period"},
}


def test_assessment_finds_the_demo_weak_spots(coupled_run):
    """assessment.gpkg and its CSVs after 90 min of the 50-year storm: every depression
    the generator made without an inlet is a waterlogging point labelled no_inlet; the
    low-lying station PS01 fails when the coupled run switched it off, sits in a
    depression and is marked for relocation, PS02 does not fail; the underpass UG01 takes
    water and passes its closure depth; the metro entrance on a dip of the pavement takes
    water with a lead time and puts its station at risk; the facilities stay dry."""
    outcome, _ = coupled_run
    run = outcome.path
    layers = {name: gpd.read_file(run / "assessment.gpkg", layer=name)
              for name in ("waterlogging_points", "waterlogging_areas", "underground_exposure",
                           "underground_spaces", "pump_stations", "facilities",
                           "buildings_risk", "pipe_capacity")}
    for name, cols in REQUIRED.items():
        assert cols <= set(layers[name].columns), name
        if name != "pipe_capacity":
            csv = pd.read_csv(run / "assessment" / f"{name}.csv")
            assert len(csv) == len(layers[name]) and cols <= set(csv.columns), name
    points, areas = layers["waterlogging_points"], layers["waterlogging_areas"]
    assert list(points["rank"]) == list(range(1, len(points) + 1))
    assert (points["max_depth"] > 0.15).all() and (points["area"] >= 100.0).all()
    spots = gpd.read_file(ROOT / "data" / "demo" / "city.gpkg", layer="weak_spots")
    for s in spots[spots["kind"] == "depression_no_inlet"].itertuples():
        hit = areas[areas.contains(s.geometry)]
        assert len(hit) == 1 and hit["cause"].iloc[0] == "no_inlet", s.spot_id
        assert pd.isna(hit["road"].iloc[0]) or hit["road"].iloc[0] == ""   # inside a block
    # street ponds say which road they sit on (the demo's roads layer)
    roads = set(gpd.read_file(ROOT / "data" / "demo" / "city.gpkg", layer="roads")["name"])
    street = points[points["cause"] == "overland"]
    assert len(street) and street["road"].isin(roads).all()
    st = layers["pump_stations"].set_index("station_id")
    coupled = gpd.read_file(run / "coupled.gpkg", layer="pump_stations").set_index("station_id")
    assert st.loc["PS01", "failed"] and st.loc["PS01", "relocate"]
    assert st.loc["PS01", "failure_time"] == pytest.approx(coupled.loc["PS01", "failed_at"])
    assert st.loc["PS01", "depression_depth"] > 0.5
    assert not st.loc["PS02", "failed"] and st.loc["PS02", "margin"] > 0
    # the cost of PS01's failure, against a second run with every station working
    m = json.loads((run / "manifest.json").read_text())
    cost = m["assessment"]["failure_cost"]
    assert cost["stations"] == ["PS01"] and "baseline" in m["timings_s"]
    assert st.loc["PS01", "extra_flooded_area"] == pytest.approx(cost["extra_flooded_area_m2"])
    assert st.loc["PS01", "extra_volume"] == pytest.approx(cost["extra_volume_m3"])
    assert cost["extra_volume_m3"] > 0 and cost["newly_flooded_area_m2"] > 0
    assert np.isnan(st.loc["PS02", "extra_volume"])
    sp = layers["underground_spaces"].set_index("space_id")
    assert sp.loc["UG01", "class"] == "flooded"
    assert 0 < sp.loc["UG01", "lead_time"] < sp.loc["UG01", "time_closure"] < 5400
    ent = layers["underground_exposure"]
    assert (ent.loc[ent["space_id"] == "UG01", "inflow_volume"] > 0).all()
    # the metro entrance the generator put on a dip of the pavement takes water at the
    # storm's peak (72 min): a lead time, the barrier deadline before it, the station at
    # risk but its equipment level far from reached; its other entrances stay safe
    low = spots.loc[spots["kind"] == "low_entrance", "feature_id"].iloc[0]
    e = ent.set_index("entrance_id")
    assert e.loc[low, "kind"] == "metro_station" and e.loc[low, "class"] == "flooded"
    assert 0 < e.loc[low, "time_at_risk"] < e.loc[low, "first_inflow_time"] < 5400
    assert e.loc[low, "inflow_volume"] > 0
    station = e.loc[low, "space_id"]
    others = ent[(ent["space_id"] == station) & (ent["entrance_id"] != low)]
    assert len(others) == 3 and (others["class"] == "safe").all()
    assert sp.loc[station, "class"] == "at risk"
    assert sp.loc[station, "lead_time"] == pytest.approx(e.loc[low, "first_inflow_time"])
    assert sp.loc[station, "fill_depth"] < 0.5 * (sp.loc[station, "critical_elev"]
                                                  - (sp.loc[station, "water_level"]
                                                     - sp.loc[station, "fill_depth"]))
    assert not layers["facilities"]["failed"].any()
    # the hazard grids: graded exactly where the water stood deeper than 0.15 m
    import rasterio
    with rasterio.open(run / "hazard_grade.tif") as g, rasterio.open(run / "max_depth.tif") as d:
        grade, depth = g.read(1), d.read(1)
    assert ((grade > 0) == (np.nan_to_num(depth) >= 0.15)).all()


def test_lowest_return_period_of_every_cell_point_and_entrance(coupled_run):
    """The demo config runs the storm again at 3, 10 and 100 years ([storm]
    return_periods): a cell's lowest return period is the smallest of {3, 10, 50, 100}
    whose run took it over 0.15 m; every waterlogging point of the 50-year run floods at
    50 years or less; an entrance flooded at 50 years has a period ≤ 50; the flooded area
    grows with the return period."""
    import rasterio

    outcome, _ = coupled_run
    run = outcome.path
    with rasterio.open(run / "lowest_return_period.tif") as src:
        low = src.read(1)
    with rasterio.open(run / "max_depth.tif") as src:
        depth50 = np.nan_to_num(src.read(1))
        transform = src.transform
    # the river (land cover "water") is no waterlogging: no period there
    from rasterio.features import rasterize
    lc = gpd.read_file(ROOT / "data" / "demo" / "city.gpkg", layer="landcover")
    water = rasterize(list(lc.loc[lc["class"] == "water"].geometry), out_shape=low.shape,
                      transform=transform, fill=0, default_value=1).astype(bool)
    assert water.any() and np.isnan(low[water]).all()
    wet50 = (depth50 > 0.15) & ~water
    seen = set(np.unique(low[np.isfinite(low)]).tolist())
    assert seen <= {3.0, 10.0, 50.0, 100.0} and {3.0, 50.0} <= seen
    assert (low[wet50] <= 50).all()                   # flooded at 50 a: at 50 a or before
    assert (np.isnan(low) | (low == 100) | wet50 | (low < 50)).all()
    periods = pd.read_csv(run / "assessment" / "return_periods.csv")
    assert periods["return_period"].tolist() == [3.0, 10.0, 50.0, 100.0]
    assert periods["flooded_area"].is_monotonic_increasing
    assert periods.loc[periods["return_period"] == 50, "flooded_area"].iat[0] == pytest.approx(
        wet50.sum() * 25.0)
    # area flooded at 100 a = cells with a period; at 3 a = cells of period 3
    assert periods["flooded_area"].iat[-1] == pytest.approx(np.isfinite(low).sum() * 25.0)
    assert periods["flooded_area"].iat[0] == pytest.approx((low == 3).sum() * 25.0)
    points = gpd.read_file(run / "assessment.gpkg", layer="waterlogging_points")
    assert (points["lowest_return_period"] <= 50).all()
    ent = gpd.read_file(run / "assessment.gpkg", layer="underground_exposure")
    flooded = ent["class"] == "flooded"
    assert (ent.loc[flooded, "lowest_return_period"] <= 50).all()
    assert set(ent.loc[~flooded, "lowest_return_period"].dropna()) <= {100.0}
    m = json.loads((run / "manifest.json").read_text())
    assert {"return_period_3", "return_period_10", "return_period_100"} <= set(m["timings_s"])
    # the manholes that spilled, in the assessment's GeoPackage too
    nf = gpd.read_file(run / "assessment.gpkg", layer="node_flooding")
    ex = gpd.read_file(run / "coupled.gpkg", layer="exchange_nodes")
    assert set(nf["node_id"]) == set(ex.loc[ex["spilled_m3"] > 0, "node_id"])
