"""Scalar helpers shared by the Numba kernels (also valid plain Python).

``log_pos`` and ``exp_nonpos`` are branch-free ports of fdlibm's ``log`` and
``exp`` (error < 1 ulp).  Unlike calls into libm, LLVM can inline and
vectorise them, which is what makes the log-loss and softmax kernels run at
memory speed.  They are compiled *without* fast-math: their error-compensating
arithmetic must not be re-associated.
"""

import math

import numpy as np

from ._jit import jit

#: Rows per block of a blocked reduction.  Each block is summed with a few
#: vectorised float64 accumulators and the block sums are added afterwards, so
#: the rounding error grows with BLOCK + n / BLOCK, not with n.
#: Kernels take per-block views (``y[lo:hi]``) and index them from 0: LLVM can
#: then prove indices non-negative, drop Numba's wraparound check and vectorise;
#: indexing ``y[lo + j]`` directly ran 2-4x slower.
BLOCK = 4096

_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_INV_LN2 = 1.44269504088896338700e00
_LG1 = 6.666666666666735130e-01
_LG2 = 3.999999999940941908e-01
_LG3 = 2.857142874366239149e-01
_LG4 = 2.222219843214978396e-01
_LG5 = 1.818357216161805012e-01
_LG6 = 1.531383769920937332e-01
_LG7 = 1.479819860511658591e-01
_P1 = 1.66666666666666019037e-01
_P2 = -2.77777777770155933842e-03
_P3 = 6.61375632143793436117e-05
_P4 = -1.65339022054652515390e-06
_P5 = 4.13813679705723846039e-08


@jit(helper=True, fastmath=None)
def n_blocks(n):
    return (n + BLOCK - 1) // BLOCK


@jit(helper=True, fastmath=None)
def block_of(w, lo, hi):
    """``w[lo:hi]``, or None when there are no sample weights."""
    if w is None:
        return None
    return w[lo:hi]


@jit(helper=True, fastmath=None)
def total(a):
    """Sum of a 1-D array of per-block results (a plain loop: NumPy's ``sum``
    costs Numba about a second of compilation per array type)."""
    acc = 0
    for i in range(a.shape[0]):
        acc += a[i]
    return acc


@jit(helper=True, fastmath=None)
def smallest(a):
    """Minimum of a 1-D float array of per-block results (inf when empty)."""
    low = np.inf
    for i in range(a.shape[0]):
        low = min(low, a[i])
    return low


@jit(helper=True)
def accumulate(acc, wsum, wmin, value, wb, j):
    """Add ``value`` (weighted by ``wb[j]``) to a block's running sums.

    Without weights (``wb is None``, pruned at compile time) only ``acc``
    changes; :func:`weight_totals` then fills in the weight sum and minimum.
    """
    if wb is None:
        return acc + value, wsum, wmin
    wi = np.float64(wb[j])
    return acc + wi * value, wsum + wi, min(wmin, wi)


@jit(helper=True)
def weight_totals(wb, count, wsum, wmin):
    """A block's (weight sum, weight min), given what :func:`accumulate` summed."""
    if wb is None:
        return np.float64(count), 1.0
    return wsum, wmin


@jit(helper=True, fastmath=None)
def weight(w, i):
    """``w[i]``, or 1.0 when there are no sample weights (pruned at compile time)."""
    if w is None:
        return 1.0
    return np.float64(w[i])


@jit(helper=True, fastmath=None)
def log_pos(x):
    """Natural log of a positive, finite, normal float64 ``x`` (fdlibm ``log``)."""
    ix = np.float64(x).view(np.int64)
    hx = (ix >> 32) + (0x3FF00000 - 0x3FE6A09E)
    k = (hx >> 20) - 0x3FF
    hx = (hx & 0x000FFFFF) + 0x3FE6A09E
    ix = (hx << 32) | (ix & 0xFFFFFFFF)
    f = np.int64(ix).view(np.float64) - 1.0
    hfsq = 0.5 * f * f
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    t1 = w * (_LG2 + w * (_LG4 + w * _LG6))
    t2 = z * (_LG1 + w * (_LG3 + w * (_LG5 + w * _LG7)))
    r = t2 + t1
    dk = np.float64(k)
    return s * (hfsq + r) + dk * _LN2_LO - hfsq + f + dk * _LN2_HI


@jit(helper=True, fastmath=None)
def exp_nonpos(x):
    """``exp(x)`` for ``x <= 0`` (fdlibm ``exp``).

    Results below 2**-1076 flush to 0; NaN propagates.
    """
    x = max(x, -746.0)
    k = math.floor(_INV_LN2 * x + 0.5)
    hi = x - k * _LN2_HI
    lo = k * _LN2_LO
    r = hi - lo
    t = r * r
    c = r - t * (_P1 + t * (_P2 + t * (_P3 + t * (_P4 + t * _P5))))
    y = 1.0 - ((lo - (r * c) / (2.0 - c)) - hi)
    # Scale by 2**k in two exact steps so that subnormal results stay right.
    ki = np.int64(k) if k == k else np.int64(0)
    ka = max(ki, np.int64(-1000))
    kb = ki - ka
    sa = np.int64((ka + 1023) << 52).view(np.float64)
    sb = np.int64((kb + 1023) << 52).view(np.float64)
    return y * sa * sb


@jit(helper=True, fastmath=None)
def log1p_nonneg(t):
    """``log(1 + t)`` for finite ``t >= 0``, accurate for tiny ``t`` (Goldberg)."""
    u = 1.0 + t
    d = u - 1.0
    # Branch-free (a select), so loops calling it still vectorise.
    return log_pos(u) * (t / d) if d != 0.0 else t
