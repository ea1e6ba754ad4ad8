"""The page model of the HTML reports (the assessment report and the season report):
tables of cells, sections, and the number formats they share."""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .labels import label

__all__ = ["Cell", "Column", "Table", "Section", "num", "minutes", "hours", "word",
           "class_cell", "data_uri", "finite", "minutes_text"]


@dataclass(frozen=True)
class Cell:
    """One table cell: its text, right-aligned when numeric, a class colour, a link."""

    text: str
    numeric: bool = False
    colour: str | None = None
    href: str | None = None


@dataclass(frozen=True)
class Column:
    """A column heading."""

    title: str
    numeric: bool = False


@dataclass
class Table:
    """A table: ``id`` and its row count are written into the page (``data-rows``)."""

    id: str
    columns: list[Column]
    rows: list[list[Cell]]
    caption: str = ""
    more: str = ""


@dataclass
class Section:
    """A section of the page."""

    id: str
    title: str
    tables: list[Table] = field(default_factory=list)
    figures: list[dict[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    image: str = ""


def finite(v: Any) -> bool:
    """Whether a value is a finite number."""
    try:
        return v is not None and not pd.isna(v) and math.isfinite(float(v))
    except (TypeError, ValueError):
        return False


def num(v: Any, digits: int = 2, unit: str = "") -> Cell:
    """A number with its unit (thousands separated from 1,000); – when missing."""
    if not finite(v):
        return Cell("–", numeric=True)
    x = float(v)
    text = f"{x:,.{digits}f}" if abs(x) >= 1000 else f"{x:.{digits}f}"
    return Cell(f"{text} {unit}".strip(), numeric=True)


def minutes_text(v: Any, lang: str) -> str:
    """Seconds from the rain's start as minutes ("76 min"); 'never' when missing."""
    if not finite(v):
        return label("wm_never", lang)
    return f"{float(v) / 60:,.0f} min"


def minutes(v: Any, lang: str) -> Cell:
    """:func:`minutes_text` in a numeric cell."""
    return Cell(minutes_text(v, lang), numeric=True)


def hours(v: Any) -> Cell:
    """Seconds as hours."""
    if not finite(v):
        return Cell("–", numeric=True)
    return Cell(f"{float(v) / 3600:.1f} h", numeric=True)


def word(key: Any, lang: str) -> str:
    """The label of a class or kind when there is one, else the value itself."""
    try:
        return label(str(key), lang)
    except Exception:
        return str(key)


def class_cell(value: Any, colours: Mapping[Any, str], lang: str) -> Cell:
    """A class name on its class colour."""
    return Cell(word(value, lang), colour=colours.get(value))


def data_uri(data: bytes, mime: str = "image/png") -> str:
    """Bytes as a data: URI (images inside the page)."""
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
