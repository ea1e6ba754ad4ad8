"""Grid geometry, the storm formula and pipe hydraulics against hand-worked numbers."""

import math

import numpy as np
import pytest
from affine import Affine

from floodrisk.errors import ConfigError, InputError
from floodrisk.grid import Grid
from floodrisk.network import full_flow_capacity, section_full
from floodrisk.io.rainfall import load_storm_formula
from floodrisk.rainfall import StormFormula


@pytest.fixture()
def grid():
    # 3 rows x 4 cols of 10 m cells; upper-left corner at (1000, 2030).
    return Grid(np.arange(12, dtype=float).reshape(3, 4), Affine(10, 0, 1000, 0, -10, 2030),
                "EPSG:4547")


def test_grid_geometry(grid):
    assert grid.shape == (3, 4)
    assert grid.bounds == (1000, 2000, 1040, 2030)
    assert grid.cell_area == 100
    xs, ys = grid.cell_centres()
    assert xs.tolist() == [1005, 1015, 1025, 1035]
    assert ys.tolist() == [2025, 2015, 2005]


def test_grid_index_and_sample(grid):
    row, col = grid.index([1001, 1039.9, 999, 1015], [2029, 2000.1, 2010, 2031])
    assert row.tolist() == [0, 2, -1, -1]
    assert col.tolist() == [0, 3, -1, -1]
    v = grid.sample([1025, 1005, 5000], [2015, 2005, 0])
    assert v[0] == 6 and v[1] == 8 and np.isnan(v[2])


def test_grid_is_immutable(grid):
    with pytest.raises(ValueError):
        grid.values[0, 0] = 5
    src = np.zeros((2, 2))
    g = Grid(src, Affine(1, 0, 0, 0, -1, 2))
    src[0, 0] = 9  # the caller's array is not shared
    assert g.values[0, 0] == 0


def test_grid_refuses_south_up():
    with pytest.raises(ValueError, match="north to south"):
        Grid(np.zeros((2, 2)), Affine(1, 0, 0, 0, 1, 0))


def test_storm_formula_guangzhou_by_hand():
    f = StormFormula(A=13290.6, C=0.607, b=39.12, n=0.956)
    # q = 13290.6 (1 + 0.607 lg 3) / (10 + 39.12)^0.956
    #   = 13290.6 x 1.289609 / 41.3866 = 414.15 L/(s.hm2)
    assert f.intensity(3, 10) == pytest.approx(414.15, abs=0.01)
    # i = q / 167 mm/min = 2.47996 mm/min = 148.80 mm/h
    assert f.intensity_mm_h(3, 10) == pytest.approx(148.80, abs=0.01)
    # P = 1: lg 1 = 0, q = A / (t + b)^n
    assert f.intensity(1, 10) == pytest.approx(13290.6 / 49.12**0.956)


def test_storm_formula_rejects_bad_input(tmp_path):
    f = StormFormula(A=3073, C=0.892, b=15.1, n=0.824)
    with pytest.raises(InputError):
        f.intensity(0, 10)
    with pytest.raises(InputError):
        f.intensity(2, -5)
    with pytest.raises(InputError):
        StormFormula(A=-1, C=0.5, b=10, n=0.7)
    bad = tmp_path / "s.toml"
    bad.write_text("[formula]\nA = 1\nC = 0.5\nb = 1\n")
    with pytest.raises(ConfigError, match="'n'"):
        load_storm_formula(bad)


def test_city_presets_load():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "configs" / "storms"
    gz = load_storm_formula(root / "guangzhou.toml")
    assert gz.verified and gz.A == 13290.6
    zz = load_storm_formula(root / "zhengzhou.toml")
    assert not zz.verified and zz.source


def test_manning_full_bore_by_hand():
    # Circular D = 0.6 m, n = 0.013, S = 0.005: Q = 0.3117/n D^(8/3) S^(1/2) = 0.4342 m3/s
    q = full_flow_capacity(np.array(["circular"]), [0.6], [np.nan], [np.nan], [0.013], [0.005])
    assert q[0] == pytest.approx(0.3117 / 0.013 * 0.6 ** (8 / 3) * math.sqrt(0.005), rel=2e-4)
    assert q[0] == pytest.approx(0.4342, abs=1e-4)
    # Box 1.0 m high x 2.0 m wide: A = 2 m2, R = 2/6 m; S = 0.002, n = 0.013 -> 3.3077 m3/s
    q = full_flow_capacity(np.array(["rect_closed"]), [np.nan], [1.0], [2.0], [0.013], [0.002])
    assert q[0] == pytest.approx(3.3077, abs=1e-4)
    # No fall: no gravity capacity
    q = full_flow_capacity(np.array(["circular"]), [0.6], [np.nan], [np.nan], [0.013], [0.0])
    assert np.isnan(q[0])


def test_section_full():
    area, radius = section_full(np.array(["circular", "rect_closed"]), [1.0, np.nan],
                                [np.nan, 1.0], [np.nan, 3.0])
    assert area.tolist() == pytest.approx([math.pi / 4, 3.0])
    assert radius.tolist() == pytest.approx([0.25, 3.0 / 8.0])


def test_return_period_inverts_the_formula_by_hand():
    f = StormFormula(A=13290.6, C=0.607, b=39.12, n=0.956)
    # q(3 a, 10 min) = 414.153 L/(s.hm2) (above) -> P = 3 a
    assert f.return_period(414.1530512, 10) == pytest.approx(3.0, rel=1e-6)
    # q = A/(t+b)^n exactly -> lg P = 0 -> P = 1 a
    assert f.return_period(13290.6 / 49.12**0.956, 10) == pytest.approx(1.0)
    # Half the 1-year intensity: lg P = (0.5 - 1)/0.607 = -0.8237 -> P = 0.150 a
    assert f.return_period(0.5 * 13290.6 / 49.12**0.956, 10) == pytest.approx(0.15008, abs=1e-4)
