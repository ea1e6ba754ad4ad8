"""Write an SWMM run's results: GIS layers on the network's geometry and time-series CSVs.

The tables of a :class:`~floodrisk.engines.swmm.DrainageResult` carry ids, not geometry;
the layers here join them to the study network's points and lines so that a GIS opens
them on the map: ``drainage_nodes`` (points), ``drainage_conduits`` (lines) and
``drainage_pumps`` (at the wet well the pump draws from). Columns and units are those of
:mod:`floodrisk.variables`.
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path

import geopandas as gpd
import pandas as pd

from ..engines.swmm import DrainageResult
from ..network import DrainageNetwork

__all__ = ["drainage_layers", "write_series_csv"]


def drainage_layers(net: DrainageNetwork, result: DrainageResult) -> dict[str, gpd.GeoDataFrame]:
    """The result tables as layers on the network's geometry.

    Parameters
    ----------
    net
        The network the model was built from (its ids are the result's ids).
    result
        The SWMM run.

    Returns
    -------
    dict
        ``drainage_nodes``, ``drainage_conduits`` and, when the network has pumps,
        ``drainage_pumps``; elements without geometry in the network keep a null
        geometry.
    """
    crs = net.nodes.crs
    node_xy = net.nodes.set_index(net.nodes["node_id"].astype(str)).geometry
    nodes = result.nodes.copy()
    nodes["node_id"] = nodes["node_id"].astype(str)
    layers = {"drainage_nodes": gpd.GeoDataFrame(
        nodes, geometry=node_xy.reindex(nodes["node_id"]).to_numpy(), crs=crs)}
    lines = net.conduits.set_index(net.conduits["link_id"].astype(str)).geometry
    conduits = result.conduits.copy()
    conduits["link_id"] = conduits["link_id"].astype(str)
    layers["drainage_conduits"] = gpd.GeoDataFrame(
        conduits, geometry=lines.reindex(conduits["link_id"]).to_numpy(), crs=crs)
    if len(result.pumps):
        pumps = result.pumps.copy()
        layers["drainage_pumps"] = gpd.GeoDataFrame(
            pumps, geometry=node_xy.reindex(pumps["from_node"].astype(str)).to_numpy(), crs=crs)
    return layers


def write_series_csv(series: pd.DataFrame, path: str | PathLike[str], *,
                     columns: list[str] | None = None) -> Path:
    """Write one time series table (index ``time_s``, one column per element) as CSV.

    Parameters
    ----------
    series
        A table of :attr:`DrainageResult.series`.
    path
        The CSV file.
    columns
        The elements to keep (default: all), in this order.
    """
    path = Path(path)
    table = series if columns is None else series.loc[:, columns]
    table.to_csv(path, float_format="%.6g", encoding="utf-8")
    return path
