"""Every output variable, declared once: name, unit, meaning.

File names, band descriptions, legends and the README's output table are derived from
:data:`VARIABLES` (as Itzi's ``array_definitions.py`` and landlab's ``_info`` do).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["Variable", "VARIABLES", "of", "variables_markdown"]


@dataclass(frozen=True)
class Variable:
    """One output variable.

    Parameters
    ----------
    name
        Identifier (GeoTIFF stem or GeoPackage column).
    unit
        Unit of the values ("" when dimensionless).
    description
        Meaning, for legends and docs.
    where
        ``"grid"`` (a GeoTIFF) or the GeoPackage layer that holds it as a column.
    """

    name: str
    unit: str
    description: str
    where: Literal["grid"] | str

    @property
    def label(self) -> str:
        """Legend label with the unit."""
        return f"{self.description} ({self.unit})" if self.unit else self.description


_ALL: tuple[Variable, ...] = (
    # grids
    Variable("elevation", "m", "Ground elevation of the study DEM", "grid"),
    Variable("ponded_depth", "m", "Depth of water ponded in depressions after the design storm "
             "(screening)", "grid"),
    Variable("max_depth", "m", "Deepest water of the 2D surface run", "grid"),
    Variable("max_velocity", "m/s", "Highest depth-averaged speed of the 2D surface run", "grid"),
    Variable("time_of_max_depth", "s", "Time of the deepest water, from the storm's start",
             "grid"),
    Variable("first_wet_time", "s", "Time the depth first exceeded the waterlogging threshold "
             "(NaN: never)", "grid"),
    Variable("duration_over", "s", "Time the depth stayed above the waterlogging threshold",
             "grid"),
    Variable("hazard_rating", "", "FD2320 hazard rating d·(v + 0.5) + DF from the maximum "
             "depth and speed (NaN: shallower than 0.15 m)", "grid"),
    Variable("hazard_defra", "", "FD2320 hazard class: 0 none, 1 low, 2 moderate, "
             "3 significant, 4 extreme", "grid"),
    Variable("hazard_arr", "", "ARR 2019 hazard class: 0 none, 1-6 H1-H6", "grid"),
    Variable("hazard_grade", "", "Depth × duration grade (project default, unverified): "
             "0 none, 1 low, 2 medium, 3 high", "grid"),
    Variable("lowest_return_period", "a", "Lowest return period of the storm at which the "
             "depth exceeds the waterlogging threshold (NaN: at none of those run)", "grid"),
    Variable("risk", "", "Risk class, hazard grade × exposure of the land cover (project "
             "default, unverified): 0 none, 1 low, 2 medium, 3 high", "grid"),
    # conduits layer of study.gpkg
    Variable("slope", "m/m", "Invert slope of the conduit", "conduits"),
    Variable("full_capacity", "m³/s", "Manning full-bore capacity of the conduit", "conduits"),
    Variable("full_velocity", "m/s", "Mean velocity of the conduit flowing full", "conduits"),
    # pipe_capacity layer (管网排水能力评估)
    Variable("catchment_area", "m²", "Catchment area the conduit carries (rational method)",
             "pipe_capacity"),
    Variable("runoff_coeff", "", "Area-weighted runoff coefficient ψ of that catchment",
             "pipe_capacity"),
    Variable("time_of_concentration", "min", "Inlet time plus travel time to the conduit",
             "pipe_capacity"),
    Variable("pumped_flow", "m³/s", "Flow pumped into the conduit's catchment from upstream",
             "pipe_capacity"),
    Variable("design_flow", "m³/s", "Rational-method design flow at the design return period",
             "pipe_capacity"),
    Variable("full_capacity", "m³/s", "Manning full-bore capacity (all barrels)",
             "pipe_capacity"),
    Variable("capacity_ratio", "", "Design flow over full capacity", "pipe_capacity"),
    Variable("capacity_return_period", "a", "Return period of the storm that fills the conduit",
             "pipe_capacity"),
    Variable("capacity_class", "", "Capacity return period class (< 1 a ... ≥ 5 a)",
             "pipe_capacity"),
    # depressions layer (bluespots)
    Variable("spill_elev", "m", "Water level at which the depression spills", "depressions"),
    Variable("max_depth", "m", "Depth of the full depression at its lowest cell", "depressions"),
    Variable("area", "m²", "Area of the full depression", "depressions"),
    Variable("volume", "m³", "Volume the depression holds up to its spill level", "depressions"),
    Variable("total_catchment_area", "m²", "Area draining to it, upstream depressions included",
             "depressions"),
    Variable("inflow", "m³", "Runoff reaching it during the storm, spills from upstream included",
             "depressions"),
    Variable("stored", "m³", "Water it holds after the storm", "depressions"),
    Variable("filled_fraction", "", "Stored over volume (1: full and spilling)", "depressions"),
    Variable("overflow", "m³", "Water it passes on downstream", "depressions"),
    Variable("water_level", "m", "Level of the ponded water", "depressions"),
    Variable("ponded_depth", "m", "Deepest ponded water in it", "depressions"),
    Variable("ponded_area", "m²", "Area under water", "depressions"),
    Variable("overflow_rain_mm", "mm", "Storm rain depth at which it first overflows, pipes "
             "ignored", "depressions"),
    # SWMM engine results: drainage_nodes, drainage_conduits, drainage_pumps layers
    Variable("max_depth", "m", "Deepest water above the node invert", "drainage_nodes"),
    Variable("max_head", "m", "Highest water surface elevation at the node", "drainage_nodes"),
    Variable("time_max_depth", "s", "Time of the deepest water, from the simulation start",
             "drainage_nodes"),
    Variable("hours_surcharged", "h", "Time the water stood above the highest conduit crown",
             "drainage_nodes"),
    Variable("hours_flooded", "h", "Time the node spilled onto the surface", "drainage_nodes"),
    Variable("flood_volume", "m³", "Water that left the node onto the surface",
             "drainage_nodes"),
    Variable("peak_flooding", "m³/s", "Highest rate of spilling onto the surface",
             "drainage_nodes"),
    Variable("peak_inflow", "m³/s", "Highest total inflow to the node", "drainage_nodes"),
    Variable("uncaptured_volume", "m³", "Runoff meant for the node lost to blocked inlets",
             "drainage_nodes"),
    Variable("peak_flow", "m³/s", "Largest absolute flow in the conduit", "drainage_conduits"),
    Variable("time_peak_flow", "s", "Time of the largest flow", "drainage_conduits"),
    Variable("full_flow", "m³/s", "SWMM's Manning full-bore flow (all barrels)",
             "drainage_conduits"),
    Variable("peak_flow_ratio", "", "Peak flow over full-bore flow", "drainage_conduits"),
    Variable("peak_velocity", "m/s", "Largest velocity", "drainage_conduits"),
    Variable("peak_depth_ratio", "", "Deepest flow over the section height",
             "drainage_conduits"),
    Variable("hours_surcharged", "h", "Time the conduit ran full at both ends",
             "drainage_conduits"),
    Variable("hours_capacity_limited", "h", "Time the conduit limited the flow (full "
             "upstream, hydraulic gradient above its slope)", "drainage_conduits"),
    Variable("hours_on", "h", "Time the pump ran", "drainage_pumps"),
    Variable("peak_flow", "m³/s", "Highest pump flow", "drainage_pumps"),
    Variable("mean_flow", "m³/s", "Mean flow while running", "drainage_pumps"),
    Variable("volume", "m³", "Water pumped", "drainage_pumps"),
    Variable("startups", "", "Number of starts", "drainage_pumps"),
    Variable("failed_at", "s", "Time the pump's station failed (NaN: it did not)",
             "drainage_pumps"),
    # assessment.gpkg (times in s from the rain's start; NaN: never)
    Variable("max_depth", "m", "Deepest water in the waterlogging area", "waterlogging_points"),
    Variable("mean_depth", "m", "Mean of the maximum depths over the area",
             "waterlogging_points"),
    Variable("area", "m²", "Area deeper than the threshold (0.15 m)", "waterlogging_points"),
    Variable("volume", "m³", "Envelope volume: maximum depths times cell area",
             "waterlogging_points"),
    Variable("duration_over", "s", "Longest time any of its cells stood above the threshold",
             "waterlogging_points"),
    Variable("first_time_over", "s", "First time any of its cells passed the threshold",
             "waterlogging_points"),
    Variable("time_of_peak", "s", "Time of the deepest water", "waterlogging_points"),
    Variable("final_depth", "m", "Deepest water left at the end of the run",
             "waterlogging_points"),
    Variable("cause", "", "surcharge | no_inlet | pipe_capacity | overland, with its "
             "evidence", "waterlogging_points"),
    Variable("rank", "", "1 = largest volume", "waterlogging_points"),
    Variable("max_outside_depth", "m", "Deepest water outside the entrance",
             "underground_exposure"),
    Variable("max_head_over_sill", "m", "Highest water above the sill", "underground_exposure"),
    Variable("time_over_sill", "s", "Time the water stood over the sill",
             "underground_exposure"),
    Variable("time_at_risk", "s", "Deadline for flood barriers: first time the water outside "
             "came within the freeboard of the sill's top", "underground_exposure"),
    Variable("inflow_volume", "m³", "Water over the sill, broad-crested weir Q = Cd·b·h^1.5",
             "underground_exposure"),
    Variable("first_inflow_time", "s", "Warning lead time: first inflow after the rain's "
             "start", "underground_exposure"),
    Variable("peak_inflow", "m³/s", "Highest inflow over the sill", "underground_exposure"),
    Variable("class", "", "safe | at risk | flooded", "underground_exposure"),
    Variable("inflow_volume", "m³", "Water in over all its entrances", "underground_spaces"),
    Variable("lead_time", "s", "First inflow over any entrance after the rain's start",
             "underground_spaces"),
    Variable("fill_depth", "m", "Inflow volume over floor area (capped at its volume)",
             "underground_spaces"),
    Variable("time_critical", "s", "Time the water inside reached the critical equipment "
             "level", "underground_spaces"),
    Variable("sag_depth", "m", "Water at the sag of an underpass or tunnel",
             "underground_spaces"),
    Variable("time_closure", "s", "Time the sag passed the closure depth (0.30 m)",
             "underground_spaces"),
    Variable("class", "", "safe | at risk | flooded", "underground_spaces"),
    Variable("max_site_depth", "m", "Deepest water at the station's site", "pump_stations"),
    Variable("margin", "m", "Equipment level minus the highest water level (negative: "
             "flooded)", "pump_stations"),
    Variable("failed", "", "Water reached the equipment", "pump_stations"),
    Variable("failure_time", "s", "Time the station failed (coupled run)", "pump_stations"),
    Variable("depression_depth", "m", "Filled terrain minus ground at the site",
             "pump_stations"),
    Variable("relocate", "", "Failed and in a depression: relocate before flood season",
             "pump_stations"),
    Variable("max_site_depth", "m", "Deepest water at the facility", "facilities"),
    Variable("margin", "m", "Equipment level minus the highest water level", "facilities"),
    Variable("hazard_grade", "", "Worst depth × duration grade around the building",
             "buildings_risk"),
    Variable("risk", "", "Risk class from hazard × exposure: 0 none ... 3 high",
             "buildings_risk"),
)

#: Every declared variable by (where, name): ``VARIABLES["grid", "elevation"]``.
VARIABLES: dict[tuple[str, str], Variable] = {(v.where, v.name): v for v in _ALL}


def of(where: str) -> tuple[Variable, ...]:
    """The variables of one grid set or layer."""
    return tuple(v for v in _ALL if v.where == where)


def variables_markdown() -> str:
    """The variable table as Markdown (README)."""
    rows = ["| variable | unit | where | meaning |", "|---|---|---|---|"]
    for v in _ALL:
        where = f"`{v.name}.tif`" if v.where == "grid" else f"`{v.where}` layer"
        rows.append(f"| `{v.name}` | {v.unit or '-'} | {where} | {v.description} |")
    return "\n".join(rows)
