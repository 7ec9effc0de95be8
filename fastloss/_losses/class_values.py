"""Kernels of the class-prediction metrics: the Brier score and the hinge loss
with the per-class weight totals (``brier_score_loss``, ``d2_brier_score``,
``hinge_loss``).

One pass gives a metric's mergeable state: the weighted sum of the per-sample
values, the weight sum and minimum, the weight of each class (what a D²
score's null model needs), unmatched labels, the mask of seen classes and the
rows whose probabilities do not sum to one.  Labels reach the kernels as
int64 class indices (the caller maps other labels, see
``_common.label_columns_numpy``); an index outside 0..k-1 is unmatched,
counted, not guessed at.  One label dtype and no label search keep the
compiled code small: each specialisation costs compile time.  ``p`` is 1-D
for binary inputs (the probability or decision value of class 1) and (n, k)
otherwise.  Invalid values (a probability outside [0, 1], a NaN or infinite
decision) make the sum NaN for the caller to diagnose.

The arithmetic of each value is scikit-learn's, in its dtype, so float32
inputs round as they do there: the Brier terms in the probabilities' dtype,
the binary hinge margin in float64 (an int64 label times the decision), the
multiclass margin in the decisions' dtype.
"""

from types import SimpleNamespace

import numpy as np

from .._jit import Absent, Rows, jit
from .._mathfn import (
    BLOCK,
    accumulate,
    block_of,
    n_blocks,
    smallest,
    total,
    weight,
    weight_totals,
)
from .._registry import Kernel
from .log_loss import MASK_BITS

#: What a call sums per sample (``code``).
BRIER = 0  #: the sum over classes of (indicator - probability)**2
HINGE = 1  #: max(0, 1 - margin), Crammer-Singer's margin for several classes


@jit(helper=True)
def _binary_brier(pj, one, unit):
    # scikit-learn stacks (1 - p, p) against (1 - t, t), in p's dtype.
    t = unit if one else unit - unit
    a = (unit - t) - (unit - pj)
    b = t - pj
    value = np.float64(a * a + b * b)
    return value if (pj >= 0.0 and pj <= 1.0) else np.nan


@jit(helper=True)
def _binary_hinge(pj, one, unit):
    # An int64 label of -1/+1 times the decision: float64, as in scikit-learn.
    m = 1.0 - (np.float64(pj) if one else -np.float64(pj))
    m = m if not (m < 0.0) else 0.0  # NaN stays NaN
    return m if abs(np.float64(pj)) < np.inf else np.nan  # an infinite decision too


@jit(helper=True)
def _binary_block_01(yb, pb, wb, value_of, unit, part):
    """One block of 1-D ``p`` (``value_of`` one of the helpers above, each
    call site its own loop); adds the block's class weights to ``part``.
    Labels are compared with 0 and 1 and counted in float sums, so that the
    loop vectorises."""
    acc = 0.0
    wsum = 0.0
    wmin = np.inf
    w0 = 0.0
    w1 = 0.0
    n1 = 0.0
    valid = 0.0
    for j in range(pb.shape[0]):
        label = yb[j]
        one = label == 1
        known = one or label == 0
        value = value_of(pb[j], one, unit)
        acc, wsum, wmin = accumulate(acc, wsum, wmin, value if known else 0.0, wb, j)
        wj = weight(wb, j)
        w1 += wj if one else 0.0
        w0 += wj if label == 0 else 0.0
        n1 += 1.0 if one else 0.0
        valid += 1.0 if known else 0.0
    wsum, wmin = weight_totals(wb, pb.shape[0], wsum, wmin)
    miss = pb.shape[0] - valid
    part[0] += w0
    part[1] += w1
    mask = np.int64(valid - n1 > 0) | (np.int64(n1 > 0) << 1)
    return acc, wsum, wmin, miss, mask, 0.0


@jit(helper=True)
def _multiclass_brier(pr, c, unit, tol):
    """(the row's sum of squared differences, 1.0 if it does not sum to one)."""
    value = 0.0
    rowsum = 0.0
    ok = True
    for j in range(pr.shape[0]):
        pj = pr[j]
        d = np.float64((unit if j == c else unit - unit) - pj)
        value += d * d
        rowsum += np.float64(pj)
        ok = ok and (pj >= 0.0 and pj <= 1.0)
    return (value if ok else np.nan), (0.0 if abs(rowsum - 1.0) <= tol else 1.0)


@jit(helper=True)
def _multiclass_hinge(pr, c, unit, tol):
    """(max(0, 1 - Crammer-Singer margin), 0.0): the margin in p's dtype."""
    best = pr[1] if c == 0 else pr[0]  # a column other than c (k >= 2), in p's dtype
    bad = False
    for j in range(pr.shape[0]):
        pj = pr[j]
        bad = bad or not (abs(np.float64(pj)) < np.inf)
        if j != c:
            best = max(best, pj)
    loss = unit - (pr[max(c, 0)] - best)
    value = np.float64(loss) if not (loss < 0.0) else 0.0
    return (np.nan if bad else value), 0.0


@jit(helper=True)
def _multiclass_block(yb, pb, wb, value_of, unit, tol, part):
    """One block of (n, k) ``p``; adds the block's class weights to ``part``."""
    acc = 0.0
    wsum = 0.0
    wmin = np.inf
    miss = 0.0
    mask = 0
    off = 0.0
    for r in range(pb.shape[0]):
        label = yb[r]
        c = label if label >= 0 and label < pb.shape[1] else -1
        value, skew = value_of(pb[r], c, unit, tol)
        acc, wsum, wmin = accumulate(acc, wsum, wmin, value if c >= 0 else 0.0, wb, r)
        off += skew
        if c >= 0:
            part[c] += weight(wb, r)
        miss += 1.0 if c < 0 else 0.0
        mask |= (np.int64(1) << min(c, MASK_BITS)) if c >= 0 else 0
    wsum, wmin = weight_totals(wb, pb.shape[0], wsum, wmin)
    return acc, wsum, wmin, miss, mask, off


@jit(helper=True, fastmath=None)
def _add_compensated(totals, comp, part):
    """``totals += part`` elementwise, Neumaier-compensated in ``comp``; zeroes ``part``."""
    for i in range(part.shape[0]):
        x = part[i]
        s = totals[i] + x
        if abs(totals[i]) >= abs(x):
            comp[i] += (totals[i] - s) + x
        else:
            comp[i] += (x - s) + totals[i]
        totals[i] = s
        part[i] = 0.0


_MERGE = Rows(args=(0, 1, 2), merge=("sum", "sum", "min", "sum", "or", "sum", "sum"))


@jit(rows=_MERGE, absent=Absent(weights=(2,)))
def _binary_numba(y, p, w, code, tol):
    """(weighted sum of the values, weight sum, weight min, unmatched labels,
    seen mask, rows not summing to one, weight of each class) of 1-D ``p``."""
    n = p.shape[0]
    nb = n_blocks(n)
    out = np.zeros((nb, 5))
    masks = np.zeros(nb, dtype=np.int64)
    part = np.zeros(2)
    totals = np.zeros(2)
    comp = np.zeros(2)
    unit = np.ones(1, dtype=p.dtype)[0]
    for b in range(nb):
        lo = b * BLOCK
        hi = min(lo + BLOCK, n)
        yb, pb, wb = y[lo:hi], p[lo:hi], block_of(w, lo, hi)
        if code == BRIER:
            res = _binary_block_01(yb, pb, wb, _binary_brier, unit, part)
        else:
            res = _binary_block_01(yb, pb, wb, _binary_hinge, unit, part)
        out[b, 0], out[b, 1], out[b, 2], out[b, 3], masks[b], out[b, 4] = res
        _add_compensated(totals, comp, part)
    return _finish(out, masks, totals, comp)


@jit(rows=_MERGE, absent=Absent(weights=(2,)))
def _multiclass_numba(y, p, w, code, tol):
    """As :func:`_binary_numba`, for (n, k) ``p``.

    (Its block loop repeats :func:`_binary_numba`'s: a shared helper taking
    the block function compiled 0.25-0.3 s slower per kernel and dtype.)
    """
    n = p.shape[0]
    k = p.shape[1]
    nb = n_blocks(n)
    out = np.zeros((nb, 5))
    masks = np.zeros(nb, dtype=np.int64)
    part = np.zeros(k)
    totals = np.zeros(k)
    comp = np.zeros(k)
    unit = np.ones(1, dtype=p.dtype)[0]
    for b in range(nb):
        lo = b * BLOCK
        hi = min(lo + BLOCK, n)
        yb, pb, wb = y[lo:hi], p[lo:hi], block_of(w, lo, hi)
        if code == BRIER:
            res = _multiclass_block(yb, pb, wb, _multiclass_brier, unit, tol, part)
        else:
            res = _multiclass_block(yb, pb, wb, _multiclass_hinge, unit, tol, part)
        out[b, 0], out[b, 1], out[b, 2], out[b, 3], masks[b], out[b, 4] = res
        _add_compensated(totals, comp, part)
    return _finish(out, masks, totals, comp)


@jit(helper=True)
def _finish(out, masks, totals, comp):
    mask = 0
    for b in range(masks.shape[0]):
        mask |= masks[b]
    for i in range(totals.shape[0]):
        totals[i] += comp[i]
    return (
        total(out[:, 0]),
        total(out[:, 1]),
        smallest(out[:, 2]),
        total(out[:, 3]),
        mask,
        total(out[:, 4]),
        totals,
    )


# -- NumPy twins ------------------------------------------------------------------


def _weighted(values, w):
    if w is None:
        return float(values.sum()), float(values.shape[0]), 1.0
    return float((w * values).sum()), float(w.sum()), float(w.min()) if w.size else np.inf


def _class_weights(cols, w, k):
    ok = cols >= 0
    return np.bincount(cols[ok], weights=None if w is None else w[ok], minlength=k).astype(
        np.float64
    )


def _mask(cols):
    seen = np.unique(np.minimum(cols[cols >= 0], MASK_BITS))
    return int(np.bitwise_or.reduce(np.left_shift(np.int64(1), seen), initial=0))


def _columns(y, k):
    return np.where((y >= 0) & (y < k), y, -1)


def _binary_numpy(y, p, w, code, tol):
    cols = _columns(y, 2)
    one = cols == 1
    if code == BRIER:
        t = one.astype(p.dtype)
        a = (1 - t) - (1 - p)
        b = t - p
        values = (a * a + b * b).astype(np.float64)
        values = np.where((p >= 0) & (p <= 1), values, np.nan)
    else:
        values = 1.0 - np.where(one, 1.0, -1.0) * p.astype(np.float64)
        values = np.where(values < 0, 0.0, values)
        values = np.where(np.isfinite(p), values, np.nan)
    values = np.where(cols < 0, 0.0, values)
    acc, wsum, wmin = _weighted(values, w)
    return acc, wsum, wmin, float((cols < 0).sum()), _mask(cols), 0.0, _class_weights(cols, w, 2)


def _multiclass_numpy(y, p, w, code, tol):
    n, k = p.shape
    cols = _columns(y, k)
    rows = np.arange(n)
    picked = np.maximum(cols, 0)
    off = 0.0
    if code == BRIER:
        t = np.zeros_like(p)
        t[rows, picked] = 1
        d = (t - p).astype(np.float64)
        values = (d * d).sum(axis=1)
        values = np.where(((p >= 0) & (p <= 1)).all(axis=1), values, np.nan)
        off = float((~(np.abs(p.astype(np.float64).sum(axis=1) - 1.0) <= tol)).sum())
    else:
        others = p.copy()
        others[rows, picked] = -np.inf
        loss = 1 - (p[rows, picked] - others.max(axis=1))
        values = np.where(loss < 0, 0.0, loss).astype(np.float64)
        values = np.where(np.isfinite(p).all(axis=1), values, np.nan)
    values = np.where(cols < 0, 0.0, values)
    acc, wsum, wmin = _weighted(values, w)
    return acc, wsum, wmin, float((cols < 0).sum()), _mask(cols), off, _class_weights(cols, w, k)


KERNELS = SimpleNamespace(
    binary=Kernel(_binary_numba, _binary_numpy),
    multiclass=Kernel(_multiclass_numba, _multiclass_numpy),
)
