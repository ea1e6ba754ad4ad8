"""The 1D-2D coupled engine: exchange formulas, volume identities, pump failure, demo city.

Hand-checkable cases use a two-compartment study built in code (a pond over an inlet, a
dry yard over a downstream manhole, separated by a wall of NaN cells); the demo city
under the 50-year 3-hour Chicago storm carries the done-when bars (slow).
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from affine import Affine
from shapely.geometry import LineString, Point

import floodrisk
from floodrisk.engines import _exchange as X
from floodrisk.engines.coupled import CoupledSettings, simulate_coupled
from floodrisk.errors import InputError
from floodrisk.grid import Grid
from floodrisk.io.vector import empty_layer
from floodrisk.network import DrainageNetwork
from floodrisk.rainfall import Hyetograph
from floodrisk.scenario import Scenario
from floodrisk.schema import LAYERS
from floodrisk.study import Assets, Study
from floodrisk.surface_inputs import SurfaceInputs

ROOT = Path(__file__).resolve().parents[1]
CRS = "EPSG:4547"
X0, YTOP = 500000.0, 2500100.0
CELL = 5.0
ROWS, COLS = 20, 40
WALL = 13                       # column of NaN cells between the pond and the yard
G = 9.81
S = CoupledSettings()           # default coefficients and inlet geometry
#: each node on its own cell, no infiltration (the pond only loses water to the inlet)
TIGHT = CoupledSettings(inlet_radius=0.0,
                        inputs=SurfaceInputs(pipe_drainage=False, pervious_infiltration=0.0))


def centre(r: int, c: int) -> Point:
    return Point(X0 + CELL * (c + 0.5), YTOP - CELL * (r + 0.5))


def two_compartments(choke: float = 0.6) -> Study:
    """Pond (cols 0-12, ground 20 m) | wall (col 13, NaN) | yard (cols 14-39, ground 19 m).

    J1 under the pond at cell (10, 5), J2 under the yard at cell (10, 25), outfall O1 at
    (10, 35). C1 J1→J2 (D 0.6 m, 100 m), C2 J2→O1 (D ``choke``, 50 m), n 0.013.
    Nodes lie on cell centres; the runs link each node to the cell holding it (radius 0).
    """
    z = np.full((ROWS, COLS), 19.0)
    z[:, :WALL] = 20.0
    z[:, WALL] = np.nan
    dem = Grid(z, Affine(CELL, 0, X0, 0, -CELL, YTOP), CRS)
    j1, j2, o1 = centre(10, 5), centre(10, 25), centre(10, 35)
    nodes = gpd.GeoDataFrame(
        {"node_id": ["J1", "J2", "O1"], "kind": ["junction", "junction", "outfall"],
         "invert_elev": [17.0, 16.5, 16.0], "rim_elev": [20.0, 19.0, 19.0],
         "max_depth": [3.0, 2.5, 3.0], "storage_area": [np.nan] * 3},
        geometry=[j1, j2, o1], crs=CRS)
    conduits = gpd.GeoDataFrame(
        {"link_id": ["C1", "C2"], "from_node": ["J1", "J2"], "to_node": ["J2", "O1"],
         "shape": ["circular"] * 2, "diameter": [0.6, choke], "height": [np.nan] * 2,
         "width": [np.nan] * 2, "roughness": [0.013] * 2, "length": [100.0, 50.0],
         "in_offset": [0.0, 0.0], "out_offset": [0.0, 0.0]},
        geometry=[LineString([j1, j2]), LineString([j2, o1])], crs=CRS)
    net = DrainageNetwork(nodes, conduits, empty_layer(LAYERS["pumps"], None),
                          empty_layer(LAYERS["stations"], CRS), None, dem.crs)
    assets = Assets(*(empty_layer(LAYERS[k], CRS) for k in
                      ("underground", "entrances", "facilities", "observed", "buildings",
                       "landcover")), crs=dem.crs)
    return Study("two compartments", dem, net, assets)


def pond(depth: float) -> np.ndarray:
    h = np.zeros((ROWS, COLS))
    h[:, :WALL] = depth
    return h


DRY = Hyetograph([0.0, 60.0], [0.0, 0.0], name="dry")


def weir(h: float) -> float:
    """Free weir over one grate, by hand: c_w P h √(2 g h)."""
    return S.weir_coefficient * S.inlet_perimeter * h * math.sqrt(2 * G * h)


def orifice(dh: float) -> float:
    """Orifice through one grate, by hand: c_o A √(2 g Δh)."""
    return S.orifice_coefficient * S.inlet_area * math.sqrt(2 * G * dh)


def by_hand(h: float, head: float, ground: float) -> float:
    """Surface → pipe flow of one grate written out from the module's formulas."""
    level = ground + h
    if h <= 0.001 or head >= level:
        return 0.0
    dh = level - max(head, ground)
    if head < ground:
        w = weir(h)
    else:
        w = S.submerged_weir_coefficient * S.inlet_perimeter * h * math.sqrt(2 * G * dh)
    return min(w, orifice(dh))


# ---- the formulas ------------------------------------------------------------------------
def test_inlet_rates_weir_orifice_capacity_and_available_water():
    """Free weir at shallow depth, orifice when deep, submerged weir when the head is above
    the ground, capacity cap, nothing when the node is higher or spilling, and two nodes
    on one cell share what it holds."""
    g = 9.81
    depth = np.array([0.03, 0.5, 0.2, 0.2, 0.2, 0.2, 0.01, 0.01])
    ground = np.full(8, 10.0)
    head = np.array([9.0, 9.0, 10.1, 10.3, 9.0, 9.0, 9.0, 9.0])
    over = np.array([0, 0, 0, 0, 1, 0, 0, 0], dtype=np.uint8)
    P, A = np.full(8, 2.4), np.full(8, 0.3375)
    cap = np.array([np.inf] * 5 + [0.02, np.inf, np.inf])
    cell_of = np.array([0, 1, 2, 3, 4, 5, 6, 6])
    out = np.zeros(8)
    X.inlet_rates(depth, ground, head, over, P, A, cap, 0.54, 0.056, 0.167, g, 0.001,
                  cell_of, 7, 25.0, 2.0, np.zeros(7), out)
    assert out[0] == pytest.approx(0.54 * 2.4 * 0.03 * math.sqrt(2 * g * 0.03), rel=1e-12)
    assert out[1] == pytest.approx(0.167 * 0.3375 * math.sqrt(2 * g * 0.5), rel=1e-12)
    # head 10.1 above ground, level 10.2: submerged weir 0.056·2.4·0.2·√(2g·0.1) is less
    # than the orifice 0.167·0.3375·√(2g·0.1)
    assert out[2] == pytest.approx(0.056 * 2.4 * 0.2 * math.sqrt(2 * g * 0.1), rel=1e-12)
    assert out[3] == 0.0 and out[4] == 0.0           # node above the water; node spilling
    assert out[5] == 0.02                             # capacity
    # 0.01 m on 25 m² over 2 s: 0.125 m³/s available, both nodes' weir flows fit
    assert out[6] == out[7] == pytest.approx(0.54 * 2.4 * 0.01 * math.sqrt(2 * g * 0.01))
    # a shorter-lived cell: 0.25 m³ shared by two nodes over a 100 s horizon
    X.inlet_rates(depth, ground, head, over, P, A, cap, 0.54, 0.056, 0.167, g, 0.001,
                  cell_of, 7, 25.0, 100.0, np.zeros(7), out)
    assert out[6] + out[7] == pytest.approx(0.01 * 25.0 / 100.0, rel=1e-12)


def test_settings_are_checked():
    with pytest.raises(InputError) as e:
        CoupledSettings(coupling_step=0)
    assert e.value.field == "coupling_step"
    with pytest.raises(InputError) as e:
        CoupledSettings(inlet_capacity={"J1": -1.0})
    assert e.value.field == "inlet_capacity"


# ---- one inlet over one pipe --------------------------------------------------------------
@pytest.fixture(scope="module")
def shallow():
    """3 cm ponded over J1, 120 s, the pipes empty: J1 takes water at the free-weir rate."""
    return simulate_coupled(two_compartments(), Scenario("shallow", DRY, duration=120.0),
                            TIGHT, initial_depth=pond(0.03))


def test_ponded_water_drains_at_the_weir_rate(shallow):
    """The weir controls below h = 0.309 A/P = 4.3 cm (where c_w P h^1.5 = c_o A h^0.5):
    at 3 cm the first rate is the weir's exactly; afterwards every recorded rate is the
    weir's at the inlet cell's depth (drawn down a few mm below the pond's) while the
    pipe has room (J1's head below the ground)."""
    r = shallow
    q0 = weir(0.03)
    assert q0 < orifice(0.03)
    j1 = r.nodes.set_index("node_id").loc["J1"]
    assert j1.peak_inflow == pytest.approx(q0, rel=1e-9)
    assert r.series["exchange"]["J1"].iloc[0] == pytest.approx(q0, rel=1e-12)
    rates = r.series["exchange"]["J1"].iloc[1:]
    depth = r.series["depth"]["J1"].iloc[1:]
    assert len(rates) >= 4
    for q, h in zip(rates, depth):
        assert 0.025 < h < 0.03
        assert q == pytest.approx(weir(h), rel=1e-9)
    assert r.series["head"]["J1"].max() < 20.0       # the pipe had room: free weir
    # drained volume: between the rates at the least and the greatest depth, times 120 s
    assert weir(depth.min()) * 120.0 < j1.drained_m3 < q0 * 120.0
    assert j1.spilled_m3 == 0.0


def test_shallow_volume_identities(shallow):
    """What the pond lost is what J1 drained; both sides count the same exchange; the
    system balance closes."""
    r, v = shallow, shallow.volume
    pond_lost = 0.03 * CELL * CELL * ROWS * WALL - np.nansum(r.final_depth[:, :WALL]) * CELL ** 2
    assert pond_lost == pytest.approx(r.nodes.drained_m3.sum() - r.nodes.spilled_m3.sum(),
                                      rel=1e-9)
    assert v.exchange_surface_side == pytest.approx(v.exchange_pipe_side, rel=1e-12, abs=1e-9)
    assert v.surface_initial == pytest.approx(0.03 * 25.0 * ROWS * WALL, rel=1e-12)  # 195 m³
    assert abs(v.relative_error) < 0.005
    assert set(r.timings) >= {"surface_s", "drainage_s", "exchange_s", "total_s"}


# ---- a surcharged node spills ---------------------------------------------------------
@pytest.fixture(scope="module")
def spilling():
    """50 cm ponded over J1; C2 a DN150 choke (full flow ≈ 0.015 m³/s) under the dry
    yard: J2 surcharges and spills into the yard."""
    return simulate_coupled(two_compartments(choke=0.15), Scenario("spill", DRY, duration=600.0),
                            TIGHT, initial_depth=pond(0.5))


def test_a_surcharged_node_spills_onto_the_surface(spilling):
    r = spilling
    n = r.nodes.set_index("node_id")
    # J1 drowned: the orifice controls (0.167·0.3375·√(2g·0.5) = 0.177 m³/s at 50 cm)
    assert r.series["exchange"]["J1"].iloc[0] == pytest.approx(orifice(0.5), rel=1e-12)
    # ... and at every record, from the head and depth then
    ex, ovf, head, depth = (r.series[k]["J1"] for k in ("exchange", "overflow", "head",
                                                         "depth"))
    for q, o, hd, h in zip(ex, ovf, head, depth):
        assert q + o == pytest.approx(by_hand(h, hd, 20.0), rel=1e-9, abs=1e-12)
    assert n.loc["J2", "spilled_m3"] > 10.0
    assert n.loc["J2", "max_head"] == pytest.approx(19.0, abs=1e-6)      # at its rim
    # the yard is closed: what is on it is what J2 spilled minus what it took back
    yard = np.nansum(r.final_depth[:, WALL + 1:]) * CELL ** 2
    assert yard == pytest.approx(n.loc["J2", "spilled_m3"] - n.loc["J2", "drained_m3"],
                                 rel=1e-9)
    assert r.final_depth[10, 25] > 0.0
    v = r.volume
    assert v.exchange_surface_side == pytest.approx(v.exchange_pipe_side, rel=1e-12)
    # SWMM's own flooding total is the spill the engine took from it (0.15 % apart here,
    # 1e-14 in the demo city: SWMM's totals are its own bookkeeping, not the ledger)
    assert v.swmm_flooding == pytest.approx(v.spilled, rel=5e-3)
    assert abs(v.relative_error) < 0.005


def test_coupling_step_effect(spilling):
    """The same run coupled every 1 s and every 5 s: the net exchange at J1 (pond → pipes)
    and J2 (pipes → yard) and the outfall volume agree with the 2 s default within 3 %
    (figures printed for the report)."""
    study = two_compartments(choke=0.15)
    sc = Scenario("spill", DRY, duration=600.0)
    def figures(r):
        net = r.nodes.set_index("node_id")["net_m3"]
        return net["J1"], -net["J2"], r.volume.outfall_outflow

    base = figures(spilling)
    for step in (1.0, 5.0):
        r = simulate_coupled(study, sc, dataclasses.replace(TIGHT, coupling_step=step),
                             initial_depth=pond(0.5))
        got = figures(r)
        print(f"coupling {step:g} s: J1 net in {got[0]:.2f} m³, J2 net out {got[1]:.2f} m³, "
              f"outfalls {got[2]:.2f} m³ (2 s: {base[0]:.2f}, {base[1]:.2f}, {base[2]:.2f}); "
              f"error {r.volume.relative_error:.2e}")
        assert got == pytest.approx(base, rel=0.03)
        assert abs(r.volume.relative_error) < 0.005


def with_inlets(study: Study, inlets: list[float], capacity: list[float]) -> Study:
    nodes = study.network.nodes.assign(inlets=inlets, inlet_capacity=capacity)
    return dataclasses.replace(study, network=dataclasses.replace(study.network, nodes=nodes))


def test_inlets_and_capacity_from_the_node_data():
    """The nodes' ``inlets`` field scales the weir (2 grates at 3 cm: twice one grate's
    rate; 0: a sealed cover takes nothing), the ``inlet_capacity`` field caps the rate,
    and a per-node capacity in the settings overrides the field. The run keeps the SWMM
    model it coupled and SWMM's report."""
    sc = Scenario("shallow", DRY, duration=10.0)
    first = lambda r, n: r.series["exchange"][n].iloc[0]          # noqa: E731
    two = simulate_coupled(with_inlets(two_compartments(), [2.0, 1.0, np.nan], [np.nan] * 3),
                           sc, TIGHT, initial_depth=pond(0.03))
    assert first(two, "J1") == pytest.approx(2 * weir(0.03), rel=1e-12)   # 0.0596 m³/s
    assert "[JUNCTIONS]" in two.model and "\nJ1 " in two.model
    subcatchments = two.model.split("[SUBCATCHMENTS]")[1].split("\n\n")[0].splitlines()
    assert all(not ln.strip() or ln.startswith(";;") for ln in subcatchments)   # rain on the 2D
    assert "Flow Routing Continuity" in two.report
    capped = with_inlets(two_compartments(), [2.0, 1.0, np.nan], [0.005, np.nan, np.nan])
    r = simulate_coupled(capped, sc, TIGHT, initial_depth=pond(0.03))
    assert first(r, "J1") == pytest.approx(0.005, rel=1e-12)
    assert r.nodes.set_index("node_id").loc["J1", "drained_m3"] == pytest.approx(0.05, rel=1e-9)
    r = simulate_coupled(capped, sc, dataclasses.replace(TIGHT, inlet_capacity={"J1": 0.002}),
                         initial_depth=pond(0.03))
    assert first(r, "J1") == pytest.approx(0.002, rel=1e-12)
    sealed = simulate_coupled(with_inlets(two_compartments(), [0.0, 1.0, np.nan], [np.nan] * 3),
                              sc, TIGHT, initial_depth=pond(0.03))
    assert sealed.nodes.set_index("node_id").loc["J1", "drained_m3"] == 0.0


def test_inlet_fields_read_from_a_file_in_l_s(tmp_path):
    """``雨水口数`` and ``inlet_capacity_l_s`` are read as inlets and m³/s."""
    study = two_compartments()
    nodes = study.network.nodes.drop(columns=["storage_area"]).assign(
        雨水口数=[3, 0, 0], inlet_capacity_l_s=[35.0, 20.0, 0.0])
    path = tmp_path / "net.gpkg"
    nodes.to_file(path, layer="nodes")
    study.network.conduits.to_file(path, layer="conduits")
    net = floodrisk.load_network(path, dem=study.terrain)
    got = net.nodes.set_index("node_id")
    assert list(got["inlets"]) == [3.0, 0.0, 0.0]
    assert list(got["inlet_capacity"]) == pytest.approx([0.035, 0.020, 0.0], rel=1e-12)


def test_runs_in_a_row_in_one_process():
    """Each run has its own SWMM process: two in a row give the same answer."""
    study, sc = two_compartments(), Scenario("shallow", DRY, duration=30.0)
    a = simulate_coupled(study, sc, TIGHT, initial_depth=pond(0.03))
    b = simulate_coupled(study, sc, TIGHT, initial_depth=pond(0.03))
    assert a.volume.drained == b.volume.drained > 0


# ---- the demo city ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo_run():
    study = floodrisk.load_study(ROOT / "configs" / "demo.toml")
    storm = floodrisk.chicago(floodrisk.city_formula("zhengzhou"), 50, 180)
    return study, simulate_coupled(study, Scenario("P50", storm))


@pytest.mark.slow
def test_demo_city_50_year_storm(demo_run):
    """Volume error ≤ 0.5 %, exchange equal on both sides, the low-lying station (the
    ``low_station`` weak spot) fails and the others do not, and water stands deeper than
    0.5 m (above the 0.15 m 内涝 criterion and the 0.3 m vehicle limit, DOMAIN.md §4) at
    every surface weak spot of the demo's design: the depressions without inlets, the
    underpass sag and the low station."""
    study, r = demo_run
    v = r.volume
    print(r, v, r.timings, r.pumps, r.stats, sep="\n")
    assert abs(v.relative_error) <= 0.005
    assert v.exchange_surface_side == pytest.approx(v.exchange_pipe_side, rel=1e-9)
    assert v.drained > 0.1 * v.rain                 # the pipes took a real share
    spots = gpd.read_file(ROOT / "data" / "demo" / "city.gpkg", layer="weak_spots")
    low = set(spots.loc[spots.kind == "low_station", "feature_id"])
    p = r.pumps.set_index("station_id")
    assert low and low <= set(p.index)
    for sid, row in p.iterrows():
        if sid in low:
            assert row.cause == "flooded" and 0 < row.failed_at < 3 * 3600, sid
            assert row.max_level > row.equipment_elev
            assert row.flow_after_failure == 0.0           # its pumps stayed off
        else:
            assert np.isnan(row.failed_at) and row.max_level < row.equipment_elev, sid
    grid = study.terrain
    deep = np.nan_to_num(r.max_depth, nan=0.0)
    for _, s in spots[spots.kind.isin(["depression_no_inlet", "underpass",
                                       "low_station"])].iterrows():
        rr, cc = grid.index(np.array([s.geometry.x]), np.array([s.geometry.y]))
        window = deep[max(rr[0] - 2, 0):rr[0] + 3, max(cc[0] - 2, 0):cc[0] + 3]
        assert window.max() > 0.5, s.spot_id


# ---- UK EA benchmark Test 8B (Glasgow): surface flow from a surcharging culvert ------------
@pytest.mark.slow
def test_ea_test8b_surcharging_culvert(validation_dir):
    """EA Test 8B: a 1400 mm culvert under Cockenzie Street takes the inflow hydrograph of
    ``Test8B-pipe-inflow.csv`` at its upstream end and surcharges at a 1 m² manhole 467 m
    downstream; the spill spreads over the 2 m DTM (roads and pavements n = 0.02, else
    0.05; buildings blocked), closed edges, 5 h, no rain. The benchmark publishes no single
    reference answer; checked here: the volumes, from the CSV (the inflow that entered = the
    outfall + pipes + surface at the end), the water on the surface being exactly the
    manhole's net spill, and the spill reaching the street around the manhole."""
    import pandas as pd
    import rasterio

    from floodrisk.io.swmm_inp import inp_to_network, read_inp

    folder = validation_dir / "ea-test8-glasgow"
    with rasterio.open(folder / "dem2m_epsg27700.tif") as src:
        z = src.read(1).astype(np.float64)
        if src.nodata is not None:
            z[z == src.nodata] = np.nan
        dem = Grid(z, src.transform, src.crs)
    net = inp_to_network(read_inp(folder / "test8b_culvert_osgb_derived.inp"), dem=dem)
    roads = gpd.read_file(folder / "Test8Road_Pavement_polyg_region.shp").to_crs(dem.crs)
    roads = gpd.GeoDataFrame({"roughness": 0.02, "imperviousness": 1.0},
                             index=roads.index, geometry=roads.geometry, crs=dem.crs)
    houses = gpd.read_file(folder / "Test8Buildings_polyg_region.shp").to_crs(dem.crs)
    empty = {k: empty_layer(LAYERS[k], dem.crs) for k in
             ("underground", "entrances", "facilities", "observed")}
    assets = Assets(empty["underground"], empty["entrances"], empty["facilities"],
                    empty["observed"], houses, roads, crs=dem.crs)
    study = Study("EA test 8B", dem, net, assets)
    flow = pd.read_csv(folder / "Test8B-pipe-inflow.csv")
    t_in, q_in = flow.iloc[:, 0].to_numpy() * 60.0, flow.iloc[:, 1].to_numpy()
    duration = 5 * 3600.0
    s = CoupledSettings(
        linked_nodes=("N0467_MH",), inlet_radius=0.0, inlet_area=1.0, inlet_perimeter=4.0,
        inputs=SurfaceInputs(pipe_drainage=False, default_manning=0.05,
                             default_imperviousness=1.0, pervious_infiltration=0.0))
    r = simulate_coupled(study, Scenario("8B", Hyetograph([0.0, duration], [0.0, 0.0]),
                                         duration=duration), s,
                         node_inflows={"N0000_UP": (t_in, q_in)})
    v = r.volume
    print(r, v, r.timings, r.stats, sep="\n")
    keep = t_in <= duration
    expected = float(np.trapezoid(q_in[keep], t_in[keep]))
    assert v.inflow == pytest.approx(expected, rel=1e-9)
    assert abs(v.relative_error) <= 0.005
    mh = r.nodes.set_index("node_id").loc["N0467_MH"]
    assert mh.spilled_m3 > 1000.0
    assert v.surface_final == pytest.approx(mh.spilled_m3 - mh.drained_m3, rel=1e-9)
    assert v.exchange_surface_side == pytest.approx(v.exchange_pipe_side, rel=1e-9)
    deep = np.nan_to_num(r.max_depth, nan=0.0)
    rr, cc = int(mh.row), int(mh.col)
    assert deep[rr, cc] > 0.1
    assert (deep > 0.1).sum() * dem.cell_area > 1000.0      # spread over the street
