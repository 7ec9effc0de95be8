"""Drivers shared by pointwise losses (one value and one gradient per element).

A pointwise loss supplies a scalar Numba helper ``elem(y, raw) -> (loss, grad)``
and its NumPy twin working on whole arrays; :func:`pointwise_kernels` turns the
pair into the kernels every loss needs.  Where only the loss is used, LLVM
drops the unused gradient arithmetic.

A loss whose elementwise work is compute-bound (logs, exponentials) may also
supply ``elem32``, the same in float32 arithmetic: unweighted float32 inputs
then run 8 lanes to a vector instead of 4, summed in float32 over runs of
SUB elements and in float64 beyond (so the sum stays accurate at any size).
"""

from types import SimpleNamespace

import numpy as np

from .._jit import Rows, jit
from .._mathfn import BLOCK, accumulate, block_of, n_blocks, smallest, total, weight, weight_totals
from .._registry import Kernel

#: Elements summed in float32 before the partial sum joins the float64 total.
SUB = 256


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
        if k == 1 and HAS_F32 and wb is None and pb.itemsize == 4:
            acc = 0.0
            for s in range(0, yb.shape[0], SUB):
                ys = yb[s : s + SUB]
                ps = pb[s : s + SUB]
                part = np.float32(0.0)
                for j in range(ys.shape[0]):
                    part += elem32(ys[j], ps[j])[0]
                run = np.float64(part)
                if not (abs(part) < np.inf):  # float32 overflow (or a NaN): the run again in float64
                    run = 0.0
                    for j in range(ys.shape[0]):
                        run += elem(ys[j], ps[j])[0]
                acc += run
            sums[b, 0] = acc
        elif k == 1:  # the common case: a unit-stride loop LLVM vectorises
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
    for j in range(k):
        columns[j] = total(sums[:, j])  # compensated: thread-count independent
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
        if HAS_F32 and wb is None and rb.itemsize == 4:
            scale32 = np.float32(scale)
            for s in range(0, rb.shape[0], SUB):
                ys = yb[s : s + SUB]
                rs = rb[s : s + SUB]
                gs = gb[s : s + SUB]
                part = np.float32(0.0)
                for j in range(rs.shape[0]):
                    value, slope = elem32(ys[j], rs[j])
                    part += value
                    gs[j] = scale32 * slope
                run = np.float64(part)
                if not (abs(part) < np.inf):  # float32 overflow (or a NaN): the run again in float64
                    run = 0.0
                    for j in range(ys.shape[0]):
                        run += elem(ys[j], rs[j])[0]
                acc += run
        else:
            for j in range(rb.shape[0]):
                wi = weight(wb, j)
                value, slope = elem(yb[j], rb[j])
                acc += wi * value
                gb[j] = scale * wi * slope
        sums[b] = acc
    return total(sums)


def _metric_sums_numpy(elem_numpy):
    def metric_sums(y, p, w):
        values = elem_numpy(y.astype(np.float64, copy=False), p.astype(np.float64, copy=False))[0]
        if w is None:
            return values.sum(axis=0), float(y.shape[0]), 1.0
        return (values * w[:, None]).sum(axis=0), float(w.sum()), float(w.min())

    return metric_sums


def _loss_gradient_numpy(elem_numpy):
    def loss_gradient(y, raw, w, scale, grad):
        values, slopes = elem_numpy(y.astype(np.float64, copy=False), raw.astype(np.float64, copy=False))
        if w is not None:
            values = values * w
            slopes = slopes * w
        grad[...] = scale * slopes
        return float(values.sum())

    return loss_gradient


def pointwise_kernels(name: str, elem, elem_numpy, elem32=None) -> SimpleNamespace:
    """Kernels of a pointwise loss from its elementwise pair (and float32 twin).

    Returns a namespace with ``metric_sums(size, y, p, w) -> (sums, wsum, wmin)``
    over (n, k) arrays and ``loss_gradient(size, y, raw, w, scale, grad) -> sum``
    over 1-D arrays.
    """
    bound = {"elem": elem, "elem32": elem if elem32 is None else elem32, "HAS_F32": elem32 is not None}
    return SimpleNamespace(
        metric_sums=Kernel(_metric_sums.specialise(name, **bound), _metric_sums_numpy(elem_numpy)),
        loss_gradient=Kernel(
            _loss_gradient.specialise(name, **bound), _loss_gradient_numpy(elem_numpy)
        ),
    )
