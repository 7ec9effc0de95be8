"""Bandwidth floors: trivial compiled passes over the same bytes as a workload.

A floor reads the inputs a workload reads (and writes the output it writes)
doing one addition per element, in parallel, with the blocked structure the
kernels use.  ``floor time / fastloss time`` is the fraction of the machine's
attainable memory speed a kernel reaches.  A workload that returns a new
output array is measured against a floor that writes into a new array too.
"""

import numpy as np

from ._jit import Rows, jit
from ._mathfn import BLOCK, n_blocks, total


@jit(rows=Rows(args=(0, 1), merge="sum"))
def read_floor(a, b):
    """Read two 1-D arrays once (a metric's traffic)."""
    n = a.shape[0]
    nb = n_blocks(n)
    sums = np.zeros(nb)
    for blk in range(nb):
        lo = blk * BLOCK
        hi = min(lo + BLOCK, n)
        ab = a[lo:hi]
        bb = b[lo:hi]
        acc = 0.0
        for j in range(ab.shape[0]):
            acc += np.float64(ab[j]) + np.float64(bb[j])
        sums[blk] = acc
    return total(sums)


@jit(rows=Rows(args=(0, 1, 2), merge="sum"))
def read_write_floor(a, b, out):
    """Read two 1-D arrays and write one (a fused loss-and-gradient's traffic)."""
    n = a.shape[0]
    nb = n_blocks(n)
    sums = np.zeros(nb)
    for blk in range(nb):
        lo = blk * BLOCK
        hi = min(lo + BLOCK, n)
        ab = a[lo:hi]
        bb = b[lo:hi]
        ob = out[lo:hi]
        acc = 0.0
        for j in range(ab.shape[0]):
            v = np.float64(ab[j]) + np.float64(bb[j])
            ob[j] = v
            acc += v
        sums[blk] = acc
    return total(sums)
