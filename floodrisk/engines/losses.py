"""Infiltration losses of the 2D surface model (DOMAIN.md §2).

Three models, each a frozen value whose parameters are a number (the same in every
cell) or an array of the grid's shape (per cell):

- :class:`ConstantLoss` — a constant rate (a plain number given as ``losses=`` means
  this, in mm/h);
- :class:`Horton` — capacity decaying from f0 to f_min with rate k, per cell, as water
  infiltrates;
- :class:`GreenAmpt` — capacity ``K_s (1 + ψ Δθ / F)`` of the infiltrated depth F.

Infiltration takes water only where there is some (rain falling in the step plus the
depth held); it never makes a depth negative. Blocked cells and cells outside the
domain lose nothing. Soils do not recover between storms (no drying).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..rainfall import MM_H_TO_M_S

__all__ = ["ConstantLoss", "GreenAmpt", "Horton", "LossModel"]

_PerCell = float | np.ndarray


def _param(name: str, value: _PerCell, shape: tuple[int, int], *, positive: bool = False,
           scale: float = 1.0) -> np.ndarray:
    """A loss parameter as a float64 array of the grid's shape (broadcast when scalar),
    scaled to SI; finite and ≥ 0 (> 0 when ``positive``), NaN allowed outside."""
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0:
        v = float(arr)
        if not math.isfinite(v) or v < 0 or (positive and v == 0):
            need = "positive" if positive else "≥ 0"
            raise InputError(f"{name} must be a finite number {need}, got {value!r}.",
                             field=f"losses.{name}")
        return np.broadcast_to(np.float64(v * scale), shape)
    if arr.shape != shape:
        raise InputError(f"{name} has shape {arr.shape}; a per-cell array must have the "
                         f"terrain's shape {shape}.", field=f"losses.{name}")
    ok = np.isnan(arr) | (arr > 0 if positive else arr >= 0)
    if not ok.all() or np.isinf(arr).any():
        r, c = np.argwhere(~ok | np.isinf(arr))[0]
        raise InputError(f"{name} at cell ({r}, {c}) is {arr[r, c]!r}; it must be finite and "
                         f"{'positive' if positive else '≥ 0'}.", field=f"losses.{name}")
    return np.nan_to_num(arr, nan=0.0) * scale


@dataclass(frozen=True, eq=False)
class ConstantLoss:
    """Infiltration at a constant rate wherever water stands.

    Parameters
    ----------
    rate_mm_h
        Rate, mm/h (number or per-cell array).
    """

    rate_mm_h: _PerCell

    def _arrays(self, shape):
        return 1, _param("rate_mm_h", self.rate_mm_h, shape, scale=MM_H_TO_M_S), None, None


@dataclass(frozen=True, eq=False)
class Horton:
    """Horton infiltration, tracked per cell.

    Under ponding the capacity follows Horton's curve
    ``f(t) = f_min + (f0 - f_min) e^(-k t)``; with less water than the capacity it decays
    only as water actually infiltrates (``df/dF = -k (f - f_min) / f``), as SWMM's
    modified Horton does. Defaults are DOMAIN.md §2's typical values.

    Parameters
    ----------
    f0_mm_h
        Initial (dry-soil) capacity, mm/h (76.2).
    fmin_mm_h
        Final capacity, mm/h (12.7).
    decay_per_h
        Decay constant k, 1/h (4; 2-7 usual).
    """

    f0_mm_h: _PerCell = 76.2
    fmin_mm_h: _PerCell = 12.7
    decay_per_h: _PerCell = 4.0

    def _arrays(self, shape):
        f0 = _param("f0_mm_h", self.f0_mm_h, shape, scale=MM_H_TO_M_S)
        fmin = _param("fmin_mm_h", self.fmin_mm_h, shape, scale=MM_H_TO_M_S)
        k = _param("decay_per_h", self.decay_per_h, shape, scale=1.0 / 3600.0)
        if np.any(np.asarray(fmin) > np.asarray(f0)):
            raise InputError("fmin_mm_h exceeds f0_mm_h; the capacity decays from f0 down to "
                             "fmin.", field="losses.fmin_mm_h")
        return 2, fmin, k, np.array(np.broadcast_to(f0, shape), dtype=np.float64)


@dataclass(frozen=True, eq=False)
class GreenAmpt:
    """Green-Ampt infiltration, tracked per cell: capacity ``K_s (1 + ψ Δθ / F)`` with F
    the depth infiltrated so far (all water available infiltrates while F = 0).

    Parameters
    ----------
    ksat_mm_h
        Saturated hydraulic conductivity K_s, mm/h (no default: DOMAIN.md gives none).
    suction_mm
        Wetting-front suction head ψ, mm (200: sandy loam / loam, DOMAIN.md §2).
    deficit
        Initial moisture deficit Δθ (0.32; 0.31-0.34 in DOMAIN.md §2).
    """

    ksat_mm_h: _PerCell
    suction_mm: _PerCell = 200.0
    deficit: _PerCell = 0.32

    def _arrays(self, shape):
        ks = _param("ksat_mm_h", self.ksat_mm_h, shape, scale=MM_H_TO_M_S)
        psi = _param("suction_mm", self.suction_mm, shape, scale=1e-3)
        dtheta = _param("deficit", self.deficit, shape)
        if np.any(np.asarray(dtheta) > 1):
            raise InputError("deficit is a fraction of the soil volume and cannot exceed 1.",
                             field="losses.deficit")
        return 3, ks, np.asarray(psi) * np.asarray(dtheta), np.zeros(shape)


#: Any of the loss models.
LossModel = ConstantLoss | Horton | GreenAmpt
