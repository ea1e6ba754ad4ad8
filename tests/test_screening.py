"""Fill-spill screening against hand-worked storms, analytic pools and volume balance."""

import math

import numpy as np
import pytest
from affine import Affine
from scipy import ndimage

import floodrisk
from floodrisk.engines.screening import ScreeningSettings, route_runoff, screen
from floodrisk.errors import InputError
from floodrisk.grid import Grid
from floodrisk.terrain import find_depressions

CRS = "EPSG:4547"


def grid_of(z, cell=1.0):
    return Grid(np.asarray(z, dtype=float), Affine(cell, 0, 500000, 0, -cell, 2500000), CRS)


# ---- two pits in series -------------------------------------------------------------------
# 10 m cells (100 m² each). The border is the edge (outlets); (2, 8) is a low exit.
# Pit A (2, 3) at 3.0 is closed at 4.0 by its spill cell (2, 4): 1 m × 100 m² = 100 m³.
# Pit B (2, 6) at 0.5 is closed at 2.0 by (2, 7): 1.5 m × 100 m² = 150 m³.
# Runoff takes the steepest descent of the ground (drop / centre distance, worked out
# cell by cell; e.g. (1, 4) at 5: to A (2, 3) 2/14.1 = 0.141, to (2, 4) 0.1, to
# (2, 5) 1.5/14.1 = 0.106, so into A):
#   to A: A, (1..3, 1), (1..3, 2), (1, 3), (3, 3), (1, 4), (2, 4), (3, 4)  12 cells, 1200 m²
#   to B: B, (2, 5), (1, 5), (3, 5), (1, 6), (3, 6)                         6 cells,  600 m²
#   off the edge: (1, 7), (2, 7), (3, 7) (to the exit (2, 8)) and the 24 border cells
# A, once full, overflows through its spill cell (2, 4) and down the filled surface
# (2, 4) → (2, 5) → B; B overflows through (2, 7) off the edge.
SERIES = np.array([
    [9, 9, 9, 9, 9, 9, 9, 9, 9],
    [9, 6, 5, 5, 5, 5, 3, 3, 9],
    [9, 6, 5, 3, 4, 3.5, 0.5, 2, 0],
    [9, 6, 5, 5, 5, 5, 3, 3, 9],
    [9, 9, 9, 9, 9, 9, 9, 9, 9]])


def test_two_pits_in_series_by_hand():
    dem = grid_of(SERIES, cell=10.0)
    deps = find_depressions(dem)
    t = deps.table
    assert len(t) == 2
    assert t.loc[1, ["pit_row", "pit_col", "spill_row", "spill_col"]].tolist() == [2, 3, 2, 4]
    assert t.loc[2, ["pit_row", "pit_col", "spill_row", "spill_col"]].tolist() == [2, 6, 2, 7]
    assert t.volume.tolist() == [100.0, 150.0]
    assert t.spill_elev.tolist() == [4.0, 2.0]
    assert t.downstream_id.tolist() == [2, 0]
    assert t.catchment_area.tolist() == [1200.0, 600.0]
    assert t.total_catchment_area.tolist() == [1200.0, 1800.0]

    # storm: 300 mm of rain, runoff coefficient 0.5, the pipes take 25 mm
    # → runoff 0.3·0.5 − 0.025 = 0.125 m on every cell
    rain, psi, pipes = 0.300, 0.5, 0.025
    res = screen(dem, rain * psi - pipes, runoff_coefficient=psi)
    r = res.table
    # A gets 1200·0.125 = 150 m³, keeps 100 and spills 50 into B;
    # B gets 600·0.125 + 50 = 125 m³ < 150 and keeps it all;
    # the edge gets 27 cells · 100 m² · 0.125 m = 337.5 m³
    assert r.runoff_in.tolist() == pytest.approx([150.0, 75.0], rel=1e-12)
    assert r.inflow.tolist() == pytest.approx([150.0, 125.0], rel=1e-12)
    assert r.stored.tolist() == pytest.approx([100.0, 125.0], rel=1e-12)
    assert r.overflow.tolist() == pytest.approx([50.0, 0.0], abs=1e-12)
    assert r.filled_fraction.tolist() == pytest.approx([1.0, 125 / 150], rel=1e-12)
    b = res.balance
    assert b["runoff"] == pytest.approx(45 * 100 * 0.125, rel=1e-12)
    assert b["stored"] == pytest.approx(225.0, rel=1e-12)
    assert b["lost_edge"] == pytest.approx(337.5, rel=1e-12)
    assert abs(b["error"]) < 1e-12
    # pools: A full at 4.0 (1 m deep); B a single cell holding 125 m³ → 1.25 m deep
    assert r.water_level.tolist() == pytest.approx([4.0, 0.5 + 1.25], rel=1e-12)
    assert res.depth.values[2, 3] == pytest.approx(1.0)
    assert res.depth.values[2, 6] == pytest.approx(1.25)
    assert res.depth.values.sum() == pytest.approx(2.25)
    # first overflow, uniform rain and no pipes:
    #   A: 100 m³ / 1200 m² = 0.0833 m of runoff → / ψ = 166.7 mm of rain
    #   B alone would need 150/600 = 0.25 m, but A spills from 0.0833 m on:
    #   600 e + (1200 e − 100) = 150 → e = 250/1800 = 0.1389 m → 277.8 mm of rain
    assert r.overflow_rain_mm.tolist() == pytest.approx(
        [1000 * 100 / 1200 / psi, 1000 * 250 / 1800 / psi], rel=1e-12)
    # with ψ = 1 the column is the effective-rain (runoff) depth itself
    res1 = screen(deps, 0.125)
    assert res1.table.overflow_rain_mm.tolist() == pytest.approx([1000 / 12, 1000 * 250 / 1800])
    assert res1.table.stored.tolist() == pytest.approx([100.0, 125.0])


def test_two_pits_heavier_storm_spills_off_the_edge():
    deps = find_depressions(grid_of(SERIES, cell=10.0))
    # 0.2 m of runoff: A gets 240, keeps 100, spills 140; B gets 120 + 140 = 260, keeps
    # 150 and spills 110 off the edge; the edge also takes 27·100·0.2 = 540 directly.
    res = route_runoff(deps, 0.2)
    assert res.table.stored.tolist() == pytest.approx([100.0, 150.0])
    assert res.table.overflow.tolist() == pytest.approx([140.0, 110.0])
    assert res.balance["lost_edge"] == pytest.approx(650.0)
    assert res.balance["runoff"] == pytest.approx(900.0)
    assert res.table.filled_fraction.tolist() == [1.0, 1.0]
    assert res.depth.values[2, 6] == 1.5


def test_runoff_array_is_clipped_and_checked():
    deps = find_depressions(grid_of(SERIES, cell=10.0))
    runoff = np.full(SERIES.shape, -0.05)      # the pipes take more than falls ...
    runoff[2, 2] = 0.5                          # ... except on one cell draining to A
    res = route_runoff(deps, runoff)
    assert res.table.stored.tolist() == pytest.approx([50.0, 0.0])
    assert res.balance["runoff"] == pytest.approx(50.0)
    assert res.table.water_level[2] == deps.table.bottom_elev[2]
    bad = runoff.copy()
    bad[1, 1] = np.nan
    with pytest.raises(InputError, match="row 1, col 1"):
        route_runoff(deps, bad)
    with pytest.raises(InputError):
        route_runoff(deps, np.zeros((3, 3)))
    with pytest.raises(InputError):
        route_runoff(deps, 0.1, runoff_coefficient=-1.0)


# ---- an analytic pool: the paraboloid bowl half full ------------------------------------

def test_paraboloid_half_full_stands_at_the_analytic_level():
    a, R, n = 0.001, 50.0, 121          # z = a r² inside R, plateau at a R² = 2.5 m outside
    ii, jj = np.mgrid[0:n, 0:n]
    r2 = (ii - 60.0) ** 2 + (jj - 60.0) ** 2
    z = np.where(r2 < R**2, a * r2, a * R**2)
    deps = find_depressions(grid_of(z))
    volume = deps.table.volume[1]
    runoff = np.where(deps.labels == 1, 0.5 * volume / deps.table.n_cells[1], 0.0)
    res = route_runoff(deps, runoff)
    assert res.table.stored[1] == pytest.approx(volume / 2, rel=1e-12)
    assert res.balance["ponded"] == pytest.approx(volume / 2, rel=1e-12)
    # V(h) = π h² / (2a) for the continuous bowl, so V/2 = πaR⁴/4 stands at h = aR²/√2;
    # the discrete volumes differ by 1e-5 (see test_terrain), the levels by less
    level = res.table.water_level[1]
    assert level == pytest.approx(a * R**2 / math.sqrt(2), rel=2e-3)
    # the wet area is the disc r < √(h/a): π h / a, within the rim-cell count (1 %)
    assert res.table.ponded_area[1] == pytest.approx(math.pi * level / a, rel=0.01)
    assert res.depth.values[60, 60] == pytest.approx(level)
    assert res.depth.values[0, 0] == 0.0


# ---- no depressions, NaN cells ----------------------------------------------------------

def test_flat_plane_loses_everything_off_the_edge():
    res = screen(grid_of(np.full((20, 30), 7.0), cell=5.0), 0.04)
    assert len(res.table) == 0
    assert (res.depth.values == 0).all()
    assert res.balance["stored"] == 0.0
    assert res.balance["lost_edge"] == pytest.approx(20 * 30 * 25 * 0.04)
    assert res.balance["error"] == pytest.approx(0.0, abs=1e-9)


def test_nan_cells_are_outside_and_walls_when_asked():
    z = np.full((7, 7), 5.0)
    z[3, 3] = 1.0
    z[3, 4] = np.nan
    runoff = np.full(z.shape, 0.1)
    runoff[3, 4] = np.nan                      # NaN runoff outside the domain is fine
    open_ = screen(grid_of(z), runoff)
    assert len(open_.table) == 0 and np.isnan(open_.depth.values[3, 4])
    assert open_.balance["runoff"] == pytest.approx(48 * 0.1)
    walled = screen(grid_of(z), runoff, settings=ScreeningSettings(nan_outlets=False))
    assert len(walled.table) == 1
    # the pit and its 7 valid neighbours, which slope into it, drain to it; how much of
    # the flat beyond joins them depends on the breadth-first routing of flats
    sinks = walled.depressions.sinks
    assert (sinks[2:5, 2:5][~np.isnan(z[2:5, 2:5])] == 1).all()
    area = walled.table.catchment_area[1]
    assert area == (sinks == 1).sum() * 1.0 and area >= 8.0
    assert walled.table.stored[1] == pytest.approx(0.1 * area)
    assert np.isnan(walled.labels.values[3, 4]) and walled.labels.values[3, 3] == 1


def test_settings_are_range_checked():
    with pytest.raises(InputError):
        ScreeningSettings(depth_threshold=0.0)
    with pytest.raises(InputError):
        ScreeningSettings(outlets="sideways")


# ---- random terrain: balance to round-off, first overflow exact --------------------------

def test_volume_balance_and_overflow_rain_on_random_terrain():
    rng = np.random.default_rng(2024)
    z = ndimage.gaussian_filter(rng.standard_normal((150, 180)), 2.5) * 4 + 60
    z[rng.random(z.shape) < 0.01] = np.nan
    deps = find_depressions(grid_of(z, cell=2.0))
    assert len(deps) > 30 and (deps.table.downstream_id > 0).sum() > 5
    runoff = rng.random(z.shape) * 0.08
    res = route_runoff(deps, runoff)
    b = res.balance
    assert 0 < b["stored"] < b["runoff"] and b["lost_edge"] > 0
    assert abs(b["error"]) <= 1e-12 * b["runoff"]
    assert b["ponded"] == pytest.approx(b["stored"], rel=1e-12)
    assert b["runoff"] == pytest.approx(np.nansum(np.where(np.isnan(z), 0, runoff)) * 4.0,
                                        rel=1e-12)
    t = res.table
    assert ((t.stored <= t.volume * (1 + 1e-12)) & (t.overflow >= 0)).all()
    assert (t.overflow[t.filled_fraction < 1] == 0).all()
    # overflow_rain_mm: uniform runoff of exactly that depth fills the depression to the
    # brim (to round-off); a hair less leaves it short, a hair more makes it overflow
    e = t.overflow_rain_mm.to_numpy() / 1000.0
    for k in t.index[np.argsort(-t.total_catchment_area.to_numpy())[:15]]:
        at = route_runoff(deps, e[k - 1]).table
        assert at.inflow[k] == pytest.approx(at.volume[k], rel=1e-9)
        assert route_runoff(deps, e[k - 1] * (1 - 1e-6)).table.overflow[k] == 0
        assert route_runoff(deps, e[k - 1] * (1 + 1e-6)).table.overflow[k] > 0


# ---- the demo city -----------------------------------------------------------------------

def test_demo_city_screening_balances():
    dem = floodrisk.load_dem("data/demo/dem.tif")
    res = screen(dem, 0.06)
    assert len(res.table) >= 3
    b = res.balance
    assert abs(b["error"]) <= 1e-12 * b["runoff"]
    assert b["ponded"] == pytest.approx(b["stored"], rel=1e-9)
    assert res.depth.crs == dem.crs and res.depth.shape == dem.shape
    assert float(np.nanmax(res.depth.values)) <= float(res.table.max_depth.max())


def test_excess_runoff_by_hand():
    from floodrisk.engines.screening import excess_runoff

    # Two 600 s steps of 36 and 72 mm/h (1e-5, 2e-5 m/s); the storm ends at 1200 s; ψ = 0.5.
    t = np.array([0.0, 600.0, 1200.0])
    i = np.array([1e-5, 2e-5, 0.0])
    r = np.array([[0.0, 1.5e-5], [3e-5, 1e-5]])
    got = excess_runoff(t, i, 0.5, r)
    # r = 0: 0.5 (0.006 + 0.012) = 0.009 m; r = 1.5e-5: 0.5 (0.5e-5 x 600) = 0.0015 m;
    # r = 3e-5 exceeds every step: 0; r = 1e-5: 0.5 (1e-5 x 600) = 0.003 m.
    np.testing.assert_allclose(got, [[0.009, 0.0015], [0.0, 0.003]], rtol=1e-12)
