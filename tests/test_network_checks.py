"""check_network: each rule on networks built in code, then real SWMM models whose
findings are counted again here by a different method (plain loops over the file's
sections, read with str.split, not floodrisk's parser)."""

from __future__ import annotations

import dataclasses
import math
from collections import defaultdict
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely
from shapely.geometry import Point
from test_network_graph import NODES, PIPES, build_network, regulator_frame

from floodrisk.errors import ConfigError
from floodrisk.io.swmm_inp import read_swmm_network
from floodrisk.network import (
    FINDING_COLUMNS,
    RULES,
    CheckSettings,
    DrainageNetwork,
    check_network,
    findings_geometry,
)


def found(df) -> list[tuple[str, str, list[str]]]:
    return [(r.severity, r.rule, list(r.feature_ids)) for r in df.itertuples()]


# ---- rules on networks built in code ------------------------------------------------------
def test_adverse_slope_and_orphan_exactly():
    # J1 -> J2 -> J3 -> O1, C2 drawn J2 -> J3 with J3 0.2 m higher; X9 has no link.
    # Levels are otherwise clean: cover J1 23-(20+0.4)=2.6, J2 22.5-(19.5+0.5)=2.5,
    # J3 22.7-(19.7+0.6)=2.4 m; sizes grow downstream; lengths are the lines'.
    nodes = NODES + [("X9", "junction", 150, 80, 20.0, 22.0)]
    # C2's direction is declared as drawn, so the graph keeps J2 -> J3 -> O1
    net = build_network(nodes, PIPES, extra={"flow_direction": [None, "as_drawn", None]})
    df = check_network(net)
    assert list(df.columns) == list(FINDING_COLUMNS)
    assert found(df) == [("error", "adverse_slope", ["C2"]),
                         ("warning", "orphan_node", ["X9"])]
    assert "rises 0.200 m" in df.message[0] and df.suggested_fix[0]
    # without the direction column the graph sends C2 back to J2 (by the inverts): J1 and
    # J2 then reach the outfall only against C2's fall
    df = check_network(build_network(nodes, PIPES))
    assert found(df) == [("error", "adverse_slope", ["C2"]),
                         ("warning", "adverse_path", ["J1", "J2"]),
                         ("warning", "orphan_node", ["X9"])]
    assert "C2" in df.message[1]


def test_clean_network_has_no_findings():
    nodes = [("J1", "junction", 0, 0, 20.0, 23.0), ("J2", "junction", 100, 0, 19.5, 22.5),
             ("O1", "outfall", 200, 0, 19.0, 21.0)]
    net = build_network(nodes, [("C1", "J1", "J2", 0.4, None), ("C2", "J2", "O1", 0.5, None)])
    df = check_network(net)
    assert df.empty and list(df.columns) == list(FINDING_COLUMNS)


def test_no_outfall_path_names_the_dead_end():
    nodes = NODES[:2] + [("J5", "junction", 0, 50, 21.0, 24.0),
                         ("J6", "junction", 100, 50, 20.5, 23.5),
                         ("O1", "outfall", 200, 0, 19.0, 21.0)]
    pipes = [("C1", "J1", "J2", 0.4, None), ("C2", "J2", "O1", 0.5, None),
             ("C5", "J5", "J6", 0.4, None)]
    df = check_network(build_network(nodes, pipes))
    assert found(df) == [("error", "no_outfall_path", ["J5", "J6"])]
    assert "drain to J6" in df.message[0]


def test_outfall_without_inflow_and_a_loop():
    # O1 drawn as the upstream end of C1 and lying above J1: nothing flows into it
    nodes = [("O1", "outfall", 0, 0, 25.0, 26.0), ("J1", "junction", 100, 0, 20.0, 23.0),
             ("O2", "outfall", 200, 0, 19.0, 21.0)]
    df = check_network(build_network(nodes, [("C1", "O1", "J1", 0.4, None),
                                              ("C2", "J1", "O2", 0.5, None)]))
    assert found(df) == [("error", "outfall_no_inflow", ["O1"])]
    # a loop: A -> B by inverts, B -> A through a drop (offset 1.0 m at B's end)
    nodes = [("A", "junction", 0, 0, 20.0, 24.0), ("B", "junction", 100, 0, 19.0, 24.0),
             ("O1", "outfall", 200, 0, 18.0, 21.0)]
    pipes = [("C1", "A", "B", 0.4, None), ("C2", "B", "A", 0.4, None),
             ("C3", "B", "O1", 0.5, None)]
    net = build_network(nodes, pipes, extra={"in_offset": [0.0, 1.5, 0.0]})
    df = check_network(net)
    assert found(df) == [("warning", "gravity_cycle", ["C1", "C2"]),
                         ("warning", "duplicate_conduit", ["C1", "C2"])]


def test_flat_decrease_duplicates_and_lengths():
    nodes = [("J1", "junction", 0, 0, 20.0, 23.0), ("J2", "junction", 100, 0, 20.0, 23.0),
             ("J3", "junction", 200, 0, 19.0, 22.0), ("O1", "outfall", 300, 0, 18.0, 21.0)]
    pipes = [("C1", "J1", "J2", 0.6, None),       # flat
             ("C2", "J2", "J3", 0.5, None),       # 0.6 -> 0.5: smaller downstream
             ("C2b", "J2", "J3", 0.8, 100.0),     # parallel to C2
             ("C3", "J3", "O1", 0.8, 160.0)]      # 160 m for a 100 m line: ratio 1.6
    df = check_network(build_network(nodes, pipes))
    assert found(df) == [("warning", "flat_conduit", ["C1"]),
                         ("warning", "diameter_decrease", ["C1", "C2"]),
                         ("warning", "length_mismatch", ["C3"]),
                         ("warning", "duplicate_conduit", ["C2", "C2b"])]
    # 1.6 is within a looser ratio
    df = check_network(build_network(nodes, pipes), CheckSettings(length_ratio_max=2.0))
    assert "length_mismatch" not in set(df.rule)


def test_levels_and_cover_by_hand():
    # J1: invert 20.0, rim 19.9 -> invert above rim.
    # J2: rim 20.3, crown of C2 (D 0.5, invert 19.5) 20.0 -> cover 0.3 < 0.5.
    # J3: rim 19.7, crown of C2 at J3 (invert 19.3 + 0.5) 19.8 -> 0.1 m above the rim.
    # J4: rim unknown -> not checked, one info row.
    nodes = [("J1", "junction", 0, 0, 20.0, 19.9), ("J2", "junction", 100, 0, 19.5, 20.3),
             ("J3", "junction", 200, 0, 19.3, 19.7), ("J4", "junction", 300, 0, 19.0, None),
             ("O1", "outfall", 400, 0, 18.0, 19.0)]
    pipes = [("C1", "J1", "J2", 0.4, None), ("C2", "J2", "J3", 0.5, None),
             ("C3", "J3", "J4", 0.5, None), ("C4", "J4", "O1", 0.5, None)]
    df = check_network(build_network(nodes, pipes))
    assert found(df) == [("error", "invert_above_rim", ["J1"]),
                         ("error", "crown_above_rim", ["J3"]),
                         ("warning", "low_cover", ["J2"]),
                         ("info", "rim_unknown", ["J4"])]
    assert "0.300 m" in df.message[2] and "0.100 m above" in df.message[1]
    # a 0.25 m minimum cover clears J2
    df = check_network(build_network(nodes, pipes), CheckSettings(min_cover=0.25))
    assert "low_cover" not in set(df.rule)


def test_orphan_with_runoff_is_an_error_and_unknown_sections_and_no_crs():
    nodes = NODES[:2] + [("O1", "outfall", 200, 0, 19.0, 21.0),
                         ("X9", "junction", 50, 50, 20.0, 22.0)]
    pipes = [("C1", "J1", "J2", 0.4, None), ("C2", "J2", "O1", 0.5, None)]
    subs = gpd.GeoDataFrame({"subcatchment_id": ["S1"], "outlet": ["X9"], "area": [1e4],
                             "imperviousness": [0.5], "runoff_coeff": [np.nan]},
                            geometry=[None])
    net = build_network(nodes, pipes, subcatchments=subs)
    c = net.conduits.copy()
    c.loc[1, "shape"], c.loc[1, "height"], c.loc[1, "width"] = "other", 0.5, 0.5
    net = DrainageNetwork(nodes=net.nodes, conduits=c, pumps=net.pumps, stations=net.stations,
                          subcatchments=subs, crs=None)
    df = check_network(net)
    assert found(df) == [("error", "orphan_node", ["X9"]),
                         ("info", "length_unchecked", []),
                         ("info", "section_unknown", ["C2"])]
    assert "runoff" in df.message[0]


def test_regulators_and_pumps_lead_to_outfalls():
    # J2 overflows over a weir into a storage W1 emptied by a pump to O1
    nodes = NODES[:2] + [("W1", "storage", 150, 50, 17.0, 21.0),
                         ("O1", "outfall", 200, 0, 19.0, 21.0)]
    pipes = [("C1", "J1", "J2", 0.4, None)]
    net = build_network(nodes, pipes, pumps=[("P1", "W1", "O1", 0.2)],
                        regulators=regulator_frame([("WR1", "weir", "J2", "W1")]))
    assert check_network(net).empty


def test_settings_are_checked():
    with pytest.raises(ConfigError):
        CheckSettings(min_cover=-1)
    with pytest.raises(ConfigError):
        CheckSettings(length_ratio_min=1.2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        CheckSettings().min_cover = 1.0
    assert set(RULES) >= {"no_outfall_path", "orphan_node", "gravity_cycle", "adverse_slope",
                          "diameter_decrease", "low_cover", "length_mismatch",
                          "duplicate_conduit", "outfall_no_inflow"}
    assert {v[0] for v in RULES.values()} == {"error", "warning", "info"}


def test_findings_geometry():
    nodes = NODES + [("X9", "junction", 150, 80, 20.0, 22.0)]
    net = build_network(nodes, PIPES)
    df = check_network(net)
    geo = findings_geometry(net, df)
    assert list(geo.geom_type) == ["MultiLineString", "MultiPoint", "MultiPoint"]
    assert geo.feature_ids.tolist() == ["C2", "J1,J2", "X9"]
    assert geo.geometry[2].geoms[0].equals(Point(500150, 2500080))
    assert geo.crs == net.crs


def test_tiny_city_is_clean(city_gpkg, dem_tif):
    import floodrisk

    net = floodrisk.load_network(city_gpkg, dem=floodrisk.load_dem(dem_tif))
    assert check_network(net).empty


# ---- real SWMM models, counted again independently ----------------------------------------
US = {"CFS", "GPM", "MGD"}
OPEN = {"RECT_OPEN", "TRAPEZOIDAL", "TRIANGULAR", "PARABOLIC", "POWER", "IRREGULAR", "STREET"}


def sections(path: Path) -> dict[str, list[list[str]]]:
    """Data rows per section, split on blanks (no quoted names in these models)."""
    out: dict[str, list[list[str]]] = defaultdict(list)
    name = ""
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        line = line.split(";", 1)[0].strip()
        if not line:
            continue
        if line.startswith("["):
            name = line.strip("[]").upper()
            continue
        out[name].append(line.split())
    return out


def recount(path: Path, min_cover=0.5, tol=0.001) -> dict[str, int]:
    """Adverse, flat, duplicate, orphan, diameter-decrease and cover findings, by loops."""
    s = sections(path)
    opts = {r[0].upper(): r[1].upper() for r in s["OPTIONS"] if len(r) > 1}
    f = 0.3048 if opts.get("FLOW_UNITS", "CFS") in US else 1.0
    by_elev = opts.get("LINK_OFFSETS", "DEPTH") == "ELEVATION"
    elev, depth, kind = {}, {}, {}
    for sec, k in (("JUNCTIONS", "junction"), ("OUTFALLS", "outfall"), ("STORAGE", "storage")):
        for r in s[sec]:
            elev[r[0]] = float(r[1])
            depth[r[0]] = float(r[2]) if k != "outfall" and len(r) > 2 else 0.0
            kind[r[0]] = k
    xs = {r[0]: r for r in s["XSECTIONS"]}

    def off(tok, node):
        v = (float(tok) - elev[node] if tok != "*" else 0.0) if by_elev else float(tok)
        return max(v, 0.0)

    pipes = []
    for r in s["CONDUITS"]:
        up = elev[r[1]] + off(r[5], r[1])
        dn = elev[r[2]] + off(r[6], r[2])
        x = xs[r[0]]
        rise = float(x[2]) if x[1].upper() not in ("IRREGULAR", "STREET") else math.nan
        pipes.append(dict(id=r[0], a=r[1], b=r[2], up=up, dn=dn, rise=rise,
                          closed=x[1].upper() not in OPEN))
    n = defaultdict(int)
    pairs = defaultdict(int)
    for p in pipes:
        fall = (p["up"] - p["dn"]) * f
        n["adverse_slope"] += fall < -tol
        n["flat_conduit"] += abs(fall) <= tol
        pairs[frozenset((p["a"], p["b"]))] += 1
        # flow direction by inverts (ties as drawn)
        p["u"], p["v"] = (p["b"], p["a"]) if p["dn"] > p["up"] else (p["a"], p["b"])
    n["duplicate_conduit"] = sum(1 for v in pairs.values() if v > 1)
    linked = set()
    for sec in ("CONDUITS", "PUMPS", "ORIFICES", "WEIRS", "OUTLETS"):
        for r in s[sec]:
            linked.update(r[1:3])
    n["orphan_node"] = sum(1 for k in elev if k not in linked)
    for p2 in pipes:
        if any(p1["v"] == p2["u"] and p1["rise"] * f > p2["rise"] * f + tol for p1 in pipes):
            n["diameter_decrease"] += 1
    for node, k in kind.items():
        if k == "outfall" or depth[node] <= 0:
            continue
        rim = elev[node] + depth[node]
        crowns = [(p["up"] if p["a"] == node else p["dn"]) + p["rise"]
                  for p in pipes if node in (p["a"], p["b"]) and p["closed"]]
        crowns = [c for c in crowns if not math.isnan(c)]
        if not crowns or elev[node] > rim:
            continue
        cover = (rim - max(crowns)) * f
        n["crown_above_rim"] += cover < 0
        n["low_cover"] += 0 <= cover < min_cover
    return dict(n)


RECOUNTED = ("adverse_slope", "flat_conduit", "duplicate_conduit", "orphan_node",
             "diameter_decrease", "crown_above_rim", "low_cover")


@pytest.mark.parametrize("rel", ["bellinge/BellingeSWMM_v021_nopervious.inp",
                                 "swmm-nrtestsuite/examples/Example1.inp",
                                 "swmm-nrtestsuite/user/user3.inp",
                                 "swmm-nrtestsuite/user/user5.inp",
                                 "swmm-nrtestsuite/update_v52/CoS-Reduced-Outlets.inp",
                                 "swmm-nrtestsuite/routing/test4.inp"])
def test_swmm_models_counted_twice(validation_dir, rel):
    path = validation_dir / rel
    df = check_network(read_swmm_network(path))
    counts = df.rule.value_counts()
    expected = recount(path)
    got = {r: int(counts.get(r, 0)) for r in RECOUNTED}
    assert got == {r: int(expected.get(r, 0)) for r in RECOUNTED}


def test_bellinge_findings(validation_dir):
    path = validation_dir / "bellinge" / "BellingeSWMM_v021_nopervious.inp"
    net = read_swmm_network(path, crs="EPSG:25832")
    df = check_network(net)
    counts = df.rule.value_counts().to_dict()
    assert counts == {"diameter_decrease": 59, "adverse_slope": 18, "low_cover": 11,
                      "flat_conduit": 10, "crown_above_rim": 3, "adverse_path": 3,
                      "gravity_cycle": 1, "duplicate_conduit": 1, "length_mismatch": 1}
    assert (df.severity == "error").sum() == 21
    # every node reaches an outfall if conduits may also carry water as drawn; by gravity
    # alone (networkx, edges by inverts) the adverse_path findings hold exactly the rest
    s = sections(path)
    elev = {r[0]: float(r[1]) for sec in ("JUNCTIONS", "OUTFALLS", "STORAGE") for r in s[sec]}
    outfalls = {r[0] for r in s["OUTFALLS"]}
    g = nx.DiGraph()
    g.add_nodes_from(elev)
    for r in s["CONDUITS"]:
        up, dn = elev[r[1]] + float(r[5]), elev[r[2]] + float(r[6])
        g.add_edge(*((r[2], r[1]) if dn > up else (r[1], r[2])))
    for sec in ("PUMPS", "ORIFICES", "WEIRS", "OUTLETS"):
        for r in s[sec]:
            g.add_edge(r[1], r[2])
    reach = set(outfalls).union(*(nx.ancestors(g, o) for o in outfalls))
    stranded = set(elev) - reach
    listed = set().union(*df[df.rule == "adverse_path"].feature_ids.map(set))
    assert listed == stranded and len(stranded) == 561
    # the one loop: conduit G80F66X -> G80F66Y and two weirs back (an overflow chamber)
    loop = df[df.rule == "gravity_cycle"].feature_ids.iat[0]
    assert sorted(loop) == ["G80F66X_G80F66Y_l1", "G80F66Yw1", "G80F66Yw2"]
    # length mismatch recounted from COORDINATES and VERTICES with shapely
    xy = {r[0]: (float(r[1]), float(r[2])) for r in s["COORDINATES"]}
    verts = defaultdict(list)
    for r in s["VERTICES"]:
        verts[r[0]].append((float(r[1]), float(r[2])))
    bad = [r[0] for r in s["CONDUITS"]
           if not 0.67 <= float(r[3]) / shapely.LineString(
               [xy[r[1]], *verts[r[0]], xy[r[2]]]).length <= 1.5]
    assert df[df.rule == "length_mismatch"].feature_ids.sum() == bad
    g2 = findings_geometry(net, df)
    assert g2.geometry.notna().all() and g2.crs.to_epsg() == 25832


def test_every_nrtestsuite_model_is_checked(validation_dir):
    files = sorted((validation_dir / "swmm-nrtestsuite").rglob("*.inp"))
    assert len(files) >= 40
    for path in files:
        df = check_network(read_swmm_network(path))
        assert set(df.severity) <= {"error", "warning", "info"}, path
        assert df.feature_ids.map(lambda v: isinstance(v, list)).all(), path


# ---- the command line -----------------------------------------------------------------------
def _cli(*args, cwd=None):
    import shutil
    import subprocess
    import sys

    exe = shutil.which("floodrisk", path=str(Path(sys.executable).parent)) or "floodrisk"
    return subprocess.run([exe, *args], capture_output=True, text=True, cwd=cwd, timeout=300)


def test_cli_check_clean_and_adverse(city, tmp_path):
    import pandas as pd
    import pyogrio

    dem = str(city.dem())
    clean = city.gpkg()
    r = _cli("check", str(clean), "--dem", dem, "--out", str(tmp_path / "ok"))
    assert r.returncode == 0, r.stderr
    assert "no findings" in " ".join(r.stdout.split())
    assert pd.read_csv(tmp_path / "ok" / "checks.csv").empty
    # lower J1's invert below J2's (24.875): C1 J1 -> J2 climbs 0.375 m
    bad = city.gpkg(city.set("nodes", "J1", "invert_elev", 24.5), name="bad.gpkg")
    r = _cli("check", str(bad), "--dem", dem, "--out", str(tmp_path / "bad"))
    assert r.returncode == 1, r.stderr
    assert "adverse_slope" in r.stdout and "Traceback" not in r.stderr
    table = pd.read_csv(tmp_path / "bad" / "checks.csv")
    assert list(table.columns) == list(FINDING_COLUMNS)
    row = table[table.rule == "adverse_slope"].iloc[0]
    assert row.severity == "error" and row.feature_ids == "C1"
    layers = {name for name, _ in pyogrio.list_layers(tmp_path / "bad" / "checks.gpkg")}
    assert "link_findings" in layers
    lines = gpd.read_file(tmp_path / "bad" / "checks.gpkg", layer="link_findings")
    assert lines.crs.to_epsg() == 4547 and "C1" in set(lines.feature_ids)
    assert not list((tmp_path / "bad").glob(".checks-*"))   # no temporary files left


def test_cli_check_inp_and_default_folder(validation_dir, tmp_path):
    inp = validation_dir / "swmm-nrtestsuite" / "user" / "user1.inp"
    r = _cli("check", str(inp), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "checks-user1" / "checks.csv").exists()
    assert (tmp_path / "checks-user1" / "checks.gpkg").exists()
    assert "diameter_decrease" in r.stdout


def test_cli_check_unreadable_input_exits_2(tmp_path):
    junk = tmp_path / "junk.inp"
    junk.write_text("not a model\n")
    for path in (junk, tmp_path / "missing.gpkg", tmp_path):
        r = _cli("check", str(path), "--out", str(tmp_path / "o"))
        assert r.returncode == 2, (path, r.stdout, r.stderr)
        assert "Traceback" not in r.stderr and "error:" in r.stderr
