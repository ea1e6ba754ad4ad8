"""``floodrisk storm`` through the installed console script."""

import csv
import math
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXE = shutil.which("floodrisk", path=str(Path(sys.executable).parent)) or "floodrisk"


def cli(*args, cwd=None):
    return subprocess.run([EXE, *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def figure(stdout, what, unit):
    m = re.search(rf"^{what}: ([0-9.]+) {re.escape(unit)}$", stdout, re.MULTILINE)
    assert m, stdout
    return float(m.group(1))


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return rows[0], [(float(t), float(i)) for t, i in rows[1:]]


def test_chicago_for_a_city(tmp_path):
    out = tmp_path / "zz.csv"
    r = cli("storm", "--city", "zhengzhou", "--return-period", "3", "--duration", "120",
            "--out", str(out))
    assert r.returncode == 0, r.stderr
    header, rows = read_csv(out)
    assert header == ["time_s", "intensity_mm_h"]
    assert [t for t, _ in rows] == [300.0 * k for k in range(25)]
    assert rows[-1] == (7200.0, 0.0)
    # a = 3073/167 (1 + 0.892 lg 3) = 26.2326 mm/min; H = a·120/135.1^0.824 = 55.25 mm
    assert figure(r.stdout, "Total depth", "mm") == 55.25
    depth = sum(i * 300 / 3600 for _, i in rows)
    assert depth == pytest.approx(55.2539, abs=1e-3)
    assert figure(r.stdout, "Peak intensity", "mm/h") == round(max(i for _, i in rows), 2)
    assert "P = 3 a (Zhengzhou (handbook), unverified parameters)" in r.stdout
    assert str(out) in r.stdout


def test_block_from_a_table_file_with_plot(tmp_path):
    out, png = tmp_path / "b.csv", tmp_path / "b.png"
    r = cli("storm", "--formula", str(ROOT / "configs" / "storms" / "example-table.toml"),
            "-P", "10", "--duration", "30", "--step", "10", "--type", "block",
            "--out", str(out), "--plot", str(png))
    assert r.returncode == 0, r.stderr
    # P = 10 row: q = 3556.8/(30 + 10)^0.712; 40^0.712 = exp(0.712 ln 40) = exp(2.626482)
    #   = 13.82505 -> q = 257.272 L/(s.hm2); i = 257.272/167·60 = 92.43 mm/h;
    #   over 30 min 46.22 mm
    q = 3556.8 / 40 ** 0.712
    assert q == pytest.approx(257.272, abs=1e-3)
    assert figure(r.stdout, "Peak intensity", "mm/h") == 92.43
    assert figure(r.stdout, "Total depth", "mm") == 46.22
    header, rows = read_csv(out)
    assert header == ["time_s", "intensity_mm_h"]
    assert rows == [(0, pytest.approx(q / 167 * 60)), (600, pytest.approx(q / 167 * 60)),
                    (1200, pytest.approx(q / 167 * 60)), (1800, 0)]
    assert "unverified parameters" in r.stdout
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_zhengzhou_720_preset(tmp_path):
    out = tmp_path / "720.csv"
    r = cli("storm", "--preset", "zhengzhou-720", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert figure(r.stdout, "Total depth", "mm") == 552.5
    assert figure(r.stdout, "Peak intensity", "mm/h") == 201.9
    assert "reconstructed" in r.stdout and "not observed" in r.stdout
    header, rows = read_csv(out)
    assert header == ["time_s", "intensity_mm_h"] and len(rows) == 25
    assert rows[20] == (72000.0, pytest.approx(201.9))
    assert math.isclose(sum(i for _, i in rows), 552.5)  # hourly steps: mm/h x 1 h


BAD = {
    "both sources": (["--city", "zhengzhou", "--formula", "x.toml", "-P", "3", "--duration", "60"],
                     "exactly one of --city, --formula or --preset"),
    "no source": (["-P", "3", "--duration", "60"], "exactly one"),
    "unknown city": (["--city", "atlantis", "-P", "3", "--duration", "60"], "guangzhou"),
    "step": (["--city", "wuhan", "-P", "3", "--duration", "60", "--step", "7"], "does not divide"),
    "P = 0": (["--city", "wuhan", "-P", "0", "--duration", "60"], "return_period"),
    "r > 1": (["--city", "wuhan", "-P", "2", "--duration", "60", "--peak-ratio", "1.5"],
              "peak ratio"),
    "no P": (["--city", "wuhan", "--duration", "60"], "--return-period"),
    "preset and P": (["--preset", "zhengzhou-720", "-P", "3"], "do not apply"),
    "unknown preset": (["--preset", "beijing-2012"], "zhengzhou-720"),
    "missing formula file": (["--formula", "nope.toml", "-P", "3", "--duration", "60"],
                             "not found"),
}
# Each run of the console script costs about a second: the first four go through it, the
# rest through the same typer app in this process.
REAL = ("both sources", "no source", "unknown city", "step")


@pytest.mark.parametrize("case", REAL)
def test_bad_input_is_one_message_and_exit_2(tmp_path, case):
    args, words = BAD[case]
    out = tmp_path / "s.csv"
    r = cli("storm", *args, "--out", str(out), cwd=tmp_path)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert "error:" in r.stderr and words in r.stderr
    assert not out.exists()


@pytest.mark.parametrize("case", [c for c in BAD if c not in REAL])
def test_bad_input_in_process(tmp_path, case, monkeypatch):
    from typer.testing import CliRunner

    from floodrisk import cli as cli_module

    monkeypatch.chdir(tmp_path)
    args, words = BAD[case]
    out = tmp_path / "s.csv"
    r = CliRunner().invoke(cli_module.app, ["storm", *args, "--out", str(out)])
    assert r.exit_code == 2, r.output
    assert r.exception is None or isinstance(r.exception, SystemExit)
    assert "error:" in r.output and words in r.output.replace("\n", " ")
    assert not out.exists()
