"""Every output variable, declared once: name, unit, meaning.

File names, band descriptions, legends and the README's output table are derived from
:data:`VARIABLES` (as Itzi's ``array_definitions.py`` and landlab's ``_info`` do).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["Variable", "VARIABLES", "variables_markdown"]


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


VARIABLES: dict[str, Variable] = {v.name: v for v in (
    Variable("elevation", "m", "Ground elevation of the study DEM", "grid"),
    Variable("slope", "m/m", "Invert slope of the conduit", "conduits"),
    Variable("full_capacity", "m³/s", "Manning full-bore capacity of the conduit", "conduits"),
    Variable("full_velocity", "m/s", "Mean velocity of the conduit flowing full", "conduits"),
)}


def variables_markdown() -> str:
    """The variable table as Markdown (README)."""
    rows = ["| variable | unit | where | meaning |", "|---|---|---|---|"]
    for v in VARIABLES.values():
        where = f"`{v.name}.tif`" if v.where == "grid" else f"`{v.where}` layer"
        rows.append(f"| `{v.name}` | {v.unit or '-'} | {where} | {v.description} |")
    return "\n".join(rows)
