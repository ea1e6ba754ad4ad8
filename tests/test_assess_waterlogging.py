"""Waterlogging points: areas, volumes, timing, manholes, causes and observed points, on
grids small enough to work out by hand."""

from __future__ import annotations

import math
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from affine import Affine
from shapely.geometry import Point

from floodrisk.assess.waterlogging import (
    WaterloggingSettings,
    compare_observed,
    find_waterlogging,
)
from floodrisk.errors import InputError
from floodrisk.grid import Grid

CRS = "EPSG:4547"
X0, Y0, CELL = 500000.0, 3000000.0, 5.0        # top-left corner; 5 m cells (25 m²)


def grid(rows: int = 10, cols: int = 10) -> Grid:
    return Grid(np.zeros((rows, cols)), Affine(CELL, 0, X0, 0, -CELL, Y0), CRS)


def centre(r: int, c: int) -> Point:
    return Point(X0 + CELL * (c + 0.5), Y0 - CELL * (r + 0.5))


def nodes(**where: tuple[float, float]) -> SimpleNamespace:
    ids = list(where)
    return SimpleNamespace(nodes=gpd.GeoDataFrame(
        {"node_id": ids, "kind": ["junction"] * len(ids)},
        geometry=[Point(*xy) for xy in where.values()], crs=CRS))


def test_a_two_cell_pond_is_one_point_with_its_area_and_volume():
    """Cells (2, 2) 0.30 m and (2, 3) 0.20 m: one area of 2 × 25 = 50 m², envelope
    volume (0.30 + 0.20) × 25 = 12.5 m³, mean depth 0.25 m. A lone 0.5 m cell at (7, 7)
    (25 m²) is below the 50 m² minimum; 0.15 m exactly is not above the threshold."""
    g = grid()
    d = np.zeros(g.shape)
    d[2, 2], d[2, 3] = 0.30, 0.20
    d[7, 7] = 0.5
    d[5, 0] = 0.15
    over = np.zeros(g.shape)
    over[2, 2], over[2, 3] = 900.0, 600.0
    first = np.full(g.shape, np.nan)
    first[2, 2], first[2, 3] = 1200.0, 1500.0
    tmax = np.zeros(g.shape)
    tmax[2, 2], tmax[2, 3] = 2400.0, 2100.0
    w = find_waterlogging(g, d, duration_over=over, first_time_over=first,
                          time_of_max_depth=tmax, settings=WaterloggingSettings(min_area=50))
    assert len(w.points) == 1
    p = w.points.iloc[0]
    assert p.area == pytest.approx(50.0, rel=1e-12)
    assert p.volume == pytest.approx(12.5, rel=1e-12)
    assert p.mean_depth == pytest.approx(0.25, rel=1e-12)
    assert p.max_depth == pytest.approx(0.30)
    assert p.duration_over == 900.0 and p.first_time_over == 1200.0
    assert p.time_of_peak == 2400.0                       # at the deepest cell
    assert p.geometry.equals(centre(2, 2))
    assert w.polygons.geometry.iloc[0].area == pytest.approx(50.0, rel=1e-12)
    assert p.point_id == "WL01" and p["rank"] == 1
    assert (w.labels > 0).sum() == 2
    # with a 25 m² minimum the lone cell counts too, ranked below by volume (12.5 m³ > 12.5?
    # no: 0.5 × 25 = 12.5 m³ ties; the deeper one ranks first)
    w = find_waterlogging(g, d, settings=WaterloggingSettings(min_area=25))
    assert len(w.points) == 2
    assert list(w.points["max_depth"]) == [0.5, 0.3]
    assert list(w.points["volume"]) == pytest.approx([12.5, 12.5])
    assert math.isnan(w.points["first_time_over"].iloc[0])    # grid not given


def test_excluded_cells_are_not_waterlogging():
    """A 3-cell river with a 2-cell pond on its bank: excluding the river leaves the pond
    alone (50 m², 0.25 m × 2 × 25 = 12.5 m³), not one 125 m² area."""
    g = grid()
    d = np.zeros(g.shape)
    d[4, 2:5] = 1.0                                   # river cells
    d[3, 3:5] = 0.25                                  # the pond touching it
    river = np.zeros(g.shape, dtype=bool)
    river[4, 2:5] = True
    assert find_waterlogging(g, d).points.iloc[0].area == 125.0
    w = find_waterlogging(g, d, exclude=river, settings=WaterloggingSettings(min_area=50))
    assert len(w.points) == 1
    assert w.points.iloc[0].area == 50.0 and w.points.iloc[0].volume == pytest.approx(12.5)


def test_diagonal_cells_join_and_min_duration_filters():
    g = grid()
    d = np.zeros(g.shape)
    d[1, 1] = d[2, 2] = d[3, 3] = 0.4                   # a diagonal line: one area (8-neighbour)
    over = np.zeros(g.shape)
    over[1, 1], over[2, 2], over[3, 3] = 100.0, 1900.0, 50.0
    w = find_waterlogging(g, d, duration_over=over, settings=WaterloggingSettings(min_area=75))
    assert len(w.points) == 1 and w.points.iloc[0].area == 75.0
    assert w.points.iloc[0].duration_over == 1900.0
    w = find_waterlogging(g, d, duration_over=over,
                          settings=WaterloggingSettings(min_area=75, min_duration=1800))
    assert len(w.points) == 1
    w = find_waterlogging(g, d, duration_over=over,
                          settings=WaterloggingSettings(min_area=75, min_duration=2000))
    assert len(w.points) == 0 and list(w.points.columns)[:3] == ["point_id", "label",
                                                                  "max_depth"]


def four_ponds() -> tuple[Grid, np.ndarray, np.ndarray]:
    """Four 2-cell ponds 20 cells apart on a 10 × 80 grid, each still 0.2 m deep at the end."""
    g = grid(10, 80)
    d = np.zeros(g.shape)
    for c in (5, 25, 45, 65):
        d[5, c:c + 2] = 0.4
    return g, d, d * 0.5


def pond(p) -> int:
    """The first column of the pond a point lies in (5, 25, 45 or 65)."""
    return int((p.geometry.x - X0) // 100) * 20 + 5


def test_cause_labels_and_their_evidence():
    """Pond A: its manhole (on the pond) spilled 30 m³ → surcharge. Pond B: the nearest
    manhole is 40 m away (beyond the 5 m inlet radius) and water stays → no_inlet. Pond C:
    its manhole is the upstream end of a pipe carrying a 0.4-year storm against a 3-year
    design → pipe_capacity. Pond D: its manhole neither spilled nor sits on a weak pipe →
    overland."""
    g, d, final = four_ponds()
    a, b, c, e = centre(5, 5), centre(5, 25), centre(5, 45), centre(5, 65)
    net = nodes(MA=(a.x, a.y), MB=(b.x, b.y + 40.0), MC=(c.x, c.y), MD=(e.x, e.y),
                MX=(c.x + 500.0, c.y))
    spill = pd.Series({"MA": 30.0, "MC": 0.5, "MD": 0.0})      # MC's 0.5 m³ is below 1 m³
    pipes = pd.DataFrame({"link_id": ["P1", "P2"], "from_node": ["MC", "MD"],
                          "to_node": ["MX", "MX"], "capacity_return_period": [0.4, 5.0]})
    w = find_waterlogging(g, d, final_depth=final, network=net, node_spill=spill, pipes=pipes,
                          design_return_period=3.0, settings=WaterloggingSettings(min_area=50))
    by_col = {pond(p): p for p in w.points.itertuples()}
    assert by_col[5].cause == "surcharge" and "MA spilled 30 m³" in by_col[5].evidence
    assert by_col[5].manholes_overflowed == "MA"
    assert by_col[25].cause == "no_inlet" and "0.20 m still standing" in by_col[25].evidence
    assert by_col[25].manholes == "MB"
    assert by_col[45].cause == "pipe_capacity" and "P1 carries a 0.40-year" in by_col[45].evidence
    assert by_col[45].manholes_overflowed == ""
    assert by_col[65].cause == "overland"
    # B's water drained away by the end: not a depression, overland
    w = find_waterlogging(g, d, final_depth=np.zeros(g.shape), network=net, node_spill=spill,
                          settings=WaterloggingSettings(min_area=50))
    assert {p.cause for p in w.points.itertuples() if pond(p) == 25} == {"overland"}


def test_no_inlet_is_judged_where_the_water_stood_at_the_end():
    """A street pond of 8 cells (row 5, cols 1-8, 5 m cells) at its peak; a manhole 3 m
    beyond its east end (col 8's square is within the 5 m inlet radius). At the end water
    stands 0.3 m only in cols 1-2, 30 m from the manhole: no inlet drains what is left
    (no_inlet over 2 × 25 = 50 m²). If it stands instead in cols 7-8, by the manhole, the
    pond is drained: overland."""
    g = grid()
    d = np.zeros(g.shape)
    d[5, 1:9] = 0.4
    east = centre(5, 8)
    net = nodes(M1=(east.x + CELL / 2 + 3.0, east.y))
    west_end, east_end = np.zeros(g.shape), np.zeros(g.shape)
    west_end[5, 1:3] = 0.3
    east_end[5, 7:9] = 0.3
    w = find_waterlogging(g, d, final_depth=west_end, network=net,
                          settings=WaterloggingSettings(min_area=50))
    p = w.points.iloc[0]
    assert p.cause == "no_inlet" and p.manholes == "M1"
    assert p.evidence == ("0.30 m still standing at the end over 50 m² with no manhole or "
                          "inlet within 5 m")
    w = find_waterlogging(g, d, final_depth=east_end, network=net,
                          settings=WaterloggingSettings(min_area=50))
    assert w.points.iloc[0].cause == "overland"
    # 6 m beyond the east end the manhole drains neither: no_inlet again
    far = nodes(M1=(east.x + CELL / 2 + 6.0, east.y))
    w = find_waterlogging(g, d, final_depth=east_end, network=far,
                          settings=WaterloggingSettings(min_area=50))
    assert w.points.iloc[0].cause == "no_inlet"


def test_observed_points_hits_misses_and_false_alarms():
    """Four ponds; observed points 30 m from pond A (hit within 50 m), 45 m from pond B
    (hit), 200 m from everything (miss): 2 of 3 hit, ponds C and D are false alarms."""
    g, d, _ = four_ponds()
    w = find_waterlogging(g, d, settings=WaterloggingSettings(min_area=50))
    a, b = centre(5, 5), centre(5, 25)
    # pond outlines: rows 5 (y from Y0-30 to Y0-25); a point 30 m above A's top edge
    obs = gpd.GeoDataFrame({"point_id": ["O1", "O2", "O3"]},
                           geometry=[Point(a.x, Y0 - 25.0 + 30.0), Point(b.x, Y0 - 25.0 + 45.0),
                                     Point(X0 + 200.0, Y0 + 200.0)], crs=CRS)
    table, summary = compare_observed(w, obs)
    assert list(table["hit"]) == [True, True, False]
    assert table["distance"].iloc[0] == pytest.approx(30.0)
    assert summary["hits"] == 2 and summary["misses"] == 1
    assert summary["hit_rate"] == pytest.approx(2 / 3)
    assert summary["false_alarms"] == 2
    table, summary = compare_observed(w, obs, radius=40.0)        # O2 at 45 m misses
    assert summary["hits"] == 1 and summary["false_alarms"] == 3


def test_bad_settings_and_shapes():
    with pytest.raises(InputError) as e:
        WaterloggingSettings(threshold=-0.1)
    assert e.value.field == "threshold"
    with pytest.raises(InputError) as e:
        find_waterlogging(grid(), np.zeros((3, 3)))
    assert e.value.field == "max_depth"


def test_the_road_a_point_sits_on():
    """Ponds A-D (cols 5, 25, 45, 65) on row 5 (y from Y0-30 to Y0-25 m). 纬一路 runs
    east-west 10 m north of their top edge (y = Y0 - 15) from x = X0 to X0 + 250: within the
    15 m radius of A, B and C (C's east edge at X0 + 235); 经二路 runs north-south through
    B (x = X0 + 130): B sits on 经二路 (distance 0). 远路 passes 16 m north of D (y = Y0 - 9):
    too far, D sits on no road; an unnamed road 5 m north of D gives its id."""
    from shapely.geometry import LineString

    g, d, _ = four_ponds()
    roads = gpd.GeoDataFrame(
        {"road_id": ["R1", "R2", "R3"], "name": ["纬一路", "经二路", "远路"]},
        geometry=[LineString([(X0, Y0 - 15), (X0 + 250, Y0 - 15)]),
                  LineString([(X0 + 130, Y0), (X0 + 130, Y0 - 50)]),
                  LineString([(X0 + 300, Y0 - 9), (X0 + 400, Y0 - 9)])], crs=CRS)
    w = find_waterlogging(g, d, roads=roads, settings=WaterloggingSettings(min_area=50))
    got = {pond(p): p.road for p in w.points.itertuples()}
    assert got == {5: "纬一路", 25: "经二路", 45: "纬一路", 65: ""}
    roads.loc[3] = ["R4", None, LineString([(X0 + 300, Y0 - 20), (X0 + 400, Y0 - 20)])]
    w = find_waterlogging(g, d, roads=roads, settings=WaterloggingSettings(min_area=50))
    assert {pond(p): p.road for p in w.points.itertuples()}[65] == "R4"
    w = find_waterlogging(g, d, settings=WaterloggingSettings(min_area=50))
    assert list(w.points["road"]) == [""] * 4      # no road layer
