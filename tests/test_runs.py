"""Run folders (renamed into place when complete) and a whole run of the tiny study."""

from __future__ import annotations

import hashlib
import json
import math
import re

import numpy as np
import pyogrio
import pytest
import rasterio

from floodrisk import pipeline
from floodrisk.errors import NetworkError, RunFolderError
from floodrisk.io.runs import RunFolder
from floodrisk.pipeline import run_study


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---- RunFolder --------------------------------------------------------------------------
def test_create_renames_into_place_with_manifest(tmp_path):
    out = tmp_path / "runs"
    with RunFolder.create(out, "r1") as run:
        assert run.path.parent == out and run.path.name.startswith(".r1.partial-")
        assert run.path.is_dir() and not (out / "r1").exists()  # not visible until finished
        with run.stage("work"):
            run.output("sub/a.txt", "a test file").write_text("hello")
        run.manifest["study"] = "t"
    assert run.final == out / "r1"
    assert [p.name for p in out.iterdir()] == ["r1"]  # the temporary folder is gone
    assert sorted(p.name for p in (out / "r1").rglob("*")) == ["a.txt", "manifest.json", "sub"]
    m = json.loads((out / "r1" / "manifest.json").read_text())
    assert m["status"] == "complete" and m["study"] == "t"
    assert set(m["timings_s"]) == {"work", "total"}
    assert m["outputs"] == [{"path": "sub/a.txt", "description": "a test file", "size": 5,
                             "sha256": hashlib.sha256(b"hello").hexdigest()}]
    assert "numpy" in m["versions"] and "python" in m["versions"]
    assert m["started"] <= m["finished"]


def test_exception_inside_leaves_nothing(tmp_path):
    out = tmp_path / "runs"
    with pytest.raises(ZeroDivisionError):
        with RunFolder.create(out, "r1") as run:
            run.output("a.txt", "x").write_text("half")
            1 / 0
    assert not run.path.exists()
    assert list(out.iterdir()) == []


def test_declared_output_not_written(tmp_path):
    out = tmp_path / "runs"
    with pytest.raises(RunFolderError) as e:
        with RunFolder.create(out, "r1") as run:
            run.output("missing.tif", "never written")
    assert "missing.tif" in str(e.value)
    assert list(out.iterdir()) == []


def test_existing_name_gets_a_suffix(tmp_path):
    finals = []
    for _ in range(3):
        with RunFolder.create(tmp_path, "season") as run:
            pass
        finals.append(run.final.name)
    assert finals == ["season", "season-2", "season-3"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["season", "season-2", "season-3"]


def test_default_name(tmp_path):
    with RunFolder.create(tmp_path, kind="batch") as run:
        pass
    assert re.fullmatch(r"batch-\d{8}-\d{6}", run.final.name)


# ---- run_study on the tiny city ---------------------------------------------------------
@pytest.fixture()
def tiny(city):
    city.dem()
    city.gpkg()
    return city.config()


def test_run_study_writes_a_complete_run(tiny, city, tmp_path):
    stages = []
    outcome = run_study(tiny, tmp_path / "out", name="tiny-run", progress=stages.append)
    run = tmp_path / "out" / "tiny-run"
    assert outcome.path == run
    # No [storm] in the tiny config: no capacity assessment, no screening (said in the notes).
    assert stages == ["load", "analyse", "check", "write"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["tiny-run"]
    assert {p.name for p in run.iterdir()} == {"elevation.tif", "study.gpkg", "inputs_map.png",
                                               "summary.json", "manifest.json", "checks.csv",
                                               "checks.gpkg"}

    m = json.loads((run / "manifest.json").read_text())
    assert m["status"] == "complete" and m["study"] == "tiny"
    assert set(m["timings_s"]) == {"load", "inventory", "check", "write", "total"}
    assert any("screening skipped" in n for n in m["notes"])
    assert any("capacity assessment skipped" in n for n in m["notes"])
    assert all(v >= 0 for v in m["timings_s"].values())
    dem, gpkg = (city.root / "dem.tif").resolve(), (city.root / "city.gpkg").resolve()
    inputs = {(i["role"], i["path"]): i for i in m["inputs"]}
    assert set(inputs) == {("dem", str(dem)), ("network", str(gpkg)), ("assets", str(gpkg))}
    for (role, path), i in inputs.items():
        assert i["sha256"] == sha256(dem if role == "dem" else gpkg)
        assert i["size"] == (dem if role == "dem" else gpkg).stat().st_size
    outs = {o["path"]: o for o in m["outputs"]}
    assert set(outs) == {"elevation.tif", "study.gpkg", "inputs_map.png", "summary.json",
                         "checks.csv", "checks.gpkg"}
    for name, o in outs.items():
        assert o["sha256"] == sha256(run / name)
    assert m["config"]["name"] == "tiny"

    summary = json.loads((run / "summary.json").read_text())
    assert summary == outcome.summary == m["summary"]
    assert summary["terrain"]["rows"] == 10 and summary["terrain"]["cols"] == 20
    assert summary["terrain"]["elevation_min_m"] == 20.38  # cell (9, 19): 20.375 to 2 decimals
    assert summary["terrain"]["elevation_max_m"] == 32.12  # cell (0, 0): 32.125, half to even
    assert summary["network"]["conduits"] == 3
    assert summary["network"]["conduit_length_km"] == 0.16
    assert summary["network"]["pump_capacity_m3_s"] == 0.2

    with rasterio.open(run / "elevation.tif") as src:
        assert src.crs.to_epsg() == 4547
        elev = src.read(1)
    r, c = np.mgrid[0:10, 0:20]
    np.testing.assert_array_equal(elev, 32.125 - 0.5 * c - 0.25 * r)
    assert (run / "inputs_map.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_run_study_conduit_capacity_by_hand(tiny, tmp_path):
    run = run_study(tiny, tmp_path / "out", name="r").path
    layers = {name for name, _ in pyogrio.list_layers(run / "study.gpkg")}
    assert {"nodes", "conduits", "pumps", "stations", "underground", "entrances",
            "facilities", "landcover"} <= layers
    c = pyogrio.read_dataframe(run / "study.gpkg", layer="conduits").set_index("link_id")
    # C1: J1 invert 26.875 → J2 invert 24.875 over 60 m: S = 2/60; D = 0.3 m; n = 0.013
    s = 2.0 / 60.0
    q = 0.3117 / 0.013 * 0.3 ** (8 / 3) * math.sqrt(s)  # 23.977 × 0.040336 × 0.18257
    assert c.loc["C1", "slope"] == pytest.approx(s, rel=1e-12)
    assert c.loc["C1", "full_capacity"] == pytest.approx(q, rel=1e-4)
    assert c.loc["C1", "full_capacity"] == pytest.approx(0.1766, abs=1e-4)
    # C3: 21.875 → 20.875 over 40 m, D = 0.5 m
    q3 = 0.3117 / 0.013 * 0.5 ** (8 / 3) * math.sqrt(1 / 40)
    assert c.loc["C3", "full_capacity"] == pytest.approx(q3, rel=1e-4)
    # full velocity = Q / (π D² / 4)
    assert c.loc["C1", "full_velocity"] == pytest.approx(q / (math.pi * 0.09 / 4), rel=1e-4)


def test_run_study_with_bad_input_writes_nothing(city, tmp_path, names):
    city.dem()
    gpkg = city.gpkg(city.set("nodes", "J2", "invert_elev", 30.0))  # above its rim
    out = tmp_path / "out"
    with pytest.raises(NetworkError) as e:
        run_study(city.config(), out, name="bad")
    names(e.value, path=gpkg.resolve(), layer="nodes", feature="J2", field="invert_elev")
    assert not out.exists() or list(out.iterdir()) == []


def test_run_study_failing_while_writing_leaves_no_folder(tiny, tmp_path, monkeypatch):
    def broken(study, path):
        path.write_bytes(b"half a png")
        raise RuntimeError("disk full")

    monkeypatch.setattr(pipeline, "plot_inputs", broken)
    out = tmp_path / "out"
    with pytest.raises(RuntimeError):
        run_study(tiny, out, name="r")
    assert list(out.iterdir()) == []
