"""``floodrisk swmm-import`` through the installed console script."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pyogrio
import pytest

EXE = shutil.which("floodrisk", path=str(Path(sys.executable).parent)) or "floodrisk"
VALIDATION = Path(__file__).resolve().parents[2] / "shared" / "validation"

TINY = """[OPTIONS]
FLOW_UNITS LPS
[RAINGAGES]
RG1 INTENSITY 0:05 1.0 FILE rain.dat RG1 MM
[SUBCATCHMENTS]
S1 RG1 J1 2 50 100 1 0
[JUNCTIONS]
J1 10 3
J2 9 2.5
[OUTFALLS]
O1 8 FREE NO
[CONDUITS]
C1 J1 J2 100 0.013 0 0
C2 J2 O1 80 0.013 0 0
[XSECTIONS]
C1 CIRCULAR 0.5
C2 CIRCULAR 0.6
[COORDINATES]
J1 500100 2500200
J2 500200 2500200
O1 500300 2500180
"""


def cli(*args, cwd=None):
    return subprocess.run([EXE, *args], capture_output=True, text=True, cwd=cwd, timeout=300)


def flat(text: str) -> str:
    """Console output with rich's line wrapping undone."""
    return re.sub(r"\s+", " ", text)


def tiny(folder: Path, text: str = TINY, rain: bool = True) -> Path:
    p = folder / "tiny.inp"
    p.write_text(text)
    if rain:
        (folder / "rain.dat").write_text("RG1 2020 1 1 0 0 1.0\n")
    return p


def test_help_lists_the_command():
    r = cli("--help")
    assert r.returncode == 0 and "swmm-import" in r.stdout
    r = cli("swmm-import", "--help")
    assert r.returncode == 0 and "--crs" in flat(r.stdout) and "--out" in flat(r.stdout)


def test_import_tiny_model(tmp_path):
    model = tiny(tmp_path)
    out = tmp_path / "net.gpkg"
    out.write_text("an older file")   # replaced
    r = cli("swmm-import", str(model), "--crs", "EPSG:4547", "--out", str(out),
            cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    text = flat(r.stdout)
    assert "FLOW_UNITS LPS" in text and "Units: SI (m); flows converted to m³/s." in text
    assert "Nodes: 2 junctions, 1 outfall" in text and "Conduits: 2" in text
    assert "Subcatchments: 1 of 1 drain to a node, 0 with polygons" in text
    layers = dict(pyogrio.list_layers(out))
    assert set(layers) == {"nodes", "conduits", "pumps", "stations", "subcatchments"}
    nodes = pyogrio.read_dataframe(out, layer="nodes")
    assert nodes.crs.to_epsg() == 4547
    assert nodes.set_index("node_id").loc["J1", "rim_elev"] == 13.0
    conduits = pyogrio.read_dataframe(out, layer="conduits")
    assert conduits.set_index("link_id").loc["C2", "diameter"] == 0.6
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.gpkg", "rain.dat", "tiny.inp"]
    r = cli("-q", "swmm-import", str(model), "--crs", "EPSG:4547", "--out", str(out))
    assert r.returncode == 0 and r.stdout.strip() == str(out)


def test_default_output_in_the_current_folder(tmp_path):
    model = tiny(tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    r = cli("swmm-import", str(model), "--crs", "EPSG:4547", cwd=work)
    assert r.returncode == 0, r.stderr
    assert (work / "tiny.gpkg").is_file()


@pytest.mark.parametrize("case", ["no-crs", "undefined-node", "rain-file", "flow-units"])
def test_bad_models_exit_2_with_the_place(tmp_path, case):
    text, args, rain = TINY, ["--crs", "EPSG:4547"], True
    if case == "no-crs":
        args, expect = [], ["tiny.inp", "layer 'COORDINATES'", "line 19", "--crs"]
    elif case == "undefined-node":
        text = TINY.replace("C2 J2 O1", "C2 J2 O9")
        expect = ["layer 'CONDUITS'", "feature 'C2'", "field 'to_node'", "line 14", "'O9'"]
    elif case == "rain-file":
        rain = False
        expect = ["layer 'RAINGAGES'", "feature 'RG1'", "line 4", "'rain.dat'",
                  "--no-file-check"]
    else:
        text = TINY.replace("LPS", "LITRES")
        expect = ["layer 'OPTIONS'", "field 'FLOW_UNITS'", "line 2", "'LITRES'"]
    model = tiny(tmp_path, text, rain)
    out = tmp_path / "net.gpkg"
    out.write_text("kept")
    r = cli("swmm-import", str(model), *args, "--out", str(out))
    assert r.returncode == 2, r.stdout
    msg = flat(r.stderr)
    assert "Traceback" not in msg and "error:" in msg
    for part in expect:
        assert part in msg, (part, msg)
    assert out.read_text() == "kept"   # a failed import leaves the old file as it was
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_opt_outs(tmp_path):
    model = tiny(tmp_path, rain=False)
    out = tmp_path / "net.gpkg"
    r = cli("swmm-import", str(model), "--no-crs", "--no-file-check", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "no CRS" in flat(r.stdout) and "Warning" not in r.stderr
    assert pyogrio.read_dataframe(out, layer="nodes").crs is None
    r = cli("swmm-import", str(model), "--no-crs", "--crs", "EPSG:4547", "--no-file-check",
            "--out", str(out))
    assert r.returncode == 2


def test_us_units_model(tmp_path):
    path = VALIDATION / "swmm-nrtestsuite" / "examples" / "Example1.inp"
    if not path.is_file():
        pytest.skip("validation data not found")
    out = tmp_path / "ex1.gpkg"
    r = cli("swmm-import", str(path), "--no-crs", "--out", str(out))
    assert r.returncode == 0, r.stderr
    text = flat(r.stdout)
    assert "FLOW_UNITS CFS" in text and "US units converted to SI" in text
    assert "the .inp is unchanged" in text
    nodes = pyogrio.read_dataframe(out, layer="nodes").set_index("node_id")
    assert nodes.loc["9", "invert_elev"] == pytest.approx(304.8)
    subs = pyogrio.read_dataframe(out, layer="subcatchments")
    assert len(subs) == 8 and subs.geometry.notna().all()


def test_bellinge_small(tmp_path):
    path = VALIDATION / "bellinge" / "bellinge_small.inp"
    if not path.is_file():
        pytest.skip("validation data not found")
    out = tmp_path / "bellinge.gpkg"
    r = cli("swmm-import", str(path), "--crs", "EPSG:32632", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "with polygons" in flat(r.stdout)
    subs = pyogrio.read_dataframe(out, layer="subcatchments")
    assert subs.crs.to_epsg() == 32632 and subs.geometry.notna().all()
    nodes = pyogrio.read_dataframe(out, layer="nodes")
    # SWMManywhere writes its manholes as storage units
    assert f"Nodes: 1 outfall, {(nodes.kind == 'storage').sum()} storages" in flat(r.stdout)
    assert len(nodes) == 16
