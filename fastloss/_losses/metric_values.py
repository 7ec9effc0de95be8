"""Pointwise values of the regression metrics that are weighted means of a
function other than a registered loss's: squared log error, absolute
percentage error, pinball loss, Tweedie deviance; and the maximum absolute
error.

One compiled sums kernel serves them all: the metric's code and its
parameter reach it at call time in ``theta`` (``theta[0]``, ``theta[1]``),
so a further metric of this kind costs one loop in it rather than a kernel
of its own (a specialisation of the pointwise sums kernel costs about half
a second of compilation per dtype).

Values outside a metric's domain (``y <= -1`` for the log errors, the
deviances' signs) are NaN, the kernels' flag for "the caller's slow path
finds and reports the offending value"; scikit-learn's checks and messages
live with the metric declarations (``fastloss._metric_core``).
"""

from types import SimpleNamespace

import numpy as np

from .._jit import Absent, Rows, jit
from .._mathfn import (
    BLOCK,
    block_of,
    log1p_ratio,
    log_checked,
    n_blocks,
    smallest,
    total,
    unweighted,
    weight_totals,
)
from .._config import get_backend
from .._registry import Kernel
from ._pointwise import theta_of

#: Codes of the metric functions (``theta[0]``).  The Tweedie deviance has
#: a code per special power (``tweedie_theta``): those are selects and
#: logs that vectorise, the general power calls ``pow``.  (Power 0, the
#: squared error, is ``mean_squared_error``'s kernel: see the metric core.)
SQUARED_LOG, ABSOLUTE_PERCENTAGE, PINBALL = 0.0, 1.0, 2.0
POISSON, GAMMA, TWEEDIE = 4.0, 5.0, 6.0

#: scikit-learn's floor of ``|y|`` in the percentage error (float64's epsilon).
_EPS = float(np.finfo(np.float64).eps)


def theta(code, parameter=0.0):
    """The kernels' parameter tuple of one metric function."""
    return theta_of((code, parameter))


def tweedie_theta(power):
    """The parameter tuple of the Tweedie deviance of ``power`` other than 0
    (its code by power)."""
    power = float(power)
    return theta(_POWER_CODES.get(power, TWEEDIE), power)


_POWER_CODES = {1.0: POISSON, 2.0: GAMMA}


@jit(helper=True)
def _tweedie_general(y, p, power):
    # scikit-learn's formula (_mean_tweedie_deviance) for a power other than 0, 1, 2.
    if power < 0.0:
        valid = p > 0.0
        y1 = y if y > 0.0 else 0.0
    elif power < 2.0:
        valid = y >= 0.0 and p > 0.0
        y1 = y
    else:
        valid = y > 0.0 and p > 0.0
        y1 = y
    if not valid:
        return np.nan
    return 2.0 * (y1 ** (2.0 - power) / ((1.0 - power) * (2.0 - power))
                  - y * p ** (1.0 - power) / (1.0 - power)
                  + p ** (2.0 - power) / (2.0 - power))  # fmt: skip


# One loop per function (a switch inside one loop was unswitched by LLVM for
# its first case only: the others ran scalar, 3-5x slower).  Each loop runs
# over one column of a block, contiguous (a loop indexing ``r * k`` did not
# vectorise), weighted by ``wk`` (a block of ones without weights), and flags
# values out of the function's domain as NaN.  Everything is computed, then selected:
# branches would keep the loops from vectorising.


@jit(helper=True)
def _sum_squared_log(ys, ps, wk, m, parameter):
    # log1p(y) - log1p(p) as the log of (1 + y) / (1 + p): one division in
    # place of four (2x faster at 10M rows); every pair is taken.  It
    # differs from NumPy's difference of two log1p by its rounding: about
    # an ulp of the larger log1p.
    acc = 0.0
    for r in range(m):
        yv = np.float64(ys[r])
        pv = np.float64(ps[r])
        d = log1p_ratio(yv, pv)
        acc += wk[r] * (d * d if (yv > -1.0) & (pv > -1.0) else np.nan)
    return acc, 0.0


@jit(helper=True)
def _sum_absolute_percentage(ys, ps, wk, m, parameter):
    acc = 0.0
    for r in range(m):
        yv = np.float64(ys[r])
        acc += wk[r] * (abs(np.float64(ps[r]) - yv) / max(abs(yv), _EPS))
    return acc, 0.0


@jit(helper=True)
def _sum_pinball(ys, ps, wk, m, parameter):
    acc = 0.0
    below = parameter - 1.0
    for r in range(m):
        d = np.float64(ys[r]) - np.float64(ps[r])
        acc += wk[r] * (parameter * d if d >= 0.0 else below * d)
    return acc, 0.0


# The deviances take NumPy's log of the rounded quotient, as scikit-learn
# does (the same numbers where predictions are near their targets and its
# terms nearly cancel), through log_checked: fdlibm's log without
# log_nonneg's selects for zero, subnormal, infinite and negative values.
#
# Rare values: these loops return the sum of log_checked's flags besides
# their sum (the others return 0).  A block where it is not 0 (a quotient
# that is zero, subnormal, infinite or NaN, an invalid prediction) is
# counted, and the caller then sums the whole input again with the NumPy
# twin.  A loop of their own for those blocks in the kernel cost 0.5 s of
# compilation per dtype.


@jit(helper=True)
def _poisson_value(yv, pv, log_yp):
    xlogy = 0.0 if yv == 0.0 else yv * log_yp
    value = 2.0 * (xlogy - yv + pv)
    return value if (yv >= 0.0) & (pv > 0.0) else np.nan


@jit(helper=True)
def _sum_poisson(ys, ps, wk, m, parameter):
    acc = 0.0
    flags = 0.0
    for r in range(m):
        yv = np.float64(ys[r])
        pv = np.float64(ps[r])
        # y = 0 has xlogy = 0: its log (of 1 here) is not used.
        log_yp, flag = log_checked(yv / pv if yv != 0.0 else 1.0)
        acc += wk[r] * _poisson_value(yv, pv, log_yp)
        flags += flag
    return acc, flags


@jit(helper=True)
def _gamma_value(yv, pv, log_py):
    value = 2.0 * (log_py + yv / pv - 1.0)
    return value if (yv > 0.0) & (pv > 0.0) else np.nan


@jit(helper=True)
def _sum_gamma(ys, ps, wk, m, parameter):
    acc = 0.0
    flags = 0.0
    for r in range(m):
        yv = np.float64(ys[r])
        pv = np.float64(ps[r])
        log_py, flag = log_checked(pv / yv)
        acc += wk[r] * _gamma_value(yv, pv, log_py)
        flags += flag
    return acc, flags


@jit(helper=True)
def _sum_tweedie(ys, ps, wk, m, power):
    acc = 0.0
    for r in range(m):
        acc += wk[r] * _tweedie_general(np.float64(ys[r]), np.float64(ps[r]), power)
    return acc, 0.0


@jit(rows=Rows(args=(0, 1, 2), merge=("sum", "sum", "min", "sum")), absent=Absent(weights=(2,)))
def _value_sums_numba(y, p, w, theta):
    """Per-column weighted sums of the function ``theta[0]`` (parameter
    ``theta[1]``) of (n, k) arrays, plus the weight sum and minimum and the
    number of blocks with rare values (see above)."""
    n, k = y.shape
    nb = n_blocks(n)
    sums = np.zeros((k, nb))
    wsums = np.zeros(nb)
    wmins = np.empty(nb)
    ones = np.ones(min(n, BLOCK))
    ycol = np.empty(min(n, BLOCK) if k > 1 else 0, y.dtype)
    pcol = np.empty(min(n, BLOCK) if k > 1 else 0, p.dtype)
    code = theta[0]
    parameter = theta[1]
    rare = 0
    yf = y.reshape(n * k)
    pf = p.reshape(n * k)
    for b in range(nb):
        lo = b * BLOCK
        hi = min(lo + BLOCK, n)
        m = hi - lo
        wb = block_of(w, lo, hi)
        wk = ones[:m] if unweighted(wb) else wb
        yb = yf[lo * k : hi * k]
        pb = pf[lo * k : hi * k]
        for c in range(k):
            ys, ps = yb, pb
            if k > 1:  # the column, copied into cache: the loops below stay unit-stride
                for r in range(m):
                    ycol[r] = yb[r * k + c]
                    pcol[r] = pb[r * k + c]
                ys, ps = ycol[:m], pcol[:m]
            if code == SQUARED_LOG:
                acc, flags = _sum_squared_log(ys, ps, wk, m, parameter)
            elif code == ABSOLUTE_PERCENTAGE:
                acc, flags = _sum_absolute_percentage(ys, ps, wk, m, parameter)
            elif code == PINBALL:
                acc, flags = _sum_pinball(ys, ps, wk, m, parameter)
            elif code == POISSON:
                acc, flags = _sum_poisson(ys, ps, wk, m, parameter)
            elif code == GAMMA:
                acc, flags = _sum_gamma(ys, ps, wk, m, parameter)
            else:
                acc, flags = _sum_tweedie(ys, ps, wk, m, parameter)
            sums[c, b] = acc
            rare += not flags == 0.0
        # The weights' sum and minimum in a loop of their own (a minimum in
        # the loops above would keep them from vectorising).
        wsum = 0.0
        wmin = np.inf
        for r in range(wb.shape[0]):
            wsum += wb[r]
            wmin = min(wmin, wb[r])
        wsum, wmin = weight_totals(wb, m, wsum, wmin)
        wsums[b] = wsum
        wmins[b] = wmin
    columns = np.zeros(k)
    for c in range(k):
        columns[c] = total(sums[c])  # compensated: thread-count independent
    return columns, total(wsums), smallest(wmins), rare


def _values_numpy(y, p, theta):
    code, parameter = theta[0], theta[1]
    with np.errstate(all="ignore"):
        if code == SQUARED_LOG:
            value = np.where((y > -1) & (p > -1), (np.log1p(y) - np.log1p(p)) ** 2, np.nan)
        elif code == ABSOLUTE_PERCENTAGE:
            value = np.abs(p - y) / np.maximum(np.abs(y), _EPS)
        elif code == PINBALL:
            d = y - p
            value = np.where(d >= 0, parameter * d, (parameter - 1.0) * d)
        elif code == POISSON:
            xlogy = np.where(y == 0, 0.0, y * np.log(np.where(y == 0, 1.0, y / p)))
            value = np.where((y >= 0) & (p > 0), 2 * (xlogy - y + p), np.nan)
        elif code == GAMMA:
            value = np.where((y > 0) & (p > 0), 2 * (np.log(p / y) + y / p - 1), np.nan)
        else:
            power = parameter
            if power < 0:
                valid, y1 = p > 0, np.where(y > 0, y, 0.0)
            else:
                valid, y1 = ((y >= 0) if power < 2 else (y > 0)) & (p > 0), y
            value = 2 * (y1 ** (2 - power) / ((1 - power) * (2 - power))
                         - y * p ** (1 - power) / (1 - power) + p ** (2 - power) / (2 - power))  # fmt: skip
            value = np.where(valid, value, np.nan)
    return value


def _value_sums_numpy(y, p, w, theta):
    with np.errstate(all="ignore"):
        values = _values_numpy(y.astype(np.float64), p.astype(np.float64), theta)
        if w is None:
            return values.sum(axis=0), float(y.shape[0]), 1.0
        return (values * w[:, None]).sum(axis=0), float(w.sum()), float(w.min())


@jit(rows=Rows(args=(0, 1), merge="max"))
def _max_abs_error_numba(y, p):
    """``max |y - p|`` of 1-D arrays (NaN if any difference is NaN; 0 if empty)."""
    m = 0.0
    for i in range(y.shape[0]):
        d = abs(np.float64(y[i]) - np.float64(p[i]))
        if d > m or d != d:
            m = d
            if d != d:
                break
    return m


def _max_abs_error_numpy(y, p):
    if y.shape[0] == 0:
        return 0.0
    return float(np.max(np.abs(y.astype(np.float64) - p.astype(np.float64))))


class _RareValuesKernel(Kernel):
    """:func:`_value_sums_numba` and its twin, called as every metric sums
    kernel is (``-> (sums, weight sum, weight min)``): where the compiled
    kernel counts blocks of rare values, the NumPy twin sums the input
    again."""

    __slots__ = ()

    def __call__(self, size, *args):
        if get_backend() != "numba":
            return super().__call__(size, *args)
        sums, wsum, wmin, rare = self.numba(size, *args)
        if rare:
            with np.errstate(all="ignore"):
                return self.numpy(*args)
        return sums, wsum, wmin


KERNELS = SimpleNamespace(
    metric_sums=_RareValuesKernel(_value_sums_numba, _value_sums_numpy),
    max_abs_error=Kernel(_max_abs_error_numba, _max_abs_error_numpy),
    several_loops=True,  # costly to compile: warmup starts it early
)
