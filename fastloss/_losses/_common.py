"""Kernels shared by every loss: statistics of the sample weights."""

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
