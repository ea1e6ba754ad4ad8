"""Underground spaces: weir inflow over entrance sills, filling, classes — numbers by hand.

Cd = 1.70 m^0.5/s throughout (the default). For a head h linear between samples,
∫h^1.5 dt over a segment with heads h0, h1 ≥ 0 is Δt·(h1^2.5 − h0^2.5)/(2.5·(h1 − h0)).
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from floodrisk.assess.underground import (
    UNDERGROUND_CLASSES,
    UndergroundSettings,
    assess_underground,
    weir_volume,
)
from floodrisk.errors import ConfigError, InputError

CD = 1.70
CRS = "EPSG:4547"


def space(**columns) -> dict:
    """One underground space row: space_id, kind, floor_elev (m), floor_area (m²) and
    optionally critical_elev (m), volume (m³), name."""
    return columns


def spaces(*rows: dict) -> gpd.GeoDataFrame:
    """Underground spaces; each row a dict with space_id, kind, floor_elev, floor_area and
    optionally critical_elev, volume, name."""
    base = {"name": None, "critical_elev": np.nan, "volume": np.nan}
    recs = [{**base, **r} for r in rows]
    geoms = [box(500000 + 100 * i, 2500000, 500050 + 100 * i, 2500050) for i in range(len(recs))]
    return gpd.GeoDataFrame(recs, geometry=geoms, crs=CRS)


def entrances(*rows: tuple) -> gpd.GeoDataFrame:
    """Entrances from (entrance_id, space_id, sill_height m, width m)."""
    recs = [{"entrance_id": e, "space_id": s, "sill_height": h, "width": b}
            for e, s, h, b in rows]
    geoms = [Point(500000 + 10 * i, 2500000) for i in range(len(recs))]
    return gpd.GeoDataFrame(recs, geometry=geoms, crs=CRS)


def probes(times, **depths) -> pd.DataFrame:
    """A surface run's probe table: entrance=depth series (m); speed 0."""
    times = np.asarray(times, dtype=float)
    cols = pd.MultiIndex.from_product([list(depths), ["depth", "velocity"]],
                                      names=["probe", "variable"])
    data = np.zeros((times.size, 2 * len(depths)))
    for j, d in enumerate(depths.values()):
        data[:, 2 * j] = np.broadcast_to(np.asarray(d, dtype=float), times.shape)
    return pd.DataFrame(data, index=pd.Index(times, name="time"), columns=cols)


T30 = np.arange(0.0, 601.0, 30.0)   # 0, 30, ..., 600 s (the 30 s output interval)


# ---- weir_volume -------------------------------------------------------------------------
def test_constant_head_for_ten_minutes():
    # h = 0.2 m over a b = 5 m sill for 600 s:
    # V = 1.70 * 5 * 0.2^1.5 * 600 = 8.5 * 0.0894427 * 600 = 456.158 m³
    v, first = weir_volume(T30, np.full(T30.size, 0.2), 5.0)
    assert v[-1] == pytest.approx(CD * 5 * 0.2**1.5 * 600, rel=1e-12)
    assert v[-1] == pytest.approx(456.158, abs=1e-3)
    # linear in time: 1/20 of it at each 30 s sample
    assert v == pytest.approx(CD * 5 * 0.2**1.5 * T30, rel=1e-12)
    assert first == 0.0


def test_linear_ramp_is_integrated_exactly():
    # h = a t, a = 0.001 m/s, 0 → 0.3 m over T = 300 s, b = 5 m:
    # V(t) = cd b ∫ (a t)^1.5 dt = cd b a^1.5 t^2.5 / 2.5
    # V(300) = 1.70 * 5 * 0.001^1.5 * 300^2.5 / 2.5 = 8.5 * 3.16228e-5 * 1558846 / 2.5
    #        = 167.603 m³
    # The trapezoid rule on the 30 s samples would give 168.09 m³ (0.3 % more): the test
    # asserts every sample to 1e-12, which only the exact segment integral meets.
    a, b = 0.001, 5.0
    t = np.arange(0.0, 301.0, 30.0)
    v, first = weir_volume(t, a * t, b)
    assert v == pytest.approx(CD * b * a**1.5 * t**2.5 / 2.5, rel=1e-12, abs=1e-12)
    assert v[-1] == pytest.approx(167.603, abs=1e-3)
    assert first == 0.0


def test_head_crossing_the_sill_mid_segment():
    # heads -0.1, 0.2, 0.2 m at 0, 60, 120 s; b = 2 m.
    # The head crosses 0 at t = 60 * 0.1 / 0.3 = 20 s (first inflow time).
    # 20-60 s: ramp 0 → 0.2 over 40 s: ∫ = 40 * 0.2^1.5 / 2.5 = 1.431084
    #          V1 = 1.70 * 2 * 1.431084 = 4.865684 m³
    # 60-120 s: constant 0.2: V = 1.70 * 2 * 0.2^1.5 * 60 = 18.246314 m³ → 23.111998 m³
    v, first = weir_volume([0.0, 60.0, 120.0], [-0.1, 0.2, 0.2], 2.0)
    assert first == pytest.approx(20.0, abs=1e-9)
    assert v[1] == pytest.approx(4.865684, abs=1e-6)
    assert v[2] == pytest.approx(4.865684 + 18.246314, abs=1e-6)


def test_falling_head_stops_at_the_crossing_and_equal_heads():
    # 0.3 → -0.3 m over 60 s: wet for 30 s, ramp 0.3 → 0 there:
    # ∫ = 30 * 0.3^1.5 / 2.5 = 1.971801; b = 1: V = 1.70 * 1.971801 = 3.352062 m³.
    # Then dry (-0.3 → -0.1): nothing more. First inflow at t = 0 (head > 0 there).
    v, first = weir_volume([0.0, 60.0, 90.0], [0.3, -0.3, -0.1], 1.0)
    assert v[1] == pytest.approx(CD * 30 * 0.3**1.5 / 2.5, rel=1e-12)
    assert v[2] == v[1]
    assert first == 0.0
    # equal heads (the quotient's 0/0 case) and nearly equal ones (cancellation):
    # both Δt h^1.5 = 10 * 0.2^1.5 * 1.70 = 1.520526 m³
    for h1 in (0.2, 0.2 + 1e-13):
        v, _ = weir_volume([0.0, 10.0], [0.2, h1], 1.0)
        assert v[1] == pytest.approx(CD * 10 * 0.2**1.5, rel=1e-11)


def test_weir_volume_never_wet_and_several_openings():
    v, first = weir_volume([0.0, 30.0], [-0.2, 0.0], 3.0)
    assert math.isnan(first) and v.tolist() == [0.0, 0.0]
    # two openings at once: columns as one-opening calls
    t = [0.0, 60.0, 120.0]
    h = np.array([[-0.1, 0.0], [0.2, 0.1], [0.2, 0.1]])
    v2, f2 = weir_volume(t, h, [2.0, 4.0])
    assert v2[:, 0] == pytest.approx(weir_volume(t, h[:, 0], 2.0)[0], rel=1e-12)
    # column 2: 0 → 0.1 over 60 s then 0.1 for 60 s, b = 4:
    # 1.70 * 4 * (60 * 0.1^1.5 / 2.5 + 60 * 0.1^1.5) = 6.8 * 0.0316228 * 84 = 18.06293 m³
    assert v2[-1, 1] == pytest.approx(18.06293, abs=1e-5)
    assert f2 == pytest.approx([20.0, 0.0], abs=1e-9)


def test_weir_volume_rejects_bad_input():
    with pytest.raises(InputError) as e:
        weir_volume([0.0, 30.0, 30.0], [0.1, 0.1, 0.1], 1.0)
    assert e.value.field == "times"
    with pytest.raises(InputError) as e:
        weir_volume([0.0, 30.0], [0.1, 0.1, 0.1], 1.0)
    assert e.value.field == "depth_over_sill"
    with pytest.raises(InputError) as e:
        weir_volume([0.0, 30.0], [0.1, 0.1], -1.0)
    assert e.value.field == "width"


# ---- settings ----------------------------------------------------------------------------
def test_settings_defaults_and_validation():
    s = UndergroundSettings()
    assert s.inflow_head == 0.01
    assert (s.weir_coefficient, s.closure_depth, s.freeboard, s.flooded_depth) == \
        (1.70, 0.30, 0.10, 0.05)
    # (2/3)^1.5 √g = 0.544331 * 3.131549 = 1.70458: the default is its rounded value
    assert s.weir_coefficient == pytest.approx((2 / 3) ** 1.5 * math.sqrt(9.81), abs=0.005)
    for field, bad in (("weir_coefficient", 0.0), ("closure_depth", -0.3),
                       ("freeboard", -0.1), ("flooded_depth", float("nan"))):
        with pytest.raises(InputError) as e:
            UndergroundSettings(**{field: bad})
        assert isinstance(e.value, ConfigError) and e.value.field == field
    UndergroundSettings(freeboard=0.0)       # no freeboard is allowed


# ---- assess_underground -----------------------------------------------------------------
def test_fill_depth_and_exact_time_to_the_critical_level():
    # Car park K1: floor 10.0 m, floor area 100 m², power room at 10.5 m.
    # Entrance K1-E1: sill 0.15 m, b = 5 m; outside depth 0.15 + 0.001 t (head a t,
    # a = 0.001 m/s) for 300 s.
    # V(t) = K t^2.5, K = 1.70 * 5 * 0.001^1.5 / 2.5 = 1.075174e-4 m³/s^2.5
    # V(300) = 167.603 m³ → fill 1.67603 m, level 11.67603 m.
    # Critical level: 0.5 m * 100 m² = 50 m³ → t = (50 / K)^0.4 = 465040.8^0.4 = 184.925 s,
    # inside the 180-210 s sample interval; linear interpolation of V there would give
    # 184.455 s: the exact root is asserted to 1e-6 s.
    t = np.arange(0.0, 301.0, 30.0)
    a = assess_underground(
        spaces(space(space_id="K1", kind="car_park", floor_elev=10.0, floor_area=100.0,
                    critical_elev=10.5)),
        entrances(("K1-E1", "K1", 0.15, 5.0)),
        probes(t, **{"K1-E1": 0.15 + 0.001 * t}))
    K = CD * 5 * 0.001**1.5 / 2.5
    sp = a.spaces.set_index("space_id").loc["K1"]
    assert sp["inflow_volume"] == pytest.approx(K * 300**2.5, rel=1e-12)
    assert sp["fill_depth"] == pytest.approx(1.67603, abs=1e-5)
    assert sp["water_level"] == pytest.approx(11.67603, abs=1e-5)
    assert sp["time_critical"] == pytest.approx((50 / K) ** 0.4, abs=1e-6)
    assert sp["time_critical"] == pytest.approx(184.925, abs=0.001)
    assert sp["time_flooded"] == sp["time_critical"]
    assert sp["class"] == "flooded"
    assert math.isnan(sp["sag_depth"]) and math.isnan(sp["time_closure"])
    # inflow counts from a 0.01 m head (inflow_head): 0.001 t = 0.01 at t = 10 s
    assert sp["first_inflow_time"] == pytest.approx(10.0) and sp["lead_time"] == sp["first_inflow_time"]
    ent = a.entrances.set_index("entrance_id").loc["K1-E1"]
    # peak head 0.3 m: Q = 1.70 * 5 * 0.3^1.5 = 1.396693 m³/s
    assert ent["max_head_over_sill"] == pytest.approx(0.3, abs=1e-12)
    assert ent["peak_inflow"] == pytest.approx(1.396693, abs=1e-6)
    assert ent["class"] == "flooded"
    # the series is the cumulative inflow: K t^2.5 at every sample
    assert a.series["K1-E1"].to_numpy() == pytest.approx(K * t**2.5, rel=1e-12, abs=1e-12)
    assert isinstance(a.spaces, gpd.GeoDataFrame) and a.spaces.crs == CRS


def test_volume_caps_the_fill():
    # Same inflow (167.603 m³) into a space that holds 30 m³: fill 30/100 = 0.3 m, the
    # power room at 0.5 m above the floor is never reached; 137.603 m³ did not fit.
    t = np.arange(0.0, 301.0, 30.0)
    a = assess_underground(
        spaces(space(space_id="K1", kind="car_park", floor_elev=10.0, floor_area=100.0,
                    critical_elev=10.5, volume=30.0)),
        entrances(("K1-E1", "K1", 0.15, 5.0)),
        probes(t, **{"K1-E1": 0.15 + 0.001 * t}))
    sp = a.spaces.iloc[0]
    assert sp["fill_depth"] == pytest.approx(0.3, abs=1e-12)
    assert sp["water_level"] == pytest.approx(10.3, abs=1e-12)
    assert math.isnan(sp["time_critical"])
    assert sp["class"] == "at risk"
    assert "full: 138 m³ beyond its 30 m³ volume" in sp["note"]


def test_underpass_closure_time():
    # Underpass U1: sag at 5.0 m, pond area 200 m², closure at 0.3 m → 60 m³.
    # Two entrances with no sill (b = 7 m each ... one recorded dry all along).
    # U1-E1: depth 0 at t = 0, 0.1 m from t = 30 s on.
    #   0-30 s:  ramp 0 → 0.1: V = 1.70 * 7 * 30 * 0.1^1.5 / 2.5 = 4.515732 m³
    #   then Q = 1.70 * 7 * 0.1^1.5 = 0.3763110 m³/s: (60 − 4.515732)/0.3763110 = 147.4426 s
    #   → time_closure = 30 + 147.4426 = 177.4426 s.
    # At 600 s: V = 4.515732 + 0.3763110 * 570 = 219.0130 m³ → sag depth 1.095065 m.
    depth = np.where(T30 >= 30, 0.1, 0.0)
    a = assess_underground(
        spaces(space(space_id="U1", kind="underpass", floor_elev=5.0, floor_area=200.0)),
        entrances(("U1-E1", "U1", 0.0, 7.0), ("U1-E2", "U1", 0.0, 7.0)),
        probes(T30, **{"U1-E1": depth, "U1-E2": 0.0}))
    sp = a.spaces.iloc[0]
    assert sp["time_closure"] == pytest.approx(177.4426, abs=1e-4)
    assert sp["sag_depth"] == pytest.approx(1.095065, abs=1e-6)
    assert sp["fill_depth"] == sp["sag_depth"]
    assert sp["water_level"] == pytest.approx(6.095065, abs=1e-6)
    assert sp["time_flooded"] == sp["time_closure"]
    assert math.isnan(sp["time_critical"])     # no critical level given
    assert sp["class"] == "flooded"
    # first inflow: the head passes inflow_head 0.01 m at 3 s (0 → 0.1 m over 0-30 s)
    assert sp["first_inflow_time"] == pytest.approx(3.0)
    e = a.entrances.set_index("entrance_id")
    # the dry entrance without a sill is safe: no water outside at all
    assert e.loc["U1-E2", "class"] == "safe" and e.loc["U1-E2", "inflow_volume"] == 0.0
    assert math.isnan(e.loc["U1-E2", "first_inflow_time"])
    assert e.loc["U1-E1", "class"] == "flooded"
    # a deeper closure depth is reached later: 0.5 m → 100 m³:
    # 30 + (100 − 4.515732)/0.3763110 = 283.7376 s
    b = assess_underground(
        spaces(space(space_id="U1", kind="underpass", floor_elev=5.0, floor_area=200.0)),
        entrances(("U1-E1", "U1", 0.0, 7.0)), probes(T30, **{"U1-E1": depth}),
        UndergroundSettings(closure_depth=0.5))
    assert b.spaces["time_closure"].iloc[0] == pytest.approx(283.7376, abs=1e-4)


@pytest.mark.parametrize(("sill", "outside", "entrance_class", "space_class"), [
    (0.45, 0.35, "at risk", "at risk"),   # exactly sill − freeboard = 0.45 − 0.10 m
    (0.45, 0.34, "safe", "safe"),         # 1 cm short of it
    (0.45, 0.45, "at risk", "at risk"),   # level with the sill: head 0, nothing flows
    (0.45, 0.46, "flooded", "at risk"),   # 1 cm over: water flows, power room far above
    # exactly 0.28 − 0.10 = 0.18 m, though 0.28 - 0.10 is 0.18000000000000002 in floats
    (0.28, 0.18, "at risk", "at risk"),
    (0.28, 0.17, "safe", "safe"),
    (0.0, 0.0, "safe", "safe"),           # no sill, but no water outside either
])
def test_class_edges(sill, outside, entrance_class, space_class):
    # Metro station M1, freeboard 0.10 m; critical level 3 m above the floor
    # (300 m² → 900 m³, never reached by 1 cm over a 4 m sill: 1.7*4*0.01^1.5*600 = 4 m³).
    t = [0.0, 300.0, 600.0]
    a = assess_underground(
        spaces(space(space_id="M1", kind="metro_station", floor_elev=-12.0, floor_area=300.0,
                    critical_elev=-9.0)),
        entrances(("M1-E1", "M1", sill, 4.0)),
        probes(t, **{"M1-E1": [0.0, outside, 0.0]}))
    assert a.entrances["class"].iloc[0] == entrance_class
    assert a.spaces["class"].iloc[0] == space_class
    # at risk from when the water reached sill − freeboard on its 0 → outside ramp (300 s)
    at = a.entrances["time_at_risk"].iloc[0]
    if entrance_class == "safe":
        assert math.isnan(at)
    else:
        assert at == pytest.approx(300.0 * max(sill - 0.10, 0.0) / outside, abs=1e-5)
    assert a.entrances["max_outside_depth"].iloc[0] == outside
    assert set(a.spaces["class"]) <= set(UNDERGROUND_CLASSES)


def test_freeboard_setting_moves_the_edge():
    # With freeboard 0.20 m a 0.26 m depth at a 0.45 m sill is at risk (0.26 ≥ 0.25).
    t = [0.0, 60.0]
    args = (spaces(space(space_id="B1", kind="basement", floor_elev=0.0, floor_area=50.0,
                         critical_elev=2.0)),
            entrances(("B1-E1", "B1", 0.45, 1.5)), probes(t, **{"B1-E1": [0.26, 0.26]}))
    assert assess_underground(*args).entrances["class"].iloc[0] == "safe"
    wider = assess_underground(*args, settings=UndergroundSettings(freeboard=0.20))
    assert wider.entrances["class"].iloc[0] == "at risk"


def test_lead_time_evidence_and_space_totals():
    # Space M2 (metro, floor 0 m, 1000 m², critical 2 m) with three entrances:
    # M2-E3: sill 0.45 m, b = 4 m, outside 0.57 m (head 0.12 m) from 0 to 900 s, then
    #        0 at 930 s: the head falls 0.12 → −0.45 over 30 s, crossing at
    #        900 + 30 * 0.12 / 0.57 = 906.3158 s → over the sill 906.3 s ("15 min").
    #        V = 1.70*4*0.12^1.5*900 + 1.70*4*6.315789*0.12^1.5/2.5
    #          = 0.2826707*900 + 0.2826707*2.526316 = 254.40362 + 0.71412 = 255.11774 m³
    # M2-E1: sill 0.30 m, b = 2 m, depth 0 until 300 s, 0.40 m at 330 s, held:
    #        head crosses 0 at 300 + 30 * 0.30 / 0.40 = 322.5 s.
    # M2-E2: sill 0.45 m, outside 0.40 m at most → at risk, no inflow.
    # Lead time of M2 = earliest first inflow = 0 s (M2-E3 wet from the start).
    t = np.arange(0.0, 1201.0, 30.0)
    e3 = np.where(t <= 900, 0.57, 0.0)
    e1 = np.where(t >= 330, 0.40, 0.0)
    a = assess_underground(
        spaces(space(space_id="M2", kind="metro_station", floor_elev=0.0, floor_area=1000.0,
                    critical_elev=2.0, name="Station Road"),
               space(space_id="B9", kind="basement", floor_elev=0.0, floor_area=80.0,
                    critical_elev=1.0)),
        entrances(("M2-E1", "M2", 0.30, 2.0), ("M2-E2", "M2", 0.45, 2.0),
                  ("M2-E3", "M2", 0.45, 4.0)),
        probes(t, **{"M2-E1": e1, "M2-E2": np.minimum(e1, 0.40), "M2-E3": e3}))
    e = a.entrances.set_index("entrance_id")
    assert e.loc["M2-E3", "inflow_volume"] == pytest.approx(255.11774, abs=1e-5)
    assert e.loc["M2-E3", "time_over_sill"] == pytest.approx(906.3158, abs=1e-4)
    # ... but inflow counts from a 0.01 m head (inflow_head): 300 + 30 * 0.31 / 0.40 = 323.25 s
    assert e.loc["M2-E1", "first_inflow_time"] == pytest.approx(323.25, abs=1e-9)
    # M2-E1: 322.5-330 s ramp 0 → 0.1 over 7.5 s, then 0.1 m for 870 s:
    # 1.70*2*0.1^1.5*(7.5/2.5 + 870) = 0.10751744*873 = 93.86273 m³
    assert e.loc["M2-E1", "inflow_volume"] == pytest.approx(93.86273, abs=1e-5)
    assert e["class"].tolist() == ["flooded", "at risk", "flooded"]
    # time at risk: the outside water first within the 0.10 m freeboard of the sill's top
    # M2-E1 (0.30 m sill → 0.20 m): 300 + 30 * 0.20 / 0.40 = 315 s;
    # M2-E2 (0.45 m sill → 0.35 m): 300 + 30 * 0.35 / 0.40 = 326.25 s; M2-E3 from the start
    assert e["time_at_risk"].tolist() == pytest.approx([315.0, 326.25, 0.0], abs=1e-6)
    sp = a.spaces.set_index("space_id")
    assert sp.loc["M2", "time_at_risk"] == 0.0 and math.isnan(sp.loc["B9", "time_at_risk"])
    m2 = sp.loc["M2"]
    assert m2["inflow_volume"] == pytest.approx(255.11774 + 93.86273, abs=1e-4)
    assert m2["lead_time"] == 0.0 and m2["first_inflow_time"] == 0.0
    assert m2["name"] == "Station Road" and m2["n_entrances"] == 3
    assert m2["class"] == "at risk"     # 0.349 m inside, power room at 2 m
    # the entrance that let most in comes first, in the words of the brief
    assert m2["evidence"].startswith("M2-E3: 0.12 m over its 0.45 m sill for 15 min, 255 m³; "
                                     "M2-E1: 0.10 m over its 0.30 m sill for 15 min, 94 m³")
    # space without entrances
    b9 = sp.loc["B9"]
    assert b9["class"] == "safe" and b9["note"] == "no entrance" and b9["n_entrances"] == 0
    assert b9["inflow_volume"] == 0.0 and math.isnan(b9["lead_time"])
    assert b9["name"] == "B9"          # name defaults to the id
    # per-space cumulative series ends at the space's inflow
    ss = a.space_series
    assert list(ss.columns) == ["M2"]
    assert ss["M2"].iloc[-1] == pytest.approx(m2["inflow_volume"], rel=1e-12)
    assert ss["M2"].iloc[10] == pytest.approx(CD * 4 * 0.12**1.5 * 300, rel=1e-12)


def test_space_without_critical_level_floods_at_the_floor_depth():
    # Basement B2 (no critical level): flooded at 0.05 m on its 40 m² floor = 2 m³.
    # Entrance sill 0.15 m, b = 1.5 m, outside 0.25 m all along (head 0.10 m):
    # Q = 1.70*1.5*0.1^1.5 = 0.0806381 m³/s → 2 / 0.0806381 = 24.8022 s.
    a = assess_underground(
        spaces(space(space_id="B2", kind="basement", floor_elev=0.0, floor_area=40.0)),
        entrances(("B2-E1", "B2", 0.15, 1.5)),
        probes(T30, **{"B2-E1": 0.25}))
    sp = a.spaces.iloc[0]
    assert sp["time_flooded"] == pytest.approx(24.8022, abs=1e-4)
    assert math.isnan(sp["time_critical"])
    assert sp["class"] == "flooded"
    assert "critical level unknown" in sp["note"]


def test_missing_probe_names_the_entrance():
    with pytest.raises(InputError) as e:
        assess_underground(
            spaces(space(space_id="M1", kind="metro_station", floor_elev=-12.0,
                        floor_area=300.0)),
            entrances(("M1-E1", "M1", 0.45, 4.0), ("M1-E7", "M1", 0.45, 4.0)),
            probes(T30, **{"M1-E1": 0.1}))
    msg = str(e.value)
    assert "'M1-E7'" in msg and "'M1-E1'" not in msg
    assert "no depth series" in msg
    assert "surface or coupled" in msg      # the hint
    assert e.value.feature == ["M1-E7"]
    assert isinstance(e.value, ValueError)


def test_entrance_of_an_unknown_space_is_refused():
    with pytest.raises(InputError) as e:
        assess_underground(
            spaces(space(space_id="M1", kind="metro_station", floor_elev=-12.0,
                        floor_area=300.0)),
            entrances(("X-E1", "X9", 0.45, 4.0)),
            probes(T30, **{"X-E1": 0.1}))
    assert e.value.field == "space_id" and e.value.feature == ["X-E1"]
