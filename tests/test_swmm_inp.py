"""The SWMM .inp reader: byte-faithful structure, counts, units by hand, sections."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from floodrisk.errors import CRSError, InputFileError, NetworkError
from floodrisk.grid import Grid
from floodrisk.io.swmm_inp import (
    FLOW_FACTORS,
    inp_to_network,
    parse_inp,
    read_inp,
    read_swmm_network,
    xsection_full,
)
from floodrisk.network import conduit_hydraulics

FT = 0.3048


def count_rows(path: Path) -> Counter:
    """Data lines per section, counted with plain string handling."""
    n: Counter = Counter()
    name = None
    for line in path.read_bytes().decode("utf-8", "replace").splitlines():
        text = line.split(";", 1)[0].strip()
        if text.startswith("["):
            name = text[1:text.index("]")].upper()
        elif text and name:
            n[name] += 1
    return n


def all_models(validation_dir: Path) -> list[Path]:
    return sorted(validation_dir.rglob("*.inp"))


# ---- structure ----------------------------------------------------------------------------
def test_parse_keeps_every_byte_and_splits_tokens():
    text = ("; preamble\r\n[TITLE]\r\nA model ; with a comment\r\n\r\n[OPTIONS]\r\n"
            "FLOW_UNITS  LPS\r\n [JUNCTIONS] ;; header comment\r\n"
            "J1  10.5  2  0  0  0 ; inline\r\n\"J 2\" 9 ; quoted ; twice\r\n"
            "[junctions]\nJ3 8 1")
    inp = parse_inp(text)
    assert inp.text() == text
    assert [s.name for s in inp.sections] == ["", "TITLE", "OPTIONS", "JUNCTIONS", "JUNCTIONS"]
    assert inp.names() == ["TITLE", "OPTIONS", "JUNCTIONS", "JUNCTIONS"]
    assert inp.rows("junctions") == [("J1", "10.5", "2", "0", "0", "0"), ("J 2", "9"),
                                     ("J3", "8", "1")]
    j = inp.section("JUNCTIONS")
    assert j.header.comment == "; header comment"
    assert j.lines[0].comment == " inline" and j.lines[1].comment == " quoted ; twice"
    assert inp.sections[0].lines[0].comment == " preamble" and not inp.sections[0].rows()
    assert inp.flow_units == "LPS" and not inp.us_units and inp.link_offsets == "DEPTH"
    assert [ln.number for ln in inp.lines()][:3] == [1, 2, 3]
    # a byte-order mark before the first header stays in the text, not in the tokens
    bom = "\ufeff[JUNCTIONS]\nJ1 1 1\n"
    inp = parse_inp(bom)
    assert inp.names() == ["JUNCTIONS"] and inp.text() == bom


def test_round_trip_is_byte_for_byte(validation_dir):
    for path in all_models(validation_dir):
        inp = read_inp(path)
        assert inp.to_bytes() == path.read_bytes(), path
        # every data line of the file is in the section its header names
        counted = count_rows(path)
        for name, k in counted.items():
            assert len(inp.rows(name)) == k, (path, name)


def test_bad_files(tmp_path):
    with pytest.raises(InputFileError, match="not found"):
        read_inp(tmp_path / "none.inp")
    (tmp_path / "bin.inp").write_bytes(b"\x00\x01\x02[JUNCTIONS]")
    with pytest.raises(InputFileError, match="binary"):
        read_inp(tmp_path / "bin.inp")
    (tmp_path / "text.inp").write_text("just some text\n")
    with pytest.raises(InputFileError, match="not an SWMM"):
        read_inp(tmp_path / "text.inp")
    inp = parse_inp("[OPTIONS]\nFLOW_UNITS XYZ\n[JUNCTIONS]\nJ1 1 1\n")
    with pytest.raises(NetworkError, match="FLOW_UNITS"):
        inp_to_network(inp)
    inp = parse_inp("[JUNCTIONS]\nJ1 1 1\n[CONDUITS]\nC1 J1 J9 10 0.013 0 0\n")
    with pytest.raises(NetworkError) as exc:
        inp_to_network(inp)
    assert exc.value.feature == ["C1"] and exc.value.field == "to_node"
    with pytest.raises(CRSError):
        inp_to_network(parse_inp("[JUNCTIONS]\nJ1 1 1\n"), crs="EPSG:4326")


# ---- counts on real models ------------------------------------------------------------------
def test_counts_equal_the_section_lines(validation_dir):
    for path in all_models(validation_dir):
        n = count_rows(path)
        net = read_swmm_network(path)
        nodes = net.nodes["swmm_type"].value_counts()
        assert nodes.get("JUNCTION", 0) == n["JUNCTIONS"], path
        assert nodes.get("OUTFALL", 0) == n["OUTFALLS"], path
        assert nodes.get("STORAGE", 0) == n["STORAGE"], path
        assert len(net.conduits) == n["CONDUITS"], path
        assert len(net.pumps) == n["PUMPS"], path
        regs = net.regulators["kind"].value_counts() if net.regulators is not None else {}
        assert regs.get("weir", 0) == n["WEIRS"], path
        assert regs.get("orifice", 0) == n["ORIFICES"], path
        assert regs.get("outlet", 0) == n["OUTLETS"], path
        assert regs.get("inlet", 0) == n["INLET_USAGE"], path
        subs = 0 if net.subcatchments is None else len(net.subcatchments)
        assert subs <= n["SUBCATCHMENTS"], path


def test_bellinge(validation_dir):
    path = validation_dir / "bellinge" / "BellingeSWMM_v021_nopervious.inp"
    net = read_swmm_network(path, crs="EPSG:25832")
    # the figures of the data set's PROVENANCE.md
    assert (net.nodes.kind == "junction").sum() == 995
    assert len(net.conduits) == 1015 and len(net.pumps) == 6
    assert (net.regulators.kind == "weir").sum() == 13
    assert net.crs.to_epsg() == 25832
    j = net.nodes.set_index("node_id")
    # G72K020  18.31  3.75 (CMS: metres as written)
    assert j.loc["G72K020", "invert_elev"] == 18.31
    assert j.loc["G72K020", "rim_elev"] == pytest.approx(22.06)
    # TABULAR storage G71F68Y: largest area of its curve; FUNCTIONAL G71R050 19.63 m2
    assert j.loc["G71R050", "storage_area"] == pytest.approx(19.63)
    # pump G71F68Yp1: curve G71F68Y_tommepst, largest flow 0.08 m3/s; station = wet well
    p = net.pumps.set_index("pump_id")
    assert p.loc["G71F68Yp1", "capacity"] == pytest.approx(0.08)
    assert p.loc["G71F68Yp1", "station_id"] == "G71F68Y"
    assert set(net.stations.station_id) == set(net.pumps.station_id)
    # CUSTOM O-shaped sections: geometry from the shape curve
    c = net.conduits.set_index("link_id")
    o = c.loc["G60F240_G60F230_l1"]
    assert o["shape"] == "other" and o["swmm_shape"] == "CUSTOM" and o["height"] == 0.7875
    assert 0.6 < o["full_area"] / 0.7875**2 < 0.8
    # conduit sections (the 13 RECT_OPEN lines of XSECTIONS belong to the weirs)
    assert c["swmm_shape"].value_counts().to_dict() == {"CIRCULAR": 951, "CUSTOM": 63,
                                                        "RECT_CLOSED": 1}
    assert c["closed"].all()
    # the geometry follows COORDINATES and VERTICES
    line = c.loc["F74F370_F74F360_l1", "geometry"]
    assert line.coords[0] == tuple(j.loc["F74F370", "geometry"].coords[0])
    assert len(net.subcatchments) == 713 and net.subcatchments.geometry.notna().all()
    assert net.subcatchments["area"].sum() == pytest.approx(
        sum(float(r[3]) for r in read_inp(path).rows("SUBCATCHMENTS")) * 1e4)


# ---- units by hand ------------------------------------------------------------------------
def test_us_units_by_hand(validation_dir):
    path = validation_dir / "swmm-nrtestsuite" / "examples" / "Example1.inp"
    net = read_swmm_network(path)
    c = net.conduits.set_index("link_id")
    n = net.nodes.set_index("node_id")
    # conduit 1: 9 -> 10, 400 ft, n 0.01, CIRCULAR 1.5 ft
    assert c.loc["1", "length"] == pytest.approx(400 * FT) == pytest.approx(121.92)
    assert c.loc["1", "diameter"] == pytest.approx(1.5 * FT) == pytest.approx(0.4572)
    assert c.loc["1", "roughness"] == 0.01
    # conduit 6: OutOffset 1 ft; node 9: elevation 1000 ft, max depth 3 ft
    assert c.loc["6", "out_offset"] == pytest.approx(0.3048)
    assert n.loc["9", "invert_elev"] == pytest.approx(304.8)
    assert n.loc["9", "rim_elev"] == pytest.approx(304.8 + 0.9144)
    assert n.loc["18", "kind"] == "outfall" and np.isnan(n.loc["18", "rim_elev"])
    # full capacity of conduit 1 by hand: slope (1000 - 995)/400, D = 0.4572 m, n = 0.01
    q = 0.3117 / 0.01 * 0.4572 ** (8 / 3) * math.sqrt(5 / 400)
    hyd = conduit_hydraulics(net).set_index("link_id")
    assert hyd.loc["1", "full_capacity"] == pytest.approx(q, rel=2e-4)
    # subcatchment 1: 10 ac, 50 % impervious, drains to node 9
    s = net.subcatchments.set_index("subcatchment_id")
    assert s.loc["1", "area"] == pytest.approx(10 * 4046.8564224)
    assert s.loc["1", "imperviousness"] == 0.5 and s.loc["1", "outlet"] == "9"
    # extran10: PUMP3 curve, largest flow 100 cfs
    net = read_swmm_network(validation_dir / "swmm-nrtestsuite" / "extran" / "extran10.inp")
    assert net.pumps.capacity.tolist() == pytest.approx([100 * 0.0283168466] * 5)


def test_elevation_offsets_by_hand(validation_dir):
    path = validation_dir / "swmm-nrtestsuite" / "update_v52" / "CoS-Reduced-Outlets.inp"
    c = read_swmm_network(path).conduits.set_index("link_id")
    # 25073B L3750 (489.98) -> 34162 (488.241): offsets 489.98, 489.741 as elevations
    assert c.loc["25073B", "in_offset"] == pytest.approx(0.0)
    assert c.loc["25073B", "out_offset"] == pytest.approx(1.5)
    assert c.loc["25073B", "out_invert"] == pytest.approx(489.741)
    # 25074 34162 -> 34161 (474): 488.241, 485.5
    assert c.loc["25074", "out_offset"] == pytest.approx(11.5)


def test_storage_shapes_by_hand(validation_dir):
    path = validation_dir / "swmm-nrtestsuite" / "update_v52" / "Storage_Shape_Test.inp"
    n = read_swmm_network(path).nodes.set_index("node_id")
    # CONICAL 20 10 3 and PYRAMIDAL 20 10 3 ft, max depth 6 ft: area at 6 ft
    assert n.loc["Conical", "storage_area"] == pytest.approx(
        math.pi / 4 * (20 + 36) * (10 + 36) * FT**2)
    assert n.loc["Pyramidal", "storage_area"] == pytest.approx(56 * 46 * FT**2)


def test_flow_factors():
    assert FLOW_FACTORS["CFS"] == pytest.approx(FT**3)
    assert FLOW_FACTORS["GPM"] == pytest.approx(3.785411784e-3 / 60)
    assert FLOW_FACTORS["MGD"] == pytest.approx(3785.411784 / 86400)
    assert FLOW_FACTORS["MLD"] == pytest.approx(1000 / 86400)


def test_sections_by_hand():
    # rectangular closed 1 x 2: A = 2, R = 2/6
    assert xsection_full("RECT_CLOSED", [1, 2, 0, 0]) == pytest.approx((1, 2, 2, 1 / 3))
    # open 1 x 2: R = 2/(2 + 2)
    assert xsection_full("RECT_OPEN", [1, 2, 0, 0])[3] == pytest.approx(0.5)
    # trapezoid depth 1, bottom 2, sides 1:1 -> A = 3, P = 2 + 2 sqrt(2), top 4
    y, w, a, r = xsection_full("TRAPEZOIDAL", [1, 2, 1, 1])
    assert (y, w, a) == pytest.approx((1, 4, 3)) and r == pytest.approx(3 / (2 + 2 * 2**0.5))
    # triangle depth 1, top 2: A = 1, P = 2 sqrt(2)
    assert xsection_full("TRIANGULAR", [1, 2, 0, 0])[2:] == pytest.approx((1, 1 / 8**0.5))
    # SWMM's egg factors
    assert xsection_full("EGG", [2, 0, 0, 0]) == pytest.approx((2, 4 / 3, 0.5105 * 4, 0.3862))
    # half-filled circle (D = 2, 1 m of sediment) is a half circle: A = pi/2, P = pi + 2
    y, w, a, r = xsection_full("FILLED_CIRCULAR", [2, 1, 0, 0])
    assert (y, a) == pytest.approx((1, math.pi / 2)) and r == pytest.approx(
        (math.pi / 2) / (math.pi + 2))
    # a CUSTOM curve tracing a circle comes close to pi/4 and D/4
    d = np.linspace(0, 1, 2001)
    y, w, a, r = xsection_full("CUSTOM", [1.0], ("SHAPE", d, 2 * np.sqrt(d * (1 - d))))
    assert a == pytest.approx(math.pi / 4, rel=1e-4) and r == pytest.approx(0.25, rel=1e-3)
    # parabola depth 1, top 2: A = 4/3; arc length sqrt(5) + ln(2 + sqrt 5)/2
    arc = math.sqrt(5) + math.log(2 + math.sqrt(5)) / 2
    assert xsection_full("PARABOLIC", [1, 2, 0, 0])[3] == pytest.approx((4 / 3) / arc, rel=1e-5)
    for bad in (("IRREGULAR", [np.nan]), ("RECT_CLOSED", [1, 0]), ("CIRCULAR", [0]),
                ("HORIZ_ELLIPSE", [1, 0, 3])):
        assert np.isnan(xsection_full(*bad)).all()


def test_street_inlets_join_the_street_to_the_sewer(validation_dir):
    # onsag_curb_inlet_12: street conduits 2 (2 -> 3) and 6 (7 -> 3) meet at the sag node
    # 3; the inlet on conduit 2 passes the water into sewer node 5 (4 -> 5 -> outfall 6)
    path = validation_dir / "swmm-nrtestsuite" / "update_v52" / "onsag_curb_inlet_12.inp"
    net = read_swmm_network(path)
    r = net.regulators
    assert r[["link_id", "kind", "from_node", "to_node", "swmm_type"]].values.tolist() == [
        ["2.inlet", "inlet", "3", "5", "OnSagCurbOpen"]]
    from floodrisk.network import check_network

    df = check_network(net)
    assert "no_outfall_path" not in set(df.rule)
    # left: nodes 4 and 5 without a max depth, the STREET sections, no CRS given
    assert set(df.rule) == {"rim_unknown", "section_unknown", "length_unchecked"}


def test_subcatchment_routing_and_dem_rims():
    text = """[OPTIONS]
FLOW_UNITS CMS
[SUBCATCHMENTS]
S1 RG S2 1.5 40 100 1 0
S2 RG J2 0.5 80 100 1 0
S3 RG S4 1 0 100 1 0
S4 RG S3 1 0 100 1 0
[JUNCTIONS]
J1 10 0
J2 9 2
[OUTFALLS]
O1 8 FREE NO
[CONDUITS]
C1 J1 J2 100 0.013 0 0 0 0
C2 J2 O1 100 0.013 0 0 0 0
[XSECTIONS]
C1 CIRCULAR 0.5 0 0 0 1
C2 CIRCULAR 0.6 0 0 0 2
[COORDINATES]
J1 5 15
J2 15 15
O1 25 15
[VERTICES]
C2 20 18
"""
    dem = Grid(np.full((2, 3), 11.0), (10.0, 0, 0, 0, -10.0, 20.0), "EPSG:4547")
    net = inp_to_network(parse_inp(text), dem=dem)
    s = net.subcatchments.set_index("subcatchment_id")
    # S1 drains onto S2 and so to J2; S3 and S4 only route to each other: left out
    assert s.outlet.to_dict() == {"S1": "J2", "S2": "J2"}
    assert s.loc["S1", "area"] == 1.5e4 and s.loc["S2", "imperviousness"] == 0.8
    assert any("2 subcatchments drain to no node" in n for n in net.notes)
    n = net.nodes.set_index("node_id")
    # J1 has no max depth: its rim comes from the DEM (11 m); J2 keeps its own (9 + 2);
    # O1 (an outfall has no max depth in SWMM) also lies on the DEM: 11 m
    assert n.loc["J1", "rim_elev"] == 11.0 and n.loc["J2", "rim_elev"] == 11.0
    assert n.loc["O1", "rim_elev"] == 11.0
    assert any("rim of 2 nodes" in x for x in net.notes)
    assert net.crs.to_epsg() == 4547
    c = net.conduits.set_index("link_id")
    assert list(c.loc["C2", "geometry"].coords) == [(15, 15), (20, 18), (25, 15)]
    assert c.loc["C2", "barrels"] == 2
    assert net.regulators is None and len(net.pumps) == 0
