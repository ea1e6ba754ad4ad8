"""The network graph (to_graph, topology): directions, edge kinds, attributes.

``build_network`` makes small networks in code; the check and capacity tests import it.
"""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point

from floodrisk.errors import NetworkError
from floodrisk.network import DrainageNetwork, conduit_hydraulics, to_graph, topology

CRS = "EPSG:4547"
X0, Y0 = 500000.0, 2500000.0


def build_network(nodes, conduits, *, pumps=(), regulators=None, subcatchments=None,
                  crs=CRS, extra=None) -> DrainageNetwork:
    """A DrainageNetwork from plain tuples, coordinates relative to (X0, Y0).

    nodes: (node_id, kind, x, y, invert, rim); conduits: (link_id, from, to, diameter,
    length or None for the line's length) — circular, n = 0.013, offsets 0 unless
    ``extra`` (column → list) says otherwise; pumps: (pump_id, from, to, capacity).
    """
    nd = gpd.GeoDataFrame(
        {"node_id": [r[0] for r in nodes], "kind": [r[1] for r in nodes],
         "invert_elev": [float(r[4]) for r in nodes],
         "rim_elev": [np.nan if r[5] is None else float(r[5]) for r in nodes]},
        geometry=[Point(X0 + r[2], Y0 + r[3]) for r in nodes], crs=crs)
    nd["max_depth"] = nd["rim_elev"] - nd["invert_elev"]
    nd["storage_area"] = np.where(nd["kind"] == "storage", 100.0, np.nan)
    xy = {r[0]: (X0 + r[2], Y0 + r[3]) for r in nodes}
    lines = [LineString([xy[c[1]], xy[c[2]]]) for c in conduits]
    cd = gpd.GeoDataFrame(
        {"link_id": [c[0] for c in conduits], "from_node": [c[1] for c in conduits],
         "to_node": [c[2] for c in conduits], "shape": "circular",
         "diameter": [float(c[3]) for c in conduits], "height": np.nan, "width": np.nan,
         "roughness": 0.013,
         "length": [ln.length if c[4] is None else float(c[4]) for c, ln in zip(conduits, lines)],
         "in_offset": 0.0, "out_offset": 0.0},
        geometry=lines, crs=crs)
    for col, values in (extra or {}).items():
        cd[col] = values
    pm = gpd.GeoDataFrame(
        {"pump_id": [p[0] for p in pumps], "station_id": ["S1"] * len(pumps),
         "from_node": [p[1] for p in pumps], "to_node": [p[2] for p in pumps],
         "capacity": [float(p[3]) for p in pumps], "on_depth": 0.0, "off_depth": 0.0},
        geometry=gpd.GeoSeries([None] * len(pumps)))
    st = gpd.GeoDataFrame({"station_id": ["S1"] if len(pumps) else []},
                          geometry=gpd.GeoSeries([Point(X0, Y0)] if len(pumps) else [], crs=crs),
                          crs=crs)
    return DrainageNetwork(nodes=nd, conduits=cd, pumps=pm, stations=st,
                           subcatchments=subcatchments, crs=gpd.GeoSeries(crs=crs).crs
                           if crs else None, regulators=regulators)


def regulator_frame(rows, crs=CRS) -> gpd.GeoDataFrame:
    """(link_id, kind, from, to) rows as a regulators table."""
    return gpd.GeoDataFrame({"link_id": [r[0] for r in rows], "kind": [r[1] for r in rows],
                             "from_node": [r[2] for r in rows], "to_node": [r[3] for r in rows],
                             "crest_height": 0.5, "capacity": np.nan},
                            geometry=gpd.GeoSeries([None] * len(rows)))


# J1 -> J2 -> J3 -> O1 along x, J3 drawn against its fall in C2 (J3 higher than J2)
NODES = [("J1", "junction", 0, 0, 20.0, 23.0), ("J2", "junction", 100, 0, 19.5, 22.5),
         ("J3", "junction", 200, 0, 19.7, 22.7), ("O1", "outfall", 300, 0, 19.0, 21.0)]
PIPES = [("C1", "J1", "J2", 0.4, None), ("C2", "J2", "J3", 0.5, None),
         ("C3", "J3", "O1", 0.6, None)]


def test_edges_follow_the_fall_and_carry_their_attributes():
    net = build_network(NODES, PIPES)
    g = to_graph(net)
    assert isinstance(g, nx.MultiDiGraph)
    assert set(g.nodes) == {"J1", "J2", "J3", "O1"}
    # C2 is drawn J2 -> J3 but J3's invert (19.7) is above J2's (19.5): it flows J3 -> J2
    assert sorted((u, v, k) for u, v, k in g.edges(keys=True)) == [
        ("J1", "J2", "C1"), ("J3", "J2", "C2"), ("J3", "O1", "C3")]
    e = g.edges["J3", "J2", "C2"]
    assert e["kind"] == "conduit" and e["link_id"] == "C2" and e["reversed"]
    assert e["length"] == pytest.approx(100.0)
    assert e["shape"] == "circular" and e["diameter"] == 0.5 and e["roughness"] == 0.013
    assert e["up_invert"] == pytest.approx(19.7) and e["down_invert"] == pytest.approx(19.5)
    assert e["slope"] == pytest.approx(0.2 / 100)
    assert not g.edges["J1", "J2", "C1"]["reversed"]
    assert g.edges["J1", "J2", "C1"]["slope"] == pytest.approx(0.5 / 100)
    n = g.nodes["J1"]
    assert n["kind"] == "junction" and n["invert_elev"] == 20.0 and n["rim_elev"] == 23.0
    assert n["x"] == X0 and n["y"] == Y0


def test_direction_as_drawn_and_direction_column():
    net = build_network(NODES, PIPES)
    drawn = to_graph(net, direction="drawn")
    assert ("J2", "J3", "C2") in drawn.edges(keys=True)
    # an explicit direction column wins over the inverts; empty values go by the inverts
    net = build_network(NODES, PIPES, extra={"flow_direction": [None, "as_drawn", None]})
    assert ("J2", "J3", "C2") in to_graph(net).edges(keys=True)
    net = build_network(NODES, PIPES, extra={"direction": ["反向", "", "auto"]})
    top = topology(net)
    assert list(top.reversed) == [True, True, False]   # C1 turned by the column, C2 by inverts
    assert list(top.declared) == [True, False, False]
    assert top.node_ids[top.src].tolist() == ["J2", "J3", "J3"]
    with pytest.raises(NetworkError, match="flow direction") as exc:
        topology(build_network(NODES, PIPES, extra={"flow_direction": ["up", None, None]}))
    assert exc.value.feature == ["C1"] and exc.value.field == "flow_direction"
    with pytest.raises(ValueError):
        topology(net, direction="sideways")


def test_pumps_and_regulators_are_edges_and_parallel_pipes_stay_apart():
    nodes = NODES + [("W1", "storage", 300, 50, 17.0, 21.0)]
    pipes = PIPES + [("C4", "J3", "O1", 0.3, None)]
    regs = regulator_frame([("WR1", "weir", "J3", "W1")])
    net = build_network(nodes, pipes, pumps=[("P1", "W1", "O1", 0.25)], regulators=regs)
    g = to_graph(net)
    assert g.number_of_edges() == 6
    assert g.number_of_edges("J3", "O1") == 2                     # C3 and C4, both kept
    p = g.edges["W1", "O1", "P1"]
    assert p["kind"] == "pump" and p["capacity"] == 0.25 and p["length"] == 0.0
    assert p["station_id"] == "S1"
    w = g.edges["J3", "W1", "WR1"]
    assert w["kind"] == "weir" and w["crest_height"] == 0.5
    top = topology(net)
    assert top.kind.tolist() == ["conduit"] * 4 + ["pump", "weir"]
    assert top.n_conduits == 4


def test_graph_is_made_on_demand_never_cached():
    net = build_network(NODES, PIPES)
    g1 = to_graph(net)
    g1.remove_node("J1")
    g2 = to_graph(net)
    assert "J1" in g2 and g1 is not g2
    assert not any(isinstance(v, nx.Graph) for v in vars(net).values())


def test_unknown_nodes_are_refused():
    net = build_network(NODES, PIPES)
    bad = net.conduits.copy()
    bad.loc[0, "to_node"] = "NOPE"
    net2 = DrainageNetwork(nodes=net.nodes, conduits=bad, pumps=net.pumps,
                           stations=net.stations, subcatchments=None, crs=net.crs)
    with pytest.raises(NetworkError) as exc:
        to_graph(net2)
    assert exc.value.feature == ["C1"] and exc.value.field == "to_node"


def test_tiny_city_graph(city_gpkg, dem_tif):
    import floodrisk

    net = floodrisk.load_network(city_gpkg, dem=floodrisk.load_dem(dem_tif))
    g = to_graph(net)
    assert nx.is_directed_acyclic_graph(g)
    assert set(g.successors("J3")) == {"O1"}
    assert {k for _, _, k in g.edges(keys=True)} == {"C1", "C2", "C3", "P1"}
    assert nx.has_path(g, "J1", "O1")
    assert next(iter(nx.topological_sort(nx.DiGraph(g)))) == "J1"


def test_barrels_and_other_sections_in_hydraulics():
    net = build_network(NODES[:2], [("C1", "J1", "J2", 0.6, 100.0)])
    c = net.conduits.copy()
    c["barrels"] = 2.0
    net2 = DrainageNetwork(nodes=net.nodes, conduits=c, pumps=net.pumps, stations=net.stations,
                           subcatchments=None, crs=net.crs)
    one = conduit_hydraulics(net)["full_capacity"].iat[0]
    assert conduit_hydraulics(net2)["full_capacity"].iat[0] == pytest.approx(2 * one)
    # 'other' with its area and hydraulic radius given: a 1 x 2 box written as other
    c = net.conduits.copy()
    c["shape"], c["height"], c["width"] = "other", 1.0, 2.0
    c["full_area"], c["hydraulic_radius"] = 2.0, 2.0 / 6.0
    net3 = DrainageNetwork(nodes=net.nodes, conduits=c, pumps=net.pumps, stations=net.stations,
                           subcatchments=None, crs=net.crs)
    # S = 0.5/100, n = 0.013: Q = 2 (1/3)^(2/3) sqrt(0.005)/0.013 = 5.2299 m3/s
    assert conduit_hydraulics(net3)["full_capacity"].iat[0] == pytest.approx(5.2299, abs=1e-4)
    assert pd.isna(conduit_hydraulics(DrainageNetwork(
        nodes=net.nodes, conduits=c.drop(columns=["full_area", "hydraulic_radius"]),
        pumps=net.pumps, stations=net.stations, subcatchments=None,
        crs=net.crs))["full_capacity"].iat[0])


def test_regulators_layer_is_loaded_from_a_geopackage(city, dem_tif):
    import floodrisk
    from floodrisk.errors import FloodRiskError

    L = city.layers()
    L["regulators"] = gpd.GeoDataFrame(
        {"weir_id": ["WR1"], "type": ["溢流堰"], "from": ["J2"], "to": ["O1"],
         "堰顶高度": [0.8]}, geometry=gpd.GeoSeries([None]))
    dem = floodrisk.load_dem(dem_tif)
    net = floodrisk.load_network(city.gpkg(layers=L), dem=dem)
    r = net.regulators
    assert r[["link_id", "kind", "from_node", "to_node", "crest_height"]].values.tolist() == [
        ["WR1", "weir", "J2", "O1", 0.8]]
    assert "regulators" in net.layers() and "1 regulators" in repr(net)
    e = to_graph(net).edges["J2", "O1", "WR1"]
    assert e["kind"] == "weir" and e["crest_height"] == 0.8
    L["regulators"].loc[0, "to"] = "J9"
    with pytest.raises(FloodRiskError) as exc:
        floodrisk.load_network(city.gpkg(layers=L, name="bad.gpkg"), dem=dem)
    assert exc.value.feature == ["WR1"] and exc.value.field == "to_node"
    # without the layer: None, and the repr is unchanged
    net = floodrisk.load_network(city.gpkg(name="plain.gpkg"), dem=dem)
    assert net.regulators is None and "regulators" not in repr(net)
