"""The surface runoff a storm leaves when the pipes have taken what they can: the input of
the depression screening.

Per DEM cell: ψ (from land cover) times the rain falling faster than the cell's pipes can
carry (:func:`floodrisk.engines.screening.excess_runoff`). A cell's pipe rate is that of
the nearest junction's outgoing conduits (:func:`floodrisk.capacity.node_drain_rates`),
except in a depression with no junction in it: rain on the bowl itself cannot reach a
pipe and all of it runs off.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np

from .capacity import CapacitySettings, inlet_cells, node_drain_rates, runoff_coefficient_grid
from .engines.screening import excess_runoff
from .grid import Grid
from .network import DrainageNetwork
from .rainfall import Hyetograph
from .terrain import Depressions

__all__ = ["Surplus", "surplus_runoff", "depressions_without_inlets"]


@dataclass(frozen=True, eq=False)
class Surplus:
    """Runoff left on the surface.

    Parameters
    ----------
    runoff
        Runoff depth per cell, m (0 outside the domain).
    runoff_coefficient
        ψ per cell.
    drain_rate
        Rain rate the cell's pipes carry, m/s (0: none).
    """

    runoff: np.ndarray
    runoff_coefficient: np.ndarray
    drain_rate: np.ndarray


def depressions_without_inlets(depressions: Depressions, net: DrainageNetwork) -> np.ndarray:
    """Ids of the depressions with no junction (inlet or manhole) inside them.

    Parameters
    ----------
    depressions
        Depressions of the terrain.
    net
        The network; junctions are located by their points.
    """
    grid = depressions.terrain.dem
    nodes = net.nodes[net.nodes["kind"] == "junction"]
    row, col = grid.index(nodes.geometry.x.to_numpy(), nodes.geometry.y.to_numpy())
    on = row >= 0
    labels = depressions.labels[row[on], col[on]]
    served = set(labels[labels > 0].tolist())
    ids = depressions.table.index.to_numpy()
    return ids[~np.isin(ids, list(served))]


def surplus_runoff(terrain: Grid, storm: Hyetograph, *, depressions: Depressions,
                   net: DrainageNetwork | None = None, pipes: gpd.GeoDataFrame | None = None,
                   landcover: gpd.GeoDataFrame | None = None,
                   settings: CapacitySettings | None = None) -> Surplus:
    """Runoff depth per cell that the pipes cannot take during the storm.

    Parameters
    ----------
    terrain
        Ground elevation.
    storm
        The design storm.
    depressions
        The terrain's depressions (those without a junction get no pipe drainage).
    net, pipes
        The network and its ``pipe_capacity`` layer; without them the pipes take nothing.
    landcover
        Land cover giving ψ per cell (default ψ elsewhere).
    settings
        :class:`~floodrisk.capacity.CapacitySettings` (ψ mapping, inlet distance).
    """
    s = settings or CapacitySettings()
    psi = runoff_coefficient_grid(terrain, landcover, s)
    rate = np.zeros(terrain.shape)
    if net is not None and pipes is not None and len(pipes):
        per_node = node_drain_rates(pipes, net.nodes["node_id"].to_numpy())
        cells = inlet_cells(net, terrain, s)
        rate = np.where(cells >= 0, per_node[np.maximum(cells, 0)], 0.0)
        dry = depressions_without_inlets(depressions, net)
        rate[np.isin(depressions.labels, dry)] = 0.0
    times, rain = storm.rate_m_s()
    runoff = np.where(terrain.valid, excess_runoff(times, rain, psi, rate), 0.0)
    return Surplus(runoff=runoff, runoff_coefficient=psi, drain_rate=rate)
