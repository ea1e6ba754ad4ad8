"""The worked-example notebooks (notebooks/*.ipynb) run from top to bottom without an error.

Each notebook is executed with nbclient in a kernel of this interpreter (a kernel spec
written into a temporary folder and passed to the kernel manager: nothing is installed
into the user's Jupyter folders, and the kernel is the test's own venv, not whatever
``python`` is first on the PATH), with the notebooks folder as working directory, as a
user opening them from ``notebooks/`` would. The notebooks assert their own engineering
facts in code cells (a failed ``assert`` fails the test); the tests below also read a few
figures back from the outputs.
"""

from __future__ import annotations

import ast
import json
import re
import sys
import time
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NAMES = ["01_scenario_study.ipynb", "02_swmm_import_and_check.ipynb", "03_season.ipynb"]
KERNEL = "floodrisk-test-kernel"


@pytest.fixture(scope="module")
def kernels(tmp_path_factory) -> KernelSpecManager:
    """A kernel spec running this interpreter (``sys.executable``), in a temporary folder."""
    try:
        import ipykernel  # noqa: F401
    except ImportError:
        pytest.fail("ipykernel is not installed in this interpreter (pip install ipykernel)")
    root = tmp_path_factory.mktemp("kernels")
    spec = root / KERNEL
    spec.mkdir()
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "floodrisk (test venv)", "language": "python"}), encoding="utf-8")
    return KernelSpecManager(kernel_dirs=[str(root)])


def execute(name: str, kernels: KernelSpecManager) -> tuple[nbformat.NotebookNode, float]:
    """Run a notebook in the notebooks folder; returns it with its outputs and the wall
    time (s). A cell that raises fails the test with the cell's traceback."""
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    km = KernelManager(kernel_name=KERNEL, kernel_spec_manager=kernels)
    client = NotebookClient(nb, km=km, timeout=900,
                            resources={"metadata": {"path": str(NOTEBOOKS)}})
    t0 = time.perf_counter()
    try:
        client.execute()
    except CellExecutionError as exc:
        pytest.fail(f"{name}: a cell failed:\n{exc}")
    seconds = time.perf_counter() - t0
    for k, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        assert cell.execution_count is not None, f"{name}: cell {k} did not run"
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert not errors, f"{name}: cell {k}: {errors}"
    return nb, seconds


def text_of(nb: nbformat.NotebookNode) -> str:
    """Everything the notebook printed (streams and plain-text results), in order."""
    parts = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            if o.output_type == "stream" and o.name == "stdout":
                parts.append(o.text)
            elif o.output_type in ("execute_result", "display_data"):
                parts.append(o.get("data", {}).get("text/plain", ""))
    return "\n".join(parts)


def images(nb: nbformat.NotebookNode) -> int:
    return sum("image/png" in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))


@pytest.mark.parametrize("name", NAMES)
def test_notebook_is_stored_clean_and_says_what_it_shows(name):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, name
    # stored without outputs, so that the repository stays small and diffs stay clean
    assert all(c.outputs == [] and c.execution_count is None for c in code), name
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# "), name
    assert "Run time" in first.source, f"{name}: the first cell must say how long it takes"


def test_scenario_study(kernels):
    nb, seconds = execute("01_scenario_study.ipynb", kernels)
    out = text_of(nb)
    print(f"01_scenario_study: {seconds:.1f} s")
    error = float(re.search(r"combined volume error (-?[\d.]+) %", out).group(1))
    assert abs(error) < 0.5
    # the four planted undersized pipes, the three planted depressions without an inlet
    assert re.search(r"< 1 a\s+4\b", out), out
    assert "3 of 3 planted depressions without an inlet found" in out
    ps01 = re.search(r"the low-lying station PS01 (drowned at (\d+) min|kept running)", out)
    assert ps01, out
    assert images(nb) == 1                        # the map of the maximum depth


def test_swmm_import_and_check(kernels):
    nb, seconds = execute("02_swmm_import_and_check.ipynb", kernels)
    out = text_of(nb)
    print(f"02_swmm_import_and_check: {seconds:.1f} s")
    assert "FLOW_UNITS LPS" in out and "unedited copy: byte-identical" in out
    assert "diameter_decrease  C1, C2" in out and "low_cover          J6" in out
    before, after = map(float, re.search(r"flooding ([\d.]+) m³ → ([\d.]+) m³", out).groups())
    assert before > 100 and after < 0.1 * before
    continuity = re.findall(r"routing (-?[\d.]+) %\)", out)
    assert len(continuity) == 2 and all(abs(float(c)) < 2 for c in continuity)


def test_season(kernels):
    nb, seconds = execute("03_season.ipynb", kernels)
    out = text_of(nb)
    print(f"03_season: {seconds:.1f} s")
    assert out.count("season complete in") == 2
    points = ast.literal_eval(re.search(r"points, all scenarios: (\{.*?\})", out).group(1))
    assert points["improved"] + points["resolved"] >= 1
    assert points["new"] == points["worsened"] == 0
    fixed = re.search(r"(\S+) \(经五路\): ([\d.]+) m → ([\d.]+) m, .*: (improved|resolved)", out)
    assert fixed, out
    assert float(fixed.group(3)) < float(fixed.group(2)) - 0.05
    assert images(nb) == 1                        # the season's lowest-return-period sheet
