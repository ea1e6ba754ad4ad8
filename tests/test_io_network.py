"""Network loading: names and aliases (English and Chinese), folders, mappings, levels from
the DEM, snapping, reprojection; and one test per kind of bad input.

The tiny city is described in conftest: nodes J1, J2, J3 (junctions) and O1 (outfall) on
row 5 at columns 2, 8, 14, 18; conduits C1 J1→J2, C2 J2→J3, C3 J3→O1.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import LineString, Point

import floodrisk
from floodrisk.errors import (CRSError, FloodRiskError, InputFileError, NetworkError,
                              SchemaError)
from floodrisk.io.network import read_network
from floodrisk.io.raster import read_dem
from floodrisk.io.vector import load_layer, write_layers

from conftest import NODE_CELLS, centre


@pytest.fixture()
def dem(dem_tif):
    return read_dem(dem_tif)


def xy(node):
    return centre(*NODE_CELLS[node])


def ends(geom):
    c = shapely.get_coordinates(geom)
    return tuple(c[0]), tuple(c[-1])


# ---- good input -------------------------------------------------------------------------
def test_canonical_city(city_gpkg, dem):
    net = read_network(city_gpkg, dem=dem)
    assert net.crs.to_epsg() == 4547
    n = net.nodes.set_index("node_id")
    assert list(n.index) == ["J1", "J2", "J3", "O1"]
    assert list(n.kind) == ["junction", "junction", "junction", "outfall"]
    assert list(n.invert_elev) == [26.875, 24.875, 21.875, 20.875]
    assert list(n.rim_elev) == [29.875, 26.875, 23.875, 21.875]
    # max_depth = rim - invert
    assert list(n.max_depth) == [3.0, 2.0, 2.0, 1.0]
    c = net.conduits.set_index("link_id")
    assert list(zip(c.from_node, c.to_node)) == [("J1", "J2"), ("J2", "J3"), ("J3", "O1")]
    assert list(c["length"]) == [60.0, 60.0, 40.0]  # from the geometry: 6, 6 and 4 cells of 10 m
    assert list(c.diameter) == [0.3, 0.4, 0.5]
    assert list(c["shape"]) == ["circular"] * 3  # the default
    assert list(c.in_offset) == [0.0] * 3 and list(c.out_offset) == [0.0] * 3
    p = net.pumps.iloc[0]
    assert (p.pump_id, p.station_id, p.from_node, p.to_node, p.capacity) == (
        "P1", "S1", "J3", "O1", 0.2)
    assert net.subcatchments is None
    assert any("length of 3 conduits taken from the geometry" in s for s in net.notes)


def test_equipment_elev_from_ground_plus_height(city_gpkg, dem):
    net = read_network(city_gpkg, dem=dem)
    s = net.stations.iloc[0]
    # S1 on cell (3, 14): ground 32.125 - 7 - 0.75 = 24.375; + 1.5 m
    assert s.equipment_elev == 24.375 + 1.5 == 25.875
    assert s["name"] == "东区泵站"
    assert any("equipment_elev of 1 features" in x and "'S1'" in x for x in net.notes)


def test_public_alias():
    assert floodrisk.load_network is read_network


def _chinese(city):
    L = city.layers()
    nodes = L["nodes"].rename(columns={"node_id": "井号", "kind": "类型", "invert_elev": "井底标高",
                                       "rim_elev": "地面标高"})
    nodes["类型"] = ["检查井", "检查井", "检查井", "排放口"]
    cond = L["conduits"].rename(columns={"link_id": "管段编号", "from_node": "起点井号",
                                         "to_node": "终点井号", "roughness": "糙率"})
    cond = cond.drop(columns="diameter")
    cond["管径(mm)"] = [300, 400, 500]
    cond["起点管底标高"] = [27.075, np.nan, np.nan]
    pumps = L["pumps"].rename(columns={"pump_id": "泵编号", "station_id": "泵站编号",
                                       "from_node": "进水节点", "to_node": "出水节点",
                                       "capacity": "流量(L/s)", "on_depth": "启泵水深",
                                       "off_depth": "停泵水深"})
    pumps["流量(L/s)"] = [200.0]
    stations = L["stations"].rename(columns={"station_id": "泵站编号", "name": "泵站名称",
                                             "equipment_height": "设备高度"})
    return {"检查井": nodes, "管线": cond, "水泵": pumps, "泵站": stations}


def test_chinese_field_and_layer_names(city, dem):
    path = write_layers(_chinese(city), city.root / "管网.gpkg")
    net = read_network(path, dem=dem)
    n = net.nodes.set_index("node_id")
    assert list(n.index) == ["J1", "J2", "J3", "O1"]
    assert list(n.kind) == ["junction", "junction", "junction", "outfall"]  # 检查井, 排放口
    assert n.loc["J2", "invert_elev"] == 24.875 and n.loc["J2", "rim_elev"] == 26.875
    c = net.conduits.set_index("link_id")
    assert list(c.index) == ["C1", "C2", "C3"]
    assert list(zip(c.from_node, c.to_node)) == [("J1", "J2"), ("J2", "J3"), ("J3", "O1")]
    # 管径(mm) → m
    assert c.diameter.tolist() == pytest.approx([0.3, 0.4, 0.5], abs=1e-12)
    # in_offset = 起点管底标高 - invert of J1 = 27.075 - 26.875
    assert c.loc["C1", "in_invert"] == 27.075
    assert c.loc["C1", "in_offset"] == pytest.approx(0.2, abs=1e-9)
    assert c.loc["C2", "in_offset"] == 0.0 and c.loc["C3", "in_offset"] == 0.0
    assert c.roughness.tolist() == [0.013] * 3
    p = net.pumps.iloc[0]
    assert (p.pump_id, p.station_id, p.from_node, p.to_node) == ("P1", "S1", "J3", "O1")
    assert p.capacity == pytest.approx(0.2, abs=1e-12)  # 200 L/s
    assert (p.on_depth, p.off_depth) == (1.0, 0.3)
    assert net.stations.iloc[0].equipment_elev == 25.875
    assert any("'管径(mm)' read as 'diameter' (×0.001)" in s for s in net.notes)


def test_english_aliases(city, dem):
    L = city.layers()
    nodes = L["nodes"].rename(columns={"node_id": "manhole_id", "kind": "Type",
                                       "invert_elev": "invert", "rim_elev": "ground_elev"})
    nodes["Type"] = ["manhole", "MH", "inlet", "outlet"]
    cond = L["conduits"].rename(columns={"link_id": "pipe_id", "from_node": "us_node",
                                         "to_node": "ds_node", "roughness": "manning"})
    cond = cond.drop(columns="diameter")
    cond["DIAMETER_MM"] = [300.0, 400.0, 500.0]
    cond["ds_invert"] = [np.nan, np.nan, 21.125]
    path = write_layers({"manholes": nodes, "pipes": cond, "pump": L["pumps"],
                         "pump_stations": L["stations"]}, city.root / "en.gpkg")
    net = read_network(path, dem=dem)
    assert list(net.nodes.kind) == ["junction"] * 3 + ["outfall"]
    assert list(net.nodes.max_depth) == [3.0, 2.0, 2.0, 1.0]
    c = net.conduits.set_index("link_id")
    assert c.diameter.tolist() == pytest.approx([0.3, 0.4, 0.5], abs=1e-12)
    # out_offset of C3 = 21.125 - invert of O1 (20.875)
    assert c.loc["C3", "out_offset"] == 0.25
    assert len(net.pumps) == 1 and len(net.stations) == 1


@pytest.mark.parametrize("nodes_name, conduits_name",
                         [("检查井", "管线"), ("manholes", "pipes"), ("节点", "管道"),
                          ("Junctions", "Links")])
def test_layer_name_aliases(city, dem, nodes_name, conduits_name):
    L = city.layers()
    path = write_layers({nodes_name: L["nodes"], conduits_name: L["conduits"],
                         "pumps": L["pumps"], "stations": L["stations"]},
                        city.root / "aliases.gpkg")
    net = read_network(path, dem=dem)
    assert len(net.nodes) == 4 and len(net.conduits) == 3
    assert net.conduits["length"].sum() == 160.0


def test_folder_of_per_layer_files(city, dem):
    L = city.layers()
    folder = city.root / "network"
    folder.mkdir()
    # Shapefile field names are limited to 10 characters: 'invert' is an alias
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        L["nodes"].rename(columns={"invert_elev": "invert"}).to_file(folder / "Nodes.shp")
    L["conduits"].to_file(folder / "conduits.geojson", driver="GeoJSON")
    L["stations"].to_file(folder / "stations.geojson", driver="GeoJSON")
    pd.DataFrame(L["pumps"].drop(columns="geometry")).to_csv(folder / "pumps.csv", index=False)
    (folder / "readme.txt").write_text("not a layer")
    net = read_network(folder, dem=dem)
    assert net.crs.to_epsg() == 4547
    n = net.nodes.set_index("node_id")
    assert list(n.invert_elev) == [26.875, 24.875, 21.875, 20.875]
    for node in ("J1", "O1"):
        assert n.loc[node].geometry.x == pytest.approx(xy(node)[0], abs=1e-6)
        assert n.loc[node].geometry.y == pytest.approx(xy(node)[1], abs=1e-6)
    assert list(net.conduits["length"]) == pytest.approx([60.0, 60.0, 40.0], abs=1e-6)
    p = net.pumps.iloc[0]  # CSV: every value comes as text
    assert (p.pump_id, p.capacity, p.on_depth) == ("P1", 0.2, 1.0)
    assert net.stations.iloc[0].equipment_elev == 25.875


def test_explicit_column_mapping(city, dem):
    L = city.layers()
    nodes = L["nodes"].rename(columns={"node_id": "MH", "invert_elev": "IL", "rim_elev": "CL"})
    cond = L["conduits"].rename(columns={"link_id": "PIPE", "from_node": "A", "to_node": "B"})
    cond["DN"] = [300, 400, 500]
    cond = cond.drop(columns="diameter")
    path = write_layers({"nodes": nodes, "conduits": cond, "pumps": L["pumps"],
                         "stations": L["stations"]}, city.root / "mapped.gpkg")
    columns = {"nodes": {"node_id": "MH", "invert_elev": "IL", "rim_elev": "CL"},
               "conduits": {"link_id": "PIPE", "from_node": "A", "to_node": "B",
                            "diameter_mm": "DN"}}
    net = read_network(path, dem=dem, columns=columns)
    assert list(net.nodes.node_id) == ["J1", "J2", "J3", "O1"]
    assert list(net.nodes.rim_elev) == [29.875, 26.875, 23.875, 21.875]
    c = net.conduits
    assert list(c.link_id) == ["C1", "C2", "C3"] and list(c.to_node) == ["J2", "J3", "O1"]
    assert c.diameter.tolist() == pytest.approx([0.3, 0.4, 0.5], abs=1e-12)
    assert any("'DN' read as 'diameter' (×0.001)" in s for s in net.notes)


def test_missing_rim_sampled_from_the_dem(city, dem):
    path = city.gpkg(city.set("nodes", "J2", "rim_elev", np.nan))
    net = read_network(path, dem=dem)
    n = net.nodes.set_index("node_id")
    # J2 at (500085, 2500045): 30 - 0.05·85 + 0.025·45 = 26.875
    assert n.loc["J2", "rim_elev"] == city.plane(*xy("J2")) == 26.875
    assert n.loc["J2", "max_depth"] == 26.875 - 24.875
    note = [s for s in net.notes if "rim_elev" in s]
    assert len(note) == 1 and "rim_elev of 1 features from the DEM: 'J2'" in note[0]


def test_rim_column_absent_is_sampled_for_every_node(city, dem):
    net = read_network(city.gpkg(city.drop("nodes", "rim_elev")), dem=dem)
    expected = [city.plane(*xy(k)) for k in ("J1", "J2", "J3", "O1")]
    assert expected == [29.875, 26.875, 23.875, 21.875]
    assert list(net.nodes.rim_elev) == expected
    assert any("'J1', 'J2', 'J3', 'O1'" in s for s in net.notes)


def test_missing_rim_without_dem(city, names):
    path = city.gpkg(city.set("nodes", "J3", "rim_elev", np.nan))
    with pytest.raises(SchemaError) as e:
        read_network(path)
    names(e.value, path=path, layer="nodes", feature="J3", field="rim_elev")


def _nudged_lines(layers, dx=0.3, dy=-0.4):
    """Lines whose ends sit 0.5 m off their nodes, without from_node/to_node."""
    c = layers["conduits"]
    c["geometry"] = [LineString([(x0 + dx, y0 + dy), (x1 - dx, y1 + dy)])
                     for (x0, y0), (x1, y1) in (ends(g) for g in c.geometry)]
    layers["conduits"] = c.drop(columns=["from_node", "to_node"])


def test_from_to_found_by_snapping_and_ends_moved_onto_nodes(city, dem):
    net = read_network(city.gpkg(_nudged_lines), dem=dem)
    c = net.conduits.set_index("link_id")
    assert list(zip(c.from_node, c.to_node)) == [("J1", "J2"), ("J2", "J3"), ("J3", "O1")]
    for link, (a, b) in zip(c.index, zip(c.from_node, c.to_node)):
        assert ends(c.loc[link].geometry) == (xy(a), xy(b))  # exactly on the nodes
    # length is taken after snapping: node to node
    assert list(c["length"]) == [60.0, 60.0, 40.0]
    assert any("from_node of 3 conduits found by snapping" in s for s in net.notes)


def test_snap_tolerance_is_a_parameter(city, dem):
    path = city.gpkg(lambda L: _nudged_lines(L, dx=1.2, dy=0.9))  # 1.5 m off
    with pytest.raises(NetworkError):
        read_network(path, dem=dem)
    net = read_network(path, dem=dem, snap_tolerance=2.0)
    assert list(net.conduits.to_node) == ["J2", "J3", "O1"]


def test_line_drawn_backwards_is_reversed(city, dem):
    path = city.gpkg(city.set("conduits", "C2", "geometry", LineString([xy("J3"), xy("J2")])))
    net = read_network(path, dem=dem)
    c = net.conduits.set_index("link_id")
    assert ends(c.loc["C2"].geometry) == (xy("J2"), xy("J3"))
    assert (c.loc["C2", "from_node"], c.loc["C2", "to_node"]) == ("J2", "J3")
    assert ends(c.loc["C1"].geometry) == (xy("J1"), xy("J2"))  # the others untouched
    assert any("reversed: 'C2'" in s for s in net.notes)


def test_length_from_a_bent_geometry(city, dem):
    (x0, y0), (x1, y1) = xy("J2"), xy("J3")
    bent = LineString([(x0, y0), (x0 + 30, y0 + 40), (x1, y1)])  # two 30-40-50 legs
    net = read_network(city.gpkg(city.set("conduits", "C2", "geometry", bent)), dem=dem)
    c = net.conduits.set_index("link_id")
    assert c.loc["C2", "length"] == 100.0
    assert c.loc["C1", "length"] == 60.0


def test_given_length_is_kept(city, dem):
    L = city.layers()
    L["conduits"]["length"] = [61.5, np.nan, 40.2]
    net = read_network(city.gpkg(layers=L), dem=dem)
    assert list(net.conduits["length"]) == [61.5, 60.0, 40.2]


def test_layers_in_another_projected_crs_are_reprojected(city, dem):
    path = city.gpkg(city.to_crs("EPSG:32649"))  # UTM 49N, central meridian 111°E
    net = read_network(path, dem=dem)
    assert net.crs.equals(dem.crs)
    n = net.nodes.set_index("node_id")
    for node in NODE_CELLS:
        assert n.loc[node].geometry.x == pytest.approx(xy(node)[0], abs=1e-4)
        assert n.loc[node].geometry.y == pytest.approx(xy(node)[1], abs=1e-4)
    assert net.conduits["length"].tolist() == pytest.approx([60.0, 60.0, 40.0], abs=1e-4)
    assert net.stations.crs.equals(dem.crs)
    assert n.loc["J2", "rim_elev"] == 26.875


def test_geographic_layers_reprojected_to_the_dem(city, dem):
    net = read_network(city.gpkg(city.to_crs("EPSG:4326")), dem=dem)
    assert net.crs.equals(dem.crs)
    n = net.nodes.set_index("node_id")
    assert n.loc["J3"].geometry.x == pytest.approx(xy("J3")[0], abs=1e-4)
    assert n.loc["J3"].geometry.y == pytest.approx(xy("J3")[1], abs=1e-4)


def test_geographic_layers_without_a_projected_crs(city, names):
    path = city.gpkg(city.to_crs("EPSG:4326"))
    with pytest.raises(CRSError) as e:
        read_network(path)
    msg = names(e.value, path=path, layer="nodes")
    assert "geographic" in msg and "target_crs" in msg


def test_crs_argument_for_layers_without_one(city, dem):
    L = city.layers(*(city.no_crs(k) for k in ("nodes", "conduits", "stations")))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyogrio warns that no CRS is written
        path = city.gpkg(layers=L)
    net = read_network(path, dem=dem, crs="EPSG:4547")
    assert net.crs.to_epsg() == 4547 and len(net.nodes) == 4


def test_subcatchments_area_from_geometry(city, dem):
    L = city.layers()
    L["subcatchments"] = L["underground"].iloc[:1].rename(columns={"space_id": "汇水区编号"})
    L["subcatchments"] = L["subcatchments"][["汇水区编号", "geometry"]].assign(出口节点=["J2"],
                                                                               不透水率=[0.6])
    net = read_network(city.gpkg(layers=L), dem=dem)
    s = net.subcatchments.iloc[0]
    assert (s.subcatchment_id, s.outlet, s.imperviousness) == ("M1", "J2", 0.6)
    assert s.area == 40.0 * 30.0  # cells rows 6-8 × cols 4-7


def test_empty_conduits_layer(city, dem):
    L = city.layers()
    L["conduits"] = L["conduits"].iloc[:0]
    net = read_network(city.gpkg(layers=L), dem=dem)
    assert len(net.conduits) == 0 and len(net.nodes) == 4
    assert list(net.nodes.max_depth) == [3.0, 2.0, 2.0, 1.0]


# ---- bad input: one test each -----------------------------------------------------------
def test_file_missing(tmp_path, names):
    path = tmp_path / "city.gpkg"
    with pytest.raises(InputFileError) as e:
        read_network(path)
    names(e.value, path=path)
    assert "not found" in str(e.value)


def test_file_unreadable(tmp_path, names):
    path = tmp_path / "city.gpkg"
    path.write_bytes(bytes(range(256)) * 20)
    with pytest.raises(InputFileError) as e:
        read_network(path)
    assert isinstance(e.value, OSError)
    names(e.value, path=path)
    assert "cannot be read" in str(e.value)


def test_no_nodes_layer(city, names):
    path = city.gpkg(city.drop_layer("nodes"))
    with pytest.raises(SchemaError) as e:
        read_network(path)
    names(e.value, path=path, layer="nodes")
    assert "检查井" in str(e.value)  # the hint lists the accepted names


def test_required_column_missing(city, dem, names):
    path = city.gpkg(city.drop("nodes", "invert_elev"))
    with pytest.raises(SchemaError) as e:
        read_network(path, dem=dem)
    assert isinstance(e.value, ValueError)
    names(e.value, path=path, layer="nodes", field="invert_elev")
    assert "井底标高" in str(e.value)  # the hint lists the accepted names


def test_required_value_empty(city, dem, names):
    path = city.gpkg(city.set("nodes", "J3", "invert_elev", np.nan))
    with pytest.raises(SchemaError) as e:
        read_network(path, dem=dem)
    names(e.value, path=path, layer="nodes", feature="J3", field="invert_elev")


def test_duplicate_node_ids(city, dem, names):
    path = city.gpkg(city.set("nodes", "J2", "node_id", "J1"))
    with pytest.raises(NetworkError) as e:
        read_network(path, dem=dem)
    names(e.value, path=path, layer="nodes", feature="J1", field="node_id")
    assert "duplicate" in str(e.value)


def test_conduit_refers_to_missing_node(city, dem, names):
    path = city.gpkg(city.set("conduits", "C2", "to_node", "J9"))
    with pytest.raises(NetworkError) as e:
        read_network(path, dem=dem)
    names(e.value, path=path, layer="conduits", feature="C2", field="to_node")
    assert "'J9'" in str(e.value)


def test_conduit_end_beyond_snap_tolerance(city, dem, names):
    x, y = xy("O1")
    path = city.gpkg(city.drop("conduits", "from_node"), city.drop("conduits", "to_node"),
                     city.set("conduits", "C3", "geometry",
                              LineString([xy("J3"), (x + 3.0, y + 4.0)])))
    with pytest.raises(NetworkError) as e:
        read_network(path, dem=dem)
    msg = names(e.value, path=path, layer="conduits", feature="C3", field="geometry")
    assert "5.00 m from O1" in msg and "snap_tolerance" in msg


def test_conduit_end_far_from_its_given_node(city, dem, names):
    x, y = xy("J3")
    path = city.gpkg(city.set("conduits", "C2", "geometry",
                              LineString([xy("J2"), (x - 20.0, y)])))
    with pytest.raises(NetworkError) as e:
        read_network(path, dem=dem)
    msg = names(e.value, path=path, layer="conduits", feature="C2", field="geometry")
    assert "last 20.00 m from J3" in msg


@pytest.mark.parametrize("value", [0.0, -0.3])
def test_diameter_not_positive(city, dem, names, value):
    path = city.gpkg(city.set("conduits", "C2", "diameter", value))
    with pytest.raises(SchemaError) as e:
        read_network(path, dem=dem)
    msg = names(e.value, path=path, layer="conduits", feature="C2", field="diameter")
    assert "out of range" in msg and "> 0" in msg
    assert "'C1'" not in msg and "'C3'" not in msg


def test_diameter_in_mm_under_a_metre_alias(city, dem, names):
    L = city.layers()
    L["conduits"] = L["conduits"].rename(columns={"diameter": "管径"})
    L["conduits"]["管径"] = [300.0, 600.0, 0.5]
    path = city.gpkg(layers=L)
    with pytest.raises(SchemaError) as e:
        read_network(path, dem=dem)
    msg = names(e.value, path=path, layer="conduits", feature=["C1", "C2"], field="diameter")
    assert "300, 600" in msg and "'C3'" not in msg
    assert "diameter_mm" in e.value.hint and "管径(mm)" in e.value.hint


def test_circular_conduit_without_diameter(city, dem, names):
    path = city.gpkg(city.set("conduits", "C1", "diameter", np.nan))
    with pytest.raises(SchemaError) as e:
        read_network(path, dem=dem)
    names(e.value, path=path, layer="conduits", feature="C1", field="diameter")


def test_invert_above_rim(city, dem, names):
    path = city.gpkg(city.set("nodes", "J2", "invert_elev", 27.5))
    with pytest.raises(NetworkError) as e:
        read_network(path, dem=dem)
    msg = names(e.value, path=path, layer="nodes", feature="J2", field="invert_elev")
    assert "invert 27.50 m > rim 26.88 m" in msg


def test_conduit_below_its_node_invert(city, dem, names):
    L = city.layers()
    L["conduits"]["in_invert"] = [np.nan, 24.5, np.nan]  # J2's invert is 24.875
    path = city.gpkg(layers=L)
    with pytest.raises(NetworkError) as e:
        read_network(path, dem=dem)
    msg = names(e.value, path=path, layer="conduits", feature="C2", field="in_invert")
    assert "-0.38 m" in msg


def test_pump_station_without_pumps(city, dem, names):
    path = city.gpkg(city.add("stations", station_id="S2", name="西区泵站",
                              equipment_height=1.0, geometry=Point(*centre(2, 2))))
    with pytest.raises(NetworkError) as e:
        read_network(path, dem=dem)
    msg = names(e.value, path=path, layer="stations", feature="S2", field="station_id")
    assert "no pumps" in msg and "'S1'" not in msg


def test_pump_of_unknown_station(city, dem, names):
    path = city.gpkg(city.set("pumps", "P1", "station_id", "S7"))
    with pytest.raises(NetworkError) as e:
        read_network(path, dem=dem)
    names(e.value, path=path, layer="pumps", feature="P1", field="station_id")


def test_layer_without_crs_among_layers_with_one(city, dem, names):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyogrio warns that no CRS is written
        path = city.gpkg(city.no_crs("conduits"))
    with pytest.raises(CRSError) as e:
        read_network(path, dem=dem)
    msg = names(e.value, path=path, layer="conduits")
    assert "no CRS while nodes, stations do" in msg and "crs=" in msg


def test_every_layer_without_crs_and_a_dem(city, dem, names):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        path = city.gpkg(*(city.no_crs(k) for k in ("nodes", "conduits", "stations")))
    with pytest.raises(CRSError) as e:
        read_network(path, dem=dem)
    msg = names(e.value, path=path, layer="nodes")
    assert "no CRS while the study's is EPSG:4547" in msg and "while  do" not in msg


def test_unknown_node_kind(city, dem, names):
    path = city.gpkg(city.set("nodes", "J2", "kind", "sump"))
    with pytest.raises(SchemaError) as e:
        read_network(path, dem=dem)
    msg = names(e.value, path=path, layer="nodes", feature="J2", field="kind")
    assert "'sump'" in msg and "junction, outfall, storage" in msg


def test_non_numeric_value(city, dem, names):
    path = city.gpkg(city.set("nodes", "J2", "invert_elev", "24,875"))
    with pytest.raises(SchemaError) as e:
        read_network(path, dem=dem)
    msg = names(e.value, path=path, layer="nodes", feature="J2", field="invert_elev")
    assert "'24,875'" in msg and "not numbers" in msg
    assert "'J1'" not in msg


def test_storage_node_without_area(city, dem, names):
    path = city.gpkg(city.set("nodes", "J3", "kind", "调蓄池"))
    with pytest.raises(SchemaError) as e:
        read_network(path, dem=dem)
    names(e.value, path=path, layer="nodes", feature="J3", field="storage_area")


def test_every_error_is_a_floodrisk_error(city, dem):
    path = city.gpkg(city.set("nodes", "J2", "kind", "sump"))
    with pytest.raises(FloodRiskError):
        read_network(path, dem=dem)
    with pytest.raises(ValueError):
        read_network(path, dem=dem)


# ---- validation data: Bellinge subcatchments (SWMManywhere) -----------------------------
BELLINGE_COLUMNS = {"subcatchment_id": "Name", "outlet": "id", "imperv_pct": "rc", "area": "area"}


def test_bellinge_subcatchments(validation_dir):
    path = validation_dir / "bellinge" / "bellinge_small_subcatchments.geojson"
    subs, notes = load_layer(path, "subcatchments", columns=BELLINGE_COLUMNS)
    assert len(subs) == 13
    assert subs.crs.to_epsg() == 32632
    first = subs.iloc[0]
    assert (first.subcatchment_id, first.outlet) == ("G72F810_8063", "G72F810")
    assert first.imperviousness == pytest.approx(0.3832, abs=1e-12)  # rc 38.32 %
    raw = json.loads(path.read_text())["features"]  # the file as written, read by hand
    rc = np.array([f["properties"]["rc"] for f in raw])
    np.testing.assert_allclose(subs.imperviousness, rc / 100, rtol=1e-12)
    assert [f["properties"]["Name"] for f in raw] == list(subs.subcatchment_id)
    assert subs.subcatchment_id.is_unique
    # the polygons' own area against the file's 'area' (m², SWMManywhere) and 'Area' (ha)
    geom_area = subs.geometry.area.to_numpy()
    np.testing.assert_allclose(geom_area, subs["area"].to_numpy(), rtol=0.005)
    np.testing.assert_allclose(geom_area, subs["Area"].to_numpy() * 1e4, rtol=0.01)
    assert geom_area[0] == pytest.approx(4523.75, rel=0.005)
    assert any("'rc' read as 'imperviousness' (×0.01)" in n for n in notes)


def test_bellinge_subcatchments_without_mapping(validation_dir, names):
    path = validation_dir / "bellinge" / "bellinge_small_subcatchments.geojson"
    with pytest.raises(SchemaError) as e:
        load_layer(path, "subcatchments")
    msg = str(e.value)
    assert str(path) in msg
    assert e.value.field in ("outlet", "area")
    if e.value.field == "area":  # 'Area' (ha) and 'area' (m²) both name the area
        assert "'Area'" in msg and "'area'" in msg and "field 'area'" in msg
    else:
        assert "field 'outlet'" in msg
