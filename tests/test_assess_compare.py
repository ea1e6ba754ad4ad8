"""What changed between two assessments, on areas and entrances laid out by hand."""

from __future__ import annotations

import math

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from floodrisk.assess.compare import (
    CompareSettings,
    change_counts,
    compare_entrances,
    compare_points,
)
from floodrisk.errors import ConfigError, InputError

CRS = "EPSG:4547"


def areas(*rows):
    return gpd.GeoDataFrame([{"point_id": p, "max_depth": d, "volume": v} for p, _, d, v in rows],
                            geometry=[g for _, g, _, _ in rows], crs=CRS)


def test_points_matched_by_location():
    # last season: A, B, C, D; this season: A2 overlaps A and is 0.06 m deeper (worsened,
    # ≥ 0.05 m); B2 lies 20 m east of B (within 50 m), 0.02 m shallower and 2.5 % more
    # volume (unchanged); D2 on D, 0.10 m shallower (improved); E2 far from all (new);
    # C has nothing within 50 m now (resolved).
    prev = areas(("A", box(0, 0, 10, 10), 0.30, 10.0), ("B", box(100, 0, 110, 10), 0.50, 20.0),
                 ("C", box(300, 0, 310, 10), 0.20, 5.0), ("D", box(500, 0, 510, 10), 0.40, 8.0))
    cur = areas(("A2", box(5, 0, 15, 10), 0.36, 10.0), ("B2", box(130, 0, 140, 10), 0.48, 20.5),
                ("D2", box(500, 0, 510, 10), 0.30, 8.0), ("E2", box(800, 0, 810, 10), 0.25, 3.0))
    t = compare_points(cur, prev).set_index("point_id")
    assert t.loc["A2", "status"] == "worsened" and t.loc["A2", "previous_id"] == "A"
    assert t.loc["A2", "depth_change"] == pytest.approx(0.06) and t.loc["A2", "distance"] == 0
    assert t.loc["B2", "status"] == "unchanged" and t.loc["B2", "distance"] == pytest.approx(20)
    assert t.loc["D2", "status"] == "improved"
    assert t.loc["E2", "status"] == "new" and t.loc["E2", "previous_id"] == ""
    gone = t.loc[""]
    assert gone["status"] == "resolved" and gone["previous_id"] == "C"
    assert change_counts(t) == {"new": 1, "worsened": 1, "improved": 1, "resolved": 1,
                                "unchanged": 1}
    # with a 15 m radius B2 (20 m off) no longer matches B: B2 is new and B resolved
    t = compare_points(cur, prev, CompareSettings(radius=15.0)).set_index("point_id")
    assert t.loc["B2", "status"] == "new"                  # 20 m > 15 m
    assert (t["status"] == "resolved").sum() == 2          # B and C
    # volume alone makes a change: 30 % more at the same depth
    more = areas(("A3", box(0, 0, 10, 10), 0.30, 13.0))
    assert compare_points(more, prev.iloc[:1])["status"].tolist() == ["worsened"]
    less = areas(("A3", box(0, 0, 10, 10), 0.30, 7.4))     # −26 %
    assert compare_points(less, prev.iloc[:1])["status"].tolist() == ["improved"]


def test_points_overlapping_two_previous_match_the_nearer_one():
    prev = areas(("P1", box(0, 0, 10, 10), 0.2, 1.0), ("P2", box(12, 0, 22, 10), 0.2, 1.0))
    cur = areas(("Q", box(8, 0, 14, 10), 0.2, 1.0))        # overlaps both
    t = compare_points(cur, prev)
    assert list(t["status"]) == ["unchanged"] and t["previous_id"].iat[0] in ("P1", "P2")
    assert not (t["status"] == "resolved").any()            # merged, not gone


def test_entrances_by_class_and_inflow():
    cols = ["entrance_id", "space_id", "class", "inflow_volume"]
    prev = pd.DataFrame([("E1", "S1", "safe", 0.0), ("E2", "S1", "at risk", 0.0),
                         ("E3", "S2", "flooded", 100.0), ("E4", "S2", "flooded", 40.0),
                         ("E5", "S3", "safe", 0.0), ("E7", "S4", "flooded", 100.0)], columns=cols)
    cur = pd.DataFrame([("E1", "S1", "flooded", 12.0), ("E2", "S1", "flooded", 3.0),
                        ("E3", "S2", "flooded", 50.0), ("E4", "S2", "safe", 0.0),
                        ("E5", "S3", "safe", 0.0), ("E6", "S3", "at risk", 0.0),
                        ("E7", "S4", "flooded", 110.0)], columns=cols)
    t = compare_entrances(cur, prev).set_index("entrance_id")
    assert t["status"].to_dict() == {"E1": "new", "E2": "worsened", "E3": "improved",
                                     "E4": "resolved", "E6": "new", "E7": "unchanged"}
    assert t.loc["E6", "previous_class"] == "" and t.loc["E4", "class"] == "safe"
    assert t.loc["E3", "previous_inflow_volume"] == 100.0
    # an entrance gone from the table (a closed entrance) that was flooded is resolved
    t = compare_entrances(cur[cur.entrance_id != "E7"], prev).set_index("entrance_id")
    assert t.loc["E7", "status"] == "resolved" and math.isclose(t.loc["E7", "inflow_volume"], 0)


def test_bad_input():
    with pytest.raises(ConfigError) as e:
        CompareSettings(radius=-1)
    assert e.value.field == "radius"
    with pytest.raises(InputError) as e:
        compare_points(areas(("A", box(0, 0, 1, 1), 0.2, 1.0)).drop(columns="volume"),
                       areas(("B", box(0, 0, 1, 1), 0.2, 1.0)))
    assert e.value.field == "volume"
    other = areas(("B", box(0, 0, 1, 1), 0.2, 1.0)).set_crs("EPSG:32650", allow_override=True)
    with pytest.raises(InputError, match="different CRS"):
        compare_points(areas(("A", box(0, 0, 1, 1), 0.2, 1.0)), other)
