"""Scalar helpers shared by the Numba kernels (also valid plain Python).

``log_pos`` and ``exp_nonpos`` are branch-free, table-driven ``log`` and
``exp`` (the glibc/ARM optimized-routines scheme: a 128-entry table and a
short polynomial, no division; error < 1.5 ulp).  Unlike calls into libm,
LLVM inlines and vectorises them (the table reads become vector gathers),
which is what lets the log-loss and softmax kernels approach memory speed;
fdlibm's forms, which they replace, spent most of their time in a vector
division.  They are compiled *without* fast-math, so their arithmetic is
evaluated as written.

A kernel path for one dtype only is chosen with ``isinstance(a[0],
np.float32)`` on an element of the array: Numba types that as a constant,
so LLVM drops the other dtype's path before optimising the kernel
(``a.itemsize == 4`` is read at run time, and both paths were optimised
for every dtype).  Numba itself still types and lowers both paths (and
compiles the helpers each calls).  The value of the element is not used.
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

LN2 = math.log(2.0)
#: ln 2 split in two: ``_LN2_HI`` has 32 significant bits, so ``k * _LN2_HI`` is exact.
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10

# log(x) = k ln2 + log(c) + log1p(r), r = (z - c) / c, |r| < 2**-7.4, where
# x = 2**k z with z in [0.686, 1.371) and c the centre of z's 1/128 of that
# range, found with integer operations so that z - c is exact; 1/c and log(c)
# come from tables.  The two intervals next to 1.0 use c = 1, so near x = 1
# the result is the polynomial alone, with full relative accuracy.
#: A float64's mantissa bits, and the bits of 1.0 (its exponent field for [1, 2)).
MANTISSA_BITS = 0x000FFFFFFFFFFFFF
ONE_BITS = 0x3FF0000000000000
_LOG_N = 128
_LOG_OFF = ONE_BITS - 80 * (1 << 45) - (1 << 44)  # 1.0 is the centre of interval 80
_LOG_C1_BITS = 79 << 45  # interval 79 also uses c = 1
_L2 = -1.0 / 2  # Taylor coefficients of log1p
_L3 = 1.0 / 3
_L4 = -1.0 / 4
_L5 = 1.0 / 5
_L6 = -1.0 / 6
_L7 = 1.0 / 7
_L8 = -1.0 / 8


def _log_tables():
    invc = np.empty(_LOG_N)
    logc = np.empty(_LOG_N)
    for i in range(_LOG_N):
        c = np.int64(_LOG_OFF + (i << 45) + (1 << 44)).view(np.float64)
        invc[i] = 1.0 / float(c)
        logc[i] = np.float64(np.log(np.longdouble(c)))
    invc[79], logc[79] = 1.0, 0.0
    return invc, logc


_LOG_INVC, _LOG_LOGC = _log_tables()

# exp(x) = 2**(k + j/128) * exp(r), |r| <= ln2/256: 2**(j/128) from a table
# (stored minus j << 45, so that adding (k << 52) + (j << 45) scales it).
_EXP_N = 128
_EXP_N_INV_LN2 = _EXP_N / math.log(2.0)
_EXP_LN2N_HI = _LN2_HI / _EXP_N
_EXP_LN2N_LO = _LN2_LO / _EXP_N
_E2 = 1.0 / 2
_E3 = 1.0 / 6
_E4 = 1.0 / 24
_E5 = 1.0 / 120
_TWO_M1000 = 2.0**-1000


def _exp_table():
    table = np.empty(_EXP_N, dtype=np.int64)
    for j in range(_EXP_N):
        value = np.float64(np.exp2(np.longdouble(j) / _EXP_N))
        table[j] = value.view(np.int64) - (j << 45)
    return table


_EXP_TABLE = _exp_table()


@jit(helper=True, fastmath=None)
def n_blocks(n):
    return (n + BLOCK - 1) // BLOCK


@jit(helper=True, fastmath=None)
def block_of(w, lo, hi):
    """``w[lo:hi]``; None stays None, and an absent (empty) array stays empty."""
    if w is None:
        # ``return w``, not ``return None``: Numba types the pruned branch's
        # literal None into the result, making every block of an array an
        # Optional, which every helper downstream was compiled (and tested) for.
        return w
    return w[lo:hi]


@jit(helper=True, fastmath=None)
def block_or(a, lo, hi, scratch):
    """``a[lo:hi]``, or ``scratch[:hi - lo]`` where ``a`` is not requested
    (None, decided at compile time, or absent: empty)."""
    if a is None:
        return scratch[: hi - lo]
    if a.shape[0] == 0:
        return scratch[: hi - lo]
    return a[lo:hi]


@jit(helper=True, fastmath=None)
def unweighted(w):
    """Whether ``w`` means "no sample weights": None (decided at compile
    time) or an empty array (at run time; see ``_jit.Absent``)."""
    if w is None:
        return True
    return w.shape[0] == 0


@jit(helper=True, fastmath=None)
def total(a):
    """Sum of a 1-D array of per-block results (a plain loop: NumPy's ``sum``
    costs Numba about a second of compilation per array type).

    Compensated (Neumaier): the result is the exact sum rounded, to within
    an ulp, so a call split across threads, whose partial results are
    added at the end, gives the one-thread result to the last rounding.
    Exact for integers (the compensation stays 0).
    """
    acc = 0
    comp = 0
    for i in range(a.shape[0]):
        x = a[i]
        t = acc + x
        if abs(acc) >= abs(x):
            comp += (acc - t) + x
        else:
            comp += (x - t) + acc
        acc = t
    # An inf or NaN sum stays itself (the compensation would make inf NaN).
    return acc + comp if abs(acc) < np.inf else acc


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

    Without weights (:func:`unweighted`) only ``acc`` changes;
    :func:`weight_totals` then fills in the weight sum and minimum.  The test
    is loop-invariant: LLVM hoists it out of the caller's loop (unswitching),
    leaving a plain loop for each case.
    """
    # "is None" first, on the argument itself: Numba prunes that branch at
    # compile time, so the code after it is never typed for None.
    if wb is None:
        return acc + value, wsum, wmin
    if wb.shape[0] == 0:
        return acc + value, wsum, wmin
    wi = np.float64(wb[j])
    return acc + wi * value, wsum + wi, min(wmin, wi)


@jit(helper=True)
def weight_totals(wb, count, wsum, wmin):
    """A block's (weight sum, weight min), given what :func:`accumulate` summed."""
    if wb is None:
        return np.float64(count), 1.0
    if wb.shape[0] == 0:
        return np.float64(count), 1.0
    return wsum, wmin


@jit(helper=True, fastmath=None)
def weight(w, i):
    """``w[i]``, or 1.0 without sample weights (see :func:`unweighted`).

    The run-time test costs loops that could vectorise their speed (LLVM
    unswitches only small loops): there, branch on :func:`unweighted` once,
    outside the loop.
    """
    if w is None:
        return 1.0
    if w.shape[0] == 0:
        return 1.0
    return np.float64(w[i])


@jit(helper=True, fastmath=None)
def wanted(out):
    """Whether output ``out`` is requested: not None, not absent (empty)."""
    if out is None:
        return False
    return out.shape[0] != 0


@jit(helper=True, fastmath=None)
def store(out, i, value):
    """``out[i] = value`` (cast to out's dtype), when ``out`` is :func:`wanted`.

    None is pruned at compile time (LLVM then drops the value's arithmetic);
    an absent (empty) output is tested at run time.
    """
    if out is None:
        return
    if out.shape[0] != 0:
        out[i] = value


@jit(helper=True, fastmath=None)
def log_pos(x):
    """Natural log of a positive, finite, normal float64 ``x`` (< 1.5 ulp)."""
    ix = np.float64(x).view(np.int64)
    tmp = ix - _LOG_OFF
    i = (tmp >> 45) & (_LOG_N - 1)
    k = tmp >> 52
    low = tmp & MANTISSA_BITS
    z = np.int64(low + _LOG_OFF).view(np.float64)
    cbits = low & 0x000FE00000000000
    c = np.int64(cbits + (_LOG_OFF + (1 << 44))).view(np.float64)
    c = 1.0 if cbits == _LOG_C1_BITS else c
    r = (z - c) * _LOG_INVC[i]
    r2 = r * r
    q = _L2 + r * (_L3 + r * (_L4 + r * (_L5 + r * (_L6 + r * (_L7 + r * _L8)))))
    dk = np.float64(k)
    return (dk * _LN2_HI + _LOG_LOGC[i]) + (r + (r2 * q + dk * _LN2_LO))


@jit(helper=True, fastmath=None)
def exp_nonpos(x):
    """``exp(x)`` for ``x <= 0`` (< 1 ulp).

    Results below about 2**-1075 flush to 0; NaN propagates.
    """
    x = max(x, -746.0)
    kd = np.floor(_EXP_N_INV_LN2 * x + 0.5)
    r = (x - kd * _EXP_LN2N_HI) - kd * _EXP_LN2N_LO
    r2 = r * r
    p = r + r2 * ((_E2 + r * _E3) + r2 * (_E4 + r * _E5))
    ki = np.int64(kd) if kd == kd else np.int64(0)
    # Scaled by 2**1000 and back, so that subnormal results are rounded once.
    s = np.int64(_EXP_TABLE[ki & (_EXP_N - 1)] + ((ki + 1000 * _EXP_N) << 45)).view(np.float64)
    return (s + s * p) * _TWO_M1000


_TWO_P100 = 2.0**100


@jit(helper=True, fastmath=None)
def exp_real(x):
    """``exp(x)`` for any ``x`` (< 1 ulp), as :func:`exp_nonpos` but both signs.

    Overflows to inf above about 709.78 (by a multiplication, as IEEE
    arithmetic does), flushes below about -745.1 to 0; NaN propagates.  The
    scale 2**k is applied in two steps, 2**(k - 100) then 2**100 for
    positive k, 2**(k + 1000) then 2**-1000 for negative k (subnormal results
    then round once), so that the scaled table entry never leaves the normal
    range.  A select, not a branch: loops calling it still vectorise.
    """
    x = min(max(x, -746.0), 710.0)
    kd = np.floor(_EXP_N_INV_LN2 * x + 0.5)
    r = (x - kd * _EXP_LN2N_HI) - kd * _EXP_LN2N_LO
    r2 = r * r
    p = r + r2 * ((_E2 + r * _E3) + r2 * (_E4 + r * _E5))
    ki = np.int64(kd) if kd == kd else np.int64(0)
    negative = ki < 0
    offset = np.int64(1000 * _EXP_N) if negative else np.int64(-100 * _EXP_N)
    scale = _TWO_M1000 if negative else _TWO_P100
    s = np.int64(_EXP_TABLE[ki & (_EXP_N - 1)] + ((ki + offset) << 45)).view(np.float64)
    return (s + s * p) * scale


@jit(helper=True, fastmath=None)
def log1p_nonneg(t):
    """``log(1 + t)`` for finite ``t >= 0``, accurate for tiny ``t`` (Goldberg)."""
    u = 1.0 + t
    d = u - 1.0
    # Branch-free (a select), so loops calling it still vectorise.
    return log_pos(u) * (t / d) if d != 0.0 else t


_LG1 = 6.666666666666735130e-01  # fdlibm's log coefficients
_LG2 = 3.999999999940941908e-01
_LG3 = 2.857142874366239149e-01
_LG4 = 2.222219843214978396e-01
_LG5 = 1.818357216161805012e-01
_LG6 = 1.531383769920937332e-01
_LG7 = 1.479819860511658591e-01


@jit(helper=True, fastmath=None)
def log_pos_div(x):
    """Natural log of a positive, finite, normal float64 ``x``: fdlibm's form
    (one division, no table; < 1 ulp).  Where a loop has little else to do,
    its division costs less than :func:`log_pos`'s two table gathers."""
    ix = np.float64(x).view(np.int64)
    hx = (ix >> 32) & 0x7FFFFFFF
    k = (hx >> 20) - 1023
    hx &= 0x000FFFFF
    i = (hx + 0x95F64) & 0x100000
    k += i >> 20
    m = np.int64(((hx | (i ^ 0x3FF00000)) << 32) | (ix & 0xFFFFFFFF)).view(np.float64)
    f = m - 1.0
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    t1 = w * (_LG2 + w * (_LG4 + w * _LG6))
    t2 = z * (_LG1 + w * (_LG3 + w * (_LG5 + w * _LG7)))
    r = t2 + t1
    hfsq = 0.5 * f * f
    dk = np.float64(k)
    return dk * _LN2_HI - ((hfsq - (s * (hfsq + r) + dk * _LN2_LO)) - f)


_TWO_P54 = 2.0**54
_TINY = float(np.finfo(np.float64).tiny)
_SQRT2 = math.sqrt(2.0)


@jit(helper=True, fastmath=None)
def log_checked(x):
    """``(log(x), flag)``: fdlibm's log (:func:`log_pos_div`, < 1 ulp) and a
    flag that is 0 where ``x`` is positive, normal and finite, 1 where it is
    below the smallest normal number (zero, negative and subnormal ``x``
    included) and NaN where it is inf or NaN.  A loop sums the flags (an add,
    where :func:`log_nonneg`'s selects for those values cost a loop a fifth
    of its time); a sum other than 0 tells the caller to redo its values
    with NumPy's log."""
    return log_pos_div(x), (x - x) + (1.0 if x < _TINY else 0.0)


@jit(helper=True, fastmath=None)
def log_ratio(a, b):
    """``log(a / b)`` for positive, normal, finite ``a`` and ``b``, without
    rounding ``a / b`` first (< 2 ulp): one division, no table.

    With ``a = 2**ka * ma`` and ``b = 2**kb * mb`` (mantissas in [1, 2), one
    of them doubled so that ``ma / mb`` is in [1/sqrt(2), sqrt(2)]),
    ``log(ma / mb) = 2 atanh(s)`` with ``s = (ma - mb) / (ma + mb)``, whose
    numerator is exact (Sterbenz): fdlibm's series in ``s``.  The quotient
    is never formed, so it can lie beyond the float64 range.
    """
    ia = np.float64(a).view(np.int64)
    ib = np.float64(b).view(np.int64)
    ma = np.int64((ia & MANTISSA_BITS) | ONE_BITS).view(np.float64)
    mb = np.int64((ib & MANTISSA_BITS) | ONE_BITS).view(np.float64)
    up = ma > _SQRT2 * mb
    down = mb > _SQRT2 * ma
    mb = mb * 2.0 if up else mb  # exact
    ma = ma * 2.0 if down else ma
    k = ((ia >> 52) & 0x7FF) - ((ib >> 52) & 0x7FF) + (1 if up else 0) - (1 if down else 0)
    s = (ma - mb) / (ma + mb)
    z = s * s
    w = z * z
    t1 = w * (_LG2 + w * (_LG4 + w * _LG6))
    t2 = z * (_LG1 + w * (_LG3 + w * (_LG5 + w * _LG7)))
    dk = np.float64(k)
    return dk * _LN2_HI + (dk * _LN2_LO + (2.0 * s + s * (t1 + t2)))


@jit(helper=True, fastmath=None)
def _log1p_residual(t, u):
    """``log1p(t) - log(u)`` for ``u = 1 + t`` rounded, to first order
    ``((1 + t) - u) / u``: the rounding error ``t - (u - 1)`` (exact for
    ``|t| <= 1``) times a series for ``1 / (1 + t)``.  Taken for ``|t| <
    0.5`` only: beyond, it is under 1.3 ulp of ``log1p(t)`` (and 0 for ``t
    <= -0.5``, where ``1 + t`` is exact)."""
    e = t - (u - 1.0)
    c = e * (1.0 - t * (1.0 - t * (1.0 - t)))
    return c if abs(t) < 0.5 else 0.0


@jit(helper=True, fastmath=None)
def log1p_ratio(t, v):
    """``log1p(t) - log1p(v)`` for ``t, v > -1``: the log of ``(1 + t) / (1 +
    v)`` by :func:`log_ratio` (one division, where two :func:`log1p_real`
    take four), plus each log1p's residual (< 3.5 ulp of the larger log1p;
    NumPy's difference of two log1p, 2).  ``1 + t`` is normal for every
    ``t > -1``, and the quotient is never formed: every such pair is taken.
    NaN where ``t`` or ``v`` is NaN or infinite, garbage at or below -1
    (callers check)."""
    u = 1.0 + t
    uv = 1.0 + v
    value = log_ratio(u, uv)
    # t - t is NaN for inf and NaN t, 0 otherwise.
    return value + (_log1p_residual(t, u) - _log1p_residual(v, uv)) + ((t - t) + (v - v))


@jit(helper=True, fastmath=None)
def log_nonneg(x):
    """``log(x)`` for any ``x >= 0`` as NumPy gives it: subnormal ``x``
    scaled into the normal range first, ``log(0) = -inf``, ``log(inf) = inf``,
    NaN for NaN and negative ``x``.  Selects only: loops still vectorise."""
    small = x < _TINY
    value = log_pos_div(x * _TWO_P54 if small else x) - (54.0 * LN2 if small else 0.0)
    value = -np.inf if x == 0.0 else value
    value = np.inf if x == np.inf else value
    return value if x >= 0.0 else np.nan


@jit(helper=True, fastmath=None)
def log1p_real(t):
    """``log(1 + t)`` for ``t > -1`` (Goldberg's form, as :func:`log1p_nonneg`):
    for ``t`` in [-1, -0.5] ``1 + t`` is exact, elsewhere ``(1 + t) - 1`` is.
    NaN and inf pass through; ``t <= -1`` gives garbage (callers check)."""
    u = 1.0 + t
    d = u - 1.0
    value = log_pos_div(u) * (t / d) if d != 0.0 else t
    # A select, so loops calling it still vectorise.
    return value if abs(t) < np.inf else t


# float32 twins, for kernels that work in float32 throughout (8 lanes to a
# vector instead of 4).  musl's logf (fdlibm form) and a degree-7 exp.
_F0 = np.float32(0.0)
_F0_5 = np.float32(0.5)
_F1 = np.float32(1.0)
_F2 = np.float32(2.0)
_FLN2_HI = np.float32(6.9313812256e-01)  # k * _FLN2_HI exact
_FLN2_LO = np.float32(9.0580006145e-06)
_FLG1 = np.float32(0.66666662693)
_FLG2 = np.float32(0.40000972152)
_FLG3 = np.float32(0.28498786688)
_FLG4 = np.float32(0.24279078841)
_I0 = np.int32(0)
_I23 = np.int32(23)
_I127 = np.int32(127)
_IEXP_ADJ = np.int32(0x3F800000 - 0x3F3504F3)
_IMANT = np.int32(0x007FFFFF)
_ISQRTH = np.int32(0x3F3504F3)
_FINV_LN2 = np.float32(1.4426950409)
_FLN2E_HI = np.float32(6.9314575195e-01)  # k * _FLN2E_HI exact for |k| < 2**8
_FLN2E_LO = np.float32(1.4286067653e-06)
_FE2 = np.float32(1.0 / 2)
_FE3 = np.float32(1.0 / 6)
_FE4 = np.float32(1.0 / 24)
_FE5 = np.float32(1.0 / 120)
_FE6 = np.float32(1.0 / 720)
_FE7 = np.float32(1.0 / 5040)
_FEXP_MIN = np.float32(-104.0)
_FTWO_M64 = np.float32(2.0**-64)
_IBIAS = np.int32(127 + 64)


@jit(helper=True, fastmath=None)
def log_pos32(x):
    """Natural log of a positive, finite, normal float32 ``x``, in float32 (< 1 ulp)."""
    ix = np.float32(x).view(np.int32) + _IEXP_ADJ
    k = (ix >> _I23) - _I127
    ix = (ix & _IMANT) + _ISQRTH
    f = np.int32(ix).view(np.float32) - _F1
    s = f / (_F2 + f)
    z = s * s
    w = z * z
    r = z * (_FLG1 + w * _FLG3) + w * (_FLG2 + w * _FLG4)
    hfsq = _F0_5 * f * f
    dk = np.float32(k)
    return s * (hfsq + r) + dk * _FLN2_LO - hfsq + f + dk * _FLN2_HI


@jit(helper=True, fastmath=None)
def exp_nonpos32(x):
    """``exp(x)`` of a float32 ``x <= 0``, in float32 (< 1.5 ulp; below about 2**-150: 0)."""
    x = max(np.float32(x), _FEXP_MIN)
    k = np.floor(_FINV_LN2 * x + _F0_5)
    r = (x - k * _FLN2E_HI) - k * _FLN2E_LO
    r2 = r * r
    y = (_F1 + r) + r2 * ((_FE2 + r * _FE3) + r2 * ((_FE4 + r * _FE5) + r2 * (_FE6 + r * _FE7)))
    ki = np.int32(k) if k == k else _I0
    s = np.int32((ki + _IBIAS) << _I23).view(np.float32)
    return (y * s) * _FTWO_M64


@jit(helper=True, fastmath=None)
def log1p_nonneg32(t):
    """``log(1 + t)`` for a finite float32 ``t >= 0``, in float32."""
    u = _F1 + t
    d = u - _F1
    return log_pos32(u) * (t / d) if d != _F0 else t
