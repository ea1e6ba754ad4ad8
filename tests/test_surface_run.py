"""`floodrisk run --engine surface`: the 2D model of the demo city's storm in a run folder.

The demo city plants weak spots (``weak_spots`` layer): depressions with no inlet, a pump
station on low ground and a road underpass must pond deeper than the 0.15 m waterlogging
threshold under the 50-year storm; the streets above the undersized pipes must not (the
2D-only run lets every pipe take its full capacity).
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio

from floodrisk.config import SurfaceConfig, load_config
from floodrisk.io.study import read_study
from floodrisk.pipeline import run_study
from floodrisk.surface_inputs import building_mask

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "configs" / "demo.toml"


@pytest.fixture(scope="module")
def cfg():
    return load_config(DEMO)


@pytest.fixture(scope="module")
def surface_run(cfg, tmp_path_factory):
    stages: list[str] = []
    outcome = run_study(cfg, tmp_path_factory.mktemp("runs"), name="surface",
                        engine="surface", inputs=False, progress=stages.append)
    return outcome, stages


def _read(path: Path) -> tuple[np.ndarray, rasterio.DatasetReader]:
    with rasterio.open(path) as src:
        return src.read(1), src


def test_outputs_and_volume_balance(surface_run, cfg):
    outcome, stages = surface_run
    run = outcome.path
    pct = [float(s.split()[1]) for s in stages if s.startswith("surface ")]
    assert pct and pct[-1] == 100.0 and pct == sorted(pct)
    for f in ("max_depth.tif", "max_velocity.tif", "time_of_max_depth.tif",
              "first_wet_time.tif", "duration_over.tif", "entrance_depth.csv",
              "max_depth.png"):
        assert (run / f).is_file(), f
    m = json.loads((run / "manifest.json").read_text())["surface"]
    v = m["volume_balance_m3"]
    assert abs(m["volume_error_rel"]) <= 1e-10
    assert v["initial"] + v["rain"] + v["inflow"] == pytest.approx(
        v["boundary_outflow"] + v["losses"] + v["final"], rel=1e-10)
    # the rain that fell: the storm's depth over every cell of the domain but the
    # buildings (blocked cells take no rain)
    study = read_study(cfg)
    storm = cfg.scenario.build(study_storm(cfg))
    blocked = building_mask(study.terrain, study.assets.buildings)
    cells = int((study.terrain.valid & ~blocked).sum())
    depth_m = storm.storm.depth_between(0.0, storm.simulated_seconds) / 1000.0
    assert v["rain"] == pytest.approx(depth_m * cells * study.terrain.cell_area, rel=1e-9)
    assert blocked.sum() > 1000
    depth, _ = _read(run / "max_depth.tif")
    assert np.all(np.isnan(depth[blocked]))
    s = outcome.summary["surface"]
    assert s["max_depth_m"] == pytest.approx(float(np.nanmax(depth)), abs=5e-4)
    assert s["area_over_threshold_m2"] == pytest.approx(
        float((np.nan_to_num(depth) > 0.15).sum() * study.terrain.cell_area))


def study_storm(cfg):
    from floodrisk.io.rainfall import read_storm
    return read_storm(cfg.storm)[0]


def test_planted_weak_spots_pond_and_streets_over_the_pipes_do_not(surface_run):
    outcome, _ = surface_run
    depth, _ = _read(outcome.path / "max_depth.tif")
    spots = gpd.read_file(ROOT / "data" / "demo" / "city.gpkg", layer="weak_spots")
    with rasterio.open(outcome.path / "max_depth.tif") as src:
        rc = [src.index(g.x, g.y) for g in spots.geometry]
    at = np.array([depth[r, c] for r, c in rc])
    kinds = spots["kind"].to_numpy()
    ponds = np.isin(kinds, ["depression_no_inlet", "low_station", "underpass"])
    assert ponds.sum() == 5
    assert np.all(at[ponds] > 0.15), dict(zip(spots["spot_id"], at))
    assert np.all(at[kinds == "undersized_pipe"] < 0.15)
    # deepest water where the terrain holds it: the deepest cell lies in a planted bowl
    first, _ = _read(outcome.path / "first_wet_time.tif")
    over, _ = _read(outcome.path / "duration_over.tif")
    for r, c in [rc[k] for k in np.flatnonzero(ponds)]:
        assert 0 < first[r, c] < 5 * 3600 and over[r, c] > 0


def test_entrance_series(surface_run):
    outcome, _ = surface_run
    series = pd.read_csv(outcome.path / "entrance_depth.csv", header=[0, 1], index_col=0)
    names = set(series.columns.get_level_values(0))
    entrances = gpd.read_file(ROOT / "data" / "demo" / "city.gpkg", layer="entrances")
    assert names == set(entrances["entrance_id"])      # every entrance is on the grid
    step = np.diff(series.index.to_numpy(dtype=float))
    assert np.all(step <= 30.0 + 1e-9)
    depth = series.xs("depth", axis=1, level=1)
    assert (depth.to_numpy() >= 0).all()
    peaks = outcome.summary["surface"]["entrances"]
    for name, peak in peaks.items():
        assert depth[name].max() == pytest.approx(peak, abs=5e-4)


def test_pipes_as_a_loss_leave_less_water(cfg, surface_run, tmp_path):
    outcome, _ = surface_run
    no_pipes = cfg.model_copy(update={"surface": SurfaceConfig(pipe_drainage=False)})
    other = run_study(no_pipes, tmp_path, name="nopipes", engine="surface", inputs=False)
    a, b = outcome.summary["surface"], other.summary["surface"]
    assert b["final_m3"] > a["final_m3"] and b["area_over_threshold_m2"] > a[
        "area_over_threshold_m2"]
    assert b["rain_m3"] == pytest.approx(a["rain_m3"])
