"""The SWMM engine: building a model from a study, running it in its own process, results.

Hand-checkable cases use a one-pipe model built in code; the demo city
(``configs/demo.toml``) carries the done-when bars: continuity, flooding under the
50-year and 1-year Chicago storms, pumps switching on their levels, a failed station.
The whole file runs in about 30 s (each SWMM run is a fresh process).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import itertools
import math
import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from affine import Affine
from shapely.geometry import LineString, Point, box

import floodrisk
from floodrisk.capacity import assess_capacity
from floodrisk.engines import swmm as E
from floodrisk.errors import ContinuityError, InputError, NetworkError, SimulationError
from floodrisk.grid import Grid
from floodrisk.io.swmm_inp import parse_inp
from floodrisk.io.vector import empty_layer
from floodrisk.network import DrainageNetwork
from floodrisk.rainfall import Hyetograph
from floodrisk.scenario import Scenario, StageSeries
from floodrisk.schema import LAYERS
from floodrisk.study import Assets, Study

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "configs" / "demo.toml"
CRS = "EPSG:4547"
X0, YTOP = 500000.0, 2500300.0


# ---- a one-pipe model, by hand --------------------------------------------------------
def tiny_study(imperviousness: float = 1.0) -> Study:
    """One 1 ha subcatchment → J1 → 100 m pipe (D 0.6 m, n 0.013, S 1 %) → outfall O1.

    Ground: a plane falling 1 % eastwards (slope under the subcatchment 0.01 m/m).
    Manning full flow: (0.3117/0.013)·0.6^(8/3)·0.01^(1/2) = 0.6148 m³/s.
    """
    rows, cols = 30, 40
    x = X0 + 10.0 * np.arange(cols) + 5.0
    z = np.tile(20.0 - 0.01 * (x - X0), (rows, 1))
    dem = Grid(z, Affine(10.0, 0, X0, 0, -10.0, YTOP), CRS)
    j1, o1 = Point(X0 + 105, YTOP - 105), Point(X0 + 205, YTOP - 105)
    nodes = gpd.GeoDataFrame(
        {"node_id": ["J1", "O1"], "kind": ["junction", "outfall"], "invert_elev": [10.0, 9.0],
         "rim_elev": [13.0, 11.0], "max_depth": [3.0, 2.0], "storage_area": [np.nan, np.nan]},
        geometry=[j1, o1], crs=CRS)
    conduits = gpd.GeoDataFrame(
        {"link_id": ["C1"], "from_node": ["J1"], "to_node": ["O1"], "shape": ["circular"],
         "diameter": [0.6], "height": [np.nan], "width": [np.nan], "roughness": [0.013],
         "length": [100.0], "in_offset": [0.0], "out_offset": [0.0]},
        geometry=[LineString([j1, o1])], crs=CRS)
    subs = gpd.GeoDataFrame(
        {"subcatchment_id": ["S1"], "outlet": ["J1"], "imperviousness": [imperviousness],
         "runoff_coeff": [np.nan], "area": [1.0e4]},
        geometry=[box(X0, YTOP - 200, X0 + 100, YTOP - 100)], crs=CRS)
    net = DrainageNetwork(nodes, conduits, empty_layer(LAYERS["pumps"], None),
                          empty_layer(LAYERS["stations"], CRS), subs, dem.crs)
    assets = Assets(*(empty_layer(LAYERS[k], CRS) for k in
                      ("underground", "entrances", "facilities", "observed", "buildings",
                       "landcover")), crs=dem.crs)
    return Study("tiny", dem, net, assets)


#: 36 mm/h for 3 h on 1 ha: 0.1 m³/s of rain, 108 mm.
STEADY = Hyetograph([0.0, 10800.0], [36.0, 0.0], name="36 mm/h for 3 h")
#: all of it runs off: no depression storage on the (fully) impervious subcatchment
NO_STORE = E.SwmmSettings(dstore_impervious=0.0)


@pytest.fixture(scope="module")
def steady_run():
    return E.run_swmm(tiny_study(), Scenario("steady", STEADY, duration=14400.0), NO_STORE)


def test_single_pipe_steady_outflow_equals_inflow(steady_run):
    r = steady_run
    q = r.series["link_flow"]["C1"]
    late = q[(q.index >= 7200.0) & (q.index <= 10800.0)]   # the last hour of the rain
    assert late.to_numpy() == pytest.approx(0.1, rel=5e-3)   # i·A = 36 mm/h · 1 ha
    # SWMM's full flow is Manning's for the section and slope
    c = r.conduits.set_index("link_id").loc["C1"]
    assert c["full_flow"] == pytest.approx(0.3117 / 0.013 * 0.6 ** (8 / 3) * 0.1, rel=2e-3)
    assert c["peak_flow_ratio"] == pytest.approx(c["peak_flow"] / c["full_flow"])
    assert r.flooded_nodes.empty and r.continuity_ok


def test_rain_gauge_total_equals_the_hyetograph(steady_run):
    r = steady_run
    assert r.totals["rainfall_mm"] == pytest.approx(STEADY.total_depth_mm, abs=1e-3)
    assert abs(r.runoff_error) < 0.1 and abs(r.routing_error) < 0.1
    # the reported intensity is the storm's, and everything ran off
    rain = r.series["rainfall"]["rainfall"]
    assert rain[rain.index < 10800].to_numpy() == pytest.approx(36.0)
    assert rain[rain.index > 10800].to_numpy() == pytest.approx(0.0)
    assert r.totals["runoff_mm"] == pytest.approx(108.0, rel=5e-3)   # a film stays on


def test_a_conduit_drawn_against_the_flow_keeps_its_direction():
    """Drawn from the outfall up to J1: SWMM gets it reversed (an outfall takes no outlet
    link); the tables and flows are given back as drawn (flow negative)."""
    study = tiny_study()
    c = study.network.conduits.copy()
    c[["from_node", "to_node"]] = [["O1", "J1"]]
    c["geometry"] = c.geometry.reverse()
    net = dataclasses.replace(study.network, conduits=c)
    b = E.build_model(dataclasses.replace(study, network=net), Scenario("r", STEADY))
    assert parse_inp(b.text).rows("CONDUITS")[0][:3] == ("C1", "J1", "O1")
    r = E.run_swmm(dataclasses.replace(study, network=net),
                   Scenario("r", STEADY, duration=10800.0), NO_STORE)
    row = r.conduits.iloc[0]
    assert (row["from_node"], row["to_node"]) == ("O1", "J1")
    q = r.series["link_flow"]["C1"]
    assert q[q.index >= 7200].to_numpy() == pytest.approx(-0.1, rel=5e-3)


def test_rain_timeseries_keeps_the_depth():
    storm = floodrisk.chicago(floodrisk.city_formula("zhengzhou"), 50, 180)
    step, rain = E.rain_timeseries(storm, storm.duration_s + 7200)
    assert step == 300 and len(rain) == 36
    assert rain == pytest.approx(storm.intensity[:-1])
    # irregular steps: the common divisor, depth kept
    odd = Hyetograph([0, 90, 300, 600], [10.0, 40.0, 5.0, 0.0])
    step, rain = E.rain_timeseries(odd, 3600)
    assert step == 30 and rain.sum() * step / 3600 == pytest.approx(odd.total_depth_mm)
    # rain still falling at the last time goes on to the end of the simulation
    step, rain = E.rain_timeseries(Hyetograph([0.0, 600.0], [0.0, 12.0]), 1800.0)
    assert rain.sum() * step / 3600 == pytest.approx(12.0 * 1200 / 3600)


def test_progress_is_reported_up_to_the_end():
    seen = []
    r = E.run_swmm(tiny_study(), Scenario("p", STEADY, duration=3600.0),
                   dataclasses.replace(NO_STORE, stride=600.0, series=()),
                   progress=lambda t, total: seen.append((t, total)))
    times = [t for t, _ in seen]
    assert times[0] == 0.0 and times[-1] == pytest.approx(3600.0)
    assert all(b >= a for a, b in itertools.pairwise(times)) and len(times) >= 6
    assert {total for _, total in seen} == {3600.0}
    assert r.series == {} and r.timings["simulate"] > 0


def test_a_failing_progress_callback_stops_the_run_and_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "t"))
    (tmp_path / "t").mkdir()
    calls = []

    def stop(t, total):
        calls.append(t)
        if len(calls) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        E.run_swmm(tiny_study(), Scenario("x", STEADY), NO_STORE, progress=stop,
                   keep=tmp_path / "kept")
    assert len(calls) == 2 and not (tmp_path / "kept").exists()
    assert list((tmp_path / "t").iterdir()) == [] and len(list(tmp_path.iterdir())) == 1


def test_continuity_bound(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "t"))
    (tmp_path / "t").mkdir()
    s = dataclasses.replace(NO_STORE, continuity_bound=1e-9, series=())
    sc = Scenario("c", Hyetograph([0.0, 600.0, 1200.0], [80.0, 20.0, 0.0]), duration=3600.0)
    r = E.run_swmm(tiny_study(0.5), sc, s)
    assert not r.continuity_ok and "exceed the bound" in r.message
    with pytest.raises(ContinuityError):
        E.run_swmm(tiny_study(0.5), sc, s, raise_on_continuity=True,
                   keep=tmp_path / "kept")
    assert not (tmp_path / "kept").exists()
    assert list((tmp_path / "t").iterdir()) == [] and len(list(tmp_path.iterdir())) == 1


def test_keep_writes_the_files_into_a_new_folder(tmp_path):
    r = E.run_swmm(tiny_study(), Scenario("k", STEADY, duration=1800.0), NO_STORE,
                   keep=tmp_path / "run1")
    assert sorted(p.name for p in (tmp_path / "run1").iterdir()) == [
        "model.inp", "model.out", "model.rpt"]
    assert r.files["out"] == tmp_path / "run1" / "model.out"
    assert [p.name for p in tmp_path.iterdir()] == ["run1"]   # no partial folder left
    # the numpy reader of the .out agrees with swmm-toolkit's
    from swmm.toolkit import output, shared_enum
    h = output.init()
    output.open(h, str(r.files["out"]))
    try:
        ref = output.get_node_series(h, 0, shared_enum.NodeAttribute.INVERT_DEPTH, 0,
                                     output.get_times(h, shared_enum.Time.NUM_PERIODS) - 1)
    finally:
        output.close(h)
    assert r.series["node_depth"]["J1"].to_numpy() == pytest.approx(np.asarray(ref))
    with pytest.raises(InputError):
        E.run_swmm(tiny_study(), Scenario("k", STEADY, duration=1800.0), NO_STORE,
                   keep=tmp_path / "run1")


# ---- bad input ------------------------------------------------------------------------
def _pyswmm_data(name: str) -> Path:
    spec = importlib.util.find_spec("pyswmm")
    return Path(spec.origin).parent / "tests" / "data" / name


def test_bad_input_gives_swmm_error_code_text_and_line(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "t"))
    (tmp_path / "t").mkdir()
    bad = _pyswmm_data("model_bad_input_1.inp")
    with pytest.raises(SimulationError) as e:
        E.run_inp(bad, keep=tmp_path / "kept")
    err = e.value
    assert err.code == 209
    assert "ERROR 209" in str(err) and "undefined object" in str(err)
    assert "line 56" in str(err) and err.layer == "SUBCATCHMENT"
    assert err.feature == "S1" and err.path == str(bad)
    assert err.swmm_errors[0]["line_text"].startswith("S1 * J1")
    # nothing that looks like a result is left behind
    assert not (tmp_path / "kept").exists()
    assert list((tmp_path / "t").iterdir()) == []
    assert [p.name for p in tmp_path.iterdir()] == ["t"]


def test_rpt_parsers():
    text = ("\n  ERROR 209: undefined object * at line 56 of [SUBCATCHMENT] section:\n"
            "  S1   *   J1   1\n\n  ERROR 200: one or more errors in input file.\n")
    errs = E.rpt_errors(text)
    assert errs[0] == {"code": 209, "text": "undefined object * at line 56 of [SUBCATCHMENT] "
                       "section:", "line": 56, "section": "SUBCATCHMENT",
                       "line_text": "S1 * J1 1"}
    assert errs[1]["code"] == 200
    rpt = ("  **************************        Volume        Volume\n"
           "  Flow Routing Continuity        hectare-m      10^6 ltr\n"
           "  **************************     ---------     ---------\n"
           "  External Outflow .........        19.921       199.214\n"
           "  Final Stored Volume ......         0.065         0.646\n"
           "  Continuity Error (%) .....        -2.366\n")
    got = E.rpt_continuity(rpt)["routing"]
    assert got == {"external outflow": pytest.approx(199214.0),
                   "final stored volume": pytest.approx(646.0)}


def test_run_inp_on_a_us_units_model_gives_si():
    r = E.run_inp(_pyswmm_data("model_storage_pump.inp"))
    n = r.nodes.set_index("node_id")
    assert n.loc["SU1", "max_depth"] == pytest.approx(5.0 * 0.3048, rel=1e-4)   # 5 ft
    p = r.pumps.set_index("pump_id").loc["P1"]
    assert p["peak_flow"] == pytest.approx(3.0 * 0.0283168466, rel=1e-4)        # 3 cfs
    assert p["station_id"] == p["from_node"] == "J2"
    assert r.series["pump_flow"]["P1"].max() == pytest.approx(p["peak_flow"], rel=1e-4)


# ---- building ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo() -> Study:
    return floodrisk.load_study(DEMO)


def storm(P: float) -> Hyetograph:
    return floodrisk.chicago(floodrisk.city_formula("zhengzhou"), P, 180)


def test_demo_model_text(demo):
    sc = Scenario("x", storm(50), failed_stations={"PS02": 5400.0},
                  outfall_stage={"OF01": 86.0,
                                 "OF02": StageSeries([0, 3600], [84.0, 85.0])})
    b = E.build_model(demo, sc)
    inp = parse_inp(b.text)
    net = demo.network
    assert len(inp.rows("JUNCTIONS")) == (net.nodes.kind == "junction").sum()
    assert len(inp.rows("STORAGE")) == 2 and len(inp.rows("CONDUITS")) == len(net.conduits)
    assert len(inp.rows("SUBCATCHMENTS")) == len(net.subcatchments)
    # two pumps per station deliver into one outfall: one copy per extra pump
    outfalls = {r[0]: r for r in inp.rows("OUTFALLS")}
    assert set(outfalls) == {"OF01", "OF02", "OF03", "OF04", "OF03.2", "OF04.2"}
    assert outfalls["OF01"][2:4] == ("FIXED", "86")
    assert outfalls["OF02"][2:4] == ("TIMESERIES", "stage_OF02")
    assert outfalls["OF03.2"][1:] == outfalls["OF03"][1:]
    pumps = {r[0]: r for r in inp.rows("PUMPS")}
    assert pumps["PS01-P2"] == ("PS01-P2", "WW01", "OF03.2", "PC_PS01-P2", "ON", "1.4", "0.6")
    assert ("PC_PS02-P1", "PUMP2", "6.246", "6.07") in inp.rows("CURVES")
    rules = inp.section("CONTROLS").text()
    assert "IF SIMULATION TIME > 1.500000" in rules
    assert "THEN PUMP PS02-P1 STATUS = OFF" in rules and "AND PUMP PS02-P2 STATUS = OFF" in rules
    assert "PS01" not in rules
    opts = inp.options()
    assert opts["FLOW_UNITS"] == "CMS" and opts["FLOW_ROUTING"] == "DYNWAVE"
    assert (opts["START_TIME"], opts["END_TIME"]) == ("00:00:00", "05:00:00")
    # ψ = 0.6 → 60 % impervious (ψ = 0.9·imp + 0.15·(1 − imp)); width √area
    s1 = inp.rows("SUBCATCHMENTS")[0]
    assert float(s1[4]) == pytest.approx(60.0)
    assert float(s1[5]) == pytest.approx(math.sqrt(float(s1[3]) * 1e4), rel=1e-5)
    # the network's conduit slope at 1 m/5 m cells: positive, in %
    assert all(float(r[6]) >= 0.1 for r in inp.rows("SUBCATCHMENTS"))
    # the rain: 36 steps of 5 min, the storm's depth
    assert b.rain_depth_mm == pytest.approx(storm(50).total_depth_mm)
    assert inp.rows("RAINGAGES") == [("RG1", "INTENSITY", "0:05:00", "1.0", "TIMESERIES", "rain")]


def test_pipes_alone_without_runoff(demo, tmp_path):
    b = E.build_model(demo, Scenario("x", storm(50)), runoff=False)
    inp = parse_inp(b.text)
    assert inp.rows("SUBCATCHMENTS") == [] and inp.rows("RAINGAGES") == []
    assert len(inp.rows("JUNCTIONS")) == (demo.network.nodes.kind == "junction").sum()
    (tmp_path / "m.inp").write_text(b.text)
    r = E.run_inp(tmp_path / "m.inp")
    assert r.totals["outflow_m3"] == pytest.approx(0.0, abs=1e-6) and not len(r.flooded_nodes)


def test_subcatchments_derived_from_the_terrain(demo):
    net = dataclasses.replace(demo.network, subcatchments=None)
    b = E.build_model(dataclasses.replace(demo, network=net), Scenario("x", storm(1)))
    rows = parse_inp(b.text).rows("SUBCATCHMENTS")
    assert all(r[0] == f"SC_{r[2]}" for r in rows)
    area = sum(float(r[3]) for r in rows) * 1e4
    assert area == pytest.approx(np.isfinite(demo.terrain.values).sum()
                                 * demo.terrain.cell_area, rel=0.01)  # every cell < 200 m
    assert any("derived from the terrain" in n for n in b.notes)


def test_inlet_blockage_splits_the_subcatchments(demo):
    b = E.build_model(demo, Scenario("x", storm(1), inlet_blockage={"J0064": 0.25}))
    rows = {r[0]: r for r in parse_inp(b.text).rows("SUBCATCHMENTS")}
    sub = net_sub = demo.network.subcatchments.set_index("outlet").loc["J0064"]
    a = float(net_sub["area"]) / 1e4
    kept, lost = rows[sub["subcatchment_id"]], rows[sub["subcatchment_id"] + ".blocked"]
    assert float(kept[3]) == pytest.approx(0.75 * a) and float(lost[3]) == pytest.approx(0.25 * a)
    assert lost[2] == E.UNCAPTURED and float(lost[4]) == float(kept[4])
    assert dict(b.uncaptured) == {sub["subcatchment_id"] + ".blocked": "J0064"}


def test_other_sections_and_ideal_pumps(demo):
    c = demo.network.conduits.copy()
    c["full_area"], c["hydraulic_radius"] = np.nan, np.nan
    c.loc[0, ["shape", "full_area", "hydraulic_radius"]] = ["other", 2.0, 0.3]   # flat
    c.loc[1, ["shape", "full_area", "hydraulic_radius"]] = ["other", 0.5, 0.2]   # round
    p = demo.network.pumps.copy()
    p.loc[0, "capacity"] = np.nan
    net = dataclasses.replace(demo.network, conduits=c, pumps=p)
    inp = parse_inp(E.build_inp(dataclasses.replace(demo, network=net), Scenario("x", storm(1))))
    xs = {r[0]: r for r in inp.rows("XSECTIONS")}
    kind, h, w = xs[c.link_id[0]][1], float(xs[c.link_id[0]][2]), float(xs[c.link_id[0]][3])
    assert kind == "RECT_CLOSED"
    assert (h * w, h * w / (2 * (h + w))) == pytest.approx((2.0, 0.3))   # same A and R
    kind, d = xs[c.link_id[1]][1], float(xs[c.link_id[1]][2])
    assert kind == "CIRCULAR"   # same full-bore conveyance A·R^(2/3)
    assert math.pi * d * d / 4 * (d / 4) ** (2 / 3) == pytest.approx(0.5 * 0.2 ** (2 / 3))
    assert {r[0]: r[3] for r in inp.rows("PUMPS")}[p.pump_id[0]] == "*"
    # an open channel stays open: RECT_OPEN with the same A and R = hw/(w + 2h)
    kind, h, w = E._equivalent_section(6.0, 0.8, closed=False)
    assert kind == "RECT_OPEN" and (h * w, h * w / (w + 2 * h)) == pytest.approx((6.0, 0.8))
    c.loc[2, ["shape", "full_area"]] = ["other", np.nan]
    with pytest.raises(NetworkError) as e:
        E.build_inp(dataclasses.replace(demo, network=dataclasses.replace(net, conduits=c)),
                    Scenario("x", storm(1)))
    assert e.value.feature == [c.link_id[2]] and e.value.layer == "conduits"


@pytest.mark.parametrize("kwargs, field", [
    ({"failed_stations": {"PS09": 0.0}}, "failed_stations"),
    ({"outfall_stage": {"J0001": 85.0}}, "outfall_stage"),
    ({"inlet_blockage": {"NOPE": 0.5}}, "inlet_blockage"),
])
def test_scenarios_naming_unknown_things_are_refused(demo, kwargs, field):
    with pytest.raises(InputError) as e:
        E.build_inp(demo, Scenario("x", storm(1), **kwargs))
    assert e.value.field == field


# ---- the demo city ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo_runs(demo):
    """The 50-year and 1-year Chicago storms (3 h), side by side in two processes."""
    return E.run_scenarios(demo, [Scenario("P50", storm(50)), Scenario("P1", storm(1))],
                           processes=2)


def test_demo_continuity_and_flooding(demo, demo_runs):
    p50, p1 = demo_runs
    assert (p50.name, p1.name) == ("P50", "P1")
    for r in demo_runs:
        assert abs(r.routing_error) <= 1.0 and abs(r.runoff_error) <= 1.0 and r.continuity_ok
        assert len(r.nodes) == len(demo.network.nodes)   # outfall copies left out
    assert len(p50.flooded_nodes) >= 10 and p50.totals["flooding_m3"] > 1e4
    # under the 1-year storm only the runs the data plants undersized (capacity below a
    # 1-year storm by the rational method) may spill: nothing else floods
    pc = assess_capacity(demo.network, floodrisk.city_formula("zhengzhou"))
    undersized = set(pc.loc[pc["capacity_return_period"] < 1.0, "from_node"])
    assert set(p1.flooded_nodes["node_id"]) <= undersized
    assert p1.totals["flooding_m3"] < 1e-3 * p50.totals["flooding_m3"]
    # the gauge carried the storm; flood volumes agree between nodes and the system
    assert p50.totals["rainfall_mm"] == pytest.approx(storm(50).total_depth_mm, abs=1e-3)
    assert p50.nodes["flood_volume"].sum() == pytest.approx(p50.totals["flooding_m3"],
                                                            rel=1e-3)
    # series are at the report step, in seconds from the start
    d = p50.series["node_depth"]
    assert d.index[0] == 60.0 and d.index[-1] == 5 * 3600.0 and d.shape[1] == 364
    n = p50.nodes.set_index("node_id")
    sampled = d.max().reindex(n.index).to_numpy()   # instantaneous values every minute
    assert np.all(sampled <= n["max_depth"].to_numpy() + 1e-3)
    assert np.median(n["max_depth"].to_numpy() - sampled) < 0.01


def test_demo_resized_to_its_design_floods_nowhere_under_a_1_year_storm(demo):
    """The demo city is built for a 3-year storm but plants runs one or two sizes too small
    (weak spots for the capacity check). Give those runs the diameter their rational-method
    design flow needs — D·(Q_design / Q_full)^(3/8) for a circular Manning pipe, rounded
    up to 0.1 m — and a 1-year storm floods no node at all."""
    from floodrisk.capacity import CapacitySettings
    formula = floodrisk.city_formula("zhengzhou")
    design = CapacitySettings(design_return_period=3)
    pc = assess_capacity(demo.network, formula, settings=design)
    small = pc[pc["capacity_return_period"] < 1.0].merge(
        demo.network.conduits[["link_id", "diameter"]], on="link_id")
    assert len(small) >= 2       # the synthetic city plants at least two such runs
    conduits = demo.network.conduits.copy()
    for row in small.itertuples():
        d = row.diameter * (row.design_flow / row.full_capacity) ** 0.375
        conduits.loc[conduits["link_id"] == row.link_id, "diameter"] = math.ceil(d * 10) / 10
    net = dataclasses.replace(demo.network, conduits=conduits)
    assert assess_capacity(net, formula, settings=design)["capacity_return_period"].min() >= 3.0
    r = E.run_swmm(dataclasses.replace(demo, network=net), Scenario("P1 resized", storm(1)))
    assert r.continuity_ok and abs(r.routing_error) <= 1.0
    assert len(r.flooded_nodes) == 0 and r.totals["flooding_m3"] == 0.0


def test_demo_pumps_switch_on_their_levels_and_a_failed_station_stops(demo):
    """Pump flow against wet-well depth at 1 s: off below off_depth, on above on_depth,
    and PS02's pumps off from its failure at 90 min.

    The tolerance is the most a wet well can move in one routing step (the pumps switch
    on the depth at the start of a step): Σ capacity · 1 s / plan area (2.6 cm for WW01,
    6.7 cm for WW02, whose 12 m³/s empty its 180 m² in seconds).
    """
    s = E.SwmmSettings(routing_step=1.0, report_step=1, series=("node_depth", "pump_flow"))
    fail = 5400.0
    r = E.run_swmm(demo, Scenario("PS02 fails", storm(50), failed_stations={"PS02": fail}), s)
    assert abs(r.routing_error) <= 1.0
    depth, flow = r.series["node_depth"], r.series["pump_flow"]
    t = flow.index.to_numpy()
    pumps = demo.network.pumps.set_index("pump_id")
    area = demo.network.nodes.set_index("node_id")["storage_area"]
    table = r.pumps.set_index("pump_id")
    for pid, p in pumps.iterrows():
        tol = pumps.loc[pumps.from_node == p.from_node, "capacity"].sum() * 1.0 / area[p.from_node]
        d, q = depth[p.from_node].to_numpy(), flow[pid].to_numpy()
        failed = p.station_id == "PS02"
        alive = t <= fail if failed else np.ones(len(t), bool)
        low, high = d < p.off_depth - tol, (d > p.on_depth + tol) & alive
        assert low.sum() > 100 and high.sum() > 100, pid     # both states are exercised
        assert np.all(q[low] == 0), pid
        assert np.all(q[high] == pytest.approx(p.capacity)), pid
        if failed:
            assert np.all(q[t >= fail + 1.0] == 0) and table.loc[pid, "failed_at"] == fail
            assert np.any(q[t < fail] > 0)
        else:
            assert np.any(q[t > fail + 600] > 0) and np.isnan(table.loc[pid, "failed_at"])
        assert table.loc[pid, "peak_flow"] == pytest.approx(p.capacity)
        on_hours = (q > 0).sum() / 3600.0
        assert table.loc[pid, "hours_on"] == pytest.approx(on_hours, abs=0.02)


def test_demo_blockage_and_raised_outfalls(demo, demo_runs):
    stage = StageSeries([0.0, 3600.0, 7200.0], [84.0, 86.0, 84.5])
    sc = Scenario("blocked", storm(50), inlet_blockage=0.3,
                  outfall_stage={"OF01": 86.0, "OF02": stage})
    r = E.run_swmm(demo, sc)
    p50 = demo_runs[0]
    assert r.continuity_ok
    # 30 % of every subcatchment's runoff never reaches the pipes, reported per node
    assert r.totals["uncaptured_m3"] == pytest.approx(
        0.3 * r.totals["wet_weather_inflow_m3"], rel=0.01)
    assert r.nodes["uncaptured_volume"].sum() == pytest.approx(r.totals["uncaptured_m3"])
    assert r.totals["flooding_m3"] < p50.totals["flooding_m3"]
    # the river stands at the given levels at the outfalls
    head = r.series["node_head"]
    assert head["OF01"].min() >= 86.0 - 1e-3
    want = np.interp(head.index, stage.times, stage.levels)
    assert np.all(head["OF02"].to_numpy() >= want - 1e-3)
    assert np.any(np.abs(head["OF02"].to_numpy() - want) < 1e-3)
