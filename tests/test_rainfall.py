"""Design rainfall: hyetographs, formula and table models, Chicago and block storms, CSV.

Expected numbers are worked out from the formulas of DOMAIN.md §1, not read off the code.
"""

import math

import numpy as np
import pytest

from floodrisk.errors import ConfigError, InputError, InputFileError
from floodrisk.io.rainfall import (STORM_DIR, city_formula, city_names, load_storm,
                                   load_storm_formula, read_hyetograph_csv, write_hyetograph_csv)
from floodrisk.rainfall import (MM_H_TO_M_S, Hyetograph, StormFormula, StormTable, StormTableRow,
                                block, chicago, storm_label, zhengzhou_720)

ZZ = StormFormula(A=3073.0, C=0.892, b=15.1, n=0.824, name="Zhengzhou (handbook)")
GZ = StormFormula(A=13290.6, C=0.607, b=39.12, n=0.956, name="Guangzhou", verified=True)


def chicago_depth(f, P, t):
    """a·t/(t + b)^n, a = A/167·(1 + C lg P) mm/min (DOMAIN.md §1)."""
    a = f.A / 167.0 * (1.0 + f.C * math.log10(P))
    return a * t / (t + f.b) ** f.n


# ---- Hyetograph ------------------------------------------------------------------------
def small():
    # steps: 0-600 s at 12 mm/h (2 mm), 600-1800 s at 30 mm/h (10 mm), 1800-2400 s at 6 (1 mm)
    return Hyetograph([0, 600, 1800, 2400], [12, 30, 6, 0], name="s", provenance="by hand")


def test_hyetograph_figures_by_hand():
    h = small()
    assert h.total_depth_mm == pytest.approx(13.0)
    assert h.peak_mm_h == 30.0
    assert h.duration_s == 2400.0
    assert h.depths_mm.tolist() == pytest.approx([2.0, 10.0, 1.0])
    # 300-600 s at 12 mm/h (1 mm) + 600-1200 s at 30 mm/h (5 mm)
    assert h.depth_between(300, 1200) == pytest.approx(6.0)
    assert h.depth_between(0, 2400) == pytest.approx(13.0)
    assert h.depth_between(2400, 9000) == 0.0  # ends with intensity 0
    assert h.intensity_at([-1, 0, 599, 600, 2399, 2400, 5000]).tolist() == [0, 12, 12, 30, 6, 0, 0]
    t, rate = h.rate_m_s()
    assert t.tolist() == [0, 600, 1800, 2400]
    assert rate[1] == pytest.approx(30 / 3.6e6) and rate[1] == pytest.approx(8.3333e-6, rel=1e-4)
    assert MM_H_TO_M_S == pytest.approx(2.7778e-7, rel=1e-4)


def test_last_value_holds_after_the_last_time():
    h = Hyetograph([0, 3600], [10, 4])
    assert h.total_depth_mm == pytest.approx(10.0)  # up to the last time
    assert h.intensity_at(7200) == 4.0
    assert h.depth_between(3600, 5400) == pytest.approx(2.0)  # 4 mm/h for 0.5 h


def test_hyetograph_arrays_are_read_only_copies():
    t = np.array([0.0, 60.0])
    h = Hyetograph(t, [5.0, 0.0])
    t[1] = 99
    assert h.times[1] == 60.0
    with pytest.raises(ValueError):
        h.intensity[0] = 1.0
    assert h == Hyetograph([0, 60], [5, 0])


def test_resample_conserves_depth_by_hand():
    h = small()
    r = h.resample(900)
    # 0-900: 2 mm + 30 mm/h·300 s (2.5 mm) = 4.5 mm in 900 s = 18 mm/h; 900-1800: 30 mm/h;
    # 1800-2400 (short last step): 1 mm in 600 s = 6 mm/h; end row 0.
    assert r.times.tolist() == [0, 900, 1800, 2400]
    assert r.intensity.tolist() == pytest.approx([18, 30, 6, 0])
    assert r.total_depth_mm == pytest.approx(13.0)
    fine = h.resample(300)
    assert fine.intensity.tolist() == pytest.approx([12, 12] + [30] * 4 + [6, 6] + [0])
    assert fine.total_depth_mm == pytest.approx(13.0)


@pytest.mark.parametrize("times, values, field, words", [
    ([0, 60, 120], [1, -2, 0], "intensity", "negative"),
    ([0, 60, 120], [1, float("nan"), 0], "intensity", "finite"),
    ([0, 120, 60], [1, 2, 0], "times", "strictly increasing"),
    ([0, 60, 60], [1, 2, 0], "times", "repeats"),
    ([0, 60], [1, 2, 0], "intensity", "3 values"),
    ([-60, 0], [1, 0], "times", "negative"),
])
def test_hyetograph_bad_input_names_the_field(times, values, field, words, names):
    with pytest.raises(InputError) as e:
        Hyetograph(times, values)
    assert words in names(e.value, field=field)


# ---- formula and table ---------------------------------------------------------------
def test_depth_mm_by_hand():
    # Zhengzhou P = 3: a = 3073/167 x (1 + 0.892 lg 3) = 18.40120 x 1.425592 = 26.2326 mm/min
    # H(120) = 26.2326 x 120 / 135.1^0.824 = 3147.91 / 56.9718 = 55.2539 mm
    assert ZZ.depth_mm(3, 120) == pytest.approx(55.2539, abs=1e-3)
    assert ZZ.depth_mm(3, 0) == 0.0


def test_table_at_a_listed_period_by_hand():
    table = load_storm(STORM_DIR / "example-table.toml")
    assert isinstance(table, StormTable) and not table.verified
    assert "illustrative" in table.name.lower()
    # P = 10 row: A = 3556.8, b = 10, n = 0.712; t = 20: q = 3556.8 / 30^0.712
    #   30^0.712 = exp(0.712 ln 30) = exp(2.421652) = 11.26446 -> q = 315.754 L/(s.hm2)
    assert table.intensity(10, 20) == pytest.approx(315.754, abs=1e-3)
    assert table.intensity_mm_h(10, 20) == pytest.approx(315.754 / 167 * 60, abs=1e-3)
    # P = 20 row: 4079.4 / 30.3^0.716 = 354.718; halfway in lg P (P = sqrt(200)) -> the mean
    assert table.intensity(math.sqrt(200), 20) == pytest.approx((315.754 + 354.718) / 2, abs=1e-3)
    # and back
    assert table.return_period(315.754183, 20) == pytest.approx(10, rel=1e-6)
    assert table.return_period(335.2361, 20) == pytest.approx(math.sqrt(200), rel=1e-5)


def test_table_of_a_formula_interpolates_it_exactly():
    # q = A(1 + C lg P)/(t+b)^n is linear in lg P, so a table of it, interpolated in lg P,
    # is the formula itself between its rows.
    rows = tuple(StormTableRow(P, ZZ.A * (1 + ZZ.C * math.log10(P)), ZZ.b, ZZ.n)
                 for P in (1, 2, 5, 10, 50, 100))
    table = StormTable(rows, name="zz table")
    P = np.array([1, 1.5, 3, 7, 20, 100])
    t = np.array([5, 10, 30, 60, 120, 1440])
    assert table.intensity(P, t) == pytest.approx(ZZ.intensity(P, t), rel=1e-12)
    assert table.return_period(ZZ.intensity(P, t), t) == pytest.approx(P, rel=1e-9)
    # outside the rows: the intensity refuses, the return period extrapolates in lg P
    # (exact here too, the formula being linear in lg P)
    assert table.return_period(ZZ.intensity(0.5, 10), 10) == pytest.approx(0.5, rel=1e-9)
    assert table.return_period(ZZ.intensity(300, 10), 10) == pytest.approx(300, rel=1e-9)
    # a Chicago storm of the table is the formula's
    assert chicago(table, 7, 120).intensity == pytest.approx(chicago(ZZ, 7, 120).intensity)


@pytest.mark.parametrize("P", [0.5, 150, 0, -1])
def test_table_refuses_periods_outside_it(P):
    table = load_storm(STORM_DIR / "example-table.toml")
    with pytest.raises(InputError, match="return_period"):
        table.intensity(P, 30)


def test_table_checks_its_rows(tmp_path, names):
    with pytest.raises(InputError, match="strictly increasing"):
        StormTable((StormTableRow(5, 3000, 10, 0.7), StormTableRow(2, 2000, 10, 0.7)))
    with pytest.raises(InputError, match="more intense"):
        StormTable((StormTableRow(2, 3000, 10, 0.7), StormTableRow(5, 2000, 10, 0.7)))
    bad = tmp_path / "t.toml"
    bad.write_text('name = "t"\n[[table]]\nreturn_period = 2\nA = 1000\nb = 5\n')
    with pytest.raises(ConfigError) as e:
        load_storm(bad)
    names(e.value, path=bad, layer="table row 1", field="n")
    with pytest.raises(ConfigError, match="load_storm"):
        load_storm_formula(STORM_DIR / "example-table.toml")


def test_city_presets_and_labels():
    assert {"beijing", "guangzhou", "shanghai", "wuhan", "zhengzhou"} <= set(city_names())
    for city, A, C, b, n, verified in [("beijing", 2001, 0.811, 8, 0.711, False),
                                       ("shanghai", 1600, 0.846, 7.0, 0.656, False),
                                       ("wuhan", 983, 0.65, 4, 0.56, False),
                                       ("guangzhou", 13290.6, 0.607, 39.12, 0.956, True)]:
        f = city_formula(city)
        assert (f.A, f.C, f.b, f.n, f.verified) == (A, C, b, n, verified)
        assert f.source
    assert city_formula("Zhengzhou").name == "Zhengzhou (handbook)"
    assert storm_label(city_formula("zhengzhou"), 3) == \
        "P = 3 a (Zhengzhou (handbook), unverified parameters)"
    assert storm_label(GZ, 5).endswith("verified parameters)")


def test_unknown_city_lists_the_names():
    with pytest.raises(InputError) as e:
        city_formula("atlantis")
    msg = str(e.value)
    assert "atlantis" in msg and "guangzhou" in msg and "zhengzhou" in msg


# ---- Chicago and block -----------------------------------------------------------------
@pytest.mark.parametrize("f, P, T, r, step", [
    (ZZ, 3, 120, 0.4, 5),
    (ZZ, 1, 60, 0.5, 1),
    (ZZ, 10, 180, 0.35, 30),    # coarse
    (ZZ, 2, 120, 0.4, 120),     # one step
    (GZ, 50, 1440, 0.4, 60),
    (GZ, 5, 90, 0.45, 2.5),
])
def test_chicago_total_is_the_formula_depth(f, P, T, r, step):
    h = chicago(f, P, T, peak_ratio=r, step_min=step)
    assert h.total_depth_mm == pytest.approx(chicago_depth(f, P, T), rel=1e-12)
    assert len(h) == round(T / step) + 1
    assert h.times[-1] == T * 60 and h.intensity[-1] == 0
    assert np.diff(h.times) == pytest.approx(step * 60)


def test_zhengzhou_chicago_total_by_hand():
    # H(120) for P = 3 worked out in test_depth_mm_by_hand
    assert chicago(ZZ, 3, 120).total_depth_mm == pytest.approx(55.2539, abs=1e-3)


@pytest.mark.parametrize("t", [10, 20, 30, 60, 90])
def test_window_centred_on_the_peak_holds_the_formula_depth(t):
    # r = 0.5, T = 120, 5 min steps: the peak at 60 min is a step boundary; the window of
    # length t centred on it runs from 60 - t/2 to 60 + t/2 (steps), and no window of
    # that length holds more.
    h = chicago(ZZ, 5, 120, peak_ratio=0.5, step_min=5)
    d = h.depths_mm
    k = t // 5
    centred = d[(60 - t // 2) // 5:(60 + t // 2) // 5].sum()
    windows = np.convolve(d, np.ones(k), mode="valid")
    assert centred == pytest.approx(chicago_depth(ZZ, 5, t), rel=1e-12)
    assert windows.max() == pytest.approx(chicago_depth(ZZ, 5, t), rel=1e-12)


def test_window_at_the_peak_ratio_holds_the_formula_depth():
    # r = 0.4, T = 100, 2 min steps: peak at 40 min; a 20 min window with 8 min before the
    # peak and 12 after (the ratio r) holds a·20/(20 + b)^n.
    h = chicago(GZ, 3, 100, peak_ratio=0.4, step_min=2)
    assert h.depths_mm[16:26].sum() == pytest.approx(chicago_depth(GZ, 3, 20), rel=1e-12)


@pytest.mark.parametrize("T, r, step, peak_step", [(120, 0.4, 5, 9),    # 48 min in 45-50
                                                    (60, 0.45, 2, 13),   # 27 min in 26-28
                                                    (180, 0.35, 10, 6)])  # 63 min in 60-70
def test_peak_step_sits_at_the_peak_ratio(T, r, step, peak_step):
    h = chicago(ZZ, 2, T, peak_ratio=r, step_min=step)
    k = int(np.argmax(h.intensity))
    assert k == peak_step
    assert h.times[k] <= r * T * 60 <= h.times[k + 1]


def test_chicago_intensities_are_keifer_and_chu():
    # With fine steps each step's mean intensity is the DOMAIN.md §1 intensity at its middle.
    P, T, r = 3, 120, 0.4
    a = ZZ.A / 167 * (1 + ZZ.C * math.log10(P))
    b, n = ZZ.b, ZZ.n
    h = chicago(ZZ, P, T, peak_ratio=r, step_min=0.1)
    mid = (h.times[:-1] + h.times[1:]) / 2 / 60
    tb = np.clip(r * T - mid, 0, None)
    ta = np.clip(mid - r * T, 0, None)
    i_b = a * ((1 - n) * tb / r + b) / (tb / r + b) ** (1 + n)
    i_a = a * ((1 - n) * ta / (1 - r) + b) / (ta / (1 - r) + b) ** (1 + n)
    expected = np.where(mid < r * T, i_b, i_a) * 60  # mm/min -> mm/h
    away = np.abs(mid - r * T) > 1
    assert h.intensity[:-1][away] == pytest.approx(expected[away], rel=1e-4)


def test_block_total_by_hand():
    # Guangzhou P = 3, t = 10: q = 414.15 L/(s.hm2) (test_core) -> i = 148.80 mm/h;
    # over 10 min: 24.80 mm
    h = block(GZ, 3, 10, step_min=5)
    assert h.intensity.tolist() == pytest.approx([148.80, 148.80, 0], abs=0.01)
    assert h.total_depth_mm == pytest.approx(24.80, abs=0.01)
    # generally i(P, T)·T
    h = block(ZZ, 20, 180, step_min=15)
    assert h.total_depth_mm == pytest.approx(chicago_depth(ZZ, 20, 180), rel=1e-12)


@pytest.mark.parametrize("kw, field", [
    (dict(return_period=0), "return_period"),
    (dict(return_period=-2), "return_period"),
    (dict(duration_min=0), "duration_min"),
    (dict(duration_min=-60), "duration_min"),
    (dict(step_min=7), "step_min"),
    (dict(step_min=0), "step_min"),
    (dict(peak_ratio=0), "peak_ratio"),
    (dict(peak_ratio=1), "peak_ratio"),
    (dict(peak_ratio=1.3), "peak_ratio"),
    (dict(peak_ratio=float("nan")), "peak_ratio"),
])
def test_chicago_bad_input(kw, field, names):
    args = dict(return_period=3, duration_min=120, peak_ratio=0.4, step_min=5) | kw
    with pytest.raises(InputError) as e:
        chicago(ZZ, **args)
    names(e.value, field=field)
    if field != "peak_ratio":
        with pytest.raises(InputError):
            block(ZZ, args["return_period"], args["duration_min"], step_min=args["step_min"])


# ---- Zhengzhou 7.20 ------------------------------------------------------------------
@pytest.mark.parametrize("step", [60, 5])
def test_zhengzhou_720_keeps_the_published_totals(step):
    h = zhengzhou_720(step_min=step)
    assert h.duration_s == 24 * 3600
    assert h.total_depth_mm == pytest.approx(552.5, abs=1e-9)
    # 16:00-17:00 on 20 July is 20 h to 21 h after 19 July 20:00
    assert h.depth_between(20 * 3600, 21 * 3600) == pytest.approx(201.9, abs=1e-9)
    hourly = np.diff(h.cumulative_mm(np.arange(25) * 3600.0))
    assert hourly.argmax() == 20 and hourly.sum() == pytest.approx(552.5)
    assert sorted(hourly)[-2] < 201.9 / 2
    for text in (h.name, h.provenance):
        assert "reconstructed" in text.lower() and "not observed" in text.lower()
    assert "2021-07-19 20:00" in h.provenance


def test_zhengzhou_720_step_must_divide_the_hour():
    with pytest.raises(InputError, match="does not divide"):
        zhengzhou_720(step_min=7)


# ---- CSV ---------------------------------------------------------------------------------
def test_csv_round_trip(tmp_path):
    h = chicago(ZZ, 3, 120, peak_ratio=0.4, step_min=5)
    path = write_hyetograph_csv(h, tmp_path / "storm.csv")
    lines = path.read_text().splitlines()
    assert lines[0] == "time_s,intensity_mm_h"
    assert lines[1].startswith("0,") and lines[-1] == "7200,0"
    assert len(lines) == 26
    back = read_hyetograph_csv(path)
    assert np.array_equal(back.times, h.times)
    assert np.array_equal(back.intensity, h.intensity)
    assert back.name == "storm" and str(path) in back.provenance


def test_depth_csv_by_hand(tmp_path):
    p = tmp_path / "gauge.csv"
    # 2 mm in 300 s = 24 mm/h; 5 mm in 600 s = 30 mm/h; 1.5 mm in 300 s = 18 mm/h
    p.write_text("\ufefftime_s,depth_mm\n0,2\n300,5\n900,1.5\n1200,0\n", encoding="utf-8")
    h = read_hyetograph_csv(p)
    assert h.times.tolist() == [0, 300, 900, 1200]
    assert h.intensity.tolist() == pytest.approx([24, 30, 18, 0])
    assert h.total_depth_mm == pytest.approx(8.5)
    out = write_hyetograph_csv(h, tmp_path / "i.csv")
    assert out.read_text().splitlines()[1:] == ["0,24", "300,30", "900,18", "1200,0"]


@pytest.mark.parametrize("text, field, words", [
    ("time,rain\n0,1\n60,0\n", None, "'time', 'rain'"),
    ("time_s,intensity_mm_h,note\n0,1,a\n60,0,b\n", None, "'note'"),
    ("time_s,intensity_mm_h,depth_mm\n0,1,1\n60,0,0\n", None, "'depth_mm'"),
    ("time_s,rainfall\n0,1\n60,0\n", None, "'rainfall'"),
    ("time_s,intensity_mm_h\n0,10\n60,-1\n120,0\n", "intensity_mm_h", "line 3"),
    ("time_s,intensity_mm_h\n0,10\n60,nan\n120,0\n", "intensity_mm_h", "line 3"),
    ("time_s,intensity_mm_h\n0,10\n60,x\n120,0\n", "intensity_mm_h", "line 3"),
    ("time_s,depth_mm\n0,1\n120,2\n60,0\n", "time_s", "line 4"),
    ("time_s,depth_mm\n0,1\n60,2\n60,0\n", "time_s", "repeats"),
    ("time_s,depth_mm\n0,1\n60,2\n", "depth_mm", "120,0"),       # no end-of-storm row
    ("time_s,intensity_mm_h\n0,1\n", None, "at least two rows"),
])
def test_csv_bad_input_names_the_file(tmp_path, text, field, words, names):
    p = tmp_path / "bad.csv"
    p.write_text(text)
    with pytest.raises(InputError) as e:
        read_hyetograph_csv(p)
    msg = names(e.value, path=p, field=field)
    assert words in msg


def test_csv_missing_file(tmp_path):
    with pytest.raises(InputFileError, match="not found"):
        read_hyetograph_csv(tmp_path / "nope.csv")


def test_writer_refuses_a_storm_that_does_not_end(tmp_path):
    with pytest.raises(InputError, match="intensity 0"):
        write_hyetograph_csv(Hyetograph([0, 60], [5, 5]), tmp_path / "x.csv")
    assert not (tmp_path / "x.csv").exists()
