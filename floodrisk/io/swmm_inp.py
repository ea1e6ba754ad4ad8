"""Read and write EPA SWMM 5 input files (``.inp``); build a :class:`DrainageNetwork`.

Reading, in two steps kept apart:

1. :func:`parse_inp` / :func:`read_inp` split the file into an ordered structure
   (:class:`InpFile`): every section in file order, every line kept as read (its text,
   line terminator and comments) next to its data tokens. Sections floodrisk does not
   model (controls, pollutants, LID, inlets, tags, map symbols ...) are kept verbatim, so
   :meth:`InpFile.to_bytes` gives back the original file byte for byte.
2. :func:`inp_to_network` builds the network from JUNCTIONS, OUTFALLS, STORAGE, DIVIDERS,
   CONDUITS, XSECTIONS, PUMPS, ORIFICES, WEIRS, OUTLETS, COORDINATES, VERTICES,
   SUBCATCHMENTS (with their Polygons) and OPTIONS (FLOW_UNITS, LINK_OFFSETS), using
   CURVES for pump capacities, storage areas and custom shapes, and INLET_USAGE (SWMM
   5.2 street inlets) for ``inlet`` regulators: each inlet on a street conduit passes
   water from that conduit's downstream node into its capture node (id
   ``<conduit>.inlet``).

We write our own parser rather than use swmmio or swmm-api because the SWMM export that
follows needs the sections floodrisk does not model kept verbatim (comments, column
layout, order) for a byte-faithful round trip; those libraries rebuild the text from their
own object model.

Units (SWMM 5 manual, "Units of measurement"): FLOW_UNITS CFS, GPM and MGD mean US units
(lengths and elevations in ft → m × 0.3048; subcatchment areas in acres → m² × 4046.8564;
flows CFS → m³/s × 0.0283168466, GPM × 6.30901964e-5, MGD × 0.0438126364); CMS, LPS and
MLD mean SI units (m, ha → m² × 10⁴; LPS × 0.001, MLD × 0.0115740741). LINK_OFFSETS DEPTH
(the default) gives link offsets as heights above the node invert, ELEVATION as absolute
elevations (``*``: at the node invert); negative offsets are set to 0, as SWMM does.

Node levels: invert = the SWMM node elevation; rim = invert + maximum depth where that
depth is > 0, else unknown (NaN: SWMM then extends the node to the highest connected
crown; floodrisk's cover checks skip such nodes). A DEM, when given, fills unknown rims
of the nodes it covers.

Sections: full-flow area and hydraulic radius of every SWMM shape are computed as SWMM's
``xsect.c`` does (``full_area``, ``hydraulic_radius`` columns; CUSTOM from its shape
curve); CIRCULAR and FORCE_MAIN become ``circular``, RECT_CLOSED ``rect_closed``,
RECT_OPEN ``rect_open``, all others ``other`` with ``height`` the full height and
``width`` the largest width. IRREGULAR, STREET, DUMMY and standard-size ellipse and arch
codes are left unknown (NaN), as are sections whose parameters SWMM would refuse.

The CRS is given by the caller: ``.inp`` coordinates carry none.

The model (:mod:`floodrisk.swmm_model`)
---------------------------------------
:func:`read_swmm_model` (``floodrisk.read_inp``) reads a file as a
:class:`~floodrisk.swmm_model.SwmmModel`: the parsed file, its network in SI units and
its subcatchments with their polygons. It checks what SWMM would refuse and says where
(file, section as ``layer``, line number, object; the exceptions also carry ``section``
and ``line``): unknown FLOW_UNITS, a link whose end node is not defined (names compared
without case, as SWMM does), a node defined twice, a rain file, time-series file or
``[FILES] USE`` file that does not exist (relative names from the ``.inp``'s folder, where
SWMM looks), coordinates without a CRS (``crs=False`` reads them without one).

:func:`write_swmm_model` (``floodrisk.write_inp``) writes a model atomically. Unedited, it
writes the file as read, byte for byte. Edited (``model.with_network(net)``), the network
sections are re-rendered by :func:`render_inp` from the SI network converted back to the
model's own units (and LINK_OFFSETS):

- a row whose object is unchanged is written as read; in a changed row only the changed
  values are replaced (the row's column layout and comment kept), the tokens floodrisk
  does not model (initial depths and flows, outfall stage data, storage shapes, culvert
  codes, weir options ...) stay as they were; new rows take the layout of the section's
  last row and go at its end; a section that is needed and missing is created where EPA
  SWMM puts it (:data:`SECTION_ORDER`);
- JUNCTIONS, STORAGE and DIVIDERS: elevation from ``invert_elev``; maximum depth from
  ``rim_elev − invert_elev`` (0 where the rim is unknown), from ``max_depth`` where only
  that column was edited; a node whose ``kind`` changed moves to its new section;
- CONDUITS: ends, length, roughness, offsets (``in_offset``/``out_offset``, or the
  absolute ``in_invert``/``out_invert`` where only those were edited), MaxFlow;
  XSECTIONS: diameter, or height and width where SWMM's Geom1/Geom2 are those, barrels;
  a new conduit or a changed shape needs a shape given by Geom1 and Geom2;
- PUMPS: ends, curve, status, on and off depths; an edited ``capacity`` becomes a new
  curve (``<pump>_capacity``: the old curve's flows scaled, or a constant PUMP4 flow);
- ORIFICES, WEIRS, OUTLETS: ends, crest height or offset, discharge coefficient (in the
  model's units), flap gate; new ones are refused (SWMM needs their section or curve);
- OUTFALLS: elevation, FREE/NORMAL type, flap gate; an outfall with more than one link
  is refused (SWMM does);
- COORDINATES and VERTICES from the geometry (interior points of the links' lines);
- removed objects take their rows with them, also in LOSSES, XSECTIONS, INLET_USAGE,
  INFLOWS, DWF, RDII, TREATMENT and TAGS; a removed object still named by SUBCATCHMENTS,
  GROUNDWATER, DIVIDERS, CONTROLS or REPORT is refused, naming that line.

Values go back in the model's units as the shortest text that reads back as the same SI
value (an unchanged value: the number as written); edited values with 12 significant
digits. ``keep_unchanged=False`` rewrites every row of the network sections that way
(the round-trip tests: every model of the validation set so written runs to the same
binary output as the original).

:func:`new_swmm_model` makes a model from a network alone (and a template of the other
sections): every object is new.
"""

from __future__ import annotations

import logging
import math
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from ..errors import CRSError, FloodRiskError, InputFileError, NetworkError
from ..grid import Grid
from ..network import DrainageNetwork
from ..schema import PUMPS, STATIONS
from .files import atomic_write
from .vector import empty_layer

if TYPE_CHECKING:
    from ..swmm_model import SwmmModel

__all__ = ["InpLine", "InpSection", "InpFile", "parse_inp", "read_inp", "inp_to_network",
           "read_swmm_network", "read_swmm_model", "write_swmm_model", "render_inp",
           "new_swmm_model", "check_references", "check_external_files", "external_files", "xsection_full",
           "FLOW_FACTORS", "US_FLOW_UNITS", "FT", "ACRE", "SECTION_ORDER"]

log = logging.getLogger(__name__)

FT = 0.3048                 #: m per ft
ACRE = 4046.8564224         #: m² per acre
HECTARE = 1.0e4             #: m² per ha
#: m³/s per unit of each FLOW_UNITS.
FLOW_FACTORS = {"CFS": 0.0283168466, "GPM": 6.30901964e-5, "MGD": 0.0438126364,
                "CMS": 1.0, "LPS": 0.001, "MLD": 0.0115740741}
US_FLOW_UNITS = ("CFS", "GPM", "MGD")

_TOKEN = re.compile(r'"([^"]*)"|([^\s"]+)')
_SPLIT = re.compile(r"(?<=\n)")


# ---- the file structure -----------------------------------------------------------------
@dataclass(frozen=True)
class InpLine:
    """One line of an ``.inp`` file.

    Parameters
    ----------
    number
        Line number in the file, from 1.
    raw
        The line as read, with its line terminator (if any).
    tokens
        Its data tokens: the text before any ``;`` split on blanks, quotes removed
        (``"a b"`` is one token). Empty for blank and comment lines.
    comment
        The text after the first ``;`` outside quotes (without the ``;``), or None.
    """

    number: int
    raw: str
    tokens: tuple[str, ...]
    comment: str | None

    @property
    def is_data(self) -> bool:
        """Whether the line carries data."""
        return bool(self.tokens)


@dataclass(frozen=True)
class InpSection:
    """One ``[SECTION]`` of an ``.inp`` file and the lines up to the next one.

    Parameters
    ----------
    name
        Upper-case name without brackets (``JUNCTIONS``, ``POLYGONS``); ``""`` for the
        lines before the first section.
    header
        The ``[NAME]`` line as written (None for the preamble).
    lines
        Every line after the header, blank and comment lines included.
    """

    name: str
    header: InpLine | None
    lines: tuple[InpLine, ...]

    def rows(self) -> list[tuple[str, ...]]:
        """Data tokens of the data lines."""
        return [ln.tokens for ln in self.lines if ln.tokens]

    def text(self) -> str:
        """The section exactly as read."""
        head = self.header.raw if self.header is not None else ""
        return head + "".join(ln.raw for ln in self.lines)


@dataclass(frozen=True)
class InpFile:
    """An ``.inp`` file as ordered sections of lines (see :func:`parse_inp`).

    Parameters
    ----------
    sections
        Sections in file order (a section may occur more than once; a preamble before
        the first header is a section named ``""``).
    path
        Where it was read from, if from a file.
    """

    sections: tuple[InpSection, ...]
    path: Path | None = None

    def __contains__(self, name: str) -> bool:
        return any(s.name == name.upper() for s in self.sections)

    def section(self, name: str) -> InpSection | None:
        """The first section of that name (case-insensitive), or None."""
        return next((s for s in self.sections if s.name == name.upper()), None)

    def rows(self, name: str) -> list[tuple[str, ...]]:
        """Data rows of every section of that name, in file order."""
        return [r for s in self.sections if s.name == name.upper() for r in s.rows()]

    def names(self) -> list[str]:
        """Section names in file order."""
        return [s.name for s in self.sections if s.header is not None]

    def options(self) -> dict[str, str]:
        """``[OPTIONS]`` as upper-case keys → value text (the rest of the line)."""
        return {r[0].upper(): " ".join(r[1:]) for r in self.rows("OPTIONS")}

    @property
    def flow_units(self) -> str:
        """FLOW_UNITS (default CFS, as SWMM)."""
        return self.options().get("FLOW_UNITS", "CFS").upper()

    @property
    def us_units(self) -> bool:
        """Whether lengths are in ft (CFS, GPM, MGD) rather than m."""
        return self.flow_units in US_FLOW_UNITS

    @property
    def link_offsets(self) -> str:
        """LINK_OFFSETS: ``DEPTH`` (default) or ``ELEVATION``."""
        return self.options().get("LINK_OFFSETS", "DEPTH").upper()

    def lines(self) -> Iterator[InpLine]:
        """Every line in file order, headers included."""
        for s in self.sections:
            if s.header is not None:
                yield s.header
            yield from s.lines

    def text(self) -> str:
        """The file's text exactly as read."""
        return "".join(s.text() for s in self.sections)

    def to_bytes(self) -> bytes:
        """The file's bytes exactly as read (UTF-8; undecodable bytes kept as they were)."""
        return self.text().encode("utf-8", errors="surrogateescape")


def _tokenize(line: str) -> tuple[tuple[str, ...], str | None]:
    body = line.rstrip("\r\n").lstrip("\ufeff")   # a byte-order mark opens some files
    comment = None
    inside = False
    for k, ch in enumerate(body):
        if ch == '"':
            inside = not inside
        elif ch == ";" and not inside:
            comment = body[k + 1:]
            body = body[:k]
            break
    tokens = tuple(m.group(1) if m.group(1) is not None else m.group(2)
                   for m in _TOKEN.finditer(body))
    return tokens, comment


def parse_inp(text: str, path: str | PathLike[str] | None = None) -> InpFile:
    """Split the text of an ``.inp`` file into sections of lines.

    Parameters
    ----------
    text
        The file's text.
    path
        Where it came from, for messages.

    Returns
    -------
    InpFile
        Whose :meth:`~InpFile.text` equals ``text``.
    """
    sections: list[InpSection] = []
    name, header, lines = "", None, []
    for number, raw in enumerate((p for p in _SPLIT.split(text) if p), start=1):
        tokens, comment = _tokenize(raw)
        if tokens and tokens[0].startswith("["):
            if header is not None or lines:
                sections.append(InpSection(name, header, tuple(lines)))
            name = tokens[0].strip("[]").upper()
            header, lines = InpLine(number, raw, (), comment), []
        else:
            lines.append(InpLine(number, raw, tokens, comment))
    if header is not None or lines:
        sections.append(InpSection(name, header, tuple(lines)))
    return InpFile(tuple(sections), None if path is None else Path(path))


def read_inp(path: str | PathLike[str]) -> InpFile:
    """Read an ``.inp`` file (UTF-8; other bytes are kept as they are for the round trip).

    Parameters
    ----------
    path
        The file.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise InputFileError("file not found.", path=path) from exc
    except OSError as exc:
        raise InputFileError(f"cannot be read ({exc}).", path=path) from exc
    if b"\x00" in data[:4096]:
        raise InputFileError("is a binary file, not an SWMM input file.", path=path,
                             hint="Give the model's .inp file (text).")
    inp = parse_inp(data.decode("utf-8", errors="surrogateescape"), path)
    if not any(n in inp for n in ("JUNCTIONS", "OUTFALLS", "STORAGE", "DIVIDERS")):
        raise InputFileError("has no [JUNCTIONS], [OUTFALLS], [STORAGE] or [DIVIDERS] "
                             "section: not an SWMM input file with a network.", path=path,
                             hint="Give an EPA SWMM 5 .inp file.")
    return inp


# ---- building the network ---------------------------------------------------------------
def _num(tok: str | None, default: float = np.nan) -> float:
    if tok is None:
        return default
    try:
        return float(tok)
    except ValueError:
        return default


def _pad(row: tuple[str, ...], n: int) -> tuple:
    return tuple(row) + (None,) * max(0, n - len(row))


@dataclass
class _Build:
    inp: InpFile
    length: float
    flow: float
    area: float
    notes: list[str] = field(default_factory=list)

    @property
    def where(self) -> dict:
        return {"path": self.inp.path}

    # curves: name → (type, x array, y array)
    def curves(self) -> dict[str, tuple[str, np.ndarray, np.ndarray]]:
        raw: dict[str, list] = {}
        for r in self.inp.rows("CURVES"):
            name, rest = r[0], list(r[1:])
            entry = raw.setdefault(name, ["", []])
            if rest and not _is_number(rest[0]):
                entry[0] = rest.pop(0).upper()
            entry[1].extend(_num(t) for t in rest)
        out = {}
        for name, (kind, values) in raw.items():
            xy = np.asarray(values[: len(values) // 2 * 2], dtype=np.float64).reshape(-1, 2)
            out[name] = (kind, xy[:, 0], xy[:, 1])
        return out


def _is_number(tok: str) -> bool:
    try:
        float(tok)
        return True
    except ValueError:
        return False


def _nodes(b: _Build, curves: dict) -> pd.DataFrame:
    L = b.length
    rows = []
    for r in b.inp.rows("JUNCTIONS"):
        name, elev, ymax, _, ysur, apond = _pad(r, 6)
        rows.append((name, "junction", "JUNCTION", _num(elev), _num(ymax, 0.0), _num(ysur, 0.0),
                     _num(apond, 0.0) * (L * L), np.nan, None, None))
    for r in b.inp.rows("OUTFALLS"):
        name, elev, otype = _pad(r, 3)[:3]
        otype = (otype or "FREE").upper()
        rest = list(r[3:])
        if otype in ("FIXED", "TIDAL", "TIMESERIES") and rest:
            rest.pop(0)
        gated = rest[0].upper() if rest else "NO"
        rows.append((name, "outfall", "OUTFALL", _num(elev), 0.0, 0.0, 0.0, np.nan, otype,
                     gated))
    for r in b.inp.rows("STORAGE"):
        name, elev, ymax, _, shape = _pad(r, 5)[:5]
        ymax_v = _num(ymax, 0.0)
        area = _storage_area((shape or "").upper(), list(r[5:]), ymax_v, curves)
        rows.append((name, "storage", "STORAGE", _num(elev), ymax_v, 0.0, 0.0,
                     area * L * L if area > 0 else np.nan, (shape or "").upper(), None))
    for r in b.inp.rows("DIVIDERS"):
        name, elev, _, dtype = _pad(r, 4)[:4]
        skip = {"OVERFLOW": 4, "CUTOFF": 5, "TABULAR": 5, "WEIR": 7}.get((dtype or "").upper(), 4)
        ymax = _num(r[skip] if len(r) > skip else None, 0.0)
        rows.append((name, "junction", "DIVIDER", _num(elev), ymax, 0.0, 0.0, np.nan,
                     (dtype or "").upper(), None))
    df = pd.DataFrame(rows, columns=["node_id", "kind", "swmm_type", "elev", "ymax",
                                     "surcharge", "ponded", "storage_area", "swmm_subtype",
                                     "gated"])
    dup = df["node_id"][df["node_id"].duplicated()]
    if len(dup):
        raise NetworkError("duplicate node names.", **b.where, layer="nodes",
                           feature=sorted(set(dup)), field="Name",
                           hint="SWMM node names must be unique across junctions, outfalls, "
                                "storage units and dividers.")
    bad = df["elev"].isna()
    if bad.any():
        raise NetworkError("node elevation is not a number.", **b.where, layer="nodes",
                           feature=list(df["node_id"][bad]), field="Elevation")
    depth = df["ymax"].to_numpy() * L
    invert = df["elev"].to_numpy() * L
    return pd.DataFrame({
        "node_id": df["node_id"].astype(object),
        "kind": df["kind"].astype(object),
        "invert_elev": invert,
        "rim_elev": np.where(depth > 0, invert + depth, np.nan),
        "max_depth": np.where(depth > 0, depth, np.nan),
        "storage_area": df["storage_area"].to_numpy(dtype=np.float64),
        "swmm_type": df["swmm_type"].astype(object),
        "swmm_subtype": df["swmm_subtype"].astype(object),
        "surcharge_depth": df["surcharge"].to_numpy() * L,
        "ponded_area": df["ponded"].to_numpy(dtype=np.float64),
        "gated": df["gated"].astype(object),
    })


def _storage_area(shape: str, params: list[str], ymax: float, curves: dict) -> float:
    """Plan area at the maximum depth, native units (NaN when it cannot be told)."""
    p = [_num(t) for t in params[:4]]
    p += [np.nan] * (4 - len(p))
    d = ymax
    if shape == "TABULAR" and params:
        c = curves.get(params[0])
        return float(np.nanmax(c[2])) if c is not None and len(c[2]) else np.nan
    if shape == "FUNCTIONAL":
        a, bb, cc = (0.0 if np.isnan(v) else v for v in p[:3])
        return a * d**bb + cc if d > 0 else cc
    if shape == "CYLINDRICAL":
        return math.pi / 4.0 * p[0] * p[1]
    if shape == "CONICAL":
        return math.pi / 4.0 * (p[0] + 2 * p[2] * d) * (p[1] + 2 * p[2] * d)
    if shape == "PYRAMIDAL":
        return (p[0] + 2 * p[2] * d) * (p[1] + 2 * p[2] * d)
    if shape == "PARABOLOID":
        return math.pi / 4.0 * p[0] * p[1] * d / p[2] if p[2] > 0 else np.nan
    return np.nan


#: SWMM shapes without a top: no crown, no cover check.
OPEN_SHAPES = frozenset({"RECT_OPEN", "TRAPEZOIDAL", "TRIANGULAR", "PARABOLIC", "POWER",
                         "IRREGULAR", "STREET"})
# shape → (area factor, radius factor, width factor) of y_full (SWMM 5 xsect.c)
_ROUNDED = {"EGG": (0.5105, 0.1931, 2.0 / 3.0), "HORSESHOE": (0.8293, 0.2538, 1.0),
            "GOTHIC": (0.6554, 0.2269, 0.84), "CATENARY": (0.70277, 0.23172, 0.9),
            "SEMIELLIPTICAL": (0.785, 0.242, 1.0), "BASKETHANDLE": (0.7862, 0.2464, 0.944),
            "SEMICIRCULAR": (1.2697, 0.2946, 1.64)}


def xsection_full(shape: str, p: list[float], curve: tuple | None = None
                  ) -> tuple[float, float, float, float]:
    """Full height, largest width, full area and full hydraulic radius of a SWMM section.

    In the section's own units (native length); NaN where SWMM would refuse the
    parameters or the shape is not computed here (IRREGULAR, STREET, DUMMY, standard
    ellipse and arch sizes). Formulas as in SWMM 5 ``xsect_setParams``.

    Parameters
    ----------
    shape
        SWMM shape keyword, upper case.
    p
        Geom1..Geom4 as numbers (NaN when absent).
    curve
        The shape curve of a CUSTOM section: (type, depth/height, width/height).
    """
    nan = (np.nan,) * 4
    y, p1, p2, p3 = (list(p) + [np.nan] * 4)[:4]
    if not y > 0:
        return nan
    p1 = 0.0 if np.isnan(p1) else p1
    p2 = 0.0 if np.isnan(p2) else p2
    p3 = 0.0 if np.isnan(p3) else p3
    if shape in ("CIRCULAR", "FORCE_MAIN"):
        return y, y, math.pi / 4 * y * y, y / 4
    if shape == "FILLED_CIRCULAR":
        if p1 >= y:
            return nan
        theta = 2 * math.acos(1 - 2 * p1 / y)
        a_bot = y * y / 8 * (theta - math.sin(theta))
        chord = y * math.sin(theta / 2)
        area = math.pi / 4 * y * y - a_bot
        perim = math.pi * y - y * theta / 2 + chord
        return y - p1, (y if p1 <= y / 2 else chord), area, area / perim
    if shape in _ROUNDED:
        fa, fr, fw = _ROUNDED[shape]
        return y, fw * y, fa * y * y, fr * y
    if shape == "RECT_CLOSED":
        if p1 <= 0:
            return nan
        return y, p1, y * p1, y * p1 / (2 * (y + p1))
    if shape == "RECT_OPEN":
        if p1 <= 0 or not 0 <= p2 <= 2:
            return nan
        return y, p1, y * p1, y * p1 / ((2 - p2) * y + p1)
    if shape == "RECT_TRIANGULAR":
        if p1 <= 0 or p2 <= 0:
            return nan
        s = p1 / p2 / 2
        area = p1 * (y - p2 / 2)
        return y, p1, area, area / (2 * p2 * math.sqrt(1 + s * s) + 2 * (y - p2) + p1)
    if shape in ("RECT_ROUND", "MODBASKETHANDLE"):
        if p1 <= 0:
            return nan
        r = max(p2, p1 / 2)
        theta = 2 * math.asin(min(1.0, p1 / 2 / r))
        a_bot = r * r / 2 * (theta - math.sin(theta))
        y_bot = r * (1 - math.cos(theta / 2))
        area = p1 * (y - y_bot) + a_bot
        return y, p1, area, area / (r * theta + 2 * (y - y_bot) + p1)
    if shape == "TRAPEZOIDAL":
        if p1 < 0 or p2 < 0 or p3 < 0 or (p1 == 0 and p2 + p3 == 0):
            return nan
        area = (p1 + (p2 + p3) / 2 * y) * y
        side = math.sqrt(1 + p2 * p2) + math.sqrt(1 + p3 * p3)
        return y, p1 + y * (p2 + p3), area, area / (p1 + y * side)
    if shape == "TRIANGULAR":
        if p1 <= 0:
            return nan
        s = p1 / y / 2
        area = y * y * s
        return y, p1, area, area / (2 * y * math.sqrt(1 + s * s))
    if shape in ("PARABOLIC", "POWER"):
        if p1 <= 0 or (shape == "POWER" and p2 <= 0):
            return nan
        expo = 0.5 if shape == "PARABOLIC" else 1.0 / p2
        area = y * p1 / (expo + 1)
        z = np.linspace(0.0, y, 2001)
        half = p1 / 2 * (z / y) ** expo   # half width at height z above the bottom
        perim = 2 * float(np.sum(np.hypot(np.diff(z), np.diff(half))))
        return y, p1, area, area / perim
    if shape in ("HORIZ_ELLIPSE", "VERT_ELLIPSE", "ARCH"):
        if p1 <= 0 or p2 > 0:   # standard size codes: SWMM's tables, not reproduced here
            return nan
        if shape == "HORIZ_ELLIPSE":
            return y, p1, 1.2692 * y * y, 0.3061 * y
        if shape == "VERT_ELLIPSE":
            return y, p1, 1.2692 * p1 * p1, 0.3061 * p1
        return y, p1, 0.7879 * y * p1, 0.2991 * y
    if shape == "CUSTOM" and curve is not None and len(curve[1]) >= 2:
        d = np.clip(np.asarray(curve[1], dtype=np.float64), 0.0, 1.0)
        w = np.asarray(curve[2], dtype=np.float64)
        if d[0] > 0:
            d, w = np.r_[0.0, d], np.r_[0.0, w]
        area_rel = float(np.sum(np.diff(d) * (w[1:] + w[:-1]) / 2))
        perim_rel = w[0] + w[-1] + 2 * float(np.sum(np.hypot(np.diff(d), np.diff(w) / 2)))
        if area_rel <= 0 or perim_rel <= 0:
            return nan
        return y, float(np.max(w)) * y, area_rel * y * y, area_rel / perim_rel * y
    return nan


def _links(b: _Build, nodes: pd.DataFrame, curves: dict) -> tuple[pd.DataFrame, pd.DataFrame,
                                                                   pd.DataFrame]:
    L = b.length
    inv = dict(zip(nodes["node_id"], nodes["invert_elev"] / L))   # native units
    canon = {str(n).upper(): n for n in nodes["node_id"]}

    def cn(name: str | None) -> str | None:
        """The node as defined (SWMM names are not case-sensitive)."""
        return canon.get(name.upper(), name) if name is not None else None

    elevation = b.inp.link_offsets == "ELEVATION"
    negative: list[str] = []

    def offset(tok: str | None, node: str, link: str) -> float:
        if elevation:
            v = inv.get(node, np.nan) if tok in (None, "*") else _num(tok) - inv.get(node, np.nan)
        else:
            v = 0.0 if tok in (None, "*") else _num(tok, 0.0)
        if v < 0:
            negative.append(link)
            v = 0.0
        return v

    xs = {r[0]: r for r in b.inp.rows("XSECTIONS")}
    rows = []
    missing_xs = []
    for r in b.inp.rows("CONDUITS"):
        name, a, z, length, n, off1, off2, _, qmax = _pad(r, 9)[:9]
        a, z = cn(a), cn(z)
        x = xs.get(name)
        if x is None:
            missing_xs.append(name)
            shape, geom, barrels, curve = "DUMMY", [np.nan] * 4, 1.0, None
        else:
            shape = (x[1] if len(x) > 1 else "DUMMY").upper()
            curve = None
            if shape == "CUSTOM":
                curve = curves.get(x[3]) if len(x) > 3 else None
                geom = [_num(x[2] if len(x) > 2 else None), np.nan, np.nan, np.nan]
            elif shape in ("IRREGULAR", "STREET"):
                geom = [np.nan] * 4
            else:
                geom = [_num(t) for t in _pad(x, 6)[2:6]]
            barrels = _num(x[6] if len(x) > 6 else None, 1.0)
            barrels = barrels if barrels >= 1 else 1.0
        yfull, wmax, afull, rfull = xsection_full(shape, geom, curve)
        rows.append((name, a, z, _num(length), _num(n), offset(off1, a, name),
                     offset(off2, z, name), _num(qmax, 0.0), shape, yfull, wmax, afull, rfull,
                     barrels, shape not in OPEN_SHAPES))
    df = pd.DataFrame(rows, columns=["link_id", "from_node", "to_node", "length", "roughness",
                                     "in_offset", "out_offset", "max_flow", "swmm_shape",
                                     "yfull", "wmax", "afull", "rfull", "barrels", "closed"])
    if missing_xs:
        b.notes.append(f"{len(missing_xs)} conduits have no [XSECTIONS] line (section "
                       f"unknown): {', '.join(missing_xs[:5])}")
    if negative:
        b.notes.append(f"negative offsets of {len(set(negative))} links set to 0 (as SWMM "
                       f"does): {', '.join(sorted(set(negative))[:5])}")
    sh = df["swmm_shape"]
    circ = sh.isin(["CIRCULAR", "FORCE_MAIN"]).to_numpy()
    shape = np.where(circ, "circular", np.where(sh == "RECT_CLOSED", "rect_closed",
                                                 np.where(sh == "RECT_OPEN", "rect_open",
                                                          "other")))
    conduits = pd.DataFrame({
        "link_id": df["link_id"].astype(object), "from_node": df["from_node"].astype(object),
        "to_node": df["to_node"].astype(object), "shape": shape.astype(object),
        "diameter": np.where(circ, df["yfull"] * L, np.nan),
        "height": np.where(circ, np.nan, df["yfull"] * L),
        "width": np.where(circ, np.nan, df["wmax"] * L),
        "roughness": df["roughness"].to_numpy(dtype=np.float64),
        "length": df["length"].to_numpy(dtype=np.float64) * L,
        "in_offset": df["in_offset"].to_numpy(dtype=np.float64) * L,
        "out_offset": df["out_offset"].to_numpy(dtype=np.float64) * L,
        "swmm_shape": df["swmm_shape"].astype(object),
        "full_area": df["afull"].to_numpy(dtype=np.float64) * L * L,
        "hydraulic_radius": df["rfull"].to_numpy(dtype=np.float64) * L,
        "barrels": df["barrels"].to_numpy(dtype=np.float64),
        "closed": df["closed"].to_numpy(dtype=bool),
        "max_flow": np.where(df["max_flow"] > 0, df["max_flow"] * b.flow, np.nan),
    })
    node_inv = nodes.set_index("node_id")["invert_elev"]
    conduits.insert(11, "in_invert", node_inv.reindex(conduits["from_node"]).to_numpy()
                    + conduits["in_offset"].to_numpy())
    conduits.insert(12, "out_invert", node_inv.reindex(conduits["to_node"]).to_numpy()
                    + conduits["out_offset"].to_numpy())

    prow = []
    for r in b.inp.rows("PUMPS"):
        name, a, z, curve, status, on, off = _pad(r, 7)[:7]
        a, z = cn(a), cn(z)
        c = curves.get(curve or "")
        cap = float(np.nanmax(c[2])) * b.flow if c is not None and len(c[2]) else np.nan
        ctype = c[0] if c is not None else ("IDEAL" if curve == "*" else "")
        prow.append((name, a, a, z, cap if cap > 0 else np.nan, _num(on, 0.0) * L,
                     _num(off, 0.0) * L, curve, ctype, (status or "ON").upper()))
    pumps = pd.DataFrame(prow, columns=["pump_id", "station_id", "from_node", "to_node",
                                        "capacity", "on_depth", "off_depth", "curve",
                                        "curve_type", "status"])
    rrow = []
    for r in b.inp.rows("ORIFICES"):
        name, a, z, otype, off, coeff, gated = _pad(r, 7)[:7]
        a, z = cn(a), cn(z)
        rrow.append((name, "orifice", a, z, offset(off, a, name) * L, np.nan,
                     (otype or "").upper(), _num(coeff), (gated or "NO").upper()))
    for r in b.inp.rows("WEIRS"):
        name, a, z, wtype, crest, coeff, gated = _pad(r, 7)[:7]
        a, z = cn(a), cn(z)
        rrow.append((name, "weir", a, z, offset(crest, a, name) * L, np.nan,
                     (wtype or "").upper(), _num(coeff), (gated or "NO").upper()))
    for r in b.inp.rows("OUTLETS"):
        name, a, z, off, otype = _pad(r, 5)[:5]
        a, z = cn(a), cn(z)
        gated = r[-1].upper() if len(r) > 5 and r[-1].upper() in ("YES", "NO") else "NO"
        rrow.append((name, "outlet", a, z, offset(off, a, name) * L, np.nan,
                     (otype or "").upper(), np.nan, gated))
    ends = dict(zip(conduits["link_id"], conduits["to_node"], strict=True))
    for r in b.inp.rows("INLET_USAGE"):
        link, design, node = _pad(r, 3)[:3]
        node = cn(node)
        if link in ends and node is not None:
            rrow.append((f"{link}.inlet", "inlet", ends[link], node, 0.0, np.nan,
                         design, np.nan, "NO"))
    regs = pd.DataFrame(rrow, columns=["link_id", "kind", "from_node", "to_node",
                                       "crest_height", "capacity", "swmm_type", "coefficient",
                                       "gated"])
    known = set(nodes["node_id"])
    for frame, layer, idc in ((conduits, "conduits", "link_id"), (pumps, "pumps", "pump_id"),
                              (regs, "regulators", "link_id")):
        for col in ("from_node", "to_node"):
            bad = ~frame[col].isin(known)
            if bad.any():
                raise NetworkError(
                    f"{col} refers to nodes that do not exist: "
                    f"{', '.join(sorted(set(map(str, frame.loc[bad, col])))[:5])}.",
                    **b.where, layer=layer, field=col, feature=list(frame[idc][bad]))
    return conduits, pumps, regs


def _coords(b: _Build) -> tuple[dict[str, tuple[float, float]], dict[str, list]]:
    coords = {}
    for r in b.inp.rows("COORDINATES"):
        if len(r) >= 3:
            coords[r[0]] = (_num(r[1]), _num(r[2]))
    vertices: dict[str, list] = {}
    for r in b.inp.rows("VERTICES"):
        if len(r) >= 3:
            vertices.setdefault(r[0], []).append((_num(r[1]), _num(r[2])))
    return coords, vertices


def _line(a: str, z: str, link: str, coords: dict, vertices: dict) -> shapely.LineString | None:
    if a not in coords or z not in coords:
        return None
    return shapely.LineString([coords[a], *vertices.get(link, []), coords[z]])


def _subcatchments(b: _Build, nodes: pd.DataFrame, crs: CRS | None) -> gpd.GeoDataFrame | None:
    rows = b.inp.rows("SUBCATCHMENTS")
    if not rows:
        return None
    canon = {str(n).upper(): n for n in nodes["node_id"]}   # SWMM names: not case-sensitive
    subs = {r[0].upper(): r[0] for r in rows}

    def cn(name: str | None) -> str | None:
        if name is None:
            return None
        return canon.get(name.upper(), subs.get(name.upper(), name))

    outlet_of = {r[0]: cn(r[2] if len(r) > 2 else None) for r in rows}
    known = set(nodes["node_id"])
    polys: dict[str, list] = {}
    for r in b.inp.rows("POLYGONS"):
        if len(r) >= 3:
            polys.setdefault(r[0], []).append((_num(r[1]), _num(r[2])))
    out, lost = [], []
    for r in rows:
        name, _, outlet, area, imperv = _pad(r, 5)[:5]
        outlet = cn(outlet)
        seen = {name}
        while outlet in outlet_of and outlet not in known and outlet not in seen:
            seen.add(outlet)
            outlet = outlet_of[outlet]   # routed onto another subcatchment
        if outlet not in known:
            lost.append(name)
            continue
        ring = polys.get(name, [])
        geom = shapely.Polygon(ring) if len(ring) >= 3 else None
        out.append((name, outlet, _num(imperv) / 100.0, np.nan, _num(area) * b.area,
                    r[2] if len(r) > 2 else None, geom))
    if lost:
        b.notes.append(f"{len(lost)} subcatchments drain to no node and were left out: "
                       f"{', '.join(lost[:5])}")
    df = pd.DataFrame(out, columns=["subcatchment_id", "outlet", "imperviousness",
                                    "runoff_coeff", "area", "swmm_outlet", "geometry"])
    return gpd.GeoDataFrame(df, geometry="geometry", crs=crs)


def _line_where(inp: InpFile, section: str, test) -> int | None:
    """Number of the first data line of a section whose tokens pass ``test``."""
    for s in inp.sections:
        if s.name == section:
            for ln in s.lines:
                if ln.tokens and test(ln.tokens):
                    return ln.number
    return None


def _at(cls: type[FloodRiskError], message: str, inp: InpFile, section: str,
        line: int | None, **kw) -> FloodRiskError:
    """An error that names the file, the section (as ``layer``) and the line.

    The exception also carries ``section`` and ``line`` attributes.
    """
    text = (f"line {line}: " if line is not None else "") + message
    exc = cls(text, path=kw.pop("path", inp.path), layer=section, **kw)
    exc.section = section   # type: ignore[attr-defined]
    exc.line = line         # type: ignore[attr-defined]
    return exc


#: Link sections and what their rows are called in messages.
_LINK_SECTIONS = {"CONDUITS": "conduit", "PUMPS": "pump", "ORIFICES": "orifice",
                  "WEIRS": "weir", "OUTLETS": "outlet"}
_NODE_SECTIONS = ("JUNCTIONS", "OUTFALLS", "STORAGE", "DIVIDERS")


def check_references(inp: InpFile) -> None:
    """Check that every link's end nodes are defined, and node names are unique.

    Raises
    ------
    NetworkError
        Naming the file, the section, the line, the link and the missing node (field
        ``from_node`` or ``to_node``); or the second definition of a node name.
    """
    known: dict[str, int] = {}
    for s in inp.sections:
        if s.name in _NODE_SECTIONS:
            for ln in s.lines:
                if ln.tokens:
                    name = ln.tokens[0].upper()   # SWMM names are not case-sensitive
                    if name in known:
                        raise _at(NetworkError, f"node {name!r} is defined twice (first on "
                                  f"line {known[name]}).", inp, s.name, ln.number,
                                  feature=[ln.tokens[0]], field="Name",
                                  hint="SWMM node names must be unique across junctions, "
                                       "outfalls, storage units and dividers.")
                    known[name] = ln.number
    for s in inp.sections:
        what = _LINK_SECTIONS.get(s.name)
        if what is None:
            continue
        for ln in s.lines:
            t = ln.tokens
            if not t:
                continue
            for k, col in ((1, "from_node"), (2, "to_node")):
                node = t[k] if len(t) > k else None
                if node is None or node.upper() not in known:
                    said = "no node" if node is None else f"node {node!r}, which is not defined"
                    raise _at(NetworkError, f"{what} {t[0]!r} refers to {said}.", inp, s.name,
                              ln.number, feature=[t[0]], field=col,
                              hint="Define the node in [JUNCTIONS], [OUTFALLS], [STORAGE] or "
                                   "[DIVIDERS], or correct the name.")


def inp_to_network(inp: InpFile, *, crs: str | CRS | None = None, dem: Grid | None = None
                   ) -> DrainageNetwork:
    """Build a drainage network from a parsed ``.inp`` file (see the module docstring).

    Parameters
    ----------
    inp
        The parsed file.
    crs
        Projected CRS of the file's coordinates (``.inp`` files carry none); default the
        DEM's, else unknown.
    dem
        Ground elevation, in the same CRS, to fill the rims SWMM leaves unknown.

    Returns
    -------
    DrainageNetwork
        With ``regulators`` (weirs, orifices, outlets, street inlets) and
        ``subcatchments`` when the file has them; SWMM-only attributes in extra columns
        (``swmm_type``, ``swmm_shape``, ``full_area``, ``hydraulic_radius``, ``barrels``,
        ``closed``, ``max_flow`` ...).
    """
    if crs is None and dem is not None:
        crs = dem.crs
    crs = CRS.from_user_input(crs) if crs is not None else None
    if crs is not None and not crs.is_projected:
        raise CRSError(f"the CRS {crs.name} is geographic.", path=inp.path,
                       hint="Give the projected CRS the model's coordinates are in.")
    flow_units = inp.flow_units
    if flow_units not in FLOW_FACTORS:
        line = _line_where(inp, "OPTIONS", lambda t: t[0].upper() == "FLOW_UNITS")
        raise _at(NetworkError, f"unknown FLOW_UNITS {flow_units!r}.", inp, "OPTIONS", line,
                  field="FLOW_UNITS", hint="SWMM knows CFS, GPM, MGD, CMS, LPS and MLD.")
    check_references(inp)
    us = inp.us_units
    b = _Build(inp, FT if us else 1.0, FLOW_FACTORS[flow_units], ACRE if us else HECTARE)
    b.notes.append(f"{inp.path or 'SWMM input'}: FLOW_UNITS {flow_units} "
                   f"({'US units converted to SI' if us else 'SI units'}), LINK_OFFSETS "
                   f"{inp.link_offsets}")
    curves = b.curves()
    nodes = _nodes(b, curves)
    conduits, pumps, regs = _links(b, nodes, curves)
    coords, vertices = _coords(b)
    node_geom = [shapely.Point(coords[n]) if n in coords else None for n in nodes["node_id"]]
    nodes = gpd.GeoDataFrame(nodes, geometry=gpd.GeoSeries(node_geom, crs=crs), crs=crs)
    missing = nodes.geometry.isna()
    if missing.any():
        b.notes.append(f"{int(missing.sum())} nodes have no coordinates")
    lines = [_line(a, z, k, coords, vertices) for a, z, k in
             zip(conduits["from_node"], conduits["to_node"], conduits["link_id"])]
    conduits = gpd.GeoDataFrame(conduits, geometry=gpd.GeoSeries(lines, crs=crs), crs=crs)
    regs_g = None
    if len(regs):
        rl = [_line(a, z, k, coords, vertices) for a, z, k in
              zip(regs["from_node"], regs["to_node"], regs["link_id"])]
        regs_g = gpd.GeoDataFrame(regs, geometry=gpd.GeoSeries(rl, crs=crs), crs=crs)
    if len(pumps):
        pumps = gpd.GeoDataFrame(pumps, geometry=gpd.GeoSeries([None] * len(pumps)))
        ideal = pumps["capacity"].isna()
        if ideal.any():
            b.notes.append(f"{int(ideal.sum())} pumps have no curve capacity (ideal pumps): "
                           f"{', '.join(pumps.pump_id[ideal][:5])}")
        first = pumps.drop_duplicates("station_id")
        at = dict(zip(nodes["node_id"], nodes.geometry))
        stations = gpd.GeoDataFrame(
            {"station_id": first["station_id"].to_numpy(), "name": first["station_id"].to_numpy(),
             "equipment_elev": np.nan, "equipment_height": np.nan},
            geometry=gpd.GeoSeries([at.get(s) for s in first["station_id"]], crs=crs), crs=crs)
        b.notes.append(f"{len(stations)} pump stations named after their wet-well nodes "
                       "(SWMM has no stations); equipment levels unknown")
    else:
        pumps = empty_layer(PUMPS, None)
        stations = empty_layer(STATIONS, crs)
    subs = _subcatchments(b, nodes, crs)
    if dem is not None:
        nodes = _rims_from_dem(nodes, dem, b.notes)
    for line in b.notes:
        log.info(line)
    return DrainageNetwork(nodes=nodes, conduits=conduits, pumps=pumps, stations=stations,
                           subcatchments=subs, crs=crs, notes=tuple(b.notes),
                           regulators=regs_g)


def _rims_from_dem(nodes: gpd.GeoDataFrame, dem: Grid, notes: list[str]) -> gpd.GeoDataFrame:
    need = nodes["rim_elev"].isna().to_numpy() & nodes.geometry.notna().to_numpy()
    if not need.any():
        return nodes
    g = nodes.geometry[need]
    ground = dem.sample(g.x.to_numpy(), g.y.to_numpy())
    ok = np.isfinite(ground) & (ground >= nodes["invert_elev"].to_numpy()[need])
    if ok.any():
        nodes = nodes.copy()
        idx = np.flatnonzero(need)[ok]
        nodes.loc[nodes.index[idx], "rim_elev"] = ground[ok]
        nodes.loc[nodes.index[idx], "max_depth"] = ground[ok] - nodes["invert_elev"].to_numpy()[idx]
        notes.append(f"rim of {int(ok.sum())} nodes without a SWMM max depth taken from the DEM")
    return nodes


def read_swmm_network(path: str | PathLike[str], *, crs: str | CRS | None = None,
                      dem: Grid | None = None) -> DrainageNetwork:
    """Read an ``.inp`` file and build its drainage network.

    Parameters
    ----------
    path
        The ``.inp`` file.
    crs, dem
        As for :func:`inp_to_network`.
    """
    return inp_to_network(read_inp(path), crs=crs, dem=dem)


# ---- the model: reading -----------------------------------------------------------------
def _subcatchment_table(inp: InpFile, crs: CRS | None, us: bool) -> gpd.GeoDataFrame | None:
    """Every [SUBCATCHMENTS] row with its [Polygons] ring (SI units)."""
    rows = inp.rows("SUBCATCHMENTS")
    if not rows:
        return None
    L, A = (FT, ACRE) if us else (1.0, HECTARE)
    rings: dict[str, list] = {}
    for r in inp.rows("POLYGONS"):
        if len(r) >= 3:
            rings.setdefault(r[0], []).append((_num(r[1]), _num(r[2])))
    out = []
    for r in rows:
        name, gage, outlet, area, imperv, width, slope, curb, snow = _pad(r, 9)[:9]
        ring = rings.get(name, [])
        out.append((name, gage, outlet, _num(area) * A, _num(imperv) / 100.0, _num(width) * L,
                    _num(slope), _num(curb, 0.0) * L, snow,
                    shapely.Polygon(ring) if len(ring) >= 3 else None))
    df = pd.DataFrame(out, columns=["subcatchment_id", "rain_gage", "outlet", "area",
                                    "imperviousness", "width", "slope", "curb_length",
                                    "snowpack", "geometry"])
    return gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(df["geometry"], crs=crs), crs=crs)


def external_files(inp: InpFile) -> list[tuple[str, int, str, str, str]]:
    """Files an ``.inp`` reads: (section, line, object, keyword, file name as written).

    [RAINGAGES] ``FILE`` sources, [TIMESERIES] ``FILE`` series and [FILES] ``USE``
    entries (files the run writes, ``SAVE``, are left out).
    """
    found = []
    for s in inp.sections:
        for ln in s.lines:
            t = ln.tokens
            if s.name == "RAINGAGES" and len(t) > 5 and t[4].upper() == "FILE":
                found.append((s.name, ln.number, t[0], "FILE", t[5]))
            elif s.name == "TIMESERIES" and len(t) > 2 and t[1].upper() == "FILE":
                found.append((s.name, ln.number, t[0], "FILE", t[2]))
            elif s.name == "FILES" and len(t) > 2 and t[0].upper() == "USE":
                found.append((s.name, ln.number, t[1].upper(), "USE", t[2]))
    return found


def _resolve(folder: Path, name: str) -> Path:
    p = Path(name.replace("\\", "/")) if "\\" in name and not Path(name).exists() else Path(name)
    return p if p.is_absolute() else folder / p


def check_external_files(inp: InpFile) -> None:
    """Check that the files the model reads exist (relative names: from the .inp's folder,
    as SWMM resolves them).

    Raises
    ------
    InputFileError
        Naming the ``.inp``, the section, the line, the rain gauge (or series) and the
        missing file.
    """
    folder = inp.path.parent if inp.path is not None else Path.cwd()
    what = {"RAINGAGES": "rain gauge", "TIMESERIES": "time series", "FILES": "[FILES] entry"}
    for section, line, obj, key, name in external_files(inp):
        path = _resolve(folder, name)
        if not path.is_file():
            raise _at(InputFileError, f"{what[section]} {obj!r} reads the file {name!r}, "
                      f"which does not exist (looked for {path}).", inp, section, line,
                      feature=obj, field=key,
                      hint="Put the file where the .inp says (relative names are relative "
                           "to the .inp's folder) or correct the name; to read the network "
                           "without it, pass check_files=False (floodrisk swmm-import: "
                           "--no-file-check).")


def read_swmm_model(path: str | PathLike[str], crs: str | CRS | bool | None = None, *,
                    check_files: bool = True) -> SwmmModel:
    """Read an EPA SWMM ``.inp`` file as a :class:`~floodrisk.swmm_model.SwmmModel`.

    Every section is kept as read (``model.inp``); the network is built in SI units
    (US-unit models converted, see the module docstring); subcatchments get their
    ``[Polygons]`` rings. Exported as ``floodrisk.read_inp``.

    Parameters
    ----------
    path
        The ``.inp`` file.
    crs
        Projected CRS of the model's coordinates (``.inp`` files carry none). Required
        when the file has ``[COORDINATES]``; pass ``False`` to read a model with
        coordinates without a CRS (pure network work: geometry kept, no CRS).
    check_files
        Check that the rain files, time-series files and ``[FILES] USE`` files the model
        reads exist (relative to the ``.inp``'s folder).

    Raises
    ------
    InputFileError
        The file cannot be read or is not an SWMM input file; a file it reads is missing.
    NetworkError
        Unknown FLOW_UNITS; a link refers to a node that is not defined; a node is
        defined twice. The message names the file, section, line and object.
    CRSError
        Coordinates without a CRS, or a geographic CRS.
    """
    from ..swmm_model import SwmmModel

    inp = read_inp(path)
    units = inp.flow_units
    if units not in FLOW_FACTORS:
        line = _line_where(inp, "OPTIONS", lambda t: t[0].upper() == "FLOW_UNITS")
        raise _at(NetworkError, f"unknown FLOW_UNITS {units!r}.", inp, "OPTIONS", line,
                  field="FLOW_UNITS", hint="SWMM knows CFS, GPM, MGD, CMS, LPS and MLD.")
    check_references(inp)
    if check_files:
        check_external_files(inp)
    if crs is True:
        raise TypeError("crs must be a CRS, None or False")
    if crs is None and inp.rows("COORDINATES"):
        line = _line_where(inp, "COORDINATES", lambda t: True)
        raise _at(CRSError, "the model has node coordinates but no CRS was given.", inp,
                  "COORDINATES", line,
                  hint="Give the projected CRS its coordinates are in (crs='EPSG:4547'; "
                       "floodrisk swmm-import: --crs EPSG:4547), or crs=False (--no-crs) "
                       "to read it without one.")
    the_crs = None if crs is False or crs is None else CRS.from_user_input(crs)
    net = inp_to_network(inp, crs=the_crs)
    subs = _subcatchment_table(inp, the_crs, inp.us_units)
    return SwmmModel(inp=inp, network=net, imported=net, subcatchments=subs, units=units,
                     crs=the_crs)


# ---- the model: writing -----------------------------------------------------------------
#: Section order of files written by EPA SWMM 5.2 (where a new section goes).
SECTION_ORDER = (
    "TITLE", "OPTIONS", "EVAPORATION", "TEMPERATURE", "ADJUSTMENTS", "RAINGAGES",
    "SUBCATCHMENTS", "SUBAREAS", "INFILTRATION", "LID_CONTROLS", "LID_USAGE", "AQUIFERS",
    "GROUNDWATER", "GWF", "SNOWPACKS", "JUNCTIONS", "OUTFALLS", "DIVIDERS", "STORAGE",
    "CONDUITS", "PUMPS", "ORIFICES", "WEIRS", "OUTLETS", "XSECTIONS", "TRANSECTS", "STREETS",
    "INLETS", "INLET_USAGE", "LOSSES", "CONTROLS", "POLLUTANTS", "LANDUSES", "COVERAGES",
    "LOADINGS", "BUILDUP", "WASHOFF", "TREATMENT", "INFLOWS", "DWF", "RDII", "HYDROGRAPHS",
    "CURVES", "TIMESERIES", "PATTERNS", "REPORT", "TAGS", "MAP", "COORDINATES", "VERTICES",
    "POLYGONS", "SYMBOLS", "LABELS", "BACKDROP")

_HEADERS = {
    "JUNCTIONS": ";;Name           Elevation  MaxDepth   InitDepth  SurDepth   Aponded",
    "OUTFALLS": ";;Name           Elevation  Type       Stage Data       Gated    Route To",
    "STORAGE": ";;Name           Elev.    MaxDepth   InitDepth  Shape      Curve Type/Params"
               "            SurDepth  Fevap",
    "CONDUITS": ";;Name           From Node        To Node          Length     Roughness  "
                "InOffset   OutOffset  InitFlow   MaxFlow",
    "PUMPS": ";;Name           From Node        To Node          Pump Curve       Status   "
             "Startup  Shutoff",
    "XSECTIONS": ";;Link           Shape        Geom1            Geom2      Geom3      Geom4"
                 "      Barrels    Culvert",
    "CURVES": ";;Name           Type       X-Value    Y-Value",
    "COORDINATES": ";;Node           X-Coord            Y-Coord",
    "VERTICES": ";;Link           X-Coord            Y-Coord",
}

#: Shapes whose Geom2 is the section's width.
_GEOM2_WIDTH = frozenset({"RECT_CLOSED", "RECT_OPEN", "RECT_TRIANGULAR", "RECT_ROUND",
                          "MODBASKETHANDLE", "HORIZ_ELLIPSE", "VERT_ELLIPSE", "ARCH",
                          "TRIANGULAR", "PARABOLIC", "POWER"})
#: Shapes a new conduit may have: Geom1 (full height) and Geom2 (width) say it all.
_SIMPLE_SHAPES = _GEOM2_WIDTH - {"RECT_TRIANGULAR", "RECT_ROUND", "POWER"} | {
    "CIRCULAR", "FORCE_MAIN", "EGG", "HORSESHOE", "GOTHIC", "CATENARY", "SEMIELLIPTICAL",
    "BASKETHANDLE", "SEMICIRCULAR"}
_OUTFALL_TYPES = ("FREE", "NORMAL", "FIXED", "TIDAL", "TIMESERIES")
_NODE_SECTION = {"JUNCTION": "JUNCTIONS", "OUTFALL": "OUTFALLS", "STORAGE": "STORAGE",
                 "DIVIDER": "DIVIDERS"}
_REG_SECTION = {"orifice": "ORIFICES", "weir": "WEIRS", "outlet": "OUTLETS"}


def _fmt(v: float) -> str:
    """A value in the model's units: 12 significant digits (hides conversion round-off)."""
    v = float(v)
    if not math.isfinite(v):
        raise ValueError(f"not a finite number: {v}")
    s = f"{v:.12g}"
    if "e" in s:
        s = np.format_float_positional(float(s), trim="-")
    return "0" if s in ("-0", "-0.") else s


def _fmt_g(v: float, digits: int) -> str:
    s = f"{v:.{digits}g}"
    if "e" in s:
        s = np.format_float_positional(float(s), trim="-")
    return "0" if s in ("-0", "-0.") else s


def _fmt_si(si: float, factor: float, shift: float = 0.0, exact: bool = True) -> str:
    """An SI value as text in the model's units, ``si / factor + shift``.

    ``exact``: the shortest text ``x`` with ``(x − shift) · factor == si`` exactly, so that
    it reads back as the same SI value (for a value read from the file: the text as
    written, or its shortest form, and the same number for SWMM). Otherwise (an edited
    value) 12 significant digits, which hide the round-off of the unit conversion.
    """
    si = float(si)
    if not math.isfinite(si):
        raise ValueError(f"not a finite number: {si}")
    native = si / factor + shift
    if not exact:
        return _fmt_g(native, 12)
    for digits in range(1, 18):
        s = _fmt_g(native, digits)
        if (float(s) - shift) * factor == si:
            return s
    return _fmt_g(native, 17)


def _fmt_xy(v: float) -> str:
    """A map coordinate: the shortest text that reads back as the same float."""
    s = np.format_float_positional(float(v), trim="-")
    return "0" if s == "-0" else s


def _quote(tok: str) -> str:
    if tok == "" or any(c.isspace() or c == ";" for c in tok):
        return f'"{tok}"'
    return tok


def _new_line(tokens: list[str], nl: str) -> str:
    parts = [_quote(t) for t in tokens]
    text = "".join(p.ljust(16 if k == 0 else 10) + " " for k, p in enumerate(parts[:-1]))
    return text + (parts[-1] if parts else "") + nl


def _split_code(text: str) -> tuple[str, str]:
    inside = False
    for k, ch in enumerate(text):
        if ch == '"':
            inside = not inside
        elif ch == ";" and not inside:
            return text[:k], text[k:]
    return text, ""


def _relayout(ln: InpLine, tokens: list[str], nl: str) -> str:
    """``tokens`` in the column layout of ``ln``, with its comment and line ending."""
    body = ln.raw.rstrip("\r\n")
    ending = ln.raw[len(body):] or nl
    code, comment = _split_code(body)
    spans = [m.span() for m in _TOKEN.finditer(code.lstrip("\ufeff"))]
    shift = len(code) - len(code.lstrip("\ufeff"))
    spans = [(a + shift, b + shift) for a, b in spans]
    if not spans:
        return _new_line(tokens, nl)
    out = code[:spans[0][0]]
    for k, tok in enumerate(tokens):
        tok = _quote(tok)
        if k == len(tokens) - 1:
            out += tok
        elif k + 1 < len(spans):
            gap = code[spans[k][1]:spans[k + 1][0]]
            width = spans[k + 1][0] - spans[k][0]
            if "\t" in gap:
                out += tok + gap
            else:
                out += tok.ljust(width - 1) + " " if len(tok) < width else tok + " "
        else:
            gap = code[spans[-2][1]:spans[-1][0]] if len(spans) > 1 else " "
            out += tok + (gap if "\t" in gap else " ")
    trailing = code[spans[-1][1]:]
    if comment and not trailing:
        trailing = " "
    return out + trailing + comment + ending


def _same(a, b) -> bool:
    """Whether two values are the same (NaN and None equal each other; floats within
    a relative 1e-12)."""
    a_none = a is None or (isinstance(a, float) and math.isnan(a))
    b_none = b is None or (isinstance(b, float) and math.isnan(b))
    if a_none or b_none:
        return a_none and b_none
    if isinstance(a, (int, float, np.number)) and isinstance(b, (int, float, np.number)):
        a, b = float(a), float(b)
        return a == b or abs(a - b) <= 1e-12 * max(1.0, abs(a), abs(b))
    if isinstance(a, shapely.Geometry) or isinstance(b, shapely.Geometry):
        return (isinstance(a, shapely.Geometry) and isinstance(b, shapely.Geometry)
                and a.equals_exact(b, 1e-9))
    return str(a) == str(b)


def _text(v) -> str | None:
    """A text value, or None where it is empty."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    s = str(v).strip()
    return s or None


def _yes_no(v) -> str | None:
    if isinstance(v, (bool, np.bool_)):
        return "YES" if v else "NO"
    s = _text(v)
    if s is None:
        return None
    return {"TRUE": "YES", "1": "YES", "FALSE": "NO", "0": "NO"}.get(s.upper(), s.upper())


def _indexed(new: pd.DataFrame | None, base: pd.DataFrame | None, idcol: str) -> pd.DataFrame:
    """``new`` indexed by id (text); columns only ``base`` has are filled from it (an edited
    layer that lost a SWMM-only column keeps the imported values)."""
    if new is None or not len(new):
        cols = list(base.columns) if base is not None and len(base.columns) else [idcol]
        if "kind" not in cols:
            cols.append("kind")
        return pd.DataFrame(columns=cols, index=pd.Index([], dtype=object))
    df = pd.DataFrame(new).copy()
    df.index = pd.Index(df[idcol].astype(str), dtype=object)
    if base is not None and len(base):
        b = pd.DataFrame(base)
        b = b.set_axis(pd.Index(b[idcol].astype(str), dtype=object))
        for col in b.columns:
            if col not in df.columns:
                df[col] = b[col].reindex(df.index)
    return df


@dataclass
class _Plan:
    """How the rows of one section are written: ``render`` maps an object's id to a function
    of its original line (None for a new row) giving the line; ``drop`` lists the ids
    whose rows go; ``multi`` marks sections with several rows per id (VERTICES); ``new``
    holds the ids to append, in order."""

    render: dict = field(default_factory=dict)
    drop: set = field(default_factory=set)
    new: list = field(default_factory=list)
    multi: bool = False
    extra: list = field(default_factory=list)   # whole lines to append


class _Renderer:
    """Re-renders the network sections of a model from its (edited) network."""

    def __init__(self, model: SwmmModel, keep_unchanged: bool) -> None:
        self.m = model
        self.inp = model.inp
        self.keep = keep_unchanged
        self.L = FT if model.us_units else 1.0
        self.F = FLOW_FACTORS[model.units]
        self.elevation = model.link_offsets == "ELEVATION"
        first = next((ln.raw for ln in self.inp.lines() if ln.raw.endswith("\n")), "\n")
        self.nl = "\r\n" if first.endswith("\r\n") else "\n"
        net, base = model.network, model.imported
        self.nodes = _indexed(net.nodes, base.nodes, "node_id")
        self.bnodes = _indexed(base.nodes, None, "node_id")
        self.conduits = _indexed(net.conduits, base.conduits, "link_id")
        self.bconduits = _indexed(base.conduits, None, "link_id")
        self.pumps = _indexed(net.pumps, base.pumps, "pump_id")
        self.bpumps = _indexed(base.pumps, None, "pump_id")
        self.regs = _indexed(net.regulators, base.regulators, "link_id")
        self.bregs = _indexed(base.regulators, None, "link_id")
        self.curves = {r[0] for r in self.inp.rows("CURVES")}
        self.template: InpLine | None = None   # layout of new rows
        self.new_curves: list[list[str]] = []

    # -- values
    def where(self) -> dict:
        return {"path": self.inp.path}

    @staticmethod
    def val(row, col: str, default: float = np.nan) -> float:
        v = row.get(col) if row is not None else None
        try:
            v = float(v)
        except (TypeError, ValueError):
            return default
        return default if math.isnan(v) else v

    def same(self, row, brow, *cols: str) -> bool:
        """Whether the object is unchanged in ``cols`` (its tokens are then kept as read,
        or with ``keep_unchanged=False`` written exactly)."""
        if brow is None:
            return False
        return all(_same(_scalar(row.get(c)), _scalar(brow.get(c))) for c in cols)

    @staticmethod
    def base(frame: pd.DataFrame, key: str):
        if key in frame.index:
            row = frame.loc[key]
            return row.iloc[0] if isinstance(row, pd.DataFrame) else row
        return None

    def tok(self, t: list[str], k: int, unchanged: bool, value, factor: float = 1.0,
            shift: float = 0.0) -> None:
        """Set token k: kept as read when unchanged (not added when the row had none),
        else ``value``: text as given, or an SI number written in the model's units
        (``value / factor + shift``, see :func:`_fmt_si`); missing tokens before it get
        their defaults."""
        if unchanged and self.keep and self.orig_len > 0:
            return
        while len(t) <= k:
            d = self.defaults
            t.append(d[len(t)] if len(t) < len(d) else "0")
        t[k] = value if isinstance(value, str) else _fmt_si(value, factor, shift, unchanged)

    def emit(self, ln: InpLine | None, t: list[str]) -> str:
        """A row: as read when its tokens did not change, else in the layout of the row
        it replaces, or for a new row in that of the section's last row (without its
        comment)."""
        if ln is not None and tuple(t) == ln.tokens:
            raw = ln.raw
            return raw if raw.endswith(("\n", "\r")) else raw + self.nl
        if ln is None:
            tpl = self.template
            if tpl is None:
                return _new_line(t, self.nl)
            code = _split_code(tpl.raw.rstrip("\r\n"))[0].rstrip()
            return _relayout(InpLine(0, code + self.nl, tpl.tokens, None), t, self.nl)
        return _relayout(ln, t, self.nl)

    def start(self, ln: InpLine | None, default: list[str]) -> list[str]:
        """The tokens to edit: the row as read, or ``default`` for a new row."""
        self.orig_len = len(ln.tokens) if ln is not None else 0
        self.defaults = list(default)
        return list(ln.tokens) if ln is not None else list(default)

    # -- nodes
    def node_type(self, nid: str, row) -> str:
        kind = (_text(row.get("kind")) or "junction").lower()
        st = (_text(row.get("swmm_type")) or "").upper()
        b = self.base(self.bnodes, nid)
        if not st and b is not None and (_text(b.get("kind")) or "") == kind:
            st = str(b.get("swmm_type")).upper()
        want = {"junction": ("JUNCTION", "DIVIDER"), "outfall": ("OUTFALL",),
                "storage": ("STORAGE",)}.get(kind)
        if want is None:
            raise NetworkError(f"node kind {kind!r} has no SWMM counterpart.", **self.where(),
                               layer="nodes", feature=nid, field="kind",
                               hint="Use junction, outfall or storage.")
        st = st if st in want else want[0]
        if st == "DIVIDER" and (b is None or str(b.get("swmm_type")).upper() != "DIVIDER"):
            raise NetworkError("a new flow divider cannot be written (SWMM needs its diverted "
                               "link and curve).", **self.where(), layer="nodes", feature=nid,
                               field="swmm_type", hint="Make it a junction.")
        return st

    def base_node(self, nid: str, st: str):
        b = self.base(self.bnodes, nid)
        return b if b is not None and str(b.get("swmm_type")).upper() == st else None

    def depth(self, r, b) -> float:
        """Maximum depth (SI) to write: rim − invert; the max_depth column where only it
        was edited; 0 (SWMM: up to the highest crown) where the rim is unknown."""
        inv, rim, md = self.val(r, "invert_elev"), self.val(r, "rim_elev"), self.val(r, "max_depth")
        if (b is not None and _same(rim, self.val(b, "rim_elev"))
                and _same(inv, self.val(b, "invert_elev"))
                and not _same(md, self.val(b, "max_depth"))):
            return max(md, 0.0) if math.isfinite(md) else 0.0
        if math.isfinite(rim) and math.isfinite(inv):
            d = rim - inv
            if math.isfinite(md) and abs(d - md) <= 1e-9 * max(1.0, abs(rim)):
                d = md   # the value as read (rim − invert carries round-off)
            return max(d, 0.0)
        return max(md, 0.0) if math.isfinite(md) else 0.0

    def invert(self, nid: str, r) -> float:
        inv = self.val(r, "invert_elev")
        if not math.isfinite(inv):
            raise NetworkError("invert elevation is missing.", **self.where(), layer="nodes",
                               feature=nid, field="invert_elev")
        return inv

    def junction(self, nid: str, ln: InpLine | None) -> str:
        r = self.nodes.loc[nid]
        b = self.base_node(nid, "JUNCTION")
        L = self.L
        t = self.start(ln, [nid, "0", "0", "0", "0", "0"])
        t[0] = nid
        self.tok(t, 1, self.same(r, b, "invert_elev"), self.invert(nid, r), L)
        self.tok(t, 2, self.same(r, b, "invert_elev", "rim_elev", "max_depth"),
                 self.depth(r, b), L)
        self.tok(t, 4, self.same(r, b, "surcharge_depth"),
                 self.val(r, "surcharge_depth", 0.0), L)
        self.tok(t, 5, self.same(r, b, "ponded_area"), self.val(r, "ponded_area", 0.0), L * L)
        return self.emit(ln, t)

    def outfall(self, nid: str, ln: InpLine | None) -> str:
        r = self.nodes.loc[nid]
        b = self.base_node(nid, "OUTFALL")
        t = self.start(ln, [nid, "0", "FREE", "NO"])
        t[0] = nid
        self.tok(t, 1, self.same(r, b, "invert_elev"), self.invert(nid, r), self.L)
        old = t[2].upper() if len(t) > 2 else "FREE"
        stage = t[3:4] if old in ("FIXED", "TIDAL", "TIMESERIES") else []
        rest = t[3 + len(stage):]
        gated, route = (rest[0] if rest else "NO"), rest[1:]
        had_gated = bool(rest) or ln is None
        kind = old
        if not self.same(r, b, "swmm_subtype"):
            kind = (_text(r.get("swmm_subtype")) or old).upper()
            if kind not in _OUTFALL_TYPES:
                kind = old if b is not None else "FREE"
            if kind != old:
                if kind in ("FREE", "NORMAL"):
                    stage = []
                elif not stage:
                    raise NetworkError(f"outfall type {kind} needs stage data the network "
                                       "does not hold.", **self.where(), layer="nodes",
                                       feature=nid, field="swmm_subtype",
                                       hint="Use FREE or NORMAL, or edit the .inp's "
                                            "[OUTFALLS] row.")
        if not self.same(r, b, "gated"):
            new = _yes_no(r.get("gated")) or gated
            had_gated = had_gated or new != gated
            gated = new
        t = (t[:2] + [kind if kind != old or ln is None else t[2]] + stage
             + ([gated] if had_gated else []) + route)
        return self.emit(ln, t)

    def storage(self, nid: str, ln: InpLine | None) -> str:
        r = self.nodes.loc[nid]
        b = self.base_node(nid, "STORAGE")
        L = self.L
        area = self.val(r, "storage_area")
        edited = b is not None and not _same(area, self.val(b, "storage_area"))
        if (ln is None or edited) and not area > 0:
            raise NetworkError("storage node without a storage area.", **self.where(),
                               layer="nodes", feature=nid, field="storage_area",
                               hint="Give its plan area, m².")
        t = self.start(ln, [nid, "0", "0", "0", "FUNCTIONAL", "0", "0",
                            _fmt_si(area, L * L, exact=False)
                            if area > 0 else "0", "0", "0"])
        t[0] = nid
        self.tok(t, 1, self.same(r, b, "invert_elev"), self.invert(nid, r), L)
        self.tok(t, 2, self.same(r, b, "invert_elev", "rim_elev", "max_depth"),
                 self.depth(r, b), L)
        if ln is not None and edited:
            shape = t[4].upper() if len(t) > 4 else ""
            n = 1 if shape == "TABULAR" else 3
            t = (t[:4] + ["FUNCTIONAL", "0", "0", _fmt_si(area, L * L, exact=False)]
                 + (t[5 + n:] or ["0", "0"]))
            log.warning("storage node %s: its %s shape replaced by a constant plan area of "
                        "%g m² (the storage_area edited)", nid, shape or "unknown", area)
        return self.emit(ln, t)

    def divider(self, nid: str, ln: InpLine | None) -> str:
        r = self.nodes.loc[nid]
        b = self.base_node(nid, "DIVIDER")
        t = self.start(ln, [])
        self.tok(t, 1, self.same(r, b, "invert_elev"), self.invert(nid, r), self.L)
        dtype = t[3].upper() if len(t) > 3 else ""
        k = {"OVERFLOW": 4, "CUTOFF": 5, "TABULAR": 5, "WEIR": 7}.get(dtype, 4)
        self.tok(t, k, self.same(r, b, "invert_elev", "rim_elev", "max_depth"),
                 self.depth(r, b), self.L)
        return self.emit(ln, t)

    # -- links
    def offset_token(self, t: list[str], k: int, r, b, col: str, inv_col: str | None,
                     node_col: str) -> None:
        """Link offset ``col`` (SI, height above the node invert) as token k: a depth, or
        with LINK_OFFSETS ELEVATION an elevation. Where only the absolute invert
        ``inv_col`` was edited, the offset follows from it."""
        node = str(r[node_col])
        nrow = self.nodes.loc[node]
        inv = self.invert(node, nrow)
        off = self.val(r, col)
        cols = [col, node_col] + ([inv_col] if inv_col is not None else [])
        unchanged = self.same(r, b, *cols)
        if (inv_col is not None and b is not None and _same(off, self.val(b, col))
                and not _same(self.val(r, inv_col), self.val(b, inv_col))
                and math.isfinite(self.val(r, inv_col))):
            off = self.val(r, inv_col) - inv   # the absolute invert was edited
        off = off if math.isfinite(off) else 0.0
        if self.elevation:
            bnode = self.base(self.bnodes, node)
            unchanged = unchanged and bnode is not None and _same(
                inv, self.val(bnode, "invert_elev"))
            self.tok(t, k, unchanged, off, self.L, inv / self.L)
        else:
            self.tok(t, k, unchanged, off, self.L)

    def conduit(self, lid: str, ln: InpLine | None) -> str:
        r = self.conduits.loc[lid]
        b = self.base(self.bconduits, lid)
        t = self.start(ln, [lid, "", "", "0", "0", "0", "0", "0", "0"])
        self.ends(t, lid, r, b)
        length = self.val(r, "length")
        if not math.isfinite(length) or (b is None and not length > 0):
            raise NetworkError("conduit length is missing.", **self.where(), layer="conduits",
                               feature=lid, field="length")
        self.tok(t, 3, self.same(r, b, "length"), length, self.L)
        n = self.val(r, "roughness")
        if not math.isfinite(n) or (b is None and not n > 0):
            raise NetworkError("Manning roughness is missing.", **self.where(),
                               layer="conduits", feature=lid, field="roughness")
        self.tok(t, 4, self.same(r, b, "roughness"), n)
        self.offset_token(t, 5, r, b, "in_offset", "in_invert", "from_node")
        self.offset_token(t, 6, r, b, "out_offset", "out_invert", "to_node")
        q = self.val(r, "max_flow")
        self.tok(t, 8, self.same(r, b, "max_flow"), q if q > 0 else 0.0, self.F)
        return self.emit(ln, t)

    def ends(self, t: list[str], lid: str, r, b) -> None:
        """Name and end nodes of a link row (the names as written where unchanged)."""
        while len(t) < 3:
            t.append("")
        t[0] = t[0] or lid
        for k, col in ((1, "from_node"), (2, "to_node")):
            if not (self.keep and self.same(r, b, col)) or not t[k]:
                t[k] = str(r[col])

    def swmm_shape(self, lid: str, r, b) -> str:
        cls = (_text(r.get("shape")) or "circular").lower()
        sw = (_text(r.get("swmm_shape")) or "").upper()
        if not sw and b is not None:
            sw = (_text(b.get("swmm_shape")) or "").upper()
        if sw and _shape_class(sw) == cls:
            return sw
        out = {"circular": "CIRCULAR", "rect_closed": "RECT_CLOSED",
               "rect_open": "RECT_OPEN"}.get(cls)
        if out is None:
            raise NetworkError("a conduit of shape 'other' needs its SWMM shape.",
                               **self.where(), layer="conduits", feature=lid,
                               field="swmm_shape",
                               hint="Give swmm_shape (EGG, HORSESHOE, ...) or use circular, "
                                    "rect_closed or rect_open.")
        return out

    def dims(self, lid: str, r, shape: str) -> tuple[float, float]:
        """(Geom1, Geom2) of a section, model units."""
        cls = _shape_class(shape)
        if cls == "circular":
            d = self.val(r, "diameter")
            if not d > 0:
                raise NetworkError("diameter is missing.", **self.where(), layer="conduits",
                                   feature=lid, field="diameter")
            return d / self.L, 0.0
        h, w = self.val(r, "height"), self.val(r, "width")
        if not h > 0:
            raise NetworkError("section height is missing.", **self.where(), layer="conduits",
                               feature=lid, field="height")
        if shape in _GEOM2_WIDTH and not w > 0:
            raise NetworkError("section width is missing.", **self.where(), layer="conduits",
                               feature=lid, field="width")
        return h / self.L, (w / self.L if shape in _GEOM2_WIDTH else 0.0)

    def xsection(self, lid: str, ln: InpLine | None) -> str:
        r = self.conduits.loc[lid]
        b = self.base(self.bconduits, lid)
        shape = self.swmm_shape(lid, r, b)
        barrels = self.val(r, "barrels", 1.0)
        barrels_tok = str(int(barrels)) if barrels >= 1 else "1"
        old = (ln.tokens[1].upper() if ln is not None and len(ln.tokens) > 1 else None)
        if ln is None or old != shape:
            if shape not in _SIMPLE_SHAPES:
                raise NetworkError(f"a new {shape} section needs SWMM parameters the network "
                                   "does not hold.", **self.where(), layer="conduits",
                                   feature=lid, field="swmm_shape",
                                   hint="Use a circular, rectangular or other simple shape, "
                                        "or edit the .inp's [XSECTIONS] row.")
            g1, g2 = self.dims(lid, r, shape)
            t = [lid, shape, _fmt_si(g1 * self.L, self.L, exact=False),
                 _fmt_si(g2 * self.L, self.L, exact=False), "0", "0", barrels_tok]
            return self.emit(ln, t)
        t = self.start(ln, [])
        if shape in ("CIRCULAR", "FORCE_MAIN"):
            self.dims(lid, r, shape)
            self.tok(t, 2, self.same(r, b, "diameter"), self.val(r, "diameter"), self.L)
        elif shape not in ("IRREGULAR", "STREET", "DUMMY"):
            h, w = self.val(r, "height"), self.val(r, "width")
            if math.isfinite(h):     # unknown heights (standard size codes) keep the tokens
                extra = _num(t[3], 0.0) if shape == "FILLED_CIRCULAR" and len(t) > 3 else 0.0
                self.tok(t, 2, self.same(r, b, "height"), h, self.L, extra)
            if shape in _GEOM2_WIDTH and math.isfinite(w) and math.isfinite(h):
                self.tok(t, 3, self.same(r, b, "width"), w, self.L)
        if len(t) > 6 or not self.same(r, b, "barrels"):
            for _ in range(len(t), 6):
                t.append("0")
            self.tok(t, 6, self.same(r, b, "barrels"), barrels_tok)
        return self.emit(ln, t)

    def pump(self, pid: str, ln: InpLine | None) -> str:
        r = self.pumps.loc[pid]
        b = self.base(self.bpumps, pid)
        t = self.start(ln, [pid, "", "", "*", "ON", "0", "0"])
        self.ends(t, pid, r, b)
        curve = _text(r.get("curve"))
        cap = self.val(r, "capacity")
        if b is not None and not _same(cap, self.val(b, "capacity")):
            curve = self.scaled_curve(pid, _text(b.get("curve")), self.val(b, "capacity"), cap)
            self.tok(t, 3, False, curve)
        elif b is None and (curve is None or curve not in self.curves) and curve != "*":
            curve = self.scaled_curve(pid, None, np.nan, cap) if cap > 0 else "*"
            self.tok(t, 3, False, curve)
        else:
            self.tok(t, 3, self.same(r, b, "curve"), curve or "*")
        self.tok(t, 4, self.same(r, b, "status"), (_text(r.get("status")) or "ON").upper())
        self.tok(t, 5, self.same(r, b, "on_depth"), self.val(r, "on_depth", 0.0), self.L)
        self.tok(t, 6, self.same(r, b, "off_depth"), self.val(r, "off_depth", 0.0), self.L)
        return self.emit(ln, t)

    def scaled_curve(self, pid: str, curve: str | None, old: float, new: float) -> str:
        """A new pump curve for an edited capacity: the old curve's flows scaled, or a
        constant flow (PUMP4) for a pump without one."""
        if not new > 0:
            raise NetworkError("pump capacity is missing.", **self.where(), layer="pumps",
                               feature=pid, field="capacity")
        name, k = f"{pid}_capacity", 1
        while name in self.curves:
            name, k = f"{pid}_capacity_{k}", k + 1
        self.curves.add(name)
        rows = [r for r in self.inp.rows("CURVES") if r[0] == curve] if curve else []
        if rows and old > 0:
            f = new / old
            for r in rows:
                rest = list(r[1:])
                head = [rest.pop(0)] if rest and not _is_number(rest[0]) else []
                pairs = [(rest[i], _fmt(_num(rest[i + 1]) * f)) for i in range(0, len(rest) - 1, 2)]
                self.new_curves.append([name, *head, *(v for p in pairs for v in p)])
        else:
            q = _fmt(new / self.F)
            self.new_curves += [[name, "PUMP4", "0", q], [name, _fmt(100.0), q]]
        log.info("pump %s: capacity %g m³/s written as curve %s", pid, new, name)
        return name

    def regulator(self, lid: str, ln: InpLine | None) -> str:
        r = self.regs.loc[lid]
        b = self.base(self.bregs, lid)
        kind = str(r["kind"])
        t = self.start(ln, [])
        self.ends(t, lid, r, b)
        k = 3 if kind == "outlet" else 4
        self.offset_token(t, k, r, b, "crest_height", None, "from_node")
        if kind in ("orifice", "weir"):
            c = self.val(r, "coefficient")
            if math.isfinite(c):
                self.tok(t, 5, self.same(r, b, "coefficient"), c)
            if not self.same(r, b, "gated"):
                self.tok(t, 6, False, _yes_no(r.get("gated")) or "NO")
        elif not self.same(r, b, "gated") and t[-1].upper() in ("YES", "NO"):
            t[-1] = _yes_no(r.get("gated")) or t[-1]
        return self.emit(ln, t)

    # -- geometry
    def coordinate(self, nid: str, ln: InpLine | None) -> str:
        r = self.nodes.loc[nid]
        b = self.base(self.bnodes, nid)
        g = r.get("geometry")
        t = self.start(ln, [nid, "0", "0"])
        unchanged = self.same(r, b, "geometry")
        self.tok(t, 1, unchanged, _fmt_xy(g.x))
        self.tok(t, 2, unchanged, _fmt_xy(g.y))
        return self.emit(ln, t)

    def vertices(self, lid: str, row, ln: InpLine | None) -> list[str]:
        """The VERTICES rows of a link (interior points of its line), laid out as ``ln``."""
        g = row.get("geometry")
        coords = list(g.coords)[1:-1] if isinstance(g, shapely.LineString) else []
        rows = [[lid, _fmt_xy(x), _fmt_xy(y)] for x, y, *_ in coords]
        if ln is None:
            return [self.emit(None, t) for t in rows]
        return [_relayout(ln, t, self.nl) for t in rows]

    # -- the plans
    def plans(self) -> dict[str, _Plan]:
        P: dict[str, _Plan] = {}

        def plan(name: str) -> _Plan:
            return P.setdefault(name, _Plan())

        # nodes
        types = {nid: self.node_type(nid, self.nodes.loc[nid]) for nid in self.nodes.index}
        fn = {"JUNCTION": self.junction, "OUTFALL": self.outfall, "STORAGE": self.storage,
              "DIVIDER": self.divider}
        for st, sec in _NODE_SECTION.items():
            p = plan(sec)
            for nid, t in types.items():
                if t == st:
                    p.render[nid] = (lambda ln, nid=nid, f=fn[st]: f(nid, ln))
                    if self.base_node(nid, st) is None:
                        p.new.append(nid)
            p.drop = {n for n in self.bnodes.index if n not in p.render}
        removed_nodes = set(self.bnodes.index) - set(self.nodes.index)
        self.check_outfalls({nid for nid, t in types.items() if t == "OUTFALL"})
        # coordinates
        p = plan("COORDINATES")
        has_xy = {nid for nid in self.nodes.index
                  if isinstance(self.nodes.loc[nid].get("geometry"), shapely.Point)
                  and not self.nodes.loc[nid].get("geometry").is_empty}
        old_xy = {r[0] for r in self.inp.rows("COORDINATES")}
        for nid in self.nodes.index:
            if nid in has_xy:
                p.render[nid] = (lambda ln, nid=nid: self.coordinate(nid, ln))
                if nid not in old_xy:
                    p.new.append(nid)
        p.drop = (old_xy & set(self.bnodes.index)) - has_xy
        # conduits and their sections
        p, x = plan("CONDUITS"), plan("XSECTIONS")
        old_x = {r[0] for r in self.inp.rows("XSECTIONS")}
        for lid in self.conduits.index:
            p.render[lid] = (lambda ln, lid=lid: self.conduit(lid, ln))
            x.render[lid] = (lambda ln, lid=lid: self.xsection(lid, ln))
            if lid not in self.bconduits.index:
                p.new.append(lid)
            if lid not in old_x and lid not in self.bconduits.index:
                x.new.append(lid)   # (a conduit read without a section keeps none)
        p.drop = set(self.bconduits.index) - set(self.conduits.index)
        # pumps
        p = plan("PUMPS")
        for pid in self.pumps.index:
            p.render[pid] = (lambda ln, pid=pid: self.pump(pid, ln))
            if pid not in self.bpumps.index:
                p.new.append(pid)
        p.drop = set(self.bpumps.index) - set(self.pumps.index)
        # regulators (street inlets are INLET_USAGE rows, kept as read)
        kinds = {lid: str(self.regs.loc[lid, "kind"]) for lid in self.regs.index}
        bkinds = {lid: str(self.bregs.loc[lid, "kind"]) for lid in self.bregs.index}
        for kind, sec in _REG_SECTION.items():
            p = plan(sec)
            for lid, k in kinds.items():
                if k != kind:
                    continue
                if bkinds.get(lid) != kind:
                    raise NetworkError(f"a new {kind} cannot be written (SWMM needs its "
                                       "section or rating curve, which the network does not "
                                       "hold).", **self.where(), layer="regulators",
                                       feature=lid, field="kind",
                                       hint="Add it to the .inp file itself.")
                p.render[lid] = (lambda ln, lid=lid: self.regulator(lid, ln))
            p.drop = {lid for lid, k in bkinds.items() if k == kind and lid not in p.render}
        new_inlets = [lid for lid, k in kinds.items() if k == "inlet" and lid not in bkinds]
        if new_inlets:
            raise NetworkError("new street inlets cannot be written (SWMM needs their inlet "
                               "design).", **self.where(), layer="regulators",
                               feature=new_inlets, field="kind",
                               hint="Add them to the .inp's [INLETS] and [INLET_USAGE].")
        links = set(self.conduits.index) | set(self.pumps.index) | {
            k for k, v in kinds.items() if v != "inlet"}
        blinks = set(self.bconduits.index) | set(self.bpumps.index) | {
            k for k, v in bkinds.items() if v != "inlet"}
        removed_links = blinks - links
        removed_inlets = {k for k, v in bkinds.items() if v == "inlet"} - set(kinds)
        # vertices
        p = plan("VERTICES")
        p.multi = True
        old_v = {r[0] for r in self.inp.rows("VERTICES")}
        regs = self.regs[[kinds[k] != "inlet" for k in self.regs.index]]
        for frame, bframe in ((self.conduits, self.bconduits), (regs, self.bregs)):
            for lid in frame.index:
                r = frame.loc[lid]
                b = self.base(bframe, lid)
                g = r.get("geometry")
                if self.keep and self.same(r, b, "geometry") or (g is None and b is not None
                                                    and b.get("geometry") is None):
                    continue
                render = (lambda ln, lid=lid, r=r: self.vertices(lid, r, ln))
                if lid in old_v:
                    p.render[lid] = render
                elif isinstance(g, shapely.LineString) and len(g.coords) > 2:
                    p.render[lid] = render
                    p.new.append(lid)
        p.drop = removed_links
        # rows of other sections that name removed objects
        plan("XSECTIONS").drop |= removed_links
        plan("LOSSES").drop = set(removed_links)
        for sec in ("INFLOWS", "DWF", "RDII", "TREATMENT"):
            plan(sec).drop = set(removed_nodes)
        P["INLET_USAGE"] = _Plan(drop={"__rows__"})   # handled row by row
        self.removed = (removed_nodes, removed_links, removed_inlets)
        self.check_dangling(removed_nodes, removed_links)
        return P

    def check_outfalls(self, outfalls: set) -> None:
        """SWMM takes one link at an outfall (ERROR 141): refuse more, naming them."""
        ends = []
        for frame in (self.conduits, self.pumps, self.regs):
            if len(frame):
                keep = (frame["kind"].astype(str) != "inlet") if "kind" in frame else True
                f = frame[keep] if keep is not True else frame
                ends += [str(x) for c in ("from_node", "to_node") for x in f[c]]
        count = pd.Series(ends, dtype=object).value_counts()
        bad = sorted(n for n in outfalls if count.get(n, 0) > 1)
        if bad:
            raise NetworkError("SWMM allows one link at an outfall; these outfalls have more.",
                               **self.where(), layer="nodes", feature=bad, field="kind",
                               hint="Give each link its own outfall node (a pump discharging "
                                    "beside a gravity outlet too), or make the node a "
                                    "junction draining to an outfall.")

    def check_dangling(self, nodes: set, links: set) -> None:
        """Refuse to drop objects that sections kept as read still refer to."""
        if not nodes and not links:
            return
        nodes, links = {x.upper() for x in nodes}, {x.upper() for x in links}
        kinds = {"NODE": nodes, "LINK": links, "CONDUIT": links, "PUMP": links,
                 "ORIFICE": links, "WEIR": links, "OUTLET": links}
        for s in self.inp.sections:
            for ln in s.lines:
                t = [x.upper() for x in ln.tokens]
                hit = None
                if s.name in ("SUBCATCHMENTS", "GROUNDWATER") and len(t) > 2 and t[2] in nodes:
                    hit = t[2]
                elif s.name == "DIVIDERS" and len(t) > 2 and t[2] in links and t[0] not in nodes:
                    hit = t[2]
                elif s.name == "CONTROLS":
                    hit = next((t[i + 1] for i in range(len(t) - 1)
                                if t[i].upper() in kinds and t[i + 1] in kinds[t[i].upper()]),
                               None)
                elif s.name == "REPORT" and t and t[0].upper() in ("NODES", "LINKS"):
                    pool = nodes if t[0].upper() == "NODES" else links
                    hit = next((x for x in t[1:] if x in pool), None)
                if hit is not None:
                    hit = ln.tokens[t.index(hit, 1)]
                    raise _at(NetworkError, f"{hit!r} was removed from the network but this "
                              "line still refers to it.", self.inp, s.name, ln.number,
                              feature=hit,
                              hint=f"Remove or change that line of [{s.name}] first, or keep "
                                   "the object.")

    def keep_line(self, section: str, ln: InpLine) -> bool:
        """Whether a row of a section written as read stays (rows naming removed objects go)."""
        nodes, links, inlets = ({x.upper() for x in ids} for ids in self.removed)
        t = [x.upper() for x in ln.tokens]
        if section == "INLET_USAGE":
            return not (t[0] in links or (len(t) > 2 and t[2] in nodes)
                        or f"{t[0]}.INLET" in inlets)
        if section == "TAGS" and len(t) > 1:
            return not ((t[0].upper() == "NODE" and t[1] in nodes)
                        or (t[0].upper() == "LINK" and t[1] in links))
        return True

    # -- the file
    def render(self) -> str:
        P = self.plans()
        out: list[list] = []   # [name, header raw or None, [line texts]]
        for s in self.inp.sections:
            lines: list[str] = []
            p = P.get(s.name)
            done: set = set()
            names = {} if p is None else {str(k).upper(): k for k in (*p.drop, *p.render)}
            for ln in s.lines:
                if not ln.tokens:
                    lines.append(ln.raw)
                    continue
                key = names.get(ln.tokens[0].upper(), ln.tokens[0])   # names: any case
                if s.name in ("INLET_USAGE", "TAGS"):
                    if self.keep_line(s.name, ln):
                        lines.append(ln.raw)
                    continue
                if p is None or (key not in p.render and key not in p.drop):
                    lines.append(ln.raw)
                elif key in p.render:
                    if p.multi:
                        if key not in done:
                            lines.extend(p.render[key](ln))
                    elif key not in done:
                        lines.append(p.render[key](ln))
                    else:
                        lines.append(ln.raw)
                    done.add(key)
            out.append([s.name, s.header.raw if s.header is not None else None, lines])
        for name in SECTION_ORDER:
            if name == "CURVES" and self.new_curves:   # after PUMPS: new pumps are written
                P.setdefault("CURVES", _Plan()).extra = [_new_line(t, self.nl)
                                                         for t in self.new_curves]
            p = P.get(name)
            if p is None:
                continue
            self.template = next((ln for s in reversed(self.inp.sections) if s.name == name
                                  for ln in reversed(s.lines) if ln.tokens), None)
            add = []
            for key in p.new:
                add.extend(p.render[key](None) if p.multi else [p.render[key](None)])
            add.extend(p.extra)
            if add:
                self.append(out, name, add)
        text = []
        for _, header, lines in out:
            if header is not None:
                text.append(header if header.endswith(("\n", "\r")) else header + self.nl)
            text.extend(lines)
        return "".join(text)

    def append(self, out: list[list], name: str, add: list[str]) -> None:
        at = [k for k, s in enumerate(out) if s[0] == name]
        if at:
            lines = out[at[-1]][2]
            k = len(lines)
            while k > 0 and not lines[k - 1].strip():
                k -= 1
            if k > 0 and not lines[k - 1].endswith(("\n", "\r")):
                lines[k - 1] += self.nl
            lines[k:k] = add
            return
        rank = SECTION_ORDER.index(name)
        pos = 0
        for k, s in enumerate(out):
            if s[0] in SECTION_ORDER and SECTION_ORDER.index(s[0]) < rank or s[0] == "":
                pos = k + 1
        if pos > 0:
            prev = out[pos - 1][2]
            if prev and not prev[-1].endswith(("\n", "\r")):
                prev[-1] += self.nl
            elif not prev and out[pos - 1][1] is not None \
                    and not out[pos - 1][1].endswith(("\n", "\r")):
                out[pos - 1][1] += self.nl
            if prev and prev[-1].strip():
                prev.append(self.nl)   # a blank line before the new section
        head = [_HEADERS[name] + self.nl] if name in _HEADERS else []
        out.insert(pos, [name, f"[{name}]{self.nl}", head + add + [self.nl]])


def _scalar(v):
    if isinstance(v, (np.floating, np.integer)):
        return v.item()
    if isinstance(v, np.bool_):
        return bool(v)
    return v


def _shape_class(swmm_shape: str) -> str:
    s = swmm_shape.upper()
    if s in ("CIRCULAR", "FORCE_MAIN"):
        return "circular"
    return {"RECT_CLOSED": "rect_closed", "RECT_OPEN": "rect_open"}.get(s, "other")


def render_inp(model: SwmmModel, *, keep_unchanged: bool = True) -> InpFile:
    """The model as an ``.inp`` file (see :mod:`floodrisk.swmm_model` for what is kept).

    Parameters
    ----------
    model
        The model. Unedited: its file as read.
    keep_unchanged
        Keep the tokens and lines of objects the edit did not change as read (default).
        False writes every value of every network object from the SI network converted
        back to the model's units (the round-trip tests use it to check the conversion).
    """
    if not model.edited and keep_unchanged:
        return model.inp
    return parse_inp(_Renderer(model, keep_unchanged).render(), model.path)


def write_swmm_model(model: SwmmModel, path: str | PathLike[str], *,
                     keep_unchanged: bool = True) -> Path:
    """Write a model as an ``.inp`` file, atomically (a temporary file renamed into place).

    An unedited model is written byte for byte as read. Exported as ``floodrisk.write_inp``.
    Files the model reads by relative name (rain files, hot-start files) are looked for
    from the new file's folder by SWMM: a warning names those that are not there.

    Parameters
    ----------
    model
        The model.
    path
        The ``.inp`` file to write (replaced if it exists).
    keep_unchanged
        As for :func:`render_inp`.

    Returns
    -------
    Path
        The file written.
    """
    path = Path(path)
    data = render_inp(model, keep_unchanged=keep_unchanged).to_bytes()

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())

    atomic_write(path, write)
    missing = [name for _, _, _, _, name in external_files(model.inp)
               if not _resolve(path.parent, name).is_file()]
    if missing:
        log.warning("%s: files the model reads are not beside it: %s (SWMM looks for relative "
                    "names in the .inp's folder)", path, ", ".join(sorted(set(missing))))
    return path


_TEMPLATE = """[TITLE]
;;Project Title/Notes
written by floodrisk

[OPTIONS]
;;Option             Value
FLOW_UNITS           {units}
LINK_OFFSETS         DEPTH

[REPORT]
;;Reporting Options
SUBCATCHMENTS        ALL
NODES                ALL
LINKS                ALL
"""


def _empty_network(crs: CRS | None) -> DrainageNetwork:
    from ..schema import CONDUITS, NODES, REGULATORS

    def layer(lyr, extra: tuple[str, ...] = ()) -> gpd.GeoDataFrame:
        df = empty_layer(lyr, crs)
        for col in extra:
            df[col] = pd.Series(dtype=object)
        return df

    return DrainageNetwork(nodes=layer(NODES, ("swmm_type",)),
                           conduits=layer(CONDUITS, ("swmm_shape",)),
                           pumps=layer(PUMPS, ("curve",)), stations=empty_layer(STATIONS, crs),
                           subcatchments=None, crs=crs, regulators=layer(REGULATORS))


def new_swmm_model(network: DrainageNetwork, *, template: str | None = None,
                   flow_units: str | None = None) -> SwmmModel:
    """A model made from a network: its export writes every node, conduit and pump.

    Parameters
    ----------
    network
        The network (SI units). Nodes, conduits (circular, rectangular or another simple
        shape), pumps (a constant-flow curve from their capacity where they name no curve
        of the template) and their coordinates and vertices are written; stations and
        subcatchments are not (SWMM has no stations; write subcatchments, rain gauges,
        time series and options in the template).
    template
        The rest of the ``.inp`` (OPTIONS, RAINGAGES, SUBCATCHMENTS, TIMESERIES ...),
        written as given; the network sections go into it. Default: a title and
        ``[OPTIONS]`` with FLOW_UNITS and LINK_OFFSETS DEPTH, and ``[REPORT]`` saving
        every subcatchment, node and link in the binary output (SWMM saves none unless
        told).
    flow_units
        FLOW_UNITS of a model without a template (default CMS); with a template, its
        FLOW_UNITS decides (a different value here is an error).
    """
    from ..swmm_model import SwmmModel

    if template is None:
        inp = parse_inp(_TEMPLATE.format(units=(flow_units or "CMS").upper()))
    else:
        inp = parse_inp(template)
        if flow_units is not None and inp.flow_units != flow_units.upper():
            raise NetworkError(f"the template's FLOW_UNITS {inp.flow_units} differ from "
                               f"flow_units={flow_units!r}.", layer="OPTIONS",
                               field="FLOW_UNITS", hint="Give one of them.")
    if inp.flow_units not in FLOW_FACTORS:
        line = _line_where(inp, "OPTIONS", lambda t: t[0].upper() == "FLOW_UNITS")
        raise _at(NetworkError, f"unknown FLOW_UNITS {inp.flow_units!r}.", inp, "OPTIONS",
                  line, field="FLOW_UNITS", hint="SWMM knows CFS, GPM, MGD, CMS, LPS and MLD.")
    crs = None if network.crs is None else CRS.from_user_input(network.crs)
    if any(inp.rows(s) for s in (*_NODE_SECTIONS, *_LINK_SECTIONS)):
        base = inp_to_network(inp, crs=crs)
    else:
        base = _empty_network(crs)
    model = SwmmModel(inp=inp, network=base, imported=base,
                      subcatchments=_subcatchment_table(inp, crs, inp.us_units),
                      units=inp.flow_units, crs=crs)
    return model.with_network(network)
