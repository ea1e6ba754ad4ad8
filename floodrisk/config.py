"""Configuration: frozen pydantic models of the TOML files, with every default's source.

A study config (``configs/demo.toml``) names the input files and the loaders' settings.
Relative paths are resolved against the config file's folder.
"""

from __future__ import annotations

import dataclasses
import tomllib
from os import PathLike
from pathlib import Path
from typing import Any, Literal

from pydantic import (BaseModel, ConfigDict, Field, ValidationError, field_validator,
                      model_validator)

from .assess.assessment import AssessmentSettings
from .assess.compare import CompareSettings
from .capacity import CapacitySettings
from .engines.screening import ScreeningSettings
from .engines.coupled import CoupledSettings
from .engines.surface import SurfaceSettings
from .engines.swmm import SwmmSettings
from .errors import ConfigError, FloodRiskError, InputFileError
from .rainfall import Hyetograph
from .report.settings import ReportSettings
from .scenario import Scenario
from .surface_inputs import SurfaceInputs

__all__ = [
    "EntranceDefault",
    "LandcoverClass",
    "AssetDefaults",
    "DEMConfig",
    "NetworkConfig",
    "AssetsConfig",
    "StormConfig",
    "ScenarioConfig",
    "CapacityConfig",
    "ScreeningConfig",
    "SwmmConfig",
    "SurfaceConfig",
    "CoupledConfig",
    "ENGINES",
    "StudyConfig",
    "load_config",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class EntranceDefault(_Frozen):
    """Sill height and opening width assumed where an entrance does not give them."""

    sill_height: float = Field(ge=0, description="m above the outside ground")
    width: float = Field(gt=0, description="m")
    source: str = ""


class LandcoverClass(_Frozen):
    """Surface roughness and imperviousness of a land-cover class."""

    roughness: float = Field(gt=0, le=1, description="Manning n, s/m^(1/3)")
    imperviousness: float = Field(ge=0, le=1, description="fraction 0-1")
    source: str = ""


def _entrance_defaults() -> dict[str, EntranceDefault]:
    verify = " [verify] (DOMAIN.md §5); project default, override per city"
    return {
        "metro_station": EntranceDefault(
            sill_height=0.45, width=4.0,
            source="GB 50157 entrance platforms 0.30-0.45 m above ground (upper value)" + verify),
        "car_park": EntranceDefault(
            sill_height=0.15, width=6.0,
            source="reverse-slope ramp hump 0.15-0.30 m (lower, conservative value)" + verify),
        "basement": EntranceDefault(
            sill_height=0.15, width=1.5,
            source="one step; door width 1.5 m" + verify),
        "underpass": EntranceDefault(
            sill_height=0.0, width=7.0,
            source="underpasses have no sill; two 3.5 m lanes" + verify),
        "tunnel": EntranceDefault(
            sill_height=0.0, width=7.0,
            source="tunnels have no sill; two 3.5 m lanes" + verify),
    }


def _landcover_defaults() -> dict[str, LandcoverClass]:
    ea = "Manning n 0.02 roads / 0.05 elsewhere: UK EA urban benchmark (DOMAIN.md §2)"
    psi = "imperviousness from GB 50014 runoff coefficients [verify] (DOMAIN.md §2)"
    return {
        "road": LandcoverClass(roughness=0.02, imperviousness=0.95, source=f"{ea}; {psi}"),
        "building": LandcoverClass(roughness=0.02, imperviousness=0.95, source=f"{ea}; {psi}"),
        "paved": LandcoverClass(roughness=0.02, imperviousness=0.90, source=f"{ea}; {psi}"),
        "green": LandcoverClass(roughness=0.05, imperviousness=0.15, source=f"{ea}; {psi}"),
        "bare": LandcoverClass(roughness=0.05, imperviousness=0.30, source=f"{ea}; {psi}"),
        "water": LandcoverClass(roughness=0.03, imperviousness=1.0,
                                source="open channel n 0.03 (project default); rain on water "
                                       "runs off entirely"),
    }


class AssetDefaults(_Frozen):
    """Values assumed for underground entrances and land cover where the data is silent."""

    entrance: dict[str, EntranceDefault] = Field(default_factory=_entrance_defaults)
    entrance_tolerance: float = Field(
        5.0, gt=0,
        description="m: how far an entrance point may lie from its space's outline "
                    "(entrances are drawn on or just outside the footprint); project default")
    landcover: dict[str, LandcoverClass] = Field(default_factory=_landcover_defaults)
    landcover_aliases: dict[str, str] = Field(
        default_factory=lambda: {"道路": "road", "建筑": "building", "建筑物": "building",
                                 "硬化地面": "paved", "绿地": "green", "草地": "green",
                                 "裸地": "bare", "水体": "water", "河流": "water"})

    @field_validator("entrance", "landcover", "landcover_aliases", mode="after")
    @classmethod
    def _over_defaults(cls, v: dict, info: Any) -> dict:
        """A city's table overrides the project defaults key by key; kinds and classes it
        does not name keep theirs (else a car park entrance would find no default)."""
        return {**cls.model_fields[info.field_name].default_factory(), **v}


class DEMConfig(_Frozen):
    """``[dem]``: the ground elevation raster."""

    path: Path
    crs: str | None = Field(None, description="CRS of a file that carries none, e.g. 'EPSG:27700'")
    target_crs: str | None = Field(None, description="reproject to this projected CRS")
    cell_size: float | None = Field(None, gt=0, description="m: resample to this coarser cell")
    aoi: Path | None = Field(None, description="area-of-interest polygon file to clip to")


class NetworkConfig(_Frozen):
    """``[network]``: the drainage network."""

    path: Path
    layers: dict[str, str] = Field(default_factory=dict,
                                   description="canonical layer → file or GeoPackage layer")
    columns: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="layer → {canonical column: source column}")
    crs: str | None = None
    snap_tolerance: float = Field(1.0, gt=0, description="m; see io.network")


class AssetsConfig(_Frozen):
    """``[assets]``: underground spaces, entrances, facilities, observed points, buildings,
    land cover."""

    path: Path
    layers: dict[str, str] = Field(default_factory=dict)
    columns: dict[str, dict[str, str]] = Field(default_factory=dict)
    crs: str | None = None
    defaults: AssetDefaults = Field(default_factory=AssetDefaults)


class StormConfig(_Frozen):
    """``[storm]``: the design storm of a run. Exactly one of ``city``, ``formula``,
    ``csv`` or ``preset``."""

    city: str | None = Field(None, description="storm preset in configs/storms/, e.g. 'zhengzhou'")
    formula: Path | None = Field(None, description="storm-intensity formula or table file (TOML)")
    csv: Path | None = Field(None, description="hyetograph CSV (time_s + intensity_mm_h or depth_mm)")
    preset: Literal["zhengzhou-720"] | None = Field(
        None, description="a historical storm: 'zhengzhou-720' (reconstructed, not observed)")
    return_period: float | None = Field(None, gt=0, description="years (with city/formula)")
    duration: float | None = Field(None, gt=0, description="min (with city/formula)")
    type: Literal["chicago", "block"] = "chicago"
    peak_ratio: float = Field(0.4, gt=0, lt=1, description="Chicago peak position r (usual 0.4)")
    step: float | None = Field(None, gt=0, description="min (default 5 for design storms, 60 "
                                                      "for the 7.20 preset)")
    return_periods: tuple[float, ...] = Field(
        (), description="other return periods (years, with city/formula) at which a surface or "
                        "coupled run also runs the storm, for the lowest return period that "
                        "floods each place")

    @model_validator(mode="after")
    def _one_source(self) -> StormConfig:
        given = [k for k in ("city", "formula", "csv", "preset") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of city, formula, csv or preset "
                             f"(got {', '.join(given) or 'none'})")
        if given[0] in ("city", "formula") and (self.return_period is None or self.duration is None):
            raise ValueError("a design storm from a city or formula needs return_period (years) "
                             "and duration (min)")
        if self.return_periods and given[0] not in ("city", "formula"):
            raise ValueError("return_periods need a design storm from a city or formula")
        if any(not p > 0 for p in self.return_periods):
            raise ValueError("return_periods are years, > 0")
        return self

    def at(self, return_period: float) -> StormConfig:
        """The same storm at another return period."""
        return self.model_copy(update={"return_period": float(return_period),
                                       "return_periods": ()})


def _settings_from(cls: type, data: Any) -> Any:
    """A frozen settings dataclass of an engine from a TOML table, refusing unknown keys."""
    if isinstance(data, cls):
        return data
    if not isinstance(data, dict):
        raise ValueError(f"expected a table of {cls.__name__} settings")
    known = [f.name for f in dataclasses.fields(cls)]
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise ValueError(f"unknown setting(s) {', '.join(unknown)}; known: {', '.join(known)}")
    try:
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})
    except FloodRiskError as exc:
        raise ValueError(exc.message) from exc


def _split_settings(data: Any, own: tuple[str, ...], cls: type) -> Any:
    """A flat TOML table → the config's own keys plus ``settings``: every other key (or a
    ``settings`` sub-table) is a field of the engine's settings dataclass ``cls``."""
    if not isinstance(data, dict):
        return data
    mine = {k: data[k] for k in own if k in data}
    rest = {k: v for k, v in data.items() if k not in (*own, "settings")}
    mine["settings"] = _settings_from(cls, {**data.get("settings", {}), **rest})
    return mine


class CapacityConfig(_Frozen):
    """``[capacity]``: the pipe capacity assessment (管网排水能力评估).

    ``city`` or ``formula`` names the storm-intensity model (default: the ``[storm]``
    one); every other key is a :class:`floodrisk.capacity.CapacitySettings` field
    (design_return_period, inlet_time, min_velocity, default_runoff_coeff, ...).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    city: str | None = None
    formula: Path | None = None
    settings: CapacitySettings = Field(default_factory=CapacitySettings)

    @model_validator(mode="before")
    @classmethod
    def _flat(cls, data: Any) -> Any:
        return _split_settings(data, ("city", "formula"), CapacitySettings)


class ScreeningConfig(_Frozen):
    """``[screening]``: depression (bluespot) screening of the design storm.

    ``pipe_share`` says whether the pipes take the rain they can carry (see
    :func:`floodrisk.engines.screening.excess_runoff`); every other key is a
    :class:`floodrisk.engines.screening.ScreeningSettings` field (depth_threshold,
    outlets, nan_outlets).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    pipe_share: bool = True
    settings: ScreeningSettings = Field(default_factory=ScreeningSettings)

    @model_validator(mode="before")
    @classmethod
    def _flat(cls, data: Any) -> Any:
        return _split_settings(data, ("pipe_share",), ScreeningSettings)


class SwmmConfig(_Frozen):
    """``[swmm]``: the SWMM engine (EPA SWMM 5 dynamic wave through pyswmm).

    ``refuse_bad_continuity`` makes a run whose runoff or flow routing continuity error
    exceeds ``continuity_bound`` (%) fail without a run folder instead of finishing with
    the problem flagged in ``summary.json`` and ``manifest.json``; every other key is a
    :class:`floodrisk.engines.swmm.SwmmSettings` field (routing_step, report_step,
    allow_ponding, infiltration, horton_*, ga_*, n_impervious, continuity_bound, ...).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    refuse_bad_continuity: bool = False
    settings: SwmmSettings = Field(default_factory=SwmmSettings)

    @model_validator(mode="before")
    @classmethod
    def _flat(cls, data: Any) -> Any:
        return _split_settings(data, ("refuse_bad_continuity",), SwmmSettings)


class SurfaceConfig(_Frozen):
    """``[surface]``: the 2D surface model (local inertial scheme on the DEM).

    Keys of :class:`floodrisk.surface_inputs.SurfaceInputs` (default_manning,
    default_imperviousness, pervious_infiltration, pipe_drainage, buildings) say how the
    study becomes the model's inputs; keys of
    :class:`floodrisk.engines.surface.SurfaceSettings` (theta, alpha, dt_max, h_min,
    wet_threshold, output_interval, dtype, threads) are the numerical settings;
    ``boundaries`` opens or closes the grid's edges for the surface and coupled engines.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    inputs: SurfaceInputs = Field(default_factory=SurfaceInputs)
    settings: SurfaceSettings = Field(default_factory=SurfaceSettings)
    boundaries: str | dict[str, str] = Field(
        "closed", description="'open' | 'closed' | {north|south|west|east: ...}: water "
                              "leaves an open edge at its normal flow (surface engine docs)")

    @field_validator("boundaries")
    @classmethod
    def _sides(cls, v: Any) -> Any:
        from .engines.surface import _boundaries
        try:
            _boundaries(v)
        except FloodRiskError as exc:
            raise ValueError(str(exc)) from None
        return v

    @model_validator(mode="before")
    @classmethod
    def _flat(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        mine = {f.name for f in dataclasses.fields(SurfaceInputs)}
        flat = {**data.get("inputs", {}), **data.get("settings", {}),
                **{k: v for k, v in data.items() if k not in ("inputs", "settings")}}
        if "blocked" in flat:
            raise ValueError("blocked is set from the buildings layer (buildings = "
                             "'blocked' | 'none'), not in the config")
        out = {"inputs": _settings_from(SurfaceInputs,
                                        {k: v for k, v in flat.items() if k in mine}),
               "settings": _settings_from(SurfaceSettings,
                                          {k: v for k, v in flat.items()
                                           if k not in mine and k != "boundaries"})}
        if "boundaries" in flat:
            out["boundaries"] = flat["boundaries"]
        return out


class CoupledConfig(_Frozen):
    """``[coupled]``: the 1D-2D exchange of the coupled engine.

    Keys are :class:`floodrisk.engines.coupled.CoupledSettings` fields (coupling_step,
    weir_coefficient, submerged_weir_coefficient, orifice_coefficient, inlet_perimeter,
    inlet_area, inlets_per_node, inlet_capacity, inlet_radius, exchange_depth,
    pump_failure); the surface model's and SWMM's settings come from ``[surface]`` and
    ``[swmm]`` (the pipes are not a loss on the surface: they are coupled).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    settings: CoupledSettings = Field(default_factory=CoupledSettings)

    @model_validator(mode="before")
    @classmethod
    def _flat(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        flat = {**data.get("settings", {}), **{k: v for k, v in data.items() if k != "settings"}}
        nested = sorted(set(flat) & {"surface", "inputs", "swmm", "process", "boundaries"})
        if nested:
            raise ValueError(f"{', '.join(nested)} are not [coupled] keys: set them in "
                             "[surface] (boundaries too) and [swmm]")
        return {"settings": _settings_from(CoupledSettings, flat)}


class AssessmentConfig(_Frozen):
    """``[assessment]``: what the assessment of a 2D run counts and how.

    Sub-tables ``[assessment.waterlogging]``, ``[assessment.underground]``,
    ``[assessment.sites]``, ``[assessment.hazard]`` and ``[assessment.risk]`` hold the
    fields of :class:`~floodrisk.assess.waterlogging.WaterloggingSettings`,
    :class:`~floodrisk.assess.underground.UndergroundSettings`,
    :class:`~floodrisk.assess.pumps.SiteSettings`,
    :class:`~floodrisk.assess.hazard.HazardSettings` and
    :class:`~floodrisk.assess.hazard.RiskSettings`; ``water_classes`` lists the land-cover
    classes that are water bodies; ``compare_failures`` whether a coupled run in which
    pump stations failed is run again with every station working, to measure what the
    failures cost (the extra flooded area and volume; doubles the run time).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    settings: AssessmentSettings = Field(default_factory=AssessmentSettings)
    compare_failures: bool = True

    @model_validator(mode="before")
    @classmethod
    def _tables(cls, data: Any) -> Any:
        if not isinstance(data, dict) or isinstance(data.get("settings"), AssessmentSettings):
            return data
        parts = {f.name: f.default_factory() for f in dataclasses.fields(AssessmentSettings)
                 if f.name != "water_classes"}
        own = {"water_classes", "compare_failures"}
        unknown = sorted(set(data) - set(parts) - own)
        if unknown:
            raise ValueError(f"unknown [assessment] key(s) {', '.join(unknown)}; known: "
                             f"{', '.join([*parts, *sorted(own)])}")
        kw: dict[str, Any] = {k: _settings_from(type(parts[k]), data[k])
                              for k in parts if k in data}
        if "water_classes" in data:
            kw["water_classes"] = tuple(str(c) for c in data["water_classes"])
        out: dict[str, Any] = {"settings": AssessmentSettings(**kw)}
        if "compare_failures" in data:
            out["compare_failures"] = data["compare_failures"]
        return out


class ReportConfig(_Frozen):
    """``[report]``: the report products drawn at the end of a 2D run (and by
    ``floodrisk report``).

    Keys are :class:`floodrisk.report.settings.ReportSettings` fields (``lang``,
    ``papers``, ``formats``, ``dpi``, ``pdf``, ``previous``, ``max_rows``) with a
    ``[report.compare]`` table of :class:`floodrisk.assess.compare.CompareSettings`
    fields; ``enabled = false`` leaves the products out of ``floodrisk run``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    settings: ReportSettings = Field(default_factory=ReportSettings)
    enabled: bool = True

    @model_validator(mode="before")
    @classmethod
    def _flat(cls, data: Any) -> Any:
        if not isinstance(data, dict) or isinstance(data.get("settings"), ReportSettings):
            return data
        data = {**data.get("settings", {}), **{k: v for k, v in data.items() if k != "settings"}}
        enabled = data.pop("enabled", True)
        compare = data.pop("compare", None)
        kw = dict(data)
        if compare is not None:
            kw["compare"] = _settings_from(CompareSettings, compare)
        return {"settings": _settings_from(ReportSettings, kw), "enabled": enabled}


#: Engines ``floodrisk run`` can use: name → what it simulates.
ENGINES = {
    "screening": "network checks, pipe capacity and terrain depression screening only",
    "swmm": "the screening, then EPA SWMM 5 dynamic-wave routing of subcatchment runoff "
            "(flooded nodes and volumes; no 2D surface)",
    "surface": "the screening, then the 2D local inertial model of the storm on the DEM "
               "(depth, speed and timing grids; the pipes as a loss at their capacity)",
    "coupled": "the screening, then the 2D surface and the SWMM pipes together, exchanging "
               "water at every inlet and manhole",
}


class ScenarioConfig(_Frozen):
    """``[scenario]``: what goes wrong during the storm (see :class:`floodrisk.scenario.Scenario`)."""

    name: str | None = Field(None, description="short name (default: from the storm)")
    duration: float | None = Field(None, gt=0, description="simulated s (default: storm + 2 h)")
    failed_stations: dict[str, float] = Field(
        default_factory=dict, description="station_id → time it stops, s from the storm's start")
    inlet_blockage: float | dict[str, float] = Field(
        0.0, description="fraction 0-1 of inlet capture lost, overall or per node_id")
    outfall_stage: dict[str, float] = Field(
        default_factory=dict, description="outfall node_id → fixed water level, m")

    @field_validator("inlet_blockage")
    @classmethod
    def _fraction(cls, v: float | dict[str, float]) -> float | dict[str, float]:
        values = v.values() if isinstance(v, dict) else [v]
        if any(not 0.0 <= float(x) <= 1.0 for x in values):
            raise ValueError("inlet blockage is a fraction from 0 to 1")
        return v

    @field_validator("failed_stations")
    @classmethod
    def _times(cls, v: dict[str, float]) -> dict[str, float]:
        if any(not t >= 0 for t in v.values()):
            raise ValueError("failure times are seconds from the storm's start, ≥ 0")
        return v

    def build(self, storm: Hyetograph) -> Scenario:
        """The scenario of this config with its storm."""
        return Scenario(name=self.name or storm.name, storm=storm, duration=self.duration,
                        failed_stations=self.failed_stations, inlet_blockage=self.inlet_blockage,
                        outfall_stage=self.outfall_stage)


class StudyConfig(_Frozen):
    """A study: what city data to load and how."""

    name: str = "study"
    crs: str | None = Field(None, description="projected CRS for the whole study "
                                              "(default: the DEM's)")
    dem: DEMConfig
    network: NetworkConfig
    assets: AssetsConfig | None = None
    storm: StormConfig | None = None
    scenario: ScenarioConfig = Field(default_factory=ScenarioConfig)
    capacity: CapacityConfig = Field(default_factory=CapacityConfig)
    screening: ScreeningConfig = Field(default_factory=ScreeningConfig)
    swmm: SwmmConfig = Field(default_factory=SwmmConfig)
    surface: SurfaceConfig = Field(default_factory=SurfaceConfig)
    coupled: CoupledConfig = Field(default_factory=CoupledConfig)
    assessment: AssessmentConfig = Field(default_factory=AssessmentConfig)
    report: ReportConfig = Field(default_factory=ReportConfig)
    engine: Literal["screening", "swmm", "surface", "coupled"] = Field(
        "screening", description="what `floodrisk run` simulates (see ENGINES); default "
                                 "'coupled' when a [storm] is given, else 'screening'")
    source: Path | None = Field(None, description="the config file this was read from")

    @model_validator(mode="before")
    @classmethod
    def _default_engine(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("engine") is None:
            data = {**data, "engine": "coupled" if data.get("storm") else "screening"}
        return data

    @field_validator("crs")
    @classmethod
    def _crs_ok(cls, v: str | None) -> str | None:
        if v is not None:
            from pyproj import CRS
            try:
                crs = CRS.from_user_input(v)
            except Exception as exc:
                raise ValueError(f"unknown CRS {v!r}") from exc
            if not crs.is_projected:
                raise ValueError(f"{v} is geographic; give a projected CRS in metres")
        return v


def _resolve(data: dict[str, Any], base: Path) -> None:
    """Make relative paths in the raw TOML relative to the config's folder."""
    for section in ("dem", "network", "assets", "storm", "capacity", "report"):
        sec = data.get(section)
        if not isinstance(sec, dict):
            continue
        for key in ("path", "aoi", "formula", "csv", "previous"):
            if isinstance(sec.get(key), str):
                sec[key] = str((base / sec[key]).resolve())
        layers = sec.get("layers")
        if isinstance(layers, dict):
            from .io.vector import VECTOR_SUFFIXES  # here: io imports this module
            for k, v in layers.items():
                # a file (even a missing one, to be reported where it was looked for), not
                # a layer name inside the GeoPackage
                if isinstance(v, str) and ((base / v).exists()
                                           or Path(v).suffix.lower() in VECTOR_SUFFIXES):
                    layers[k] = str((base / v).resolve())


def load_config(path: str | PathLike[str]) -> StudyConfig:
    """Read a study config TOML file.

    Parameters
    ----------
    path
        The TOML file. Its ``[study]`` table holds name and crs; ``[dem]``,
        ``[network]`` and ``[assets]`` the inputs.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise InputFileError("config file not found.", path=path) from exc
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML ({exc}).", path=path) from exc
    data = dict(raw.pop("study", {}))
    data.update(raw)
    _resolve(data, path.parent)
    data["source"] = str(path.resolve())
    try:
        return StudyConfig.model_validate(data)
    except ValidationError as exc:
        raise config_error(exc, path, "see the README's config section.") from exc


def config_error(exc: ValidationError, path: Path, see: str) -> ConfigError:
    """The first problem pydantic found in a config file, as a ConfigError naming the file
    and the key (``section.key``)."""
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"])
    return ConfigError(f"{err['msg']}.", path=path, field=loc,
                       hint=f"{len(exc.errors())} problem(s) in all; {see}")
