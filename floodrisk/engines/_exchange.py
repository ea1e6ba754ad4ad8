"""Numba kernels of the 1D-2D exchange between pipe nodes and surface cells.

Plain arrays in, plain arrays out, one entry per linked node (see
:mod:`floodrisk.engines.coupled` for the formulas, coefficients and their sources).
The kernels that call the SWMM engine through ctypes (reading heads and overflows,
setting inflows) are built at run time by :func:`swmm_batch`, since a ctypes function
address cannot be cached on disk.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numba import njit

__all__ = ["inlet_rates", "orifice", "swmm_batch", "weir_free", "weir_submerged"]


@njit(cache=True)
def weir_free(cw: float, perimeter: float, h: float, g: float) -> float:
    """Free weir over the inlet's rim: ``Q = c_w P h √(2 g h)``, m³/s."""
    return cw * perimeter * h * math.sqrt(2.0 * g * h)


@njit(cache=True)
def weir_submerged(csw: float, perimeter: float, h: float, dh: float, g: float) -> float:
    """Submerged weir: ``Q = c_sw P h √(2 g Δh)``, m³/s (Δh: surface level - node head)."""
    return csw * perimeter * h * math.sqrt(2.0 * g * dh)


@njit(cache=True)
def orifice(co: float, area: float, dh: float, g: float) -> float:
    """Orifice: ``Q = c_o A √(2 g Δh)``, m³/s."""
    return co * area * math.sqrt(2.0 * g * dh)


@njit(cache=True)
def inlet_rates(depth: np.ndarray, ground: np.ndarray, head: np.ndarray,
                closed: np.ndarray, perimeter: np.ndarray, area: np.ndarray,
                capacity: np.ndarray, cw: float, csw: float, co: float, g: float,
                h_min: float, cell_of: np.ndarray, n_cells: int, cell_area: float,
                horizon: float, demand: np.ndarray, out: np.ndarray) -> None:
    """Surface → pipe flow of every linked node, m³/s, written into ``out``.

    Per node, with h the depth in its cell, η = ground + h the water level there and H
    the node's head: no flow when h ≤ h_min, H ≥ η or the node is closed; otherwise

    - weir: free ``c_w P h √(2gh)`` while H is below the ground, submerged
      ``c_sw P h √(2g(η - H))`` above it;
    - orifice: ``c_o A √(2g(η - max(H, ground)))``;
    - the flow is the smaller of the two (the weir controls shallow water, the orifice
      once the inlet is drowned), then at most the inlet's capacity;

    and the nodes drawing on one cell together take at most the water the cell holds
    over ``horizon`` seconds (their flows scaled by one factor).

    Parameters
    ----------
    depth, ground
        Depth (m) and ground elevation (m) of each node's cell.
    head
        Node heads, m.
    closed
        1 where the node takes nothing this step.
    perimeter, area
        Weir length (m) and orifice area (m²) of each node's inlets, blockage applied.
    capacity
        Most each node's inlets can take, m³/s (inf: no limit).
    cw, csw, co
        Free-weir, submerged-weir and orifice coefficients.
    g
        Gravity, m/s².
    h_min
        Depth below which a cell gives nothing, m.
    cell_of
        Index (0 … n_cells - 1) of each node's cell among the linked cells.
    n_cells
        Number of distinct linked cells.
    cell_area
        Area of a cell, m².
    horizon
        Longest time the rate may be applied for, s.
    demand
        Scratch array of length n_cells.
    out
        Flow per node, m³/s.
    """
    n = depth.size
    for c in range(n_cells):
        demand[c] = 0.0
    for k in range(n):
        h = depth[k]
        eta = ground[k] + h
        q = 0.0
        if h > h_min and head[k] < eta and closed[k] == 0:
            top = max(ground[k], head[k])
            dh = eta - top
            if head[k] < ground[k]:
                w = weir_free(cw, perimeter[k], h, g)
            else:
                w = weir_submerged(csw, perimeter[k], h, dh, g)
            o = orifice(co, area[k], dh, g)
            q = min(o, w)
            q = min(q, capacity[k])
        out[k] = q
        demand[cell_of[k]] += q * horizon
    for k in range(n):
        if out[k] > 0.0:
            c = cell_of[k]
            avail = depth[k] * cell_area
            if demand[c] > avail:
                out[k] *= avail / demand[c]


def swmm_batch(get_value: Callable, set_inflow: Callable) -> tuple[Callable, Callable]:
    """Jitted loops over node indices calling the SWMM toolkit through ctypes.

    Parameters
    ----------
    get_value
        ``swmm_getValue`` (ctypes, argtypes int, int; restype double).
    set_inflow
        ``swmm_setNodeInflow`` (ctypes, argtypes int, double; restype int).

    Returns
    -------
    read, write
        ``read(code, index, out)`` fills ``out[k] = swmm_getValue(code, index[k])``;
        ``write(index, flow)`` sets ``swmm_setNodeInflow(index[k], flow[k])`` and returns
        the number of calls that failed.
    """

    @njit
    def read(code: int, index: np.ndarray, out: np.ndarray) -> None:
        for k in range(index.size):
            out[k] = get_value(code, index[k])

    @njit
    def write(index: np.ndarray, flow: np.ndarray) -> int:
        bad = 0
        for k in range(index.size):
            if set_inflow(index[k], flow[k]) != 0:
                bad += 1
        return bad

    return read, write
