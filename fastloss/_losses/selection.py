"""Weighted quantiles by radix selection: the kernels of ``median_absolute_error``.

scikit-learn sorts (``np.median``, or ``_weighted_percentile``'s argsort and
cumulative sum); fastloss selects.  Each value ``v`` (``|y - p|``, or ``y``)
has a 64-bit key that orders like the value (:func:`_key`).  A pass
(:func:`_select_pass_numba`) takes the values whose key starts with a given
prefix and builds, over the next 16 bits of the key, the histogram of their
weights and each bucket's smallest and largest value.  The driver
(:func:`weighted_quantile`) walks down: the bucket where the cumulative
weight reaches the target holds the answer; its bits join the prefix, and
the next pass looks only inside it.  It stops as soon as the bucket holds
one distinct value (usually after two passes; at most four).  Every pass is
a plain read of the inputs, split across threads (histograms summed, minima
and maxima merged), with no copy of the data; a Dask array's blocks give
partial histograms that merge the same way, so the Dask answer is exact too.

The median without weights (``median_absolute_error``'s common case) takes
one pass instead (:func:`bracketed_median`, Floyd and Rivest's selection):
order statistics of a strided sample bracket the median, a pass counts the
values below the bracket and keeps the few inside it, and a partition of
those finds the middle ones; where the bracket misses (or holds too many
ties) the radix passes run as above.

Semantics are scikit-learn's ``_weighted_percentile(..., average=True)``
(``averaged_inverted_cdf``), which for unit weights is ``np.median``: the
first value whose cumulative weight reaches ``fraction * total``, averaged
with the next larger value (of positive weight) when the cumulative weight
equals the target to within the dtype's epsilon.  Values of zero weight
are never selected.
"""

from types import SimpleNamespace

import numpy as np

from .._jit import Absent, Rows, jit
from .._registry import Kernel

BITS = 16
N_BUCKETS = 1 << BITS
LEVELS = 64 // BITS
_MIN64 = -(1 << 63)


@jit(helper=True, fastmath=None)
def _key(v):
    """The float64 ``v``'s bits as an int64 whose unsigned order is the
    value's order (positive floats: sign bit set; negative: all bits flipped)."""
    bits = np.float64(v).view(np.int64)
    return bits ^ _MIN64 if bits >= 0 else ~bits


@jit(rows=Rows(args=(0, 1, 2), merge=("sum", "minimum", "maximum", "min", "sum")),
     absent=Absent(weights=(2,)))  # fmt: skip
def _select_pass_numba(y, p, w, col, mode, level, prefix):
    """One pass over column ``col`` of (n, k) ``y``, ``p``: values ``|y - p|``
    (``mode`` 0, in the inputs' dtype, as scikit-learn computes them) or
    ``y`` (``mode`` 1).  Among the values of positive weight whose key's top
    ``16 * level`` bits equal ``prefix``: per bucket of the next 16
    bits, the weight sum, the smallest and the largest value.  Also the
    smallest weight and the number of values or weights that are not finite.

    One plain loop: each further loop of this kernel cost about 0.2 s of
    compilation per dtype, for a few milliseconds at N = 10M.
    """
    n, k = y.shape
    yf = y.reshape(n * k)
    pf = p.reshape(n * k)
    weights = np.zeros(N_BUCKETS)
    low = np.full(N_BUCKETS, np.inf)
    high = np.full(N_BUCKETS, -np.inf)
    has_w = w.shape[0] != 0
    shift = 48 - BITS * level
    mask = (1 << (BITS * level)) - 1
    wmin = np.inf
    bad = 0
    for i in range(n):
        j = i * k + col
        if mode == 0:
            v = np.float64(abs(yf[j] - pf[j]))
        else:
            v = np.float64(yf[j])
        wi = 1.0
        if has_w:
            wi = np.float64(w[i])
            wmin = min(wmin, wi)
        if not (abs(v) < np.inf and abs(wi) < np.inf):
            bad += 1
            continue
        if not wi > 0.0:
            continue
        u = _key(v)
        if level > 0:  # (a shift by 64 bits is undefined: not at level 0)
            if ((u >> (shift + BITS)) & mask) != prefix:
                continue
        b = (u >> shift) & (N_BUCKETS - 1)
        weights[b] += wi
        if v < low[b]:
            low[b] = v
        if v > high[b]:
            high[b] = v
    if not has_w:
        wmin = 1.0
    return weights, low, high, wmin, bad


def _select_pass_numpy(y, p, w, col, mode, level, prefix):
    y64 = y[:, col]
    v = np.abs(y64 - p[:, col]) if mode == 0 else y64
    v = v.astype(np.float64)
    wf = np.ones(v.shape[0]) if w is None else w.astype(np.float64)
    wmin = 1.0 if w is None else (float(w.min()) if w.size else np.inf)
    finite = np.isfinite(v) & np.isfinite(wf)
    bad = int((~finite).sum())
    keep = finite & (wf > 0)
    bits = v[keep].view(np.int64)
    u = np.where(bits >= 0, bits ^ np.int64(_MIN64), ~bits)
    vk, wk = v[keep], wf[keep]
    shift = 48 - BITS * level
    if level > 0:
        mask = np.int64((1 << (BITS * level)) - 1)
        match = ((u >> (shift + BITS)) & mask) == prefix
        u, vk, wk = u[match], vk[match], wk[match]
    b = ((u >> shift) & (N_BUCKETS - 1)).astype(np.intp)
    weights = np.bincount(b, weights=wk, minlength=N_BUCKETS).astype(np.float64)
    low = np.full(N_BUCKETS, np.inf)
    high = np.full(N_BUCKETS, -np.inf)
    np.minimum.at(low, b, vk)
    np.maximum.at(high, b, vk)
    return weights, low, high, wmin, bad


@jit(rows=Rows(args=(0, 1), merge=("sum", "sum", "sum", "concat")))
def _bracket_pass_numba(y, p, col, low, high, capacity):
    """One pass over ``|y - p|`` of column ``col`` (in the inputs' dtype):
    the number of values below ``low``, of values in ``[low, high]`` and of
    values not finite, and the values in ``[low, high]`` (the first
    ``capacity`` of them, per thread: more are counted, not kept; ordered
    data put all of them in one thread's rows).

    Branch-free: every value is stored at the next free slot of ``kept``,
    which only a value inside the bracket then takes (once full, the last
    slot takes them all).  A branch on "inside" made the pass 4x slower, as
    LLVM then branched on the count below ``low`` too, which half of the
    values take.
    """
    n, k = y.shape
    yf = y.reshape(n * k)
    pf = p.reshape(n * k)
    room = min(capacity, n)
    kept = np.empty(room + 1)
    below = 0
    inside = 0
    bad = 0
    for i in range(n):
        j = i * k + col
        v = np.float64(abs(yf[j] - pf[j]))
        bad += not (abs(v) < np.inf)
        below += v < low
        kept[min(inside, room)] = v
        inside += (v >= low) & (v <= high)
    return below, inside, bad, kept[: min(inside, room)]


def _bracket_pass_numpy(y, p, col, low, high, capacity):
    v = np.abs(y[:, col] - p[:, col]).astype(np.float64)
    bad = int((~np.isfinite(v)).sum())
    inside = v[(v >= low) & (v <= high)]
    return int((v < low).sum()), int(inside.size), bad, inside[:capacity]


KERNELS = SimpleNamespace(
    select_pass=Kernel(_select_pass_numba, _select_pass_numpy),
    bracket_pass=Kernel(_bracket_pass_numba, _bracket_pass_numpy),
)

#: Values of the sample :func:`bracketed_median` draws its bracket from.
SAMPLE_SIZE = 65536


def sample_rows(n):
    """Rows of the strided sample of ``n`` values (at most SAMPLE_SIZE, a
    quarter of them): positions spread over the whole array."""
    return np.linspace(0, n - 1, min(SAMPLE_SIZE, n // 4)).astype(np.intp)


#: Half-width of the bracket, in standard deviations of the median's rank
#: in the sample (a true median outside it: about 2e-9 for a random sample).
BRACKET_SD = 6.0


def merge_passes(parts):
    """Merge the results of one pass over several blocks of rows (Dask)."""
    weights, low, high, wmin, bad = parts[0]
    for w2, l2, h2, m2, b2 in parts[1:]:
        weights = weights + w2
        low = np.minimum(low, l2)
        high = np.maximum(high, h2)
        wmin = min(wmin, m2)
        bad += b2
    return weights, low, high, wmin, bad


def weighted_quantile(run_pass, fraction, eps, dtype):
    """The ``averaged_inverted_cdf`` quantile ``fraction`` of the values a
    pass reads, by radix selection.

    ``run_pass(level, prefix)`` returns a pass's ``(weights, low,
    high, wmin, bad)``.  Returns ``(value, wmin, bad, total weight)``; with ``bad`` (values
    not finite) or no positive weight, ``value`` is NaN (the caller raises).
    ``eps`` is scikit-learn's tolerance of "the target is on a value" (the
    dtype's epsilon); the average of two values is taken in ``dtype``.
    """
    weights, low, high, wmin, bad = run_pass(0, 0)
    total = float(weights.sum())
    if bad or not total > 0.0:
        return np.nan, wmin, bad, total
    target = fraction * total
    if target == 0.0:
        target = np.nextafter(0.0, 1.0)  # skip leading zero weights, as scikit-learn
    levels = []  # (weights, low, chosen bucket) per level, for the next value
    below = 0.0
    prefix = 0
    for level in range(LEVELS):
        if level:
            weights, low, high, _, _ = run_pass(level, prefix)
        cumulative = below + np.cumsum(weights)
        b = int(np.searchsorted(cumulative, target))  # first bucket reaching the target
        if b >= N_BUCKETS:  # rounding put the target past the total: the largest value
            b = int(np.flatnonzero(weights > 0)[-1])
        levels.append((weights, low, b))
        # The weight below bucket b: the running sum before it (cumulative[b]
        # - weights[b] can round past the target, and the next level would
        # then find nothing).
        below = float(cumulative[b - 1]) if b > 0 else below
        if low[b] == high[b] or level == LEVELS - 1:
            break
        prefix = (prefix << BITS) | b
    value = low[b]
    through = below + float(weights[b])  # the weight of every value up to this one
    if through - target > eps:
        return value, wmin, bad, total
    # On a value: the average with the next larger value of positive weight,
    # the smallest value of the first nonempty bucket after the chosen one,
    # at the deepest level that has one.
    for weights, low, b in reversed(levels):
        later = np.flatnonzero(weights[b + 1 :] > 0)
        if later.size:
            following = low[b + 1 + int(later[0])]
            return float((dtype.type(value) + dtype.type(following)) / dtype.type(2)), wmin, bad, total
    return value, wmin, bad, total


def bracketed_median(sample, run_bracket, n, dtype):
    """``np.median`` of ``n`` values, unweighted, from one counting pass
    (Floyd and Rivest's selection): ``(value, bad)``, or None where the
    bracket misses (the caller then selects by radix passes).

    ``sample``: values drawn from the ``n`` (a strided sample: for sorted or
    otherwise ordered data as good as a random one); its order statistics
    around the median bracket the median of all ``n``.
    ``run_bracket(low, high, capacity)`` is a pass of
    :func:`_bracket_pass_numba` over the values.  The values inside the
    bracket (a few per cent of them) are then partitioned.  The median of
    an even count is the average, in ``dtype``, of the two middle values
    when they differ (:func:`weighted_quantile`'s rule, and NumPy's).
    """
    size = sample.shape[0]
    half = BRACKET_SD * 0.5 * np.sqrt(size) + 1
    lo_rank = max(int(size / 2 - half), 0)
    hi_rank = min(int(size / 2 + half), size - 1)
    part = np.partition(sample, (lo_rank, hi_rank))
    low, high = float(part[lo_rank]), float(part[hi_rank])
    if not (np.isfinite(low) and np.isfinite(high)):
        return None  # NaN or inf in the sample: the radix passes report it
    # Room for twice the values the bracket should hold (ties).
    capacity = int(2 * n * (hi_rank - lo_rank + 1) / size) + 1024
    below, inside, bad, kept = run_bracket(low, high, capacity)
    if bad:
        return np.nan, bad
    first, second = (n - 1) // 2, n // 2  # the middle ranks
    if not (below <= first and second < below + inside) or kept.shape[0] < inside:
        return None
    kept = np.partition(kept, (first - below, second - below))
    a, b = kept[first - below], kept[second - below]
    if a == b:
        return float(a), 0
    return float((dtype.type(a) + dtype.type(b)) / dtype.type(2)), 0
