"""Numba kernels of :mod:`floodrisk.engines.screening`: fill-spill routing between depressions,
pool levels and the rain depth of first overflow, on plain arrays."""

from __future__ import annotations


import numpy as np
from numba import njit


@njit(cache=True)
def _fill_spill(direct, volume, downstream, order):
    """Store up to each depression's volume and pass the excess downstream.

    Returns per depression the inflow, stored and overflow volumes, and the total that
    overflowed off the edge.
    """
    inflow = direct
    n = volume.size
    stored = np.zeros(n)
    overflow = np.zeros(n)
    off_edge = 0.0
    for k in order:
        s = min(inflow[k], volume[k])
        stored[k] = s
        excess = inflow[k] - s
        overflow[k] = excess
        d = downstream[k] - 1
        if d >= 0:
            inflow[d] += excess
        else:
            off_edge += excess
    return inflow, stored, overflow, off_edge


@njit(cache=True)
def _pool_levels(z_sorted, starts, ends, depth_volume):
    """Level h with Σ max(0, h − z) = v over each group of ascending elevations.

    ``depth_volume`` is the stored volume over the cell area (m); groups are the slices
    ``starts[g]:ends[g]`` of ``z_sorted``.
    """
    out = np.empty(starts.size)
    for g in range(starts.size):
        a = starts[g]
        b = ends[g]
        csum = 0.0
        h = z_sorted[a]
        for i in range(a, b):
            csum += z_sorted[i]
            h = (depth_volume[g] + csum) / (i - a + 1)
            if i + 1 == b or h <= z_sorted[i + 1]:
                break
        out[g] = h
    return out


@njit(cache=True)
def _skew_merge(a, b, key, left, right):
    """Merge two skew heaps (roots ``a`` and ``b``, -1 for empty) keyed on ``key``."""
    if a < 0:
        return b
    if b < 0:
        return a
    if key[b] < key[a]:
        a, b = b, a
    root = a
    while True:
        nxt = right[a]
        right[a] = left[a]
        if nxt < 0:
            left[a] = b
            break
        if key[b] < key[nxt]:
            nxt, b = b, nxt
        left[a] = nxt
        a = nxt
    return root


@njit(cache=True)
def _overflow_depths(area, volume, downstream, order):
    """Uniform runoff depth at which each depression first overflows (see module doc).

    ``area`` is each depression's (ψ-weighted) direct catchment area; depressions
    without any give ``inf`` unless upstream spills reach them.
    """
    n = area.size
    key = np.empty(n)      # kink: the depth at which an upstream depression overflows
    slope = np.empty(n)    # the area it then adds to the slope of the inflow curve
    left = np.full(n, -1, dtype=np.int64)
    right = np.full(n, -1, dtype=np.int64)
    root = np.full(n, -1, dtype=np.int64)
    e_star = np.empty(n)
    for k in order:
        h = root[k]
        s = area[k]
        c = 0.0
        while True:
            e = (volume[k] + c) / s if s > 0 else np.inf
            if h < 0 or key[h] >= e:
                break
            s += slope[h]
            c += slope[h] * key[h]
            h = _skew_merge(left[h], right[h], key, left, right)
        e_star[k] = e
        key[k] = e
        slope[k] = s
        h = _skew_merge(h, k, key, left, right)
        d = downstream[k] - 1
        if d >= 0:
            root[d] = _skew_merge(root[d], h, key, left, right)
    return e_star
