"""2D surface engine: analytic cases (DOMAIN.md §7), volume balance, losses, hooks, bad input.

Every expected number is computed here from the analytic solution, independently of the
engine. Grids are tiny strips or boxes built in code; one thread keeps them quick.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from affine import Affine
from shapely.geometry import Point, box

from floodrisk.engines.surface import (
    GreenAmpt,
    Horton,
    Inflow,
    SurfaceModel,
    SurfaceSettings,
    simulate_surface,
)
from floodrisk.errors import InputError
from floodrisk.grid import Grid
from floodrisk.rainfall import Hyetograph

G = 9.81
ONE = SurfaceSettings(threads=1)


def grid(z: np.ndarray, dx: float) -> Grid:
    """Grid with its lower-left corner at (0, 0)."""
    return Grid(np.asarray(z, dtype=np.float64), Affine(dx, 0, 0, 0, -dx, z.shape[0] * dx))


def bumpy(rows: int, cols: int, dx: float) -> np.ndarray:
    x = (np.arange(cols) + 0.5) * dx
    y = (np.arange(rows) + 0.5) * dx
    xx, yy = np.meshgrid(x, y)
    return 0.4 + 0.35 * np.sin(xx / 3.1) * np.cos(yy / 4.3) + 0.2 * np.sin(xx / 17.0 + yy / 11.0)


# ---------------------------------------------------------------------------------------
# Lake at rest
# ---------------------------------------------------------------------------------------
def test_lake_at_rest_over_bumpy_partly_dry_bed():
    z = bumpy(30, 30, 1.0)
    level = 0.75
    depth = np.maximum(level - z, 0.0)
    assert 0.05 < (depth == 0).mean() < 0.5 and depth.max() > 0.6   # partly dry, deep
    model = SurfaceModel(grid(z, 1.0), 0.03, initial_depth=depth, settings=ONE)
    peak = [0.0]

    def watch(m, dt):
        wet = m.depth > 0.01
        u = np.abs(m.qx[:, 1:])[wet] / m.depth[wet]
        v = np.abs(m.qy[1:, :])[wet] / m.depth[wet]
        peak[0] = max(peak[0], u.max(), v.max())

    while model.stats().steps < 10_000:
        model.advance(model.t + 100.0, on_step=watch)
    res = model.result()
    assert res.stats.steps >= 10_000
    assert peak[0] < 1e-10
    assert np.nanmax(res.max_velocity) < 1e-10
    np.testing.assert_allclose(res.final_depth, depth, atol=1e-12)


# ---------------------------------------------------------------------------------------
# Volume balance
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype, bound", [("float64", 1e-10), ("float32", 1e-5)])
def test_closed_basin_keeps_rain_and_inflow(dtype, bound):
    rows, cols, dx = 40, 50, 2.0
    z = bumpy(rows, cols, dx)
    rain = Hyetograph([0, 300, 900, 1200], [80.0, 150.0, 20.0, 0.0])
    inflow = Inflow(Point(31.0, 41.0), [0, 200, 500, 700], [0.0, 0.6, 0.2, 0.0])
    area_in = Inflow(box(60, 10, 80, 30), [100, 400], [0.3, 0.3])
    model = SurfaceModel(grid(z, dx), 0.03, rain=rain, inflows=[inflow, area_in],
                         settings=SurfaceSettings(dtype=dtype, threads=1))
    lowest = [0.0]
    model.advance(1500.0, on_step=lambda m, dt: lowest.__setitem__(
        0, min(lowest[0], float(m.depth.min()))))
    vol = model.volume_balance()
    # expected volumes worked out by hand: rain depths × area, trapezoids of the inflows
    cells = rows * cols * dx * dx
    rain_m = (80 * 300 + 150 * 600 + 20 * 300) / 3.6e6
    inflow_m3 = 0.5 * 0.6 * 200 + 0.5 * (0.6 + 0.2) * 300 + 0.5 * 0.2 * 200 + 0.3 * 300
    assert vol.rain == pytest.approx(rain_m * cells, rel=1e-12)
    assert vol.inflow == pytest.approx(inflow_m3, rel=1e-12)
    assert abs(vol.relative_error) <= bound
    assert abs(vol.final - (rain_m * cells + inflow_m3)) <= bound * vol.final
    assert vol.boundary_outflow == 0 and vol.losses == 0
    assert lowest[0] >= 0.0


# ---------------------------------------------------------------------------------------
# Wet-dry front on a flat bed with friction (Hunter 2005; Bates et al. 2010)
# ---------------------------------------------------------------------------------------
def _front_case(dx: float, n: float, T: float = 3600.0, u: float = 1.0):
    """A 1-cell-wide flat strip fed at its west end by q(0, t) = u h(0, t)."""
    cols = int(1.3 * u * T / dx)
    terrain = grid(np.zeros((1, cols)), dx)
    ts = np.concatenate([np.linspace(0, 10, 101), np.arange(11.0, T + 1.0)])
    h0 = ((7.0 / 3.0) * n * n * u ** 3 * ts) ** (3.0 / 7.0)
    feed = Inflow(box(0, 0, dx, dx), ts, u * h0 * dx)
    model = SurfaceModel(terrain, n, inflows=[feed], settings=ONE)
    x = (np.arange(cols) + 0.5) * dx
    return model, x


def _record_mid(model, dx, u, T, until):
    """Discharge every step at a quarter of the front's run, once 1 cm deep there."""
    mid = int(0.25 * u * T / dx)
    rec = []
    model.advance(until, on_step=lambda m, dt: rec.append((float(m.depth[0, mid]),
                                                           float(m.qx[0, mid]))))
    a = np.array(rec)
    return a[a[:, 0] > 0.01, 1]


def _front_position(x: np.ndarray, h: np.ndarray, level: float) -> float:
    j = np.flatnonzero(h > level)[-1]
    return x[j] + (h[j] - level) / (h[j] - h[j + 1]) * (x[j + 1] - x[j])


@pytest.mark.parametrize("dx", [2.0, 5.0, 10.0])
def test_wet_dry_front_matches_hunter_solution(dx):
    n, u, T = 0.03, 1.0, 3600.0
    model, x = _front_case(dx, n, T, u)
    q_mid = _record_mid(model, dx, u, T, T)
    h = model.depth[0].astype(float)
    exact = ((7 / 3) * n * n * u * u * np.clip(u * T - x, 0, None)) ** (3 / 7)
    behind = x < 0.9 * u * T
    err = np.median(np.abs(h[behind] - exact[behind]) / exact[behind])
    assert err < 0.05                       # measured 1.0-1.1 %
    level = 0.05
    x_exact = u * T - level ** (7 / 3) / ((7 / 3) * n * n * u * u)
    front = _front_position(x, h, level)
    assert abs(front - x_exact) < 0.03 * u * T   # measured 1.6-2.3 % behind
    # no wiggle: once the front has passed, the discharge there rises monotonically
    assert (np.diff(q_mid) >= -1e-12).all()
    assert abs(model.volume_balance().relative_error) < 1e-12


@pytest.mark.parametrize("dx", [2.0, 5.0, 10.0])
def test_wet_dry_front_stable_at_low_friction(dx):
    n, u, T = 0.01, 1.0, 1800.0
    model, x = _front_case(dx, n, T, u)
    q_mid = _record_mid(model, dx, u, T, T)
    assert (np.diff(q_mid) >= -1e-12).all()     # θ = 1 made this wiggle (DOMAIN.md §7)
    h = model.depth[0].astype(float)
    wet = np.flatnonzero(h > 0.01)
    assert (np.diff(h[5:wet[-1]]) <= 1e-9).all()     # falls from near the source on
    exact = ((7 / 3) * n * n * u * u * np.clip(u * T - x, 0, None)) ** (3 / 7)
    behind = x < 0.9 * u * T
    assert np.median(np.abs(h[behind] - exact[behind]) / exact[behind]) < 0.06


# ---------------------------------------------------------------------------------------
# Rain on a tilted plane with an open outlet
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("slope", [0.005, 0.01])
def test_rain_on_tilted_plane_reaches_kinematic_steady_state(slope):
    n, i_mm_h, L, dx, rows = 0.03, 50.0, 300.0, 2.0, 3
    i = i_mm_h / 3.6e6
    cols = int(L / dx)
    x = (np.arange(cols) + 0.5) * dx
    z = np.tile(slope * (L - x), (rows, 1))
    t_c = (n * L / (math.sqrt(slope) * i ** (2 / 3))) ** 0.6    # kinematic time to steady
    T = 3.0 * t_c
    model = SurfaceModel(grid(z, dx), n, rain=Hyetograph([0.0], [i_mm_h]),
                         boundaries={"east": "open"}, settings=ONE)
    q_out = []
    model.advance(T, on_step=lambda m, dt: q_out.append(float(m.qx[1, -1])))
    h = model.depth[1].astype(float)
    exact = (n * i * x / math.sqrt(slope)) ** 0.6
    err = np.abs(h - exact) / exact
    assert np.median(err) < 0.02            # measured 0.8 % (S = 0.005), 0.5 % (0.01)
    assert err[-1] < 0.02                   # the outlet cell itself: no bias
    # outflow equals rainfall at steady state
    q = np.array(q_out)
    assert q[-1] == pytest.approx(i * L, rel=0.01)
    # no oscillation: the outlet discharge rises monotonically to steady state
    dq = np.diff(q)
    assert (dq >= -1e-6 * q.max()).all()    # explicit |q| in the friction term: -5 %
    vol = model.volume_balance()
    assert abs(vol.relative_error) < 1e-12
    assert vol.boundary_outflow > 0.5 * vol.rain


def test_open_edges_only_where_asked():
    z = np.tile(np.linspace(1.0, 0.0, 20), (6, 1))
    rain = Hyetograph([0.0, 600.0], [100.0, 0.0])
    closed = simulate_surface(grid(z, 5.0), 0.03, 900.0, rain=rain, settings=ONE)
    # the bed rises towards the west edge and the water surface too: nothing leaves there
    west = simulate_surface(grid(z, 5.0), 0.03, 900.0, rain=rain,
                            boundaries={"west": "open"}, settings=ONE)
    east = simulate_surface(grid(z, 5.0), 0.03, 900.0, rain=rain,
                            boundaries={"east": "open", "west": "closed"}, settings=ONE)
    assert closed.volume.boundary_outflow == 0
    assert west.volume.boundary_outflow == 0
    assert east.volume.boundary_outflow > 0.5 * east.volume.rain
    assert east.boundary_outflow.sum() * 30.0 == pytest.approx(east.volume.boundary_outflow)
    for r in (closed, west, east):
        assert abs(r.volume.relative_error) < 1e-12


# ---------------------------------------------------------------------------------------
# Losses
# ---------------------------------------------------------------------------------------
def _pond(losses, T):
    z = np.zeros((4, 4))
    model = SurfaceModel(grid(z, 1.0), 0.03, initial_depth=np.full((4, 4), 0.5),
                         losses=losses, settings=SurfaceSettings(threads=1, dt_max=1.0))
    model.advance(T)
    return model.volume_balance(), model


def test_constant_loss():
    vol, _ = _pond(36.0, 3600.0)
    assert vol.losses == pytest.approx(0.036 * 16, rel=1e-9)
    assert abs(vol.relative_error) < 1e-12


def test_horton_loss_under_ponding_follows_the_curve():
    f0, fmin, k = 76.2, 12.7, 4.0
    T = 1800.0
    vol, model = _pond(Horton(f0, fmin, k), T)
    t = T / 3600.0
    exact_mm = fmin * t + (f0 - fmin) / k * (1 - math.exp(-k * t))
    assert vol.losses / 16 * 1000 == pytest.approx(exact_mm, rel=0.01)
    assert abs(vol.relative_error) < 1e-12


def test_green_ampt_loss_under_ponding_follows_the_implicit_solution():
    ks, psi, dtheta = 10.0, 200.0, 0.32
    T = 3600.0
    vol, _ = _pond(GreenAmpt(ks, psi, dtheta), T)
    F = vol.losses / 16          # m
    pd_ = psi / 1000 * dtheta
    # F - ψΔθ ln(1 + F/ψΔθ) = K t (ponded from the start)
    lhs = F - pd_ * math.log(1 + F / pd_)
    assert lhs == pytest.approx(ks / 3.6e6 * T, rel=0.03)


def test_loss_never_exceeds_water():
    vol, model = _pond(1000.0, 3600.0)
    assert vol.losses == pytest.approx(0.5 * 16, rel=1e-12)
    assert model.depth.min() == 0.0


# ---------------------------------------------------------------------------------------
# Outputs, probes, hooks, blocked cells, wet-area cost
# ---------------------------------------------------------------------------------------
def test_probes_maxima_and_threshold_times():
    z = np.tile(np.linspace(0.5, 0.0, 30), (10, 1))
    terrain = grid(z, 2.0)
    feed = Inflow(Point(1.0, 10.0), [0, 300, 301], [0.4, 0.4, 0.0])
    res = simulate_surface(terrain, 0.03, 900.0, inflows=[feed],
                           probes={"low": Point(59.0, 10.0), "high": Point(3.0, 19.0)},
                           settings=SurfaceSettings(threads=1, output_interval=20.0))
    p = res.probes
    assert list(p.index) == list(np.arange(0, 901, 20.0))
    assert p.columns.tolist() == [("low", "depth"), ("low", "velocity"),
                                  ("high", "depth"), ("high", "velocity")]
    assert np.all(p[("low", "depth")].to_numpy() >= 0)
    assert p[("low", "depth")].iloc[-1] == pytest.approx(res.final_depth[4, 29])
    assert (res.max_depth >= res.final_depth - 1e-15).all()
    assert np.nanmax(res.max_depth) >= p.xs("depth", axis=1, level=1).to_numpy().max()
    deep = res.max_depth > 0.15
    assert deep.any()
    assert np.isfinite(res.first_wet_time[deep]).all()
    assert np.isnan(res.first_wet_time[~deep]).all()
    assert (res.duration_over[~deep] == 0).all() and (res.duration_over[deep] > 0).all()
    assert (res.time_of_max_depth[deep] >= res.first_wet_time[deep]).all()
    assert res.volume.inflow == pytest.approx(0.4 * 300 + 0.2, rel=1e-12)


def test_progress_called_every_interval():
    calls = []
    simulate_surface(grid(np.zeros((3, 3)), 1.0), 0.03, 95.0,
                     settings=ONE, progress=lambda t, d: calls.append((t, d)))
    assert calls == [(30.0, 95.0), (60.0, 95.0), (90.0, 95.0), (95.0, 95.0)]


def test_add_volume_is_booked_as_exchange():
    z = bumpy(12, 12, 2.0)
    model = SurfaceModel(grid(z, 2.0), 0.03, rain=Hyetograph([0.0, 300.0], [60.0, 0.0]),
                         settings=ONE)
    taken = 0.0
    while model.t < 600.0:
        model.advance(model.t + 2.0)
        applied = model.add_volume([5, 6], [5, 6], [-0.05, -0.05])
        assert (applied <= 0).all() and (applied >= -0.05 - 1e-15).all()
        taken += applied.sum()
    vol = model.volume_balance()
    assert vol.exchange == pytest.approx(taken)
    assert taken < 0
    assert abs(vol.relative_error) < 1e-12
    assert model.depth.min() >= 0


def test_blocked_cells_take_no_water_and_no_rain():
    z = np.zeros((10, 10))
    blocked = np.zeros((10, 10), dtype=bool)
    blocked[3:7, 3:7] = True
    res = simulate_surface(grid(z, 1.0), 0.03, 600.0,
                           rain=Hyetograph([0.0, 300.0], [100.0, 0.0]),
                           settings=SurfaceSettings(threads=1, blocked=blocked))
    assert np.isnan(res.final_depth[blocked]).all()
    assert res.volume.rain == pytest.approx(100 / 3.6e6 * 300 * 84, rel=1e-12)
    assert abs(res.volume.relative_error) < 1e-12


def test_cost_follows_the_wet_area():
    z = np.zeros((200, 200))
    feed = Inflow(Point(100.0, 100.0), [0, 1000], [0.2, 0.2])
    model = SurfaceModel(grid(z, 1.0), 0.03, inflows=[feed], settings=ONE)
    model.advance(300.0)
    st = model.stats()
    wet = (model.depth > 0).sum()
    assert wet < 0.1 * z.size
    # cells visited per step: the wet blob and a rim, not the domain
    assert st.cell_updates / st.steps < 3 * wet


def test_nan_cells_are_walls():
    z = np.zeros((8, 8))
    z[:, 4] = np.nan
    res = simulate_surface(grid(z, 1.0), 0.03, 300.0,
                           inflows=[Inflow(Point(1.5, 4.5), [0, 100], [0.01, 0.01])],
                           settings=ONE)
    assert np.nansum(res.final_depth[:, 5:]) == 0
    assert np.isnan(res.final_depth[:, 4]).all()
    assert abs(res.volume.relative_error) < 1e-12


# ---------------------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------------------
def _terrain():
    return grid(np.zeros((5, 6)), 1.0)


@pytest.mark.parametrize("kwargs, field", [
    (dict(manning=np.full((4, 6), 0.03)), "manning"),
    (dict(manning=-0.03), "manning"),
    (dict(manning=np.nan), "manning"),
    (dict(boundaries="leaky"), "boundaries"),
    (dict(boundaries={"up": "open"}), "boundaries"),
    (dict(boundaries={"east": "free"}), "boundaries"),
    (dict(initial_depth=np.zeros((5, 5))), "initial_depth"),
    (dict(initial_depth=np.full((5, 6), -0.1)), "initial_depth"),
    (dict(probes={"far": Point(100.0, 100.0)}), "probes"),
    (dict(probes={"line": box(0, 0, 1, 1)}), "probes"),
    (dict(inflows=[Inflow(Point(-5.0, 1.0), [0, 10], [1, 1])]), "inflows"),
    (dict(inflows=[Inflow(box(0.1, 0.1, 0.2, 0.2), [0, 10], [1, 1])]), "inflows"),
    (dict(inflows=["not an inflow"]), "inflows"),
    (dict(duration=-5), "duration"),
    (dict(rain=[1, 2, 3]), "rain"),
    (dict(losses="lots"), "losses"),
    (dict(losses=Horton(f0_mm_h=-1.0)), "losses.f0_mm_h"),
    (dict(settings=SurfaceSettings(blocked=np.zeros((2, 2), dtype=bool))), "blocked"),
    (dict(terrain=np.zeros((5, 6))), "terrain"),
])
def test_bad_input_names_the_field(kwargs, field, names):
    args = dict(terrain=_terrain(), manning=0.03, duration=60.0)
    args.update(kwargs)
    with pytest.raises(InputError) as exc:
        simulate_surface(**args)
    names(exc.value, field=field)


@pytest.mark.parametrize("kwargs, field", [
    (dict(alpha=0.9), "alpha"), (dict(theta=0.0), "theta"), (dict(dtype="float16"), "dtype"),
    (dict(h_min=-1.0), "h_min"), (dict(output_interval=60.0), "output_interval"),
    (dict(threads=0), "threads"), (dict(blocked=np.zeros((2, 2))), "blocked"),
])
def test_bad_settings_name_the_field(kwargs, field, names):
    with pytest.raises(InputError) as exc:
        SurfaceSettings(**kwargs)
    names(exc.value, field=field)


@pytest.mark.parametrize("kwargs", [
    dict(times=[0, 10], flows=[1.0]), dict(times=[10, 0], flows=[1, 1]),
    dict(times=[0, 10], flows=[1, -1]), dict(times=[0, 10], flows=[1, np.inf]),
])
def test_bad_inflow_series(kwargs, names):
    with pytest.raises(InputError) as exc:
        Inflow(Point(0, 0), **kwargs)
    names(exc.value, field="inflows")


def test_probe_error_names_the_probe(names):
    with pytest.raises(InputError) as exc:
        simulate_surface(_terrain(), 0.03, 60.0, probes={"metro": Point(50.0, 2.0)})
    names(exc.value, field="probes", feature="metro")
