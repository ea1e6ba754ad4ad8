"""The season config (``configs/season.toml``): which study, which scenario matrix, which
districts, and what to compare with.

A pre-season assessment is a matrix of scenarios, return periods × storm durations ×
pump-failure cases × inlet-blockage cases, run for every drainage district. Every
combination is one scenario (:class:`SeasonScenario`); every (district × scenario) is one
task of the season.
"""

from __future__ import annotations

import itertools
import tomllib
from os import PathLike
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..config import StudyConfig, config_error, load_config
from ..errors import ConfigError, InputFileError

__all__ = ["DistrictsConfig", "ScenarioMatrix", "SeasonConfig", "SeasonScenario",
           "load_season"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _case_name(name: str) -> str:
    if not name or not all(ch.isalnum() or ch in "-_" for ch in name):
        raise ValueError(f"case name {name!r} must be letters, digits, '-' or '_' (it names "
                         "folders)")
    return name


class ScenarioMatrix(_Frozen):
    """``[scenarios]``: every combination of these is one scenario of the season."""

    return_periods: tuple[float, ...] = Field(
        description="years, e.g. [2, 5, 10, 20, 50, 100] (the study's [storm] formula)")
    durations: tuple[float, ...] = Field(
        (), description="storm durations, min (default: the study's [storm] duration)")
    failures: dict[str, dict[str, float]] = Field(
        default_factory=lambda: {"working": {}},
        description="case name → {station_id: s from the storm's start when it stops}")
    blockages: dict[str, float | dict[str, float]] = Field(
        default_factory=lambda: {"clear": 0.0},
        description="case name → inlet blockage (fraction 0-1, or {node_id: fraction})")
    after: float | None = Field(None, ge=0, description="s simulated after the storm's end "
                                                          "(default 2 h)")

    @field_validator("return_periods", "durations")
    @classmethod
    def _positive(cls, v: tuple[float, ...]) -> tuple[float, ...]:
        if any(not x > 0 for x in v):
            raise ValueError("return periods and durations must be > 0")
        if len(set(v)) != len(v):
            raise ValueError("values must not repeat")
        return tuple(float(x) for x in v)

    @field_validator("failures")
    @classmethod
    def _failures(cls, v: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        for name, stations in v.items():
            _case_name(name)
            if any(not t >= 0 for t in stations.values()):
                raise ValueError(f"failure case {name}: times are s from the storm's start, ≥ 0")
        if not v:
            raise ValueError("give at least one failure case ({ working = {} } for none)")
        return v

    @field_validator("blockages")
    @classmethod
    def _blockages(cls, v: dict[str, Any]) -> dict[str, Any]:
        for name, b in v.items():
            _case_name(name)
            values = b.values() if isinstance(b, dict) else [b]
            if any(not 0.0 <= float(x) <= 1.0 for x in values):
                raise ValueError(f"blockage case {name}: fractions from 0 to 1")
        if not v:
            raise ValueError("give at least one blockage case ({ clear = 0.0 } for none)")
        return v


class DistrictsConfig(_Frozen):
    """``[districts]``: drainage districts (排水分区), each simulated on its own."""

    path: Path = Field(description="polygon file (GeoPackage, Shapefile, GeoJSON)")
    layer: str | None = Field(None, description="layer of a GeoPackage")
    id_field: str = "district_id"
    name_field: str = "name"
    boundaries_field: str = Field(
        "boundaries", description="column: 'open', 'closed' or e.g. 'east=open,south=open' "
                                  "(the district grid's edges; default closed)")


class SeasonScenario(_Frozen):
    """One scenario of the matrix."""

    scenario_id: str
    return_period: float
    duration: float
    failure: str
    blockage: str
    failed_stations: dict[str, float]
    inlet_blockage: float | dict[str, float]

    @property
    def group(self) -> str:
        """The scenario without its return period: the runs across which the lowest
        flooding return period is found."""
        return f"D{self.duration:g}-{self.failure}-{self.blockage}"


class SeasonConfig(_Frozen):
    """A season: the study, its scenario matrix, its districts, where it goes."""

    name: str = "season"
    study: Path = Field(description="the study config (TOML)")
    out: Path | None = Field(None, description="default output folder (floodrisk season --out)")
    previous: Path | None = Field(None, description="the previous season's folder, to compare")
    workers: int = Field(2, ge=1, description="LocalCluster workers (floodrisk season --workers)")
    reports: Literal["none", "highest", "all"] = Field(
        "highest", description="per-scenario map sheets, web map and report: none, for the "
                               "highest return period of each group, or all")
    scenarios: ScenarioMatrix
    districts: DistrictsConfig | None = None
    source: Path | None = None

    def study_config(self) -> StudyConfig:
        """The study config the season runs."""
        return load_config(self.study)

    def scenario_list(self, study: StudyConfig) -> list[SeasonScenario]:
        """Every scenario of the matrix, in matrix order (return period fastest)."""
        if study.storm is None or study.storm.return_period is None:
            raise ConfigError("the season's study has no design storm from a city or formula.",
                              path=self.study, field="storm",
                              hint="Give the study a [storm] with city or formula, "
                                   "return_period and duration.")
        m = self.scenarios
        durations = m.durations or (float(study.storm.duration),)
        out = []
        for d, (fname, failed), (bname, blocked), p in itertools.product(
                durations, m.failures.items(), m.blockages.items(), m.return_periods):
            out.append(SeasonScenario(
                scenario_id=f"P{p:g}-D{d:g}-{fname}-{bname}", return_period=p, duration=d,
                failure=fname, blockage=bname, failed_stations=dict(failed),
                inlet_blockage=blocked))
        return out


def load_season(path: str | PathLike[str]) -> SeasonConfig:
    """Read a season config; paths are relative to its folder.

    Parameters
    ----------
    path
        The TOML file: a ``[season]`` table (name, study, out, previous, workers,
        reports), ``[scenarios]`` (the matrix) and optionally ``[districts]``.
    """
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputFileError("season config not found.", path=path) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML ({exc}).", path=path) from exc
    data = dict(raw.pop("season", {}))
    data.update(raw)
    base = path.parent
    for key in ("study", "out", "previous"):
        if isinstance(data.get(key), str):
            data[key] = str((base / data[key]).resolve())
    if isinstance(data.get("districts"), dict) and isinstance(data["districts"].get("path"), str):
        data["districts"] = {**data["districts"],
                             "path": str((base / data["districts"]["path"]).resolve())}
    data["source"] = str(path.resolve())
    try:
        return SeasonConfig.model_validate(data)
    except ValidationError as exc:
        raise config_error(exc, path, "see the README's season section and "
                                      "configs/season.toml.") from exc
