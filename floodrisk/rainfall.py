"""Design rainfall: hyetographs, storm-intensity formulas and tables, design storms, presets.

Storm intensity (暴雨强度公式, GB 50014-2021; DOMAIN.md §1)::

    q = A·(1 + C·lg P) / (t + b)^n     q in L/(s·hm²), t in min, P in years, A = 167·A1
    i = q / 167                        mean intensity in mm/min over the duration t

Two forms of intensity model share one interface (``intensity``, ``intensity_mm_h``,
``depth_mm``, ``return_period``, ``name``, ``source``, ``verified``):

- :class:`StormFormula`, the annual-maximum formula above;
- :class:`StormTable`, one ``q = A/(t + b)^n`` row per listed return period.

Parameter sets per city live in ``configs/storms/<city>.toml``
(:func:`floodrisk.io.rainfall.city_formula`).

A :class:`Hyetograph` holds a storm as step intensities in mm/h; :func:`chicago` and
:func:`block` build design storms from an intensity model, :func:`zhengzhou_720` the
reconstructed "7.20" storm of 2021. Reading and writing files, and the city presets,
are in :mod:`floodrisk.io.rainfall`; the hyetograph chart in :mod:`floodrisk.report.charts`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import InputError

__all__ = [
    "MM_PER_MIN_PER_L_S_HA",
    "MM_H_TO_M_S",
    "Hyetograph",
    "StormFormula",
    "StormTable",
    "StormTableRow",
    "StormModel",
    "storm_label",
    "chicago",
    "block",
    "zhengzhou_720",
    "ZHENGZHOU_720_PEAK_HOUR_MM",
    "ZHENGZHOU_720_TOTAL_MM",
]

#: 1 mm/min of rain over 1 hm² is 166.67 L/s; GB 50014 rounds it to 167.
MM_PER_MIN_PER_L_S_HA = 167.0

#: 1 mm/h in m/s (1e-3 m / 3600 s = 2.7778e-7 m/s).
MM_H_TO_M_S = 1e-3 / 3600.0



# ---------------------------------------------------------------------------------------
# Hyetograph
# ---------------------------------------------------------------------------------------
def _check_series(times: Any, values: Any, *, time_field: str, value_field: str,
                  value_unit: str, path: Any = None,
                  where: Callable[[int], str] = lambda i: f"row {i}",
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Validate a step series (times in s, values ≥ 0) and return float64 copies.

    Parameters
    ----------
    times, values
        The two columns.
    time_field, value_field
        Their names, for messages (``times``/``intensity`` or the CSV column names).
    value_unit
        Unit of the values, for messages.
    path
        File the series was read from, if any.
    where
        Names row ``i`` in messages ("row 3", or "line 5" of a file).
    """
    def fail(msg: str, fld: str, hint: str | None = None) -> InputError:
        return InputError(msg, path=path, field=fld, hint=hint)

    try:
        t = np.array(times, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise fail(f"times must be numbers ({exc}).", time_field) from exc
    try:
        v = np.array(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise fail(f"values must be numbers ({exc}).", value_field) from exc
    if t.ndim != 1 or v.ndim != 1:
        raise fail("times and values must be one-dimensional.", time_field)
    if len(t) != len(v):
        raise fail(f"{len(t)} times but {len(v)} values: each time needs one value.",
                   value_field)
    if len(t) == 0:
        raise fail("the series is empty.", time_field)
    bad = np.flatnonzero(~np.isfinite(t))
    if bad.size:
        raise fail(f"{where(bad[0])}: time {t[bad[0]]} is not a finite number.", time_field)
    if t[0] < 0:
        raise fail(f"{where(0)}: the first time is {t[0]:g} s; times count seconds from the "
                   "storm's start and cannot be negative.", time_field)
    dt = np.diff(t)
    bad = np.flatnonzero(dt <= 0)
    if bad.size:
        i = bad[0] + 1
        kind = "repeats" if dt[bad[0]] == 0 else "comes before"
        raise fail(f"{where(i)}: time {t[i]:g} s {kind} the previous time {t[i - 1]:g} s; "
                   "times must be strictly increasing (no duplicates).", time_field)
    bad = np.flatnonzero(~np.isfinite(v))
    if bad.size:
        raise fail(f"{where(bad[0])}: value {v[bad[0]]} is not a finite number.", value_field)
    bad = np.flatnonzero(v < 0)
    if bad.size:
        raise fail(f"{where(bad[0])}: value {v[bad[0]]:g} {value_unit} is negative; rain "
                   "cannot be negative.", value_field)
    return t, v


@dataclass(frozen=True, eq=False)
class Hyetograph:
    """A storm as step intensities.

    ``intensity[k]`` (mm/h) holds from ``times[k]`` until ``times[k+1]``; the last value
    holds after the last time (so a storm that ends has a last row with intensity 0 at its
    end, as every storm made here has). Before ``times[0]`` there is no rain.

    Parameters
    ----------
    times
        Seconds from the storm's start, strictly increasing, the first ≥ 0.
    intensity
        Rain intensity, mm/h, finite and ≥ 0, one per time.
    name
        Short label of the storm.
    provenance
        Where it comes from and how it was made.

    The arrays are stored as read-only float64 copies. Bad input raises
    :class:`~floodrisk.errors.InputError` naming the field (``times`` or ``intensity``).
    """

    times: np.ndarray
    intensity: np.ndarray
    name: str = ""
    provenance: str = ""

    def __post_init__(self) -> None:
        t, v = _check_series(self.times, self.intensity, time_field="times",
                             value_field="intensity", value_unit="mm/h",
                             where=lambda i: f"row {i}")
        t.flags.writeable = False
        v.flags.writeable = False
        object.__setattr__(self, "times", t)
        object.__setattr__(self, "intensity", v)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Hyetograph):
            return NotImplemented
        return (np.array_equal(self.times, other.times)
                and np.array_equal(self.intensity, other.intensity)
                and self.name == other.name and self.provenance == other.provenance)

    __hash__ = None  # type: ignore[assignment]

    def __len__(self) -> int:
        return len(self.times)

    def __repr__(self) -> str:
        return (f"Hyetograph({self.name!r}, {len(self)} rows, {self.duration_s:g} s, "
                f"{self.total_depth_mm:.2f} mm, peak {self.peak_mm_h:.2f} mm/h)")

    # -- summary figures ---------------------------------------------------------------
    @property
    def duration_s(self) -> float:
        """Time of the last row, s from the storm's start (the storm's end)."""
        return float(self.times[-1])

    @property
    def steps_s(self) -> np.ndarray:
        """Length of each step, s (one fewer than rows)."""
        return np.diff(self.times)

    @property
    def depths_mm(self) -> np.ndarray:
        """Depth of rain in each step, mm (one fewer than rows)."""
        return self.intensity[:-1] * self.steps_s / 3600.0

    @property
    def total_depth_mm(self) -> float:
        """Depth of rain from the start up to the last time, mm."""
        return float(self.depths_mm.sum())

    @property
    def peak_mm_h(self) -> float:
        """Highest step intensity, mm/h."""
        return float(self.intensity.max())

    # -- queries -----------------------------------------------------------------------
    def intensity_at(self, t: float | np.ndarray) -> np.ndarray:
        """Intensity in **mm/h** at time(s) t (s): 0 before the first time, the step's value
        on ``[times[k], times[k+1])``, the last value from the last time on."""
        t = np.asarray(t, dtype=np.float64)
        k = np.searchsorted(self.times, t, side="right") - 1
        return np.where(k >= 0, self.intensity[np.clip(k, 0, None)], 0.0)

    def cumulative_mm(self, t: float | np.ndarray) -> np.ndarray:
        """Depth of rain fallen from the start up to time(s) t (s), mm (piecewise linear)."""
        t = np.asarray(t, dtype=np.float64)
        knots = np.concatenate([[0.0], np.cumsum(self.depths_mm)])
        k = np.searchsorted(self.times, t, side="right") - 1
        kc = np.clip(k, 0, None)
        inside = knots[kc] + self.intensity[kc] * (t - self.times[kc]) / 3600.0
        return np.where(k >= 0, inside, 0.0)

    def depth_between(self, t0: float | np.ndarray, t1: float | np.ndarray) -> np.ndarray:
        """Depth of rain between times t0 and t1 (s, t0 ≤ t1), mm.

        After the last time the last intensity keeps falling, as :meth:`intensity_at` says.
        """
        t0 = np.asarray(t0, dtype=np.float64)
        t1 = np.asarray(t1, dtype=np.float64)
        if np.any(t1 < t0):
            raise InputError("depth_between needs t0 ≤ t1.", field="t1")
        return self.cumulative_mm(t1) - self.cumulative_mm(t0)

    def rate_m_s(self) -> tuple[np.ndarray, np.ndarray]:
        """The series for engines: ``(times_s, rate_m_s)``, rate in m/s (SI).

        1 mm/h = 2.7778e-7 m/s. Same step convention as the hyetograph.
        """
        return self.times.copy(), self.intensity * MM_H_TO_M_S

    def resample(self, step_s: float) -> Hyetograph:
        """The storm on steps of ``step_s`` from the first time, conserving depth.

        Each new step holds the mean intensity of the old series over it (the depth fallen
        in it divided by its length), so the depth up to the last time is unchanged and the
        depth up to any multiple of the step is exact. When the step does not divide the
        duration, the last step is shorter and ends at the last time. The last row keeps the
        last intensity (0 for a storm that ends).

        Parameters
        ----------
        step_s
            New step, s (> 0).
        """
        if not (math.isfinite(step_s) and step_s > 0):
            raise InputError(f"step must be positive, got {step_s}.", field="step_s")
        t0, t1 = self.times[0], self.times[-1]
        n = math.floor((t1 - t0) / step_s + 1e-9)
        new = t0 + step_s * np.arange(n + 1)
        if t1 - new[-1] > 1e-9 * max(1.0, step_s):
            new = np.append(new, t1)
        else:
            new[-1] = t1
        cum = self.cumulative_mm(new)
        mean = np.diff(cum) / np.diff(new) * 3600.0
        return Hyetograph(new, np.append(mean, self.intensity[-1]), name=self.name,
                          provenance=f"{self.provenance} Resampled to {step_s:g} s steps "
                                     "conserving depth.".strip())


# ---------------------------------------------------------------------------------------
# Intensity models
# ---------------------------------------------------------------------------------------
def _positive(name: str, value: Any) -> np.ndarray:
    v = np.asarray(value, dtype=np.float64)
    if np.any(~np.isfinite(v)) or np.any(v <= 0):
        raise InputError(f"{name} must be a positive number, got {value}.", field=name)
    return v


def _depth_from_intensity(intensity_mm_h: Callable[[Any, Any], np.ndarray], return_period: Any,
                          duration_min: Any) -> np.ndarray:
    """Depth i·t (mm) over t minutes; 0 at t = 0 (the formulas need t > 0)."""
    p = _positive("return_period", return_period)
    t = np.asarray(duration_min, dtype=np.float64)
    if np.any(~np.isfinite(t)) or np.any(t < 0):
        raise InputError(f"duration must be ≥ 0 min, got {duration_min}.", field="duration_min")
    p, t = np.broadcast_arrays(p, t)
    safe = np.where(t > 0, t, 1.0)
    return np.where(t > 0, intensity_mm_h(p, safe) * safe / 60.0, 0.0)


@dataclass(frozen=True)
class StormFormula:
    """A storm-intensity formula ``q = A·(1 + C·lg P) / (t + b)^n``.

    Parameters
    ----------
    A
        167·A1, in L/(s·hm²)·min^n.
    C
        Return-period coefficient.
    b
        Time offset, min.
    n
        Decay exponent.
    name
        City or region the formula belongs to.
    source
        Where the parameters come from.
    verified
        Whether the parameters were checked against the published document.
    """

    A: float
    C: float
    b: float
    n: float
    name: str = ""
    source: str = ""
    verified: bool = False

    def __post_init__(self) -> None:
        for key in ("A", "b", "n"):
            v = getattr(self, key)
            if not (math.isfinite(v) and v > 0):
                raise InputError(f"storm formula parameter {key} must be positive, got {v}.",
                                 field=key)

    def intensity(self, return_period: float | np.ndarray, duration_min: float | np.ndarray
                  ) -> np.ndarray:
        """Mean intensity q over a duration, L/(s·hm²).

        Parameters
        ----------
        return_period
            P, years (> 0).
        duration_min
            t, minutes (> 0).
        """
        p = np.asarray(return_period, dtype=np.float64)
        t = np.asarray(duration_min, dtype=np.float64)
        if np.any(p <= 0) or np.any(t <= 0):
            raise InputError("return period and duration must be positive.")
        return self.A * (1.0 + self.C * np.log10(p)) / (t + self.b) ** self.n

    def return_period(self, q: float | np.ndarray, duration_min: float | np.ndarray
                      ) -> np.ndarray:
        """Return period (years) whose mean intensity over the duration is q.

        The inverse of :meth:`intensity`: ``P = 10^((q·(t + b)^n / A - 1) / C)``
        (DOMAIN.md §3). Values below 1 year are returned as they are (the formula is
        fitted for P ≥ 1; classes below 1 a are reported as "< 1 a").

        Parameters
        ----------
        q
            Intensity, L/(s·hm²).
        duration_min
            t, minutes (> 0).
        """
        q = np.asarray(q, dtype=np.float64)
        t = np.asarray(duration_min, dtype=np.float64)
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            return 10.0 ** ((q * (t + self.b) ** self.n / self.A - 1.0) / self.C)

    def intensity_mm_h(self, return_period: float | np.ndarray,
                       duration_min: float | np.ndarray) -> np.ndarray:
        """Mean intensity over a duration, mm/h (i = q/167 mm/min)."""
        return self.intensity(return_period, duration_min) / MM_PER_MIN_PER_L_S_HA * 60.0

    def depth_mm(self, return_period: float | np.ndarray, duration_min: float | np.ndarray
                 ) -> np.ndarray:
        """Depth of rain over a duration, mm: ``a·t/(t + b)^n`` with ``a = A(1 + C lg P)/167``
        mm/min (0 at t = 0).

        Parameters
        ----------
        return_period
            P, years (> 0).
        duration_min
            t, minutes (≥ 0).
        """
        return _depth_from_intensity(self.intensity_mm_h, return_period, duration_min)


@dataclass(frozen=True)
class StormTableRow:
    """One row of a per-return-period table: ``q = A/(t + b)^n`` at return period P.

    Parameters
    ----------
    return_period
        P, years (> 0).
    A
        L/(s·hm²)·min^n (> 0).
    b
        Time offset, min (≥ 0).
    n
        Decay exponent (> 0).
    """

    return_period: float
    A: float
    b: float
    n: float

    def intensity(self, duration_min: np.ndarray) -> np.ndarray:
        """q over t minutes, L/(s·hm²)."""
        return self.A / (np.asarray(duration_min, dtype=np.float64) + self.b) ** self.n


#: Durations (min) at which a table's rows must give intensities increasing with P.
_CHECK_DURATIONS = np.concatenate([np.arange(1.0, 60.0), np.geomspace(60.0, 2880.0, 200)])


@dataclass(frozen=True)
class StormTable:
    """A storm-intensity model given per return period: one ``q = A/(t + b)^n`` per row.

    Between listed return periods q is interpolated **linearly in lg P** (at a fixed
    duration): this is exact for the annual-maximum formula, whose q is linear in lg P.
    :meth:`intensity` refuses a P outside the listed range (``InputError``): extrapolating
    a design intensity is the user's decision, not the toolkit's. :meth:`return_period`,
    an assessment of an existing capacity, extrapolates linearly in lg P beyond the first
    and last rows (as :meth:`StormFormula.return_period` does below 1 a), so that "below
    the smallest listed P" classes can still be mapped.

    Parameters
    ----------
    rows
        Rows sorted by strictly increasing return period. At every duration from 1 min to
        48 h a rarer row must give a higher q (else the table holds a typo).
    name, source, verified
        As for :class:`StormFormula`.
    """

    rows: tuple[StormTableRow, ...]
    name: str = ""
    source: str = ""
    verified: bool = False

    def __post_init__(self) -> None:
        rows = tuple(self.rows)
        object.__setattr__(self, "rows", rows)
        if not rows:
            raise InputError("a storm table needs at least one row.", field="table")
        for i, r in enumerate(rows):
            for key, low, strict in (("return_period", 0.0, True), ("A", 0.0, True),
                                     ("b", 0.0, False), ("n", 0.0, True)):
                v = getattr(r, key)
                ok = math.isfinite(v) and (v > low if strict else v >= low)
                if not ok:
                    sign = "positive" if strict else "≥ 0"
                    raise InputError(f"row {i + 1}: {key} must be {sign}, got {v}.", field=key)
        p = self.return_periods
        bad = np.flatnonzero(np.diff(p) <= 0)
        if bad.size:
            i = bad[0] + 1
            raise InputError(f"row {i + 1}: return period {p[i]:g} a does not follow row {i}'s "
                             f"{p[i - 1]:g} a; rows must be sorted by strictly increasing "
                             "return period.", field="return_period")
        if len(rows) > 1:
            q = self._row_q(_CHECK_DURATIONS)
            bad = np.argwhere(np.diff(q, axis=0) <= 0)
            if bad.size:
                k, j = bad[0]
                raise InputError(
                    f"rows {k + 1} and {k + 2}: at t = {_CHECK_DURATIONS[j]:g} min the "
                    f"{p[k + 1]:g} a row gives q = {q[k + 1, j]:.1f} L/(s·hm²), not more than "
                    f"the {p[k]:g} a row's {q[k, j]:.1f}; a rarer storm must be more intense.",
                    field="table", hint="Check A, b and n of these rows.")

    @property
    def return_periods(self) -> np.ndarray:
        """The listed return periods, years."""
        return np.array([r.return_period for r in self.rows], dtype=np.float64)

    def _row_q(self, t: np.ndarray) -> np.ndarray:
        """q of every row at durations t: shape (rows, *t.shape)."""
        t = np.asarray(t, dtype=np.float64)
        return np.stack([r.intensity(t) for r in self.rows])

    def intensity(self, return_period: float | np.ndarray, duration_min: float | np.ndarray
                  ) -> np.ndarray:
        """Mean intensity q over a duration, L/(s·hm²).

        At a listed P this is that row's ``A/(t + b)^n``; between rows q is linear in lg P;
        outside the listed range it raises :class:`~floodrisk.errors.InputError`.

        Parameters
        ----------
        return_period
            P, years, within the listed range.
        duration_min
            t, minutes (> 0).
        """
        p = _positive("return_period", return_period)
        t = _positive("duration_min", duration_min)
        p, t = np.broadcast_arrays(p, t)
        listed = self.return_periods
        lo, hi = listed[0], listed[-1]
        tol = 1e-12 * hi
        if np.any(p < lo - tol) or np.any(p > hi + tol):
            out = p[(p < lo - tol) | (p > hi + tol)].ravel()[0]
            span = f"{lo:g} a" if len(listed) == 1 else f"{lo:g} to {hi:g} a"
            raise InputError(f"return period {out:g} a is outside the table ({span}, listed: "
                             f"{', '.join(f'{x:g}' for x in listed)}); the table form does not "
                             "extrapolate.", field="return_period",
                             hint="Use a listed return period or one between them.")
        if len(listed) == 1:
            return self.rows[0].intensity(t) * np.ones_like(p)
        lg = np.log10(np.clip(p, lo, hi))
        lgl = np.log10(listed)
        k = np.clip(np.searchsorted(lgl, lg, side="right") - 1, 0, len(listed) - 2)
        w = (lg - lgl[k]) / (lgl[k + 1] - lgl[k])
        q = self._row_q(t)
        q_lo = np.take_along_axis(q, k[None, ...], axis=0)[0]
        q_hi = np.take_along_axis(q, (k + 1)[None, ...], axis=0)[0]
        return (1.0 - w) * q_lo + w * q_hi

    def intensity_mm_h(self, return_period: float | np.ndarray,
                       duration_min: float | np.ndarray) -> np.ndarray:
        """Mean intensity over a duration, mm/h (i = q/167 mm/min)."""
        return self.intensity(return_period, duration_min) / MM_PER_MIN_PER_L_S_HA * 60.0

    def depth_mm(self, return_period: float | np.ndarray, duration_min: float | np.ndarray
                 ) -> np.ndarray:
        """Depth of rain over a duration, mm (i·t; 0 at t = 0)."""
        return _depth_from_intensity(self.intensity_mm_h, return_period, duration_min)

    def return_period(self, q: float | np.ndarray, duration_min: float | np.ndarray
                      ) -> np.ndarray:
        """Return period (years) whose mean intensity over the duration is q.

        Inverts :meth:`intensity`: lg P is linear in q between the rows' intensities at t,
        and extrapolated linearly in lg P from the first or last two rows outside them. NaN
        q gives NaN. Needs at least two rows.

        Parameters
        ----------
        q
            Intensity, L/(s·hm²).
        duration_min
            t, minutes (> 0).
        """
        if len(self.rows) < 2:
            raise InputError("a table with one row cannot give a return period from an "
                             "intensity; it needs at least two rows.", field="table")
        q = np.asarray(q, dtype=np.float64)
        t = _positive("duration_min", duration_min)
        q, t = np.broadcast_arrays(q, t)
        rq = self._row_q(t)
        if np.any(np.diff(rq, axis=0) <= 0):
            raise InputError("at this duration the table's intensities do not increase with "
                             "return period; it cannot be inverted.", field="table")
        lgl = np.log10(self.return_periods)
        k = np.clip(np.sum(rq[1:-1] <= q[None, ...], axis=0), 0, len(self.rows) - 2)
        q_lo = np.take_along_axis(rq, k[None, ...], axis=0)[0]
        q_hi = np.take_along_axis(rq, (k + 1)[None, ...], axis=0)[0]
        with np.errstate(invalid="ignore", over="ignore"):
            lg = lgl[k] + (q - q_lo) / (q_hi - q_lo) * (lgl[k + 1] - lgl[k])
            return 10.0 ** lg


#: Either form of storm-intensity model.
StormModel = StormFormula | StormTable


def storm_label(model: StormModel, return_period: float) -> str:
    """The return-period label printed with a design storm.

    E.g. ``"P = 3 a (Zhengzhou (handbook), unverified parameters)"``.
    """
    status = "verified parameters" if model.verified else "unverified parameters"
    name = model.name or "unnamed formula"
    return f"P = {return_period:g} a ({name}, {status})"


# ---------------------------------------------------------------------------------------
# Design storms
# ---------------------------------------------------------------------------------------
def _steps(duration_min: float, step_min: float) -> int:
    """Number of steps; the step must divide the duration."""
    _positive("duration_min", duration_min)
    _positive("step_min", step_min)
    k = duration_min / step_min
    if abs(k - round(k)) > 1e-9 * max(1.0, k) or round(k) < 1:
        raise InputError(f"the step ({step_min:g} min) does not divide the duration "
                         f"({duration_min:g} min) into whole steps.", field="step_min",
                         hint="Choose a step that divides the duration, e.g. 1, 2 or 5 min.")
    return int(round(k))  # noqa: RUF046 (numpy floats)


def _describe(model: StormModel) -> str:
    status = "verified" if model.verified else "unverified"
    src = f"; {model.source}" if model.source else ""
    return f"{model.name or 'unnamed formula'} ({status} parameters{src})"


def _chicago_cumulative(depth: Callable[[np.ndarray], np.ndarray], duration_min: float,
                        peak_ratio: float, t_min: np.ndarray) -> np.ndarray:
    """Cumulative depth (mm) from the start at times t (min) of a Chicago storm.

    ``depth(t)`` is the depth-duration curve H(t) = i(t)·t of the intensity model. With
    the peak at t_p = r·T, the depth fallen within t_b before the peak is r·H(t_b/r) and
    within t_a after it (1 - r)·H(t_a/(1 - r)). For the formula, H(t) = a·t/(t + b)^n and
    the derivatives of these are Keifer & Chu's intensities (DOMAIN.md §1); at the ends
    they add up to r·H(T) + (1 - r)·H(T) = H(T).
    """
    r = peak_ratio
    tp = r * duration_min
    before = r * depth(np.clip(tp - t_min, 0.0, None) / r)
    after = (1.0 - r) * depth(np.clip(t_min - tp, 0.0, None) / (1.0 - r))
    return r * depth(np.array(duration_min)) - before + after


def chicago(formula: StormModel, return_period: float, duration_min: float,
            peak_ratio: float = 0.4, step_min: float = 5.0) -> Hyetograph:
    """Chicago design storm (Keifer & Chu 1957) of an intensity model.

    The peak sits at exactly ``peak_ratio·duration``. Step depths are differences of the
    cumulative curve (see :func:`_chicago_cumulative`), so the total is the model's depth
    over the duration, ``a·T/(T + b)^n`` for a formula, at any step, and every window of
    length t holding the peak at the ratio r (t·r before it) holds ``a·t/(t + b)^n``.

    Parameters
    ----------
    formula
        :class:`StormFormula` or :class:`StormTable`.
    return_period
        P, years (> 0).
    duration_min
        T, minutes (> 0).
    peak_ratio
        r, time of the peak as a fraction of the duration, in (0, 1) (usually 0.35-0.5).
    step_min
        Step, minutes; must divide the duration.

    Returns
    -------
    Hyetograph
        Times 0, Δt, …, T s; the last row (at T) has intensity 0.
    """
    _positive("return_period", return_period)
    k = _steps(duration_min, step_min)
    if not (math.isfinite(peak_ratio) and 0.0 < peak_ratio < 1.0):
        raise InputError(f"peak ratio must be between 0 and 1 (exclusive), got {peak_ratio}.",
                         field="peak_ratio", hint="0.4 is the usual value (0.35-0.5).")
    edges = step_min * np.arange(k + 1)
    edges[-1] = duration_min
    cum = _chicago_cumulative(lambda t: formula.depth_mm(return_period, t), duration_min,
                              peak_ratio, edges)
    depths = np.clip(np.diff(cum), 0.0, None)
    intensity = np.append(depths / np.diff(edges) * 60.0, 0.0)
    return Hyetograph(
        edges * 60.0, intensity,
        name=f"Chicago P={return_period:g} a {duration_min:g} min r={peak_ratio:g} "
             f"({formula.name or 'unnamed formula'})",
        provenance=f"Chicago design storm (Keifer & Chu 1957), P = {return_period:g} a, "
                   f"T = {duration_min:g} min, peak ratio {peak_ratio:g}, {step_min:g} min "
                   f"steps, from {_describe(formula)}; step depths by differencing the "
                   "cumulative curve.")


def block(formula: StormModel, return_period: float, duration_min: float,
          step_min: float = 5.0) -> Hyetograph:
    """Uniform design storm: the model's mean intensity over the duration at every step.

    Total depth = ``i(P, T)·T``.

    Parameters
    ----------
    formula
        :class:`StormFormula` or :class:`StormTable`.
    return_period
        P, years (> 0).
    duration_min
        T, minutes (> 0).
    step_min
        Step, minutes; must divide the duration.
    """
    _positive("return_period", return_period)
    k = _steps(duration_min, step_min)
    i = float(formula.intensity_mm_h(return_period, duration_min))
    edges = step_min * np.arange(k + 1)
    edges[-1] = duration_min
    return Hyetograph(
        edges * 60.0, np.append(np.full(k, i), 0.0),
        name=f"Block P={return_period:g} a {duration_min:g} min "
             f"({formula.name or 'unnamed formula'})",
        provenance=f"Uniform (block) design storm, P = {return_period:g} a, T = "
                   f"{duration_min:g} min, {step_min:g} min steps, mean intensity of "
                   f"{_describe(formula)}.")


# ---------------------------------------------------------------------------------------
# Zhengzhou "7.20" (2021), reconstructed
# ---------------------------------------------------------------------------------------
#: Zhengzhou national station, 20 July 2021 16:00-17:00 (mainland hourly record), mm.
ZHENGZHOU_720_PEAK_HOUR_MM = 201.9
#: Zhengzhou national station, 19 July 20:00 to 20 July 20:00 (UTC+8), mm.
ZHENGZHOU_720_TOTAL_MM = 552.5
#: The peak hour starts 20 h after the 24 h window (19 July 20:00 → 20 July 16:00).
_ZZ_PEAK_HOUR = 20
#: Shape of the reconstruction: b and n of the Zhengzhou handbook formula (DOMAIN.md §1).
_ZZ_SHAPE_B, _ZZ_SHAPE_N = 15.1, 0.824


def zhengzhou_720(step_min: float = 60.0) -> Hyetograph:
    """The Zhengzhou "7.20" storm of 2021, **reconstructed** (not the observed series).

    24 h from 19 July 2021 20:00 (UTC+8; time 0) to 20 July 20:00. It keeps the two
    published totals of the Zhengzhou national station (DOMAIN.md §1): 201.9 mm in the
    peak hour 16:00-17:00 (20 h to 21 h) and 552.5 mm over the 24 h. The shape is a
    Chicago curve with the Zhengzhou handbook's b = 15.1 min and n = 0.824, peaking at
    16:30 (r = 1230/1440): its depths in the peak hour are scaled to 201.9 mm and in the
    other 23 hours, all by one factor, to 350.6 mm. The observed hourly series was not
    available; hours other than the peak hour are plausible, not measured.

    Parameters
    ----------
    step_min
        Step, minutes; must divide 60 (default hourly).
    """
    _steps(60.0, step_min)
    k = _steps(1440.0, step_min)
    per_hour = k // 24
    edges = step_min * np.arange(k + 1)
    edges[-1] = 1440.0
    tp = 60.0 * _ZZ_PEAK_HOUR + 30.0
    shape = StormFormula(A=MM_PER_MIN_PER_L_S_HA, C=0.0, b=_ZZ_SHAPE_B, n=_ZZ_SHAPE_N)
    cum = _chicago_cumulative(lambda t: shape.depth_mm(1.0, t), 1440.0, tp / 1440.0, edges)
    depths = np.diff(cum)
    peak = np.zeros(k, dtype=bool)
    peak[_ZZ_PEAK_HOUR * per_hour:(_ZZ_PEAK_HOUR + 1) * per_hour] = True
    depths[peak] *= ZHENGZHOU_720_PEAK_HOUR_MM / depths[peak].sum()
    depths[~peak] *= (ZHENGZHOU_720_TOTAL_MM - ZHENGZHOU_720_PEAK_HOUR_MM) / depths[~peak].sum()
    intensity = np.append(depths / step_min * 60.0, 0.0)
    return Hyetograph(
        edges * 60.0, intensity,
        name="Zhengzhou 7.20 (2021), reconstructed, not observed",
        provenance="Reconstructed, not observed: 24 h from 2021-07-19 20:00 (UTC+8) at the "
                   "Zhengzhou national station, keeping the published 201.9 mm in the peak hour "
                   "16:00-17:00 and 552.5 mm over the 24 h (DOMAIN.md §1). The other hours "
                   "follow a Chicago curve (b = 15.1 min, n = 0.824 of the Zhengzhou handbook "
                   "formula, peak at 16:30) scaled to the remaining 350.6 mm; "
                   f"{step_min:g} min steps.")
