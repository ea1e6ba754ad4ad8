"""Round trip of real SWMM models: import → export → run gives the original's results.

For every model of ``../shared/validation/swmm-nrtestsuite`` and ``bellinge`` that SWMM
runs, three files are run, each from its own folder holding the files the model reads
(rain files, hot-start files):

- the original ``.inp``;
- the unedited model written back (must be byte for byte the original);
- ``model.with_network(model.network)`` written with ``keep_unchanged=False``: every row
  of the network sections re-rendered from the SI network converted back to the model's
  units.

The binary outputs are compared value by value (every node and link variable, pollutant
concentrations included, at every reporting period) with

    |a − b| ≤ 1e-6 · max(|a|, |b|) + 1e-6 · scale

where ``scale`` is the largest magnitude of that variable over all elements and periods
of the original run: the absolute floor keeps values near zero (a flow of 1e-9 where the
peak is 10) from failing on round-off, while staying a millionth of the variable's size.

Each SWMM run is its own subprocess (swmm-toolkit's ``swmm_run``). Models whose original
SWMM refuses (a missing rain file) are skipped with SWMM's message. The models marked
``slow`` take seconds to minutes; the others run in a few seconds together.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from floodrisk.io.swmm_inp import external_files, read_swmm_model, render_inp, write_swmm_model

VALIDATION = Path(__file__).resolve().parents[2] / "shared" / "validation"
RTOL = 1e-6

#: Small models run by default: US and SI units, DEPTH and ELEVATION offsets, pumps,
#: storage shapes, street inlets, control rules, an external rain file.
FAST = {"Example1.inp", "extran10.inp", "test1.inp", "Storage_Shape_Test.inp",
        "Type5_Pump_Test.inp", "control_rules_test.inp", "onsag_curb_inlet_12.inp",
        "street_curb_inlet_9a.inp", "bellinge_small.inp", "extran8a.inp"}


def models() -> list[Path]:
    if not VALIDATION.is_dir():
        return []
    found = sorted((VALIDATION / "swmm-nrtestsuite").rglob("*.inp"))
    return found + sorted((VALIDATION / "bellinge").glob("*.inp"))


def params():
    out = [pytest.param(p, id=p.name, marks=() if p.name in FAST else pytest.mark.slow)
           for p in models()]
    return out or [pytest.param(None, id="no-validation-data")]


_RUN = """
import json, sys
from swmm.toolkit import solver
try:
    solver.swmm_run(sys.argv[1], sys.argv[2], sys.argv[3])
except Exception as exc:
    print(json.dumps({"error": str(exc)}))
    sys.exit(3)
print(json.dumps({"error": None}))
"""


#: OpenMP threads that sleep while waiting: models asking for more THREADS than there are
#: idle cores otherwise spin (a THREADS 4 model took minutes instead of seconds on a
#: 2-core machine with one core busy)
OMP_ENV = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}


def run_swmm(*inps: Path, timeout: float = 900) -> list[tuple[Path | None, str | None]]:
    """Run .inp files, each in its own process, one after the other (SWMM's OpenMP threads
    slow down badly when runs share the cores); per file (binary output, None) or (None,
    SWMM's error)."""
    results = []
    for inp in inps:
        rpt, out = inp.with_suffix(".rpt"), inp.with_suffix(".out")
        p = subprocess.run([sys.executable, "-c", _RUN, str(inp), str(rpt), str(out)],
                           capture_output=True, text=True, timeout=timeout, cwd=inp.parent,
                           env=OMP_ENV)
        stdout, stderr = p.stdout, p.stderr
        last = stdout.strip().splitlines()[-1] if stdout.strip() else ""
        try:
            err = json.loads(last[last.index("{"):])["error"]
        except (ValueError, KeyError):
            err = f"exit code {p.returncode}: {stderr.strip()[-500:]}"
        if err is None and p.returncode != 0:
            err = f"exit code {p.returncode}"
        if err is not None and rpt.exists():
            errors = [ln.strip() for ln in rpt.read_text(errors="replace").splitlines()
                      if "ERROR" in ln]
            err += (": " + "; ".join(errors[:3])) if errors else ""
        results.append(((out if err is None else None), err))
    return results


def read_results(out: Path) -> dict[str, np.ndarray]:
    """Every node and link variable at every period: name → array (periods, elements)."""
    from swmm.toolkit import output
    from swmm.toolkit import shared_enum as se

    h = output.init()
    output.open(h, str(out))
    try:
        _, n_node, n_link, _, n_poll = output.get_proj_size(h)
        periods = output.get_times(h, se.Time.NUM_PERIODS)
        names = {"nodes": [output.get_elem_name(h, se.ElementType.NODE, i) for i in range(n_node)],
                 "links": [output.get_elem_name(h, se.ElementType.LINK, i) for i in range(n_link)]}
        res: dict[str, np.ndarray] = {}
        for kind, n_vars, get in (("node", 6 + n_poll, output.get_node_attribute),
                                  ("link", 5 + n_poll, output.get_link_attribute)):
            if (n_node if kind == "node" else n_link) == 0:
                continue
            for v in range(n_vars):
                res[f"{kind}{v}"] = np.array([get(h, t, v) for t in range(periods)],
                                             dtype=np.float64)
        res["_names"] = names  # type: ignore[assignment]
        return res
    finally:
        output.close(h)


def max_difference(a: dict, b: dict) -> tuple[float, float]:
    """(largest relative difference, largest difference / tolerance) over all values."""
    assert a["_names"] == b["_names"]
    worst_rel, worst_ratio = 0.0, 0.0
    for key, x in a.items():
        if key == "_names":
            continue
        y = b[key]
        assert x.shape == y.shape, key
        scale = float(np.max(np.abs(x))) if x.size else 0.0
        diff = np.abs(x - y)
        tol = RTOL * np.maximum(np.abs(x), np.abs(y)) + RTOL * scale
        with np.errstate(invalid="ignore", divide="ignore"):
            rel = np.where(diff > 0, diff / np.maximum(np.abs(x), np.abs(y)), 0.0)
            ratio = np.where(diff > 0, diff / np.where(tol > 0, tol, np.inf), 0.0)
        if diff.size:
            worst_rel = max(worst_rel, float(np.nanmax(rel)))
            worst_ratio = max(worst_ratio, float(np.nanmax(ratio)))
    return worst_rel, worst_ratio


def stage(model: Path, folder: Path) -> Path:
    """A folder holding a copy of what the model reads; the .inp path to write there."""
    folder.mkdir(parents=True)
    inp = read_swmm_model(model, crs=False, check_files=False).inp
    for _, _, _, _, name in external_files(inp):
        src = model.parent / name
        if src.is_file():
            dst = folder / name
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
    return folder / model.name


def roundtrip(model: Path, tmp: Path, run_identical: bool = False) -> dict:
    """Run the original and the exports; the figures of the comparison.

    An export byte-identical to the original is only run with ``run_identical`` (the
    same bytes run the same: the tests skip that run, the full report makes it)."""
    original = stage(model, tmp / "original")
    shutil.copy2(model, original)
    m = read_swmm_model(model, crs=False, check_files=False)
    plain = write_swmm_model(m, stage(model, tmp / "plain"))
    rendered = write_swmm_model(m.with_network(m.network), stage(model, tmp / "rendered"),
                                keep_unchanged=False)
    changed = sum(a != b for a, b in zip(m.inp.text().splitlines(),
                                         rendered.read_text().splitlines()))
    result = {"model": model.name, "refused": None,
              "plain_identical": plain.read_bytes() == model.read_bytes(),
              "rendered_lines_changed": changed}
    todo = {"plain": plain, "rendered": rendered}
    for name, path in list(todo.items()):
        if not run_identical and path.read_bytes() == model.read_bytes():
            result[f"{name}_out_identical"] = True
            result[f"{name}_max_rel"] = result[f"{name}_ratio"] = 0.0
            result[f"{name}_run"] = False
            del todo[name]
    (out0, err), *outs = run_swmm(original, *todo.values())
    if out0 is None:
        return {"model": model.name, "refused": err}
    base = read_results(out0)
    for (name, path), (out, err) in zip(todo.items(), outs):
        result[f"{name}_run"] = True
        assert out is not None, f"{name} export of {model.name} does not run: {err}"
        result[f"{name}_out_identical"] = out.read_bytes() == out0.read_bytes()
        result[f"{name}_max_rel"], result[f"{name}_ratio"] = max_difference(
            base, read_results(out))
    return result


@pytest.mark.parametrize("model", params())
def test_export_runs_like_the_original(model, tmp_path):
    if model is None:
        pytest.skip(f"validation data not found at {VALIDATION}")
    r = roundtrip(model, tmp_path)
    if r["refused"] is not None:
        pytest.skip(f"SWMM refuses the original {model.name}: {r['refused']}")
    assert r["plain_identical"]
    assert r["plain_out_identical"] and r["plain_max_rel"] == 0.0
    assert r["rendered_ratio"] <= 1.0, r


def test_rendered_export_rewrites_the_network_rows(tmp_path):
    """keep_unchanged=False really re-renders: the rows come from the SI values (a US
    model's conduit lengths and elevations go through metres and back)."""
    path = VALIDATION / "swmm-nrtestsuite" / "extran" / "extran1.inp"
    if not path.is_file():
        pytest.skip("validation data not found")
    m = read_swmm_model(path, crs=False)
    # a marker in the network: the renderer must write it into the file
    net = m.network
    conduits = net.conduits.copy()
    conduits.loc[0, "length"] = conduits.loc[0, "length"] + 0.3048   # one foot longer
    edited = m.with_network(dataclasses.replace(net, conduits=conduits))
    text = render_inp(edited, keep_unchanged=False).text()
    cid = conduits.loc[0, "link_id"]
    row = next(r for r in read_inp_rows(text, "CONDUITS") if r[0] == cid)
    original = next(r for r in m.inp.rows("CONDUITS") if r[0] == cid)
    assert float(row[3]) == pytest.approx(float(original[3]) + 1, abs=1e-9)
    assert row[3] == f"{float(original[3]) + 1:.12g}"


def read_inp_rows(text: str, section: str) -> list[tuple[str, ...]]:
    from floodrisk.io.swmm_inp import parse_inp

    return parse_inp(text).rows(section)
