"""A scenario: the storm and what goes wrong during it.

Every engine takes a :class:`Scenario`: the design storm (a
:class:`~floodrisk.rainfall.Hyetograph`) plus the failures a pre-season assessment asks
about (DOMAIN.md §3, §6): pump stations that stop, inlets that clog, and rivers that back
up the outfalls (顶托倒灌).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from .errors import InputError
from .rainfall import Hyetograph

__all__ = ["Scenario", "StageSeries"]


@dataclass(frozen=True, eq=False)
class StageSeries:
    """Water level at an outfall over time (river stage), m.

    Parameters
    ----------
    times
        Seconds from the storm's start, strictly increasing.
    levels
        Water surface elevation at each time, m (linear between times, the last held).
    """

    times: np.ndarray
    levels: np.ndarray

    def __post_init__(self) -> None:
        t = np.array(self.times, dtype=np.float64)
        z = np.array(self.levels, dtype=np.float64)
        if t.ndim != 1 or t.shape != z.shape or not len(t):
            raise InputError("stage series needs as many levels as times.", field="levels")
        if not np.all(np.isfinite(t)) or not np.all(np.isfinite(z)):
            raise InputError("stage series holds NaN or infinite values.", field="levels")
        if np.any(np.diff(t) <= 0):
            raise InputError("stage series times must increase strictly.", field="times")
        for a in (t, z):
            a.setflags(write=False)
        object.__setattr__(self, "times", t)
        object.__setattr__(self, "levels", z)


@dataclass(frozen=True, eq=False)
class Scenario:
    """The storm of a run and the failures during it.

    Parameters
    ----------
    name
        Short name used in folder names and reports.
    storm
        Rainfall on the whole study area.
    duration
        Simulated time, s (default: the storm plus 2 h for the network to drain).
    failed_stations
        Pump stations that stop, as ``{station_id: time (s from the storm's start)}``;
        0 means off from the start.
    inlet_blockage
        Fraction (0-1) of every inlet's capture capacity lost to clogging, or
        ``{node_id: fraction}`` per inlet.
    outfall_stage
        Fixed water level (m) or a :class:`StageSeries` per outfall id: the river
        backing up the outfalls.
    """

    name: str
    storm: Hyetograph
    duration: float | None = None
    failed_stations: Mapping[str, float] = field(default_factory=dict)
    inlet_blockage: float | Mapping[str, float] = 0.0
    outfall_stage: Mapping[str, float | StageSeries] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.duration is not None and not (np.isfinite(self.duration) and self.duration > 0):
            raise InputError(f"duration must be positive seconds, got {self.duration}.",
                             field="duration")
        for sid, t in self.failed_stations.items():
            if not (np.isfinite(t) and t >= 0):
                raise InputError(f"failure time must be ≥ 0 s, got {t}.", feature=sid,
                                 field="failed_stations")
        values = (self.inlet_blockage.values() if isinstance(self.inlet_blockage, Mapping)
                  else [self.inlet_blockage])
        if any(not (0.0 <= float(v) <= 1.0) for v in values):
            raise InputError("inlet blockage is a fraction from 0 to 1.", field="inlet_blockage")
        object.__setattr__(self, "failed_stations", MappingProxyType(dict(self.failed_stations)))
        object.__setattr__(self, "outfall_stage", MappingProxyType(dict(self.outfall_stage)))
        if isinstance(self.inlet_blockage, Mapping):
            object.__setattr__(self, "inlet_blockage",
                               MappingProxyType({k: float(v) for k, v in
                                                 self.inlet_blockage.items()}))

    @property
    def simulated_seconds(self) -> float:
        """Length of the simulation, s."""
        return float(self.duration) if self.duration is not None else \
            float(self.storm.duration_s) + 7200.0
