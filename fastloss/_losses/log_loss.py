"""Log loss of predicted probabilities (the ``log_loss`` metric's kernels).

Labels reach the kernels as values plus a sorted ``classes`` array: with
``identity=True`` the classes are 0..k-1 and a label is its own column (the
common case, no search); otherwise each label is found by binary search.
Labels that match no class are counted, not guessed at.  Probabilities
outside [0, 1] (or NaN) make the sum NaN, which the caller diagnoses.
"""

from types import SimpleNamespace

import numpy as np

from .._jit import Absent, Rows, jit
from .._mathfn import (
    _F0,
    _F1,
    BLOCK,
    LN2,
    MANTISSA_BITS,
    ONE_BITS,
    accumulate,
    block_of,
    log_pos,
    log_pos32,
    n_blocks,
    smallest,
    total,
    unweighted,
    weight_totals,
)
from ._common import label_column, label_columns_numpy
from ._pointwise import SUB
from .._registry import Kernel

#: Labels are recorded in a 64-bit mask of seen columns (column 63 = "63+").
MASK_BITS = 63


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
def _binary_block(yb, pb, wb, classes, identity, eps, unit):
    """Binary log loss of a block, any labels and values (``unit``: 1 in p's dtype)."""
    acc = 0.0
    wsum = 0.0
    wmin = np.inf
    miss = 0
    mask = 0
    for j in range(pb.shape[0]):
        c = label_column(yb[j], classes, identity)
        pj = np.float64(pb[j])
        ok = pj >= 0.0 and pj <= 1.0
        # 1 - p in p's dtype, as scikit-learn computes it.
        value = _term(pj if c == 1 else np.float64(unit - pb[j]), ok, c, eps)
        acc, wsum, wmin = accumulate(acc, wsum, wmin, value, wb, j)
        miss += c < 0
        mask |= np.int64(1) << min(max(c, 0), MASK_BITS)
    wsum, wmin = weight_totals(wb, pb.shape[0], wsum, wmin)
    return acc, wsum, wmin, miss, mask


#: Below this mean loss per sample a block is summed term by term instead (see
#: :func:`_binary_block_01_product`).
PRODUCT_MIN_MEAN = 0.01


@jit(helper=True, fastmath=None)
def _renormalise(s, count):
    """Move the binary exponents of positive ``s[:count]`` out (exact); returns
    their sum.  NaN stays NaN."""
    exps = 0
    for i in range(count):
        x = s[i]
        bits = np.float64(x).view(np.int64)
        biased = (bits >> 52) & 0x7FF  # the mask keeps a NaN with its sign bit set NaN too
        special = biased == 0x7FF
        exps += 0 if special else biased - 1023
        s[i] = x if special else np.int64((bits & MANTISSA_BITS) | ONE_BITS).view(np.float64)
    return exps


@jit(helper=True, fastmath=None)
def _clipped_q(label, pj, low, top, unit, nan):
    """clip(p if label == 1 else 1 - p, eps, 1 - eps); NaN for a label other
    than 0/1 or p outside [0, 1] (ordered comparisons are false for NaN)."""
    one = label == unit
    q = min(max(pj if one else unit - pj, low), top)
    return q if ((one or label == 0) and pj >= 0 and pj <= unit) else nan


@jit(helper=True, fastmath=None)
def _binary_block_01_product(yb, pb, low, top, unit, nan, qs, scratch):
    """Unweighted :func:`_binary_block_01` through a product of the clipped q.

    The sum of -log(q) is -log of their product, so a block takes a handful of
    logarithms instead of one per sample.  The q are multiplied pairwise,
    halving the live length each round, with the binary exponents moved out
    every 4 rounds: each q is at least the clipping epsilon
    (2**-52), so a product of 16 stays above 2**-832, never subnormal.  One
    logarithm per remaining value ends it.  A full block's first two rounds
    happen as the q are computed (four quarter-block streams, products in
    float64: two float32 multiply exactly); a shorter block's q go through
    ``qs`` (pb's dtype, a power of two long, padded with ones) first.

    Each multiplication's rounding, at most 2**-53 relative, is an absolute
    error in the log, so relative to the block's sum the error stays below
    2**-53 / (mean loss per sample); blocks whose mean is under
    PRODUCT_MIN_MEAN return ``miss = -2`` and are summed term by term.  An
    invalid label or probability makes its q, and so the sum, NaN: ``miss =
    -1``, for the general block to diagnose.  ``low``, ``top``, ``unit`` and
    ``nan`` (eps, 1 - eps, 1, NaN) are in the dtype of ``pb``, so q is
    clipped in that dtype, as scikit-learn does.
    """
    n = pb.shape[0]
    ones = unit - unit
    live = qs.shape[0] // 4
    if n == BLOCK:
        for j in range(live):
            q0 = _clipped_q(yb[j], pb[j], low, top, unit, nan)
            q1 = _clipped_q(yb[j + live], pb[j + live], low, top, unit, nan)
            q2 = _clipped_q(yb[j + 2 * live], pb[j + 2 * live], low, top, unit, nan)
            q3 = _clipped_q(yb[j + 3 * live], pb[j + 3 * live], low, top, unit, nan)
            scratch[j] = (np.float64(q0) * np.float64(q1)) * (np.float64(q2) * np.float64(q3))
            ones += (yb[j] + yb[j + live]) + (yb[j + 2 * live] + yb[j + 3 * live])
    else:
        for j in range(n):
            qs[j] = _clipped_q(yb[j], pb[j], low, top, unit, nan)
            ones += yb[j]
        for j in range(n, qs.shape[0]):
            qs[j] = unit
        for j in range(live):
            scratch[j] = (np.float64(qs[j]) * np.float64(qs[j + live])) * (
                np.float64(qs[j + 2 * live]) * np.float64(qs[j + 3 * live])
            )
    exps = 0
    rounds = 2
    while live > 8:
        live //= 2
        head = scratch[:live]
        tail = scratch[live : 2 * live]
        for i in range(live):
            head[i] *= tail[i]
        rounds += 1
        if rounds % 4 == 0:
            exps += _renormalise(scratch, live)
    acc = -np.float64(exps) * LN2
    for i in range(live):
        v = scratch[i]
        acc -= log_pos(v) if v == v else v  # log_pos is for positive numbers only
    # With valid labels (0 or 1), their sum counts the ones.
    mask = np.int64(ones < n) | (np.int64(ones > 0) << 1)
    miss = -1 if acc != acc else (-2 if acc < PRODUCT_MIN_MEAN * n else 0)
    return acc, np.float64(n), 1.0, miss, mask


@jit(helper=True)
def _binary_block_scratch(p, eps):
    """Scratch of :func:`_binary_block_01_product` for blocks of ``p``: the
    first round's products; the q of a short block in p's dtype, padded to a
    power of two (so a call on 100 samples allocates 1 KiB, not 48); and
    (eps, 1 - eps, 1, NaN) in p's dtype (exact: eps is p's own epsilon)."""
    size = 32
    while size < min(p.shape[0], BLOCK):
        size *= 2
    consts = np.empty(4, dtype=p.dtype)
    consts[0] = eps
    consts[1] = 1.0 - eps
    consts[2] = 1.0
    consts[3] = np.nan
    return np.empty(size // 4), np.empty(size, dtype=p.dtype), consts


@jit(helper=True)
def _binary_block_01(yb, pb, wb, eps, scratch, single):
    """Fast path of :func:`_binary_block` for labels 0/1 and probabilities in [0, 1].

    Returns the same, with ``miss = -1`` when a label or a probability is
    outside that (the caller then runs the general block): tracking labels and
    invalid values per element cost as much as the logarithm.  Unweighted
    blocks go through the product of :func:`_binary_block_01_product` unless
    their mean loss is too small for it; the others take a log per sample
    (unweighted float32 ones, ``single`` not None, in float32 arithmetic).
    """
    products, qs, consts = scratch
    if unweighted(wb):
        # One call site, typed by p's dtype (a second, for float32 constants,
        # compiled a dead copy of the whole block for float64 p).
        res = _binary_block_01_product(
            yb, pb, consts[0], consts[1], consts[2], consts[3], qs, products
        )
        if res[3] != -2:
            return res
    if single is not None and unweighted(wb):
        return _binary_block_01_f32(yb, pb, eps)
    acc = 0.0
    wsum = 0.0
    wmin = np.inf
    bad = 0
    ones = 0
    unit = consts[2]  # 1 in p's dtype
    top = 1.0 - eps
    for j in range(pb.shape[0]):
        label = yb[j]
        pj = np.float64(pb[j])
        one = label == 1
        q = min(max(pj if one else np.float64(unit - pb[j]), eps), top)
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
        c = label_column(yb[r], classes, identity)
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


@jit(
    rows=Rows(args=(0, 1, 2), merge=("sum", "sum", "min", "sum", "or")),
    absent=Absent(weights=(2,)),
    marks_float32=1,
)
def _binary_numba(y, p, w, classes, identity, eps, single=None):
    """Binary log loss of 1-D ``p`` = P(class classes[1]).

    Returns (weighted sum, weight sum, weight min, unmatched labels, seen
    mask).  ``single``: the float32 marker (see ``_jit``).  Labels other
    than the classes 0 and 1 (``identity`` False) take the general block,
    which finds each label's class.
    """
    n = p.shape[0]
    nb = n_blocks(n)
    out = np.zeros((nb, 3))
    counts = np.zeros((nb, 2), dtype=np.int64)
    scratch = _binary_block_scratch(p, eps)
    unit = scratch[2][2]  # 1 in p's dtype: 1 - p is taken in p's dtype, as scikit-learn does
    for b in range(nb):
        lo = b * BLOCK
        hi = min(lo + BLOCK, n)
        res = (0.0, 0.0, 0.0, -1, 0)  # miss = -1: the general block's
        if identity:
            res = _binary_block_01(y[lo:hi], p[lo:hi], block_of(w, lo, hi), eps, scratch, single)
        if res[3] < 0:
            # Labels found by search, or invalid labels or probabilities (the
            # general block counts and flags them): one compiled block for both.
            res = _binary_block(
                y[lo:hi], p[lo:hi], block_of(w, lo, hi), classes, identity, eps, unit
            )
        out[b, 0], out[b, 1], out[b, 2], counts[b, 0], counts[b, 1] = res
    return _combine(out, counts)


@jit(
    rows=Rows(args=(0, 1, 2), merge=("sum", "sum", "min", "sum", "or", "sum")),
    absent=Absent(weights=(2,)),
)
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
        # Literal True/False: the identity case (labels 0..k-1) compiles to a
        # loop without the search, 3-5 % faster than a test per row.
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
    cols = label_columns_numpy(y, classes, identity)
    pf = p.astype(np.float64, copy=False)
    ok = (pf >= 0) & (pf <= 1)
    # 1 - p in p's dtype, as scikit-learn computes it.
    q = np.where(cols == 1, pf, (1 - p).astype(np.float64))
    values = _neg_log_clipped_numpy(q, eps)
    values = np.where(cols < 0, 0.0, np.where(ok, values, np.nan))
    total, wsum, wmin = _weighted(values, w)
    return total, wsum, wmin, int((cols < 0).sum()), _mask_numpy(cols)


def _multiclass_numpy(y, p, w, classes, identity, eps, tol):
    cols = label_columns_numpy(y, classes, identity)
    pf = p.astype(np.float64, copy=False)
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
