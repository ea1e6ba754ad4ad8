"""Rainfall files: storm-formula TOML, hyetograph CSV, hyetograph bar chart.

Storm files (``configs/storms/<city>.toml``) hold top-level ``name``, ``source`` and
``verified`` and either

- a ``[formula]`` table with ``A``, ``C``, ``b``, ``n`` (``q = A(1 + C lg P)/(t + b)^n``,
  L/(s·hm²), t in min), read as a :class:`~floodrisk.rainfall.StormFormula`; or
- ``[[table]]`` rows with ``return_period``, ``A``, ``b``, ``n`` (``q = A/(t + b)^n`` at
  that return period), sorted by return period, read as a
  :class:`~floodrisk.rainfall.StormTable`.

Hyetograph CSV (UTF-8, a BOM is accepted; header on the first line; nothing else):

- ``time_s``: seconds from the storm's start of the start of each step, strictly
  increasing, the first ≥ 0;
- exactly one of ``intensity_mm_h`` (the step's intensity, mm/h) or ``depth_mm`` (the
  rain fallen during the step, mm; intensity = depth / step length, the step running to
  the next row's time).

The **last row marks the end of the storm**: its time is the end of the last step and its
value must be 0 (a file whose last row is not 0 is refused, with the row to add). Any other
set of columns is refused: columns are never guessed from other names.

The writer writes ``time_s`` and ``intensity_mm_h`` in this form, ending with the
end-of-storm row, numbers in full precision (reading it back gives the same series).

Classes are imported lazily from :mod:`floodrisk.rainfall`, which re-exports these
functions.
"""

from __future__ import annotations

import csv
import tomllib
from os import PathLike
from pathlib import Path
from typing import Any

from ..config import StormConfig
from ..errors import ConfigError, InputError, InputFileError

from ..rainfall import Hyetograph, StormFormula, StormModel, StormTable, StormTableRow, _check_series
from .files import atomic_write

__all__ = ["load_storm_formula", "load_storm", "storm_files", "read_hyetograph_csv",
           "write_hyetograph_csv", "read_storm", "STORM_DIR", "city_names", "city_formula", "CSV_VALUE_COLUMNS"]

#: The value columns a hyetograph CSV may hold (exactly one of them, with ``time_s``).
CSV_VALUE_COLUMNS = ("intensity_mm_h", "depth_mm")


# ---------------------------------------------------------------------------------------
# Storm formula / table TOML
# ---------------------------------------------------------------------------------------
def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError("storm formula file not found.", path=path) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML ({exc}).", path=path) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the file ({exc}).", path=path) from exc


def _header(data: dict[str, Any], path: Path) -> dict[str, Any]:
    return {"name": str(data.get("name", path.stem)), "source": str(data.get("source", "")),
            "verified": bool(data.get("verified", False))}


def _number(value: Any, path: Path, layer: str, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{key} must be a number, got {value!r}.", path=path, layer=layer,
                          field=key)
    return float(value)


def load_storm_formula(path: str | PathLike[str]) -> StormFormula:
    """Read a storm formula from a TOML file with a ``[formula]`` table.

    Parameters
    ----------
    path
        TOML file with keys A, C, b, n and optionally name, source, verified.
    """

    path = Path(path)
    data = _read_toml(path)
    f = data.get("formula")
    if not isinstance(f, dict):
        hint = ("This file holds a per-return-period [[table]]: read it with load_storm."
                if "table" in data else "See configs/storms/*.toml.")
        raise ConfigError("no [formula] table.", path=path, hint=hint)
    try:
        return StormFormula(A=float(f["A"]), C=float(f["C"]), b=float(f["b"]), n=float(f["n"]),
                            **_header(data, path))
    except KeyError as exc:
        raise ConfigError("missing parameter.", path=path, layer="formula",
                          field=str(exc.args[0])) from exc


def _load_table(data: dict[str, Any], path: Path) -> StormTable:

    rows = data["table"]
    if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
        raise ConfigError("'table' must be a list of [[table]] rows with return_period, A, b "
                          "and n.", path=path, layer="table")
    out = []
    for i, r in enumerate(rows, start=1):
        layer = f"table row {i}"
        extra = sorted(set(r) - {"return_period", "A", "b", "n"})
        if extra:
            raise ConfigError(f"unknown key(s) {', '.join(extra)}; a row holds return_period, "
                              "A, b and n.", path=path, layer=layer, field=extra[0])
        try:
            out.append(StormTableRow(**{k: _number(r[k], path, layer, k)
                                        for k in ("return_period", "A", "b", "n")}))
        except KeyError as exc:
            raise ConfigError("missing parameter.", path=path, layer=layer,
                              field=str(exc.args[0])) from exc
    try:
        return StormTable(rows=tuple(out), **_header(data, path))
    except InputError as exc:
        raise ConfigError(exc.message, path=path, layer="table", field=exc.field,
                          hint=exc.hint) from exc


def load_storm(path: str | PathLike[str]) -> StormFormula | StormTable:
    """Read a storm-intensity model: a ``[formula]`` or a per-return-period ``[[table]]``.

    Parameters
    ----------
    path
        TOML file (see the module docstring for both forms).
    """
    path = Path(path)
    data = _read_toml(path)
    has_f, has_t = "formula" in data, "table" in data
    if has_f and has_t:
        raise ConfigError("the file holds both [formula] and [[table]]; keep one.", path=path)
    if has_t:
        return _load_table(data, path)
    if has_f:
        return load_storm_formula(path)
    raise ConfigError("no [formula] table and no [[table]] rows.", path=path,
                      hint="See configs/storms/*.toml.")


def storm_files(folder: str | PathLike[str]) -> dict[str, Path]:
    """The storm files of a folder by name (file stem); empty when the folder is missing."""
    folder = Path(folder)
    if not folder.is_dir():
        return {}
    return {p.stem: p for p in sorted(folder.glob("*.toml"))}


# ---------------------------------------------------------------------------------------
# Hyetograph CSV
# ---------------------------------------------------------------------------------------
def _fmt(v: float) -> str:
    """Shortest text that reads back as the same float."""
    return str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else repr(float(v))


def read_hyetograph_csv(path: str | PathLike[str], name: str | None = None) -> Hyetograph:
    """Read a hyetograph CSV (``time_s`` and ``intensity_mm_h`` or ``depth_mm``).

    See the module docstring for the format. Errors name the file, the column and the line.

    Parameters
    ----------
    path
        CSV file.
    name
        Name of the storm (default: the file stem).
    """

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise InputFileError("hyetograph file not found.", path=path) from exc
    except UnicodeDecodeError as exc:
        raise InputFileError("not UTF-8 text.", path=path,
                             hint="Save the CSV as UTF-8 (Excel: 'CSV UTF-8').") from exc
    except OSError as exc:
        raise InputFileError(f"cannot read the file ({exc}).", path=path) from exc
    rows = [(n, row) for n, row in enumerate(csv.reader(text.splitlines()), start=1)
            if any(c.strip() for c in row)]
    if not rows:
        raise InputError("the file is empty; it needs a header time_s,intensity_mm_h (or "
                         "time_s,depth_mm) and rows.", path=path)
    header = [c.strip() for c in rows[0][1]]
    cols = set(header)
    value_cols = [c for c in CSV_VALUE_COLUMNS if c in cols]
    if (len(header) != 2 or len(cols) != 2 or "time_s" not in cols or len(value_cols) != 1):
        raise InputError(f"columns found: {', '.join(repr(c) for c in header)}; a hyetograph "
                         "CSV has exactly two columns: 'time_s' and one of 'intensity_mm_h' "
                         "or 'depth_mm'.", path=path,
                         hint="Rename the columns (time in s from the storm's start; "
                              "intensity in mm/h or depth per step in mm).")
    value_col = value_cols[0]
    it, iv = header.index("time_s"), header.index(value_col)
    data = rows[1:]
    if len(data) < 2:
        raise InputError("a hyetograph needs at least two rows: the steps and the "
                         "end-of-storm row (value 0).", path=path)
    lines = [n for n, _ in data]
    times, values = [], []
    for n, row in data:
        if len(row) != 2:
            raise InputError(f"line {n}: {len(row)} values, expected 2.", path=path)
        for col, idx, dest in (("time_s", it, times), (value_col, iv, values)):
            cell = row[idx].strip()
            try:
                dest.append(float(cell))
            except ValueError:
                raise InputError(f"line {n}: {cell!r} is not a number.", path=path,
                                 field=col) from None
    unit = "mm/h" if value_col == "intensity_mm_h" else "mm"
    t, v = _check_series(times, values, time_field="time_s", value_field=value_col,
                         value_unit=unit, path=path, where=lambda i: f"line {lines[i]}")
    if v[-1] != 0:
        step = t[-1] - t[-2]
        raise InputError(
            f"line {lines[-1]}: the last row holds {v[-1]:g} {unit}, but the last row marks "
            "the end of the storm and must be 0.", path=path, field=value_col,
            hint=f"If it is the last step, add a row '{_fmt(t[-1] + step)},0' after it (its "
                 "step's end).")
    if value_col == "depth_mm":
        v = v.copy()
        v[:-1] = v[:-1] / (t[1:] - t[:-1]) * 3600.0
    kind = "intensities" if value_col == "intensity_mm_h" else "depths per step"
    return Hyetograph(t, v, name=path.stem if name is None else name,
                      provenance=f"Read from {path} ({kind}).")


def write_hyetograph_csv(hyetograph: Hyetograph, path: str | PathLike[str]) -> Path:
    """Write ``time_s,intensity_mm_h``, one row per step start, ending with the end-of-storm
    row (intensity 0), as :func:`read_hyetograph_csv` reads it.

    A hyetograph whose last intensity is not 0 (rain that goes on after its last time)
    cannot be written in this form and is refused.

    Parameters
    ----------
    hyetograph
        The storm.
    path
        CSV file to write (replaced if it exists).
    """
    h = hyetograph
    if h.intensity[-1] != 0 or len(h) < 2:
        raise InputError("the hyetograph does not end: its last row must have intensity 0 "
                         "(the end of the storm) and follow at least one step.",
                         field="intensity")

    def write(tmp: Path) -> None:
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["time_s", "intensity_mm_h"])
            for t, v in zip(h.times, h.intensity):
                w.writerow([_fmt(t), _fmt(v)])

    return atomic_write(path, write)


# ---------------------------------------------------------------------------------------
# Bar chart
# ---------------------------------------------------------------------------------------
#: Folder of the city presets in the source checkout.
STORM_DIR = Path(__file__).resolve().parents[2] / "configs" / "storms"


def city_names() -> list[str]:
    """Names of the storm presets in ``configs/storms/`` (file stems, sorted)."""
    return sorted(storm_files(STORM_DIR))


def city_formula(name: str) -> StormModel:
    """The storm-intensity model of a city preset in ``configs/storms/<name>.toml``.

    Parameters
    ----------
    name
        File stem, case-insensitive (``"zhengzhou"``, ``"Guangzhou"``).
    """
    files = storm_files(STORM_DIR)
    if not files:
        raise InputError("no storm presets found.", path=STORM_DIR,
                         hint="Run from a source checkout of floodrisk (configs/storms/), or "
                              "give the formula file itself.")
    key = str(name).strip().lower()
    match = {k.lower(): v for k, v in files.items()}.get(key)
    if match is None:
        raise InputError(f"no storm preset named {name!r}; available: "
                         f"{', '.join(sorted(files))}.", field="city",
                         hint=f"Add {STORM_DIR / (key + '.toml')} or use a formula file.")
    return load_storm(match)


def read_storm(cfg: StormConfig) -> tuple[Hyetograph, StormModel | None]:
    """The hyetograph a ``[storm]`` config describes, and its intensity model (None for a
    CSV or a historical preset).

    Parameters
    ----------
    cfg
        The storm section of a study config.
    """
    from ..rainfall import block, chicago, zhengzhou_720

    if cfg.preset == "zhengzhou-720":
        return zhengzhou_720(cfg.step or 60.0), None
    if cfg.csv is not None:
        return read_hyetograph_csv(cfg.csv), None
    model = city_formula(cfg.city) if cfg.city is not None else load_storm(cfg.formula)
    make = chicago if cfg.type == "chicago" else block
    kwargs = {"peak_ratio": cfg.peak_ratio} if cfg.type == "chicago" else {}
    return make(model, cfg.return_period, cfg.duration, step_min=cfg.step or 5.0, **kwargs), model
