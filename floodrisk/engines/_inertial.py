"""Numba kernels of the local inertial scheme (:mod:`floodrisk.engines.surface`).

Plain arrays in, plain arrays out; the driver owns the arrays and the time loop. One
step is two passes over the rows that can hold water (DOMAIN.md §7), each task taking a
band of ``BAND_ROWS`` rows from the top down:

1. :func:`_faces` — new unit discharge on every face next to a possibly wet cell
   (de Almeida et al. 2012 θ-smoothed momentum with semi-implicit Manning friction);
   open grid edges take the outflow of :func:`_edge_outflow`. The raw (unscaled)
   discharges are written over ``qx``/``qy`` (no scratch arrays: a row's north faces
   are buffered until the row below has used the old ones; :func:`_halo` saves the old
   ones at band edges first). In the same pass, per cell, the factor (≤ 1) that scales
   *all* its outflows together so that it cannot lose more water than it holds
   (positivity without a per-face cap, which would act as a hidden velocity limit).
2. :func:`_update` — scales the faces in place by the factor of their upstream cell,
   updates depths (fluxes and rain), the maxima and threshold statistics, the deepest
   water per row (for the CFL step) and widens each row's wet column range.

:func:`_losses` (only with infiltration) adds rain and takes infiltration before step 1.
The cell loops are branch-free and index 1-D row views from 0, so that LLVM vectorises
them (a ``[i, j]`` index with a signed ``j`` of unknown sign costs a wraparound select
per access and kept the loops scalar).

Arrays (rows × cols cells; rows north to south, columns west to east):

- ``qx`` (rows × cols+1): discharge per unit width on the face west of column ``j``
  (face ``j`` lies between cells ``j-1`` and ``j``), positive eastwards, m²/s.
- ``qy`` (rows+1 × cols): on the face north of row ``i``, positive southwards.
- ``lo``/``hi``: per row, the columns between which cells may hold water (the wet
  range; empty when ``lo > hi``). Faces whose two cells have stayed outside these
  ranges are zero, so the kernels visit only the cells next to the wet ranges
  (``a``/``b``) and the faces between them (``ta``/``tb`` for the north faces).

Cube roots: ``h^(-1/3)`` comes from a bit-level first guess refined by Newton steps
that need no division (:func:`_inv_cbrt`); the general power ``h**(7/3)`` was what
limited a plain kernel (DESIGN.md).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

#: LLVM fast-math flags: contractions (FMA), reciprocal and sign-of-zero freedom and
#: approximate functions, but no reassociation (it would break the exact cancellation of
#: equal water levels that keeps a lake at rest) and no NaN/inf assumptions.
_FM = {"nsz", "arcp", "contract", "afn"}

#: Rows in a band, the task of the parallel loops of :func:`_faces` and :func:`_update`
#: (both must use the same bands; see :func:`_faces`).
BAND_ROWS = 32


@njit(cache=True, fastmath=_FM, inline="always")
def _inv_cbrt(x, y, n):
    """``y[k] = x[k] ** (-1/3)`` for ``k < n``; x must be positive and finite.

    First guess from the bits of x (the "magic constant" trick, exponent divided by
    -3; the division by 3 is approximated by shifts and adds, which vectorise where an
    integer division does not), then Newton steps ``y ← (y/3) (4 - x y³)``: three in
    float32 and four in float64 give full precision (relative error 2e-7 and 4e-16
    measured).
    """
    if x.itemsize == 8:
        xi = x.view(np.int64)
        yi = y.view(np.int64)
        for k in range(n):
            v = xi[k]
            q = (v >> 2) + (v >> 4)
            q += q >> 4
            q += q >> 8
            q += q >> 16
            yi[k] = 0x553EF0FF289DD796 - q
        third = 1.0 / 3.0
        four = 4.0
    else:
        xi = x.view(np.int32)
        yi = y.view(np.int32)
        for k in range(n):
            v = xi[k]
            q = (v >> 2) + (v >> 4)
            q += q >> 4
            q += q >> 8
            yi[k] = np.int32(0x54A21D2A) - q
        four = np.float32(4.0)
        third = np.float32(1.0 / 3.0)
    for k in range(n):
        v = x[k]
        r = y[k]
        r = (r * third) * (four - (r * r) * (r * v))
        r = (r * third) * (four - (r * r) * (r * v))
        r = (r * third) * (four - (r * r) * (r * v))
        if x.itemsize == 8:
            r = (r * third) * (four - (r * r) * (r * v))
        y[k] = r


@njit(cache=True, fastmath=_FM, inline="always")
def _edge_outflow(h_edge, z_edge, h_in, z_in, gn2, dl, g, h_min):
    """Outward discharge per unit width through an open grid edge, m²/s.

    Normal (Manning) flow at the edge cell's depth on the bed slope of the last interior
    face, ``h^(5/3) √S / n``, capped at critical flow ``h √(g h)`` (a free overfall).
    Where the bed does not fall towards the edge, the water-surface slope of that face
    is used instead (no outflow when it does not fall either). The flow depends on the
    edge cell's own depth only through ``h^(5/3)`` (or ``h^(3/2)``), both increasing in
    h, and not through a slope that the edge cell's own drawdown steepens: that feedback
    is what made outlets oscillate every other step (DOMAIN.md §7).
    """
    if h_edge <= h_min:
        return 0.0
    s = (z_in - z_edge) / dl
    if s <= 0.0:
        s = (z_in + h_in - z_edge - h_edge) / dl
    if s <= 0.0:
        return 0.0
    hh = float(h_edge)
    manning = hh ** (5.0 / 3.0) * np.sqrt(s * g / gn2)
    critical = hh * np.sqrt(g * hh)
    return min(manning, critical)


@njit(cache=True, fastmath=_FM, inline="always")
def _west_faces(z, h, gn2, active, qx, i, j0, n, hf, xb, yb, qb, th, sm, dtdx, half_dt,
                hmin):
    """Raw new discharges on the ``n`` faces west of columns ``j0..`` of row ``i``
    (interior faces only), written over ``qx[i, j0..]`` (the old row segment is copied
    to ``qb`` first, for the θ-smoothing). Branch-free loops (selects), so that LLVM
    vectorises them."""
    one = h.dtype.type(1.0)
    four = h.dtype.type(4.0)
    zero = h.dtype.type(0.0)
    qrow = qx[i, j0 - 1:j0 + n + 1]
    qr_ = qb[:n + 2]
    for k in range(n + 2):
        qr_[k] = qrow[k]
    # 1-D views from column j0 - 1, indexed from 0: LLVM then sees non-negative indices
    # (no wraparound selects) and consecutive accesses, and vectorises the loops
    zr_ = z[i, j0 - 1:j0 + n]
    hr_ = h[i, j0 - 1:j0 + n]
    ar_ = active[i, j0 - 1:j0 + n]
    gr_ = gn2[i, j0 - 1:j0 + n]
    o_ = qx[i, j0:j0 + n]
    for k in range(n):
        zl = zr_[k]
        zr = zr_[k + 1]
        v = max(zl + hr_[k], zr + hr_[k + 1]) - max(zl, zr)
        ok = (ar_[k] & ar_[k + 1]) != 0
        v = v if ok else zero
        hf[k] = v
        xb[k] = v if v > hmin else one
    _inv_cbrt(xb, yb, n)
    for k in range(n):
        d = hf[k]
        slope = (zr_[k + 1] + hr_[k + 1]) - (zr_[k] + hr_[k])
        num = th * qr_[k + 1] + sm * (qr_[k] + qr_[k + 2]) - dtdx * d * slope
        r = yb[k]
        r7 = r * r * r
        r7 = r7 * r7 * r
        fr = half_dt * (gr_[k] + gr_[k + 1]) * r7
        q = (num + num) / (one + np.sqrt(one + four * fr * abs(num)))
        o_[k] = q if d > hmin else zero


@njit(cache=True, fastmath=_FM, inline="always")
def _north_faces(z, h, gn2, active, qu, q0, qd, i, lo, n, hf, xb, yb, out, th, sm, dtdy,
                 half_dt, hmin):
    """Raw new discharges on the ``n`` faces north of columns ``lo..`` of row ``i ≥ 1``
    into ``out[lo..]``; ``qu``, ``q0``, ``qd`` are the old discharges (full rows) on the
    faces north of rows ``i - 1``, ``i`` and ``i + 1``."""
    one = h.dtype.type(1.0)
    four = h.dtype.type(4.0)
    zero = h.dtype.type(0.0)
    zu_ = z[i - 1, lo:lo + n]
    zd_ = z[i, lo:lo + n]
    hu_ = h[i - 1, lo:lo + n]
    hd_ = h[i, lo:lo + n]
    au_ = active[i - 1, lo:lo + n]
    ad_ = active[i, lo:lo + n]
    gu_ = gn2[i - 1, lo:lo + n]
    gd_ = gn2[i, lo:lo + n]
    qu_ = qu[lo:lo + n]
    q0_ = q0[lo:lo + n]
    qd_ = qd[lo:lo + n]
    o_ = out[lo:lo + n]
    for k in range(n):
        zu = zu_[k]
        zd = zd_[k]
        v = max(zu + hu_[k], zd + hd_[k]) - max(zu, zd)
        ok = (au_[k] & ad_[k]) != 0
        v = v if ok else zero
        hf[k] = v
        xb[k] = v if v > hmin else one
    _inv_cbrt(xb, yb, n)
    for k in range(n):
        d = hf[k]
        slope = (zd_[k] + hd_[k]) - (zu_[k] + hu_[k])
        num = (th * q0_[k] + sm * (qu_[k] + qd_[k])
               - dtdy * d * slope)
        r = yb[k]
        r7 = r * r * r
        r7 = r7 * r7 * r
        fr = half_dt * (gu_[k] + gd_[k]) * r7
        q = (num + num) / (one + np.sqrt(one + four * fr * abs(num)))
        o_[k] = q if d > hmin else zero


@njit(cache=True, fastmath=_FM, inline="always")
def _factors_row(h, qx, north, south, i, lo, hi, cx, cy, fac):
    """Outflow factors of row ``i``, columns ``lo..hi``, from the raw discharges (``qx``,
    and full rows ``north`` and ``south`` of its north and south faces).
    ``fac = h / (Δt Σ outflows / area)`` where the outflows would empty the cell, else 1."""
    one = fac.dtype.type(1.0)
    zero = h.dtype.type(0.0)
    n = hi - lo + 1
    qx_ = qx[i, lo:lo + n + 1]
    qn_ = north[lo:lo + n]
    qs_ = south[lo:lo + n]
    h_ = h[i, lo:lo + n]
    f_ = fac[i, lo:lo + n]
    for k in range(n):
        out = (cx * (max(zero, -qx_[k]) + max(zero, qx_[k + 1]))
               + cy * (max(zero, -qn_[k]) + max(zero, qs_[k])))
        hh = h_[k]
        f_[k] = hh / out if out > hh else one


@njit(cache=True)
def _halo(qy, ta, tb, halo):
    """Before :func:`_faces`: copy the old discharges on the faces north of rows
    ``r0 - 1``, ``r0`` and ``r0 + 1`` at the first row ``r0`` of every band but the
    first to ``halo[band]`` (the bands next to it overwrite them while it still needs
    them for the θ-smoothing). Only the columns the faces of rows ``r0 - 1`` and ``r0``
    use are copied."""
    rows = qy.shape[0] - 1
    nband = (rows + BAND_ROWS - 1) // BAND_ROWS
    for c in range(1, nband):
        r0 = c * BAND_ROWS
        lo = min(ta[r0 - 1], ta[r0])
        hi = max(tb[r0 - 1], tb[r0])
        if ta[r0 - 1] > tb[r0 - 1]:
            lo = ta[r0]
            hi = tb[r0]
        elif ta[r0] > tb[r0]:
            lo = ta[r0 - 1]
            hi = tb[r0 - 1]
        for m in range(3):
            src = qy[r0 - 1 + m]
            dst = halo[c, m]
            for j in range(lo, hi + 1):
                dst[j] = src[j]


@njit(cache=True, parallel=True, fastmath=_FM)
def _faces(z, h, gn2, active, qx, qy, halo, head, fac, a, b, ta, tb,
           dt, dx, dy, theta, g, h_min, open_w, open_e, open_n, open_s):
    """New unit discharges on the faces next to possibly wet cells (raw, unscaled), and
    the outflow factors of the cells to update.

    ``gn2`` is g·n² per cell (a face uses the mean of its two cells); ``active`` is 1
    for cells inside the domain and not blocked. ``a``/``b`` are the column ranges of
    the cells to update per row, ``ta``/``tb`` those of the north faces of each row.
    ``fac`` gets, per cell, the factor (≤ 1) that scales *all* its outflows together so
    that it cannot lose more water than it holds.

    The raw discharges are written over ``qx`` and ``qy`` (:func:`_update` scales them
    in place): no scratch arrays. Each task takes a band of ``BAND_ROWS`` rows from the
    top down; a row's new north faces are kept in a buffer and written back one row
    later, once the row below has used the old ones. The old discharges of the other
    bands come from ``halo`` (:func:`_halo`). A band also computes the raw discharges on
    the south faces of its last row, which the next band owns (same code and range), for
    the outflow factors; the raw north faces of its first row go to ``head[band]`` for
    :func:`_update`.
    """
    rows, cols = h.shape
    zero = h.dtype.type(0.0)
    hmin = h.dtype.type(h_min)
    th = h.dtype.type(theta)
    sm = h.dtype.type(0.5 * (1.0 - theta))
    dtdx = h.dtype.type(g * dt / dx)
    dtdy = h.dtype.type(g * dt / dy)
    half_dt = h.dtype.type(0.5 * dt)
    cx = h.dtype.type(dt / dx)
    cy = h.dtype.type(dt / dy)
    nband = (rows + BAND_ROWS - 1) // BAND_ROWS
    for c in prange(nband):
        hf = np.empty(cols + 1, dtype=h.dtype)
        xb = np.empty(cols + 1, dtype=h.dtype)
        yb = np.empty(cols + 1, dtype=h.dtype)
        qb = np.empty(cols + 2, dtype=h.dtype)
        prev = np.empty(cols, dtype=h.dtype)   # new north faces of the row above
        cur = np.empty(cols, dtype=h.dtype)    # new north faces of this row
        r0 = c * BAND_ROWS
        r1 = min(rows, r0 + BAND_ROWS)
        for i in range(r0, r1):
            # ---- faces west of columns a..b+1 (interior ones: 1..cols-1) ------------
            lo = a[i]
            hi = b[i]
            if lo <= hi:
                j0 = max(lo, 1)
                j1 = min(hi + 1, cols - 1)
                _west_faces(z, h, gn2, active, qx, i, j0, j1 - j0 + 1, hf, xb, yb, qb,
                            th, sm, dtdx, half_dt, hmin)
                if lo == 0:
                    q = zero
                    if open_w and active[i, 0] and cols > 1:
                        q = -_edge_outflow(h[i, 0], z[i, 0], h[i, 1], z[i, 1], gn2[i, 0],
                                           dx, g, h_min)
                    qx[i, 0] = q
                if hi == cols - 1:
                    q = zero
                    if open_e and active[i, cols - 1] and cols > 1:
                        q = _edge_outflow(h[i, cols - 1], z[i, cols - 1], h[i, cols - 2],
                                          z[i, cols - 2], gn2[i, cols - 1], dx, g, h_min)
                    qx[i, cols] = q
            # ---- faces north of row i, columns ta..tb, into cur -------------------------
            lo = ta[i]
            hi = tb[i]
            if lo <= hi:
                if i == 0:
                    for j in range(lo, hi + 1):
                        q = zero
                        if open_n and active[0, j] and rows > 1:
                            q = -_edge_outflow(h[0, j], z[0, j], h[1, j], z[1, j], gn2[0, j],
                                               dy, g, h_min)
                        cur[j] = q
                else:
                    qu = halo[c, 0] if i == r0 else qy[i - 1]
                    qd = halo[c + 1, 1] if (i + 1 == r1 and r1 < rows) else qy[i + 1]
                    _north_faces(z, h, gn2, active, qu, qy[i], qd, i, lo, hi - lo + 1,
                                 hf, xb, yb, cur, th, sm, dtdy, half_dt, hmin)
                if i == r0:
                    hd = head[c]
                    for j in range(lo, hi + 1):
                        hd[j] = cur[j]
            # ---- south edge, below the last row (nobody needs its old value now) ------
            if i == rows - 1 and a[i] <= b[i]:
                for j in range(a[i], b[i] + 1):
                    q = zero
                    if open_s and active[i, j] and rows > 1:
                        q = _edge_outflow(h[i, j], z[i, j], h[i - 1, j], z[i - 1, j], gn2[i, j],
                                          dy, g, h_min)
                    qy[rows, j] = q
            # ---- the row above: outflow factors, then its north faces written back ----
            if i > r0:
                if a[i - 1] <= b[i - 1]:
                    _factors_row(h, qx, prev, cur, i - 1, a[i - 1], b[i - 1], cx, cy, fac)
                qrow = qy[i - 1]
                for j in range(ta[i - 1], tb[i - 1] + 1):
                    qrow[j] = prev[j]
            prev, cur = cur, prev
        # ---- the last row (its north faces are in prev): its south faces belong to the
        # next band; compute them here too (same code and range as the owner)
        i = r1 - 1
        if a[i] <= b[i]:
            if i + 1 < rows:
                lo = ta[i + 1]
                hi = tb[i + 1]
                _north_faces(z, h, gn2, active, qy[i], halo[c + 1, 1], halo[c + 1, 2],
                             i + 1, lo, hi - lo + 1, hf, xb, yb, cur, th, sm, dtdy,
                             half_dt, hmin)
                _factors_row(h, qx, prev, cur, i, a[i], b[i], cx, cy, fac)
            else:
                _factors_row(h, qx, prev, qy[rows], i, a[i], b[i], cx, cy, fac)
        qrow = qy[i]
        for j in range(ta[i], tb[i] + 1):
            qrow[j] = prev[j]


@njit(cache=True, fastmath=_FM, inline="always")
def _scaled(q, fac_minus, fac_plus):
    """A raw face discharge scaled by the factor of its upstream cell (minus side
    upstream when q > 0)."""
    return q * (fac_minus if q > 0 else fac_plus)


@njit(cache=True, parallel=True, fastmath=_FM)
def _update(h, active, qx, qy, head, fac, a, b, ta, tb, lo, hi,
            dt, dx, dy, rain_depth, t_end, h_min, wet_threshold,
            max_depth, time_of_max, max_velocity, first_wet, duration_over,
            row_hmax, row_out):
    """Scale the raw discharges of :func:`_faces` in place (``head``: the raw ones north
    of the first row of each band), update depths and statistics.

    ``rain_depth`` (m) is added to every active cell updated; ``t_end`` is the time at
    the end of the step. Per row, ``row_hmax`` gets the deepest water and ``row_out`` the
    volume per cell width (m²) that left through open grid edges during the step;
    ``lo``/``hi`` are widened to the cells now holding water. The cell loops are short
    and branch-free, each writing few arrays, so that LLVM vectorises them.
    """
    rows, cols = h.shape
    one = fac.dtype.type(1.0)
    zero = h.dtype.type(0.0)
    half = h.dtype.type(0.5)
    cx = h.dtype.type(dt / dx)
    cy = h.dtype.type(dt / dy)
    rain = h.dtype.type(rain_depth)
    hmin = h.dtype.type(h_min)
    thr = h.dtype.type(wet_threshold)
    tend32 = np.float32(t_end)
    nband = (rows + BAND_ROWS - 1) // BAND_ROWS
    for c in prange(nband):
        qs_b = np.empty(cols, dtype=h.dtype)
        hb = np.empty(cols, dtype=h.dtype)
        r1 = min(rows, (c + 1) * BAND_ROWS)
        for i in range(c * BAND_ROWS, r1):
            # final discharges on the faces this row owns
            out_x = 0.0
            out_y = 0.0
            ja = a[i]
            jb = b[i]
            if ja <= jb:
                j0 = max(ja, 1)
                j1 = min(jb + 1, cols - 1)
                for j in range(j0, j1 + 1):
                    qx[i, j] = _scaled(qx[i, j], fac[i, j - 1], fac[i, j])
                if ja == 0:
                    qx[i, 0] = _scaled(qx[i, 0], one, fac[i, 0])
                    out_x -= qx[i, 0] * dt
                if jb == cols - 1:
                    qx[i, cols] = _scaled(qx[i, cols], fac[i, cols - 1], one)
                    out_x += qx[i, cols] * dt
            # (the row above, done before by this task or using head, has read them raw)
            if i > 0:
                for j in range(ta[i], tb[i] + 1):
                    qy[i, j] = _scaled(qy[i, j], fac[i - 1, j], fac[i, j])
            else:
                for j in range(ta[i], tb[i] + 1):
                    qy[0, j] = _scaled(qy[0, j], one, fac[0, j])
                    out_y -= qy[0, j] * dt
            if i == rows - 1:
                for j in range(ja, jb + 1):
                    qy[rows, j] = _scaled(qy[rows, j], fac[i, j], one)
                    out_y += qy[rows, j] * dt
            row_out[i, 0] = out_x
            row_out[i, 1] = out_y
            if ja > jb:
                row_hmax[i] = zero
                continue
            n = jb - ja + 1
            # 1-D views from column ja indexed from 0 (vectorisable loops, see _west_faces)
            f_ = fac[i, ja:ja + n]
            qs_ = qs_b[:n]
            hb_ = hb[:n]
            # south faces (the next row writes them: scale them here too)
            if i + 1 < rows:
                r_ = head[c + 1, ja:ja + n] if i + 1 == r1 else qy[i + 1, ja:ja + n]
                f2_ = fac[i + 1, ja:ja + n]
                for k in range(n):
                    qs_[k] = _scaled(r_[k], f_[k], f2_[k])
            else:
                r_ = qy[rows, ja:ja + n]
                for k in range(n):
                    qs_[k] = r_[k]
            # depths
            h_ = h[i, ja:ja + n]
            a_ = active[i, ja:ja + n]
            qx_ = qx[i, ja:ja + n + 1]
            qn_ = qy[i, ja:ja + n]
            hmax = zero
            for k in range(n):
                h0 = h_[k]
                hn = h0 + cx * (qx_[k] - qx_[k + 1]) + cy * (qn_[k] - qs_[k]) + rain
                hn = max(hn, zero)
                hn = hn if a_[k] != 0 else h0
                h_[k] = hn
                hb_[k] = hn
            for k in range(n):
                hmax = max(hmax, hb_[k])
            row_hmax[i] = hmax
            # wet range
            new_lo = lo[i]
            new_hi = hi[i]
            for j in range(ja, min(new_lo, jb + 1)):
                if hb[j - ja] > zero:
                    new_lo = j
                    break
            for j in range(jb, max(new_hi, ja - 1), -1):
                if hb[j - ja] > zero:
                    new_hi = j
                    break
            lo[i] = new_lo
            hi[i] = new_hi
            # maxima and threshold statistics (exact, every step)
            md_ = max_depth[i, ja:ja + n]
            tm_ = time_of_max[i, ja:ja + n]
            for k in range(n):
                hn = hb_[k]
                m = md_[k]
                up = hn > m
                md_[k] = hn if up else m
                tm_[k] = tend32 if up else tm_[k]
            mv_ = max_velocity[i, ja:ja + n]
            for k in range(n):
                hn = hb_[k]
                ux = qx_[k] + qx_[k + 1]
                uy = qn_[k] + qs_[k]
                vel = half * np.sqrt(ux * ux + uy * uy) / max(hn, hmin)
                mv = mv_[k]
                v32 = np.float32(vel)
                mv_[k] = v32 if (hn > hmin and v32 > mv) else mv
            fw_ = first_wet[i, ja:ja + n]
            du_ = duration_over[i, ja:ja + n]
            for k in range(n):
                over = hb_[k] > thr
                fw = fw_[k]
                fw_[k] = tend32 if (over and fw < 0) else fw
                du_[k] += dt if over else 0.0


@njit(cache=True)
def _ranges(lo, hi, cols, a, b, ta, tb):
    """Cells to update (``a``/``b``: wet ranges of the row and its two neighbours, one
    column wider) and north faces to compute (``ta``/``tb``) per row; returns the
    number of cells to update."""
    rows = lo.size
    count = 0
    for i in range(rows):
        l = lo[i]
        r = hi[i]
        if i > 0 and lo[i - 1] <= hi[i - 1]:
            l = min(l, lo[i - 1])
            r = max(r, hi[i - 1])
        if i + 1 < rows and lo[i + 1] <= hi[i + 1]:
            l = min(l, lo[i + 1])
            r = max(r, hi[i + 1])
        if l <= r:
            a[i] = max(l - 1, 0)
            b[i] = min(r + 1, cols - 1)
            count += b[i] - a[i] + 1
        else:
            a[i] = cols
            b[i] = cols - 1
    for i in range(rows):
        l = a[i]
        r = b[i]
        if i > 0 and a[i - 1] <= b[i - 1]:
            if l <= r:
                l = min(l, a[i - 1])
                r = max(r, b[i - 1])
            else:
                l = a[i - 1]
                r = b[i - 1]
        ta[i] = l
        tb[i] = r
    return count


@njit(cache=True, parallel=True)
def _tidy(h, qx, qy, lo, hi):
    """Recompute the wet ranges from the depths and zero the discharges on faces whose
    two cells are dry (run now and then, so that ranges can shrink again)."""
    rows, cols = h.shape
    zero = qx.dtype.type(0.0)
    for i in prange(rows):
        l = cols
        r = -1
        for j in range(cols):
            if h[i, j] > 0:
                if l == cols:
                    l = j
                r = j
        lo[i] = l
        hi[i] = r
        for j in range(cols + 1):
            wl = j > 0 and h[i, j - 1] > 0
            wr = j < cols and h[i, j] > 0
            if not (wl or wr):
                qx[i, j] = zero
        for j in range(cols):
            wu = i > 0 and h[i - 1, j] > 0
            if not (wu or h[i, j] > 0):
                qy[i, j] = zero
            if i == rows - 1 and not h[i, j] > 0:
                qy[rows, j] = zero


@njit(cache=True)
def _green_ampt_step(F, kdt, pd):
    """Depth (m) Green-Ampt soil takes in a step of ponding from an infiltrated depth F:
    the root F1 > F of ``F1 - F - pd ln((F1 + pd) / (F + pd)) = K Δt`` (pd = ψ Δθ), by
    Newton's method from above (the left side is convex in F1)."""
    if kdt <= 0:
        return 0.0
    if pd <= 0:
        return kdt
    f1 = F + kdt + np.sqrt(2.0 * pd * kdt)
    for _ in range(30):
        g = f1 - F - pd * np.log((f1 + pd) / (F + pd)) - kdt
        step = g * (f1 + pd) / f1
        f1 -= step
        if abs(step) <= 1e-12 * (f1 + pd):
            break
    return max(f1 - F, 0.0)


@njit(cache=True, parallel=True)
def _losses(h, active, a, b, rain_depth, dt, kind, p1, p2, p3, state):
    """Add the rain of the step and take infiltration, per cell; returns the volume per
    cell area infiltrated (m, summed over cells).

    ``kind`` 1: constant rate ``p1`` (m/s). 2: Horton, ``state`` = current capacity
    (m/s), ``p1`` = f_min (m/s), ``p2`` = decay k (1/s): the capacity decays as
    ``f ← f_min + (f - f_min) exp(-k F_step / f)``, i.e. with the water infiltrated
    (exactly Horton's curve under ponding; slower when less water is available).
    3: Green-Ampt, ``state`` = infiltrated depth F (m), ``p1`` = K_s (m/s),
    ``p2`` = suction head × moisture deficit (m): the capacity of the step integrates
    ``K_s (1 + p2 / F)`` over it (:func:`_green_ampt_step`).
    Parameter arrays may be broadcast (zero strides).
    """
    rows, cols = h.shape
    total = 0.0
    for i in prange(rows):
        for j in range(a[i], b[i] + 1):
            if not active[i, j]:
                continue
            avail = h[i, j] + rain_depth
            if kind == 1:
                cap = p1[i, j] * dt
            elif kind == 2:
                cap = state[i, j] * dt
            else:
                cap = _green_ampt_step(state[i, j], p1[i, j] * dt, p2[i, j])
            inf = min(cap, avail)
            if inf < 0:
                inf = 0.0
            h[i, j] = avail - inf
            if kind == 2:
                f = state[i, j]
                if f > 0 and inf > 0:
                    fmin = p1[i, j]
                    state[i, j] = fmin + (f - fmin) * np.exp(-p2[i, j] * inf / f)
            elif kind == 3:
                state[i, j] += inf
            total += inf
    return total


@njit(cache=True)
def _cell_velocity(h, qx, qy, rows_idx, cols_idx, h_min):
    """Depth-averaged speed (m/s) at some cells from the discharges on their faces."""
    out = np.zeros(rows_idx.size)
    for k in range(rows_idx.size):
        i = rows_idx[k]
        j = cols_idx[k]
        d = h[i, j]
        if d > h_min:
            ux = 0.5 * (qx[i, j] + qx[i, j + 1]) / d
            uy = 0.5 * (qy[i, j] + qy[i + 1, j]) / d
            out[k] = np.sqrt(ux * ux + uy * uy)
    return out


@njit(cache=True)
def _add_volume(h, rows, cols, vol, area, lo, hi, applied):
    """Add (or take, never below empty) ``vol`` m³ at cells ``(rows, cols)`` in turn;
    ``applied`` gets what each entry changed, in m³, read back from the stored depth (so
    float32 rounding is booked as it happened). Widens the rows' wet column ranges.
    Returns the deepest depth written (0 if none)."""
    deepest = 0.0
    for m in range(vol.size):
        r, c = rows[m], cols[m]
        old = h[r, c]
        new = max(0.0, float(old) + vol[m] / area)
        h[r, c] = new
        stored = float(h[r, c])
        applied[m] = (stored - float(old)) * area
        if stored > 0.0:
            if c < lo[r]:
                lo[r] = c
            if c > hi[r]:
                hi[r] = c
            if stored > deepest:
                deepest = stored
    return deepest
