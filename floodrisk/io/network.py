"""Load and validate a drainage network (nodes, conduits, pumps, stations, subcatchments)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from os import PathLike

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS
from scipy.spatial import cKDTree

from ..errors import NetworkError, SchemaError, describe_ids
from ..grid import Grid
from ..network import DrainageNetwork
from ..schema import CONDUITS, NETWORK_LAYERS, NODES, PUMPS, REGULATORS, STATIONS
from .levels import fill_from_ground
from .vector import LayerSource, empty_layer, read_group

__all__ = ["read_network", "DEFAULT_SNAP_TOLERANCE"]

log = logging.getLogger(__name__)

#: Distance (m) within which a conduit end is taken to sit on a node. Survey and CAD
#: exports commonly leave pipe ends a few decimetres off the manhole point.
DEFAULT_SNAP_TOLERANCE = 1.0


def read_network(
    source: str | PathLike[str],
    *,
    layers: Mapping[str, str | PathLike[str]] | None = None,
    columns: Mapping[str, Mapping[str, str]] | None = None,
    dem: Grid | None = None,
    crs: str | CRS | None = None,
    target_crs: str | CRS | None = None,
    snap_tolerance: float = DEFAULT_SNAP_TOLERANCE,
) -> DrainageNetwork:
    """Read a drainage network and check it.

    Parameters
    ----------
    source
        A GeoPackage with layers ``nodes``, ``conduits`` and optionally ``pumps``,
        ``stations``, ``regulators``, ``subcatchments`` (or their aliases), or a folder of
        per-layer files.
    layers
        ``{canonical layer: file or GeoPackage layer name}`` where names differ.
    columns
        Per layer, ``{canonical or unit-suffixed column: source column}`` where the
        aliases do not cover a file's names, e.g. ``{"conduits": {"diameter_mm": "DN"}}``.
    dem
        Ground elevation, to fill in missing rim and equipment elevations. Its CRS
        becomes the network's.
    crs
        CRS of layers whose files carry none.
    target_crs
        Projected CRS to bring every layer to (default: the DEM's, else the nodes').
    snap_tolerance
        Largest distance (m) between a conduit end and its node.

    Returns
    -------
    DrainageNetwork
    """
    group = read_group(source, NETWORK_LAYERS, layers=layers, columns=columns, crs=crs,
                       target_crs=target_crs if target_crs is not None else
                       (dem.crs if dem is not None else None))
    data, src_of, study_crs, notes = group.data, group.sources, group.crs, group.notes
    for required in (NODES, CONDUITS):
        if required.name not in data:
            raise SchemaError(
                f"no '{required.name}' layer found.", path=source, layer=required.name,
                hint="Name it " + " or ".join(repr(n) for n in (required.name, *required.aliases))
                     + ", or map it with layers={'" + required.name + "': …}.")
    nodes = _check_nodes(data["nodes"], src_of["nodes"], dem, notes)
    conduits = _check_conduits(data["conduits"], nodes, src_of["conduits"], snap_tolerance, notes)
    stations = data.get("stations", empty_layer(STATIONS, study_crs))
    pumps = data.get("pumps", empty_layer(PUMPS, None))
    _check_pumps(pumps, stations, nodes, src_of.get("pumps"), src_of.get("stations"))
    if "stations" in data:
        stations = fill_from_ground(stations, "equipment_elev", dem, src_of["stations"], notes,
                                    height="equipment_height")
    regulators = data.get("regulators")
    if regulators is not None:
        _check_regulators(regulators, nodes, src_of["regulators"])
    subs = data.get("subcatchments")
    if subs is not None:
        subs = _check_subcatchments(subs, nodes, src_of["subcatchments"], notes)
    for line in notes:
        log.info(line)
    return DrainageNetwork(nodes=nodes, conduits=conduits, pumps=pumps, stations=stations,
                           subcatchments=subs, crs=study_crs, notes=tuple(notes),
                           regulators=regulators)


def _check_nodes(nodes: gpd.GeoDataFrame, src: LayerSource, dem: Grid | None,
                 notes: list[str]) -> gpd.GeoDataFrame:
    nodes = fill_from_ground(nodes, "rim_elev", dem, src, notes)
    above = (nodes["invert_elev"] > nodes["rim_elev"]).to_numpy()
    if above.any():
        rows = nodes[above]
        detail = "; ".join(f"{i}: invert {a:.2f} m > rim {b:.2f} m" for i, a, b in
                           zip(rows.node_id[:5], rows.invert_elev[:5], rows.rim_elev[:5]))
        raise NetworkError(f"invert above rim ({detail}).", path=src.path, layer=src.layer,
                           field="invert_elev", feature=list(rows.node_id),
                           hint="Check the levels' datum and whether the columns are swapped.")
    depth = nodes["max_depth"].isna()
    if depth.any():
        nodes = nodes.copy()
        nodes.loc[depth, "max_depth"] = nodes["rim_elev"] - nodes["invert_elev"]
    storage = (nodes["kind"] == "storage") & nodes["storage_area"].isna()
    if storage.any():
        raise SchemaError("storage nodes need storage_area.", path=src.path, layer=src.layer,
                          field="storage_area", feature=list(nodes.node_id[storage]),
                          hint="Give the plan area of the tank or wet well (m²).")
    return nodes


def _check_conduits(cond: gpd.GeoDataFrame, nodes: gpd.GeoDataFrame, src: LayerSource,
                    tol: float, notes: list[str]) -> gpd.GeoDataFrame:
    where = dict(path=src.path, layer=src.layer)
    if not len(cond):  # an empty layer: nothing to check (the arrays below need a row)
        return cond
    ids = cond["link_id"].to_numpy()
    node_xy = np.column_stack([nodes.geometry.x, nodes.geometry.y])
    node_ids = nodes["node_id"].to_numpy()
    index = {n: i for i, n in enumerate(node_ids)}
    tree = cKDTree(node_xy)
    coords = [shapely.get_coordinates(g) for g in cond.geometry]
    first = np.array([c[0, :2] for c in coords])
    last = np.array([c[-1, :2] for c in coords])
    cond = cond.copy()

    for end, xy, col in (("first", first, "from_node"), ("last", last, "to_node")):
        dist, near = tree.query(xy)
        given = cond[col].to_numpy()
        unknown = [g for g in given if g is not None and g not in index]
        if unknown:
            bad = cond[col].isin(unknown).to_numpy()
            raise NetworkError(f"{col} refers to nodes that do not exist: {describe_ids(unknown)}.",
                               **where, field=col, feature=list(ids[bad]),
                               hint="Add the nodes or correct the ids.")
        missing = np.array([g is None for g in given])
        far = missing & (dist > tol)
        if far.any():
            k = np.flatnonzero(far)
            detail = "; ".join(f"{ids[i]}: {dist[i]:.2f} m from {node_ids[near[i]]}" for i in k[:5])
            raise NetworkError(
                f"{end} vertex is farther than the snap tolerance ({tol:g} m) from any node "
                f"({detail}).", **where, field="geometry", feature=list(ids[k]),
                hint=f"Add the missing nodes, fix the line ends, give {col}, or raise "
                     "snap_tolerance.")
        if missing.any():
            cond.loc[missing, col] = node_ids[near[missing]]
            notes.append(f"{src}: {col} of {int(missing.sum())} conduits found by snapping "
                         f"(≤ {tol:g} m)")

    fi = np.array([index[n] for n in cond["from_node"]])
    ti = np.array([index[n] for n in cond["to_node"]])
    d_from = np.hypot(*(first - node_xy[fi]).T)
    d_to = np.hypot(*(last - node_xy[ti]).T)
    rev_from = np.hypot(*(last - node_xy[fi]).T)
    rev_to = np.hypot(*(first - node_xy[ti]).T)
    reversed_ = (d_from > tol) & (d_to > tol) & (rev_from <= tol) & (rev_to <= tol)
    far = ((d_from > tol) | (d_to > tol)) & ~reversed_
    if far.any():
        k = np.flatnonzero(far)
        detail = "; ".join(
            f"{ids[i]}: first vertex {d_from[i]:.2f} m from {cond['from_node'].iat[i]}, "
            f"last {d_to[i]:.2f} m from {cond['to_node'].iat[i]}" for i in k[:5])
        raise NetworkError(f"line ends are farther than the snap tolerance ({tol:g} m) from "
                           f"their nodes ({detail}).", **where, field="geometry",
                           feature=list(ids[k]),
                           hint="Correct from_node/to_node or the geometry, or raise "
                                "snap_tolerance.")
    loops = fi == ti
    if loops.any():
        raise NetworkError("conduit starts and ends at the same node.", **where,
                           field="to_node", feature=list(ids[loops]))
    if reversed_.any():
        notes.append(f"{src}: {int(reversed_.sum())} lines drawn against from_node→to_node "
                     f"were reversed: {describe_ids(ids[reversed_])}")
    geoms = []
    for c, r, a, b in zip(coords, reversed_, fi, ti):
        c = c[::-1].copy() if r else c.copy()
        c[0, :2], c[-1, :2] = node_xy[a], node_xy[b]
        geoms.append(shapely.linestrings(c[:, :2]))
    cond = cond.set_geometry(gpd.GeoSeries(geoms, index=cond.index, crs=cond.crs))

    circ = (cond["shape"] == "circular").to_numpy()
    need = [("diameter", circ), ("height", ~circ), ("width", ~circ)]
    for col, mask in need:
        empty = mask & cond[col].isna().to_numpy()
        if empty.any():
            which = "circular" if col == "diameter" else "non-circular"
            raise SchemaError(f"{col} is empty for {which} conduits.", **where, field=col,
                              feature=list(ids[empty]),
                              hint=f"Give {col} in m (or name the column {col}_mm for mm).")

    length = cond["length"].isna().to_numpy()
    if length.any():
        cond.loc[length, "length"] = cond.geometry[length].length
        notes.append(f"{src}: length of {int(length.sum())} conduits taken from the geometry")
    short = (cond["length"] <= 0).to_numpy()
    if short.any():
        raise NetworkError("conduit has zero length.", **where, field="length",
                           feature=list(ids[short]))

    inv = nodes["invert_elev"].to_numpy()
    for end, node_idx, abs_col, off_col in (("upstream", fi, "in_invert", "in_offset"),
                                             ("downstream", ti, "out_invert", "out_offset")):
        given = cond[abs_col].notna().to_numpy()
        if given.any():
            cond.loc[given, off_col] = cond.loc[given, abs_col].to_numpy() - inv[node_idx[given]]
            notes.append(f"{src}: {off_col} of {int(given.sum())} conduits from {abs_col}")
        below = (cond[off_col].to_numpy() < -1e-6)
        if below.any():
            k = np.flatnonzero(below)
            detail = "; ".join(f"{ids[i]}: {cond[off_col].iat[i]:+.2f} m" for i in k[:5])
            raise NetworkError(f"{end} end lies below its node's invert ({detail}).", **where,
                               field=abs_col if given.any() else off_col,
                               feature=list(ids[k]),
                               hint="A node's invert is its lowest point: lower the node's "
                                    "invert_elev or correct the conduit invert.")
    return cond


def _check_pumps(pumps: gpd.GeoDataFrame, stations: gpd.GeoDataFrame, nodes: gpd.GeoDataFrame,
                 psrc: LayerSource | None, ssrc: LayerSource | None) -> None:
    if len(pumps):
        where = dict(path=psrc.path, layer=psrc.layer)
        known = set(nodes["node_id"])
        for col in ("from_node", "to_node"):
            bad = ~pumps[col].isin(known)
            if bad.any():
                raise NetworkError(f"{col} refers to nodes that do not exist: "
                                   f"{describe_ids(pumps.loc[bad, col])}.", **where, field=col,
                                   feature=list(pumps.pump_id[bad]))
        bad = ~pumps["station_id"].isin(set(stations["station_id"]))
        if bad.any():
            raise NetworkError(
                f"station_id refers to stations that do not exist: "
                f"{describe_ids(sorted(set(pumps.station_id[bad])))}.", **where, field="station_id",
                feature=list(pumps.pump_id[bad]), hint="Add the station to the stations layer.")
        bad = pumps["off_depth"] > pumps["on_depth"]
        if bad.any():
            raise NetworkError("off_depth is above on_depth.", **where, field="off_depth",
                               feature=list(pumps.pump_id[bad]),
                               hint="A pump stops at a lower wet-well depth than it starts.")
    if len(stations):
        idle = ~stations["station_id"].isin(set(pumps["station_id"]))
        if idle.any():
            raise NetworkError("pump station has no pumps.", path=ssrc.path, layer=ssrc.layer,
                               field="station_id", feature=list(stations.station_id[idle]),
                               hint="Add its pumps to the pumps layer (station_id, from_node, "
                                    "to_node, capacity) or remove the station.")


def _check_regulators(regs: gpd.GeoDataFrame, nodes: gpd.GeoDataFrame, src: LayerSource) -> None:
    known = set(nodes["node_id"])
    for col in ("from_node", "to_node"):
        bad = ~regs[col].isin(known)
        if bad.any():
            raise NetworkError(f"{col} refers to nodes that do not exist: "
                               f"{describe_ids(regs.loc[bad, col])}.", path=src.path,
                               layer=src.layer or REGULATORS.name, field=col,
                               feature=list(regs.link_id[bad]))


def _check_subcatchments(subs: gpd.GeoDataFrame, nodes: gpd.GeoDataFrame, src: LayerSource,
                         notes: list[str]) -> gpd.GeoDataFrame:
    bad = ~subs["outlet"].isin(set(nodes["node_id"]))
    if bad.any():
        raise NetworkError(f"outlet refers to nodes that do not exist: "
                           f"{describe_ids(sorted(set(subs.outlet[bad])))}.", path=src.path,
                           layer=src.layer, field="outlet", feature=list(subs.subcatchment_id[bad]))
    area = subs["area"].isna()
    if area.any():
        subs = subs.copy()
        subs.loc[area, "area"] = subs.geometry[area].area
        notes.append(f"{src}: area of {int(area.sum())} subcatchments taken from the geometry")
    return subs
