"""Settings of the report products (``[report]`` of a study config)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..assess.compare import CompareSettings
from ..errors import ConfigError
from .labels import LANGS

__all__ = ["FORMATS", "PAPERS", "ReportSettings"]

#: Paper sizes of the map sheets (ISO 216, landscape).
PAPERS = ("A3", "A4")
#: File formats of the map sheets.
FORMATS = ("png", "pdf")


@dataclass(frozen=True)
class ReportSettings:
    """What the reports of a run hold and in which language (``[report]`` of a config).

    Parameters
    ----------
    lang
        ``"en"`` or ``"zh"`` (Chinese needs a CJK font; the error says what to install).
    papers
        Paper sizes of the map sheets (:data:`PAPERS`).
    formats
        File formats of the map sheets (:data:`FORMATS`).
    dpi
        Resolution of the PNG sheets, dots per inch.
    pdf
        Print ``report.pdf`` from ``report.html`` when a Chromium is installed (no
        Chromium: no PDF, a note in the outcome).
    previous
        A previous run folder of the same area: the report says what changed.
    max_rows
        Waterlogging points listed in the report at most (all are in the GeoPackage).
    compare
        How points and entrances are matched against ``previous``.
    """

    lang: str = "en"
    papers: tuple[str, ...] = PAPERS
    formats: tuple[str, ...] = FORMATS
    dpi: int = 200
    pdf: bool = True
    previous: Path | None = None
    max_rows: int = 100
    compare: CompareSettings = field(default_factory=CompareSettings)

    def __post_init__(self) -> None:
        if self.lang not in LANGS:
            raise ConfigError(f"lang must be one of {', '.join(LANGS)}, got {self.lang!r}.",
                              field="lang")
        for name, allowed in (("papers", PAPERS), ("formats", FORMATS)):
            values = tuple(getattr(self, name))
            bad = [v for v in values if v not in allowed]
            if bad or not values:
                raise ConfigError(f"{name} must be some of {', '.join(allowed)}, got "
                                  f"{list(values)!r}.", field=name)
            object.__setattr__(self, name, values)
        if isinstance(self.dpi, bool) or not isinstance(self.dpi, int) or not 50 <= self.dpi <= 600:
            raise ConfigError(f"dpi must be a whole number from 50 to 600, got {self.dpi!r}.",
                              field="dpi")
        if isinstance(self.max_rows, bool) or not isinstance(self.max_rows, int) or \
                self.max_rows < 1:
            raise ConfigError(f"max_rows must be a whole number ≥ 1, got {self.max_rows!r}.",
                              field="max_rows")
        if self.previous is not None:
            object.__setattr__(self, "previous", Path(self.previous))


