"""Design rainfall: the storm-intensity formula (暴雨强度公式).

``q = 167·A1·(1 + C·lg P) / (t + b)^n`` in L/(s·hm²), t in minutes, P in years
(GB 50014-2021; DOMAIN.md §1). Parameter sets per city live in ``configs/storms/``.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import numpy as np

from .errors import ConfigError, InputError

__all__ = ["StormFormula", "load_storm_formula", "MM_PER_MIN_PER_L_S_HA"]

#: 1 mm/min of rain over 1 hm² is 166.67 L/s; GB 50014 rounds it to 167.
MM_PER_MIN_PER_L_S_HA = 167.0


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


def load_storm_formula(path: str | PathLike[str]) -> StormFormula:
    """Read a storm formula from a TOML file with a ``[formula]`` table.

    Parameters
    ----------
    path
        TOML file with keys A, C, b, n and optionally name, source, verified.
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError("storm formula file not found.", path=path) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML ({exc}).", path=path) from exc
    f = data.get("formula")
    if not isinstance(f, dict):
        raise ConfigError("no [formula] table.", path=path, hint="See configs/storms/*.toml.")
    try:
        return StormFormula(A=float(f["A"]), C=float(f["C"]), b=float(f["b"]), n=float(f["n"]),
                            name=str(data.get("name", path.stem)),
                            source=str(data.get("source", "")),
                            verified=bool(data.get("verified", False)))
    except KeyError as exc:
        raise ConfigError("missing parameter.", path=path, layer="formula",
                          field=str(exc.args[0])) from exc
