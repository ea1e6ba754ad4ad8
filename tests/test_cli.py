"""The command line through its real entry point (the installed ``floodrisk`` script)."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import floodrisk

ROOT = Path(__file__).resolve().parents[1]
EXE = shutil.which("floodrisk", path=str(Path(sys.executable).parent)) or "floodrisk"


def cli(*args, cwd=None):
    return subprocess.run([EXE, *args], capture_output=True, text=True, cwd=cwd, timeout=600)


def test_version():
    r = cli("--version")
    assert r.returncode == 0
    assert r.stdout.strip() == f"floodrisk {floodrisk.__version__}"


@pytest.mark.parametrize("command", ["demo", "run", "screen", "synthetic", "schema", "storm",
                                     "check", "swmm-import", "swmm-export"])
def test_every_command_has_help(command):
    r = cli(command, "--help")
    assert r.returncode == 0
    assert "Usage" in r.stdout


def test_floodrisk_error_is_one_message_and_exit_2(tmp_path):
    missing = tmp_path / "nope.toml"
    r = cli("run", str(missing), "--out", str(tmp_path / "runs"))
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert "error:" in r.stderr and "nope.toml" in r.stderr and "not found" in r.stderr
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_bad_config_value_names_the_field(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[dem]\npath = "dem.tif"\ncell_size = -5\n[network]\npath = "n.gpkg"\n')
    r = cli("run", str(cfg))
    assert r.returncode == 2
    assert "dem.cell_size" in r.stderr and "c.toml" in r.stderr


def test_unexpected_exception_keeps_its_traceback(monkeypatch):
    from typer.testing import CliRunner

    from floodrisk import cli as cli_module, pipeline

    def boom(*a, **k):
        raise RuntimeError("a bug")

    monkeypatch.setattr(pipeline, "run_study", boom)
    result = CliRunner().invoke(cli_module.app, ["run", "x.toml"])
    assert isinstance(result.exception, RuntimeError)


def test_schema_prints_the_readme_tables():
    r = cli("schema")
    assert r.returncode == 0
    assert "| `node_id` |" in r.stdout and "管径" in r.stdout


def test_demo_writes_a_complete_run_folder(demo_run):
    run, r = demo_run
    assert run.name.startswith("run-")
    names = {p.name for p in run.iterdir()}
    assert {"manifest.json", "elevation.tif", "study.gpkg", "inputs_map.png", "summary.json",
            "screening.gpkg", "ponded_depth.tif", "ponding.png", "pipe_capacity.png",
            "checks.csv", "checks.gpkg", "storm.csv", "storm.png", "max_depth.tif",
            "max_velocity.tif", "time_of_max_depth.tif", "first_wet_time.tif",
            "duration_over.tif", "entrance_depth.csv", "max_depth.png", "coupled.gpkg",
            "node_exchange.csv", "swmm", "assessment.gpkg", "assessment", "hazard_grade.tif",
            "hazard_defra.tif", "hazard_arr.tif", "hazard_rating.tif", "risk.tif",
            "lowest_return_period.tif", "rasters", "maps", "map.html", "report.html",
            "report.pdf"} <= names
    assert {p.name for p in (run / "swmm").iterdir()} == {"model.inp", "model.rpt"}
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert {i["role"] for i in manifest["inputs"]} == {"dem", "network", "assets"}
    assert all(len(i["sha256"]) == 64 for i in manifest["inputs"])
    assert {"load", "inventory", "check", "capacity", "screen", "coupled", "write", "report",
            "total"} <= set(manifest["timings_s"])
    # every file of the run folder is declared with its hash, reports included
    declared = {o["path"] for o in manifest["outputs"]}
    on_disk = {p.relative_to(run).as_posix() for p in run.rglob("*") if p.is_file()}
    assert on_disk - declared == {"manifest.json"}
    balance = manifest["volume_balance"]
    assert abs(balance["error_rel"]) <= 0.005
    assert balance["exchange_pipe_side_m3"] == pytest.approx(
        balance["exchange_surface_side_m3"], rel=1e-9)
    assert {"surface_s", "drainage_s", "exchange_s", "total_s"} <= set(manifest["timings"])
    assert "Depressions" in r.stdout and "Pipe capacity" in r.stdout
    assert "1D-2D exchange" in r.stdout and "Pump stations failed" in r.stdout
    assert "Waterlogging points" in r.stdout and "relocate PS01" in r.stdout
    assert "UG01 (underpass) flooded" in r.stdout.replace("\n", " ")
    assert str(run) in r.stdout.replace("\n", "")
    # Nothing half-written is left beside it or in it.
    assert not [p for p in run.parent.iterdir() if p.name.startswith(".")]
    assert not [p for p in run.rglob(".*")]


def test_screen_writes_results_without_the_inputs(tmp_path):
    r = cli("--quiet", "screen", str(ROOT / "configs" / "demo.toml"), "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr
    (run,) = tmp_path.iterdir()
    assert run.name.startswith("screen-") and r.stdout.strip() == str(run)
    names = {p.name for p in run.iterdir()}
    assert {"screening.gpkg", "ponded_depth.tif", "ponding.png", "pipe_capacity.png",
            "checks.csv"} <= names
    assert not {"study.gpkg", "inputs_map.png"} & names
    # the screening alone, whatever engine the config names (the demo's is coupled)
    assert not {"max_depth.tif", "coupled.gpkg", "assessment.gpkg", "report.html"} & names


def test_run_engine_option_overrides_the_config(tmp_path):
    r = cli("--quiet", "run", str(ROOT / "configs" / "demo.toml"), "--out", str(tmp_path),
            "--engine", "screening")
    assert r.returncode == 0, r.stderr
    (run,) = tmp_path.iterdir()
    names = {p.name for p in run.iterdir()}
    assert "screening.gpkg" in names and not {"swmm", "drainage.gpkg"} & names
    assert "drainage" not in json.loads((run / "manifest.json").read_text())
    r = cli("run", str(ROOT / "configs" / "demo.toml"), "--out", str(tmp_path / "x"),
            "--engine", "itzi")
    assert r.returncode == 2 and "unknown engine 'itzi'" in r.stderr
    assert not (tmp_path / "x").exists() or not list((tmp_path / "x").iterdir())
