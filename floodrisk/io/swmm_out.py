"""Read what an EPA SWMM 5 run wrote: the report's errors and continuity tables, and the
binary output file.

The binary layout is that of the SWMM 5 interfacing guide (opening records, ids, object
properties, variable codes, start date and report step, one record per reporting period,
closing records). swmm-toolkit's output API returns Python lists one period at a time
(11 s for the 18 000 periods of the demo city under a 24 h storm); :func:`read_out` maps
the same numbers with one numpy read (the engine's tests check it against swmm-toolkit's
output API).
"""

from __future__ import annotations

import re
import struct
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import SimulationError

__all__ = ["rpt_errors", "rpt_continuity", "read_out"]

_ERROR = re.compile(r"^\s*ERROR\s+(\d+)\s*:\s*(.*?)\s*$")
_AT_LINE = re.compile(r"at line (\d+) of (?:the )?\[?([A-Za-z_]+)\]? section", re.IGNORECASE)


def rpt_errors(text: str) -> list[dict[str, Any]]:
    """The ``ERROR nnn: ...`` entries of an SWMM report.

    Returns
    -------
    list of dict
        ``code`` (int), ``text``, and where SWMM names them ``line`` (line number in the
        ``.inp``), ``section`` and ``line_text`` (the offending line, as SWMM echoes it).
    """
    out = []
    lines = text.splitlines()
    for k, line in enumerate(lines):
        m = _ERROR.match(line)
        if not m:
            continue
        e: dict[str, Any] = {"code": int(m.group(1)), "text": m.group(2)}
        at = _AT_LINE.search(m.group(2))
        if at:
            e["line"] = int(at.group(1))
            e["section"] = at.group(2).upper()
            nxt = lines[k + 1].strip() if k + 1 < len(lines) else ""
            if nxt and not _ERROR.match(nxt):
                e["line_text"] = " ".join(nxt.split())
        out.append(e)
    return out


_VOLUME_TO_M3 = {"10^6 ltr": 1000.0, "10^6 gal": 3785.411784}
_DEPTH_TO_MM = {"mm": 1.0, "inches": 25.4}
_LINE = re.compile(r"^\s*(.+?)\s*\.{2,}\s+(-?[\d.]+)\s+(-?[\d.]+)\s*$")


def rpt_continuity(text: str) -> dict[str, dict[str, float]]:
    """The runoff and flow routing continuity tables of an SWMM report.

    Returns
    -------
    dict
        ``{"runoff": {label: depth in mm}, "routing": {label: volume in m³}}`` with the
        labels as SWMM prints them, lower case (``"total precipitation"``,
        ``"final stored volume"`` ...); a table the report lacks is left out.
    """
    out: dict[str, dict[str, float]] = {}
    lines = text.splitlines()
    for key, title, units in (("runoff", "Runoff Quantity Continuity", _DEPTH_TO_MM),
                              ("routing", "Flow Routing Continuity", _VOLUME_TO_M3)):
        at = next((k for k, ln in enumerate(lines) if title in ln), None)
        if at is None:
            continue
        factor = next((f for u, f in units.items() if u in lines[at]), None)
        if factor is None:
            continue
        table: dict[str, float] = {}
        for ln in lines[at + 2:at + 20]:
            m = _LINE.match(ln)
            if m is None:
                continue
            label = m.group(1).strip().lower()
            if label.startswith("continuity error"):
                break
            table[label] = float(m.group(3)) * factor
        out[key] = table
    return out


_OUT_MAGIC = 516114522


def read_out(path: str | PathLike[str]) -> dict[str, Any]:
    """Read an SWMM 5 binary output file with numpy (layout of the SWMM 5 interfacing
    guide: opening records, ids, object properties, variable codes, start date and report
    step, one record per reporting period, closing records).

    swmm-toolkit's output API returns Python lists one period at a time, which cost 11 s
    for 18 000 periods of the demo city; this reads the same numbers in one pass.

    Returns
    -------
    dict
        ``subcatchments``, ``nodes``, ``links``, ``pollutants`` (ids), ``start`` (SWMM
        date, days), ``report_step`` (s), ``periods``, and arrays ``node`` (periods ×
        nodes × node variables), ``link`` (periods × links × link variables), ``system``
        (periods × system variables), float32 in the model's units. Node variables: depth,
        head, ponded volume, lateral inflow, total inflow, flooding, pollutants...; link
        variables: flow, depth, velocity, volume, capacity, pollutants...; system variable
        1 is the rainfall.
    """
    path = Path(path)
    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(28)
        if len(head) < 28 or size < 52:
            raise SimulationError("the SWMM output file is incomplete.", path=path)
        magic, _, _, nsub, nnode, nlink, npoll = struct.unpack("<7i", head)
        f.seek(size - 24)
        off_id, off_prop, off_res, nper, err, magic2 = struct.unpack("<6i", f.read(24))
        if magic != _OUT_MAGIC or magic2 != _OUT_MAGIC or err != 0:
            raise SimulationError("the SWMM output file is incomplete or marks an error "
                                  f"(code {err}).", path=path)
        f.seek(off_id)

        def names(n: int) -> list[str]:
            out = []
            for _ in range(n):
                (k,) = struct.unpack("<i", f.read(4))
                out.append(f.read(k).decode("utf-8", errors="replace"))
            return out

        subs, nodes, links, polls = names(nsub), names(nnode), names(nlink), names(npoll)
        f.seek(off_prop)
        for n in (nsub, nnode, nlink):
            (k,) = struct.unpack("<i", f.read(4))
            f.seek(4 * k + 4 * k * n, 1)

        def nvars() -> int:
            (k,) = struct.unpack("<i", f.read(4))
            f.seek(4 * k, 1)
            return k

        vs, vn, vl, vy = nvars(), nvars(), nvars(), nvars()
        start, step = struct.unpack("<di", f.read(12))
    rec = np.dtype([("date", "<f8"), ("sub", "<f4", (nsub * vs,)),
                    ("node", "<f4", (nnode, vn)), ("link", "<f4", (nlink, vl)),
                    ("sys", "<f4", (vy,))])
    if off_res + nper * rec.itemsize + 24 > size:
        raise SimulationError("the SWMM output file is shorter than its periods.", path=path)
    data = np.fromfile(path, dtype=rec, count=nper, offset=off_res)
    return {"subcatchments": subs, "nodes": nodes, "links": links, "pollutants": polls,
            "start": start, "report_step": step, "periods": nper,
            "node": data["node"], "link": data["link"], "system": data["sys"]}
