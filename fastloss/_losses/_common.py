"""Kernels shared by every loss and metric: statistics of the sample weights,
the column of a class label."""

import numpy as np

from .._jit import Rows, jit
from .._mathfn import BLOCK, n_blocks, smallest, total
from .._registry import Kernel


@jit(rows=Rows(args=(0,), merge=("sum", "min")))
def _weight_stats_numba(w):
    n = w.shape[0]
    nb = n_blocks(n)
    sums = np.zeros(nb)
    mins = np.empty(nb)
    for b in range(nb):
        wb = w[b * BLOCK : min(b * BLOCK + BLOCK, n)]
        acc = 0.0
        low = np.inf
        for j in range(wb.shape[0]):
            acc += wb[j]
            low = min(low, wb[j])
        sums[b] = acc
        mins[b] = low
    # A NaN weight makes the sum NaN, which the caller diagnoses.
    return total(sums), smallest(mins)


def _weight_stats_numpy(w):
    return float(np.sum(w)), float(np.min(w))


#: (sum, min) of a 1-D float64 weight array.
weight_stats = Kernel(_weight_stats_numba, _weight_stats_numpy)


@jit(helper=True)
def label_column(label, classes, identity):
    """Column of ``label`` among sorted ``classes``, or -1 when absent."""
    k = classes.shape[0]
    if identity:
        if not (label >= 0 and label < k):
            return -1
        c = np.int64(label)
        return c if c == label else -1
    lo = 0
    hi = k
    while lo < hi:
        mid = (lo + hi) // 2
        if classes[mid] < label:
            lo = mid + 1
        else:
            hi = mid
    if lo < k and classes[lo] == label:
        return lo
    return -1


def label_columns_numpy(y, classes, identity):
    """NumPy twin of :func:`label_column`, for an array of labels."""
    k = classes.shape[0]
    if identity:
        yf = y.astype(np.float64, copy=False)
        ok = (yf >= 0) & (yf < k) & (yf == np.floor(yf))
        return np.where(ok, yf, -1).astype(np.int64)
    pos = np.minimum(np.searchsorted(classes, y), k - 1)
    return np.where(classes[pos] == y, pos, -1)
