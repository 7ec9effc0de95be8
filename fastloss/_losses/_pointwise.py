"""Drivers shared by pointwise losses (one value and one gradient per element).

A pointwise loss supplies a scalar Numba helper ``elem(y, raw, theta) ->
(loss, grad)`` and its NumPy twin working on whole arrays; :func:`pointwise_kernels`
turns the pair into the kernels every loss needs: the loss-gradient kernel
(every method of the loss) and, for a loss a metric is the mean of, the
metric's per-column sums.

Parameters reach the kernels at call time: ``theta`` is a tuple of
``N_SLOTS`` floats (the loss's parameters, zero-padded, then its target
domain's lower bound and strictness), passed by value as the last argument of
every kernel.  Its Numba type is the same whatever the values, so
``Huber(delta=0.5)`` and ``Huber(delta=2.0)`` run one compiled kernel; being
scalars in registers (no memory that a gradient store could alias), reading
them inside the unit-stride loops keeps those loops plain and vectorisable.

Targets outside the loss's declared domain make the element's value NaN (a
select: the loops still vectorise; for "real" targets the check compiles to
nothing); the caller's slow path then finds and reports the offending value.

A loss whose elementwise work is compute-bound (logs, exponentials) may also
supply ``elem32``, the same in float32 arithmetic: unweighted float32 inputs
then run 8 lanes to a vector instead of 4, summed in float32 over runs of
SUB elements and in float64 beyond (so the sum stays accurate at any size).
The kernels take that loop only with ``single`` (``_jit``'s float32 marker,
last argument): a float64 kernel does not compile it.

Second derivatives.  A loss may supply ``hess(y, raw, theta) -> d2loss/draw2``
(and its NumPy twin ``hess_numpy``) for ``gradient_hessian``.  A loss that
supplies only its (loss, gradient) helpers gets a hessian all the same: the
central difference ``(g(raw + h) - g(raw - h)) / (2 h)`` of its gradient
helper, with ``h = FD_STEP * max(1, |raw|)`` (FD_STEP = 2**-17, about the
cube root of the float64 epsilon, where truncation and rounding errors
balance: the error is about 1e-10 of ``|gradient| / max(1, |raw|)`` for a
smooth loss), computed in the kernel, in float64.
Next to a kink of the gradient (within ``h``) that difference is a blend of
the two sides.

One compiled kernel per kind and dtype.  Absent sample weights and outputs
reach the kernels as empty arrays (``_jit.Absent``), tested at run time
outside the arithmetic, rather than as ``None``, which would compile a
kernel for every combination (ten per loss and dtype, where there is now
one); an output not requested is written to a scratch run in cache.
"""

from types import SimpleNamespace

import numpy as np

from .._jit import Absent, Rows, jit
from .._mathfn import (
    BLOCK,
    block_of,
    block_or,
    n_blocks,
    smallest,
    total,
    unweighted,
    wanted,
    weight_totals,
)
from .._registry import Kernel
from ._spec import SLOT_TARGET_LOW, SLOT_TARGET_STRICT, ByParam

#: Elements summed in float32 before the partial sum joins the float64 total.
SUB = 256

#: Relative step of the central-difference hessian of losses without a hessian
#: helper (2**-17, close to the cube root of the float64 epsilon; a power of two,
#: so that ``h * max(1, |raw|)`` is exact).
FD_STEP = 2.0**-17


@jit(rows=Rows(args=(0, 1, 2), merge=("sum", "sum", "min")), absent=Absent(weights=(2,)),
     template=True, marks_float32=1)
def _metric_sums(y, p, w, theta, single=None):
    """Per-column weighted loss sums of (n, k) arrays, plus weight sum and min."""
    n, k = y.shape
    nb = n_blocks(n)
    sums = np.zeros((k, nb))  # one contiguous row of block sums per column
    wsums = np.zeros(nb)
    wmins = np.empty(nb)
    ones = np.ones(min(n, BLOCK))
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
        if single is not None and HAS_F32 and k == 1 and unweighted(wb):
            acc = 0.0
            for s in range(0, yb.shape[0], SUB):
                ys = yb[s : s + SUB]
                ps = pb[s : s + SUB]
                part = np.float32(0.0)
                for j in range(ys.shape[0]):
                    value32 = elem32(ys[j], ps[j], theta)[0]
                    part += value32 if valid(ys[j], theta) else _NAN32
                run = np.float64(part)
                if not (abs(part) < np.inf):  # float32 overflow (or a NaN): the run again in float64
                    run = 0.0
                    for j in range(ys.shape[0]):
                        value = elem(ys[j], ps[j], theta)[0]
                        run += value if valid(ys[j], theta) else np.nan
                acc += run
            sums[0, b] = acc
        elif k == 1 and unweighted(wb):  # the common case: a unit-stride loop LLVM vectorises
            acc = 0.0
            for j in range(yb.shape[0]):
                value = elem(yb[j], pb[j], theta)[0]
                acc += value if valid(yb[j], theta) else np.nan
            sums[0, b] = acc
        else:
            # Weighted, or several columns: a column at a time, over the rows
            # of the block (cached after the first column); weights absent
            # read a block of ones.  For one column the stride is 1: LLVM
            # versions the loop for that case.
            wk = ones[: hi - lo] if unweighted(wb) else wb
            for j in range(k):
                yj = yb[j:]
                pj = pb[j:]
                acc = 0.0
                for r in range(hi - lo):
                    t = yj[r * k]
                    value = elem(t, pj[r * k], theta)[0]
                    acc += wk[r] * (value if valid(t, theta) else np.nan)
                sums[j, b] = acc
            # The weights' sum and minimum in a loop of their own (a minimum
            # in the loop above would keep it from vectorising).
            for r in range(wb.shape[0]):
                wsum += wb[r]
                wmin = min(wmin, wb[r])
        wsum, wmin = weight_totals(wb, hi - lo, wsum, wmin)
        wsums[b] = wsum
        wmins[b] = wmin
    columns = np.zeros(k)
    for j in range(k):
        columns[j] = total(sums[j])  # compensated: thread-count independent
    return columns, total(wsums), smallest(wmins)


@jit(
    rows=Rows(args=(0, 1, 2, 4, 5, 6), merge="sum"),
    absent=Absent(weights=(2,), outputs=(4, 6), per_sample=(5,)),
    template=True,
    marks_float32=1,
)
def _loss_gradient(y, raw, w, scale, grad, values, hess, theta, single=None):
    """Weighted loss sum; writes ``grad[i] = scale * w[i] * dloss/draw[i]``,
    ``values[i] = w[i] * loss_i`` and ``hess[i] = scale * w[i] *
    d2loss/draw2[i]`` where requested (in the outputs' dtype).

    One kernel serves every method: ``loss`` (nothing requested),
    ``loss_gradient`` (the gradient), both with ``reduction="none"`` (values
    too) and ``gradient_hessian`` (gradient and hessian; values are then not
    written, and the loss is not computed: the sum returned is 0, or NaN
    when an input is infinite or NaN or a target is outside the domain).  The two hot requests without weights have loops of their own;
    the others share a loop each, which writes an output not requested to a
    scratch run in cache and reads ones for absent weights (storing through
    a run-time test instead would keep the loops from vectorising; a loop
    per request and weighting would double what LLVM compiles, and a kernel
    per request adds Numba's fixed cost of a compilation each).
    """
    n = raw.shape[0]
    nb = n_blocks(n)
    sums = np.zeros(nb)
    want_grad = wanted(grad)
    want_values = wanted(values)
    want_hess = wanted(hess)
    # Scratch for an output not requested, and ones for absent weights, of
    # one run of SUB elements (2 KiB in float64): block-sized ones (32 KiB)
    # took a core's whole L1 cache, and the kernels lost a quarter of their
    # speed to it.
    grad_scratch = np.empty(SUB, dtype=raw.dtype)
    value_scratch = np.empty(SUB, dtype=raw.dtype)
    hess_scratch = np.empty(SUB, dtype=raw.dtype)
    ones = np.ones(SUB)
    for b in range(nb):
        lo = b * BLOCK
        hi = min(lo + BLOCK, n)
        wb = block_of(w, lo, hi)
        yb = y[lo:hi]
        rb = raw[lo:hi]
        acc = 0.0
        if single is not None and HAS_F32 and unweighted(wb) and not want_hess:
            scale32 = np.float32(scale)
            for s in range(0, rb.shape[0], SUB):
                ys = yb[s : s + SUB]
                rs = rb[s : s + SUB]
                gs = block_or(grad, lo + s, lo + s + rs.shape[0], grad_scratch)
                vs = block_or(values, lo + s, lo + s + rs.shape[0], value_scratch)
                part = np.float32(0.0)
                for j in range(rs.shape[0]):
                    value, slope = elem32(ys[j], rs[j], theta)
                    value = value if valid(ys[j], theta) else _NAN32
                    part += value
                    vs[j] = value
                    gs[j] = scale32 * slope
                run = np.float64(part)
                if not (abs(part) < np.inf):  # float32 overflow (or a NaN): the run again in float64
                    run = 0.0
                    for j in range(ys.shape[0]):
                        value = elem(ys[j], rs[j], theta)[0]
                        value = value if valid(ys[j], theta) else np.nan
                        run += value
                        vs[j] = value
                acc += run
        elif unweighted(wb) and not want_values and not want_grad:  # loss
            for j in range(rb.shape[0]):
                value = elem(yb[j], rb[j], theta)[0]
                acc += value if valid(yb[j], theta) else np.nan
        elif unweighted(wb) and not want_values and not want_hess:  # loss_gradient
            gb = grad[lo:hi]
            for j in range(rb.shape[0]):
                value, slope = elem(yb[j], rb[j], theta)
                acc += value if valid(yb[j], theta) else np.nan
                gb[j] = scale * slope
        elif want_hess:  # gradient_hessian: in float64 arithmetic
            for s in range(0, rb.shape[0], SUB):
                ys = yb[s : s + SUB]
                rs = rb[s : s + SUB]
                ws = block_or(wb, s, s + rs.shape[0], ones)  # ones without weights
                gs = block_or(grad, lo + s, lo + s + rs.shape[0], grad_scratch)
                hs = block_or(hess, lo + s, lo + s + rs.shape[0], hess_scratch)
                for j in range(rs.shape[0]):
                    wi = ws[j]
                    t = ys[j]
                    # The helpers take the inputs' own dtype, as in the other
                    # loops (float32 arguments once more would compile them twice).
                    slope = elem(t, rs[j], theta)[1]
                    # No loss value (LLVM drops its arithmetic): the sum only
                    # checks the inputs, NaN for an infinite or NaN one or a
                    # target outside the domain.
                    acc += (0.0 * rs[j] + 0.0 * t) if valid(t, theta) else np.nan
                    gs[j] = scale * wi * slope
                    if HAS_HESS:
                        curv = elem_hess(t, rs[j], theta)
                    else:
                        # Central difference of the gradient helper (see the module docstring).
                        r = np.float64(rs[j])
                        h = FD_STEP * max(1.0, abs(r))
                        up = r + h
                        down = r - h
                        curv = (elem(t, up, theta)[1] - elem(t, down, theta)[1]) / (up - down)
                    hs[j] = scale * wi * curv
        else:  # weights, or per-sample values: one loop, in runs of SUB
            for s in range(0, rb.shape[0], SUB):
                ys = yb[s : s + SUB]
                rs = rb[s : s + SUB]
                ws = block_or(wb, s, s + rs.shape[0], ones)  # ones without weights
                gs = block_or(grad, lo + s, lo + s + rs.shape[0], grad_scratch)
                vs = block_or(values, lo + s, lo + s + rs.shape[0], value_scratch)
                for j in range(rs.shape[0]):
                    wi = ws[j]
                    value, slope = elem(ys[j], rs[j], theta)
                    value = wi * (value if valid(ys[j], theta) else np.nan)
                    acc += value
                    vs[j] = value
                    gs[j] = scale * wi * slope
        sums[b] = acc
    return total(sums)


def _metric_sums_numpy(elem_numpy, valid_numpy):
    def metric_sums(y, p, w, theta):
        y64 = y.astype(np.float64, copy=False)
        values = elem_numpy(y64, p.astype(np.float64, copy=False), theta)[0]
        values = np.where(valid_numpy(y64, theta), values, np.nan)
        if w is None:
            return values.sum(axis=0), float(y.shape[0]), 1.0
        return (values * w[:, None]).sum(axis=0), float(w.sum()), float(w.min())

    return metric_sums


def _loss_gradient_numpy(elem_numpy, valid_numpy, hess_numpy):
    def loss_gradient(y, raw, w, scale, grad, values, hess, theta):
        y64 = y.astype(np.float64, copy=False)
        raw64 = raw.astype(np.float64, copy=False)
        losses, slopes = elem_numpy(y64, raw64, theta)
        losses = np.where(valid_numpy(y64, theta), losses, np.nan)
        wv = 1.0 if w is None else w
        losses = losses * wv
        if grad is not None:
            grad[...] = (scale * wv) * slopes
        if values is not None and hess is None:
            values[...] = losses
        if hess is not None:
            hess[...] = (scale * wv) * hess_numpy(y64, raw64, theta)
            # As the kernel: no loss, a check of the inputs (NaN for a bad one).
            bad = ~np.isfinite(y64) | ~np.isfinite(raw64) | ~valid_numpy(y64, theta)
            return np.nan if bad.any() else 0.0
        return float(losses.sum())

    return loss_gradient


def _central_difference_numpy(elem_numpy):
    def hess_numpy(y, raw, theta):
        h = FD_STEP * np.maximum(1.0, np.abs(raw))
        up = raw + h
        down = raw - h
        return (elem_numpy(y, up, theta)[1] - elem_numpy(y, down, theta)[1]) / (up - down)

    return hess_numpy


_NAN32 = np.float32(np.nan)


@jit(helper=True, fastmath=None)
def _no_hessian(y, raw, theta):
    """Placeholder bound when a loss has no hessian helper (never called)."""
    return 0.0


@jit(helper=True, fastmath=None)
def _valid_real(y, theta):
    return True


@jit(helper=True, fastmath=None)
def _valid_nonnegative(y, theta):
    return y >= 0.0


@jit(helper=True, fastmath=None)
def _valid_positive(y, theta):
    return y > 0.0


@jit(helper=True, fastmath=None)
def _valid_probability(y, theta):
    return y >= 0.0 and y <= 1.0


@jit(helper=True, fastmath=None)
def _valid_binary(y, theta):
    return y == 0.0 or y == 1.0


@jit(helper=True, fastmath=None)
def _valid_by_param(y, theta):
    """The domain's lower bound comes in ``theta`` (a parameter decides it)."""
    low = theta[SLOT_TARGET_LOW]
    return y > low or (y == low and theta[SLOT_TARGET_STRICT] == 0.0)


def _valid_by_param_numpy(y, theta):
    low = theta[SLOT_TARGET_LOW]
    return (y > low) | ((y == low) & (theta[SLOT_TARGET_STRICT] == 0.0))


#: Target kind -> (Numba check, NumPy check).
_VALID = {
    "real": (_valid_real, lambda y, theta: np.ones(y.shape, bool)),
    "nonnegative": (_valid_nonnegative, lambda y, theta: y >= 0.0),
    "positive": (_valid_positive, lambda y, theta: y > 0.0),
    "probability": (_valid_probability, lambda y, theta: (y >= 0.0) & (y <= 1.0)),
    "binary": (_valid_binary, lambda y, theta: (y == 0.0) | (y == 1.0)),
}


def theta_of(values=(), target_low=None, target_strict=False):
    """The kernels' parameter tuple: ``values`` zero-padded, then the target bound."""
    values = tuple(float(v) for v in values)
    if len(values) > SLOT_TARGET_LOW:
        raise ValueError(f"pointwise losses take at most {SLOT_TARGET_LOW} parameters")
    low = -np.inf if target_low is None else float(target_low)
    return values + (0.0,) * (SLOT_TARGET_LOW - len(values)) + (low, 1.0 if target_strict else 0.0)


#: theta of a loss without parameters whose domain is fixed at compile time.
NO_PARAMS = theta_of()


class PointwiseKernels(SimpleNamespace):
    """The kernel pairs of a pointwise loss (its attributes are the :class:`Kernel` s).

    ``hessian`` (a slot, not among the kernels) says where ``gradient_hessian``'s
    second derivative comes from: ``"helper"`` (the loss's own) or
    ``"central_difference"`` (of its gradient helper).  ``elem`` and ``valid``
    (slots too) are the scalar helpers themselves, for kernels that fuse the
    loss into loops of their own (the SGD epoch computes it row by row).
    """

    __slots__ = ("hessian", "elem", "valid")


def pointwise_kernels(
    name: str,
    elem,
    elem_numpy,
    elem32=None,
    target="real",
    hess=None,
    hess_numpy=None,
    metric=False,
) -> PointwiseKernels:
    """Kernels of a pointwise loss from its elementwise pair (and float32 twin).

    ``target`` is the loss's declared target kind (a key of
    :data:`~fastloss._losses._spec.TARGETS`, or a
    :class:`~fastloss._losses._spec.ByParam` rule, checked at call time from
    ``theta``).  ``hess(y, raw, theta) -> d2loss/draw2`` and its NumPy twin
    ``hess_numpy`` are optional (both or neither): without them the hessian
    is the central difference of ``elem``'s gradient (see the module
    docstring).  Returns a namespace with ``loss_gradient(size, y, raw, w,
    scale, grad, values, hess, theta) -> sum`` over 1-D arrays (each output
    may be None; see :func:`_loss_gradient`) and, with ``metric`` (for
    losses a metric is the mean of), ``metric_sums(size, y, p, w, theta) ->
    (sums, wsum, wmin)`` over (n, k) arrays.
    """
    if isinstance(target, ByParam):
        valid, valid_numpy = _valid_by_param, _valid_by_param_numpy
    elif target in _VALID:
        valid, valid_numpy = _VALID[target]
    else:
        raise ValueError(f"pointwise losses take targets among {sorted(_VALID)}, not {target!r}")
    if (hess is None) != (hess_numpy is None):
        raise ValueError("pointwise_kernels takes hess and hess_numpy together (or neither)")
    bound = {
        "elem": elem,
        "elem32": elem if elem32 is None else elem32,
        "HAS_F32": elem32 is not None,
        "valid": valid,
    }
    with_hessian = {
        **bound,
        "elem_hess": _no_hessian if hess is None else hess,
        "HAS_HESS": hess is not None,
    }
    if hess_numpy is None:
        hess_numpy = _central_difference_numpy(elem_numpy)
    kernels = PointwiseKernels(
        loss_gradient=Kernel(
            _loss_gradient.specialise(name, **with_hessian),
            _loss_gradient_numpy(elem_numpy, valid_numpy, hess_numpy),
        ),
    )
    if metric:
        kernels.metric_sums = Kernel(
            _metric_sums.specialise(name, **bound), _metric_sums_numpy(elem_numpy, valid_numpy)
        )
    kernels.hessian = "central_difference" if hess is None else "helper"
    kernels.elem = elem
    kernels.valid = valid
    return kernels
