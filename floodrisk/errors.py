"""Errors and warnings raised by floodrisk.

One root, :class:`FloodRiskError`, that a user can catch; subclasses also inherit the
builtin exception they refine (as rasterio's ``errors.py`` does), so that
``except ValueError`` still works for bad input.

Every error carries the place of the fault as attributes (``path``, ``layer``,
``feature``, ``field``) and a ``hint`` saying what to do; the message is built from
them, so it always names what is wrong and where.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from os import PathLike
from typing import Any

__all__ = [
    "FloodRiskError",
    "InputError",
    "InputFileError",
    "CRSError",
    "SchemaError",
    "NetworkError",
    "AssetError",
    "ConfigError",
    "RunFolderError",
    "SimulationError",
    "ContinuityError",
    "describe_ids",
]


def describe_ids(ids: Iterable[Any], limit: int = 8) -> str:
    """Quote the first ``limit`` feature ids and count the rest.

    Parameters
    ----------
    ids
        Feature ids to name in a message.
    limit
        How many to name before summarising the rest as a count.
    """
    ids = [str(i) for i in ids]
    shown = ", ".join(repr(i) for i in ids[:limit])
    more = len(ids) - limit
    return shown + (f" and {more} more" if more > 0 else "")


class FloodRiskError(Exception):
    """Root of every error floodrisk raises on purpose.

    Parameters
    ----------
    message
        What is wrong, in one sentence.
    path
        File at fault.
    layer
        Layer (GeoPackage table, raster band, config section) at fault.
    feature
        Id of the feature at fault, or a sequence of ids.
    field
        Column or setting at fault.
    hint
        What the user should do about it.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | PathLike[str] | None = None,
        layer: str | None = None,
        feature: Any = None,
        field: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.path = None if path is None else str(path)
        self.layer = layer
        self.feature = feature
        self.field = field
        self.hint = hint
        super().__init__(self._format())

    def _format(self) -> str:
        where = []
        if self.path is not None:
            where.append(self.path)
        if self.layer is not None:
            where.append(f"layer '{self.layer}'")
        if self.feature is not None:
            if isinstance(self.feature, Sequence) and not isinstance(self.feature, str):
                label = "feature" if len(self.feature) == 1 else "features"
                where.append(f"{label} {describe_ids(self.feature)}")
            else:
                where.append(f"feature {str(self.feature)!r}")
        if self.field is not None:
            where.append(f"field '{self.field}'")
        text = (", ".join(where) + ": " if where else "") + self.message
        if self.hint:
            text += f" {self.hint}"
        return text


class InputError(FloodRiskError, ValueError):
    """Input data that floodrisk cannot use as it is."""


class InputFileError(FloodRiskError, OSError):
    """An input file is missing, unreadable, or not of a format floodrisk reads."""


class CRSError(InputError):
    """Missing, geographic or inconsistent coordinate reference systems."""


class SchemaError(InputError):
    """A layer lacks a required column, or a column holds values of the wrong kind."""


class NetworkError(InputError):
    """Drainage network records that contradict each other (ids, topology, levels)."""


class AssetError(InputError):
    """Underground spaces, entrances or facilities that contradict each other."""


class ConfigError(InputError):
    """A configuration file or setting that is invalid."""


class RunFolderError(FloodRiskError, OSError):
    """The run folder cannot be created or finished."""


class SimulationError(FloodRiskError, RuntimeError):
    """A simulation that could not run or did not finish."""


class ContinuityError(SimulationError):
    """A simulation whose volume balance error exceeds the configured bound."""

