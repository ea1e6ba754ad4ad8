"""Filling, flow directions and depressions against analytic and hand-worked terrains."""

import math

import geopandas as gpd
import numpy as np
import pytest
from affine import Affine

import floodrisk
from floodrisk.errors import InputError
from floodrisk.grid import Grid
from floodrisk.terrain import (
    D8_NODATA,
    D8_OUTLET,
    depression_polygons,
    downstream_index,
    fill_depressions,
    find_depressions,
)

CRS = "EPSG:4547"


def grid_of(z, cell=1.0):
    return Grid(np.asarray(z, dtype=float), Affine(cell, 0, 500000, 0, -cell, 2500000), CRS)


# ---- the paraboloid bowl ---------------------------------------------------------------
# z = a r² inside the rim radius R, a plateau at the rim height a R² outside it; cells of
# h = 1 m, the bowl's axis on the centre of cell (60, 60) of a 121 × 121 grid.
A_BOWL, R_BOWL, N_BOWL = 0.001, 50.0, 121


def paraboloid(centre=(60, 60)):
    ii, jj = np.mgrid[0:N_BOWL, 0:N_BOWL]
    r2 = (ii - centre[0]) ** 2.0 + (jj - centre[1]) ** 2.0
    return np.where(r2 < R_BOWL**2, A_BOWL * r2, A_BOWL * R_BOWL**2)


def test_paraboloid_volume_depth_area():
    z = paraboloid()
    deps = find_depressions(grid_of(z))
    assert len(deps) == 1
    row = deps.table.loc[1]
    spill = A_BOWL * R_BOWL**2                     # 2.5 m, exact in binary
    # the exact discrete sums over the cells deeper than the 1 mm threshold
    d = spill - z
    cells = d > 0.001
    assert row.spill_elev == spill
    assert row.max_depth == spill                  # the axis is on a cell centre
    assert (row.pit_row, row.pit_col) == (60, 60)
    assert row.n_cells == cells.sum()
    assert row.area == cells.sum() * 1.0
    assert row.volume == pytest.approx(d[cells].sum(), rel=1e-12)
    # the continuous bowl: V = π a R⁴ / 2 = 9817.48 m³. The midpoint rule errs by
    # O((h/R)²) = 4e-4 in the interior and the rim cells cost little because the depth
    # vanishes linearly there, so 0.1 % (measured 1.2e-5).
    assert row.volume == pytest.approx(math.pi * A_BOWL * R_BOWL**4 / 2, rel=1e-3)
    # area π R² = 7854 m²: the ~2πR/h = 314 cells cut by the rim are counted by their
    # centres, which averages out to well within 1 % (measured 0.37 %)
    assert row.area == pytest.approx(math.pi * R_BOWL**2, rel=0.01)
    assert deps.labels[60, 60] == 1 and deps.labels[0, 0] == 0
    # the bowl's water leaves through a rim cell at the spill level, off the edge
    assert row.downstream_id == 0
    assert z[int(row.spill_row), int(row.spill_col)] == spill


def test_paraboloid_polygon():
    deps = find_depressions(grid_of(paraboloid(), cell=2.0))
    poly = depression_polygons(deps)
    assert len(poly) == 1 and poly.crs == CRS
    assert poly.geometry.iloc[0].area == pytest.approx(poly["area"].iloc[0], rel=1e-12)
    assert poly.index.name == "depression_id"
    x, y = deps.table.loc[1, ["pit_x", "pit_y"]]
    assert poly.contains(gpd.points_from_xy([x], [y])[0]).all()


# ---- filling by hand --------------------------------------------------------------------

def test_fill_small_pit_by_hand():
    # a 5 × 5 grid; the pit (2, 2) at 1.0 is closed by a ring whose lowest cell (2, 3)
    # stands at 3.0, so the pit fills to 3.0 and spills east through (2, 3).
    z = np.array([[9, 9, 9, 9, 9],
                  [9, 5, 5, 5, 9],
                  [9, 5, 1, 3, 2],
                  [9, 5, 5, 5, 9],
                  [9, 9, 9, 9, 9]], dtype=float)
    t = fill_depressions(grid_of(z, cell=10.0))
    want = z.copy()
    want[2, 2] = 3.0
    np.testing.assert_array_equal(t.filled.values, want)
    deps = find_depressions(t)
    row = deps.table.loc[1]
    assert (row.spill_elev, row.max_depth, row.volume, row.area) == (3.0, 2.0, 200.0, 100.0)
    assert (row.spill_row, row.spill_col) == (2, 3) and row.downstream_id == 0
    # the pit drains to its spill cell, which drains to the low edge cell (2, 4)
    ds = downstream_index(t.d8)
    assert ds[2, 2] == 2 * 5 + 3 and ds[2, 3] == 2 * 5 + 4
    assert t.d8[2, 4] == D8_OUTLET


def test_flow_directions_on_a_tilted_plane():
    # z falls 1 m per cell eastwards: every interior cell drains east (code 1); every
    # border cell is an outlet; nothing fills.
    z = np.tile(np.arange(8, 0, -1, dtype=float), (6, 1))
    t = fill_depressions(grid_of(z))
    np.testing.assert_array_equal(t.filled.values, z)
    assert (t.d8[1:-1, 1:-1] == 1).all()
    border = np.ones(z.shape, bool)
    border[1:-1, 1:-1] = False
    assert (t.d8[border] == D8_OUTLET).all()
    assert len(find_depressions(t)) == 0


def test_fill_matches_brute_force_minimax_on_random_terrain():
    # the filled level of a cell is the least, over paths to an outlet, of the highest
    # ground on the path: iterate f = max(z, least neighbour f) down to its fixed point
    rng = np.random.default_rng(11)
    z = np.round(rng.random((14, 17)) * 10, 1)   # many ties and flats
    z[rng.random(z.shape) < 0.08] = np.nan
    valid = ~np.isnan(z)
    near_nan = np.pad(~valid, 1)
    near_nan = np.stack([near_nan[1 + dr:15 + dr, 1 + dc:18 + dc]
                         for dr in (-1, 0, 1) for dc in (-1, 0, 1)]).any(axis=0)
    outlet = valid & near_nan
    outlet[0, :] |= valid[0, :]
    outlet[-1, :] |= valid[-1, :]
    outlet[:, 0] |= valid[:, 0]
    outlet[:, -1] |= valid[:, -1]
    f = np.where(outlet, z, np.inf)
    for _ in range(z.size):
        p = np.pad(np.where(valid, f, np.inf), 1, constant_values=np.inf)
        least = np.stack([p[1 + dr:15 + dr, 1 + dc:18 + dc]
                          for dr in (-1, 0, 1) for dc in (-1, 0, 1) if dr or dc]).min(axis=0)
        new = np.where(outlet, z, np.maximum(z, least))
        if np.array_equal(new[valid], f[valid]):
            break
        f = new
    t = fill_depressions(grid_of(z))
    np.testing.assert_array_equal(t.filled.values[valid], f[valid])
    assert np.isnan(t.filled.values[~valid]).all()
    np.testing.assert_array_equal(t.d8 == D8_OUTLET, outlet)
    assert (t.d8[~valid] == D8_NODATA).all()
    # every path ends at an outlet, never at a cell outside the domain
    deps = find_depressions(t)
    assert (deps.sinks[valid] >= 0).all() and (deps.sinks[~valid] == -1).all()
    ds = downstream_index(t.d8)
    assert valid.ravel()[ds[ds >= 0]].all()


# ---- outlets: the edge, NaN cells, options ---------------------------------------------

def test_pit_at_the_edge_drains_off():
    # the same bowl with its axis on the west edge: half a bowl open to the outside
    z = paraboloid(centre=(60, 0))
    assert len(find_depressions(grid_of(z))) == 0
    assert len(find_depressions(grid_of(z), outlets="lowest")) == 0
    # with a closed edge and one outlet at the far corner it holds half the bowl
    corner = np.zeros(z.shape, bool)
    corner[-1, -1] = True
    deps = find_depressions(grid_of(z), outlets="none", outlet_cells=corner)
    assert len(deps) == 1
    row = deps.table.loc[1]
    assert row.spill_elev == 2.5 and row.max_depth == 2.5
    d = 2.5 - z
    assert row.volume == pytest.approx(d[d > 0.001].sum(), rel=1e-12)
    # half the bowl, plus the half-cell strip west of the axis that column 0 covers:
    # π a R⁴/4 + (h/2)·∫ a(R² − y²) dy over |y| < R = π a R⁴/4 + (h/2)·4aR³/3
    half = math.pi * A_BOWL * R_BOWL**4 / 4 + 0.5 * 4 * A_BOWL * R_BOWL**3 / 3
    assert row.volume == pytest.approx(half, rel=1e-3)


def test_no_outlet_is_an_error():
    with pytest.raises(InputError, match="no outlet"):
        fill_depressions(grid_of(np.ones((4, 4))), outlets="none")
    with pytest.raises(InputError):
        fill_depressions(grid_of(np.ones((4, 4))), outlets="sides")


def test_nan_cells_are_outlets_or_walls():
    z = np.full((7, 7), 5.0)
    z[3, 3] = 1.0          # a pit ...
    z[3, 4] = np.nan       # ... beside a hole in the domain
    assert len(find_depressions(grid_of(z))) == 0           # drains into the hole
    deps = find_depressions(grid_of(z), nan_outlets=False)   # the hole is a wall
    assert len(deps) == 1
    assert deps.table.loc[1, "spill_elev"] == 5.0 and deps.table.loc[1, "volume"] == 4.0
    assert deps.labels[3, 4] == -1
    assert np.isnan(deps.label_grid().values[3, 4])


def test_flat_plane_has_no_depressions():
    for z in (np.full((30, 40), 12.5), 12.5 + 0.01 * np.arange(40.0)[None, :].repeat(30, 0)):
        t = fill_depressions(grid_of(z))
        np.testing.assert_array_equal(t.filled.values, z)
        deps = find_depressions(t)
        assert len(deps) == 0 and (deps.sinks == 0).all()
        assert len(depression_polygons(deps)) == 0


def test_threshold_and_options_are_checked():
    z = grid_of(np.ones((3, 3)))
    with pytest.raises(InputError):
        find_depressions(z, threshold=0.0)
    with pytest.raises(InputError):
        fill_depressions(z, outlet_cells=np.zeros((2, 2), bool))


# ---- a chain of depressions --------------------------------------------------------------

def test_downstream_links_and_catchments_on_random_terrain():
    from scipy import ndimage
    rng = np.random.default_rng(5)
    z = ndimage.gaussian_filter(rng.standard_normal((120, 150)), 2) * 3 + 40
    deps = find_depressions(grid_of(z, cell=2.0))
    t = deps.table
    assert len(t) > 20 and (t.downstream_id > 0).sum() > 5
    # overflow goes to an equal or lower pool; the topological order puts upstream first
    linked = t[t.downstream_id > 0]
    assert (t.loc[linked.downstream_id, "spill_elev"].to_numpy()
            <= linked.spill_elev.to_numpy()).all()
    pos = {d: i for i, d in enumerate(deps.order)}
    assert all(pos[k] < pos[d] for k, d in linked.downstream_id.items())
    # catchments partition the domain with the edge; totals add up along the links
    edge = (deps.sinks == 0).sum() * 4.0
    assert t.catchment_area.sum() + edge == pytest.approx(z.size * 4.0)
    assert (t.total_catchment_area >= t.catchment_area).all()
    for k in t.index[:10]:
        ups = t.index[t.downstream_id == k]
        assert t.total_catchment_area[k] == pytest.approx(
            t.catchment_area[k] + t.total_catchment_area[ups].sum())
    # volume, depth and area agree with the filled surface cell by cell
    depth = deps.terrain.depth
    for k in (1, len(t) // 2, len(t)):
        cells = deps.labels == k
        assert t.volume[k] == pytest.approx(depth[cells].sum() * 4.0, rel=1e-12)
        assert t.max_depth[k] == pytest.approx(depth[cells].max(), abs=1e-12)
        assert (depth[cells] > deps.threshold).all()


# ---- the demo city -----------------------------------------------------------------------

def test_demo_city_depressions_match_the_planted_weak_spots():
    dem = floodrisk.load_dem("data/demo/dem.tif")
    deps = find_depressions(dem)
    spots = gpd.read_file("data/demo/city.gpkg", layer="weak_spots")
    spots = spots[spots["kind"] == "depression_no_inlet"]
    assert len(spots) >= 2
    ids = deps.label_grid().sample(spots.geometry.x.to_numpy(), spots.geometry.y.to_numpy())
    assert (ids > 0).all()
    found = deps.table.loc[ids.astype(int)]
    np.testing.assert_allclose(found["max_depth"], spots["depth"], rtol=0.2)
    # the generator's planted area (4-neighbour fill of a window) is matched loosely
    np.testing.assert_allclose(found["area"], spots["area"], rtol=0.2)
