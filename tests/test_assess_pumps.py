"""Pump station and facility sites against the water of a run, worked out by hand."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from affine import Affine
from shapely.geometry import Point

from floodrisk.assess.pumps import SiteSettings, assess_sites
from floodrisk.errors import InputError
from floodrisk.grid import Grid

CRS = "EPSG:4547"
X0, Y0, CELL = 500000.0, 3000000.0, 10.0


def centre(r: int, c: int) -> Point:
    return Point(X0 + CELL * (c + 0.5), Y0 - CELL * (r + 0.5))


@pytest.fixture
def site():
    """Flat ground at 10 m with a pit: cell (5, 5) at 9.0 m; depressions filled to 10 m.
    PS1 in the pit (water 1.4 m deep: level 10.4 m) with its equipment at 10.3 m; PS2 on
    the flat (water 0.2 m: level 10.2 m) with its equipment at 10.5 m; PS3 on a blocked
    (NaN) cell (2, 8) next to water 0.6 m deep at (2, 9), equipment at 10.5 m."""
    z = np.full((11, 11), 10.0)
    z[5, 5] = 9.0
    grid = Grid(z, Affine(CELL, 0, X0, 0, -CELL, Y0), CRS)
    depth = np.full(z.shape, 0.2)
    depth[5, 5] = 1.4
    depth[2, 8] = np.nan                       # the station's own building
    depth[2, 7] = 0.1
    depth[2, 9] = 0.6
    filled = np.full(z.shape, 10.0)
    p3 = centre(2, 8)
    sites = gpd.GeoDataFrame({"station_id": ["PS1", "PS2", "PS3"],
                              "equipment_elev": [10.3, 10.5, 10.5]},
                             geometry=[centre(5, 5), centre(8, 2), Point(p3.x + 3.0, p3.y)],
                             crs=CRS)
    return grid, depth, filled, sites


def test_site_depth_against_the_equipment_level(site):
    grid, depth, filled, sites = site
    out = assess_sites(sites, "station_id", grid, depth, filled=filled).set_index("station_id")
    assert out.loc["PS1", "max_water_level"] == pytest.approx(10.4)
    assert out.loc["PS1", "margin"] == pytest.approx(-0.1)          # 10.3 − 10.4
    assert out.loc["PS1", "failed"] and out.loc["PS1", "failure_cause"] == "flooded"
    assert out.loc["PS1", "depression_depth"] == pytest.approx(1.0)  # 10 − 9
    assert out.loc["PS1", "in_depression"] and out.loc["PS1", "relocate"]
    assert out.loc["PS1", "below_surroundings"] == pytest.approx(1.0)  # median 10 − 9
    assert math.isnan(out.loc["PS1", "failure_time"])                # no series, no time
    assert out.loc["PS2", "margin"] == pytest.approx(0.3)           # 10.5 − 10.2
    assert not out.loc["PS2", "failed"] and not out.loc["PS2", "relocate"]
    assert out.loc["PS2", "depression_depth"] == 0.0
    # PS3's point is 3 m east of its (blocked) cell's centre: the nearest active cell is
    # (2, 9) (7 m away; (2, 7) is 13 m): 0.6 m of water, level 10.6 m > 10.5 m
    assert out.loc["PS3", "max_site_depth"] == pytest.approx(0.6)
    assert out.loc["PS3", "failed"]


def test_failure_times_from_the_coupled_run_and_from_a_series(site):
    """PS1's series: depth 1.2 m at 600 s (level 10.2), 1.5 m at 900 s (level 10.5): the
    level crosses 10.3 m a third of the way, at 700 s. A coupled run's failure time (650 s)
    wins over the series."""
    grid, depth, filled, sites = site
    series = pd.DataFrame({("PS1", "depth"): [0.0, 1.2, 1.5], ("PS1", "velocity"): [0, 0, 0]},
                          index=pd.Index([0.0, 600.0, 900.0], name="time"))
    out = assess_sites(sites, "station_id", grid, depth, series=series).set_index("station_id")
    assert out.loc["PS1", "failure_time"] == pytest.approx(700.0)
    assert math.isnan(out.loc["PS1", "depression_depth"])            # no filled terrain given
    failures = pd.DataFrame({"station_id": ["PS1", "PS2"], "failed_at": [650.0, np.nan],
                             "cause": ["flooded", ""]})
    out = assess_sites(sites, "station_id", grid, depth, series=series,
                       failures=failures).set_index("station_id")
    assert out.loc["PS1", "failure_time"] == 650.0
    assert math.isnan(out.loc["PS2", "failure_time"]) and not out.loc["PS2", "failed"]


def test_errors(site):
    grid, depth, _, sites = site
    with pytest.raises(InputError) as e:
        assess_sites(sites.drop(columns="equipment_elev"), "station_id", grid, depth)
    assert e.value.field == "equipment_elev"
    with pytest.raises(InputError) as e:
        SiteSettings(depression_depth=-1)
    assert e.value.field == "depression_depth"
    assert len(assess_sites(sites.iloc[:0], "station_id", grid, depth)) == 0


def test_failure_cost_by_hand():
    """4 cells of 25 m². Baseline depths 0.10, 0.20, 0.00, NaN; with the failure 0.30, 0.25,
    0.10, NaN: flooded (> 0.15 m) 1 cell → 2 cells: +25 m², newly flooded 25 m² (the first
    cell); volume (0.20 + 0.05 + 0.10) × 25 = 8.75 m³; deepest extra 0.20 m."""
    from floodrisk.assess.pumps import failure_cost

    base = np.array([[0.10, 0.20], [0.0, np.nan]])
    failed = np.array([[0.30, 0.25], [0.10, np.nan]])
    c = failure_cost(failed, base, 25.0)
    assert c["extra_flooded_area_m2"] == 25.0 and c["newly_flooded_area_m2"] == 25.0
    assert c["extra_volume_m3"] == pytest.approx(8.75, rel=1e-12)
    assert c["max_extra_depth_m"] == pytest.approx(0.20, rel=1e-12)
    with pytest.raises(InputError):
        failure_cost(failed, base[:1], 25.0)
