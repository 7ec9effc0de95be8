"""Log loss of predicted probabilities (the ``log_loss`` metric's kernels).

Labels reach the kernels as values plus a sorted ``classes`` array: with
``identity=True`` the classes are 0..k-1 and a label is its own column (the
common case, no search); otherwise each label is found by binary search.
Labels that match no class are counted, not guessed at.  Probabilities
outside [0, 1] (or NaN) make the sum NaN, which the caller diagnoses.
"""

from types import SimpleNamespace

import numpy as np

from .._jit import Rows, jit
from .._mathfn import (
    _F0,
    _F1,
    BLOCK,
    accumulate,
    block_of,
    log_pos,
    log_pos32,
    n_blocks,
    smallest,
    total,
    weight_totals,
)
from ._pointwise import SUB
from .._registry import Kernel

#: Labels are recorded in a 64-bit mask of seen columns (column 63 = "63+").
MASK_BITS = 63


@jit(helper=True)
def _column(label, classes, identity):
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


@jit(helper=True)
def _neg_log_clipped(q, eps):
    """-log(clip(q, eps, 1 - eps)), as scikit-learn clips before the log."""
    if q < eps:
        q = eps
    if q > 1.0 - eps:
        q = 1.0 - eps
    return -log_pos(q)


@jit(helper=True)
def _term(q, ok, c, eps):
    """One sample's -log(clipped q); NaN for an invalid probability, 0 for an unknown label."""
    value = _neg_log_clipped(q if ok else 0.5, eps)
    if not ok:
        value = np.nan
    if c < 0:
        value = 0.0
    return value


@jit(helper=True)
def _binary_block(yb, pb, wb, classes, identity, eps):
    acc = 0.0
    wsum = 0.0
    wmin = np.inf
    miss = 0
    mask = 0
    for j in range(pb.shape[0]):
        c = _column(yb[j], classes, identity)
        pj = np.float64(pb[j])
        ok = pj >= 0.0 and pj <= 1.0
        value = _term(pj if c == 1 else 1.0 - pj, ok, c, eps)
        acc, wsum, wmin = accumulate(acc, wsum, wmin, value, wb, j)
        miss += c < 0
        mask |= np.int64(1) << min(max(c, 0), MASK_BITS)
    wsum, wmin = weight_totals(wb, pb.shape[0], wsum, wmin)
    return acc, wsum, wmin, miss, mask


@jit(helper=True)
def _binary_block_01(yb, pb, wb, eps):
    """Fast path of :func:`_binary_block` for labels 0/1 and probabilities in [0, 1].

    Returns the same, with ``miss = -1`` when a label or a probability is
    outside that (the caller then runs the general block): tracking labels and
    invalid values per element cost as much as the logarithm.
    """
    if wb is None and pb.itemsize == 4:
        return _binary_block_01_f32(yb, pb, eps)
    acc = 0.0
    wsum = 0.0
    wmin = np.inf
    bad = 0
    ones = 0
    top = 1.0 - eps
    for j in range(pb.shape[0]):
        label = yb[j]
        pj = np.float64(pb[j])
        one = label == 1
        q = min(max(pj if one else 1.0 - pj, eps), top)
        acc, wsum, wmin = accumulate(acc, wsum, wmin, -log_pos(q), wb, j)
        bad += not ((one or label == 0) and pj >= 0.0 and pj <= 1.0)
        ones += one
    wsum, wmin = weight_totals(wb, pb.shape[0], wsum, wmin)
    mask = np.int64(ones < pb.shape[0]) | (np.int64(ones > 0) << 1)
    return acc, wsum, wmin, -1 if bad else 0, mask


@jit(helper=True)
def _binary_block_01_f32(yb, pb, eps):
    """:func:`_binary_block_01` for unweighted float32 probabilities, in float32
    arithmetic (8 lanes to a vector; summed in float32 over runs of SUB).

    Labels and invalid values are tallied in float32 sums (exact: at most SUB
    per run): integer counters in the same loop halved its vector width.
    """
    acc = 0.0
    bad = 0.0
    ones = 0.0
    low = np.float32(eps)
    top = _F1 - low
    for s in range(0, pb.shape[0], SUB):
        ys = yb[s : s + SUB]
        ps = pb[s : s + SUB]
        part = np.float32(0.0)
        part_bad = np.float32(0.0)
        part_ones = np.float32(0.0)
        for j in range(ps.shape[0]):
            label = ys[j]
            t = np.float32(label)
            pj = ps[j]
            part -= log_pos32(min(max(pj if t == _F1 else _F1 - pj, low), top))
            part_ones += t
            # Labels compared in their own dtype (a float64 1 + 1e-10 is not
            # label 1, though it rounds to 1 in float32); ordered comparisons
            # are false for NaN, so NaN counts as bad.
            part_bad += _F0 if ((label == 0 or label == 1) and pj >= _F0 and pj <= _F1) else _F1
        acc += np.float64(part)
        bad += np.float64(part_bad)
        ones += np.float64(part_ones)
    mask = np.int64(ones < pb.shape[0]) | (np.int64(ones > 0) << 1)
    return acc, np.float64(pb.shape[0]), 1.0, 0 if bad == 0.0 else -1, mask


@jit(helper=True)
def _multiclass_block(yb, pb, wb, classes, identity, eps, tol):
    k = pb.shape[1]
    acc = 0.0
    wsum = 0.0
    wmin = np.inf
    miss = 0
    mask = 0
    off = 0
    for r in range(pb.shape[0]):
        c = _column(yb[r], classes, identity)
        total = 0.0
        ok = True
        for j in range(k):
            pj = np.float64(pb[r, j])
            total += pj
            ok = ok and (pj >= 0.0 and pj <= 1.0)
        off += not (abs(total - 1.0) <= tol)
        value = _term(np.float64(pb[r, max(c, 0)]), ok, c, eps)
        acc, wsum, wmin = accumulate(acc, wsum, wmin, value, wb, r)
        miss += c < 0
        mask |= np.int64(1) << min(max(c, 0), MASK_BITS)
    wsum, wmin = weight_totals(wb, pb.shape[0], wsum, wmin)
    return acc, wsum, wmin, miss, mask, off


@jit(rows=Rows(args=(0, 1, 2), merge=("sum", "sum", "min", "sum", "or")))
def _binary_numba(y, p, w, classes, identity, eps):
    """Binary log loss of 1-D ``p`` = P(class classes[1]).

    Returns (weighted sum, weight sum, weight min, unmatched labels, seen mask).
    """
    n = p.shape[0]
    nb = n_blocks(n)
    out = np.zeros((nb, 3))
    counts = np.zeros((nb, 2), dtype=np.int64)
    for b in range(nb):
        lo = b * BLOCK
        hi = min(lo + BLOCK, n)
        # Literal True/False: each call compiles to a loop without the other
        # mapping, so the identity case vectorises.
        if identity:
            res = _binary_block_01(y[lo:hi], p[lo:hi], block_of(w, lo, hi), eps)
            if res[3] < 0:
                res = _binary_block(y[lo:hi], p[lo:hi], block_of(w, lo, hi), classes, True, eps)
        else:
            res = _binary_block(y[lo:hi], p[lo:hi], block_of(w, lo, hi), classes, False, eps)
        out[b, 0], out[b, 1], out[b, 2], counts[b, 0], counts[b, 1] = res
    return _combine(out, counts)


@jit(rows=Rows(args=(0, 1, 2), merge=("sum", "sum", "min", "sum", "or", "sum")))
def _multiclass_numba(y, p, w, classes, identity, eps, tol):
    """Log loss of (n, k) probabilities.

    Returns (weighted sum, weight sum, weight min, unmatched labels, seen mask,
    rows whose probabilities do not sum to 1 within ``tol``).
    """
    n = p.shape[0]
    nb = n_blocks(n)
    out = np.zeros((nb, 3))
    counts = np.zeros((nb, 3), dtype=np.int64)
    for b in range(nb):
        lo = b * BLOCK
        hi = min(lo + BLOCK, n)
        wb = block_of(w, lo, hi)
        if identity:
            res = _multiclass_block(y[lo:hi], p[lo:hi], wb, classes, True, eps, tol)
        else:
            res = _multiclass_block(y[lo:hi], p[lo:hi], wb, classes, False, eps, tol)
        out[b, 0], out[b, 1], out[b, 2], counts[b, 0], counts[b, 1], counts[b, 2] = res
    loss, wsum, wmin, missing, mask = _combine(out, counts)
    return loss, wsum, wmin, missing, mask, total(counts[:, 2])


@jit(helper=True)
def _combine(out, counts):
    """Totals over blocks: sums, weight sum, weight min, unmatched count, OR of masks."""
    mask = 0
    for b in range(counts.shape[0]):
        mask |= counts[b, 1]
    return total(out[:, 0]), total(out[:, 1]), smallest(out[:, 2]), total(counts[:, 0]), mask


def _columns_numpy(y, classes, identity):
    k = classes.shape[0]
    if identity:
        yf = y.astype(np.float64)
        ok = (yf >= 0) & (yf < k) & (yf == np.floor(yf))
        return np.where(ok, yf, -1).astype(np.int64)
    pos = np.minimum(np.searchsorted(classes, y), k - 1)
    return np.where(classes[pos] == y, pos, -1)


def _mask_numpy(cols):
    seen = np.unique(np.minimum(cols[cols >= 0], MASK_BITS))
    return int(np.bitwise_or.reduce(np.left_shift(np.int64(1), seen), initial=0))


def _neg_log_clipped_numpy(q, eps):
    return -np.log(np.clip(q, eps, 1.0 - eps))


def _weighted(values, w):
    if w is None:
        return float(values.sum()), float(values.shape[0]), 1.0
    return float((w * values).sum()), float(w.sum()), float(w.min())


def _binary_numpy(y, p, w, classes, identity, eps):
    cols = _columns_numpy(y, classes, identity)
    pf = p.astype(np.float64)
    ok = (pf >= 0) & (pf <= 1)
    values = _neg_log_clipped_numpy(np.where(cols == 1, pf, 1.0 - pf), eps)
    values = np.where(cols < 0, 0.0, np.where(ok, values, np.nan))
    total, wsum, wmin = _weighted(values, w)
    return total, wsum, wmin, int((cols < 0).sum()), _mask_numpy(cols)


def _multiclass_numpy(y, p, w, classes, identity, eps, tol):
    cols = _columns_numpy(y, classes, identity)
    pf = p.astype(np.float64)
    ok = ((pf >= 0) & (pf <= 1)).all(axis=1)
    picked = pf[np.arange(pf.shape[0]), np.maximum(cols, 0)]
    values = np.where(cols < 0, 0.0, np.where(ok, _neg_log_clipped_numpy(picked, eps), np.nan))
    total, wsum, wmin = _weighted(values, w)
    off = int((~(np.abs(pf.sum(axis=1) - 1.0) <= tol)).sum())
    return total, wsum, wmin, int((cols < 0).sum()), _mask_numpy(cols), off


KERNELS = SimpleNamespace(
    binary=Kernel(_binary_numba, _binary_numpy),
    multiclass=Kernel(_multiclass_numba, _multiclass_numpy),
)
