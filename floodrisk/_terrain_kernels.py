"""Numba kernels of :mod:`floodrisk.terrain`: priority-flood filling, flow directions, depression
statistics and routing on plain arrays (``@njit(cache=True)``, one private module, like
pyflwdir's ``core.py``)."""

from __future__ import annotations

import math

import numpy as np
from numba import njit

#: D8 code of an outlet (pit) cell: water that reaches it leaves the domain.
D8_OUTLET = np.uint8(0)
#: D8 code of a cell outside the domain.
D8_NODATA = np.uint8(247)

# Neighbour k: row and column offsets, the D8 code of the direction toward it, and the
# code of the opposite direction (from the neighbour back to the centre cell).
_DR = np.array([-1, -1, -1, 0, 0, 1, 1, 1], dtype=np.int64)
_DC = np.array([-1, 0, 1, -1, 1, -1, 0, 1], dtype=np.int64)
_TO = np.array([32, 64, 128, 16, 1, 8, 4, 2], dtype=np.uint8)
_BACK = np.array([2, 4, 8, 1, 16, 128, 64, 32], dtype=np.uint8)
# D8 code -> row / column offset of the downstream cell (0, 0 for outlets and nodata).
_CODE_DR = np.zeros(256, dtype=np.int64)
_CODE_DC = np.zeros(256, dtype=np.int64)
for _k in range(8):
    _CODE_DR[_TO[_k]] = _DR[_k]
    _CODE_DC[_TO[_k]] = _DC[_k]
del _k


@njit(cache=True)
def _grow(a: np.ndarray, size: int) -> np.ndarray:
    """A copy of ``a`` with twice the room, its first ``size`` items kept."""
    b = np.empty(2 * a.size, dtype=a.dtype)
    b[:size] = a[:size]
    return b


@njit(cache=True)
def _heap_push(keys, idxs, size, key, idx):
    """Push (key, idx) on a binary min-heap held in arrays; returns the arrays and size."""
    if size == keys.size:
        keys = _grow(keys, size)
        idxs = _grow(idxs, size)
    i = size
    while i > 0:
        parent = (i - 1) >> 1
        if keys[parent] <= key:
            break
        keys[i] = keys[parent]
        idxs[i] = idxs[parent]
        i = parent
    keys[i] = key
    idxs[i] = idx
    return keys, idxs, size + 1


@njit(cache=True)
def _heap_pop(keys, idxs, size):
    """Remove the smallest item of the heap; returns its index and the new size."""
    top = idxs[0]
    size -= 1
    key = keys[size]
    idx = idxs[size]
    i = 0
    while True:
        child = 2 * i + 1
        if child >= size:
            break
        if child + 1 < size and keys[child + 1] < keys[child]:
            child += 1
        if keys[child] >= key:
            break
        keys[i] = keys[child]
        idxs[i] = idxs[child]
        i = child
    if size > 0:
        keys[i] = key
        idxs[i] = idx
    return top, size


@njit(cache=True)
def _has_lower_open(filled, d8, j, nrow, ncol):
    """Whether cell ``j`` has a neighbour not yet reached (code 255) that is lower."""
    r0 = j // ncol
    c0 = j - r0 * ncol
    zj = filled[j]
    for k in range(8):
        r = r0 + _DR[k]
        c = c0 + _DC[k]
        if r < 0 or r >= nrow or c < 0 or c >= ncol:
            continue
        i = r * ncol + c
        if d8[i] == 255 and filled[i] < zj:
            return True
    return False


@njit(cache=True)
def _push(a, size, value):
    """Append to a growable array; returns the array and the new size."""
    if size == a.size:
        a = _grow(a, size)
    a[size] = value
    return a, size + 1


@njit(cache=True)
def _priority_flood(z, seed):
    """Priority-flood with 8 neighbours: Barnes et al. (2014) algorithm 2 with the
    slope tracing of Zhou, Sun & Fu (2016).

    Cells are closed from the outlets inward in ascending order of (filled) level. A
    neighbour at or below the level of the cell that reaches it is raised to that level
    and queued FIFO (the flats of filled depressions, O(1) per cell). A higher
    neighbour keeps its elevation, which is always its correct filled value; it is
    processed at once, out of the heap's order ("traced up the slope"), when none of
    its open neighbours is lower (so it raises nobody), and goes to the heap otherwise.
    Returns the filled surface (NaN outside the domain) and D8 codes pointing every
    cell to the neighbour that reached it (0 for seeds, 247 outside the domain).
    """
    nrow, ncol = z.shape
    n = nrow * ncol
    filled = z.copy().ravel()   # cells not yet reached still hold their elevation
    sf = seed.ravel()
    d8 = np.full(n, 255, dtype=np.uint8)   # 255: not reached yet
    keys = np.empty(4096, dtype=np.float64)
    idxs = np.empty(4096, dtype=np.int64)
    hsize = np.int64(0)   # not a literal 0: one compiled version of the helpers
    fifo = np.empty(4096, dtype=np.int64)
    head = np.int64(0)
    tail = np.int64(0)
    trace = np.empty(4096, dtype=np.int64)
    tsize = np.int64(0)
    for i in range(n):
        if np.isnan(filled[i]):
            d8[i] = 247
        elif sf[i]:
            d8[i] = 0
            keys, idxs, hsize = _heap_push(keys, idxs, hsize, filled[i], i)
    while hsize > 0 or tail > head or tsize > 0:
        traced = False
        if tail > head:
            c = fifo[head]
            head += 1
        elif tsize > 0:
            tsize -= 1
            c = trace[tsize]
            traced = True
        else:
            c, hsize = _heap_pop(keys, idxs, hsize)
        level = filled[c]
        r0 = c // ncol
        c0 = c - r0 * ncol
        for k in range(8):
            r = r0 + _DR[k]
            col = c0 + _DC[k]
            if r < 0 or r >= nrow or col < 0 or col >= ncol:
                continue
            j = r * ncol + col
            if d8[j] != 255:
                continue
            d8[j] = _BACK[k]
            if filled[j] <= level and not traced:
                filled[j] = level
                if tail == fifo.size and head > 0:   # slide the live part to the front
                    for i in range(head, tail):
                        fifo[i - head] = fifo[i]
                    tail -= head
                    head = 0
                fifo, tail = _push(fifo, tail, j)
            elif _has_lower_open(filled, d8, j, nrow, ncol):
                keys, idxs, hsize = _heap_push(keys, idxs, hsize, filled[j], j)
            else:
                trace, tsize = _push(trace, tsize, j)
        if head == tail:
            head = 0
            tail = 0
    return filled.reshape((nrow, ncol)), d8.reshape((nrow, ncol))


@njit(cache=True)
def _steepest_descent(filled, z, d8, dx, dy):
    """Point every unraised, non-outlet cell with a strictly lower neighbour to the
    neighbour of steepest descent on the filled surface (in place)."""
    nrow, ncol = filled.shape
    dist = _distances(dx, dy)
    for r0 in range(nrow):
        for c0 in range(ncol):
            code = d8[r0, c0]
            if code == 0 or code == 247:
                continue
            f0 = filled[r0, c0]
            if f0 > z[r0, c0]:
                continue   # inside a filled depression: keep the flooding direction
            best = 0.0
            kbest = -1
            for k in range(8):
                r = r0 + _DR[k]
                c = c0 + _DC[k]
                if r < 0 or r >= nrow or c < 0 or c >= ncol:
                    continue
                f = filled[r, c]
                if f < f0:   # False for NaN
                    s = (f0 - f) / dist[k]
                    if s > best:
                        best = s
                        kbest = k
            if kbest >= 0:
                d8[r0, c0] = _TO[kbest]


@njit(cache=True)
def _next(idx, code, ncol):
    """Flat index of the downstream cell of ``idx`` (not for outlets or nodata)."""
    r = idx // ncol + _CODE_DR[code]
    c = idx % ncol + _CODE_DC[code]
    return r * ncol + c


@njit(cache=True)
def _downstream_all(d8):
    nrow, ncol = d8.shape
    flat = d8.ravel()
    out = np.full(flat.size, -1, dtype=np.int64)
    for i in range(flat.size):
        code = flat[i]
        if code != 0 and code != 247:
            out[i] = _next(i, code, ncol)
    return out.reshape((nrow, ncol))


@njit(cache=True)
def _distances(dx, dy):
    """Centre distance to each of the 8 neighbours."""
    dist = np.empty(8)
    diag = math.sqrt(dx * dx + dy * dy)
    for k in range(8):
        if _DR[k] != 0 and _DC[k] != 0:
            dist[k] = diag
        elif _DR[k] != 0:
            dist[k] = dy
        else:
            dist[k] = dx
    return dist


@njit(cache=True)
def _runoff_directions(d8, labels, z, filled, dx, dy):
    """D8 codes of the way runoff goes: ``d8``, except on cells outside the filled
    depressions that border one, which send runoff down the steepest descent of the
    original ground to a neighbour outside the filled depressions or inside a labelled
    one (when there is such a lower neighbour)."""
    nrow, ncol = d8.shape
    dist = _distances(dx, dy)
    out = d8.copy()
    for r0 in range(nrow):
        for c0 in range(ncol):
            code = d8[r0, c0]
            z0 = z[r0, c0]
            if code == 0 or code == 247 or filled[r0, c0] != z0:
                continue
            borders = False
            for k in range(8):
                r = r0 + _DR[k]
                c = c0 + _DC[k]
                if 0 <= r < nrow and 0 <= c < ncol and filled[r, c] > z[r, c]:
                    borders = True
                    break
            if not borders:
                continue   # the filled surface is the ground all around: d8 is steepest
            best = 0.0
            kbest = -1
            for k in range(8):
                r = r0 + _DR[k]
                c = c0 + _DC[k]
                if r < 0 or r >= nrow or c < 0 or c >= ncol:
                    continue
                if filled[r, c] == z[r, c] or labels[r, c] > 0:   # False for NaN
                    s = (z0 - z[r, c]) / dist[k]
                    if s > best:
                        best = s
                        kbest = k
            if kbest >= 0:
                out[r0, c0] = _TO[kbest]
    return out


@njit(cache=True)
def _sinks(d8, labels):
    """Id of the depression each cell drains to (first labelled cell on its D8 path,
    itself included); 0 when the path ends at an outlet, -1 outside the domain."""
    nrow, ncol = d8.shape
    n = nrow * ncol
    code = d8.ravel()
    lab = labels.ravel()
    sink = np.full(n, -2, dtype=np.int32)
    path = np.empty(1024, dtype=np.int64)
    for i in range(n):
        if sink[i] != -2:
            continue
        if code[i] == 247:
            sink[i] = -1
            continue
        m = np.int64(0)
        cur = i
        while True:
            if sink[cur] != -2:
                val = sink[cur]
                break
            if lab[cur] > 0:
                val = lab[cur]
                sink[cur] = val
                break
            if code[cur] == 0:
                val = 0
                sink[cur] = 0
                break
            if m == path.size:
                path = _grow(path, m)
            path[m] = cur
            m += 1
            cur = _next(cur, code[cur], ncol)
        for k in range(m):
            sink[path[k]] = val
    return sink.reshape((nrow, ncol))


@njit(cache=True)
def _depression_stats(labels, z, filled, n):
    """Per depression (index id - 1): cell count, Σ filled depth, deepest cell, bottom."""
    lab = labels.ravel()
    zf = z.ravel()
    ff = filled.ravel()
    count = np.zeros(n, dtype=np.int64)
    depth_sum = np.zeros(n)
    pit = np.full(n, -1, dtype=np.int64)
    bottom = np.full(n, np.inf)
    for i in range(lab.size):
        k = lab[i] - 1
        if k < 0:
            continue
        count[k] += 1
        depth_sum[k] += ff[i] - zf[i]
        if zf[i] < bottom[k]:
            bottom[k] = zf[i]
            pit[k] = i
    return count, depth_sum, pit, bottom


@njit(cache=True)
def _spill_paths(d8, labels, filled, sinks, pit):
    """Spill cell and downstream depression id (0: the edge) of every depression.

    Walks the D8 path from the pit while the filled surface stays at the pool's level
    (a path below it cannot come back); the spill cell is the one after the last cell
    of the depression on that walk, and the downstream depression is the one that cell
    drains to along the D8 directions (``sinks`` of the D8 paths).
    """
    ncol = d8.shape[1]
    code = d8.ravel()
    lab = labels.ravel()
    ff = filled.ravel()
    snk = sinks.ravel()
    n = pit.size
    spill = np.empty(n, dtype=np.int64)
    downstream = np.empty(n, dtype=np.int32)
    for k in range(n):
        own = k + 1
        level = ff[pit[k]]
        cur = pit[k]
        last = cur
        while code[cur] != 0:
            cur = _next(cur, code[cur], ncol)
            if ff[cur] < level:
                break
            if lab[cur] == own:
                last = cur
        s = _next(last, code[last], ncol)
        spill[k] = s
        downstream[k] = snk[s]
    return spill, downstream


@njit(cache=True)
def _topological_order(downstream):
    """Depression indices (id - 1) ordered so that each comes before its downstream one
    (Kahn's algorithm); shorter than ``downstream`` if the links hold a cycle."""
    n = downstream.size
    indeg = np.zeros(n, dtype=np.int64)
    for k in range(n):
        if downstream[k] > 0:
            indeg[downstream[k] - 1] += 1
    order = np.empty(n, dtype=np.int64)
    m = 0
    for k in range(n):
        if indeg[k] == 0:
            order[m] = k
            m += 1
    i = 0
    while i < m:
        d = downstream[order[i]] - 1
        i += 1
        if d >= 0:
            indeg[d] -= 1
            if indeg[d] == 0:
                order[m] = d
                m += 1
    return order[:m]


@njit(cache=True)
def _accumulate(values, downstream, order):
    """Each depression's value plus those of every depression upstream of it."""
    total = values.copy()
    for k in order:
        d = downstream[k] - 1
        if d >= 0:
            total[d] += total[k]
    return total
