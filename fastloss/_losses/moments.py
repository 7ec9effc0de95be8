"""Weighted first and second moments of targets and residuals, per block of rows.

The state of the variance-based scores (``r2_score``,
``explained_variance_score``): per output, the weight sum ``W``, the weighted
means and centred second moments ``M2 = sum(w * (v - mean)**2)`` of ``y`` and
of the residual ``y - p``, and the weighted sum of squared residuals.

Every value is first shifted by a reference value per column (``shift``:
the values of the first row that has weight, given by the caller), and the
means are kept relative to it: an offset such as ``y = 1e8 + noise`` then
costs no digits, neither in a block nor where blocks merge (means near 1e8
would carry an error of 1e-8 into every merge), and a column constant among
its weighted rows has mean 0 and ``M2 = 0`` exactly.
Each block of BLOCK rows is summed in two passes over data in cache: the
first gives the block's mean, the second the deviations from it and their
squares (the corrected two-pass formula).  Blocks are returned separately
and merged by Chan's formula (:func:`fastloss._metric_core.merge_moments`)
in a fixed order: the result does not depend on the thread count.
"""

from types import SimpleNamespace

import numpy as np

from .._jit import Absent, Rows, jit
from .._mathfn import BLOCK, block_of, n_blocks, unweighted
from .._registry import Kernel

#: Columns of a block's moments.
W, MEAN_Y, M2_Y, MEAN_R, M2_R, SSR = range(6)
N_STATS = 6


@jit(rows=Rows(args=(0, 1, 2), merge=("concat", "min")), absent=Absent(weights=(2,)))
def _block_moments_numba(y, p, w, shift):
    """Moments of (n, k) ``y`` and ``y - p`` per block: ((n_blocks, k, 6), weight min).

    ``shift`` (k, 2): the reference values of ``y`` and of ``y - p`` per
    column, which the means are relative to.
    """
    n, k = y.shape
    nb = n_blocks(n)
    out = np.zeros((nb, k, N_STATS))
    ones = np.ones(min(n, BLOCK))
    yf = y.reshape(n * k)
    pf = p.reshape(n * k)
    wmin = np.inf
    for b in range(nb):
        lo = b * BLOCK
        hi = min(lo + BLOCK, n)
        m = hi - lo
        wb = block_of(w, lo, hi)
        wk = ones[:m] if unweighted(wb) else wb
        # The minimum in a loop of its own: in the loops below it would
        # keep them from vectorising.
        for r in range(wb.shape[0]):
            wmin = min(wmin, wb[r])
        yb = yf[lo * k : hi * k]
        pb = pf[lo * k : hi * k]
        for j in range(k):
            yj = yb[j:]
            pj = pb[j:]
            t0 = shift[j, 0]
            r0 = shift[j, 1]
            wsum = 0.0
            shifted_y = 0.0
            shifted_r = 0.0
            ssr = 0.0
            plain = k == 1 and unweighted(wb)
            if plain:  # unit stride, no weights: the common case, vectorised
                wsum = np.float64(m)
                for r in range(m):
                    t = np.float64(yb[r])
                    d = t - np.float64(pb[r])
                    shifted_y += t - t0
                    shifted_r += d - r0
                    ssr += d * d
            else:
                for r in range(m):
                    wi = wk[r]
                    t = np.float64(yj[r * k])
                    d = t - np.float64(pj[r * k])
                    wsum += wi
                    shifted_y += wi * (t - t0)
                    shifted_r += wi * (d - r0)
                    ssr += wi * (d * d)
            stats = out[b, j]
            stats[W] = wsum
            stats[SSR] = ssr
            if not wsum > 0.0:
                continue  # no weight in this block: nothing to merge
            mean_y = shifted_y / wsum  # relative to the shifts
            mean_r = shifted_r / wsum
            dev_y = 0.0
            sq_y = 0.0
            dev_r = 0.0
            sq_r = 0.0
            if plain:
                for r in range(m):
                    t = np.float64(yb[r])
                    a = (t - t0) - mean_y
                    e = ((t - np.float64(pb[r])) - r0) - mean_r
                    dev_y += a
                    sq_y += a * a
                    dev_r += e
                    sq_r += e * e
            else:
                for r in range(m):
                    wi = wk[r]
                    t = np.float64(yj[r * k])
                    a = (t - t0) - mean_y
                    e = ((t - np.float64(pj[r * k])) - r0) - mean_r
                    dev_y += wi * a
                    sq_y += wi * (a * a)
                    dev_r += wi * e
                    sq_r += wi * (e * e)
            stats[MEAN_Y] = mean_y
            stats[M2_Y] = max(sq_y - dev_y * dev_y / wsum, 0.0)
            stats[MEAN_R] = mean_r
            stats[M2_R] = max(sq_r - dev_r * dev_r / wsum, 0.0)
    if unweighted(w):
        wmin = 1.0
    return out, wmin


def _block_moments_numpy(y, p, w, shift):
    n, k = y.shape
    nb = -(-n // BLOCK)
    out = np.zeros((nb, k, N_STATS))
    for b in range(nb):
        yb = y[b * BLOCK : (b + 1) * BLOCK].astype(np.float64)
        rb = yb - p[b * BLOCK : (b + 1) * BLOCK].astype(np.float64)
        wb = np.ones(yb.shape[0]) if w is None else w[b * BLOCK : (b + 1) * BLOCK]
        wsum = wb.sum()
        stats = out[b]
        stats[:, W] = wsum
        stats[:, SSR] = (wb[:, None] * rb * rb).sum(axis=0)
        if not wsum > 0.0:
            continue
        for col, mean_at, m2_at in ((yb - shift[:, 0], MEAN_Y, M2_Y), (rb - shift[:, 1], MEAN_R, M2_R)):
            mean = (wb[:, None] * col).sum(axis=0) / wsum
            dev = col - mean
            m2 = (wb[:, None] * dev * dev).sum(axis=0) - (wb[:, None] * dev).sum(axis=0) ** 2 / wsum
            stats[:, mean_at] = mean
            stats[:, m2_at] = np.maximum(m2, 0.0)
    wmin = 1.0 if w is None else (float(w.min()) if w.size else np.inf)
    return out, wmin


KERNELS = SimpleNamespace(block_moments=Kernel(_block_moments_numba, _block_moments_numpy))
