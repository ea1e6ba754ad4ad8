"""Capacity assessment: rational method, accumulation, pumps, classes — numbers by hand."""

from __future__ import annotations

import math
import re
import time

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from affine import Affine
from shapely.geometry import box
from test_network_graph import X0, Y0, build_network, regulator_frame

from floodrisk.capacity import (
    CAPACITY_CLASSES,
    CapacitySettings,
    accumulate,
    assess_capacity,
    capacity_class,
    node_catchments,
    runoff_from_imperviousness,
)
from floodrisk.errors import ConfigError, InputError
from floodrisk.grid import Grid
from floodrisk.network import DrainageNetwork
from floodrisk.rainfall import StormFormula

GZ = StormFormula(A=13290.6, C=0.607, b=39.12, n=0.956, name="Guangzhou")


def catch(**areas) -> pd.DataFrame:
    """node=(area m², ψ) → a catchments table."""
    return pd.DataFrame({"node_id": list(areas), "area": [a for a, _ in areas.values()],
                         "runoff_coeff": [p for _, p in areas.values()]})


def test_two_pipes_by_hand():
    # J1 -> J2 -> O1, both D = 0.6 m, n = 0.013, L = 120 m, S = 0.6/120 = 0.005.
    # Q_full = (0.3117/n) D^(8/3) S^(1/2) = 0.4342 m3/s; v = Q/(pi D^2/4) = 1.53557 m/s.
    # F = 2 hm2 with psi = 0.6 at J1 only.
    # C1: t = t1 = 10 min.  C2: t = 10 + 120/(60 * 1.53557) = 11.30245 min.
    # q_full = Q_full/(psi F) = 434.17 L/s / 1.2 hm2 = 361.810 L/(s hm2)
    # Guangzhou A = 13290.6, C = 0.607, b = 39.12, n = 0.956:
    #   C1: (10 + 39.12)^0.956 = 41.3850; P = 10^((361.810 * 41.3850/13290.6 - 1)/0.607)
    #       = 10^((1.12662 - 1)/0.607) = 10^0.20860 = 1.6166 a  -> class 1-2 a
    #   C2: (11.30245 + 39.12)^0.956 = 42.4335; P = 10^((1.15520 - 1)/0.607) = 1.8015 a
    # Design flow at P = 3 a: C2 q = 13290.6 (1 + 0.607 lg 3)/42.4335 = 403.920 L/(s hm2),
    #   Q = 0.6 * 403.920 * 2 = 484.70 L/s; ratio 0.48470/0.43417 = 1.1164.
    nodes = [("J1", "junction", 0, 0, 10.6, 13.0), ("J2", "junction", 120, 0, 10.0, 13.0),
             ("O1", "outfall", 240, 0, 9.4, 11.0)]
    net = build_network(nodes, [("C1", "J1", "J2", 0.6, None), ("C2", "J2", "O1", 0.6, None)])
    pc = assess_capacity(net, GZ, catchments=catch(J1=(20000.0, 0.6)))
    r = pc.set_index("link_id")
    assert r["full_capacity"].tolist() == pytest.approx([0.43417, 0.43417], abs=1e-5)
    assert r["full_velocity"].tolist() == pytest.approx([1.53557, 1.53557], abs=1e-5)
    assert r["time_of_concentration"].tolist() == pytest.approx([10.0, 11.30245], abs=1e-5)
    assert r["capacity_return_period"].tolist() == pytest.approx([1.6166, 1.8015], abs=1e-4)
    assert r["capacity_class"].tolist() == ["1-2 a", "1-2 a"]
    assert r.loc["C2", "design_flow"] == pytest.approx(0.48470, abs=1e-5)
    assert r.loc["C2", "capacity_ratio"] == pytest.approx(1.1164, abs=1e-4)
    assert r["catchment_area"].tolist() == [20000.0, 20000.0]
    assert r["runoff_coeff"].tolist() == [0.6, 0.6]
    assert isinstance(pc, gpd.GeoDataFrame) and pc.crs == net.crs
    assert pc.geometry.equals(net.conduits.geometry)
    assert pc.attrs["design_return_period"] == 3.0 and pc.attrs["formula"] == "Guangzhou"
    # the return period inverts the design flow: at P = 1.8015 a C2 is exactly full
    q = 0.6 * GZ.intensity(1.8015, 11.30245) * 2 / 1000
    assert q == pytest.approx(0.43417, abs=1e-4)
    # a lower design return period gives a lower design flow, the same capacity period
    pc2 = assess_capacity(net, GZ, catchments=catch(J1=(20000.0, 0.6)),
                          settings=CapacitySettings(design_return_period=1.0))
    assert pc2.design_flow.iat[1] == pytest.approx(0.6 * 13290.6 / 42.4335 * 2 / 1000, rel=1e-5)
    assert pc2.capacity_return_period.tolist() == pytest.approx(
        pc.capacity_return_period.tolist())


def tree():
    # J1 -> J3 <- J2, J3 -> J4 <- J5, J4 -> O1; all D 0.5, S 0.01, n 0.013:
    # v = (1/0.013) 0.125^(2/3) 0.1 = 0.25 * 0.1/0.013 = 1.923077 m/s.
    nodes = [("J1", "junction", 0, 100, 12.5, 15), ("J2", "junction", 0, -100, 13.5, 16),
             ("J3", "junction", 100, 0, 11.5, 14), ("J5", "junction", 200, 100, 10.5, 13),
             ("J4", "junction", 200, 0, 10.0, 13), ("O1", "outfall", 300, 0, 9.0, 11)]
    pipes = [("C1", "J1", "J3", 0.5, 100.0), ("C2", "J2", "J3", 0.5, 200.0),
             ("C3", "J3", "J4", 0.5, 150.0), ("C5", "J5", "J4", 0.5, 50.0),
             ("C4", "J4", "O1", 0.5, 100.0)]
    return build_network(nodes, pipes)


def test_upstream_accumulation_on_a_tree_by_hand():
    net = tree()
    c = catch(J1=(10000.0, 0.9), J2=(20000.0, 0.5), J3=(5000.0, 0.2), J5=(15000.0, 0.6))
    nodes, _ = accumulate(net, c, GZ)
    n = nodes.set_index("node_id")
    # J3 collects J1 + J2 + its own: 35000 m2, psi*F = 9000 + 10000 + 1000 = 20000
    # J4 adds J5: 50000 m2, psi*F = 20000 + 9000 = 29000 -> psi = 0.58
    assert n["upstream_area"].to_dict() == {"J1": 10000, "J2": 20000, "J3": 35000,
                                            "J5": 15000, "J4": 50000, "O1": 50000}
    assert n.loc["J3", "runoff_coeff"] == pytest.approx(20000 / 35000)
    assert n.loc["J4", "runoff_coeff"] == pytest.approx(0.58)
    # travel times L/(60 v): C1 0.86667, C2 1.73333, C3 1.3, C5 0.43333 min
    # t(J3) = max(10 + 0.86667, 10 + 1.73333) = 11.73333; t(J4) = max(11.73333 + 1.3,
    # 10 + 0.43333) = 13.03333
    assert n.loc["J3", "time_of_concentration"] == pytest.approx(11.73333, abs=1e-5)
    assert n.loc["J4", "time_of_concentration"] == pytest.approx(13.03333, abs=1e-5)
    pc = assess_capacity(net, GZ, catchments=c).set_index("link_id")
    assert pc["catchment_area"].to_dict() == {"C1": 10000, "C2": 20000, "C3": 35000,
                                              "C5": 15000, "C4": 50000}
    assert pc["time_of_concentration"].to_dict() == pytest.approx(
        {"C1": 10, "C2": 10, "C3": 11.73333, "C5": 10, "C4": 13.03333}, abs=1e-5)
    assert pc["full_velocity"].tolist() == pytest.approx([1.923077] * 5, abs=1e-6)
    # C4: Q = psi q F = 29000 m2 * q(3, 13.0333)/1e7
    q = 13290.6 * (1 + 0.607 * math.log10(3)) / (13.03333 + 39.12) ** 0.956
    assert pc.loc["C4", "design_flow"] == pytest.approx(29000 * q / 1e7, rel=1e-5)


def test_split_between_outgoing_links():
    # J1 feeds C1 (D 0.4) and C2 (D 0.6) at the same slope, and a weir: shares by capacity
    # D^(8/3): 0.4^(8/3) = 0.086861, 0.6^(8/3) = 0.256096 -> 0.253271 and 0.746729; the
    # weir beside them carries nothing
    nodes = [("J1", "junction", 0, 0, 11.0, 14), ("J2", "junction", 100, 0, 10.0, 13),
             ("J3", "junction", 100, 50, 10.0, 13), ("O1", "outfall", 200, 0, 9.0, 11),
             ("O2", "outfall", 0, 80, 9.0, 11)]
    pipes = [("C1", "J1", "J2", 0.4, 100.0), ("C2", "J1", "J3", 0.6, 100.0),
             ("C3", "J2", "O1", 0.6, 100.0), ("C4", "J3", "O1", 0.8, 111.8)]
    net = build_network(nodes, pipes, regulators=regulator_frame([("W1", "weir", "J1", "O2")]))
    _, links = accumulate(net, catch(J1=(10000.0, 0.5)), GZ)
    s = links.set_index("link_id")["share"]
    assert s["C1"] == pytest.approx(0.253271, abs=1e-6)
    assert s["C2"] == pytest.approx(0.746729, abs=1e-6)
    assert s["W1"] == 0.0 and s["C3"] == 1.0
    pc = assess_capacity(net, GZ, catchments=catch(J1=(10000.0, 0.5))).set_index("link_id")
    assert pc.loc["C1", "catchment_area"] + pc.loc["C2", "catchment_area"] == pytest.approx(1e4)


def test_street_inlets_take_the_flow():
    # a street node S1 drains along the street (C9) and through an inlet into sewer J2:
    # the inlet takes everything, the street conduit is the overflow
    nodes = [("S1", "junction", 0, 0, 12.0, 12.3), ("S2", "junction", 100, 0, 11.0, 11.3),
             ("J2", "junction", 0, -10, 9.0, 12.0), ("O1", "outfall", 100, -10, 8.0, 10.0)]
    pipes = [("C9", "S1", "S2", 0.3, 100.0), ("C2", "J2", "O1", 0.6, 100.0)]
    net = build_network(nodes, pipes,
                        regulators=regulator_frame([("C0.inlet", "inlet", "S1", "J2")]))
    pc = assess_capacity(net, GZ, catchments=catch(S1=(5000.0, 0.8))).set_index("link_id")
    assert pc.loc["C2", "catchment_area"] == 5000 and pc.loc["C9", "catchment_area"] == 0


def test_pumps_cap_the_flow_downstream():
    # J1 (10 ha, psi 0.6) -> C1 -> W1 --pump P1 0.1 m3/s--> J2 (1 ha, psi 0.5) -> C2 -> O1
    nodes = [("J1", "junction", 0, 0, 12.0, 15), ("W1", "storage", 100, 0, 9.0, 14),
             ("J2", "junction", 200, 0, 13.0, 16), ("O1", "outfall", 300, 0, 12.0, 14)]
    pipes = [("C1", "J1", "W1", 0.8, 100.0), ("C2", "J2", "O1", 0.5, 100.0)]
    c = catch(J1=(100000.0, 0.6), J2=(10000.0, 0.5))
    net = build_network(nodes, pipes, pumps=[("P1", "W1", "J2", 0.1)])
    pc = assess_capacity(net, GZ, catchments=c).set_index("link_id")
    # C2 carries its own hectare (t = t1 = 10 min: pumped water brings no time) plus 0.1
    q10 = 13290.6 * (1 + 0.607 * math.log10(3)) / (10 + 39.12) ** 0.956
    assert pc.loc["C2", "catchment_area"] == 10000 and pc.loc["C2", "pumped_flow"] == 0.1
    assert pc.loc["C2", "time_of_concentration"] == 10.0
    assert pc.loc["C2", "design_flow"] == pytest.approx(0.1 + 0.5 * q10 * 1.0 / 1000)
    # capacity return period with the pumped flow held: q_full = (Q_full - 0.1)/(psi F)
    qfull = (pc.loc["C2", "full_capacity"] - 0.1) * 1000 / (0.5 * 1.0)
    assert pc.loc["C2", "capacity_return_period"] == pytest.approx(
        float(GZ.return_period(qfull, 10.0)))
    # a pump bigger than its inflow passes the inflow on; an ideal pump passes the area
    big = build_network(nodes, pipes, pumps=[("P1", "W1", "J2", 100.0)])
    inflow = 0.6 * GZ.intensity(3.0, pc.loc["C1", "time_of_concentration"]
                                + 100 / 60 / pc.loc["C1", "full_velocity"]) * 10 / 1000
    assert assess_capacity(big, GZ, catchments=c).set_index("link_id").loc[
        "C2", "pumped_flow"] == pytest.approx(inflow)
    p = net.pumps.copy()
    p["capacity"] = np.nan
    ideal = DrainageNetwork(nodes=net.nodes, conduits=net.conduits, pumps=p,
                            stations=net.stations, subcatchments=None, crs=net.crs)
    r = assess_capacity(ideal, GZ, catchments=c).set_index("link_id")
    assert r.loc["C2", "catchment_area"] == 110000 and r.loc["C2", "pumped_flow"] == 0
    # a pumped flow above the pipe's capacity leaves no return period
    tiny = build_network(nodes, pipes, pumps=[("P1", "W1", "J2", 5.0)])
    r = assess_capacity(tiny, GZ, catchments=c).set_index("link_id")
    assert r.loc["C2", "capacity_return_period"] == 0.0
    assert r.loc["C2", "capacity_class"] == "< 1 a"


def test_classes_and_unknown_capacity():
    p = [0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, np.inf, np.nan]
    assert capacity_class(np.array(p)).tolist() == [
        "< 1 a", "1-2 a", "1-2 a", "2-3 a", "2-3 a", "3-5 a", "3-5 a", "≥ 5 a", "≥ 5 a",
        "unknown"]
    assert CAPACITY_CLASSES[0] == "< 1 a"
    # a flat pipe has no gravity capacity: unknown; a pipe without catchment: ≥ 5 a
    nodes = [("J1", "junction", 0, 0, 10.0, 13.0), ("J2", "junction", 100, 0, 10.0, 13.0),
             ("J3", "junction", 200, 0, 9.0, 12.0), ("O1", "outfall", 300, 0, 8.0, 11.0)]
    net = build_network(nodes, [("C1", "J1", "J2", 0.5, None), ("C2", "J2", "J3", 0.5, None),
                                ("C3", "J3", "O1", 0.5, None)])
    pc = assess_capacity(net, GZ, catchments=catch(J1=(1000.0, 0.5))).set_index("link_id")
    assert np.isnan(pc.loc["C1", "full_capacity"]) and pc.loc["C1", "capacity_class"] == "unknown"
    # C1 has no velocity: its travel time is taken at the 0.6 m/s floor, 100/36 min
    assert pc.loc["C2", "time_of_concentration"] == pytest.approx(10 + 100 / 36)
    assert pc.loc["C3", "time_of_concentration"] == pytest.approx(
        10 + 100 / 36 + 100 / 60 / pc.loc["C2", "full_velocity"])
    empty = assess_capacity(net, GZ, catchments=catch(J9=(1.0, 0.5)))
    assert empty.capacity_class.tolist() == ["unknown", "≥ 5 a", "≥ 5 a"]


def test_node_catchments_from_subcatchments():
    net = tree()
    subs = gpd.GeoDataFrame({
        "subcatchment_id": ["S1", "S2", "S3", "S4"], "outlet": ["J1", "J1", "J3", "J5"],
        "area": [1000.0, 3000.0, np.nan, 500.0], "imperviousness": [0.5, 1.0, 0.0, np.nan],
        "runoff_coeff": [np.nan, np.nan, 0.3, np.nan]},
        geometry=[None, None, box(X0, Y0, X0 + 20, Y0 + 10), None])
    c = node_catchments(net, subcatchments=subs).set_index("node_id")
    # psi = 0.9 imp + 0.15 (1 - imp): S1 0.525, S2 0.9 -> J1 (525 + 2700)/4000 = 0.80625
    assert c.loc["J1", "area"] == 4000 and c.loc["J1", "runoff_coeff"] == pytest.approx(0.80625)
    # S3: area from its polygon (200 m2), its own psi 0.3; S4: the default 0.6
    assert c.loc["J3", "area"] == pytest.approx(200) and c.loc["J3", "runoff_coeff"] == 0.3
    assert c.loc["J5", "runoff_coeff"] == 0.6
    assert np.isnan(c.loc["J2", "runoff_coeff"]) and c.loc["J2", "area"] == 0
    assert runoff_from_imperviousness(0.5) == pytest.approx(0.525)
    bad = subs.assign(outlet=["J1", "J1", "J3", "NOPE"])
    with pytest.raises(InputError):
        node_catchments(net, subcatchments=bad)
    with pytest.raises(InputError, match="no subcatchments and no DEM"):
        node_catchments(net)


def test_terrain_split_by_hand():
    # DEM 10 rows x 20 cols of 10 m; junctions on cell centres of row 5, cols 2, 9, 16;
    # the outfall (col 19) takes no area. Nearest junction by column: cols 0-5 -> J1
    # (60 cells), 6-12 -> J2 (70), 13-19 -> J3 (70); 100 m2 a cell.
    # Land cover: rows 0-4 green (imp 0.1 -> psi 0.225), rows 5-9 road (imp 0.9 ->
    # psi 0.825): every junction gets half of each -> 0.525.
    x0, ytop = X0, Y0 + 100

    def at(r, c):
        return x0 + 10 * c + 5 - X0, ytop - 10 * r - 5 - Y0

    nodes = [("J1", "junction", *at(5, 2), 10, 13), ("J2", "junction", *at(5, 9), 9, 12),
             ("J3", "junction", *at(5, 16), 8, 11), ("O1", "outfall", *at(5, 19), 7, 9)]
    net = build_network(nodes, [("C1", "J1", "J2", 0.3, None), ("C2", "J2", "J3", 0.3, None),
                                ("C3", "J3", "O1", 0.3, None)])
    dem = Grid(np.full((10, 20), 12.0), Affine(10, 0, x0, 0, -10, ytop), "EPSG:4547")
    lc = gpd.GeoDataFrame({"class": ["green", "road"], "imperviousness": [0.1, 0.9]},
                          geometry=[box(x0, ytop - 50, x0 + 200, ytop),
                                    box(x0, ytop - 100, x0 + 200, ytop - 50)], crs="EPSG:4547")
    s = CapacitySettings(max_inlet_distance=None)
    c = node_catchments(net, dem=dem, landcover=lc, settings=s).set_index("node_id")
    assert c["area"].to_dict() == {"J1": 6000, "J2": 7000, "J3": 7000, "O1": 0}
    assert c.loc[["J1", "J2", "J3"], "runoff_coeff"].tolist() == pytest.approx([0.525] * 3)
    assert node_catchments(net, dem=dem, settings=s).attrs["source"] == "terrain"
    # within 25 m of a junction: 21 cells each (|dr|, |dc| with dr^2 + dc^2 <= 6.25)
    c = node_catchments(net, dem=dem, settings=CapacitySettings(max_inlet_distance=25.0))
    assert c["area"].tolist() == [2100, 2100, 2100, 0]
    # no-data cells drain nowhere: blank cols 0-1
    v = np.full((10, 20), 12.0)
    v[:, :2] = np.nan
    c = node_catchments(net, dem=dem.with_values(v), settings=s)
    assert c["area"].tolist() == [4000, 7000, 7000, 0]
    assert c["runoff_coeff"].iat[0] == pytest.approx(0.6)   # no land cover: the default
    pc = assess_capacity(net, GZ, dem=dem, landcover=lc, settings=s)
    assert pc.catchment_area.tolist() == [6000, 13000, 20000]


def test_settings_are_checked():
    for bad in (dict(design_return_period=0), dict(min_velocity=-1),
                dict(default_runoff_coeff=1.5), dict(max_inlet_distance=0),
                dict(class_bounds=(2.0, 1.0, 3.0, 5.0))):
        with pytest.raises(ConfigError):
            CapacitySettings(**bad)


def test_synthetic_city_reproduces_its_own_design():
    """The synthetic city sizes its pipes by the same rational method (its own loop):
    the vectorised assessment must give its design flows, times and capacities back, and
    find the runs it made too small below 1 a."""
    from floodrisk.synthetic import generate_city

    city = generate_city()
    L = city.layers
    net = DrainageNetwork(nodes=L["nodes"], conduits=L["conduits"], pumps=L["pumps"],
                          stations=L["stations"], subcatchments=None, crs=L["nodes"].crs)
    c = L["conduits"]
    inflow = c.groupby("to_node")["catchment_area"].sum()
    local = c.set_index("from_node")["catchment_area"] - inflow.reindex(
        c["from_node"]).fillna(0).to_numpy()
    s = city.settings
    cat = pd.DataFrame({"node_id": local.index, "area": local.to_numpy(),
                        "runoff_coeff": s.runoff_coeff})
    pc = assess_capacity(net, s.formula, catchments=cat, settings=CapacitySettings(
        design_return_period=s.design_return_period, inlet_time=s.inlet_time))
    assert pc.link_id.tolist() == c.link_id.tolist()
    assert pc.catchment_area.to_numpy() == pytest.approx(c.catchment_area.to_numpy())
    assert pc.time_of_concentration.to_numpy() == pytest.approx(c.design_time.to_numpy(),
                                                                abs=1e-3)
    assert pc.design_flow.to_numpy() == pytest.approx(c.design_flow.to_numpy(), abs=1e-4)
    assert pc.full_capacity.to_numpy() == pytest.approx(c.capacity.to_numpy(), abs=1e-4)
    weak = city.weak_spots[city.weak_spots.kind == "undersized_pipe"]
    r = pc.set_index("link_id")
    for fid, text in zip(weak.feature_id, weak.description):
        period = float(re.search(r"capacity return period ([\d.]+) a", text).group(1))
        assert r.loc[fid, "capacity_return_period"] == pytest.approx(period, abs=0.006)
        assert r.loc[fid, "capacity_class"] == "< 1 a"
    assert len(weak) >= 2


def test_bellinge_capacity(validation_dir):
    from floodrisk.io.swmm_inp import read_swmm_network

    net = read_swmm_network(validation_dir / "bellinge" / "BellingeSWMM_v021_nopervious.inp",
                            crs="EPSG:25832")
    t = time.perf_counter()
    cat = node_catchments(net)
    nodes, links = accumulate(net, cat, GZ)
    pc = assess_capacity(net, GZ, catchments=cat)
    assert time.perf_counter() - t < 5
    assert len(pc) == 1015 and set(pc.capacity_class) <= set(CAPACITY_CLASSES) | {"unknown"}
    assert (pc.time_of_concentration >= 10).all()
    # every m2 of subcatchment ends at a node with no way on or stops at a pump
    total = net.subcatchments["area"].sum()
    assert cat["area"].sum() == pytest.approx(total)
    outdeg = links.groupby("from_node").size()
    sinks = nodes[~nodes.node_id.isin(outdeg.index)]
    held = links[(links.kind == "pump")].catchment_area.sum()
    assert sinks.upstream_area.sum() + held == pytest.approx(total)
    # exactly the conduits with both ends at one level have no capacity (class unknown);
    # they are among the flat_conduit findings (which allow 1 mm)
    from floodrisk.network import check_network

    c = net.conduits
    level = c.link_id[np.isclose(c.in_invert, c.out_invert, rtol=0, atol=1e-9)].tolist()
    flat = check_network(net).query("rule == 'flat_conduit'").feature_ids.sum()
    assert sorted(pc.link_id[pc.full_capacity.isna()]) == sorted(level)
    assert set(level) <= set(flat) and len(level) >= 5
    assert (pc.capacity_class == "unknown").sum() == len(level)


def test_integer_settings_from_toml_keep_fractional_times():
    """TOML `inlet_time = 10` is an int: times of concentration must stay fractional."""
    from floodrisk.capacity import CapacitySettings, assess_capacity
    from floodrisk.rainfall import StormFormula
    from floodrisk.synthetic import generate_city
    from floodrisk.network import DrainageNetwork
    import numpy as np

    city = generate_city(width=800.0, height=600.0)
    L = city.layers
    net = DrainageNetwork(nodes=L["nodes"], conduits=L["conduits"], pumps=L["pumps"],
                          stations=L["stations"], subcatchments=L["subcatchments"],
                          crs=city.dem.crs)
    f = StormFormula(A=3073.0, C=0.892, b=15.1, n=0.824)
    as_int = assess_capacity(net, f, settings=CapacitySettings(inlet_time=10))
    as_float = assess_capacity(net, f, settings=CapacitySettings(inlet_time=10.0))
    t = as_int["time_of_concentration"].to_numpy()
    assert np.array_equal(t, as_float["time_of_concentration"].to_numpy())
    assert (t % 1 != 0).any()
