"""The SWMM model value: import (units, CRS, subcatchments, bad input), byte-faithful export,
edits re-rendered in the model's own units."""

from __future__ import annotations

import dataclasses
import math
import shutil
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from floodrisk.errors import CRSError, FloodRiskError, InputError, InputFileError, NetworkError
from floodrisk.io.swmm_inp import (
    ACRE,
    FT,
    parse_inp,
    read_swmm_model,
    read_swmm_network,
    render_inp,
    write_swmm_model,
)
from floodrisk.swmm_model import SwmmModel

NRTEST = Path(__file__).resolve().parents[2] / "shared" / "validation" / "swmm-nrtestsuite"

TINY = """[TITLE]
tiny model ; a comment

[OPTIONS]
FLOW_UNITS           {units}
LINK_OFFSETS         DEPTH
FLOW_ROUTING         DYNWAVE
START_DATE           01/01/2020
START_TIME           00:00:00
END_DATE             01/01/2020
END_TIME             02:00:00
REPORT_STEP          00:05:00
ROUTING_STEP         5

[RAINGAGES]
RG1              INTENSITY 0:05     1.0      {source}

[SUBCATCHMENTS]
S1               RG1              J1               2        50       100      1        0
S2               RG1              S1               1        20       50       1        0

[SUBAREAS]
S1               0.01       0.1        0.05       0.05       25         OUTLET
S2               0.01       0.1        0.05       0.05       25         OUTLET

[INFILTRATION]
S1               3          0.5        4          7          0
S2               3          0.5        4          7          0

[JUNCTIONS]
;;Name           Elevation  MaxDepth   InitDepth  SurDepth   Aponded
J1               10         3          0          0          0  ; upstream manhole
J2               9          2.5        0          0          0

[OUTFALLS]
O1               8          FREE                        NO

[CONDUITS]
C1               J1               J2               100        0.013      0          0          0          0
C2               J2               O1               80         0.013      0.2        0          0          0

[XSECTIONS]
C1               CIRCULAR     0.5              0          0          0          1
C2               CIRCULAR     0.6              0          0          0          1

[LOSSES]
C2               0.5        0.5        0          NO

[INFLOWS]
J2               FLOW             ""               FLOW     1.0      1.0      0.05

[TIMESERIES]
TS1                         0:00       10
TS1                         1:00       0

[COORDINATES]
J1               100.0              200.0
J2               200.0              200.0
O1               300.0              180.0

[VERTICES]
C2               250.0              210.0

[Polygons]
S1               0                  0
S1               50                 0
S1               50                 50
"""


def tiny(tmp_path: Path, name: str = "tiny.inp", units: str = "CMS",
         source: str = "TIMESERIES TS1", **replace: str) -> Path:
    text = TINY.format(units=units, source=source)
    for old, new in replace.items():
        assert old.replace("_", " ") in text or old in text, old
        text = text.replace(old, new)
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def line_of(path: Path, start: str) -> int:
    """Number of the first line of a file that starts with ``start``."""
    return next(k for k, ln in enumerate(path.read_text().splitlines(), 1)
                if ln.startswith(start))


def edited(model: SwmmModel, **layers) -> SwmmModel:
    return model.with_network(dataclasses.replace(model.network, **layers))


def changed_lines(a: str, b: str) -> list[tuple[str, str]]:
    la, lb = a.splitlines(), b.splitlines()
    assert len(la) == len(lb)
    return [(x, y) for x, y in zip(la, lb) if x != y]


_RUN = ("import sys\nfrom swmm.toolkit import solver\n"
        "solver.swmm_run(sys.argv[1], sys.argv[2], sys.argv[3])\n")


def run(inp: Path) -> bytes:
    """Run SWMM on a file in its own process; the binary output's bytes."""
    out = inp.with_suffix(".out")
    r = subprocess.run([sys.executable, "-c", _RUN, str(inp), str(inp.with_suffix(".rpt")),
                        str(out)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, (r.stdout[-500:], r.stderr[-2000:],
                               inp.with_suffix(".rpt").read_text()[-2000:])
    return out.read_bytes()


# ---- import -------------------------------------------------------------------------------
def test_import_keeps_the_file_and_builds_the_network_in_si(tmp_path):
    path = tiny(tmp_path)
    m = read_swmm_model(path, crs="EPSG:4547")
    assert isinstance(m, SwmmModel) and m.path == path
    assert m.inp.to_bytes() == path.read_bytes()
    assert m.units == "CMS" and not m.us_units and m.link_offsets == "DEPTH"
    assert m.crs.to_epsg() == 4547 and m.network.crs.to_epsg() == 4547
    assert not m.edited and m.imported is m.network
    n = m.network.nodes.set_index("node_id")
    assert n.loc["J1", "rim_elev"] == 13.0 and n.loc["J1", "geometry"].x == 100.0
    # every subcatchment, also S2 that drains onto S1; polygons where [Polygons] has them
    s = m.subcatchments.set_index("subcatchment_id")
    assert list(s.index) == ["S1", "S2"] and s.crs.to_epsg() == 4547
    assert s.loc["S1", "area"] == 2e4 and s.loc["S2", "outlet"] == "S1"
    assert s.loc["S1", "geometry"].area == 1250.0 and s.loc["S2", "geometry"] is None
    assert s.loc["S1", "width"] == 100.0 and s.loc["S1", "imperviousness"] == 0.5
    assert "SwmmModel(tiny.inp, CMS" in repr(m)
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.units = "CFS"


def test_us_units_converted_and_original_kept():
    if not NRTEST.is_dir():
        pytest.skip("validation data not found")
    path = NRTEST / "examples" / "Example1.inp"
    m = read_swmm_model(path, crs=False)
    assert m.units == "CFS" and m.us_units and m.crs is None
    assert m.inp.to_bytes() == path.read_bytes()
    c = m.network.conduits.set_index("link_id")
    assert c.loc["1", "length"] == pytest.approx(400 * FT)
    # subcatchment 1: 10 ac, width 500 ft
    s = m.subcatchments.set_index("subcatchment_id")
    assert s.loc["1", "area"] == pytest.approx(10 * ACRE)
    assert s.loc["1", "width"] == pytest.approx(500 * FT)
    assert s.geometry.notna().all()
    assert any("US units converted to SI" in n for n in m.notes)


def test_coordinates_need_a_crs(tmp_path, names):
    path = tiny(tmp_path)
    with pytest.raises(CRSError) as exc:
        read_swmm_model(path)
    msg = names(exc.value, path=path, layer="COORDINATES")
    n = line_of(path, "J1               100.0")
    assert f"line {n}:" in msg and "crs=False" in msg and exc.value.line == n
    # the explicit opt-out: the network keeps its coordinates, without a CRS
    m = read_swmm_model(path, crs=False)
    assert m.crs is None and m.network.crs is None
    assert m.network.nodes.geometry.notna().all()
    with pytest.raises(CRSError, match="geographic"):
        read_swmm_model(path, crs="EPSG:4326")
    # no coordinates: no CRS needed
    text = path.read_text()
    cut = text[:text.index("[COORDINATES]")]
    (tmp_path / "nocoords.inp").write_text(cut)
    assert read_swmm_model(tmp_path / "nocoords.inp").crs is None


def test_unknown_flow_units(tmp_path, names):
    path = tiny(tmp_path, units="XYZ")
    with pytest.raises(NetworkError) as exc:
        read_swmm_model(path, crs=False)
    assert isinstance(exc.value, InputError) and isinstance(exc.value, ValueError)
    msg = names(exc.value, path=path, layer="OPTIONS", field="FLOW_UNITS")
    assert f"line {line_of(path, 'FLOW_UNITS')}:" in msg and "'XYZ'" in msg


@pytest.mark.parametrize("section,row,obj,field", [
    ("CONDUITS", "C3               J1               J9               50  0.013  0  0",
     "C3", "to_node"),
    ("PUMPS", "P1               J8               O1               *  ON  0  0", "P1",
     "from_node"),
    ("WEIRS", "W1               J2               O2               TRANSVERSE  1  3.33  NO",
     "W1", "to_node"),
])
def test_link_to_an_undefined_node(tmp_path, names, section, row, obj, field):
    path = tiny(tmp_path)
    text = path.read_text()
    if f"[{section}]" in text:
        text = text.replace(f"[{section}]\n", f"[{section}]\n{row}\n")
    else:
        text += f"\n[{section}]\n{row}\n"
    path.write_text(text)
    line = text.splitlines().index(row) + 1
    with pytest.raises(NetworkError) as exc:
        read_swmm_model(path, crs=False)
    msg = names(exc.value, path=path, layer=section, feature=obj, field=field)
    assert f"line {line}:" in msg and "not defined" in msg
    assert exc.value.line == line and exc.value.section == section
    # the network reader says the same
    with pytest.raises(NetworkError, match=f"line {line}"):
        read_swmm_network(path)


def test_node_names_are_not_case_sensitive(tmp_path):
    # SWMM matches names whatever their case: so does the importer
    path = tiny(tmp_path)
    text = path.read_text().replace("C1               J1               J2",
                                    "C1               j1               j2")
    path.write_text(text)
    c = read_swmm_model(path, crs=False).network.conduits.set_index("link_id")
    assert (c.loc["C1", "from_node"], c.loc["C1", "to_node"]) == ("J1", "J2")


def test_node_defined_twice(tmp_path, names):
    path = tiny(tmp_path)
    text = path.read_text().replace("O1               8          FREE",
                                    "J2               8          FREE")
    path.write_text(text)
    with pytest.raises(NetworkError) as exc:
        read_swmm_model(path, crs=False)
    names(exc.value, path=path, layer="OUTFALLS", feature="J2")
    assert "defined twice" in str(exc.value)
    assert f"line {line_of(path, 'J2               8')}:" in str(exc.value)


def test_missing_rain_file(tmp_path, names, monkeypatch):
    path = tiny(tmp_path, source='FILE  "rain 2020.dat"  RG1  MM')
    monkeypatch.chdir(tmp_path.parent)   # relative names are looked for beside the .inp
    with pytest.raises(InputFileError) as exc:
        read_swmm_model(path, crs=False)
    assert isinstance(exc.value, OSError) and isinstance(exc.value, FloodRiskError)
    msg = names(exc.value, path=path, layer="RAINGAGES", feature="RG1", field="FILE")
    assert f"line {line_of(path, 'RG1')}:" in msg and "'rain 2020.dat'" in msg
    assert "check_files=False" in msg
    # without the check the network still reads; with the file present it passes
    assert len(read_swmm_model(path, crs=False, check_files=False).network.nodes) == 3
    (tmp_path / "rain 2020.dat").write_text("RG1 2020 1 1 0 0 1.0\n")
    assert read_swmm_model(path, crs=False).units == "CMS"


def test_pyswmm_bad_input_is_kept_verbatim(tmp_path):
    """pyswmm's model_bad_input_1.inp (a subcatchment without a rain gauge: SWMM refuses
    it, the engine's business) reads, and writes back byte for byte, also re-rendered."""
    import pyswmm

    path = Path(pyswmm.__file__).parent / "tests" / "data" / "model_bad_input_1.inp"
    if not path.is_file():
        pytest.skip("pyswmm's test data is not installed")
    m = read_swmm_model(path, crs=False)
    out = write_swmm_model(m, tmp_path / "copy.inp")
    assert out.read_bytes() == path.read_bytes()
    text = render_inp(m.with_network(m.network), keep_unchanged=False).text()
    assert "S1               *                  J1" in text
    assert parse_inp(text).rows("SUBCATCHMENTS") == m.inp.rows("SUBCATCHMENTS")


# ---- export -------------------------------------------------------------------------------
def test_unedited_export_is_byte_for_byte_and_atomic(tmp_path):
    src = tiny(tmp_path / "a" if (tmp_path / "a").mkdir() is None else tmp_path)
    src.write_bytes(src.read_bytes().replace(b"\n", b"\r\n"))   # CRLF kept too
    m = read_swmm_model(src, crs="EPSG:4547")
    target = tmp_path / "out.inp"
    target.write_text("old content")
    assert write_swmm_model(m, target) == target
    assert target.read_bytes() == src.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "out.inp"]   # no temp file
    # the same network given back: nothing changed, nothing re-rendered
    write_swmm_model(m.with_network(m.network), target)
    assert target.read_bytes() == src.read_bytes()
    with pytest.raises(InputFileError, match="does not exist"):
        write_swmm_model(m, tmp_path / "missing" / "x.inp")


def test_export_warns_about_files_left_behind(tmp_path, caplog):
    (tmp_path / "a").mkdir()
    src = tiny(tmp_path / "a", source="FILE rain.dat RG1 MM")
    (tmp_path / "a" / "rain.dat").write_text("RG1 2020 1 1 0 0 1.0\n")
    m = read_swmm_model(src, crs=False)
    write_swmm_model(m, tmp_path / "moved.inp")
    assert "rain.dat" in caplog.text


def test_edit_changes_only_the_edited_values(tmp_path):
    path = tiny(tmp_path)
    m = read_swmm_model(path, crs="EPSG:4547")
    nodes = m.network.nodes.copy()
    nodes.loc[nodes.node_id == "J1", "rim_elev"] = 13.75          # MaxDepth 3 -> 3.75
    conduits = m.network.conduits.copy()
    conduits.loc[conduits.link_id == "C2", "diameter"] = 0.8
    conduits.loc[conduits.link_id == "C2", "out_offset"] = 0.15
    e = edited(m, nodes=nodes, conduits=conduits)
    assert e.edited and e.inp is m.inp and e.imported is m.network
    text = render_inp(e).text()
    assert changed_lines(path.read_text(), text) == [
        ("J1               10         3          0          0          0  ; upstream manhole",
         "J1               10         3.75       0          0          0  ; upstream manhole"),
        ("C2               J2               O1               80         0.013      0.2        "
         + "0          0          0",
         "C2               J2               O1               80         0.013      0.2        "
         + "0.15       0          0"),
        ("C2               CIRCULAR     0.6              0          0          0          1",
         "C2               CIRCULAR     0.8              0          0          0          1"),
    ]
    # written and read back: the edit, in SI
    back = read_swmm_model(write_swmm_model(e, tmp_path / "e.inp"), crs="EPSG:4547")
    c = back.network.conduits.set_index("link_id")
    assert c.loc["C2", "diameter"] == 0.8 and c.loc["C2", "out_offset"] == 0.15


def test_edits_in_us_units(tmp_path):
    path = tiny(tmp_path, units="CFS")
    m = read_swmm_model(path, crs=False)
    nodes = m.network.nodes.copy()
    j1 = nodes.node_id == "J1"
    nodes.loc[j1, "invert_elev"] -= 0.3048                 # 1 ft lower, ground unchanged
    conduits = m.network.conduits.copy()
    conduits.loc[conduits.link_id == "C1", "length"] = 50.0   # m
    conduits.loc[conduits.link_id == "C1", "max_flow"] = 0.0283168466 * 2   # 2 cfs
    text = render_inp(edited(m, nodes=nodes, conduits=conduits)).text()
    rows = {r[0]: r for r in parse_inp(text).rows("JUNCTIONS")}
    assert rows["J1"][1:3] == ("9", "4")                      # ft: invert 9, max depth 4
    c1 = next(r for r in parse_inp(text).rows("CONDUITS") if r[0] == "C1")
    assert c1[3] == "164.041994751" and c1[8] == "2"         # 50 m in ft; 2 cfs
    assert float(c1[3]) * FT == pytest.approx(50.0, rel=5e-12)   # 12 significant digits


def test_max_depth_or_absolute_invert_edits(tmp_path):
    path = tiny(tmp_path)
    m = read_swmm_model(path, crs=False)
    nodes = m.network.nodes.copy()
    nodes.loc[nodes.node_id == "J2", "max_depth"] = 4.0        # only max_depth edited
    conduits = m.network.conduits.copy()
    conduits.loc[conduits.link_id == "C1", "out_invert"] = 9.4  # only the absolute invert
    text = render_inp(edited(m, nodes=nodes, conduits=conduits)).text()
    j2 = next(r for r in parse_inp(text).rows("JUNCTIONS") if r[0] == "J2")
    c1 = next(r for r in parse_inp(text).rows("CONDUITS") if r[0] == "C1")
    assert j2[2] == "4" and c1[6] == "0.4"


def test_remove_objects_and_the_rows_that_name_them(tmp_path, names):
    path = tiny(tmp_path)
    m = read_swmm_model(path, crs=False)
    net = m.network
    # remove conduit C2 and outfall O1: their rows and LOSSES, VERTICES, COORDINATES go;
    # J2 becomes the outfall (its INFLOWS row stays)
    nodes = net.nodes[net.nodes.node_id != "O1"].copy()
    nodes.loc[nodes.node_id == "J2", "kind"] = "outfall"
    conduits = net.conduits[net.conduits.link_id != "C2"]
    text = render_inp(edited(m, nodes=nodes, conduits=conduits)).text()
    inp = parse_inp(text)
    assert [r[0] for r in inp.rows("CONDUITS")] == ["C1"]
    assert [r[0] for r in inp.rows("XSECTIONS")] == ["C1"]
    assert inp.rows("LOSSES") == [] and inp.rows("VERTICES") == []
    assert [r[0] for r in inp.rows("COORDINATES")] == ["J1", "J2"]
    assert [r[0] for r in inp.rows("JUNCTIONS")] == ["J1"]
    assert inp.rows("OUTFALLS") == [("J2", "9", "FREE", "NO")]
    assert [r[0] for r in inp.rows("INFLOWS")] == ["J2"]
    assert "[LOSSES]" in text   # the section (now empty) stays
    back = read_swmm_model(write_swmm_model(edited(m, nodes=nodes, conduits=conduits),
                                            tmp_path / "cut.inp"), crs=False)
    assert back.network.nodes.set_index("node_id").loc["J2", "kind"] == "outfall"
    # removing J1 while S1 still drains to it: refused, naming the line
    nodes = net.nodes[net.nodes.node_id != "J1"]
    conduits = net.conduits[net.conduits.link_id != "C1"]
    with pytest.raises(NetworkError) as exc:
        render_inp(edited(m, nodes=nodes, conduits=conduits))
    msg = names(exc.value, path=path, layer="SUBCATCHMENTS", feature="J1")
    assert f"line {line_of(path, 'S1               RG1')}:" in msg


def test_add_nodes_and_conduits(tmp_path):
    path = tiny(tmp_path)
    m = read_swmm_model(path, crs="EPSG:4547")
    net = m.network
    new_node = gpd.GeoDataFrame({"node_id": ["J0"], "kind": ["junction"],
                                 "invert_elev": [10.5], "rim_elev": [14.0]},
                                geometry=[shapely.Point(0, 200)], crs=net.crs)
    new_pipe = gpd.GeoDataFrame(
        {"link_id": ["C0"], "from_node": ["J0"], "to_node": ["J1"], "shape": ["rect_closed"],
         "height": [0.6], "width": [0.9], "length": [101.5], "roughness": [0.014],
         "in_offset": [0.0], "out_offset": [0.1]},
        geometry=[shapely.LineString([(0, 200), (50, 230), (100, 200)])], crs=net.crs)
    e = edited(m, nodes=pd.concat([net.nodes, new_node], ignore_index=True),
               conduits=pd.concat([net.conduits, new_pipe], ignore_index=True))
    out = write_swmm_model(e, tmp_path / "grown.inp")
    inp = parse_inp(out.read_text())
    assert inp.rows("JUNCTIONS")[-1] == ("J0", "10.5", "3.5", "0", "0", "0")
    assert inp.rows("CONDUITS")[-1] == ("C0", "J0", "J1", "101.5", "0.014", "0", "0.1", "0",
                                        "0")
    assert inp.rows("XSECTIONS")[-1] == ("C0", "RECT_CLOSED", "0.6", "0.9", "0", "0", "1")
    assert inp.rows("COORDINATES")[-1] == ("J0", "0", "200")
    assert inp.rows("VERTICES")[-1] == ("C0", "50", "230")
    # new rows take the layout of the section's last row
    line = next(ln.raw for ln in inp.lines() if ln.tokens[:1] == ("J0",) and
                ln.tokens[1] == "10.5")
    assert line.startswith("J0               10.5       3.5        0")
    back = read_swmm_model(out, crs="EPSG:4547").network
    assert back.conduits.set_index("link_id").loc["C0", "geometry"].equals(
        new_pipe.geometry[0])
    assert run(out)   # SWMM runs it


def test_new_storage_node_and_section(tmp_path):
    path = tiny(tmp_path)
    m = read_swmm_model(path, crs=False)
    nodes = m.network.nodes.copy()
    j2 = nodes.node_id == "J2"
    nodes.loc[j2, "kind"] = "storage"
    nodes.loc[j2, "swmm_type"] = None
    nodes.loc[j2, "storage_area"] = 250.0
    text = render_inp(edited(m, nodes=nodes)).text()
    inp = parse_inp(text)
    assert inp.names().index("STORAGE") == inp.names().index("OUTFALLS") + 1
    assert inp.rows("STORAGE") == [("J2", "9", "2.5", "0", "FUNCTIONAL", "0", "0", "250", "0",
                                    "0")]
    back = read_swmm_model(write_swmm_model(edited(m, nodes=nodes), tmp_path / "s.inp"),
                           crs=False).network.nodes.set_index("node_id")
    assert back.loc["J2", "kind"] == "storage" and back.loc["J2", "storage_area"] == 250.0
    nodes.loc[j2, "storage_area"] = np.nan
    with pytest.raises(NetworkError, match="storage area"):
        render_inp(edited(m, nodes=nodes))


def test_new_pump_and_capacity_edit(tmp_path):
    if not NRTEST.is_dir():
        pytest.skip("validation data not found")
    m = read_swmm_model(NRTEST / "extran" / "extran10.inp", crs=False)
    pumps = m.network.pumps.copy()
    first = pumps.pump_id == "90002"
    pumps.loc[first, "capacity"] = pumps.loc[first, "capacity"] * 1.5
    text = render_inp(edited(m, pumps=pumps)).text()
    inp = parse_inp(text)
    assert next(r for r in inp.rows("PUMPS") if r[0] == "90002")[3] == "90002_capacity"
    curve = [r for r in inp.rows("CURVES") if r[0] == "90002_capacity"]
    assert curve == [("90002_capacity", "Pump3", "50", "150"), ("90002_capacity", "60", "75"),
                     ("90002_capacity", "70", "15")]
    out = tmp_path / "extran10.inp"
    out.write_text(text)
    p = read_swmm_model(out, crs=False).network.pumps.set_index("pump_id")
    assert p.loc["90002", "capacity"] == pytest.approx(150 * 0.0283168466)
    assert p.loc["90003", "capacity"] == pytest.approx(100 * 0.0283168466)
    # a new pump with only a capacity: a constant-flow curve
    new = pumps.iloc[[0]].copy()
    new["pump_id"], new["curve"], new["capacity"] = "P9", None, 0.5
    text = render_inp(edited(m, pumps=pd.concat([pumps, new], ignore_index=True))).text()
    inp = parse_inp(text)
    assert inp.rows("PUMPS")[-1][:4] == ("P9", "401", "301", "P9_capacity")
    assert next(r for r in inp.rows("CURVES") if r[0] == "P9_capacity")[1:3] == ("PUMP4", "0")


def test_edited_network_runs_like_a_hand_edited_file(tmp_path):
    """Example 1 (US units) with conduit 1 widened to 2 ft through the SI network gives
    exactly the results of the file edited by hand."""
    if not NRTEST.is_dir():
        pytest.skip("validation data not found")
    src = NRTEST / "examples" / "Example1.inp"
    m = read_swmm_model(src, crs=False)
    conduits = m.network.conduits.copy()
    conduits.loc[conduits.link_id == "1", "diameter"] = 2 * FT
    ours = write_swmm_model(edited(m, conduits=conduits), tmp_path / "ours.inp")
    by_hand = tmp_path / "hand.inp"
    old = "1                CIRCULAR     1.5              0"
    new = "1                CIRCULAR     2                0"
    assert src.read_text().count(old) == 1
    by_hand.write_text(src.read_text().replace(old, new))
    assert ours.read_bytes() == by_hand.read_bytes()
    assert run(ours) == run(by_hand)


def test_elevation_offsets_are_written_as_elevations(tmp_path):
    if not NRTEST.is_dir():
        pytest.skip("validation data not found")
    m = read_swmm_model(NRTEST / "update_v52" / "CoS-Reduced-Outlets.inp", crs=False)
    assert m.link_offsets == "ELEVATION" and m.units == "CMS"
    conduits = m.network.conduits.copy()
    k = conduits.link_id == "25073B"
    conduits.loc[k, "out_offset"] = conduits.loc[k, "out_offset"] + 0.25
    text = render_inp(edited(m, conduits=conduits)).text()
    row = next(r for r in parse_inp(text).rows("CONDUITS") if r[0] == "25073B")
    assert row[6] == "489.991"     # was 489.741 m (an elevation: node invert 488.241 + 1.5)
    assert len(changed_lines(m.inp.text(), text)) == 1


def test_with_network_checks(tmp_path, names):
    path = tiny(tmp_path)
    m = read_swmm_model(path, crs="EPSG:4547")
    net = m.network
    other = {k: v.to_crs("EPSG:4548") if v.crs is not None else v
             for k, v in net.layers().items()}
    with pytest.raises(CRSError, match="CGCS2000"):
        m.with_network(dataclasses.replace(net, crs=other["nodes"].crs, **{
            k: other[k] for k in ("nodes", "conduits")}))
    bad = net.conduits.copy()
    bad.loc[0, "to_node"] = "nowhere"
    with pytest.raises(NetworkError) as exc:
        edited(m, conduits=bad)
    names(exc.value, layer="conduits", feature="C1", field="to_node")
    dup = pd.concat([net.conduits, net.conduits.iloc[[0]]], ignore_index=True)
    with pytest.raises(NetworkError, match="duplicate link ids"):
        edited(m, conduits=dup)
    with pytest.raises(TypeError):
        m.with_network(net.nodes)


def test_comments_and_layout_of_changed_rows(tmp_path):
    text = ("[OPTIONS]\nFLOW_UNITS CMS\n[JUNCTIONS]\n"
            "J1\t10\t3\t0\t0\t0\t;tab separated\n"
            "\"J 2\"  9  2.5 ; quoted name\n"
            "[OUTFALLS]\nO1 8 FREE NO\n[CONDUITS]\nC1 J1 \"J 2\" 100 0.013 0 0\n"
            "C2 \"J 2\" O1 100 0.013 0 0\n[XSECTIONS]\nC1 CIRCULAR 0.5\nC2 CIRCULAR 0.5\n")
    path = tmp_path / "t.inp"
    path.write_text(text)
    m = read_swmm_model(path)
    nodes = m.network.nodes.copy()
    nodes["invert_elev"] += 1.0
    out = render_inp(edited(m, nodes=nodes)).text()
    lines = out.splitlines()
    assert lines[3] == "J1\t11\t2\t0\t0\t0\t;tab separated"   # rim unchanged: less deep
    assert lines[4] == "\"J 2\"  10 1.5 ; quoted name"   # a short row stays short
    assert lines[6] == "O1 9 FREE NO"
    assert parse_inp(out).rows("CONDUITS") == m.inp.rows("CONDUITS")


def test_rerender_everything_reads_back_the_same_network(tmp_path):
    """keep_unchanged=False writes every network value from SI; read back, the network is
    the same to the last bit (values as read) for US and SI models."""
    if not NRTEST.is_dir():
        pytest.skip("validation data not found")
    us = tiny(tmp_path, units="CFS").read_text().replace(
        "J1               10         3          0          0          0",
        "J1               10.1       3.3        0.1        0.7        12.35")
    (tmp_path / "us.inp").write_text(us)
    for path in (tmp_path / "us.inp", NRTEST / "examples" / "Example1.inp",
                 NRTEST / "update_v52" / "CoS-Reduced-Outlets.inp",
                 NRTEST / "update_v52" / "street_curb_inlet_9a.inp"):
        m = read_swmm_model(path, crs=False)
        text = render_inp(m.with_network(m.network), keep_unchanged=False).text()
        back = read_swmm_model_text(text, path)
        assert back.network.nodes.ponded_area.max() > 0 or path.name != "us.inp"
        for layer in ("nodes", "conduits"):
            a = m.network.layers()[layer].drop(columns="geometry")
            b = back.network.layers()[layer].drop(columns="geometry")
            pd.testing.assert_frame_equal(a, b, check_exact=True, obj=f"{path.name} {layer}")


def read_swmm_model_text(text: str, like: Path):
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / like.name
        p.write_text(text)
        for extra in like.parent.glob("*.dat"):
            shutil.copy2(extra, Path(d) / extra.name)
        return read_swmm_model(p, crs=False, check_files=False)


def test_read_every_validation_model(validation_dir):
    """Every real model reads, keeps its bytes, and writes back unchanged."""
    models = sorted((validation_dir / "swmm-nrtestsuite").rglob("*.inp")) + sorted(
        (validation_dir / "bellinge").glob("*.inp"))
    assert len(models) >= 40
    for path in models:
        m = read_swmm_model(path, crs=False, check_files=False)
        assert m.inp.to_bytes() == path.read_bytes(), path
        assert render_inp(m.with_network(m.network)).to_bytes() == path.read_bytes(), path
        assert len(m.network.nodes) == sum(len(m.inp.rows(s)) for s in (
            "JUNCTIONS", "OUTFALLS", "STORAGE", "DIVIDERS")), path
    big = read_swmm_model(validation_dir / "bellinge" / "BellingeSWMM_v021_nopervious.inp",
                          crs="EPSG:25832", check_files=False)
    assert len(big.subcatchments) == 713 and big.subcatchments.geometry.notna().all()
    assert big.subcatchments.crs.to_epsg() == 25832
    assert math.isclose(big.subcatchments.area.sum(), big.network.subcatchments.area.sum())


def test_new_model_from_a_network(city, tmp_path):
    """A network from GIS layers (the tiny city) written as a new SWMM model: every node,
    conduit and pump; SWMM runs it and passes the inflow through to the outfall."""
    import floodrisk
    from floodrisk.io.swmm_inp import new_swmm_model

    net = floodrisk.load_network(city.gpkg(), dem=floodrisk.load_dem(city.dem()))
    # the city's pump discharges into O1 beside conduit C3: SWMM takes one link at an
    # outfall, so the writer refuses it, naming the outfall
    with pytest.raises(NetworkError, match="one link at an outfall") as exc:
        render_inp(new_swmm_model(net))
    assert exc.value.feature == ["O1"]
    o2 = net.nodes[net.nodes.node_id == "O1"].assign(node_id="O2")
    o2["geometry"] = o2.geometry.translate(0, -20)
    net = dataclasses.replace(net, nodes=pd.concat([net.nodes, o2], ignore_index=True),
                              pumps=net.pumps.assign(to_node="O2"))
    template = ("[OPTIONS]\nFLOW_UNITS CMS\nFLOW_ROUTING DYNWAVE\nSTART_DATE 01/01/2020\n"
                "END_DATE 01/01/2020\nEND_TIME 03:00:00\nREPORT_STEP 00:15:00\n"
                "ROUTING_STEP 2\n\n[INFLOWS]\nJ1 FLOW \"\" FLOW 1.0 1.0 0.05\n\n"
                "[REPORT]\nNODES ALL\nLINKS ALL\n")
    m = new_swmm_model(net, template=template)
    assert m.units == "CMS" and m.crs.to_epsg() == 4547 and m.edited
    out = write_swmm_model(m, tmp_path / "city.inp")
    inp = parse_inp(out.read_text())
    assert [r[0] for r in inp.rows("JUNCTIONS")] == ["J1", "J2", "J3"]
    assert inp.rows("OUTFALLS") == [("O1", "20.875", "FREE", "NO"),
                                    ("O2", "20.875", "FREE", "NO")]
    assert inp.rows("XSECTIONS")[0] == ("C1", "CIRCULAR", "0.3", "0", "0", "0", "1")
    assert inp.rows("PUMPS") == [("P1", "J3", "O2", "P1_capacity", "ON", "1", "0.3")]
    assert ("P1_capacity", "PUMP4", "0", "0.2") in inp.rows("CURVES")
    assert inp.names() == ["OPTIONS", "JUNCTIONS", "OUTFALLS", "CONDUITS", "PUMPS",
                           "XSECTIONS", "INFLOWS", "CURVES", "REPORT", "COORDINATES"]
    back = read_swmm_model(out, crs="EPSG:4547").network
    pd.testing.assert_series_equal(back.nodes.invert_elev, net.nodes.invert_elev)
    assert back.pumps.capacity.tolist() == [0.2]
    run(out)
    from swmm.toolkit import output, shared_enum

    h = output.init()
    output.open(h, str(out.with_suffix(".out")))
    try:
        last = output.get_times(h, shared_enum.Time.NUM_PERIODS) - 1
        o1 = output.get_node_result(h, last, 3)   # O1: the fourth node
        total_inflow = shared_enum.NodeAttribute.TOTAL_INFLOW.value
        assert o1[total_inflow] == pytest.approx(0.05, rel=1e-3)
    finally:
        output.close(h)
    # US units: the same network in CFS, values converted
    us = new_swmm_model(net, flow_units="CFS")
    inp = render_inp(us)
    assert inp.rows("JUNCTIONS")[0][1] == "88.1725721785"   # 26.875 m in ft
    with pytest.raises(NetworkError, match="FLOW_UNITS"):
        new_swmm_model(net, template=template, flow_units="CFS")


def test_regulators_removed_and_controls_that_name_them(tmp_path, names):
    if not NRTEST.is_dir():
        pytest.skip("validation data not found")
    path = NRTEST / "update_v52" / "control_rules_test.inp"
    m = read_swmm_model(path, crs=False)
    regs = m.network.regulators
    # orifice 3 is named by the control rules: removing it is refused, naming the first line
    with pytest.raises(NetworkError) as exc:
        render_inp(edited(m, regulators=regs[regs.link_id != "3"]))
    names(exc.value, path=path, layer="CONTROLS", feature="3")
    assert f"line {line_of(path, 'variable  Q3 = LINK 3')}:" in str(exc.value)
    # an edited crest (offset) and discharge coefficient: only those tokens change
    r2 = regs.copy()
    r2.loc[r2.link_id == "3", ["crest_height", "coefficient"]] = [0.5 * FT, 0.61]
    text = render_inp(edited(m, regulators=r2)).text()
    (_, new), = changed_lines(m.inp.text(), text)
    assert new.split() == ["3", "3", "4", "SIDE", "0.5", "0.61", "NO", "0"]
    # a new weir cannot be written: SWMM needs its section
    extra = pd.concat([regs, regs.assign(link_id="W9", kind="weir", from_node="1", to_node="2")],
                      ignore_index=True)
    with pytest.raises(NetworkError, match="new weir"):
        render_inp(edited(m, regulators=extra))


def test_removed_weir_takes_its_section_row(tmp_path):
    import pyswmm

    path = Path(pyswmm.__file__).parent / "tests" / "data" / "model_bad_input_1.inp"
    if not path.is_file():
        pytest.skip("pyswmm's test data is not installed")
    m = read_swmm_model(path, crs=False)
    regs = m.network.regulators
    text = render_inp(edited(m, regulators=regs[regs.link_id != "C3"])).text()
    inp = parse_inp(text)
    assert inp.rows("WEIRS") == [] and [r[0] for r in inp.rows("XSECTIONS")] == ["C1:C2"]
