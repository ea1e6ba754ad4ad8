"""The drainage network value, its graph, its data checks and its hydraulics on arrays.

:class:`DrainageNetwork` holds the validated layers (see :mod:`floodrisk.schema`).
Pipe hydraulics follow DOMAIN.md §3: Manning full-bore capacity
``Q_full = (1/n)·A·R^(2/3)·S^(1/2)``, which for a circular pipe is
``(0.3117/n)·D^(8/3)·S^(1/2)``.

The graph
---------
:func:`to_graph` makes a :class:`networkx.MultiDiGraph` on demand (it is never cached on
the value): one node per network node, one edge per conduit, pump and regulator, keyed
by its id. Each conduit points in its flow direction:

- if the conduits layer has a ``flow_direction`` (or ``direction``) column, a non-empty
  value there decides: ``as_drawn`` (also ``drawn``, ``forward``, ``positive``, ``1``,
  ``+1``, ``正向``, ``顺向``) keeps from_node → to_node, ``reversed`` (also ``reverse``,
  ``backward``, ``negative``, ``-1``, ``反向``, ``逆向``) turns it round; an empty value,
  ``auto`` or ``自动`` falls through to the next rule;
- otherwise the conduit runs from its higher end to its lower end, comparing end inverts
  (node invert + offset); equal ends keep the drawn direction.

Pumps and regulators point from their from_node to their to_node.

The checks
----------
:func:`check_network` returns one row per finding (see :data:`RULES` for every rule, its
severity and why). The thresholds live in :class:`CheckSettings`. Severities:
``error`` — the network cannot be used as it is for a capacity assessment or a model
(water cannot get out, levels contradict each other); ``warning`` — probably a data
error or a design weakness worth looking at, but the network still works; ``info`` —
what the checks could not look at.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from scipy import sparse
from scipy.sparse import csgraph

from .errors import ConfigError, NetworkError

__all__ = ["DrainageNetwork", "section_full", "full_flow_capacity", "conduit_slopes",
           "conduit_hydraulics", "conduit_rise", "to_graph", "Topology", "topology",
           "CheckSettings", "check_network", "findings_geometry", "RULES", "SEVERITIES",
           "FINDING_COLUMNS", "DIRECTION_COLUMNS"]


@dataclass(frozen=True, eq=False)
class DrainageNetwork:
    """Validated drainage network layers in one projected CRS (SI units).

    Parameters
    ----------
    nodes
        ``nodes`` layer (node_id, kind, invert_elev, rim_elev, max_depth, ...).
        ``rim_elev`` may be NaN where the rim is unknown (SWMM nodes without a
        maximum depth); the checks then skip the cover rules there.
    conduits
        ``conduits`` layer with from_node/to_node resolved, ends snapped onto their nodes,
        length and offsets filled in.
    pumps
        ``pumps`` table (may be empty).
    stations
        ``stations`` layer (may be empty).
    subcatchments
        ``subcatchments`` layer, or None when the data has none.
    crs
        The CRS of every layer.
    notes
        What the loader filled in or changed, one line each.
    regulators
        ``regulators`` table (weirs, orifices, outlets, street inlets: link_id, kind,
        from_node, to_node, ...), or None when the data has none.
    """

    nodes: gpd.GeoDataFrame
    conduits: gpd.GeoDataFrame
    pumps: gpd.GeoDataFrame
    stations: gpd.GeoDataFrame
    subcatchments: gpd.GeoDataFrame | None
    crs: CRS | None
    notes: tuple[str, ...] = field(default=())
    regulators: gpd.GeoDataFrame | None = None

    def layers(self) -> dict[str, gpd.GeoDataFrame]:
        """The layers by canonical name (empty ones included; regulators and
        subcatchments when present)."""
        out = {"nodes": self.nodes, "conduits": self.conduits, "pumps": self.pumps,
               "stations": self.stations}
        if self.regulators is not None:
            out["regulators"] = self.regulators
        if self.subcatchments is not None:
            out["subcatchments"] = self.subcatchments
        return out

    def __repr__(self) -> str:
        regs = "" if self.regulators is None else f", {len(self.regulators)} regulators"
        return (f"DrainageNetwork({len(self.nodes)} nodes, {len(self.conduits)} conduits, "
                f"{len(self.pumps)} pumps, {len(self.stations)} stations{regs})")


# ---- sections and Manning ---------------------------------------------------------------
def section_full(shape: np.ndarray, diameter: np.ndarray, height: np.ndarray,
                 width: np.ndarray, *, full_area: np.ndarray | None = None,
                 hydraulic_radius: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Flow area (m²) and hydraulic radius (m) of full sections.

    Parameters
    ----------
    shape
        ``"circular"``, ``"rect_closed"``, ``"rect_open"`` or ``"other"`` per conduit.
    diameter
        Diameter of circular sections, m.
    height, width
        Inside height and width of rectangular sections, m. An open rectangular
        channel's wetted perimeter at full depth leaves out the top: R = hw / (w + 2h).
    full_area, hydraulic_radius
        Full-flow area (m²) and hydraulic radius (m) of ``"other"`` sections (NaN or
        absent: unknown, the result is NaN there). Where given for other shapes too,
        they take precedence.
    """
    shape = np.asarray(shape)
    d = np.asarray(diameter, dtype=np.float64)
    h = np.asarray(height, dtype=np.float64)
    w = np.asarray(width, dtype=np.float64)
    circ = shape == "circular"
    rect = shape == "rect_closed"
    opened = shape == "rect_open"
    with np.errstate(invalid="ignore", divide="ignore"):
        area = np.where(circ, np.pi * d**2 / 4.0, np.where(rect | opened, h * w, np.nan))
        radius = np.where(circ, d / 4.0,
                          np.where(rect, h * w / (2.0 * (h + w)),
                                   np.where(opened, h * w / (w + 2.0 * h), np.nan)))
    if full_area is not None and hydraulic_radius is not None:
        a = np.asarray(full_area, dtype=np.float64)
        r = np.asarray(hydraulic_radius, dtype=np.float64)
        given = np.isfinite(a) & np.isfinite(r)
        area = np.where(given, a, area)
        radius = np.where(given, r, radius)
    return area, radius


def full_flow_capacity(shape: np.ndarray, diameter: np.ndarray, height: np.ndarray,
                       width: np.ndarray, roughness: np.ndarray, slope: np.ndarray, *,
                       full_area: np.ndarray | None = None,
                       hydraulic_radius: np.ndarray | None = None) -> np.ndarray:
    """Manning full-bore capacity of one barrel, m³/s; NaN where the slope is not positive
    or the section is unknown.

    Parameters
    ----------
    shape, diameter, height, width, full_area, hydraulic_radius
        Cross-sections, as for :func:`section_full`.
    roughness
        Manning n.
    slope
        Invert slope, m/m (positive downstream).
    """
    area, radius = section_full(shape, diameter, height, width, full_area=full_area,
                                hydraulic_radius=hydraulic_radius)
    s = np.asarray(slope, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        q = area * radius ** (2.0 / 3.0) * np.sqrt(np.where(s > 0, s, np.nan)) / np.asarray(
            roughness, dtype=np.float64)
    return q


def _extra(df: pd.DataFrame, column: str, default: float) -> np.ndarray:
    """A numeric column that only some data sets carry (SWMM's barrels, full_area ...)."""
    if column in df.columns:
        return pd.to_numeric(df[column], errors="coerce").to_numpy(dtype=np.float64)
    return np.full(len(df), default, dtype=np.float64)


def _sections(c: pd.DataFrame) -> dict[str, np.ndarray]:
    return dict(shape=c["shape"].to_numpy(), diameter=c["diameter"].to_numpy(dtype=np.float64),
                height=c["height"].to_numpy(dtype=np.float64),
                width=c["width"].to_numpy(dtype=np.float64),
                full_area=_extra(c, "full_area", np.nan),
                hydraulic_radius=_extra(c, "hydraulic_radius", np.nan))


def conduit_rise(conduits: pd.DataFrame) -> np.ndarray:
    """Inside height of each conduit's section (diameter of circular ones), m."""
    return np.where(conduits["shape"].to_numpy() == "circular",
                    conduits["diameter"].to_numpy(dtype=np.float64),
                    conduits["height"].to_numpy(dtype=np.float64))


def _closed(conduits: pd.DataFrame) -> np.ndarray:
    """Whether each section is closed (has a crown): an extra ``closed`` column where the
    data gives one (the SWMM reader does), else every shape but rect_open."""
    if "closed" in conduits.columns:
        return conduits["closed"].fillna(True).to_numpy(dtype=bool)
    return conduits["shape"].to_numpy() != "rect_open"


def _end_inverts(net: DrainageNetwork) -> tuple[np.ndarray, np.ndarray]:
    inv = net.nodes.set_index("node_id")["invert_elev"]
    c = net.conduits
    up = inv.reindex(c["from_node"]).to_numpy(dtype=np.float64) + c["in_offset"].to_numpy(
        dtype=np.float64)
    down = inv.reindex(c["to_node"]).to_numpy(dtype=np.float64) + c["out_offset"].to_numpy(
        dtype=np.float64)
    return up, down


def conduit_slopes(net: DrainageNetwork) -> np.ndarray:
    """Invert slope of each conduit from_node → to_node, m/m, from node inverts, offsets
    and length."""
    up, down = _end_inverts(net)
    return (up - down) / net.conduits["length"].to_numpy(dtype=np.float64)


def conduit_hydraulics(net: DrainageNetwork) -> pd.DataFrame:
    """Slope, full-bore capacity and full velocity of every conduit (as drawn).

    Returns
    -------
    DataFrame
        ``link_id``, ``slope`` (m/m, from_node → to_node), ``full_capacity`` (m³/s, all
        barrels; NaN where the slope is not positive or the section unknown) and
        ``full_velocity`` (m/s).
    """
    c = net.conduits
    slope = conduit_slopes(net)
    sec = _sections(c)
    q = full_flow_capacity(**sec, roughness=c["roughness"].to_numpy(dtype=np.float64),
                           slope=slope)
    area, _ = section_full(**sec)
    barrels = np.nan_to_num(_extra(c, "barrels", 1.0), nan=1.0)
    return pd.DataFrame({"link_id": c["link_id"].to_numpy(), "slope": slope,
                         "full_capacity": q * barrels, "full_velocity": q / area})


# ---- topology on arrays -----------------------------------------------------------------
#: Columns of the conduits layer that may say which way a conduit flows.
DIRECTION_COLUMNS = ("flow_direction", "direction")
_AS_DRAWN = {"as_drawn", "drawn", "forward", "positive", "1", "+1", "1.0", "正向", "顺向"}
_REVERSED = {"reversed", "reverse", "backward", "negative", "-1", "-1.0", "反向", "逆向"}
_AUTO = {"", "auto", "none", "nan", "自动"}


def _declared_reversal(conduits: pd.DataFrame) -> np.ndarray | None:
    """Per conduit: 1 reversed, 0 as drawn, -1 not said; None when no column says it."""
    col = next((c for c in DIRECTION_COLUMNS if c in conduits.columns), None)
    if col is None:
        return None
    raw = conduits[col]
    text = raw.map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v))
                   else str(v).strip().lower())
    out = np.full(len(conduits), -1, dtype=np.int8)
    out[text.isin(_AS_DRAWN).to_numpy()] = 0
    out[text.isin(_REVERSED).to_numpy()] = 1
    bad = ~text.isin(_AS_DRAWN | _REVERSED | _AUTO).to_numpy()
    if bad.any():
        raise NetworkError(
            f"unknown flow direction values {sorted(set(raw[bad].astype(str)))}.",
            layer="conduits", field=col, feature=list(conduits["link_id"][bad]),
            hint="Use 'as_drawn' or 'reversed' (or leave it empty to go by the inverts).")
    return out


@dataclass(frozen=True, eq=False)
class Topology:
    """The network as arrays: node and edge indices, edges in flow direction.

    Edges are the conduits (in their layer's order), then the pumps, then the regulators.

    Parameters
    ----------
    node_ids
        Node ids, in the nodes layer's order.
    src, dst
        Upstream and downstream node index of each edge (flow direction).
    kind
        ``conduit``, ``pump``, ``weir``, ``orifice``, ``outlet`` or ``inlet`` per edge.
    link_id
        Edge ids (conduit link_id, pump_id, regulator link_id).
    row
        Row of each edge in its own layer.
    reversed
        Whether the edge runs against its from_node → to_node (conduits only).
    declared
        Whether the conduit's direction was given by a direction column.
    up_invert, down_invert
        Invert at the upstream and downstream end in flow direction (NaN for pumps and
        regulators), m.
    length
        Conduit length (0 for pumps and regulators), m.
    """

    node_ids: np.ndarray
    src: np.ndarray
    dst: np.ndarray
    kind: np.ndarray
    link_id: np.ndarray
    row: np.ndarray
    reversed: np.ndarray
    declared: np.ndarray
    up_invert: np.ndarray
    down_invert: np.ndarray
    length: np.ndarray

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.node_ids)

    @property
    def n_conduits(self) -> int:
        """Number of conduit edges (the first edges)."""
        return int(np.count_nonzero(self.kind == "conduit"))

    def matrix(self, mask: np.ndarray | None = None) -> sparse.csr_matrix:
        """Adjacency matrix (node × node, 1 where an edge leads from row to column)."""
        keep = np.ones(len(self.src), dtype=bool) if mask is None else mask
        n = self.n_nodes
        return sparse.csr_matrix((np.ones(int(keep.sum()), dtype=np.int8),
                                  (self.src[keep], self.dst[keep])), shape=(n, n))


def _node_index(net: DrainageNetwork, ids: pd.Series, layer: str, field: str,
                link_ids: pd.Series) -> np.ndarray:
    index = pd.Index(net.nodes["node_id"].to_numpy())
    idx = index.get_indexer(ids.to_numpy())
    bad = idx < 0
    if bad.any():
        raise NetworkError(f"{field} refers to nodes that do not exist.", layer=layer,
                           field=field, feature=list(link_ids[bad]))
    return idx


def topology(net: DrainageNetwork, direction: Literal["inverts", "drawn"] = "inverts"
             ) -> Topology:
    """Index the network's nodes and links as arrays, conduits in flow direction.

    Parameters
    ----------
    net
        The network.
    direction
        ``"inverts"`` (default): a conduit runs from its higher end to its lower end unless
        a direction column says otherwise (see the module docstring); ``"drawn"``: every
        conduit runs from_node → to_node.
    """
    if not net.nodes["node_id"].is_unique:
        raise NetworkError("duplicate node_id values.", layer="nodes", field="node_id")
    c = net.conduits
    fi = _node_index(net, c["from_node"], "conduits", "from_node", c["link_id"])
    ti = _node_index(net, c["to_node"], "conduits", "to_node", c["link_id"])
    up, down = _end_inverts(net)
    declared = np.zeros(len(c), dtype=bool)
    if direction == "drawn":
        rev = np.zeros(len(c), dtype=bool)
    elif direction == "inverts":
        rev = down - up > 1e-9   # level ends (to rounding) keep the drawn direction
        said = _declared_reversal(c)
        if said is not None:
            declared = said >= 0
            rev = np.where(declared, said == 1, rev)
    else:
        raise ValueError(f"direction must be 'inverts' or 'drawn', not {direction!r}")
    src = np.where(rev, ti, fi)
    dst = np.where(rev, fi, ti)
    parts = [(src, dst, np.full(len(c), "conduit", dtype=object), c["link_id"].to_numpy(),
              np.arange(len(c)), rev, declared, np.where(rev, down, up), np.where(rev, up, down),
              c["length"].to_numpy(dtype=np.float64))]
    for frame, id_col, kind in ((net.pumps, "pump_id", None), (net.regulators, "link_id", "")):
        if frame is None or not len(frame):
            continue
        a = _node_index(net, frame["from_node"], "pumps" if kind is None else "regulators",
                        "from_node", frame[id_col])
        b = _node_index(net, frame["to_node"], "pumps" if kind is None else "regulators",
                        "to_node", frame[id_col])
        n = len(frame)
        kinds = (np.full(n, "pump", dtype=object) if kind is None
                 else frame["kind"].astype(object).to_numpy())
        parts.append((a, b, kinds, frame[id_col].to_numpy(), np.arange(n),
                      np.zeros(n, dtype=bool), np.zeros(n, dtype=bool), np.full(n, np.nan),
                      np.full(n, np.nan), np.zeros(n)))
    cols = [np.concatenate([p[k] for p in parts]) for k in range(10)]
    return Topology(net.nodes["node_id"].to_numpy(), cols[0].astype(np.int64),
                    cols[1].astype(np.int64), cols[2].astype(object), cols[3].astype(object),
                    cols[4].astype(np.int64), cols[5].astype(bool), cols[6].astype(bool),
                    cols[7].astype(np.float64), cols[8].astype(np.float64),
                    cols[9].astype(np.float64))


def _records(df: pd.DataFrame) -> list[dict]:
    """Rows as dicts, leaving out columns that are empty throughout (NaN elsewhere stays)."""
    full = [c for c in df.columns if df[c].notna().any()]
    return df[full].to_dict("records")


def to_graph(net: DrainageNetwork, direction: Literal["inverts", "drawn"] = "inverts"
             ) -> nx.MultiDiGraph:
    """The network as a directed multigraph, made on demand (never cached).

    Parameters
    ----------
    net
        The network.
    direction
        How conduits are directed, as for :func:`topology`.

    Returns
    -------
    networkx.MultiDiGraph
        Nodes keyed by node_id with the nodes layer's attributes plus ``x`` and ``y``;
        edges keyed by link id, each with ``link_id``, ``kind`` (``conduit``, ``pump``,
        ``weir``, ``orifice``, ``outlet``, ``inlet``) and ``length`` (m, 0 for pumps and
        regulators); conduits also carry ``shape``, ``diameter``, ``height``, ``width``,
        ``roughness``, ``barrels``, ``slope`` (m/m in flow direction), ``up_invert``,
        ``down_invert`` (m), ``reversed`` (True when the flow runs against
        from_node → to_node); pumps ``capacity`` (m³/s), ``station_id``, ``on_depth``,
        ``off_depth``; regulators their layer's columns.
    """
    top = topology(net, direction)
    g = nx.MultiDiGraph(crs=None if net.crs is None else net.crs.to_string())
    nodes = net.nodes
    attrs = pd.DataFrame(nodes.drop(columns=nodes.geometry.name))
    geom = nodes.geometry
    has = geom.notna().to_numpy() & ~geom.is_empty.to_numpy()
    x = np.full(len(nodes), np.nan)
    y = np.full(len(nodes), np.nan)
    if has.any():
        x[has] = shapely.get_x(geom.to_numpy()[has])
        y[has] = shapely.get_y(geom.to_numpy()[has])
    attrs["x"], attrs["y"] = x, y
    g.add_nodes_from(zip(top.node_ids, _records(attrs)))

    c = net.conduits
    nc = len(c)
    sec = pd.DataFrame({
        "link_id": c["link_id"].to_numpy(), "kind": "conduit",
        "length": c["length"].to_numpy(dtype=np.float64),
        "shape": c["shape"].to_numpy(), "diameter": c["diameter"].to_numpy(dtype=np.float64),
        "height": c["height"].to_numpy(dtype=np.float64),
        "width": c["width"].to_numpy(dtype=np.float64),
        "roughness": c["roughness"].to_numpy(dtype=np.float64),
        "barrels": np.nan_to_num(_extra(c, "barrels", 1.0), nan=1.0),
        "up_invert": top.up_invert[:nc], "down_invert": top.down_invert[:nc],
        "reversed": top.reversed[:nc],
    })
    with np.errstate(invalid="ignore", divide="ignore"):
        sec["slope"] = (top.up_invert[:nc] - top.down_invert[:nc]) / sec["length"].to_numpy()
    for extra in ("full_area", "hydraulic_radius"):
        if extra in c.columns:
            sec[extra] = _extra(c, extra, np.nan)
    edge_attrs = _records(sec)
    if len(net.pumps):
        p = pd.DataFrame(net.pumps.drop(columns=net.pumps.geometry.name))
        p = p.drop(columns=["from_node", "to_node"]).rename(columns={"pump_id": "link_id"})
        p.insert(1, "kind", "pump")
        p["length"] = 0.0
        edge_attrs += _records(p)
    if net.regulators is not None and len(net.regulators):
        r = net.regulators
        r = pd.DataFrame(r.drop(columns=[r.geometry.name, "from_node", "to_node"]))
        r["length"] = 0.0
        edge_attrs += _records(r)
    u = top.node_ids[top.src]
    v = top.node_ids[top.dst]
    g.add_edges_from(zip(u, v, top.link_id, edge_attrs))
    return g


# ---- checks -----------------------------------------------------------------------------
SEVERITIES = ("error", "warning", "info")

#: Every rule :func:`check_network` applies: name → (severity, what it finds).
RULES: dict[str, tuple[str, str]] = {
    "no_outfall_path": ("error", "nodes from which no path (through conduits, pumps and "
                        "regulators, in flow direction) reaches an outfall: their water has "
                        "nowhere to go"),
    "adverse_path": ("warning", "nodes that reach an outfall only through conduits whose "
                     "inverts rise in their drawn direction (gravity takes them the other "
                     "way)"),
    "orphan_node": ("warning", "nodes with no conduit, pump or regulator (error when a "
                    "subcatchment drains to it: that runoff is lost)"),
    "gravity_cycle": ("warning", "conduits and regulators forming a closed loop in flow "
                      "direction: the flow direction is ambiguous (one finding per loop "
                      "system)"),
    "adverse_slope": ("error", "conduits whose downstream invert (as drawn, or as the "
                      "direction column says) lies higher than their upstream invert"),
    "flat_conduit": ("warning", "conduits with no fall: Manning gives no gravity capacity"),
    "diameter_decrease": ("warning", "a conduit smaller (section height) than a conduit "
                          "flowing into its upstream node"),
    "invert_above_rim": ("error", "nodes whose invert lies above their rim"),
    "crown_above_rim": ("error", "nodes where a conduit's crown (node invert + offset + "
                        "section height) lies above the rim: the pipe sticks out of the "
                        "ground"),
    "low_cover": ("warning", "nodes where the cover over the highest conduit crown is less "
                  "than the minimum cover"),
    "rim_unknown": ("info", "nodes whose rim is unknown: the cover rules were skipped there"),
    "length_mismatch": ("warning", "conduits whose length attribute differs much from the "
                        "length of their geometry"),
    "length_unchecked": ("info", "the network has no CRS: line lengths cannot be compared "
                         "with conduit lengths"),
    "duplicate_conduit": ("warning", "several conduits between the same two nodes"),
    "outfall_no_inflow": ("error", "outfalls that nothing flows into (their links all lead "
                          "away from them)"),
    "section_unknown": ("info", "conduits whose full-flow area is unknown: no capacity can "
                        "be worked out"),
}

#: Columns of the findings table.
FINDING_COLUMNS = ("severity", "rule", "layer", "feature_ids", "message", "suggested_fix")


@dataclass(frozen=True)
class CheckSettings:
    """Thresholds of :func:`check_network`.

    Parameters
    ----------
    min_cover
        Least soil cover over a conduit crown at a node, m. 0.5 m is a project default
        (GB 50014 asks about 0.7 m under carriageways; 0.5 m flags only clear problems).
    level_tolerance
        Differences of levels smaller than this are ignored (adverse and flat slopes,
        invert above rim), m. Project default: levels are surveyed to the millimetre.
    size_tolerance
        Section heights closer than this count as equal (diameter decrease), m.
    length_ratio_max, length_ratio_min
        A conduit's length attribute over its geometry length outside this range is a
        finding. Project default 1.5 and 0.67 (about 1/1.5): lines drawn between manholes
        are straight, so a length much longer or shorter than the line is suspect.
    """

    min_cover: float = 0.5
    level_tolerance: float = 0.001
    size_tolerance: float = 0.001
    length_ratio_max: float = 1.5
    length_ratio_min: float = 0.67

    def __post_init__(self) -> None:
        for name in ("min_cover", "level_tolerance", "size_tolerance"):
            v = getattr(self, name)
            if not (np.isfinite(v) and v >= 0):
                raise ConfigError(f"{name} must be ≥ 0, got {v}.", field=name)
        if not (0 < self.length_ratio_min < 1 < self.length_ratio_max):
            raise ConfigError("need 0 < length_ratio_min < 1 < length_ratio_max.",
                              field="length_ratio_min")


def _ids(values: Iterable) -> list[str]:
    return [str(v) for v in values]


def _short(ids: list[str], limit: int = 6) -> str:
    shown = ", ".join(ids[:limit])
    return shown + (f" and {len(ids) - limit} more" if len(ids) > limit else "")


class _Findings:
    def __init__(self) -> None:
        self.rows: list[tuple] = []

    def add(self, rule: str, layer: str, ids: list[str], message: str, fix: str,
            severity: str | None = None) -> None:
        self.rows.append((severity or RULES[rule][0], rule, layer, ids, message, fix))

    def frame(self) -> pd.DataFrame:
        df = pd.DataFrame(self.rows, columns=list(FINDING_COLUMNS))
        if len(df):
            order = df["severity"].map({s: i for i, s in enumerate(SEVERITIES)})
            rule = df["rule"].map({r: i for i, r in enumerate(RULES)})
            first = df["feature_ids"].map(lambda v: v[0] if v else "")
            df = (df.assign(_o=order, _r=rule, _f=first)
                  .sort_values(["_o", "_r", "_f"], kind="stable")
                  .drop(columns=["_o", "_r", "_f"]).reset_index(drop=True))
        return df


def _metres_per_unit(crs: CRS | None) -> float | None:
    """Metres per coordinate unit of a projected CRS; None when there is no CRS."""
    if crs is None:
        return None
    crs = CRS.from_user_input(crs)
    try:
        return float(crs.axis_info[0].unit_conversion_factor)
    except (IndexError, AttributeError):
        return 1.0


def _reaches(src: np.ndarray, dst: np.ndarray, target: np.ndarray, n: int) -> np.ndarray:
    """Which nodes have a directed path (src → dst edges) to a node where ``target``."""
    # reverse graph plus a super node n linked to every target: one BFS from it
    rows = np.concatenate([dst, np.full(int(target.sum()), n)])
    cols = np.concatenate([src, np.flatnonzero(target)])
    rev = sparse.csr_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)),
                            shape=(n + 1, n + 1))
    reach = np.zeros(n + 1, dtype=bool)
    reach[csgraph.breadth_first_order(rev, n, directed=True, return_predecessors=False)] = True
    return reach[:n]


def check_network(net: DrainageNetwork, settings: CheckSettings | None = None) -> pd.DataFrame:
    """Check a drainage network's topology, levels and geometry.

    Parameters
    ----------
    net
        The network.
    settings
        Thresholds (default :class:`CheckSettings`).

    Returns
    -------
    DataFrame
        One row per finding, sorted by severity and rule: ``severity`` (error, warning,
        info), ``rule`` (see :data:`RULES`), ``layer`` (``nodes`` or ``links``: what the
        ids name; links are conduits, pumps and regulators), ``feature_ids`` (list of
        ids), ``message`` and ``suggested_fix``.
    """
    s = settings or CheckSettings()
    top = topology(net)
    out = _Findings()
    nodes = net.nodes
    ids = top.node_ids.astype(str)
    kind = nodes["kind"].to_numpy()
    n = top.n_nodes
    nc = len(net.conduits)

    # -- degrees, orphans, outfalls ---------------------------------------------------
    indeg = np.bincount(top.dst, minlength=n)
    outdeg = np.bincount(top.src, minlength=n)
    orphan = (indeg + outdeg) == 0
    receives = np.zeros(n, dtype=bool)
    if net.subcatchments is not None and len(net.subcatchments):
        at = pd.Index(top.node_ids).get_indexer(net.subcatchments["outlet"].to_numpy())
        receives[at[at >= 0]] = True
    for i in np.flatnonzero(orphan):
        runoff = receives[i]
        out.add("orphan_node", "nodes", [ids[i]],
                f"{kind[i]} {ids[i]} has no conduit, pump or regulator"
                + ("; runoff from subcatchments drains to it and is lost." if runoff else "."),
                "Connect it with the missing conduit(s), or delete it if it is not part of "
                "the network.", severity="error" if runoff else None)
    is_out = kind == "outfall"
    for i in np.flatnonzero(is_out & ~orphan & (indeg == 0)):
        away = top.link_id[top.src == i]
        out.add("outfall_no_inflow", "nodes", [ids[i]],
                f"outfall {ids[i]} receives no flow: its links ({_short(_ids(away))}) all "
                "lead away from it.",
                "Check the outfall's invert and the conduit inverts (an outfall must be the "
                "low end), or whether the node is an outfall at all.")

    # -- reachability of an outfall ----------------------------------------------------
    if n:
        adj = top.matrix()
        # Conduits running against their drawn direction (by their inverts, no direction
        # column) may also carry water as drawn under a surcharge: a node that reaches an
        # outfall only that way gets a warning, one that cannot reach one at all an error.
        alt = top.reversed & ~top.declared
        reach_flow = _reaches(top.src, top.dst, is_out, n)
        reach_any = _reaches(np.concatenate([top.src, top.dst[alt]]),
                             np.concatenate([top.dst, top.src[alt]]), is_out, n)
        stranded = ~reach_any & ~orphan & ~is_out
        uphill = reach_any & ~reach_flow & ~orphan & ~is_out
        for mask, rule in ((stranded, "no_outfall_path"), (uphill, "adverse_path")):
            if not mask.any():
                continue
            idx = np.flatnonzero(mask)
            sub = adj[idx][:, idx]
            ncomp, label = csgraph.connected_components(sub, directed=True, connection="weak")
            sub_out = np.asarray(sub.sum(axis=1)).ravel()
            for k in range(ncomp):
                members = idx[label == k]
                many = len(members) > 1
                head = (f"{len(members)} node{'s' if many else ''} "
                        f"({_short(_ids(ids[members]))})")
                if rule == "no_outfall_path":
                    ends = idx[(label == k) & (sub_out == 0) & (outdeg[idx] == 0)]
                    where = (f"they drain to {_short(_ids(ids[ends]))}, which "
                             f"{'has' if len(ends) == 1 else 'have'} no outlet"
                             if len(ends) else "they only drain round a loop")
                    out.add(rule, "nodes", _ids(ids[members]),
                            f"{head} cannot reach an outfall: {where}.",
                            "Add the missing link to the network downstream, correct the "
                            "inverts, or mark the last node as an outfall.")
                else:
                    inside = np.zeros(n, dtype=bool)
                    inside[members] = True
                    via = top.link_id[alt & inside[top.dst]]
                    out.add(rule, "nodes", _ids(ids[members]),
                            f"{head} reach an outfall only against the fall of "
                            f"{_short(_ids(via))}: by gravity their water has nowhere to go.",
                            "Check the inverts of those conduits (see adverse_slope); where "
                            "they are right, the flow needs a surcharge to get out.")

        # -- loops of the gravity network -------------------------------------------------
        gravity = top.kind != "pump"
        g_adj = top.matrix(gravity)
        ncomp, label = csgraph.connected_components(g_adj, directed=True, connection="strong")
        sizes = np.bincount(label, minlength=ncomp)
        big = np.flatnonzero(sizes > 1)
        if len(big):
            e_in = gravity & (label[top.src] == label[top.dst]) & (sizes[label[top.src]] > 1)
            for k in big:
                links = top.link_id[e_in & (label[top.src] == k)]
                members = ids[label == k]
                out.add("gravity_cycle", "links", _ids(links),
                        f"{len(links)} links ({_short(_ids(links))}) form a loop through "
                        f"nodes {_short(_ids(members))}: flow can go round.",
                        "Check the inverts and offsets along the loop; give a flow_direction "
                        "where a conduit's direction is known.")

    # -- conduit levels ------------------------------------------------------------------
    c = net.conduits
    cid = c["link_id"].astype(str).to_numpy()
    up, down = _end_inverts(net)
    said = _declared_reversal(c)
    declared_rev = np.zeros(nc, dtype=bool) if said is None else said == 1
    d_up = np.where(declared_rev, down, up)
    d_down = np.where(declared_rev, up, down)
    fall = d_up - d_down
    frm = c["from_node"].astype(str).to_numpy()
    to = c["to_node"].astype(str).to_numpy()
    d_from = np.where(declared_rev, to, frm)
    d_to = np.where(declared_rev, frm, to)
    for i in np.flatnonzero(fall < -s.level_tolerance):
        out.add("adverse_slope", "links", [cid[i]],
                f"conduit {cid[i]} ({d_from[i]} → {d_to[i]}) rises {-fall[i]:.3f} m "
                f"downstream: upstream invert {d_up[i]:.3f} m, downstream {d_down[i]:.3f} m.",
                "Check both end inverts (and offsets) against the survey; if the conduit is "
                "drawn the wrong way round, swap from_node and to_node.")
    for i in np.flatnonzero(np.abs(fall) <= s.level_tolerance):
        out.add("flat_conduit", "links", [cid[i]],
                f"conduit {cid[i]} ({d_from[i]} → {d_to[i]}) has no fall (both ends at "
                f"{d_up[i]:.3f} m).",
                "Check the end inverts; a flat pipe has no Manning gravity capacity.")

    # -- sections ------------------------------------------------------------------------
    sec = _sections(c)
    area, radius = section_full(**sec)
    unknown = ~(np.isfinite(area) & np.isfinite(radius))
    if unknown.any():
        k = np.flatnonzero(unknown)
        shapes = c["swmm_shape"].astype(str).to_numpy() if "swmm_shape" in c else sec["shape"]
        out.add("section_unknown", "links", _ids(cid[k]),
                f"{len(k)} conduits have a section whose full-flow area is unknown "
                f"({', '.join(sorted(set(map(str, shapes[k]))))}): {_short(_ids(cid[k]))}.",
                "Give full_area and hydraulic_radius for shape 'other' to assess capacity.")
    rise = conduit_rise(c)
    if nc:
        e = pd.DataFrame({"e": np.arange(nc), "u": top.src[:nc], "v": top.dst[:nc],
                          "rise": rise})
        pairs = e.merge(e, left_on="v", right_on="u", suffixes=("_in", "_out"))
        smaller = pairs[pairs["rise_out"] < pairs["rise_in"] - s.size_tolerance]
        for e_out, grp in smaller.groupby("e_out", sort=True):
            bigger = grp.sort_values("rise_in", ascending=False)
            ins = _ids(cid[bigger["e_in"].to_numpy()])
            node = ids[int(grp["u_out"].iat[0])]
            out.add("diameter_decrease", "links", ins + [cid[e_out]],
                    f"conduit {cid[e_out]} ({rise[e_out]:.3f} m) leaves node {node} smaller "
                    f"than {', '.join(ins[:3])} flowing in ({bigger['rise_in'].iat[0]:.3f} m).",
                    "Check the sizes; a smaller downstream section is only acceptable where a "
                    "steeper slope gives it the capacity (GB 50014).")

    # -- node levels and cover -----------------------------------------------------------
    inv = nodes["invert_elev"].to_numpy(dtype=np.float64)
    rim = nodes["rim_elev"].to_numpy(dtype=np.float64)
    above = np.isfinite(rim) & (inv > rim + s.level_tolerance)
    for i in np.flatnonzero(above):
        out.add("invert_above_rim", "nodes", [ids[i]],
                f"{kind[i]} {ids[i]}: invert {inv[i]:.3f} m lies above the rim {rim[i]:.3f} m.",
                "Check the levels' datum and whether invert and rim are swapped.")
    no_rim = ~np.isfinite(rim) & ~orphan & ~is_out
    if no_rim.any():
        k = np.flatnonzero(no_rim)
        out.add("rim_unknown", "nodes", _ids(ids[k]),
                f"the rim of {len(k)} nodes is unknown ({_short(_ids(ids[k]))}): cover was "
                "not checked there.",
                "Give rim_elev (or max_depth), or a DEM to sample the ground from.")
    if nc:
        closed = _closed(c)
        fi = pd.Index(top.node_ids).get_indexer(c["from_node"].to_numpy())
        ti = pd.Index(top.node_ids).get_indexer(c["to_node"].to_numpy())
        ends = pd.DataFrame({
            "node": np.concatenate([fi, ti]),
            "crown": np.concatenate([up + rise, down + rise]),
            "e": np.concatenate([np.arange(nc), np.arange(nc)]),
            "closed": np.concatenate([closed, closed]),
        })
        ends = ends[ends["closed"] & np.isfinite(ends["crown"].to_numpy())]
        ends["cover"] = rim[ends["node"].to_numpy()] - ends["crown"].to_numpy()
        ok_node = np.isfinite(rim) & ~is_out & ~above
        ends = ends[ok_node[ends["node"].to_numpy()]]
        low = ends[ends["cover"] < s.min_cover]
        for node, at_node in low.groupby("node", sort=True):
            grp = at_node.sort_values("cover")
            worst = float(grp["cover"].iat[0])
            links = _ids(cid[grp["e"].to_numpy()])
            if worst < 0:
                out.add("crown_above_rim", "nodes", [ids[node]],
                        f"at {kind[node]} {ids[node]} the crown of {_short(links, 3)} lies "
                        f"{-worst:.3f} m above the rim ({rim[node]:.3f} m).",
                        "Check the rim and the conduit inverts, offsets and sizes.")
            else:
                out.add("low_cover", "nodes", [ids[node]],
                        f"at {kind[node]} {ids[node]} the cover over {_short(links, 3)} is "
                        f"{worst:.3f} m (< {s.min_cover:g} m).",
                        "Check the levels; protect or lower the pipe where the cover is "
                        "real.")

    # -- geometry length -----------------------------------------------------------------
    if nc:
        geom = c.geometry.to_numpy()
        has = ~(pd.isna(geom) | shapely.is_empty(geom))
        glen = np.full(nc, np.nan)
        glen[has] = shapely.length(geom[has])
        length = c["length"].to_numpy(dtype=np.float64)
        unit = _metres_per_unit(net.crs)
        if unit is None:
            bad = np.zeros(nc, dtype=bool)
            if has.any():
                out.add("length_unchecked", "links", [],
                        "the network has no CRS: conduit lengths were not compared with "
                        "their lines.", "Give the CRS of the coordinates (--crs).")
        else:
            glen *= unit
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = length / glen
            bad = has & ((ratio > s.length_ratio_max) | (ratio < s.length_ratio_min))
        for i in np.flatnonzero(bad):
            out.add("length_mismatch", "links", [cid[i]],
                    f"conduit {cid[i]}: length {length[i]:.2f} m but its line is "
                    f"{glen[i]:.2f} m long (ratio {ratio[i]:.2f}).",
                    "Check the length attribute and the line's vertices (and its units).")

        # -- duplicates ------------------------------------------------------------------
        a = np.minimum(fi, ti)
        b = np.maximum(fi, ti)
        pair = pd.DataFrame({"a": a, "b": b, "e": np.arange(nc)})
        dup = pair[pair.duplicated(["a", "b"], keep=False)]
        for (ia, ib), grp in dup.groupby(["a", "b"], sort=True):
            links = _ids(cid[grp["e"].to_numpy()])
            out.add("duplicate_conduit", "links", links,
                    f"{len(links)} conduits ({_short(links)}) join nodes {ids[ia]} and "
                    f"{ids[ib]}.",
                    "Delete the duplicate, or keep them if they are real parallel barrels.")
    return out.frame()


def findings_geometry(net: DrainageNetwork, findings: pd.DataFrame) -> gpd.GeoDataFrame:
    """The findings with the geometry of the features they name.

    Node findings get a MultiPoint of their nodes, link findings a MultiLineString of
    their conduits (pumps and regulators without geometry: a line between their nodes);
    features without geometry are left out (no geometry at all: None).

    Parameters
    ----------
    net
        The network checked.
    findings
        The table :func:`check_network` returned.

    Returns
    -------
    GeoDataFrame
        The findings' columns with ``feature_ids`` as a comma-separated string, in the
        network's CRS.
    """
    node_geom = dict(zip(net.nodes["node_id"].astype(str), net.nodes.geometry))
    link_geom: dict[str, object] = {}

    def between(a: object, b: object) -> object:
        pa, pb = node_geom.get(str(a)), node_geom.get(str(b))
        if pa is None or pb is None or pa.is_empty or pb.is_empty:
            return None
        return shapely.LineString([pa.coords[0], pb.coords[0]])

    for frame, id_col in ((net.pumps, "pump_id"), (net.regulators, "link_id")):
        if frame is None or not len(frame):
            continue
        for fid, a, b, g in zip(frame[id_col], frame["from_node"], frame["to_node"],
                                frame.geometry):
            link_geom[str(fid)] = g if g is not None and not g.is_empty else between(a, b)
    link_geom.update(zip(net.conduits["link_id"].astype(str), net.conduits.geometry))
    geoms = []
    for layer, fids in zip(findings["layer"], findings["feature_ids"]):
        lookup = node_geom if layer == "nodes" else link_geom
        parts = [lookup.get(str(f)) for f in fids]
        parts = [p for p in parts if p is not None and not p.is_empty]
        if not parts:
            geoms.append(None)
        elif layer == "nodes":
            geoms.append(shapely.MultiPoint(parts))
        else:
            geoms.append(shapely.MultiLineString(parts))
    df = pd.DataFrame(findings).copy()
    df["feature_ids"] = df["feature_ids"].map(
        lambda v: ",".join(map(str, v)) if isinstance(v, (list, tuple)) else str(v))
    return gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(geoms, crs=net.crs), crs=net.crs)
