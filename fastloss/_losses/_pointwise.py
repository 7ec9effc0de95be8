"""Drivers shared by pointwise losses (one value and one gradient per element).

A pointwise loss supplies a scalar Numba helper ``elem(y, raw) -> (loss, grad)``
and its NumPy twin working on whole arrays; :func:`pointwise_kernels` turns the
pair into the kernels every loss needs.  Where only the loss is used, LLVM
drops the unused gradient arithmetic.
"""

from types import SimpleNamespace

import numpy as np

from .._jit import Rows, jit
from .._mathfn import BLOCK, accumulate, block_of, n_blocks, smallest, total, weight, weight_totals
from .._registry import Kernel


@jit(rows=Rows(args=(0, 1, 2), merge=("sum", "sum", "min")), template=True)
def _metric_sums(y, p, w):
    """Per-column weighted loss sums of (n, k) arrays, plus weight sum and min."""
    n, k = y.shape
    nb = n_blocks(n)
    sums = np.zeros((nb, k))
    wsums = np.zeros(nb)
    wmins = np.empty(nb)
    yf = y.reshape(n * k)
    pf = p.reshape(n * k)
    for b in range(nb):
        lo = b * BLOCK
        hi = min(lo + BLOCK, n)
        wb = block_of(w, lo, hi)
        yb = yf[lo * k : hi * k]
        pb = pf[lo * k : hi * k]
        wsum = 0.0
        wmin = np.inf
        if k == 1:  # the common case: a unit-stride loop LLVM vectorises
            acc = 0.0
            for j in range(yb.shape[0]):
                acc, wsum, wmin = accumulate(acc, wsum, wmin, elem(yb[j], pb[j])[0], wb, j)
            sums[b, 0] = acc
        else:
            for r in range(hi - lo):
                wi = weight(wb, r)
                for j in range(k):
                    sums[b, j] += wi * elem(yb[r * k + j], pb[r * k + j])[0]
                wsum += wi
                wmin = min(wmin, wi)
        wsum, wmin = weight_totals(wb, hi - lo, wsum, wmin)
        wsums[b] = wsum
        wmins[b] = wmin
    columns = np.zeros(k)
    for b in range(nb):
        for j in range(k):
            columns[j] += sums[b, j]
    return columns, total(wsums), smallest(wmins)


@jit(rows=Rows(args=(0, 1, 2, 4), merge="sum"), template=True)
def _loss_gradient(y, raw, w, scale, grad):
    """Weighted loss sum; writes ``grad[i] = scale * w[i] * dloss/draw[i]``."""
    n = raw.shape[0]
    nb = n_blocks(n)
    sums = np.zeros(nb)
    for b in range(nb):
        lo = b * BLOCK
        hi = min(lo + BLOCK, n)
        wb = block_of(w, lo, hi)
        yb = y[lo:hi]
        rb = raw[lo:hi]
        gb = grad[lo:hi]
        acc = 0.0
        for j in range(rb.shape[0]):
            wi = weight(wb, j)
            value, slope = elem(yb[j], rb[j])
            acc += wi * value
            gb[j] = scale * wi * slope
        sums[b] = acc
    return total(sums)


def _metric_sums_numpy(elem_numpy):
    def metric_sums(y, p, w):
        values = elem_numpy(y.astype(np.float64), p.astype(np.float64))[0]
        if w is None:
            return values.sum(axis=0), float(y.shape[0]), 1.0
        return (values * w[:, None]).sum(axis=0), float(w.sum()), float(w.min())

    return metric_sums


def _loss_gradient_numpy(elem_numpy):
    def loss_gradient(y, raw, w, scale, grad):
        values, slopes = elem_numpy(y.astype(np.float64), raw.astype(np.float64))
        if w is not None:
            values = values * w
            slopes = slopes * w
        grad[...] = scale * slopes
        return float(values.sum())

    return loss_gradient


def pointwise_kernels(name: str, elem, elem_numpy) -> SimpleNamespace:
    """Kernels of a pointwise loss from its elementwise pair.

    Returns a namespace with ``metric_sums(size, y, p, w) -> (sums, wsum, wmin)``
    over (n, k) arrays and ``loss_gradient(size, y, raw, w, scale, grad) -> sum``
    over 1-D arrays.
    """
    return SimpleNamespace(
        metric_sums=Kernel(
            _metric_sums.specialise(name, elem=elem), _metric_sums_numpy(elem_numpy)
        ),
        loss_gradient=Kernel(
            _loss_gradient.specialise(name, elem=elem), _loss_gradient_numpy(elem_numpy)
        ),
    )
