"""The screening run on the demo city finds the weak spots the generator built into it."""

from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import rasterio

from floodrisk.pipeline import screen_study

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return screen_study(ROOT / "configs" / "demo.toml", tmp_path_factory.mktemp("runs"))


@pytest.fixture(scope="module")
def weak():
    return gpd.read_file(ROOT / "data" / "demo" / "city.gpkg", layer="weak_spots")


def test_layers_and_grids(run):
    layers = {name for name, _ in pyogrio.list_layers(run.path / "screening.gpkg")}
    assert {"pipe_capacity", "depressions"} <= layers
    pipes = gpd.read_file(run.path / "screening.gpkg", layer="pipe_capacity")
    for col in ("link_id", "design_flow", "full_capacity", "capacity_ratio",
                "capacity_return_period", "capacity_class"):
        assert col in pipes
    with rasterio.open(run.path / "ponded_depth.tif") as src:
        assert src.crs.to_epsg() == 4547 and src.units[0] == "m"
        depth = src.read(1)
    deps = gpd.read_file(run.path / "screening.gpkg", layer="depressions")
    # The depth grid's volume equals the water the depressions store (5 m cells).
    assert np.nansum(depth) * 25.0 == pytest.approx(deps["stored"].sum(), rel=1e-9)
    assert run.summary["screening"]["ponded_volume_m3"] == pytest.approx(deps["stored"].sum(),
                                                                         abs=0.1)


def test_undersized_runs_fall_below_one_year(run, weak):
    pipes = gpd.read_file(run.path / "screening.gpkg", layer="pipe_capacity").set_index("link_id")
    undersized = weak.loc[weak["kind"] == "undersized_pipe", "feature_id"]
    assert len(undersized) >= 2
    assert (pipes.loc[undersized, "capacity_class"] == "< 1 a").all()
    assert (pipes.loc[undersized, "capacity_return_period"] < 1.0).all()


def test_depressions_without_inlets_hold_water(run, weak):
    deps = gpd.read_file(run.path / "screening.gpkg", layer="depressions")
    spots = weak[weak["kind"] == "depression_no_inlet"]
    assert len(spots) >= 2
    hit = gpd.sjoin(spots[["spot_id", "geometry"]], deps, predicate="within")
    assert set(hit["spot_id"]) == set(spots["spot_id"])
    assert (hit["stored"] > 0).all()
    # Their recorded depth (the generator's own fill) matches the depression found, ±20 %.
    for _, row in hit.iterrows():
        depth = spots.set_index("spot_id").loc[row["spot_id"], "depth"]
        assert row["max_depth"] == pytest.approx(depth, rel=0.2)


def test_manifest_says_what_the_storm_was(run):
    s = run.summary
    assert s["storm"]["total_depth_mm"] > 0
    assert "Zhengzhou" in s["capacity"]["formula"] and "unverified" in s["capacity"]["formula"]
