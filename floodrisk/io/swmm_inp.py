"""Read EPA SWMM 5 input files (``.inp``) and build a :class:`DrainageNetwork` from them.

Two steps, kept apart:

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
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from ..errors import CRSError, InputFileError, NetworkError
from ..grid import Grid
from ..network import DrainageNetwork
from ..schema import PUMPS, STATIONS
from .vector import empty_layer

__all__ = ["InpLine", "InpSection", "InpFile", "parse_inp", "read_inp", "inp_to_network",
           "read_swmm_network", "FLOW_FACTORS", "US_FLOW_UNITS", "FT", "ACRE"]

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
                     _num(apond, 0.0) * L * L, np.nan, None, None))
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
        rrow.append((name, "orifice", a, z, offset(off, a, name) * L, np.nan,
                     (otype or "").upper(), _num(coeff), (gated or "NO").upper()))
    for r in b.inp.rows("WEIRS"):
        name, a, z, wtype, crest, coeff, gated = _pad(r, 7)[:7]
        rrow.append((name, "weir", a, z, offset(crest, a, name) * L, np.nan,
                     (wtype or "").upper(), _num(coeff), (gated or "NO").upper()))
    for r in b.inp.rows("OUTLETS"):
        name, a, z, off, otype = _pad(r, 5)[:5]
        gated = r[-1].upper() if len(r) > 5 and r[-1].upper() in ("YES", "NO") else "NO"
        rrow.append((name, "outlet", a, z, offset(off, a, name) * L, np.nan,
                     (otype or "").upper(), np.nan, gated))
    ends = dict(zip(conduits["link_id"], conduits["to_node"], strict=True))
    for r in b.inp.rows("INLET_USAGE"):
        link, design, node = _pad(r, 3)[:3]
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
    outlet_of = {r[0]: (r[2] if len(r) > 2 else None) for r in rows}
    known = set(nodes["node_id"])
    polys: dict[str, list] = {}
    for r in b.inp.rows("POLYGONS"):
        if len(r) >= 3:
            polys.setdefault(r[0], []).append((_num(r[1]), _num(r[2])))
    out, lost = [], []
    for r in rows:
        name, _, outlet, area, imperv = _pad(r, 5)[:5]
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
        raise NetworkError(f"unknown FLOW_UNITS {flow_units!r}.", path=inp.path,
                           layer="OPTIONS", field="FLOW_UNITS",
                           hint="SWMM knows CFS, GPM, MGD, CMS, LPS and MLD.")
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
