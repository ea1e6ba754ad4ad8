"""Loading a whole study from a TOML config with relative paths; inputs recorded with hashes."""

from __future__ import annotations

import hashlib

import geopandas as gpd
import numpy as np
import pytest

import floodrisk
from floodrisk.errors import ConfigError, InputFileError, NetworkError

from conftest import cells_box


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture()
def tiny(city):
    """dem.tif, city.gpkg and study.toml (relative paths) in one folder."""
    city.dem()
    city.gpkg()
    return city.config()


def test_load_study_from_toml(tiny, city):
    study = floodrisk.load_study(tiny)
    assert study.name == "tiny"
    assert study.crs.to_epsg() == 4547
    assert study.terrain.shape == (10, 20)
    assert study.terrain.values[5, 8] == 26.875
    assert repr(study.network) == "DrainageNetwork(4 nodes, 3 conduits, 1 pumps, 1 stations)"
    assert repr(study.assets) == ("Assets(2 underground, 2 entrances, 1 facilities, "
                                  "2 landcover)")
    assert study.network.stations.iloc[0].equipment_elev == 25.875
    assert list(study.assets.underground.floor_elev) == [14.625, 21.625]
    assert list(study.assets.entrances.sill_elev) == pytest.approx([28.825, 27.025], abs=1e-12)
    assert study.network.crs.equals(study.crs) and study.assets.crs.equals(study.crs)
    assert any("length of 3 conduits" in n for n in study.notes)


def test_inputs_recorded_with_sha256(tiny, city):
    study = floodrisk.load_study(tiny)
    dem, gpkg = (city.root / "dem.tif").resolve(), (city.root / "city.gpkg").resolve()
    got = {(f.role, f.path): f for f in study.inputs}
    assert set(got) == {("dem", dem), ("network", gpkg), ("assets", gpkg)}
    for (role, path), f in got.items():
        assert f.path.is_absolute()
        assert f.sha256 == sha256(path)
        assert f.size == path.stat().st_size
    assert got[("network", gpkg)].sha256 == got[("assets", gpkg)].sha256


def test_config_object_and_path_give_the_same_study(tiny):
    cfg = floodrisk.load_config(tiny)
    assert cfg.dem.path == (tiny.parent / "dem.tif").resolve()
    assert cfg.source == tiny.resolve()
    a, b = floodrisk.load_study(cfg), floodrisk.load_study(tiny)
    np.testing.assert_array_equal(a.terrain.values, b.terrain.values)
    assert [f.sha256 for f in a.inputs] == [f.sha256 for f in b.inputs]


def test_cell_size_aoi_layers_and_columns_from_the_config(city):
    city.dem()
    L = city.layers()
    L["conduits"] = L["conduits"].rename(columns={"diameter": "DN"})
    L["conduits"]["DN"] = [300.0, 400.0, 500.0]
    city.gpkg(layers={k: v for k, v in L.items() if k != "conduits"})
    L["conduits"].to_file(city.root / "pipes.geojson", driver="GeoJSON")
    # keep cols 2-19: 18 columns of 10 m, 9 of 20 m
    gpd.GeoDataFrame(geometry=[cells_box(0, 9, 2, 19)], crs="EPSG:4547").to_file(
        city.root / "aoi.geojson", driver="GeoJSON")
    cfg = city.config(text="""
[study]
name = "options"

[dem]
path = "dem.tif"
aoi = "aoi.geojson"
cell_size = 20

[network]
path = "city.gpkg"
layers = { conduits = "pipes.geojson" }
columns = { conduits = { diameter_mm = "DN" } }

[assets]
path = "city.gpkg"

[assets.defaults.entrance.car_park]
sill_height = 0.3
width = 5.0
""")
    study = floodrisk.load_study(cfg)
    t = study.terrain
    assert t.shape == (5, 9)
    assert tuple(t.transform)[:6] == (20, 0, 500020, 0, -20, 2500100)
    # coarse (R, C) = mean of fine rows 2R, 2R+1 × cols 2C+2, 2C+3
    #              = 32.125 - 0.5 (2C + 2.5) - 0.25 (2R + 0.5) = 30.75 - C - 0.5 R
    R, C = np.mgrid[0:5, 0:9]
    np.testing.assert_allclose(t.values, 30.75 - C - 0.5 * R, rtol=0, atol=1e-6)
    # levels come from the study's DEM: S1 (500145, 2500065) lies in coarse cell (1, 6)
    assert study.network.stations.iloc[0].equipment_elev == pytest.approx(
        30.75 - 6 - 0.5 + 1.5, abs=1e-6)
    c = study.network.conduits
    assert c.diameter.tolist() == pytest.approx([0.3, 0.4, 0.5], abs=1e-12)
    e = study.assets.entrances.set_index("entrance_id")
    assert (e.loc["E2", "sill_height"], e.loc["E2", "width"]) == (0.3, 5.0)
    assert (e.loc["E1", "sill_height"], e.loc["E1", "width"]) == (0.45, 4.0)  # default kept
    roles = {(f.role, f.path.name) for f in study.inputs}
    assert {("network", "pipes.geojson"), ("aoi", "aoi.geojson")} <= roles
    pipes = next(f for f in study.inputs if f.path.name == "pipes.geojson")
    assert pipes.sha256 == sha256(city.root / "pipes.geojson")


def test_missing_config(tmp_path, names):
    path = tmp_path / "nope.toml"
    with pytest.raises(InputFileError) as e:
        floodrisk.load_study(path)
    names(e.value, path=path)


def test_missing_dem_named_by_its_resolved_path(city, names):
    city.gpkg()
    cfg = city.config()
    with pytest.raises(InputFileError) as e:
        floodrisk.load_study(cfg)
    names(e.value, path=(city.root / "dem.tif").resolve())


def test_bad_config_value_names_the_setting(city, names):
    cfg = city.config(text='[dem]\npath = "dem.tif"\nsnap = 3\n[network]\npath = "city.gpkg"\n')
    with pytest.raises(ConfigError) as e:
        floodrisk.load_study(cfg)
    names(e.value, path=cfg, field="dem.snap")


def test_geographic_study_crs_refused(city, names):
    cfg = city.config(text='[study]\ncrs = "EPSG:4326"\n[dem]\npath = "dem.tif"\n'
                           '[network]\npath = "city.gpkg"\n')
    with pytest.raises(ConfigError) as e:
        floodrisk.load_study(cfg)
    msg = names(e.value, path=cfg, field="crs")
    assert "geographic" in msg


def test_bad_network_in_a_study(city, names):
    city.dem()
    gpkg = city.gpkg(city.set("conduits", "C3", "from_node", "J7"))
    with pytest.raises(NetworkError) as e:
        floodrisk.load_study(city.config())
    names(e.value, path=gpkg.resolve(), layer="conduits", feature="C3", field="from_node")


def test_missing_layer_file_is_looked_for_next_to_the_config(city, tmp_path_factory,
                                                              monkeypatch, names):
    city.dem()
    city.gpkg()
    cfg = city.config(text='[dem]\npath = "dem.tif"\n[network]\npath = "city.gpkg"\n'
                           'layers = { conduits = "pipes.geojson" }\n')
    elsewhere = tmp_path_factory.mktemp("cwd")
    monkeypatch.chdir(elsewhere)
    (elsewhere / "pipes.geojson").write_text("a different file that must not be read")
    with pytest.raises(InputFileError) as e:
        floodrisk.load_study(cfg)
    names(e.value, path=(city.root / "pipes.geojson").resolve())
    assert "not found" in str(e.value)
