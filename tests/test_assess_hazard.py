"""Hazard (FD2320, ARR, Chinese grading) and risk — numbers worked by hand."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from affine import Affine
from shapely.geometry import box

from floodrisk.assess.hazard import (
    HazardSettings,
    RiskSettings,
    arr_class,
    building_risk,
    cn_grade,
    debris_factor,
    defra_class,
    defra_rating,
    exposure_grid,
    hazard_grids,
    risk_grid,
)
from floodrisk.errors import InputError

NAN = np.nan
PASTURE = HazardSettings(land_use="pasture")
WOODLAND = HazardSettings(land_use="woodland")

# 3×3 grid of 10 m cells, upper-left corner (0, 30): cell (r, c) spans
# x 10c..10c+10, y 20-10r..30-10r.
T3 = Affine(10.0, 0.0, 0.0, 0.0, -10.0, 30.0)


# ---- DEFRA / EA FD2320 ------------------------------------------------------------------
def test_defra_rating_urban_by_hand():
    # d = 0.5 m, v = 1.0 m/s, urban: 0.25 <= d <= 0.75 and v <= 2 -> DF = 1
    # HR = 0.5 * (1.0 + 0.5) + 1 = 0.75 + 1 = 1.75 -> 1.25 <= 1.75 < 2.0 -> significant (3)
    hr = defra_rating(0.5, 1.0)
    assert float(hr) == pytest.approx(1.75, abs=1e-12)
    assert int(defra_class(hr, depth=0.5)) == 3
    # d = 0.8 m, v = 1.0 m/s pasture: d > 0.75 -> DF 0.5; HR = 0.8 * 1.5 + 0.5 = 1.7 -> 3
    assert float(defra_rating(0.8, 1.0, PASTURE)) == pytest.approx(1.7, abs=1e-12)
    # the same cell in town: DF 1 -> HR = 1.2 + 1 = 2.2 -> extreme (4)
    assert float(defra_rating(0.8, 1.0)) == pytest.approx(2.2, abs=1e-12)
    assert int(defra_class(2.2)) == 4


def test_defra_class_edges_go_to_the_higher_class():
    hr = np.array([0.0, 0.7499, 0.75, 1.2499, 1.25, 1.9999, 2.0, 5.0, NAN])
    # < 0.75 low 1; 0.75 moderate 2; 1.25 significant 3; 2.0 extreme 4; NaN -> 0
    assert defra_class(hr, depth=np.full(9, 0.5)).tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 0]
    assert defra_class(hr).dtype == np.int8
    # edges reached from physical values, pasture (DF 0 at 0.25-0.75 m, v <= 2):
    # d 0.5, v 1.0: 0.5 * 1.5 = 0.75 exactly -> moderate, not low
    # d 0.5, v 2.0: 0.5 * 2.5 = 1.25 exactly -> significant (v = 2 is not > 2: DF stays 0)
    d, v = np.array([0.5, 0.5]), np.array([1.0, 2.0])
    hr = defra_rating(d, v, PASTURE)
    assert hr.tolist() == [0.75, 1.25]
    assert defra_class(hr, PASTURE, depth=d).tolist() == [2, 3]
    # below the wet depth (0.15 m) there is no class, at it there is
    assert defra_class(np.array([1.0, 1.0]), depth=np.array([0.1499, 0.15])).tolist() == [0, 2]
    # moved edges are used
    s = HazardSettings(defra_class_edges=(0.5, 1.0, 1.5))
    assert defra_class(np.array([0.75, 1.75]), s).tolist() == [2, 4]


def test_debris_factor_branches():
    d = np.array([0.2, 0.2, 0.25, 0.5, 0.75, 0.8, 0.3, 0.3])
    v = np.array([1.0, 2.5, 1.0, 1.0, 1.0, 1.0, 2.5, 2.0])
    # d < 0.25 -> 0 whatever v; 0.25 <= d <= 0.75 and v <= 2 -> middle;
    # d > 0.75 or v > 2 (with d >= 0.25) -> high.       middle / high
    #                            0.2  0.2  .25  0.5  .75  0.8  v2.5 v2.0
    assert debris_factor(d, v, PASTURE).tolist() == [0, 0, 0, 0, 0, 0.5, 0.5, 0]   # 0 / 0.5
    assert debris_factor(d, v, WOODLAND).tolist() == [0, 0, .5, .5, .5, 1, 1, .5]  # 0.5 / 1
    assert debris_factor(d, v).tolist() == [0, 0, 1, 1, 1, 1, 1, 1]                # urban 1 / 1
    # HR of d = 0.2, v = 1.0 urban: 0.2 * 1.5 + 0 = 0.3
    assert float(defra_rating(0.2, 1.0)) == pytest.approx(0.3, abs=1e-12)
    # v = 2.5 at d = 0.3, pasture: 0.3 * 3.0 + 0.5 = 1.4
    assert float(defra_rating(0.3, 2.5, PASTURE)) == pytest.approx(1.4, abs=1e-12)
    assert np.isnan(debris_factor(np.array([NAN, 0.5]), np.array([1.0, NAN]))).all()


# ---- ARR 2019 / AIDR 7-3 ----------------------------------------------------------------
def test_arr_class_at_each_edge():
    cases = [
        # d,   v,   expected      worked
        (0.3, 1.0, 1),    # d·v 0.3 <= 0.3, d 0.3 <= 0.3, v <= 2 -> H1 (limits hold with =)
        (0.31, 1.0, 2),   # d 0.31 > 0.3 -> not H1; d·v 0.31 <= 0.6, d <= 0.5 -> H2
        (0.2, 2.0, 2),    # d·v 0.4 > 0.3 -> not H1; 0.4 <= 0.6, 0.2 <= 0.5, v 2.0 <= 2 -> H2
        (0.5, 1.2, 2),    # d·v 0.6 <= 0.6, d 0.5 <= 0.5 -> H2
        (0.51, 1.0, 3),   # d 0.51 > 0.5 -> not H2; d·v 0.51 <= 0.6, d <= 1.2 -> H3
        (1.2, 0.5, 3),    # d·v 0.6, d 1.2 <= 1.2 -> H3
        (2.0, 0.5, 4),    # d·v 1.0 <= 1.0, d 2.0 <= 2.0 -> H4
        (1.0, 1.1, 5),    # d·v 1.1 > 1.0 -> not H4; <= 4 -> H5
        (1.0, 2.1, 5),    # v 2.1 > 2 -> not H1..H4; d·v 2.1, d 1, v 2.1 within H5
        (1.0, 4.0, 5),    # d·v 4.0, v 4.0 -> still H5
        (4.0, 1.0, 5),    # d 4.0, d·v 4.0 -> H5
        (1.0, 4.01, 6),   # v > 4 -> beyond H5 -> H6
        (4.1, 0.5, 6),    # d 4.1 > 4 -> H6
        (0.15, 0.0, 1),   # at the wet depth: classed
        (0.1, 3.0, 0),    # below the wet depth: 0 whatever v
        (NAN, 1.0, 0),
        (0.5, NAN, 0),
    ]
    d = np.array([c[0] for c in cases])
    v = np.array([c[1] for c in cases])
    got = arr_class(d, v)
    assert got.dtype == np.int8
    assert got.tolist() == [c[2] for c in cases]
    # 2-D in, 2-D out
    assert arr_class(d[:4].reshape(2, 2), v[:4].reshape(2, 2)).tolist() == [[1, 2], [2, 2]]


# ---- Chinese depth × duration grading ---------------------------------------------------
def test_cn_grade_edges():
    # default matrix        < 1800 s  1800-7200  >= 7200
    #   0.15-0.30 m            1         1          2
    #   0.30-0.50 m            1         2          3
    #   >= 0.50 m              2         3          3
    cases = [
        (0.1499, 9999.0, 0),   # below 0.15 m: no grade
        (0.15, 0.0, 1),        # exactly 0.15 m: first depth class, < 0.5 h
        (0.15, 1799.0, 1),
        (0.15, 1800.0, 1),     # 1800 s -> 0.5-2 h column, still 1
        (0.15, 7200.0, 2),     # 7200 s -> > 2 h column
        (0.2999, 7199.0, 1),
        (0.30, 1799.0, 1),     # 0.30 m -> 0.30-0.50 m row
        (0.30, 1800.0, 2),
        (0.30, 7200.0, 3),
        (0.4999, 7199.9, 2),
        (0.50, 0.0, 2),        # 0.50 m -> top row
        (0.50, 1800.0, 3),
        (NAN, 3600.0, 0),
        (0.40, NAN, 0),
    ]
    d = np.array([c[0] for c in cases])
    t = np.array([c[1] for c in cases])
    got = cn_grade(d, t)
    assert got.dtype == np.int8
    assert got.tolist() == [c[2] for c in cases]
    # settings are used: duration edges at 1 h and 3 h put (0.30 m, 1800 s) into the
    # first column (1) and (0.30 m, 3600 s) into the second (2)
    s = HazardSettings(cn_duration_edges=(3600.0, 10800.0))
    assert cn_grade(np.array([0.30, 0.30]), np.array([1800.0, 3600.0]), s).tolist() == [1, 2]


# ---- all grids, NaN, summary ------------------------------------------------------------
def test_hazard_grids_and_summary():
    d = np.array([[0.10, 0.5, NAN], [0.8, 0.3, 1.2]])
    v = np.array([[0.2, 1.0, NAN], [1.0, 2.5, 0.5]])
    t = np.array([[0.0, 3600.0, NAN], [7200.0, 600.0, 9000.0]])
    # cell   HR (urban)                  DEFRA  ARR                         CN
    # 0.10   0.1*0.7 + 0     = 0.07      0      0 (below 0.15 m)            0
    # 0.5    0.5*1.5 + 1     = 1.75      3      d·v 0.5, d 0.5 -> H2        >=0.5 m, 1 h: 3
    # NaN    NaN                         0      0                           0
    # 0.8    0.8*1.5 + 1     = 2.2       4      d·v 0.8, d 0.8 -> H4        >=0.5, 2 h: 3
    # 0.3    0.3*3.0 + 1     = 1.9       3      v 2.5 > 2 -> H5             0.30, 600 s: 1
    # 1.2    1.2*1.0 + 1     = 2.2       4      d·v 0.6, d 1.2 -> H3        >=0.5, 2.5 h: 3
    h = hazard_grids(d, v, t)
    np.testing.assert_allclose(h.defra_rating, [[0.07, 1.75, NAN], [2.2, 1.9, 2.2]],
                               atol=1e-12)
    assert h.defra_class.tolist() == [[0, 3, 0], [4, 3, 4]]
    assert h.arr_class.tolist() == [[0, 2, 0], [4, 5, 3]]
    assert h.cn_grade.tolist() == [[0, 3, 0], [3, 1, 3]]
    assert h.in_domain.tolist() == [[True, True, False], [True, True, True]]
    # 5 domain cells of 25 m² (the NaN cell is not counted)
    s = h.summary(25.0).set_index(["scheme", "class"])
    assert s.loc["defra", "cells"].tolist() == [1, 0, 0, 2, 2]
    assert s.loc["defra", "area"].tolist() == [25.0, 0.0, 0.0, 50.0, 50.0]
    assert s.loc["arr", "cells"].tolist() == [1, 0, 1, 1, 1, 1, 0]
    assert s.loc[("arr", 6), "label"] == "H6"
    assert s.loc["cn", "cells"].tolist() == [1, 1, 0, 3]
    assert s.loc["cn", "area"].tolist() == [25.0, 25.0, 0.0, 75.0]
    with pytest.raises(InputError) as e:
        h.summary(0.0)
    assert e.value.field == "cell_area"


def test_hazard_grids_refuses_grids_of_different_shapes():
    with pytest.raises(InputError) as e:
        hazard_grids(np.zeros((2, 2)), np.zeros((2, 3)), np.zeros((2, 2)))
    assert e.value.field == "max_velocity"


# ---- risk -------------------------------------------------------------------------------
def test_risk_grid_by_hand():
    # matrix rows exposure 1..3, columns grade 0..3: [0 1 1 2] [0 1 2 3] [0 2 3 3]
    grade = np.array([[0, 1, 2, 3], [3, 3, 3, 2]], dtype=np.int8)
    expo = np.array([[2, 2, 3, 0], [1, 2, 3, NAN]])
    # (0,2): g2 e3 -> 3; (1,0): g3 e1 -> 2; exposure 0 / NaN -> 0
    assert risk_grid(grade, expo).tolist() == [[0, 1, 3, 0], [2, 3, 3, 0]]
    with pytest.raises(InputError) as e:
        risk_grid(np.array([[4]]), np.array([[2]]))
    assert e.value.field == "grade"
    with pytest.raises(InputError) as e:
        risk_grid(np.array([[1]]), np.array([[5]]))
    assert e.value.field == "exposure_grid"


def test_exposure_grid_from_the_land_cover():
    # On T3: a road strip over the top row (y 20-30), green over the bottom-left cell
    # (x 0-10, y 0-10), a "parking" polygon the settings do not list over the bottom-right
    # cell; the middle row is unclassified (default 2); cell (1, 1) is off the domain.
    from floodrisk.grid import Grid
    z = np.zeros((3, 3))
    z[1, 1] = NAN
    lc = gpd.GeoDataFrame({"class": ["road", "green", "parking"]},
                          geometry=[box(0, 20, 30, 30), box(0, 0, 10, 10), box(20, 0, 30, 10)])
    e = exposure_grid(Grid(z, T3, None), lc)
    assert e.tolist() == [[2, 2, 2], [2, 0, 2], [1, 2, 2]]
    s = RiskSettings(landcover_exposure={"road": 3, "green": 0, "parking": 1},
                     default_exposure=1)
    e = exposure_grid(Grid(z, T3, None), lc, s)
    assert e.tolist() == [[3, 3, 3], [1, 0, 1], [0, 1, 1]]
    # and the risk of a grade-2 cell on each: road (3) → 3, default (1) → 1, green (0) → 0
    assert risk_grid(np.full((3, 3), 2), e, s).tolist() == [[3, 3, 3], [1, 0, 1], [0, 1, 1]]
    with pytest.raises(InputError) as err:
        RiskSettings(landcover_exposure={"road": 4})
    assert err.value.field == "landcover_exposure"


def test_building_risk_3x3_by_hand():
    grade = np.array([[0, 1, 0],
                      [0, 0, 2],
                      [0, 0, 0]], dtype=np.int8)
    b = gpd.GeoDataFrame(
        {"building_id": ["A", "B", "C", "D"],
         "exposure_class": ["medium", "high", 1, "low"]},
        geometry=[box(12, 12, 18, 18),      # cell (1,1): ring = all 9 cells -> worst 2
                  box(2, 22, 8, 28),        # cell (0,0): ring (0,0) (0,1) (1,0) (1,1) -> 1
                  box(22, 2, 28, 8),        # cell (2,2): ring (1,1) (1,2) (2,1) (2,2) -> 2
                  box(100, 100, 110, 110)],  # off the grid
        crs="EPSG:4547")
    r = building_risk(b, grade, T3, exposure="exposure_class")
    assert r["building_id"].tolist() == ["A", "B", "C", "D"]
    assert r["cells"].tolist() == [9, 4, 4, 0]
    assert r["hazard_grade"].tolist()[:3] == [2, 1, 2] and pd.isna(r["hazard_grade"].iat[3])
    assert r["exposure"].tolist() == [2, 3, 1, 1]
    # risk = matrix[exposure][grade]: A medium, 2 -> 2; B high, 1 -> 2; C low, 2 -> 1
    assert r["risk"].tolist()[:3] == [2, 2, 1] and pd.isna(r["risk"].iat[3])
    assert r["risk_label"].tolist()[:3] == ["medium", "medium", "low"]
    # default exposure medium keeps the grade: A 2, B 1, C 2
    r = building_risk(b, grade, T3)
    assert r["exposure"].tolist() == [2, 2, 2, 2]
    assert r["risk"].tolist()[:3] == [2, 1, 2]
    # a Series aligned on the index (given in another order)
    s = pd.Series([3, 3, 3, 3], index=[3, 2, 1, 0])
    r = building_risk(b, grade, T3, exposure=s)
    assert r["risk"].tolist()[:3] == [3, 2, 3]   # high: grade 2 -> 3, grade 1 -> 2


def test_building_risk_shared_and_lost_cells():
    # A spans cells (1,0) (1,1), B spans (1,1) (1,2): they share (1,1).  Only (0,2) is
    # wet (grade 3). A reaches (0,2) only through (1,1); both rings are all 9 cells.
    grade = np.zeros((3, 3), dtype=np.int8)
    grade[0, 2] = 3
    b = gpd.GeoDataFrame({"building_id": ["A", "B"]},
                         geometry=[box(2, 12, 15, 18), box(15, 12, 28, 18)])
    r = building_risk(b, grade, T3)
    assert r["cells"].tolist() == [9, 9]
    assert r["hazard_grade"].tolist() == [3, 3]
    # three footprints inside cell (1,1): the middle one is burned over in both passes and
    # placed at its representative point; all three see the 9 cells
    b = gpd.GeoDataFrame({"building_id": ["P", "Q", "R"]},
                         geometry=[box(11, 11, 13, 13), box(14, 14, 16, 16),
                                   box(17, 17, 19, 19)])
    r = building_risk(b, grade, T3)
    assert r["cells"].tolist() == [9, 9, 9]
    assert r["hazard_grade"].tolist() == [3, 3, 3]


def test_building_risk_bad_exposure_names_the_feature():
    b = gpd.GeoDataFrame({"building_id": ["A", "B"], "expo": ["high", "extreme"]},
                         geometry=[box(12, 12, 18, 18), box(2, 22, 8, 28)])
    with pytest.raises(InputError) as e:
        building_risk(b, np.zeros((3, 3), dtype=np.int8), T3, exposure="expo")
    assert e.value.field == "expo" and e.value.feature == ["B"]
    with pytest.raises(InputError) as e:
        building_risk(b, np.zeros((3, 3), dtype=np.int8), T3, exposure="nope")
    assert e.value.field == "nope"


# ---- settings ---------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, field", [
    ({"defra_class_edges": (1.25, 0.75, 2.0)}, "defra_class_edges"),
    ({"land_use": "desert"}, "land_use"),
    ({"wet_depth": -0.1}, "wet_depth"),
    ({"debris_factors": (("urban", 1.0, -1.0),)}, "debris_factors"),
    ({"arr_limits": ((0.6, 0.5, 2.0), (0.3, 0.3, 2.0))}, "arr_limits"),
    ({"cn_matrix": ((1, 1), (1, 2), (2, 3))}, "cn_matrix"),
    ({"cn_matrix": ((2, 1, 2), (2, 2, 3), (2, 3, 3))}, "cn_matrix"),
    ({"cn_duration_edges": (7200.0, 1800.0)}, "cn_duration_edges"),
])
def test_hazard_settings_errors_name_the_field(kwargs, field):
    with pytest.raises(InputError) as e:
        HazardSettings(**kwargs)
    assert e.value.field == field
    assert field in str(e.value)


@pytest.mark.parametrize("kwargs, field", [
    ({"matrix": ((1, 1, 2, 3), (0, 1, 2, 3), (0, 2, 3, 3))}, "matrix"),   # grade 0 -> risk 1
    ({"matrix": ((0, 1, 1, 2), (0, 1, 2, 3))}, "matrix"),                 # two rows
    ({"default_exposure": 4}, "default_exposure"),
])
def test_risk_settings_errors_name_the_field(kwargs, field):
    with pytest.raises(InputError) as e:
        RiskSettings(**kwargs)
    assert e.value.field == field


def test_settings_take_lists_as_from_toml():
    s = HazardSettings(cn_depth_edges=[0.1, 0.2, 0.4], cn_matrix=[[1, 1, 2], [1, 2, 3],
                                                                 [2, 3, 3]])
    assert s.cn_depth_edges == (0.1, 0.2, 0.4)
    assert s.cn_matrix == ((1, 1, 2), (1, 2, 3), (2, 3, 3))
    # 0.12 m is now graded (first class, < 0.5 h -> 1)
    assert cn_grade(np.array([0.12]), np.array([0.0]), s).tolist() == [1]
    hash(s)
