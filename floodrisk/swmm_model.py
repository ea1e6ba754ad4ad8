"""An EPA SWMM model as one immutable value: the file as read, and its network in SI units.

:func:`floodrisk.io.swmm_inp.read_swmm_model` (``floodrisk.read_inp``) makes a
:class:`SwmmModel`; :func:`floodrisk.io.swmm_inp.write_swmm_model`
(``floodrisk.write_inp``) writes it back.

What the value holds
--------------------
- ``inp``: the parsed file (:class:`~floodrisk.io.swmm_inp.InpFile`), never changed: every
  section, comment and blank line as read.
- ``network``: the drainage network in SI units (m, m², m³/s) and the CRS the caller gave,
  built from the file (see :mod:`floodrisk.io.swmm_inp`).
- ``imported``: the network as first built from ``inp``. Edits are told apart from it.
- ``subcatchments``: every ``[SUBCATCHMENTS]`` row (also those that drain onto no node),
  with its ``[Polygons]`` ring as geometry where there is one.
- ``units`` (FLOW_UNITS), ``crs``.

Edits
-----
An edit is a new network: ``model.with_network(net)`` returns a model whose export
re-renders the network sections (JUNCTIONS, OUTFALLS, DIVIDERS, STORAGE, CONDUITS, PUMPS,
ORIFICES, WEIRS, OUTLETS, XSECTIONS, COORDINATES, VERTICES, and the rows of LOSSES,
INLET_USAGE, INFLOWS, DWF, RDII, TREATMENT and TAGS that name removed objects) from the
SI network converted back to the model's own units. Every other section is written as
read. Within the network sections, a row whose object did not change is written as read
(layout and comment); a changed row keeps its comment and the tokens floodrisk does not
model (initial depths, outfall stage data, storage shapes, culvert codes ...) and gets
new values for the rest. A model that was never edited is written byte for byte. The
rules, column by column, are in :mod:`floodrisk.io.swmm_inp`.

Typical edit::

    m = floodrisk.read_inp("city.inp", crs="EPSG:4547")
    c = m.network.conduits.copy()
    c.loc[c.link_id == "P17", "diameter"] = 0.8                  # m, whatever the units
    floodrisk.write_inp(m.with_network(dataclasses.replace(m.network, conduits=c)),
                        "city-p17.inp")

The value is frozen; ``with_network`` checks the new network (one CRS with the model,
unique ids, links between existing nodes) and returns a new value. The subcatchments
are not edited through the network: their sections are written as read.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd
from pyproj import CRS

from .errors import CRSError, NetworkError, describe_ids
from .network import DrainageNetwork

if TYPE_CHECKING:  # the io module imports this one
    from .io.swmm_inp import InpFile

__all__ = ["SwmmModel"]


@dataclass(frozen=True, eq=False)
class SwmmModel:
    """An EPA SWMM model: the ``.inp`` as read and its drainage network in SI units.

    Parameters
    ----------
    inp
        The parsed file, as read (the original is kept whatever the edits).
    network
        The drainage network, SI units, in ``crs``.
    imported
        The network as built from ``inp`` (edits are told apart from it).
    subcatchments
        Every ``[SUBCATCHMENTS]`` row: subcatchment_id, rain_gage, outlet (a node or
        another subcatchment), area (m²), imperviousness (0-1), width (m), slope (%),
        curb_length (m), snowpack; ``[Polygons]`` rings as geometry (None where there is
        none). None when the file has no subcatchments.
    units
        FLOW_UNITS of the model (``CFS``, ``GPM``, ``MGD``: US units; ``CMS``, ``LPS``,
        ``MLD``: SI units).
    crs
        CRS of the model's coordinates (given by the caller: ``.inp`` files carry none),
        or None.
    edited
        Whether the network was replaced (:meth:`with_network`): only then are the
        network sections re-rendered on export.
    """

    inp: InpFile
    network: DrainageNetwork
    imported: DrainageNetwork
    subcatchments: gpd.GeoDataFrame | None
    units: str
    crs: CRS | None
    edited: bool = False

    @property
    def path(self) -> Path | None:
        """The file the model was read from, if any."""
        return self.inp.path

    @property
    def us_units(self) -> bool:
        """Whether the model is in US units (lengths in ft, areas in acres)."""
        return self.units in ("CFS", "GPM", "MGD")

    @property
    def link_offsets(self) -> str:
        """LINK_OFFSETS of the model: ``DEPTH`` or ``ELEVATION``."""
        return self.inp.link_offsets

    @property
    def notes(self) -> tuple[str, ...]:
        """What the import filled in or converted (the network's notes)."""
        return self.network.notes

    def with_network(self, network: DrainageNetwork) -> SwmmModel:
        """The same model with another network (SI units, the model's CRS).

        Its export re-renders the network sections from ``network`` converted to the
        model's units; see the module docstring for what is kept.

        Parameters
        ----------
        network
            The edited network, e.g. ``model.network`` with changed layers
            (``dataclasses.replace(model.network, conduits=...)``).

        Raises
        ------
        CRSError
            The network is in another CRS than the model.
        NetworkError
            Duplicate ids, or links that name nodes the network does not have.
        """
        if not isinstance(network, DrainageNetwork):
            raise TypeError(f"expected a DrainageNetwork, got {type(network).__name__}")
        _check_crs(self, network)
        _check_ids(network, self.path)
        return dataclasses.replace(self, network=network, edited=True)

    def __repr__(self) -> str:
        subs = 0 if self.subcatchments is None else len(self.subcatchments)
        name = self.path.name if self.path is not None else "<no file>"
        return (f"SwmmModel({name}, {self.units}, {self.network!r}, {subs} subcatchments"
                f"{', edited' if self.edited else ''})")


def _check_crs(model: SwmmModel, net: DrainageNetwork) -> None:
    if net.crs is None or model.crs is None:
        if net.crs is not None and model.crs is None:
            raise CRSError(f"the network is in {net.crs.name} but the model has no CRS.",
                           path=model.path,
                           hint="Read the model with crs= the CRS of its coordinates.")
        return
    if not CRS.from_user_input(net.crs).equals(model.crs):
        raise CRSError(f"the network is in {CRS.from_user_input(net.crs).name}, the model in "
                       f"{model.crs.name}.", path=model.path,
                       hint="Reproject the network's layers to the model's CRS first.")


def _ids(frame: pd.DataFrame | None, col: str) -> pd.Series:
    if frame is None or not len(frame):
        return pd.Series([], dtype=object)
    return frame[col].astype(str)


def _check_ids(net: DrainageNetwork, path: Path | None) -> None:
    nodes = _ids(net.nodes, "node_id")
    dup = nodes[nodes.duplicated()]
    if len(dup):
        raise NetworkError("duplicate node ids.", path=path, layer="nodes",
                           feature=sorted(set(dup)), field="node_id",
                           hint="SWMM node names must be unique.")
    regs = net.regulators
    if regs is not None and len(regs):
        regs = regs[regs["kind"].astype(str) != "inlet"]   # street inlets are not links
    links = pd.concat([_ids(net.conduits, "link_id"), _ids(net.pumps, "pump_id"),
                       _ids(regs, "link_id")], ignore_index=True)
    dup = links[links.duplicated()]
    if len(dup):
        raise NetworkError("duplicate link ids (conduits, pumps, weirs, orifices and outlets "
                           "share one name space in SWMM).", path=path, layer="links",
                           feature=sorted(set(dup)), field="link_id",
                           hint="Give every link its own id.")
    known = set(nodes)
    for frame, layer, idc in ((net.conduits, "conduits", "link_id"),
                              (net.pumps, "pumps", "pump_id"),
                              (net.regulators, "regulators", "link_id")):
        if frame is None or not len(frame):
            continue
        for col in ("from_node", "to_node"):
            bad = ~frame[col].astype(str).isin(known).to_numpy()
            if bad.any():
                missing = sorted(set(frame[col].astype(str)[bad]))
                raise NetworkError(f"{col} refers to nodes the network does not have: "
                                   f"{describe_ids(missing)}.", path=path, layer=layer,
                                   field=col, feature=list(frame[idc].astype(str)[bad]),
                                   hint="Add the nodes, or correct the link.")

