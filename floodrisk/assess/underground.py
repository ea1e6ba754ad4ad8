"""Water into underground spaces (地下空间) over their entrances (DOMAIN.md §5).

A 2D surface run (:mod:`floodrisk.engines.surface` or :mod:`floodrisk.engines.coupled`)
records the outside water depth at every entrance every output interval. The DEM does
not carve the spaces (an underpass is not in the terrain), so water enters a space only
over its entrances, and this module works it out afterwards:

1. **Head over the sill.** ``h(t) = outside depth − sill_height`` (m), taken linear
   between the recorded samples; water flows in only where ``h > 0``.
2. **Inflow.** Broad-crested weir ``Q = Cd·b·h^1.5`` (m³/s; Cd =
   :attr:`UndergroundSettings.weir_coefficient`, b the opening width), integrated
   *exactly* for the piecewise-linear head (:func:`weir_volume`): no time step error
   beyond the run's own sampling.
3. **Filling.** The inflow of all a space's entrances spreads level over its
   ``floor_area``: fill depth ``V(t)/A`` (m), capped at ``volume/A`` when the space's
   volume is given; water level ``floor_elev + V/A`` (m). Times at which a level is
   first reached are exact within the sampling (root of the exact ``V(t)`` in its
   interval).
4. **Classes** (:data:`UNDERGROUND_CLASSES`), entrance by entrance and space by space;
   see :func:`assess_underground`.

The exchange is one-way, and every simplification errs on the side of more water in
the space (conservative for a warning):

- the water that flows in is not taken out of the surface run (the outside depth is
  the run's, as if the entrance were a wall);
- the weir is always free: the inside level never drowns it or sends water back out;
- water keeps flowing in after a space with a given ``volume`` is full (the fill is
  capped, the inflow volume is not; the note says by how much it overflowed).

For underpasses and tunnels the fill depth is reported as the depth at the sag
(``sag_depth``): the water is spread level over ``floor_area``, so give that as the
area of the pond at about the closure depth for a close figure; the whole deck area
gives too low a depth.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.optimize import brentq

from ..errors import AssetError, ConfigError, InputError, SchemaError, describe_ids

__all__ = [
    "SAG_KINDS",
    "UNDERGROUND_CLASSES",
    "UndergroundAssessment",
    "UndergroundSettings",
    "assess_underground",
    "weir_volume",
]

#: Classes of entrances and spaces, least severe first.
UNDERGROUND_CLASSES = ("safe", "at risk", "flooded")
SAFE, AT_RISK, FLOODED = UNDERGROUND_CLASSES

#: Space kinds whose water collects at a sag and that must be closed to traffic.
SAG_KINDS = ("underpass", "tunnel")

#: Levels equal to within this count as reached, m (floating-point round-off only:
#: 0.28 − 0.10 is 0.18000000000000002 in binary).
_LEVEL_TOL = 1e-9


def _is_number(v: object) -> bool:
    """A finite real number (not a bool)."""
    return (isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
            and bool(np.isfinite(v)))


@dataclass(frozen=True)
class UndergroundSettings:
    """Settings of the underground assessment, with their sources.

    Parameters
    ----------
    weir_coefficient
        Cd of the broad-crested weir ``Q = Cd·b·h^1.5``, m^0.5/s. Default 1.70 =
        (2/3)^1.5·√g (DOMAIN.md §5).
    closure_depth
        Water at the sag of an underpass or tunnel at which it must be closed, m.
        Default 0.30 m: vehicles stall at about half a wheel (DOMAIN.md §4, [verify]).
    freeboard
        An entrance is "at risk" when the outside water came within this of the top of
        its sill, m. Project default 0.10 m [verify].
    flooded_depth
        Water on the floor that makes a space "flooded" when it has no critical
        equipment level (``critical_elev`` empty) and is not an underpass or tunnel, m.
        Project default 0.05 m (water standing over the whole floor) [verify].
    inflow_head
        Head over the sill from which water counts as flowing in for the first-inflow
        time (the warning lead time) and the entrance class "flooded", m. Project default
        0.01 m: the 2D model wets every cell with the first millimetres of rain, which
        would put the lead time of a sill-less underpass at the rain's start [verify].
        The inflow volume integrates every positive head.
    """

    weir_coefficient: float = 1.70
    closure_depth: float = 0.30
    freeboard: float = 0.10
    flooded_depth: float = 0.05
    inflow_head: float = 0.01

    def __post_init__(self) -> None:
        for name in ("weir_coefficient", "closure_depth", "flooded_depth"):
            v = getattr(self, name)
            if not (_is_number(v) and v > 0):
                raise ConfigError(f"{name} must be a positive number, got {v!r}.", field=name)
        for name in ("freeboard", "inflow_head"):
            v = getattr(self, name)
            if not (_is_number(v) and v >= 0):
                raise ConfigError(f"{name} must be a number ≥ 0 m, got {v!r}.", field=name)


@dataclass(frozen=True, eq=False)
class UndergroundAssessment:
    """Findings of :func:`assess_underground`.

    Parameters
    ----------
    entrances
        One row per entrance (input order): ``space_id``, ``entrance_id``, ``kind`` (of
        its space), ``max_outside_depth`` (m), ``sill_height`` (m),
        ``max_head_over_sill`` (m, ≥ 0), ``time_over_sill`` (s the water stood over the
        sill), ``time_at_risk`` (s from rain start when the outside water first came
        within the freeboard of the sill's top: the deadline for flood barriers; NaN:
        never), ``inflow_volume`` (m³), ``first_inflow_time`` (s from rain start, NaN:
        never), ``peak_inflow`` (m³/s), ``class``; with the entrances' geometry when
        they had one.
    spaces
        One row per space (input order): ``space_id``, ``kind``, ``name``,
        ``n_entrances``, ``inflow_volume`` (m³), ``time_at_risk`` (the earliest of its
        entrances'), ``first_inflow_time`` and ``lead_time`` (s from rain start, NaN:
        never), ``fill_depth`` (m), ``water_level`` (m),
        ``critical_elev`` (m), ``time_critical`` (s, NaN: never), ``sag_depth`` (m) and
        ``time_closure`` (s) for underpasses and tunnels (NaN for other kinds),
        ``time_flooded`` (s the space became "flooded", NaN: never), ``class``,
        ``evidence`` and ``note`` (text); with the spaces' geometry when they had one.
    series
        Cumulative inflow (m³) of every entrance (columns, by entrance_id) at every
        recorded time (index ``time``, s from rain start).
    settings
        The settings used.
    """

    entrances: pd.DataFrame
    spaces: pd.DataFrame
    series: pd.DataFrame
    settings: UndergroundSettings

    @property
    def space_series(self) -> pd.DataFrame:
        """Cumulative inflow (m³) of every space with entrances (columns, by space_id) at
        every recorded time; not capped at the space's volume."""
        by_space = self.entrances.set_index("entrance_id")["space_id"]
        grouped = self.series.T.groupby(by_space.reindex(self.series.columns).to_numpy(),
                                        sort=False).sum().T
        grouped.columns.name = "space_id"
        return grouped


# ---- the weir integral ------------------------------------------------------------------
def _head_integral(h0: np.ndarray, h1: np.ndarray, dt: np.ndarray) -> np.ndarray:
    """∫ max(h, 0)^1.5 dt (m^1.5·s) over segments of length ``dt`` (s) on which the head
    goes linearly from ``h0`` to ``h1`` (m, either sign).

    With p = max(h, 0), the head is positive on a fraction
    ``(p0 + p1)/(|h0| + |h1|)`` of the segment (all of it when both heads are ≥ 0,
    none when both are ≤ 0, up to the zero crossing otherwise), and over that part it
    goes linearly between p0 and p1, where ``∫ h^1.5 = Δt·(p1^2.5 − p0^2.5)/(2.5·(p1 − p0))``.
    With u = √p0, v = √p1 that quotient is ``(u⁴ + u³v + u²v² + uv³ + v⁴)/(2.5·(u + v))``,
    a sum of positive terms: no cancellation when p1 ≈ p0, and ``p^1.5`` when they are
    equal.
    """
    p0 = np.maximum(h0, 0.0)
    p1 = np.maximum(h1, 0.0)
    u = np.sqrt(p0)
    v = np.sqrt(p1)
    span = np.abs(h0) + np.abs(h1)
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(span > 0, (p0 + p1) / span, 0.0)
        mean = np.where(u + v > 0, (u**4 + u**3 * v + u**2 * v**2 + u * v**3 + v**4)
                        / (2.5 * (u + v)), 0.0)
    return dt * frac * mean


def _cumulative(times: np.ndarray, heads: np.ndarray, width: np.ndarray, cd: float
                ) -> np.ndarray:
    """Cumulative inflow (m³) at every time (rows) of every opening (columns)."""
    dt = np.diff(times)[:, None]
    seg = cd * width[None, :] * _head_integral(heads[:-1], heads[1:], dt)
    return np.vstack([np.zeros((1, heads.shape[1])), np.cumsum(seg, axis=0)])


def _first_positive(times: np.ndarray, heads: np.ndarray) -> np.ndarray:
    """Interpolated time (s) each column's head first becomes > 0 (NaN: never)."""
    pos = heads > 0
    any_pos = pos.any(axis=0)
    k = np.argmax(pos, axis=0)
    cols = np.arange(heads.shape[1])
    km1 = np.maximum(k - 1, 0)
    h_prev = heads[km1, cols]
    h_next = heads[k, cols]
    with np.errstate(invalid="ignore", divide="ignore"):
        cross = times[km1] + (times[k] - times[km1]) * (-h_prev) / (h_next - h_prev)
    t = np.where(k == 0, times[0], cross)
    return np.where(any_pos, t, np.nan)


def _time_over(times: np.ndarray, heads: np.ndarray) -> np.ndarray:
    """Time (s) each column's head stood above 0, the head linear between samples."""
    h0, h1 = heads[:-1], heads[1:]
    span = np.abs(h0) + np.abs(h1)
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(span > 0, (np.maximum(h0, 0) + np.maximum(h1, 0)) / span, 0.0)
    return (np.diff(times)[:, None] * frac).sum(axis=0)


def _check_times(times: np.ndarray, field: str = "time") -> None:
    if times.ndim != 1 or times.size == 0:
        raise InputError("the time series has no samples.", field=field)
    if not np.isfinite(times).all() or (times.size > 1 and not (np.diff(times) > 0).all()):
        raise InputError("times must be finite and strictly increasing (s).", field=field)


def weir_volume(times: Sequence[float] | np.ndarray, depth_over_sill: Sequence[float] |
                np.ndarray, width: float | Sequence[float] | np.ndarray,
                cd: float = UndergroundSettings.weir_coefficient
                ) -> tuple[np.ndarray, float | np.ndarray]:
    """Water over a broad-crested weir (an entrance sill) from a series of outside heads.

    The head is taken linear between samples, water flows only where it is > 0, and
    ``Q = cd·b·h^1.5`` is integrated exactly on each segment (split at a zero
    crossing): for heads h0, h1 ≥ 0 over Δt,
    ``∫h^1.5 dt = Δt·(h1^2.5 − h0^2.5)/(2.5·(h1 − h0))`` (``Δt·h0^1.5`` when equal).

    Parameters
    ----------
    times
        Sample times, s (strictly increasing).
    depth_over_sill
        Outside water depth minus sill height at those times, m (negative: below the
        sill). Shape ``(n_times,)``, or ``(n_times, n_openings)`` for several openings.
    width
        Opening width b, m (one per opening for a 2-D head).
    cd
        Weir coefficient, m^0.5/s.

    Returns
    -------
    (volume, first_inflow_time)
        Cumulative inflow at every time, m³ (0 at the first sample), shaped as
        ``depth_over_sill``; and the interpolated time the head first becomes > 0, s
        (NaN: never), a float for 1-D heads, one per opening for 2-D heads.
    """
    t = np.asarray(times, dtype=np.float64)
    _check_times(t, "times")
    h = np.asarray(depth_over_sill, dtype=np.float64)
    one = h.ndim == 1
    h2 = h[:, None] if one else h
    if h2.ndim != 2 or h2.shape[0] != t.size:
        raise InputError(f"depth_over_sill has shape {h.shape}; {t.size} times need "
                         f"({t.size},) or ({t.size}, n_openings).", field="depth_over_sill")
    if not np.isfinite(h2).all():
        raise InputError("depth_over_sill has NaN or infinite values.", field="depth_over_sill")
    b = np.asarray(width, dtype=np.float64)
    if b.ndim == 0:
        b = np.full(h2.shape[1], float(b))
    if (b.shape != (h2.shape[1],) or not np.isfinite(b).all() or not (b >= 0).all()):
        raise InputError("width must be finite and ≥ 0 m, one per opening.", field="width")
    if not (_is_number(cd) and cd > 0):
        raise InputError(f"cd must be a positive weir coefficient (m^0.5/s), got {cd!r}.",
                         field="cd")
    vol = _cumulative(t, h2, b, float(cd))
    first = _first_positive(t, h2)
    if one:
        return vol[:, 0], float(first[0])
    return vol, first


def _first_reach(times: np.ndarray, heads: np.ndarray, vol: np.ndarray, width: np.ndarray,
                 cd: float, target: float) -> float:
    """First time (s) the summed inflow of the given openings reaches ``target`` m³ (> 0),
    exact: the root of the exact V(t) within the sampling interval where it is crossed."""
    total = vol.sum(axis=1)
    hit = np.flatnonzero(total >= target)
    if not hit.size:
        return np.nan
    k = int(hit[0])
    if k == 0:
        return float(times[0])
    t0, t1 = float(times[k - 1]), float(times[k])
    h0, h1, v0 = heads[k - 1], heads[k], float(total[k - 1])

    def short(t: float) -> float:
        tau = t - t0
        ht = h0 + (h1 - h0) * (tau / (t1 - t0))
        return v0 + cd * float(np.sum(width * _head_integral(h0, ht, tau))) - target

    if short(t1) <= 0.0:        # round-off between the cumulative sum and the closed form
        return t1
    return float(brentq(short, t0, t1, xtol=1e-6))


# ---- the assessment -----------------------------------------------------------------------
def _require(df: pd.DataFrame, layer: str, cols: Sequence[str]) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise SchemaError(f"the {layer} table lacks the column(s) {', '.join(missing)}.",
                          layer=layer, field=missing[0])


def _numeric(df: pd.DataFrame, col: str) -> np.ndarray:
    if col not in df.columns:
        return np.full(len(df), np.nan)
    return pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=np.float64)


def _check_finite(values: np.ndarray, ids: np.ndarray, layer: str, field: str, what: str,
                  ok: np.ndarray) -> None:
    bad = ~ok
    if bad.any():
        raise InputError(f"{field} must be {what}.", layer=layer, field=field,
                         feature=list(ids[bad]))


def _geometry(df: pd.DataFrame):
    if isinstance(df, gpd.GeoDataFrame):
        try:
            return df.geometry.reset_index(drop=True), df.crs
        except AttributeError:     # a GeoDataFrame without an active geometry column
            return None, None
    return None, None


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _volume_text(v: float) -> str:
    return f"{v:.0f} m³" if v >= 10 else f"{v:.2g} m³"


def _entrance_evidence(row: pd.Series) -> str:
    eid, sill = row["entrance_id"], row["sill_height"]
    if row["class"] == FLOODED:
        return (f"{eid}: {row['max_head_over_sill']:.2f} m over its {sill:.2f} m sill for "
                f"{_duration(row['time_over_sill'])}, {_volume_text(row['inflow_volume'])}")
    gap = sill - row["max_outside_depth"]
    return f"{eid}: {row['max_outside_depth']:.2f} m outside, {gap:.2f} m below its {sill:.2f} m sill"


def assess_underground(underground: pd.DataFrame, entrances: pd.DataFrame,
                       probes: pd.DataFrame, settings: UndergroundSettings | None = None
                       ) -> UndergroundAssessment:
    """Inflow into every underground space over its entrances during a surface run.

    Classes (:data:`UNDERGROUND_CLASSES`):

    - **Entrance** "flooded" when the outside water rose over its sill by more than
      ``settings.inflow_head`` (water flowed in); "at risk" when there was water outside and it came
      within ``settings.freeboard`` of the top of the sill (``max_outside_depth ≥
      sill_height − freeboard``); "safe" otherwise.
    - **Space** "flooded" when the water inside reaches its critical equipment level
      (``floor_elev + fill ≥ critical_elev``), or, for underpasses and tunnels, when the
      depth at the sag reaches ``settings.closure_depth``, or, for other kinds without a
      critical level, when the fill reaches ``settings.flooded_depth``; "at risk" when
      any water flowed in or the water outside came within the freeboard of a sill (any
      entrance not "safe"); "safe" otherwise, and always for spaces without entrances
      (``note`` says "no entrance").

    Parameters
    ----------
    underground
        Underground spaces with defaults filled in: ``space_id``, ``kind``,
        ``floor_elev`` (m, the sag for underpasses and tunnels), ``floor_area`` (m²),
        and optionally ``name``, ``critical_elev`` (m), ``volume`` (m³, NaN: unlimited).
    entrances
        Entrances: ``entrance_id``, ``space_id``, ``sill_height`` (m above the outside
        ground), ``width`` (m).
    probes
        The run's probe series: index ``time`` (s from rain start, increasing), columns
        ``(entrance_id, "depth" | "velocity")`` with the outside depth in m.
    settings
        :class:`UndergroundSettings`.

    Returns
    -------
    UndergroundAssessment
        The ``entrances`` and ``spaces`` tables and the cumulative inflow ``series``.

    Raises
    ------
    InputError
        When an entrance has no depth series in ``probes``, or the tables hold values
        that cannot be used (``SchemaError``, ``AssetError`` where they contradict).
    """
    s = settings or UndergroundSettings()
    _require(underground, "underground", ("space_id", "kind", "floor_elev", "floor_area"))
    _require(entrances, "entrances", ("entrance_id", "space_id", "sill_height", "width"))

    sid = underground["space_id"].to_numpy()
    if pd.Index(sid).has_duplicates:
        dup = pd.Index(sid)[pd.Index(sid).duplicated()].unique()
        raise AssetError("space_id is not unique.", layer="underground", field="space_id",
                         feature=list(dup))
    kind = underground["kind"].astype(str).to_numpy()
    name = (underground["name"].where(underground["name"].notna(), underground["space_id"])
            if "name" in underground.columns else underground["space_id"]).to_numpy()
    floor = _numeric(underground, "floor_elev")
    area = _numeric(underground, "floor_area")
    crit = _numeric(underground, "critical_elev")
    cap = _numeric(underground, "volume")
    _check_finite(floor, sid, "underground", "floor_elev", "a finite elevation (m)",
                  np.isfinite(floor))
    _check_finite(area, sid, "underground", "floor_area", "a positive area (m²)",
                  np.isfinite(area) & (area > 0))
    _check_finite(cap, sid, "underground", "volume", "positive (m³) or empty",
                  np.isnan(cap) | (cap > 0))
    _check_finite(crit, sid, "underground", "critical_elev", "at or above floor_elev",
                  np.isnan(crit) | (crit >= floor))

    eid = entrances["entrance_id"].to_numpy()
    if pd.Index(eid).has_duplicates:
        dup = pd.Index(eid)[pd.Index(eid).duplicated()].unique()
        raise AssetError("entrance_id is not unique.", layer="entrances", field="entrance_id",
                         feature=list(dup))
    at = pd.Index(sid).get_indexer(entrances["space_id"].to_numpy())
    if (at < 0).any():
        raise AssetError("space_id refers to spaces that are not in the underground table.",
                         layer="entrances", field="space_id", feature=list(eid[at < 0]))
    sill = _numeric(entrances, "sill_height")
    width = _numeric(entrances, "width")
    _check_finite(sill, eid, "entrances", "sill_height", "a height ≥ 0 m",
                  np.isfinite(sill) & (sill >= 0))
    _check_finite(width, eid, "entrances", "width", "a width ≥ 0 m",
                  np.isfinite(width) & (width >= 0))

    # ---- the depth series at the entrances
    if not isinstance(probes.columns, pd.MultiIndex) or probes.columns.nlevels != 2:
        raise InputError("probes must have columns (probe name, 'depth' | 'velocity').",
                         field="probes",
                         hint="Pass the probes of a surface or coupled run (result.probes).")
    have = {str(p) for p, var in probes.columns if var == "depth"}
    lacking = [e for e in eid if str(e) not in have]
    if lacking:
        raise InputError(f"the run has no depth series at entrance(s) "
                         f"{describe_ids(lacking)}.", layer="entrances", field="entrance_id",
                         feature=list(lacking),
                         hint="Run a surface or coupled engine with the study's entrances "
                              "as probes (entrances outside the grid get none).")
    times = np.asarray(probes.index, dtype=np.float64)
    _check_times(times)
    depth_of = {str(p): probes[(p, var)] for p, var in probes.columns if var == "depth"}
    depth = np.column_stack([depth_of[str(e)].to_numpy(dtype=np.float64) for e in eid]) \
        if len(eid) else np.zeros((times.size, 0))
    gaps = ~np.isfinite(depth).all(axis=0)
    if gaps.any():
        raise InputError("the depth series has NaN or infinite values.", field="probes",
                         feature=list(eid[gaps]),
                         hint="Use the probes of a finished run; entrances on nodata cells "
                              "have no depth.")
    depth = np.maximum(depth, 0.0)

    # ---- entrances
    cd = s.weir_coefficient
    heads = depth - sill[None, :]
    vol = _cumulative(times, heads, width, cd)
    first = _first_positive(times, heads - s.inflow_head)
    # when the water first came within the freeboard of the sill's top: the deadline for
    # the flood barriers (the time the entrance became "at risk")
    risk_level = np.maximum(sill - s.freeboard - _LEVEL_TOL, 0.0)
    risk_time = _first_positive(times, depth - risk_level[None, :])
    max_depth = depth.max(axis=0) if len(eid) else np.zeros(0)
    max_head = np.maximum(heads.max(axis=0), 0.0) if len(eid) else np.zeros(0)
    over = _time_over(times, heads)
    ekind = kind[at]
    eclass = np.where(max_head > s.inflow_head, FLOODED,
                      np.where((max_depth > 0)
                               & (max_depth >= sill - s.freeboard - _LEVEL_TOL),
                               AT_RISK, SAFE)).astype(object)
    ent = pd.DataFrame({
        "space_id": entrances["space_id"].to_numpy(), "entrance_id": eid, "kind": ekind,
        "max_outside_depth": max_depth, "sill_height": sill, "max_head_over_sill": max_head,
        "time_over_sill": over, "time_at_risk": risk_time, "inflow_volume": vol[-1],
        "first_inflow_time": first,
        "peak_inflow": cd * width * max_head**1.5, "class": eclass,
    })
    geom, crs = _geometry(entrances)
    if geom is not None:
        ent = gpd.GeoDataFrame(ent, geometry=geom.to_numpy(), crs=crs)
    series = pd.DataFrame(vol, index=pd.Index(times, name="time"),
                          columns=pd.Index(eid, name="entrance_id"))

    # ---- spaces
    n = len(sid)
    cols_of = [np.flatnonzero(at == i) for i in range(n)]
    out: dict[str, list] = {k: [] for k in (
        "n_entrances", "inflow_volume", "first_inflow_time", "fill_depth", "time_critical",
        "time_closure", "time_flooded", "class", "evidence", "note")}
    full_depth = np.where(np.isnan(cap), np.inf, cap / area)
    for i in range(n):
        c = cols_of[i]
        notes: list[str] = []
        sag = kind[i] in SAG_KINDS
        v_in = float(vol[-1, c].sum()) if c.size else 0.0
        fill = min(v_in / area[i], full_depth[i])
        t_first = float(np.nanmin(first[c])) if c.size and np.isfinite(first[c]).any() \
            else np.nan

        def reach(depth_m: float, c=c, i=i, t_first=t_first) -> float:
            if depth_m > full_depth[i] + _LEVEL_TOL or not c.size:
                return np.nan              # the space is full below that level
            if depth_m <= _LEVEL_TOL:
                return t_first             # any water reaches it
            return _first_reach(times, heads[:, c], vol[:, c], width[c], cd,
                                (depth_m - _LEVEL_TOL) * area[i])

        t_crit = reach(crit[i] - floor[i]) if np.isfinite(crit[i]) else np.nan
        t_close = reach(s.closure_depth) if sag else np.nan
        t_floor = (reach(s.flooded_depth) if not sag and np.isnan(crit[i]) else np.nan)
        t_flood = float(np.nanmin([t_crit, t_close, t_floor])) \
            if np.isfinite([t_crit, t_close, t_floor]).any() else np.nan
        if not c.size:
            cls = SAFE
            notes.append("no entrance")
        elif np.isfinite(t_flood):
            cls = FLOODED
        elif (eclass[c] != SAFE).any():
            cls = AT_RISK
        else:
            cls = SAFE
        if np.isnan(crit[i]) and not sag:
            notes.append(f"critical level unknown: flooded at {s.flooded_depth:g} m of water "
                         "on the floor")
        if np.isfinite(cap[i]) and v_in > cap[i]:
            notes.append(f"full: {_volume_text(v_in - cap[i])} beyond its "
                         f"{_volume_text(cap[i])} volume")

        # evidence: the entrances that let water in (most first), else the closest call
        if c.size:
            rows = ent.iloc[c]
            wet = rows[rows["class"] == FLOODED].sort_values("inflow_volume", ascending=False)
            if len(wet):
                parts = [_entrance_evidence(r) for _, r in wet.head(3).iterrows()]
                if len(wet) > 3:
                    parts.append(f"and {len(wet) - 3} more entrances")
            else:
                gap = rows["sill_height"] - rows["max_outside_depth"]
                parts = [_entrance_evidence(rows.loc[gap.idxmin()])]
            if cls == FLOODED:
                when = []
                if np.isfinite(t_crit):
                    when.append(f"critical level {crit[i]:.2f} m reached after "
                                f"{_duration(t_crit)}")
                if np.isfinite(t_close):
                    when.append(f"{s.closure_depth:g} m at the sag after {_duration(t_close)}")
                if np.isfinite(t_floor):
                    when.append(f"{s.flooded_depth:g} m on the floor after "
                                f"{_duration(t_floor)}")
                parts.append("; ".join(when))
            if v_in > 0:
                parts.append(f"fills {fill:.2f} m over {area[i]:.0f} m²")
            evidence = "; ".join(parts)
        else:
            evidence = "no entrance"
        out["n_entrances"].append(int(c.size))
        out["inflow_volume"].append(v_in)
        out["first_inflow_time"].append(t_first)
        out["fill_depth"].append(fill)
        out["time_critical"].append(t_crit)
        out["time_closure"].append(t_close)
        out["time_flooded"].append(t_flood)
        out["class"].append(cls)
        out["evidence"].append(evidence)
        out["note"].append("; ".join(notes))

    fill = np.array(out["fill_depth"], dtype=np.float64)
    is_sag = np.isin(kind, SAG_KINDS)
    spaces = pd.DataFrame({
        "space_id": sid, "kind": kind, "name": name,
        "n_entrances": np.array(out["n_entrances"], dtype=np.int64),
        "inflow_volume": np.array(out["inflow_volume"], dtype=np.float64),
        "time_at_risk": pd.Series(risk_time).groupby(at).min().reindex(range(n)).to_numpy(),
        "first_inflow_time": np.array(out["first_inflow_time"], dtype=np.float64),
        "lead_time": np.array(out["first_inflow_time"], dtype=np.float64),
        "fill_depth": fill, "water_level": floor + fill, "critical_elev": crit,
        "time_critical": np.array(out["time_critical"], dtype=np.float64),
        "sag_depth": np.where(is_sag, fill, np.nan),
        "time_closure": np.array(out["time_closure"], dtype=np.float64),
        "time_flooded": np.array(out["time_flooded"], dtype=np.float64),
        "class": np.array(out["class"], dtype=object),
        "evidence": np.array(out["evidence"], dtype=object),
        "note": np.array(out["note"], dtype=object),
    })
    geom, crs = _geometry(underground)
    if geom is not None:
        spaces = gpd.GeoDataFrame(spaces, geometry=geom.to_numpy(), crs=crs)
    return UndergroundAssessment(entrances=ent, spaces=spaces, series=series, settings=s)
