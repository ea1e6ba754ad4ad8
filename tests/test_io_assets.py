"""Asset loading: floor levels from the DEM, entrances, defaults per space kind, facilities,
land cover; and bad input.

The tiny city (conftest): ground z[r, c] = 32.125 − 0.5 c − 0.25 r on 10 m cells.
M1 (metro station) covers cells rows 6-8 × cols 4-7, depth 12 m; K1 (car park) rows 1-2 ×
cols 10-12, depth 4 m; E1 at cell (7, 4), E2 at cell (1, 10); F1 at cell (8, 16).
"""

from __future__ import annotations

import numpy as np
import pytest
from shapely.geometry import Point

import floodrisk
from floodrisk.config import AssetDefaults, EntranceDefault, LandcoverClass
from floodrisk.errors import AssetError, SchemaError
from floodrisk.io.assets import read_assets
from floodrisk.io.raster import read_dem
from floodrisk.io.vector import write_layers

from conftest import X0, YTOP, centre


@pytest.fixture()
def dem(dem_tif):
    return read_dem(dem_tif)


@pytest.fixture()
def assets(city_gpkg, dem):
    return read_assets(city_gpkg, dem=dem)


def test_floor_elev_from_lowest_ground_minus_depth(assets):
    u = assets.underground.set_index("space_id")
    # M1: lowest cell under it is (8, 7): 32.125 - 3.5 - 2.0 = 26.625; minus 12 m
    assert u.loc["M1", "floor_elev"] == 26.625 - 12 == 14.625
    # K1: lowest cell (2, 12): 32.125 - 6.0 - 0.5 = 25.625; minus 4 m
    assert u.loc["K1", "floor_elev"] == 25.625 - 4 == 21.625
    # floor_area from the footprint: 40 × 30 and 30 × 20 m
    assert list(u.floor_area) == [1200.0, 600.0]
    assert u.critical_elev.isna().all()
    assert assets.crs.to_epsg() == 4547
    assert any("floor_elev of 2 spaces" in n and "'M1', 'K1'" in n for n in assets.notes)


def test_given_floor_elev_is_kept_and_critical_height_added(city, dem):
    L = city.layers()
    L["underground"]["floor_elev"] = [np.nan, 20.0]
    L["underground"]["critical_height"] = [2.0, np.nan]
    a = read_assets(city.gpkg(layers=L), dem=dem)
    u = a.underground.set_index("space_id")
    assert u.loc["K1", "floor_elev"] == 20.0
    assert u.loc["M1", "critical_elev"] == 14.625 + 2.0
    assert np.isnan(u.loc["K1", "critical_elev"])


def test_entrances_assigned_by_location_with_kind_defaults(assets):
    e = assets.entrances.set_index("entrance_id")
    assert list(e.space_id) == ["M1", "K1"]
    # defaults per space kind (AssetDefaults): metro 0.45 m sill, 4 m; car park 0.15 m, 6 m
    assert (e.loc["E1", "sill_height"], e.loc["E1", "width"]) == (0.45, 4.0)
    assert (e.loc["E2", "sill_height"], e.loc["E2", "width"]) == (0.15, 6.0)
    # ground under E1, cell (7, 4): 32.125 - 2.0 - 1.75 = 28.375
    assert e.loc["E1", "ground_elev"] == 28.375
    assert e.loc["E1", "sill_elev"] == pytest.approx(28.375 + 0.45, abs=1e-12)
    # E2, cell (1, 10): 32.125 - 5.0 - 0.25 = 26.875
    assert e.loc["E2", "ground_elev"] == 26.875
    assert e.loc["E2", "sill_elev"] == pytest.approx(26.875 + 0.15, abs=1e-12)
    assert any("space_id of 2 entrances from the space they lie on" in n for n in assets.notes)


def test_entrance_just_outside_the_outline_within_tolerance(city, dem):
    # 3 m west of M1's west edge (x = X0 + 40), on row 7
    p = Point(X0 + 37.0, YTOP - 75.0)
    a = read_assets(city.gpkg(city.set("entrances", "E1", "geometry", p)), dem=dem)
    e = a.entrances.set_index("entrance_id")
    assert e.loc["E1", "space_id"] == "M1"
    assert e.loc["E1", "ground_elev"] == 32.125 - 1.5 - 1.75  # cell (7, 3)


def test_given_sill_and_width_are_kept(city, dem):
    L = city.layers()
    L["entrances"]["门槛高度"] = [0.3, np.nan]
    L["entrances"]["宽度"] = [np.nan, 3.5]
    e = read_assets(city.gpkg(layers=L), dem=dem).entrances.set_index("entrance_id")
    assert (e.loc["E1", "sill_height"], e.loc["E1", "width"]) == (0.3, 4.0)
    assert (e.loc["E2", "sill_height"], e.loc["E2", "width"]) == (0.15, 3.5)
    assert e.loc["E1", "sill_elev"] == pytest.approx(28.675, abs=1e-12)


def test_city_defaults_override_one_kind_and_keep_the_others(city_gpkg, dem):
    defaults = AssetDefaults(entrance={"metro_station": EntranceDefault(sill_height=0.6,
                                                                        width=5.0)})
    e = read_assets(city_gpkg, dem=dem, defaults=defaults).entrances.set_index("entrance_id")
    assert (e.loc["E1", "sill_height"], e.loc["E1", "width"]) == (0.6, 5.0)
    assert (e.loc["E2", "sill_height"], e.loc["E2", "width"]) == (0.15, 6.0)  # project default


def test_facility_equipment_elev(city, dem):
    a = read_assets(city.gpkg(city.set("facilities", "F1", "kind", "变电站")), dem=dem)
    f = a.facilities.iloc[0]
    assert f.kind == "substation"
    # cell (8, 16): 32.125 - 8.0 - 2.0 = 22.125; + 0.5 m
    assert f.equipment_elev == 22.625


def test_landcover_from_class_table(assets):
    lc = assets.landcover
    assert list(lc["class"]) == ["road", "绿地"]
    assert list(lc.roughness) == [0.02, 0.05]  # 绿地 → green
    assert list(lc.imperviousness) == [0.95, 0.15]


def test_landcover_given_values_and_city_classes(city, dem):
    L = city.layers()
    L["landcover"]["糙率"] = [0.025, np.nan]
    defaults = AssetDefaults(landcover={"green": LandcoverClass(roughness=0.06,
                                                                imperviousness=0.1)})
    lc = read_assets(city.gpkg(layers=L), dem=dem, defaults=defaults).landcover
    assert list(lc.roughness) == [0.025, 0.06]
    assert list(lc.imperviousness) == [0.95, 0.1]  # road keeps the project default


def test_chinese_names(city, dem):
    L = city.layers()
    u = L["underground"].rename(columns={"space_id": "空间编号", "kind": "空间类型", "depth": "埋深"})
    u["空间类型"] = ["地铁站", "地下车库"]
    e = L["entrances"].rename(columns={"entrance_id": "出入口编号"})
    f = L["facilities"].rename(columns={"facility_id": "设施编号", "kind": "类型",
                                        "equipment_height": "设备高度"})
    f["类型"] = ["配电房"]
    path = write_layers({"地下空间": u, "出入口": e, "重要设施": f, "下垫面": L["landcover"]},
                        city.root / "资产.gpkg")
    a = read_assets(path, dem=dem)
    assert list(a.underground.kind) == ["metro_station", "car_park"]
    assert list(a.underground.floor_elev) == [14.625, 21.625]
    assert list(a.entrances.space_id) == ["M1", "K1"]
    assert a.facilities.iloc[0].kind == "substation"
    assert a.facilities.iloc[0].equipment_elev == 22.625
    assert len(a.landcover) == 2


def test_public_alias_and_empty_layers(assets):
    assert floodrisk.load_assets is read_assets
    assert len(assets.observed) == 0 and len(assets.buildings) == 0


# ---- bad input --------------------------------------------------------------------------
def test_entrance_outside_every_space(city, dem, names):
    path = city.gpkg(city.set("entrances", "E2", "geometry", Point(*centre(4, 19))))
    with pytest.raises(AssetError) as e:
        read_assets(path, dem=dem)
    assert isinstance(e.value, ValueError)
    msg = names(e.value, path=path, layer="entrances", feature="E2", field="geometry")
    assert "outside every underground space" in msg and "'E1'" not in msg


def test_entrance_far_from_its_given_space(city, dem, names):
    L = city.layers()
    L["entrances"]["space_id"] = ["K1", None]
    path = city.gpkg(layers=L)
    with pytest.raises(AssetError) as e:
        read_assets(path, dem=dem)
    msg = names(e.value, path=path, layer="entrances", feature="E1", field="geometry")
    assert "from K1" in msg


def test_entrance_of_unknown_space(city, dem, names):
    L = city.layers()
    L["entrances"]["space_id"] = ["M1", "K9"]
    path = city.gpkg(layers=L)
    with pytest.raises(AssetError) as e:
        read_assets(path, dem=dem)
    msg = names(e.value, path=path, layer="entrances", feature="E2", field="space_id")
    assert "'K9'" in msg


def test_entrances_without_spaces(city, dem, names):
    path = city.gpkg(city.drop_layer("underground"))
    with pytest.raises(AssetError) as e:
        read_assets(path, dem=dem)
    names(e.value, path=path, layer="entrances")


def test_space_without_floor_or_depth(city, dem, names):
    path = city.gpkg(city.set("underground", "K1", "depth", np.nan))
    with pytest.raises(SchemaError) as e:
        read_assets(path, dem=dem)
    names(e.value, path=path, layer="underground", feature="K1", field="floor_elev")


def test_critical_elev_below_floor(city, dem, names):
    L = city.layers()
    L["underground"]["critical_elev"] = [2.0, np.nan]  # a height given as an elevation
    path = city.gpkg(layers=L)
    with pytest.raises(AssetError) as e:
        read_assets(path, dem=dem)
    msg = names(e.value, path=path, layer="underground", feature="M1", field="critical_elev")
    assert "critical_height" in msg


def test_unknown_space_kind(city, dem, names):
    path = city.gpkg(city.set("underground", "M1", "kind", "mall"))
    with pytest.raises(SchemaError) as e:
        read_assets(path, dem=dem)
    msg = names(e.value, path=path, layer="underground", feature="M1", field="kind")
    assert "'mall'" in msg


def test_duplicate_space_ids(city, dem, names):
    path = city.gpkg(city.set("underground", "K1", "space_id", "M1"))
    with pytest.raises(AssetError) as e:
        read_assets(path, dem=dem)
    names(e.value, path=path, layer="underground", feature="M1", field="space_id")


def test_facility_without_equipment_level(city, dem, names):
    path = city.gpkg(city.set("facilities", "F1", "equipment_height", np.nan))
    with pytest.raises(SchemaError) as e:
        read_assets(path, dem=dem)
    names(e.value, path=path, layer="facilities", feature="F1", field="equipment_elev")


def test_landcover_class_without_default(city, dem, names):
    path = city.gpkg(city.set("landcover", "road", "class", "forest"))
    with pytest.raises(SchemaError) as e:
        read_assets(path, dem=dem)
    msg = names(e.value, path=path, layer="landcover", field="roughness")
    assert "'forest'" in msg and "green" in msg


def test_floor_without_dem(city_gpkg, names):
    with pytest.raises(SchemaError) as e:
        read_assets(city_gpkg)
    names(e.value, path=city_gpkg, layer="underground", feature=["M1", "K1"], field="floor_elev")
