"""Softmax cross-entropy from logits: kernels, NumPy twins and registration."""

from types import SimpleNamespace

import numpy as np

from .._jit import ROW_ALIGN, Absent, Rows, jit
from .._mathfn import (
    block_of,
    exp_nonpos,
    exp_nonpos32,
    log1p_nonneg,
    log1p_nonneg32,
    log_pos,
    store,
    total,
    wanted,
    weight,
)
from .._registry import Kernel, register_loss
from .._validation import as_label_array
from ._base import FusedLoss
from ._spec import Reference, SGDSpec


@jit(helper=True)
def _label_index(label, k):
    """Column of ``label`` (an integer-valued number in 0..k-1), else -1."""
    if not (label >= 0 and label < k):
        return -1
    c = np.int64(label)
    if c != label:
        return -1
    return c


@jit(helper=True)
def _chunk_rows(k):
    """Rows per chunk: at most about 16k logits, so the scratch stays in L2.

    A power of two dividing ROW_ALIGN (16 to 4096 rows), so that chunks
    tile the row ranges a split across threads makes: the chunks, their
    shared shifts and so every chunk's sum are the same for any thread count
    (chunks of 16384 // k rows straddled the thread boundaries, and float32
    results changed with the number of threads).
    """
    rows = ROW_ALIGN
    while rows > 16 and rows * k > 16384:
        rows //= 2
    return rows


#: A chunk whose logits span less than this shares one shift (its maximum):
#: exp(logit - shift) >= exp(-600) stays a normal float, so nothing underflows.
SHARED_SHIFT_SPAN = 600.0
#: The same for float32 logits, whose exponentials are taken in float32:
#: exp(-80) is still a normal float32.
SHARED_SHIFT_SPAN32 = 80.0
#: Largest other / e_label whose log1p is taken in float32 (float32's
#: largest value is 3.4e38); larger ones, losses above 69, take the
#: log-sum-exp form.
RATIO_MAX32 = 1e30


@jit(helper=True, fastmath=None)
def _flip(b):
    # Flips the magnitude bits of negative values: its own inverse.
    return b ^ ((b >> 63) & 0x7FFFFFFFFFFFFFFF)


@jit(helper=True, fastmath=None)
def _order_key(v):
    """An int64 that orders like the float ``v`` (NaN beyond +-inf)."""
    return _flip(np.float64(v).view(np.int64))


@jit(helper=True)
def _value_range(rf):
    """(max, min) of ``rf``; NaN when it holds a NaN.

    Compared as integers: LLVM vectorises an integer max/min reduction, but a
    floating-point one only under ``nnan`` fast-math, and the scalar loop cost
    as much as the whole rest of the softmax.
    """
    kmax = np.int64(-0x7FFFFFFFFFFFFFFF - 1)
    kmin = np.int64(0x7FFFFFFFFFFFFFFF)
    for t in range(rf.shape[0]):
        key = _order_key(rf[t])
        kmax = max(kmax, key)
        kmin = min(kmin, key)
    return np.int64(_flip(kmax)).view(np.float64), np.int64(_flip(kmin)).view(np.float64)


@jit(helper=True)
def _chunk_exp(rf, k, e, shift, m, single):
    """Shifts ``m`` (one per row) and ``e = exp(logits - shift)`` for a chunk of rows.

    ``rf`` holds the chunk's logits row after row.  The exponentials run as one
    flat loop over ``rows * k`` values, so they vectorise whatever ``k`` is.
    Usually the whole chunk shares one shift, its largest logit; only chunks
    whose logits span more than SHARED_SHIFT_SPAN get a shift per row (each
    row's maximum, stored in ``shift``).  A NaN or infinite logit makes every
    shift of its chunk NaN, so the chunk's losses are NaN and the caller
    reports the bad input.  float32 logits (``single`` not None) get float32
    exponentials (``e`` is float32 then): 8 to a vector instead of 4.
    """
    rows = m.shape[0]
    hi, lo = _value_range(rf)
    span = hi - lo
    if not (span <= np.inf and lo > -np.inf and hi < np.inf):  # NaN or inf
        for r in range(rows):
            m[r] = np.nan
        for t in range(rf.shape[0]):
            e[t] = 0.0
        return
    if span < (SHARED_SHIFT_SPAN32 if single is not None else SHARED_SHIFT_SPAN):
        for r in range(rows):
            m[r] = hi
        if single is not None:
            hi32 = np.float32(hi)
            for t in range(rf.shape[0]):
                e[t] = exp_nonpos32(rf[t] - hi32)
        else:
            for t in range(rf.shape[0]):
                e[t] = exp_nonpos(np.float64(rf[t]) - hi)
        return
    for r in range(rows):
        row = rf[r * k : (r + 1) * k]
        mr = np.float64(row[0])
        for j in range(1, k):
            mr = max(mr, np.float64(row[j]))
        m[r] = mr
        sh = shift[r * k : (r + 1) * k]
        for j in range(k):
            sh[j] = mr
    if single is not None:
        for t in range(rf.shape[0]):
            e[t] = exp_nonpos32(rf[t] - shift[t])
    else:
        for t in range(rf.shape[0]):
            e[t] = exp_nonpos(np.float64(rf[t]) - shift[t])


@jit(helper=True)
def _chunk_rows_loss(rf, k, e, m, yb, s, other, ecs, cols, single):
    """Per-row losses of a chunk (after :func:`_chunk_exp`), returned in ``m``.

    Moves each row's label-column exponential from ``e`` to ``ecs`` (leaving
    0 in ``e``), and leaves each row's sum of exponentials in ``s``, the part
    of it outside the label's column in ``other``, and the label column (or
    -1) in ``cols``.  The loss is ``log1p(other / e_label)``: exact to
    rounding even when it is tiny (``shift + log(s) - logit`` would carry the
    rounding error of the shift).  Split into short loops, each of which LLVM
    compiles well (vectorised across rows where it can): fused, they ran up to
    3x slower.
    """
    rows = m.shape[0]
    for r in range(rows):
        cols[r] = _label_index(yb[r], k)
    # Taking the label term out of e first leaves plain row sums (no select
    # per element): 20 % off this function.  The gradient overwrites that
    # entry anyway.  A row with an invalid label keeps its e; its loss is NaN
    # and the caller raises.
    for r in range(rows):
        c = cols[r]
        at = r * k + max(c, 0)
        ecs[r] = e[at]
        if c >= 0:
            e[at] = 0.0
    for r in range(rows):
        base = r * k
        rest = 0.0
        for j in range(k):
            rest += e[base + j]
        other[r] = rest
    # The row sum is other + e_label, rounded once: as exact as summing the
    # row again, which cost about 15 % of this function's time.
    # -1 marks an underflowed label term.
    for r in range(rows):
        ec = ecs[r]
        s[r] = other[r] + ec
        m[r] = other[r] / ec if ec > 1e-300 else -1.0
    rare = 0
    if single is not None:
        # float32 exponentials carry float32 rounding already: the log in
        # float32 too (8 to a vector) adds at most another float32 ulp.
        # Ratios of RATIO_MAX32 or more join the rare rows below.
        for r in range(rows):
            sr = s[r]
            c = cols[r]
            q = m[r]
            ok = sr > 0.0 and sr <= k and c >= 0
            fine = (q >= 0.0) & (q < RATIO_MAX32)
            rare += not fine
            value = np.float64(log1p_nonneg32(np.float32(q if fine else 0.0)))
            m[r] = value if ok else np.nan
    else:
        for r in range(rows):
            sr = s[r]
            c = cols[r]
            q = m[r]
            ok = sr > 0.0 and sr <= k and c >= 0  # False for NaN/inf logits, bad labels
            fine = q >= 0.0
            rare += not fine
            value = log1p_nonneg(q if fine else 0.0)
            m[r] = value if ok else np.nan
    if rare:
        # A label logit far below its row's others underflows ec; the loss is
        # then large and the log-sum-exp form loses nothing (rare: a second,
        # scalar pass recomputes those rows from the logits).
        for r in range(rows):
            c = cols[r]
            if c < 0 or m[r] != m[r]:
                continue
            # The same test as the loops above, on the same values.
            ec = ecs[r]
            q = other[r] / ec if ec > 1e-300 else -1.0
            if not (q >= 0.0) or (single is not None and not (q < RATIO_MAX32)):
                row = rf[r * k : (r + 1) * k]
                mr = np.float64(row[0])
                for j in range(1, k):
                    mr = max(mr, np.float64(row[j]))
                total = 0.0
                for j in range(k):
                    total += exp_nonpos(np.float64(row[j]) - mr)
                m[r] = mr + log_pos(total) - row[c]


@jit(helper=True)
def _chunk_scratch(rows, k, raw):
    """Scratch for one chunk, reused by every chunk of a call (allocated per
    chunk, it cost a page fault per 4 KiB, each time); per-logit scratch in
    the logits' dtype."""
    flat = np.empty((2, rows * k), dtype=raw.dtype)
    return flat, np.empty((4, rows)), np.empty(rows, dtype=np.int64)


@jit(helper=True)
def _chunk_losses(rf, k, yb, scratch, single):
    """Exponentials and per-row losses of a chunk of rows (logits ``rf``, labels ``yb``).

    Returns views of ``scratch``: ``e`` (one per logit, 0 in each valid
    label's column), and per row the loss ``m``, the sum of exponentials
    ``s``, its part outside the label column ``other`` and the label column
    ``cols`` (see :func:`_chunk_rows_loss`).
    """
    flat, per_row, col_scratch = scratch
    rows = yb.shape[0]
    e = flat[0, : rf.shape[0]]
    m = per_row[0, :rows]
    s = per_row[1, :rows]
    other = per_row[2, :rows]
    ecs = per_row[3, :rows]
    cols = col_scratch[:rows]
    _chunk_exp(rf, k, e, flat[1, : rf.shape[0]], m, single)
    _chunk_rows_loss(rf, k, e, m, yb, s, other, ecs, cols, single)
    return e, m, s, other, cols


@jit(
    rows=Rows(args=(0, 1, 2, 4, 5, 6), merge="sum"),
    absent=Absent(weights=(2,), outputs=(4, 6), per_sample=(5,)),
    marks_float32=1,
)
def _loss_gradient_numba(y, raw, w, scale, grad, values, hess, single=None):
    """Weighted loss sum; writes, where requested, the gradient ``scale * w *
    (softmax - onehot)``, the per-row weighted losses and the diagonal
    hessian ``scale * w * p * (1 - p)`` (scikit-learn's).  One kernel for
    every method (see ``_pointwise._loss_gradient``); ``single``, the
    float32 marker (see ``_jit``), takes float32 logits through float32
    exponentials."""
    n, k = raw.shape
    rawf = raw.reshape(n * k)
    gradf = _flat(grad)
    hessf = _flat(hess)
    want_grad = wanted(gradf)
    want_hess = wanted(hessf)
    rows = _chunk_rows(k)
    nb = (n + rows - 1) // rows
    scratch = _chunk_scratch(min(rows, n), k, raw)
    sums = np.zeros(nb)
    for b in range(nb):
        lo = b * rows
        hi = min(lo + rows, n)
        rf = rawf[lo * k : hi * k]
        wb = block_of(w, lo, hi)
        vb = block_of(values, lo, hi)
        # Every loss of the chunk is read before its gradient is written:
        # grad may share memory with raw.
        e, m, s, other, cols = _chunk_losses(rf, k, y[lo:hi], scratch, single)
        acc = 0.0
        for r in range(hi - lo):
            wr = weight(wb, r)
            acc += wr * m[r]
            store(vb, r, wr * m[r])
        sums[b] = acc
        if want_hess:
            ecs = scratch[1][3, : hi - lo]  # each row's label-column exponential
            _chunk_derivatives(
                block_of(gradf, lo * k, hi * k), block_of(hessf, lo * k, hi * k),
                e, s, other, ecs, cols, wb, scale, k,
            )  # fmt: skip
            continue
        if not want_grad:
            continue
        gf = gradf[lo * k : hi * k]
        for r in range(hi - lo):
            s[r] = scale * weight(wb, r) / s[r]  # s now holds each row's gradient factor
        if single is not None:
            # float32 gradients: the factor rounded to float32 first (one
            # more rounding, under 2 float32 ulps in all) keeps the products
            # in float32, without two conversions each: 25 % off this loop.
            for r in range(hi - lo):
                base = r * k
                f32 = np.float32(s[r])
                for j in range(k):
                    gf[base + j] = f32 * e[base + j]
        else:
            for r in range(hi - lo):
                base = r * k
                f = s[r]
                for j in range(k):
                    gf[base + j] = f * e[base + j]
        for r in range(hi - lo):
            base = r * k
            f = s[r]
            c = cols[r]
            if c >= 0:
                # softmax_c - 1 = -other / sum: no cancellation, rounded once.
                gf[base + c] = -f * other[r]
    return total(sums)


@jit(helper=True, fastmath=None)
def _flat(a):
    """``a`` as a 1-D view of all its elements; None stays None (the SGD
    epoch passes None for outputs it does not want; Python callers pass
    absent outputs as empty arrays).  For an array the result is an
    Optional all the same: Numba types the pruned ``return None`` in."""
    if a is None:
        return None
    return a.reshape(a.size)


@jit(helper=True)
def _chunk_derivatives(gf, hf, e, s, other, ecs, cols, wb, scale, k):
    """Gradient and diagonal hessian of a chunk's rows (after :func:`_chunk_losses`).

    ``p_j = e_j / s``; the label column's ``p_c = e_c / s`` and ``1 - p_c =
    other / s`` (no cancellation).  Writes ``scale * w * (p - onehot)`` into
    ``gf`` and ``scale * w * p * (1 - p)`` into ``hf``.
    """
    for r in range(s.shape[0]):
        base = r * k
        f = scale * weight(wb, r)
        inv = 1.0 / s[r]
        for j in range(k):
            p = np.float64(e[base + j]) * inv
            store(gf, base + j, f * p)
            store(hf, base + j, f * (p * (1.0 - p)))
        c = cols[r]
        if c >= 0:
            q = other[r] * inv  # 1 - p_c
            store(gf, base + c, -f * q)
            store(hf, base + c, f * ((ecs[r] * inv) * q))


def _softmax_numpy(y, raw, hessian=False):
    """Per-row losses and gradient rows (NumPy twin of the chunk helpers);
    with ``hessian``, also the diagonal hessian rows ``p * (1 - p)``."""
    raw = raw.astype(np.float64, copy=False)
    n, k = raw.shape
    m = raw.max(axis=1, keepdims=True)
    e = np.exp(raw - m)
    s = e.sum(axis=1)
    yf = y.astype(np.float64, copy=False)
    valid = (yf >= 0) & (yf < k) & (yf == np.floor(yf))
    cols = np.where(valid, yf, 0).astype(np.intp)
    rows = np.arange(n)
    ec = e[rows, cols]
    rest = e.copy()
    rest[rows, cols] = 0.0
    other = rest.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        small = np.log1p(other / ec)
    large = m[:, 0] + np.log(s) - raw[rows, cols]
    values = np.where(ec > 1e-300, small, large)
    values = np.where(valid & np.isfinite(raw).all(axis=1), values, np.nan)
    p = e / s[:, None]
    proba = p.copy() if hessian else p
    at = (rows[valid], cols[valid])
    q = other[valid] / s[valid]  # 1 - p at the label
    proba[at] = -q
    if not hessian:
        return values, proba, valid, cols
    curv = p * (1.0 - p)
    curv[at] = p[at] * q
    return values, proba, valid, cols, curv


def _loss_gradient_numpy(y, raw, w, scale, grad, values, hess):
    res = _softmax_numpy(y, raw, hessian=hess is not None)
    losses, proba = res[0], res[1]
    wv = np.ones(raw.shape[0]) if w is None else w
    losses = wv * losses
    if values is not None:
        values[...] = losses
    if grad is not None:
        grad[...] = (scale * wv)[:, None] * proba
    if hess is not None:
        hess[...] = (scale * wv)[:, None] * res[4]
    return float(losses.sum())




@register_loss("multinomial")
class CrossEntropy(FusedLoss):
    """Softmax cross-entropy of (n, k) logits and integer labels 0..k-1.

    ``loss_i = logsumexp(raw_i) - raw_i[y_i]`` (log-sum-exp with the row
    maximum subtracted, so any finite logits are safe).  The gradient is
    ``w * (softmax(raw) - onehot(y)) / sum(w)``.  ``gradient_hessian`` gives
    the diagonal of each row's hessian, ``w * p * (1 - p)`` with ``p =
    softmax(raw)`` (shape (n, k), as scikit-learn's ``HalfMultinomialLoss``).

    Examples
    --------
    >>> from fastloss import CrossEntropy
    >>> round(CrossEntropy().loss([0, 2], [[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]]), 6)  # log(3)
    1.098612
    """

    _raw_ndim = 2
    target = "class_index"
    raw = "logit"
    reference = Reference("sklearn_loss", "sklearn._loss.loss", "HalfMultinomialLoss", n_classes=True)
    bench_quick = True
    #: The softmax's Hessian is at most 1/2 in any direction.
    sgd = SGDSpec(curvature=0.5, proba="logit")
    _kernels = SimpleNamespace(
        loss_gradient=Kernel(_loss_gradient_numba, _loss_gradient_numpy),
    )

    def _check_targets(self, y_true, raw):
        y = as_label_array(y_true)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y.reshape(-1)
        if y.ndim != 1:
            raise ValueError(
                f"y_true must be 1-D integer class labels for CrossEntropy, got shape {y.shape}."
            )
        if y.dtype.kind not in "iuf":
            raise TypeError(
                "y_true must hold integer class labels 0..n_classes-1 for CrossEntropy, "
                f"got dtype {y.dtype}."
            )
        return y

    def _check_target_values(self, y, raw):
        k = raw.shape[1]
        bad = ~((y >= 0) & (y < k) & (y == np.floor(y)))
        if np.any(bad):
            raise ValueError(
                f"y_true must hold integer class labels in 0..{k - 1} (raw_prediction has "
                f"{k} columns); got {y[bad][:5].tolist()}."
            )
