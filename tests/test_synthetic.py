"""The synthetic city: determinism, terrain, pipe design and the planted weak spots.

Every number checked here is worked out in the test from first principles (the DEM,
node levels, the Manning and rational formulas of DOMAIN.md §3, the layer geometry),
never read back from the generator's own design columns.
"""

from __future__ import annotations

import math
from dataclasses import replace

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import CRS
from scipy import ndimage

from floodrisk.errors import InputError
from floodrisk.synthetic import WEAK_SPOT_KINDS, CitySettings, generate_city, write_city

SETTINGS = CitySettings(seed=11, width=800.0, height=600.0)
# Zhengzhou handbook formula, DOMAIN.md §1: q = A(1 + C lg P)/(t + b)^n, L/(s·hm²)
A, C, B, N = 3073.0, 0.892, 15.1, 0.824


@pytest.fixture(scope="module")
def city():
    return generate_city(SETTINGS)


@pytest.fixture(scope="module")
def hydraulics(city):
    """Capacity, time of concentration and rational flows recomputed from the layers."""
    nodes = city.layers["nodes"].set_index("node_id")
    cd = city.layers["conduits"].reset_index(drop=True)
    inv = nodes["invert_elev"]
    up = inv.reindex(cd.from_node).to_numpy() + cd.in_offset.to_numpy()
    dn = inv.reindex(cd.to_node).to_numpy() + cd.out_offset.to_numpy()
    length = cd.geometry.length.to_numpy()
    slope = (up - dn) / length
    circ = (cd["shape"] == "circular").to_numpy()
    d = cd.diameter.to_numpy()
    h, w = cd.height.to_numpy(), cd.width.to_numpy()
    n = cd.roughness.to_numpy()
    with np.errstate(invalid="ignore"):
        area = np.where(circ, math.pi * d**2 / 4, h * w)
        radius = np.where(circ, d / 4, h * w / (2 * (h + w)))
        cap = np.where(circ, 0.3117 / n * d ** (8 / 3) * np.sqrt(slope),
                       area * radius ** (2 / 3) * np.sqrt(slope) / n)
    vel = cap / area
    # travel times along the tree: t = t1 + Σ L/(60 v) over the slowest upstream path
    g = nx.DiGraph()
    g.add_edges_from(zip(cd.from_node, cd.to_node))
    leaving = {f: k for k, f in enumerate(cd.from_node)}
    entering: dict[str, list[int]] = {}
    for k, t in enumerate(cd.to_node):
        entering.setdefault(t, []).append(k)
    time = np.zeros(len(cd))
    for node in nx.topological_sort(g):
        if node not in leaving:
            continue
        k = leaving[node]
        inc = entering.get(node, [])
        time[k] = max((time[i] + length[i] / vel[i] / 60.0 for i in inc),
                      default=SETTINGS.inlet_time)
    area_ha = cd.catchment_area.to_numpy() / 1e4

    def flow(period):
        q = A * (1 + C * math.log10(period)) / (time + B) ** N
        return SETTINGS.runoff_coeff * q * area_ha / 1000.0   # L/s → m³/s

    return dict(cd=cd, up=up, dn=dn, slope=slope, cap=cap, length=length, time=time,
                q3=flow(3.0), q1=flow(1.0), conv=area * radius ** (2 / 3),
                rise=np.where(circ, d, h), entering=entering)


def weak_links(city):
    ws = city.weak_spots
    return set(ws.feature_id[ws.kind == "undersized_pipe"])


# ---- determinism, CRS, extent -----------------------------------------------------------

def test_same_settings_give_byte_identical_files(city, tmp_path):
    a = write_city(city, tmp_path / "a")
    b = write_city(generate_city(SETTINGS), tmp_path / "b")
    assert set(a) == {"dem", "city"}
    for key in a:
        assert a[key].read_bytes() == b[key].read_bytes(), key


def test_other_seed_gives_another_city(city):
    other = generate_city(SETTINGS, seed=12)
    assert other.dem.shape == city.dem.shape
    assert not np.array_equal(other.dem.values, city.dem.values)
    a, b = city.layers["conduits"].geometry, other.layers["conduits"].geometry
    assert len(a) != len(b) or not a.geom_equals(b, align=False).all()


def test_crs_extent_and_cells(city):
    epsg4547 = CRS.from_epsg(4547)
    assert city.dem.crs.equals(epsg4547)
    for name, layer in {**city.layers, "weak_spots": city.weak_spots}.items():
        if name != "pumps":
            assert CRS.from_user_input(layer.crs).equals(epsg4547), name
    x0, y0, x1, y1 = city.dem.bounds
    assert (x1 - x0, y1 - y0) == (800.0, 600.0)
    assert city.dem.dx == city.dem.dy == 5.0
    assert abs(x0 - 463000) < 5 and abs(y0 - 3842000) < 5
    assert x0 % 5 == 0 and y0 % 5 == 0
    assert city.dem.values.dtype == np.float32
    assert np.isfinite(city.dem.values).all()


def test_layers_use_canonical_columns(city):
    from floodrisk.schema import LAYERS
    for name, layer in city.layers.items():
        required = [c.name for c in LAYERS[name].columns if c.required]
        assert set(required) <= set(layer.columns), name
    ws = city.weak_spots
    assert list(ws.columns[:6]) == ["spot_id", "kind", "feature_id", "description", "depth",
                                    "area"]
    assert set(ws.kind) == set(WEAK_SPOT_KINDS)


def test_invalid_settings_are_refused():
    with pytest.raises(InputError):
        generate_city(width=200.0)
    with pytest.raises(InputError):
        generate_city(no_such_setting=1)


def test_bigger_city_has_more_streets_systems_and_spaces(city):
    big = generate_city(SETTINGS, width=1600.0, height=1200.0)
    for name in ("conduits", "buildings"):
        assert len(big.layers[name]) > 2 * len(city.layers[name]), name
    assert len(big.layers["underground"]) > len(city.layers["underground"])
    n_out = (city.layers["nodes"].kind == "outfall").sum()
    assert (big.layers["nodes"].kind == "outfall").sum() > n_out
    # not stretched: blocks keep their size (mean conduit length about the same)
    assert big.layers["conduits"].length.mean() == pytest.approx(
        city.layers["conduits"].length.mean(), rel=0.25)


# ---- terrain -----------------------------------------------------------------------------

def test_carriageways_are_cut_below_the_blocks(city):
    """A carriageway cell lies street_depth below the mean of the block cells either side."""
    dem, s = city.dem, SETTINGS
    cd = city.layers["conduits"]
    kinds = city.layers["nodes"].set_index("node_id").kind
    xy = shapely.get_coordinates(cd.geometry.to_numpy()).reshape(-1, 2, 2)
    horizontal = np.isclose(xy[:, 0, 1], xy[:, 1, 1])
    vertical = np.isclose(xy[:, 0, 0], xy[:, 1, 0])
    ew_streets = np.unique(xy[horizontal, 0, 1])
    ns_streets = np.unique(xy[vertical, 0, 0])
    k = int(s.street_width / 2 // dem.dx) + 1        # first cell beyond the corridor
    ws = city.weak_spots
    sags = ws.geometry[ws.kind == "underpass"].to_numpy()
    checked = 0
    for i in range(len(cd)):
        if kinds[cd.from_node.iat[i]] != "junction" or kinds[cd.to_node.iat[i]] != "junction":
            continue
        mx, my = xy[i].mean(axis=0)
        if my < ew_streets.min():
            continue                               # a manhole in the riverside park
        if shapely.distance(shapely.Point(mx, my), sags).min() < 150:
            continue                               # the street sag curves the ground
        row, col = (int(v) for v in dem.index(mx, my))
        if horizontal[i]:
            if np.abs(ns_streets - mx).min() < s.street_width / 2 + 2 * dem.dx:
                continue
            if not k <= row < dem.shape[0] - k:
                continue
            side = dem.values[row - k, col], dem.values[row + k, col]
        else:
            if np.abs(ew_streets - my).min() < s.street_width / 2 + 2 * dem.dx:
                continue
            if not k <= col < dem.shape[1] - k:
                continue
            side = dem.values[row, col - k], dem.values[row, col + k]
        centre = float(dem.values[row, col])
        assert centre == pytest.approx((float(side[0]) + float(side[1])) / 2 - 0.15, abs=0.005)
        checked += 1
    assert checked >= 10


def test_buildings_stand_in_blocks_not_on_streets(city):
    lc = city.layers["landcover"].set_index("class")
    road = lc.geometry["road"]
    b = city.layers["buildings"].geometry
    assert len(b) >= 20
    assert not b.intersects(road).any()
    assert b.is_valid.all()


def test_landcover_partitions_the_city(city):
    lc = city.layers["landcover"]
    assert set(lc["class"]) == {"road", "building", "green", "water"}
    n = dict(zip(lc["class"], lc.roughness))
    assert n == {"road": 0.02, "building": 0.02, "green": 0.05, "water": 0.03}
    assert lc.is_valid.all()
    x0, y0, x1, y1 = city.dem.bounds
    assert lc.area.sum() == pytest.approx((x1 - x0) * (y1 - y0), rel=1e-9)
    assert shapely.union_all(lc.geometry.to_numpy()).area == pytest.approx(lc.area.sum(),
                                                                           rel=1e-9)


def test_river_channel_is_a_few_metres_deep(city):
    water = city.layers["landcover"].set_index("class").geometry["water"]
    xs, ys = city.dem.cell_centres()
    rows = (ys > water.bounds[1]) & (ys < water.bounds[3])
    bank_row = int(np.flatnonzero(ys > water.bounds[3])[-1])
    depth = city.dem.values[bank_row] - city.dem.values[rows].min(axis=0)
    assert (depth > 3).all() and (depth < 10).all()


# ---- the pipe network ----------------------------------------------------------------------

def test_conduits_fall_downstream_and_keep_their_cover(city, hydraulics):
    nodes = city.layers["nodes"].set_index("node_id")
    cd = hydraulics["cd"]
    assert (hydraulics["slope"] > 0).all()
    assert (cd.in_offset >= -1e-9).all() and (cd.out_offset >= -1e-9).all()
    assert (nodes.invert_elev < nodes.rim_elev).all()
    assert np.allclose(nodes.max_depth, nodes.rim_elev - nodes.invert_elev, atol=1e-6)
    rise = hydraulics["rise"]
    cover_up = nodes.rim_elev.reindex(cd.from_node).to_numpy() - (hydraulics["up"] + rise)
    cover_dn = nodes.rim_elev.reindex(cd.to_node).to_numpy() - (hydraulics["dn"] + rise)
    assert cover_up.min() >= SETTINGS.min_cover - 1e-6
    assert cover_dn.min() >= SETTINGS.min_cover - 1e-6
    # rims are the DEM under the manholes
    ground = city.dem.sample(nodes.geometry.x.to_numpy(), nodes.geometry.y.to_numpy())
    assert np.allclose(nodes.rim_elev, ground, atol=1e-3)


def test_conduit_lines_join_their_nodes(city, hydraulics):
    nodes = city.layers["nodes"].set_index("node_id")
    cd = hydraulics["cd"]
    xy = shapely.get_coordinates(cd.geometry.to_numpy()).reshape(-1, 2, 2)
    start = nodes.geometry.reindex(cd.from_node)
    end = nodes.geometry.reindex(cd.to_node)
    assert np.array_equal(xy[:, 0], np.column_stack([start.x, start.y]))
    assert np.array_equal(xy[:, 1], np.column_stack([end.x, end.y]))
    assert np.allclose(cd.length, hydraulics["length"])
    assert nodes.index.is_unique and cd.link_id.is_unique
    # manholes at most ~100 m apart
    assert cd.length.max() <= 100.0


def test_every_system_is_a_tree_ending_at_an_outfall_or_wet_well(city):
    nodes = city.layers["nodes"].set_index("node_id")
    cd = city.layers["conduits"]
    assert cd.from_node.is_unique                       # one way out of every node
    g = nx.DiGraph(list(zip(cd.from_node, cd.to_node)))
    assert nx.is_directed_acyclic_graph(g)
    sinks = [v for v in g if g.out_degree(v) == 0]
    assert {nodes.kind[v] for v in sinks} <= {"outfall", "storage"}
    assert len(sinks) >= 2


def test_capacity_meets_the_rational_design_flow(city, hydraulics):
    """Q_full (Manning, recomputed) ≥ ψ·q(3 a, t)·F for every conduit but the planted ones."""
    cd = hydraulics["cd"]
    weak = cd.link_id.isin(weak_links(city)).to_numpy()
    ok = hydraulics["cap"] >= hydraulics["q3"] * (1 - 1e-9)
    assert ok[~weak].all(), cd.link_id[~weak & ~ok].tolist()
    # catchment areas accumulate downstream and add up to the land north of the river
    area = cd.catchment_area.to_numpy()
    for k, f in enumerate(cd.from_node):
        assert area[k] >= sum(area[i] for i in hydraulics["entering"].get(f, [])) - 1e-6
    kinds = city.layers["nodes"].set_index("node_id").kind
    last = cd.to_node.map(kinds).isin(["outfall", "storage"]).to_numpy()
    water = city.layers["landcover"].set_index("class").geometry["water"]
    x0, _, x1, y1 = city.dem.bounds
    assert area[last].sum() == pytest.approx((x1 - x0) * (y1 - water.bounds[3]), rel=1e-9)


def test_undersized_runs_fall_short_even_of_a_one_year_storm(city, hydraulics):
    cd = hydraulics["cd"]
    weak = cd.link_id.isin(weak_links(city)).to_numpy()
    assert weak.sum() >= 2
    assert (hydraulics["cap"][weak] < hydraulics["q3"][weak]).all()
    assert (hydraulics["cap"][weak] < hydraulics["q1"][weak]).all()   # return period < 1 a
    runs = city.weak_spots[city.weak_spots.kind == "undersized_pipe"]
    assert cd.set_index("link_id").street.reindex(runs.feature_id).nunique() >= 2


def test_pipes_are_not_smaller_downstream(city, hydraulics):
    cd = hydraulics["cd"]
    weak = set(np.flatnonzero(cd.link_id.isin(weak_links(city)).to_numpy()))
    leaving = {f: k for k, f in enumerate(cd.from_node)}
    conv = hydraulics["conv"]
    pairs = 0
    for k, t in enumerate(cd.to_node):
        d = leaving.get(t)
        if d is None or k in weak or d in weak:
            continue
        assert conv[d] >= conv[k] - 1e-12, (cd.link_id[k], cd.link_id[d])
        pairs += 1
    assert pairs > 20


def test_outfalls_sit_on_the_river_bank(city):
    nodes = city.layers["nodes"]
    water = city.layers["landcover"].set_index("class").geometry["water"]
    out = nodes[nodes.kind == "outfall"]
    assert len(out) >= 2
    assert (out.distance(water) <= 5.0).all()
    junctions = nodes[nodes.kind == "junction"]
    assert out.geometry.y.max() < junctions.geometry.y.min()
    bed = city.dem.values.min()
    assert (out.invert_elev > bed).all()


# ---- pump stations ---------------------------------------------------------------------

def test_pump_stations_and_pumps(city):
    st = city.layers["stations"]
    pumps = city.layers["pumps"]
    nodes = city.layers["nodes"].set_index("node_id")
    assert len(st) >= 2
    assert pumps.geometry.isna().all()
    assert set(pumps.station_id) == set(st.station_id)
    assert (nodes.kind.reindex(pumps.from_node) == "storage").all()
    assert (nodes.storage_area.reindex(pumps.from_node) > 0).all()
    assert (nodes.kind.reindex(pumps.to_node) == "outfall").all()
    assert (pumps.capacity > 0).all() and (pumps.off_depth <= pumps.on_depth).all()
    ground = city.dem.sample(st.geometry.x.to_numpy(), st.geometry.y.to_numpy())
    height = st.equipment_elev.to_numpy() - ground
    assert (height >= 0.3 - 1e-3).all() and (height <= 1.0 + 1e-3).all()


def test_low_station_lies_below_its_surroundings(city):
    ws = city.weak_spots[city.weak_spots.kind == "low_station"]
    assert len(ws) == 1
    st = city.layers["stations"].set_index("station_id").loc[ws.feature_id.iat[0]]
    x, y = st.geometry.x, st.geometry.y
    ground = float(city.dem.sample(x, y))
    xs, ys = city.dem.cell_centres()
    gx, gy = np.meshgrid(xs, ys)
    near = np.hypot(gx - x, gy - y) <= 100.0
    assert ground < np.median(city.dem.values[near]) - 0.5
    assert st.equipment_elev < np.median(city.dem.values[near])   # floods before its neighbours


# ---- underground spaces ----------------------------------------------------------------

def test_metro_station_has_exactly_four_entrances(city):
    ug = city.layers["underground"]
    ent = city.layers["entrances"]
    metro = ug[ug.kind == "metro_station"]
    assert len(metro) == 1
    doors = ent[ent.space_id == metro.space_id.iat[0]]
    assert len(doors) == 4
    assert (doors.sill_height == 0.45).all()


def test_one_metro_entrance_sits_on_a_dip_of_the_pavement(city):
    # The same city without the dip differs only around the low entrance, by the bowl
    # depth·(1 − (r/R)²)² at each cell centre; no manhole lies in it, so the network and
    # every other layer are the same.
    depth, radius = SETTINGS.entrance_sag
    flat = generate_city(replace(SETTINGS, entrance_sag=(0.0, radius)))
    ws = city.weak_spots[city.weak_spots.kind == "low_entrance"]
    assert len(ws) == 1 and ws["depth"].iat[0] == depth
    ent = city.layers["entrances"].set_index("entrance_id").loc[ws.feature_id.iat[0]]
    assert city.layers["underground"].set_index("space_id").loc[ent.space_id, "kind"] \
        == "metro_station"
    x, y = ent.geometry.x, ent.geometry.y
    assert ws.geometry.iat[0].equals(ent.geometry)
    xs, ys = city.dem.cell_centres()
    r = np.hypot(xs[None, :] - x, ys[:, None] - y) / radius
    bowl = np.where(r < 1, depth * (1 - r * r) ** 2, 0.0)
    np.testing.assert_allclose(flat.dem.values - city.dem.values, bowl, atol=2e-5)
    assert float(flat.dem.sample(x, y) - city.dem.sample(x, y)) > 0.8 * depth
    nodes = city.layers["nodes"]
    assert nodes.distance(ent.geometry).min() > radius
    for name, layer in city.layers.items():
        assert layer.equals(flat.layers[name]), name


def test_entrances_lie_on_or_in_their_space(city):
    ug = city.layers["underground"].set_index("space_id")
    ent = city.layers["entrances"]
    assert ent.entrance_id.is_unique
    poly = ug.geometry.reindex(ent.space_id)
    dist = shapely.distance(ent.geometry.to_numpy(), poly.to_numpy())
    assert (dist <= 0.01).all()
    kinds = ug.kind.reindex(ent.space_id).to_numpy()
    parks = ent.sill_height.to_numpy()[kinds == "car_park"]
    assert len(parks) >= 2 and ((parks >= 0.15) & (parks <= 0.30)).all()
    assert set(ug.kind) >= {"car_park", "metro_station", "underpass"}


def test_underpass_sits_deep_on_a_street_sag(city):
    ug = city.layers["underground"]
    ent = city.layers["entrances"]
    under = ug[ug.kind == "underpass"].iloc[0]
    doors = ent[ent.space_id == under.space_id]
    assert len(doors) == 2
    assert (doors.sill_height == 0).all()
    assert (doors.width == SETTINGS.carriageway_width).all()
    # the sag: the lowest carriageway cell along the underpass is lower than both ends
    x = under.geometry.centroid.x
    y0, y1 = under.geometry.bounds[1], under.geometry.bounds[3]
    ys = city.dem.cell_centres()[1]
    ys = ys[(ys >= y0) & (ys <= y1)][::-1]                   # cells under the underpass
    road = city.dem.sample(np.full_like(ys, x), ys)
    sag = road.min()
    assert sag < road[0] - 0.2 and sag < road[-1] - 0.2
    assert 5.0 - 1e-3 <= sag - under.floor_elev <= 6.0 + 1e-3
    ws = city.weak_spots[city.weak_spots.kind == "underpass"]
    assert under.space_id in set(ws.feature_id)
    # water gathers there: the sag is a closed low point of the street
    assert ws.geometry.iat[0].distance(under.geometry) <= 0.01


def test_spaces_lie_below_ground(city):
    ug = city.layers["underground"]
    xs, ys = city.dem.cell_centres()
    gx, gy = np.meshgrid(xs, ys)
    for _, sp in ug.iterrows():
        inside = shapely.contains_xy(sp.geometry, gx, gy)
        assert sp.floor_elev < city.dem.values[inside].min() - 3.0, sp.space_id
        assert sp.critical_elev >= sp.floor_elev
        assert sp.floor_area == pytest.approx(sp.geometry.area)


def test_facilities(city):
    f = city.layers["facilities"]
    assert {"substation", "hospital"} <= set(f.kind)
    ground = city.dem.sample(f.geometry.x.to_numpy(), f.geometry.y.to_numpy())
    assert ((f.equipment_elev - ground) > 0).all()


# ---- depressions and observed points ---------------------------------------------------

def test_depressions_hold_water_and_have_no_manhole(city):
    dem = city.dem
    nodes = city.layers["nodes"]
    ws = city.weak_spots[city.weak_spots.kind == "depression_no_inlet"]
    assert len(ws) >= 2
    node_rc = set(zip(*(a.tolist() for a in dem.index(nodes.geometry.x.to_numpy(),
                                                      nodes.geometry.y.to_numpy()))))
    pad = 30                                                 # 150 m window
    for _, spot in ws.iterrows():
        assert spot.feature_id == ""
        assert 0.5 <= spot.depth <= 2.0
        r, c = (int(v) for v in dem.index(spot.geometry.x, spot.geometry.y))
        r0, c0 = max(r - pad, 0), max(c - pad, 0)
        win = dem.values[r0:r + pad + 1, c0:c + pad + 1].astype(np.float64)
        pr, pc = r - r0, c - c0
        level = win[pr, pc] + spot.depth - 1e-3
        labels, _ = ndimage.label(win < level)
        region = labels == labels[pr, pc]
        # closed: the water body does not reach the window's edge
        assert not (region[0].any() or region[-1].any() or region[:, 0].any()
                    or region[:, -1].any())
        assert region.sum() * dem.cell_area == pytest.approx(spot.area, rel=0.2)
        rows, cols = np.nonzero(region)
        cells = set(zip((rows + r0).tolist(), (cols + c0).tolist()))
        assert not cells & node_rc
        # and raising the level a little more lets it spill
        labels, _ = ndimage.label(win < win[pr, pc] + spot.depth + 0.05)
        spill = labels == labels[pr, pc]
        assert spill[0].any() or spill[-1].any() or spill[:, 0].any() or spill[:, -1].any() \
            or spill.sum() > 1.2 * region.sum()


def test_observed_points_mark_weak_spots(city):
    obs = city.layers["observed"]
    assert len(obs) >= 3 and obs.point_id.is_unique
    assert (obs.depth > 0).all()
    weak = city.weak_spots.geometry.to_numpy()
    for g in obs.geometry:
        assert shapely.distance(g, weak).min() < 1.0


def test_committed_demo_data_regenerates_byte_for_byte(tmp_path):
    """data/demo/ is what `make data` (seed 7, 2000 × 1500 m, 5 m) writes, to the byte."""
    from pathlib import Path

    demo = Path(__file__).resolve().parents[1] / "data" / "demo"
    written = write_city(generate_city(seed=7, width=2000.0, height=1500.0, cell_size=5.0),
                         tmp_path)
    for path in written.values():
        assert path.read_bytes() == (demo / path.name).read_bytes(), (
            f"data/demo/{path.name} differs from a fresh generation: run `make data`")
    total = sum((demo / p.name).stat().st_size for p in written.values())
    assert total < 5 * 1024 * 1024


def test_districts_hold_whole_drainage_systems(city):
    """The districts tile the city; every node lies in exactly one, with every node it
    drains to or from (no pipe or pump crosses a district's edge)."""
    d = city.districts
    assert len(d) >= 1 and d["district_id"].is_unique
    x0, y0, x1, y1 = city.dem.bounds
    assert d.union_all().area == pytest.approx((x1 - x0) * (y1 - y0))
    assert d.area.sum() == pytest.approx((x1 - x0) * (y1 - y0))
    nodes = city.layers["nodes"]
    inside = {n: [k for k, g in zip(d["district_id"], d.geometry) if g.contains(p)]
              for n, p in zip(nodes["node_id"], nodes.geometry)}
    assert all(len(v) == 1 for v in inside.values())
    links = pd.concat([city.layers["conduits"][["from_node", "to_node"]],
                       city.layers["pumps"][["from_node", "to_node"]]])
    assert all(inside[a] == inside[b] for a, b in zip(links["from_node"], links["to_node"]))
    # each district names the outfalls of its systems
    outs = {o for s in d["outfalls"] for o in s.split(",") if o}
    assert outs == {n for n in nodes["node_id"] if n.startswith("OF")}
