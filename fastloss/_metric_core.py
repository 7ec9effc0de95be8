"""The metric core: the checks every regression metric shares, mergeable
states, and each metric's declaration.

A metric is declared once (:class:`RegressionMetric`, registered in
``fastloss._registry.METRICS``): the state it keeps over samples (weighted
per-output sums of a pointwise loss, or weighted moments) and how that state
finishes into the metric.  The one-shot functions of :mod:`fastloss.metrics`,
the accumulators of :mod:`fastloss.streaming` (one per metric, named after it
in CamelCase) and the Dask path all compute the same states with the same
kernels and finish them the same way.

Layering: kernels (``fastloss._losses``) <- this module <- streaming <- Dask
<- the public functions.
"""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

from ._losses import absolute_error, metric_values, moments, selection, squared_error
from ._losses._pointwise import NO_PARAMS
from ._registry import register_metric
from ._validation import (
    InvalidParameterError,
    WeightsSumToZeroError,
    as_float_array,
    as_ndarray,
    as_sample_weight,
    check_array_like,
    check_consistent_length,
    raise_if_not_finite,
)

# scikit-learn's StrOptions, as sets in its insertion order: its error
# messages list a set, so the same set prints in the same order.
_PLAIN_AVERAGES = {"raw_values", "uniform_average"}
_VARIANCE_AVERAGES = {"raw_values", "uniform_average", "variance_weighted"}


# -- checks ----------------------------------------------------------------------


def result_dtype(raw, converted):
    """The float dtype scikit-learn computes in (for ``raw_values`` output).

    As scikit-learn, only inputs that have a ``dtype`` (arrays, Series, not
    lists or DataFrames) count; their dtype is read from the converted array
    (:func:`~fastloss._validation.as_ndarray`), since pandas' extension dtypes
    are not NumPy's.
    """
    floats = [
        c.dtype for r, c in zip(raw, converted) if hasattr(r, "dtype") and c.dtype.kind == "f"
    ]
    return np.result_type(*floats) if floats else np.dtype(np.float64)


def promoted_dtype(a, b):
    """The dtype of a result combining two partial results' dtypes (None: not known yet)."""
    if a is None or b is None:
        return b if a is None else a
    return np.result_type(a, b)


def _multioutput_error(metric, value):
    options = ", ".join(repr(o) for o in metric.multioutput_options)
    tail = ", an array-like or None" if metric.multioutput_none else " or an array-like"
    return InvalidParameterError(
        f"The 'multioutput' parameter of {metric.name} must be a str among {{{options}}}"
        f"{tail}. Got {value!r} instead."
    )


def check_params(metric, y_true, y_pred, sample_weight, multioutput, params):
    """scikit-learn's parameter checks (types only; before any data is read)."""
    check_arrays(metric, y_true, y_pred, sample_weight)
    check_setting(metric, multioutput, params)


def check_arrays(metric, y_true, y_pred, sample_weight):
    """The inputs are array-likes (scikit-learn's first parameter checks)."""
    check_array_like(y_true, "y_true", metric.name)
    check_array_like(y_pred, "y_pred", metric.name)
    check_array_like(sample_weight, "sample_weight", metric.name, allow_none=True)


def check_setting(metric, multioutput, params):
    """``multioutput`` and the metric's own parameters, checked as scikit-learn does."""
    if metric.single_output:
        pass  # no multioutput parameter
    elif isinstance(multioutput, str):
        if multioutput not in metric.multioutput_options:
            raise _multioutput_error(metric, multioutput)
    elif multioutput is None:
        if not metric.multioutput_none:
            raise _multioutput_error(metric, multioutput)
    elif not hasattr(multioutput, "__len__"):
        raise _multioutput_error(metric, multioutput)
    for param in metric.params:
        param.check(metric.name, params[param.name])


def output_weights(metric, multioutput, n_outputs):
    """``multioutput`` checked against the number of outputs: a string, or float64 weights."""
    if multioutput is None or isinstance(multioutput, str):
        return multioutput
    weights = as_float_array(multioutput, max_ndim=1, name="multioutput", numeric=True)
    raise_if_not_finite(weights)
    if n_outputs == 1:
        raise ValueError("Custom weights are useful only in multi-output cases.")
    if weights.shape[0] != n_outputs:
        raise ValueError(
            f"There must be equally many custom weights ({weights.shape[0]}) as outputs "
            f"({n_outputs})."
        )
    return weights.astype(np.float64)


class RegressionInputs:
    """Validated inputs of a regression metric.

    ``y`` and ``p`` are (n, k) float arrays, ``w`` float64 weights or None,
    ``averaging`` the checked ``multioutput`` (a string, None or float64
    weights) and ``dtype`` the dtype of ``raw_values`` results, as
    scikit-learn's.
    """

    __slots__ = ("y", "p", "w", "averaging", "dtype")

    def __init__(self, y, p, w, averaging, dtype):
        self.y, self.p, self.w, self.averaging, self.dtype = y, p, w, averaging, dtype

    def check_finite(self):
        """Raise scikit-learn's error for NaN or inf in an input (the slow path)."""
        raise_if_not_finite(self.y)
        raise_if_not_finite(self.p)
        if self.w is not None:
            raise_if_not_finite(self.w, "sample_weight")

    def as_sklearn_computes(self):
        """(y, p, w) in the dtype scikit-learn computes in (for its own arithmetic)."""
        y, p = self.y.astype(self.dtype, copy=False), self.p.astype(self.dtype, copy=False)
        w = None if self.w is None else self.w.astype(self.dtype, copy=False)
        return y, p, w


def plain_inputs(metric, y_true, y_pred, sample_weight, multioutput):
    """:class:`RegressionInputs` of the common case, checked in a few steps,
    or None (then :func:`regression_inputs` checks everything).

    The common case: y_true and y_pred NumPy arrays of one native float32 or
    float64 dtype and one shape, C-contiguous, with samples (and outputs),
    weights absent or float64 of the samples' length, ``multioutput`` a
    string or None.  Every check of :func:`regression_inputs` then passes
    (its value checks are the kernels'), and its conversions are no-ops.
    At small sizes the full checks cost more than the metric.
    """
    if type(y_true) is not np.ndarray or type(y_pred) is not np.ndarray:
        return None
    dtype = y_true.dtype
    shape = y_true.shape
    if (dtype != y_pred.dtype or dtype.char not in "fd" or not dtype.isnative
            or shape != y_pred.shape or not 0 < len(shape) <= 2 or 0 in shape
            or not (y_true.flags.c_contiguous and y_pred.flags.c_contiguous)
            or not (multioutput is None or isinstance(multioutput, str))):  # fmt: skip
        return None
    if sample_weight is not None and (
        type(sample_weight) is not np.ndarray or sample_weight.dtype != np.float64
        or sample_weight.shape != shape[:1] or not sample_weight.flags.c_contiguous
    ):  # fmt: skip
        return None
    k = shape[1] if len(shape) == 2 else 1
    if metric.single_output and k > 1:
        return None
    n = shape[0]
    result = dtype
    if sample_weight is not None and metric.float_inputs:
        result = np.result_type(dtype, sample_weight.dtype)  # float64 weights: float64 results
    return RegressionInputs(
        y_true.reshape(n, k), y_pred.reshape(n, k), sample_weight, multioutput, result
    )


def regression_inputs(metric, y_true, y_pred, sample_weight, multioutput) -> RegressionInputs:
    """scikit-learn's checks of a regression metric's inputs, in its order,
    after :func:`check_arrays`."""
    check_consistent_length(y_true, y_pred, sample_weight)
    if not metric.float_inputs:
        for a in (y_true, y_pred):
            if getattr(a, "dtype", None) is None and isinstance(a, (list, tuple)):
                a = np.asarray(a)
            if getattr(getattr(a, "dtype", None), "kind", "") in "USV" and hasattr(a, "dtype"):
                raise ValueError(
                    "dtype='numeric' is not compatible with arrays of bytes/strings."
                    "Convert your data to numeric values explicitly instead."
                )
    raw = (y_true, y_pred) if sample_weight is None else (y_true, y_pred, sample_weight)
    # Lists stay lists until as_float_array (its errors quote their values);
    # only inputs with a dtype decide the result's dtype.
    converted = [as_ndarray(a) if hasattr(a, "dtype") else a for a in raw]
    y = as_float_array(converted[0], name="y_true")
    p = as_float_array(converted[1], name="y_pred")
    w = as_sample_weight(None if sample_weight is None else converted[2], y.shape[0])
    y2 = y.reshape(y.shape[0], -1)
    p2 = p.reshape(p.shape[0], -1)
    if y2.shape[1] != p2.shape[1]:
        raise ValueError(
            f"y_true and y_pred have different number of output ({y2.shape[1]}!={p2.shape[1]})"
        )
    if metric.single_output and y2.shape[1] > 1:
        for a in (y, p) if w is None else (y, p, w):
            raise_if_not_finite(a)  # scikit-learn checks the values first
        raise ValueError(f"Multioutput not supported in {metric.error_name}")
    averaging = output_weights(metric, multioutput, y2.shape[1])
    if metric.float_inputs:
        low = result_dtype(raw, converted)
    else:
        # scikit-learn keeps the targets' numeric dtypes (pandas' nullable
        # ones become float64) and computes |y - p| in them: the weights'
        # dtype does not count.
        low = np.result_type(*(
            c.dtype if isinstance(getattr(r, "dtype", None), np.dtype) and c.dtype.kind == "f"
            else np.dtype(np.float64) for r, c in zip(raw[:2], converted[:2])
        ))  # fmt: skip
    if low != np.float64:
        # scikit-learn computes in float32/float16 here: an input beyond that
        # range is infinite there, and rejected.
        for a in (y, p) if w is None else (y, p, w):
            if a.dtype != low:
                with np.errstate(over="ignore"):
                    raise_if_not_finite(a.astype(low))
    return RegressionInputs(y2, p2, w, averaging, low)


def check_weights(w, wmin):
    """Negative sample weights raise (one chunk's minimum ``wmin``)."""
    if w is not None and wmin < 0:
        raise ValueError("Negative values in data passed to `sample_weight`.")


def check_weight_sum(wsum):
    if wsum == 0:
        raise ValueError("Sample weights must contain at least one non-zero number.")


# -- states -----------------------------------------------------------------------


def _neumaier_add(total, comp, value):
    """Compensated ``total + value`` on float64 arrays (in place)."""
    new = total + value
    big = np.abs(total) >= np.abs(value)
    comp += np.where(big, (total - new) + value, (value - new) + total)
    total[...] = new


class SumsState:
    """Per-output weighted sums of a pointwise loss, the weight sum, their
    weight minimum and the sample count; merged with compensated sums."""

    __slots__ = ("sums", "comp", "wsum", "wcomp", "wmin", "n")

    def __init__(self, sums, wsum, wmin, n):
        self.sums = np.array(sums, dtype=np.float64).reshape(-1)
        self.comp = np.zeros(self.sums.shape[0])
        self.wsum = np.array([wsum], dtype=np.float64)
        self.wcomp = np.zeros(1)
        self.wmin = float(wmin)
        self.n = int(n)

    @property
    def n_outputs(self):
        return self.sums.shape[0]

    def __getstate__(self):  # slots: every pickle protocol
        return {name: getattr(self, name) for name in self.__slots__}

    def __setstate__(self, state):
        for name, value in state.items():
            setattr(self, name, value)

    def finite(self):
        # One sum tells: NaN or inf anywhere makes it so (and a sum that
        # overflows only sends the caller to its checks, which then pass).
        return math.isfinite(float(self.sums.sum()) + float(self.wsum[0]))

    def merge(self, other):
        _neumaier_add(self.sums, self.comp, other.sums)
        _neumaier_add(self.sums, self.comp, other.comp)
        _neumaier_add(self.wsum, self.wcomp, other.wsum)
        _neumaier_add(self.wsum, self.wcomp, other.wcomp)
        self.wmin = min(self.wmin, other.wmin)
        self.n += other.n
        return self

    def totals(self):
        """(per-output sums, weight sum)."""
        return self.sums + self.comp, float(self.wsum[0] + self.wcomp[0])


def merge_moments(a, b):
    """Chan's merge of two moment arrays (``(..., 6)``, see ``_losses.moments``).

    Exact for equal means: a constant column keeps ``M2 = 0``.
    """
    W, SSR = moments.W, moments.SSR
    wa, wb = a[..., W], b[..., W]
    w = wa + wb
    out = np.empty_like(a)
    out[..., W] = w
    out[..., SSR] = a[..., SSR] + b[..., SSR]
    both = (wa > 0) & (wb > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(both, wb / w, 0.0)
    for mean, m2 in ((moments.MEAN_Y, moments.M2_Y), (moments.MEAN_R, moments.M2_R)):
        delta = b[..., mean] - a[..., mean]
        merged = np.where(both, a[..., mean] + delta * share, 0.0)
        out[..., mean] = np.where(wb > 0, np.where(wa > 0, merged, b[..., mean]), a[..., mean])
        out[..., m2] = a[..., m2] + b[..., m2] + np.where(both, delta * delta * wa * share, 0.0)
    return out


def merge_blocks(blocks):
    """Moments of every block (``(n_blocks, k, 6)``) combined in one step.

    The same result as merging them one by one with Chan's formula, in a
    fixed order (so it does not depend on the thread count): the weight sum,
    the weighted mean of the block means (a pairwise sum) and
    ``M2 = sum(M2_b) + sum(W_b * (mean_b - mean)**2)``.  The deviations
    ``mean_b - mean`` are differences of means, never of sums of squares,
    and equal block means give ``M2`` their exact sum.  A dozen NumPy calls
    in place of a dozen per level of a pairwise tree (0.7 ms of ``r2_score``
    at 10M rows).
    """
    if blocks.shape[0] == 1:  # small inputs: nothing to combine
        return blocks[0]
    W, SSR = moments.W, moments.SSR
    # The blocks on the last, contiguous axis: NumPy then sums pairwise (along
    # the first axis it would add them one after the other).
    blocks = np.ascontiguousarray(np.moveaxis(blocks, 0, -1))  # (k, 6, n_blocks)
    weights = blocks[:, W]
    w = weights.sum(axis=-1)
    out = np.empty(blocks.shape[:-1])
    out[:, W] = w
    out[:, SSR] = blocks[:, SSR].sum(axis=-1)
    has_weight = w > 0
    for mean, m2 in ((moments.MEAN_Y, moments.M2_Y), (moments.MEAN_R, moments.M2_R)):
        means = blocks[:, mean]
        with np.errstate(divide="ignore", invalid="ignore"):
            total = np.where(has_weight, (weights * means).sum(axis=-1) / w, 0.0)
        # Blocks without weight carry mean 0 and M2 0: they add nothing.
        delta = means - total[:, None]
        out[:, mean] = total
        out[:, m2] = blocks[:, m2].sum(axis=-1) + (weights * delta * delta).sum(axis=-1)
    return out


class MomentsState:
    """Per output: weight sum, weighted means and centred second moments of y
    and of the residual y - p, sum of squared residuals; the weight minimum
    and the sample count.  Merged by Chan's formula.

    The means are relative to ``shifts`` ((k, 2): reference values of y and
    of y - p, see ``fastloss._losses.moments``).
    """

    __slots__ = ("moments", "shifts", "wmin", "n")

    def __init__(self, stats, shifts, wmin, n):
        self.moments = stats
        self.shifts = shifts
        self.wmin = float(wmin)
        self.n = int(n)

    @property
    def n_outputs(self):
        return self.moments.shape[0]

    __getstate__ = SumsState.__getstate__
    __setstate__ = SumsState.__setstate__

    def finite(self):
        return math.isfinite(float(self.moments.sum()))  # as SumsState.finite

    def merge(self, other):
        theirs = other.moments.copy()
        # Their means, relative to this state's shifts (the shifts are
        # values of the data: their difference is small, and exact where
        # the data share one value).
        theirs[:, moments.MEAN_Y] += other.shifts[:, 0] - self.shifts[:, 0]
        theirs[:, moments.MEAN_R] += other.shifts[:, 1] - self.shifts[:, 1]
        self.moments = merge_moments(self.moments, theirs)
        self.wmin = min(self.wmin, other.wmin)
        self.n += other.n
        return self

    def column(self, stat):
        return self.moments[:, stat]

    def weight_sum(self):
        return float(self.moments[0, moments.W])


#: kernels -> their state maker: metrics with the same kernels share one
#: (warmup compiles each state maker's kernels once).
_SUMS_STATES: dict = {}


def sums_of(kernels, theta=None):
    """State maker: per-output sums of ``kernels``' pointwise function, its
    parameters ``theta(params)`` (None: it has none)."""
    made = _SUMS_STATES.get(id(kernels)) if theta is None else None
    if made is not None:
        return made

    def state(inputs, params):
        y, p = inputs.y, inputs.p
        values = NO_PARAMS if theta is None else theta(params)
        sums, wsum, wmin = kernels.metric_sums(y.size, y, p, inputs.w, values)
        return SumsState(sums, wsum, wmin, y.shape[0])

    state.kind = "sums"
    state.kernels = kernels  # metrics of one kernels object share its compilation
    if theta is None:
        _SUMS_STATES[id(kernels)] = state
    return state


class MaxState:
    """The largest absolute error and the sample count (no weights)."""

    __slots__ = ("value", "n")
    wmin = np.inf  # no weights
    n_outputs = 1

    def __init__(self, value, n):
        self.value, self.n = float(value), int(n)

    __getstate__ = SumsState.__getstate__
    __setstate__ = SumsState.__setstate__

    def finite(self):
        return math.isfinite(self.value)

    def merge(self, other):
        if self.value == self.value and not self.value >= other.value:  # NaN wins
            self.value = other.value
        self.n += other.n
        return self


def max_state(inputs, params):
    """State maker: the largest absolute error of a single output."""
    y, p = inputs.y[:, 0], inputs.p[:, 0]
    return MaxState(metric_values.KERNELS.max_abs_error(y.size, y, p), y.shape[0])


max_state.kind = "max"
max_state.kernels = metric_values.KERNELS.max_abs_error


class QuantileState:
    """What a quantile metric needs of its data: per-output quantiles (and,
    for the D² pinball scores, the pinball sums of the predictions and of
    the quantiles).  Not mergeable: a selection needs every value (the Dask
    path merges the selection's histograms instead)."""

    __slots__ = ("values", "numerator", "denominator", "wmin", "n", "bad", "wsum")

    def __init__(self, values, wmin, n, bad, wsum, numerator=None, denominator=None):
        self.values = np.asarray(values, dtype=np.float64)
        self.wmin, self.n, self.bad, self.wsum = float(wmin), int(n), int(bad), float(wsum)
        self.numerator, self.denominator = numerator, denominator

    @property
    def n_outputs(self):
        return self.values.shape[0]

    def finite(self):
        return self.bad == 0 and (self.numerator is None or math.isfinite(
            float(self.numerator.sum()) + float(self.denominator.sum())))  # fmt: skip


#: Below this many samples a quantile is taken by sorting, as scikit-learn
#: does (a selection's histograms cost more to clear than the sort there).
SELECTION_MIN_SAMPLES = 16384
#: Rows of the scratch array of constant predictions (:meth:`ArrayReader.value_sums`).
CONSTANT_ROWS = 65536


def _sorted_quantile(v, w, fraction, dtype):
    """scikit-learn's quantile of the 1-D ``v``: ``np.median`` (``w`` None),
    else ``_weighted_percentile(..., average=True)``, in ``dtype``."""
    if w is None:  # np.median's arithmetic, without its overhead
        half = v.shape[0] // 2
        if v.shape[0] % 2:
            return float(np.partition(v, half)[half])
        part = np.partition(v, (half - 1, half))
        return float((part[half - 1] + part[half]) / dtype.type(2))
    order = np.argsort(v)
    weights = w.astype(dtype)[order]
    cdf = np.cumsum(weights)
    target = dtype.type(fraction * 100) / dtype.type(100) * cdf[-1]
    if target == 0:
        target = np.nextafter(target, target + 1)
    last = v.shape[0] - 1
    i = min(int(np.searchsorted(cdf, target)), last)
    if cdf[i] - target > np.finfo(dtype).eps:
        return float(v[order[i]])
    following = min(i + 1, last)
    if weights[following] == 0:
        following = int(np.searchsorted(cdf, cdf[i], side="right"))
        following = i if following > last else following
    return float((v[order[i]] + v[order[following]]) / dtype.type(2))


class ArrayReader:
    """The passes a quantile metric makes over validated NumPy inputs.

    A Dask reader (``fastloss._dask``) has the same methods and runs each
    pass over every block, merging the results.
    """

    def __init__(self, inputs):
        self.inputs = inputs
        self.n, self.n_outputs = inputs.y.shape
        self.dtype = inputs.dtype
        self.small = self.n < SELECTION_MIN_SAMPLES

    def select_pass(self, col, mode, level, prefix):
        i = self.inputs
        return selection.KERNELS.select_pass(i.y.size, i.y, i.p, i.w, col, mode, level, prefix)

    def unweighted_median(self, col):
        """``np.median(|y - p|)`` of column ``col`` by one counting pass
        (``selection.bracketed_median``): ``(value, bad)``, or None where
        there are weights or the bracket misses."""
        i = self.inputs
        if i.w is not None:
            return None
        rows = selection.sample_rows(self.n)
        sample = np.abs(i.y[rows, col] - i.p[rows, col]).astype(np.float64)

        def run_bracket(low, high, capacity):
            return selection.KERNELS.bracket_pass(i.y.size, i.y, i.p, col, low, high, capacity)

        return selection.bracketed_median(sample, run_bracket, self.n, _work_dtype(self.dtype))

    def value_sums(self, kernels, theta, constants=None):
        """Per-output weighted sums of ``kernels``' pointwise function of the
        predictions, or of ``constants`` (one per output, in place of the
        predictions); also the weight sum and minimum."""
        i = self.inputs
        if constants is None:
            return kernels.metric_sums(i.y.size, i.y, i.p, i.w, theta)
        # The constants as predictions, a slice of rows at a time through
        # one scratch array of at most CONSTANT_ROWS rows (512 KiB), not
        # one of the inputs' size.
        rows = max(1, CONSTANT_ROWS // self.n_outputs)
        scratch = np.empty((min(rows, self.n), self.n_outputs), dtype=i.p.dtype)
        scratch[...] = np.asarray(constants).astype(i.p.dtype)
        if self.n <= rows:  # one slice (small inputs: no loop's overhead)
            return kernels.metric_sums(i.y.size, i.y, scratch, i.w, theta)
        sums, wsum, wmin = 0.0, 0.0, np.inf
        for lo in range(0, self.n, rows):
            y = i.y[lo : lo + rows]
            w = None if i.w is None else i.w[lo : lo + rows]
            part, part_wsum, part_wmin = kernels.metric_sums(
                y.size, y, scratch[: y.shape[0]], w, theta
            )
            sums, wsum, wmin = sums + part, wsum + part_wsum, min(wmin, part_wmin)
        return sums, wsum, wmin

    def check_finite(self):
        """scikit-learn's error for NaN or inf in the inputs."""
        self.inputs.check_finite()

    def moments(self):
        """The :class:`MomentsState` of the inputs."""
        return moments_state(self.inputs, {})

    def target_moments(self):
        """Per-output weighted means of ``y_true`` and whether each column is
        constant (among its weighted rows: its M2 is 0, exactly, in the
        moments kernel's arithmetic)."""
        return target_moments(self.moments())


    def sorted_quantiles(self, mode, fraction, unit_weights):
        """(quantiles, weight min, values not finite, weight sum) by sorting."""
        y, p, w = self.inputs.y, self.inputs.p, self.inputs.w
        v = np.abs(y - p) if mode == 0 else y
        bad = 0 if np.isfinite(v).all() else int(np.count_nonzero(~np.isfinite(v)))
        if w is not None and not np.isfinite(w).all():
            bad += int(np.count_nonzero(~np.isfinite(w)))
        wsum = float(self.n) if w is None else float(w.sum())
        wmin = 1.0 if w is None else float(w.min())
        if bad or not wsum > 0:
            return np.full(self.n_outputs, np.nan), wmin, bad, wsum
        if w is None and unit_weights:
            w = np.ones(self.n, dtype=y.dtype)
        dtype = _work_dtype(self.dtype)
        values = np.array([_sorted_quantile(v[:, c], w, fraction, dtype)
                           for c in range(self.n_outputs)])  # fmt: skip
        return values, wmin, 0, wsum


def target_moments(state):
    """(means of y, constant columns) of a :class:`MomentsState`."""
    return state.column(moments.MEAN_Y) + state.shifts[:, 0], state.column(moments.M2_Y) == 0


def _work_dtype(dtype):
    """The dtype scikit-learn's quantiles compute in: float32 stays, else float64."""
    return dtype if dtype == np.float32 else np.dtype(np.float64)


def quantiles(reader, mode, fraction, unit_weights=False):
    """Per-output quantile ``fraction`` of ``|y - p|`` (``mode`` 0) or ``y``
    (1): ``(values, weight min, values not finite, weight sum)``.

    ``unit_weights``: without sample weights, scikit-learn's weighted
    percentile of unit weights (the D² scores) rather than ``np.median``
    (the same values at the median).
    """
    if getattr(reader, "small", False):
        return reader.sorted_quantiles(mode, fraction, unit_weights)
    work = _work_dtype(reader.dtype)
    # scikit-learn's percentile rank, alpha * 100, back to a fraction in its dtype
    fraction = float(work.type(fraction * 100) / work.type(100))
    eps = float(np.finfo(work).eps)
    values = np.empty(reader.n_outputs)
    # np.median of |y - p| without weights: one counting pass where a
    # sample's bracket holds the median (the radix passes take two or three).
    median = mode == 0 and fraction == 0.5 and not unit_weights
    for c in range(reader.n_outputs):
        found = None
        if median and hasattr(reader, "unweighted_median"):  # not on Dask arrays
            found = reader.unweighted_median(c)
        if found is not None:
            values[c], bad = found
            wmin, wsum = 1.0, float(reader.n)
            if bad:
                return np.full(reader.n_outputs, np.nan), wmin, bad, wsum
            continue

        def run_pass(level, prefix, c=c):
            return reader.select_pass(c, mode, level, prefix)

        values[c], wmin, bad, wsum = selection.weighted_quantile(run_pass, fraction, eps, work)
        if bad or not wsum > 0:
            return np.full(reader.n_outputs, np.nan), wmin, bad, wsum
    return values, wmin, 0, wsum


def median_reader_state(reader, params):
    values, wmin, bad, wsum = quantiles(reader, 0, 0.5)
    return QuantileState(values, wmin, reader.n, bad, wsum)


def d2_pinball_reader_state(reader, params):
    alpha = params.get("alpha", 0.5)
    values, wmin, bad, wsum = quantiles(reader, 1, alpha, unit_weights=True)
    if bad or not wsum > 0:
        return QuantileState(values, wmin, reader.n, bad, wsum)
    theta = metric_values.theta(metric_values.PINBALL, alpha)
    numerator, _, _ = reader.value_sums(metric_values.KERNELS, theta)
    denominator, _, _ = reader.value_sums(metric_values.KERNELS, theta, values)
    return QuantileState(values, wmin, reader.n, 0, wsum, numerator, denominator)


def _deviance_kernels(power):
    """(kernels, theta) of the Tweedie deviance of ``power`` (0: the squared error's)."""
    if float(power) == 0.0:
        return squared_error.KERNELS, NO_PARAMS
    return metric_values.KERNELS, metric_values.tweedie_theta(power)


def d2_tweedie_reader_state(reader, params):
    """The deviance of the predictions and of the targets' weighted mean:
    two passes (the mean first), so not mergeable."""
    n = reader.n
    if float(params["power"]) == 0.0 and n >= 2:
        # The squared error's deviances are sums the moments kernel keeps:
        # the squared residuals and the targets' centred second moment, one
        # pass where the other powers take three (the targets' mean first).
        state = reader.moments()
        means, constant = target_moments(state)
        denominator = np.where(constant, 0.0, state.column(moments.M2_Y))
        return QuantileState(means, state.wmin, n, 0, state.weight_sum(),
                             state.column(moments.SSR), denominator)  # fmt: skip
    kernels, theta = _deviance_kernels(params["power"])
    numerator, wsum, wmin = reader.value_sums(kernels, theta)
    if n < 2:
        # scikit-learn answers NaN below two samples after its NaN/inf checks,
        # before those of the deviance's domain.
        reader.check_finite()
        zero = np.zeros(1)
        return QuantileState(zero, wmin, n, 0, wsum, zero, zero)
    means, constant = reader.target_moments()
    denominator, _, _ = reader.value_sums(kernels, theta, means)
    # A constant target's null deviance is 0: what the pow and log of equal
    # values leave is rounding (the one-shot finish redoes scikit-learn's).
    denominator = np.where(constant, 0.0, denominator)
    return QuantileState(means, wmin, n, 0, wsum, numerator, denominator)



def _on_arrays(reader_state):
    """State maker of one-shot inputs from a reader's state maker."""

    def state(inputs, params):
        return reader_state(ArrayReader(inputs), params)

    state.kind = "selection"
    state.kernels = selection.KERNELS
    state.reader_state = reader_state
    return state


median_state = _on_arrays(median_reader_state)
d2_pinball_state = _on_arrays(d2_pinball_reader_state)
d2_tweedie_state = _on_arrays(d2_tweedie_reader_state)
d2_tweedie_state.kind = "passes"
d2_tweedie_state.kernels = metric_values.KERNELS


def _quantile_finish(state, averaging, dtype, params, inputs=None):
    check_weight_sum(state.wsum)
    return average_outputs(state.values, averaging, dtype)


def _d2_tweedie_finish(state, averaging, dtype, params, inputs=None):
    check_weight_sum(state.wsum)
    if state.n < 2:
        undefined_metric_warning("D^2 score is not well-defined with less than two samples.")
        return float("nan")
    numerator = float(state.numerator[0]) / state.wsum
    denominator = float(state.denominator[0]) / state.wsum
    if denominator == 0 and inputs is not None:
        # A constant target: scikit-learn's mean of it may round, and its
        # answer then depends on that (the one-shot path redoes its arithmetic).
        denominator = _sklearn_tweedie_null_deviance(inputs, params["power"])
    return 1 - numerator / denominator  # scikit-learn's: ZeroDivisionError at 0


def _sklearn_tweedie_null_deviance(inputs, power):
    """scikit-learn's null deviance of a constant target (its
    ``_mean_tweedie_deviance`` at the target's mean, warnings included), in
    float64: fastloss computes float32 inputs in float64, as its other metrics."""
    y, w = inputs.y[:, 0].astype(np.float64), inputs.w
    m = np.average(y, weights=w)
    p = power
    if p < 0:
        dev = 2 * (np.power(np.where(y > 0, y, 0.0), 2 - p) / ((1 - p) * (2 - p))
                   - y * np.power(m, 1 - p) / (1 - p) + np.power(m, 2 - p) / (2 - p))  # fmt: skip
    elif p == 0:
        dev = (y - m) ** 2
    elif p == 1:
        ratio = y / m
        with np.errstate(divide="ignore", invalid="ignore"):  # scikit-learn's _xlogy
            xlogy = np.where(y == 0.0, 0.0, y * np.log(ratio))
        dev = 2 * (xlogy - y + m)
    elif p == 2:
        dev = 2 * (np.log(m / y) + y / m - 1)
    else:
        dev = 2 * (np.power(y, 2 - p) / ((1 - p) * (2 - p))
                   - y * np.power(m, 1 - p) / (1 - p) + np.power(m, 2 - p) / (2 - p))  # fmt: skip
    return float(np.average(dev, weights=w))


def _d2_pinball_finish(state, averaging, dtype, params, inputs=None):
    check_weight_sum(state.wsum)
    if state.n < 2:
        undefined_metric_warning("D^2 score is not well-defined with less than two samples.")
        return float("nan")
    # scikit-learn's mean pinball losses (its weights are ones without sample weights)
    numerator = state.numerator / state.wsum
    denominator = state.denominator / state.wsum
    return _explained_fraction(numerator, denominator, averaging, dtype, True)


def moments_state(inputs, params):
    """State maker: weighted moments of the targets and residuals."""
    y, p, w = inputs.y, inputs.p, inputs.w
    shifts = np.zeros((y.shape[1], 2))
    if y.shape[0]:
        # The first row that has weight: then every weighted value of a
        # column constant among the weighted rows is its shift, exactly.
        row = 0
        if w is not None and not w[0] > 0:  # rare: no full pass over w otherwise
            row = int(np.argmax(w > 0))
        first = y[row].astype(np.float64)
        shifts[:, 0] = first
        shifts[:, 1] = first - p[row]
    blocks, wmin = moments.KERNELS.block_moments(y.size, y, p, inputs.w, shifts)
    if blocks.shape[0] == 0:
        return MomentsState(np.zeros((y.shape[1], moments.N_STATS)), shifts, wmin, 0)
    return MomentsState(merge_blocks(blocks), shifts, wmin, y.shape[0])


moments_state.kind = "moments"


# -- finishing --------------------------------------------------------------------


def average_outputs(values, averaging, dtype, variance=None):
    """Per-output ``values`` averaged as ``averaging`` says (scikit-learn's rules).

    ``variance``: the per-output weights of ``"variance_weighted"``.
    """
    if isinstance(averaging, str) or averaging is None:
        if averaging == "raw_values":
            return values.astype(dtype)
        if averaging == "variance_weighted" and np.any(variance != 0):
            return float((values * variance).sum() / variance.sum())
        # uniform_average (None too), and variance_weighted when every
        # output's variance is 0 (scikit-learn then averages uniformly)
        return float(values[0]) if values.shape[0] == 1 else float(values.mean())
    total = averaging.sum()
    if total == 0:
        raise WeightsSumToZeroError("Weights sum to zero, can't be normalized")
    return float((values * averaging).sum() / total)


def mean_of_sums(transform=None):
    """Finish of a mean loss: per-output weighted means (then ``transform``), averaged."""

    def finish(state, averaging, dtype, params, inputs=None):
        sums, wsum = state.totals()
        check_weight_sum(wsum)
        errors = sums / wsum
        if transform is not None:
            errors = transform(errors)
        return average_outputs(errors, averaging, dtype)

    return finish


def _explained_fraction(numerator, denominator, averaging, dtype, force_finite):
    """scikit-learn's ``_assemble_fraction_of_explained_deviance`` (its
    RuntimeWarnings of 0/0 and x/0 included, under ``force_finite=False``)."""
    if not force_finite or 0.0 not in numerator.tolist() + denominator.tolist():
        scores = 1 - (numerator / denominator)
    else:
        nonzero_numerator = numerator != 0
        nonzero_denominator = denominator != 0
        scores = np.ones(numerator.shape[0])
        valid = nonzero_numerator & nonzero_denominator
        scores[valid] = 1 - (numerator[valid] / denominator[valid])
        scores[nonzero_numerator & ~nonzero_denominator] = 0.0
    return average_outputs(scores, averaging, dtype, variance=denominator)


def undefined_metric_warning(message):
    # scikit-learn's class, so that filters written for it apply (the
    # import happens on this rare path only).
    from sklearn.exceptions import UndefinedMetricWarning

    warnings.warn(message, UndefinedMetricWarning, stacklevel=caller_outside_fastloss())


def caller_outside_fastloss():
    """The ``stacklevel`` (for a warning raised by the calling function) of
    the first frame outside fastloss: the user's call, one-shot or streaming."""
    import sys

    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_globals.get("__name__", "").startswith("fastloss"):
        frame, level = frame.f_back, level + 1
    return level


def _sklearn_fraction_parts(inputs, kind):
    """(numerator, denominator) per output, computed as scikit-learn computes
    them, in its dtype (``kind``: "r2" or "explained_variance")."""
    y, p, w = inputs.as_sklearn_computes()
    if kind == "r2":
        weight = 1.0 if w is None else w[:, None]
        numerator = np.sum(weight * (y - p) ** 2, axis=0)
        denominator = np.sum(weight * (y - np.average(y, axis=0, weights=w)) ** 2, axis=0)
    else:
        diff = y - p
        numerator = np.average((diff - np.average(diff, weights=w, axis=0)) ** 2, weights=w, axis=0)
        denominator = np.average((y - np.average(y, weights=w, axis=0)) ** 2, weights=w, axis=0)
    return numerator.astype(np.float64), denominator.astype(np.float64)


def _degenerate_as_sklearn(numerator, denominator, inputs, kind, scale):
    """Outputs whose numerator or denominator is 0 here take both from
    scikit-learn's arithmetic (one-shot path only: ``inputs``).

    There its rounding decides the answer: a constant target's mean is not
    always exact there (``y = [0.1] * 3`` leaves a variance of 1e-33, and
    r2 of -1.7e31), and float32/float16 squares may round or underflow to
    0 where float64 ones do not: for those dtypes, a part below ``scale``
    times the dtype's smallest normal number (squares below it are
    subnormal or 0 there) counts as 0 too.
    """
    if inputs is None:
        return numerator, denominator
    limit = 0.0
    if inputs.dtype != np.float64:
        limit = float(np.finfo(inputs.dtype).tiny) * scale
    # The common case, in Python on the few per-output values (NumPy's
    # reductions cost more on them); a NaN never counts as degenerate.
    if min(numerator.tolist() + denominator.tolist()) > limit:
        return numerator, denominator
    degenerate = (numerator <= limit) | (denominator <= limit)
    if not degenerate.any():
        return numerator, denominator
    with np.errstate(all="ignore"):  # scikit-learn's overflows are not this call's warnings
        theirs_num, theirs_den = _sklearn_fraction_parts(inputs, kind)
    return (np.where(degenerate, theirs_num, numerator),
            np.where(degenerate, theirs_den, denominator))  # fmt: skip


def _r2_finish(state, averaging, dtype, params, inputs=None):
    # scikit-learn checks the weights before the number of samples.
    check_weight_sum(state.weight_sum())
    if state.n < 2:
        undefined_metric_warning("R^2 score is not well-defined with less than two samples.")
        return float("nan")
    numerator, denominator = _degenerate_as_sklearn(
        state.column(moments.SSR), state.column(moments.M2_Y), inputs, "r2", state.weight_sum()
    )
    return _explained_fraction(numerator, denominator, averaging, dtype, params["force_finite"])


def _explained_variance_finish(state, averaging, dtype, params, inputs=None):
    wsum = state.weight_sum()
    check_weight_sum(wsum)
    numerator, denominator = _degenerate_as_sklearn(
        state.column(moments.M2_R) / wsum, state.column(moments.M2_Y) / wsum, inputs,
        "explained_variance", 1.0,
    )  # fmt: skip
    return _explained_fraction(numerator, denominator, averaging, dtype, params["force_finite"])


# -- declarations -----------------------------------------------------------------


class BoolParam:
    """A boolean keyword parameter of a metric (scikit-learn's ``"boolean"`` constraint)."""

    def __init__(self, name, default):
        self.name, self.default = name, default

    def check(self, func_name, value):
        if not isinstance(value, (bool, np.bool_)):
            raise InvalidParameterError(
                f"The '{self.name}' parameter of {func_name} must be an instance of 'bool' or "
                f"an instance of 'numpy.bool'. Got {value!r} instead."
            )


def _bound_text(x):
    return repr(float(x))


class RealParam:
    """A real keyword parameter of a metric in a union of intervals
    (scikit-learn's ``Interval(Real, ...)`` constraints, and their message).

    ``ranges``: ``(low, high, closed)`` triples (None: unbounded).
    """

    def __init__(self, name, default, *ranges):
        self.name, self.default, self.ranges = name, default, ranges

    def _contains(self, x):
        if not math.isfinite(x):
            return False  # scikit-learn's Interval refuses inf and NaN
        for low, high, closed in self.ranges:
            above = low is None or (x >= low if closed in ("both", "left") else x > low)
            below = high is None or (x <= high if closed in ("both", "right") else x < high)
            if above and below:
                return True
        return False

    def check(self, func_name, value):
        if not isinstance(value, numbers.Real) or not self._contains(value):
            texts = []
            for low, high, closed in self.ranges:
                left = "[" if closed in ("both", "left") else "("
                right = "]" if closed in ("both", "right") else ")"
                lo = "-inf" if low is None else _bound_text(low)
                hi = "inf" if high is None else _bound_text(high)
                texts.append(f"a float in the range {left}{lo}, {hi}{right}")
            raise InvalidParameterError(
                f"The '{self.name}' parameter of {func_name} must be {' or '.join(texts)}. "
                f"Got {value!r} instead."
            )


def _check_log_domain(title):
    """Slow-path check of the log errors: scikit-learn's error for ``y <= -1``."""

    def check(inputs, params):
        if np.any(inputs.y <= -1) or np.any(inputs.p <= -1):
            raise ValueError(
                f"{title} cannot be used when targets contain values less than or equal to -1."
            )

    return check


def _check_tweedie_domain(inputs, params):
    """Slow-path check of the deviances: scikit-learn's error for each power's domain."""
    power = params["power"]
    y, p = inputs.y, inputs.p
    message = f"Mean Tweedie deviance error with power={power} can only be used on "
    if power < 0:
        if np.any(p <= 0):
            raise ValueError(message + "strictly positive y_pred.")
    elif 1 <= power < 2:
        if np.any(y < 0) or np.any(p <= 0):
            raise ValueError(message + "non-negative y and strictly positive y_pred.")
    elif power >= 2:
        if np.any(y <= 0) or np.any(p <= 0):
            raise ValueError(message + "strictly positive y and y_pred.")


class RegressionMetric:
    """Declaration of a regression metric ``f(y_true, y_pred, *, sample_weight=None,
    multioutput=..., **params)``.

    Parameters
    ----------
    name : str
        The function's name (scikit-learn's); its streaming accumulator is
        this name in CamelCase.
    state : callable
        ``state(inputs, params) -> state`` over :class:`RegressionInputs`: a
        :class:`SumsState` or :class:`MomentsState` (mergeable).
    finish : callable
        ``finish(state, averaging, dtype, params, inputs=None) -> result``;
        ``inputs`` is given on the one-shot path only.
    multioutput_options : set of str
        The accepted strings of ``multioutput``, as scikit-learn's set.
    multioutput_none : bool
        Whether ``multioutput=None`` is accepted (``r2_score``).
    params : tuple
        The metric's other keyword parameters (:class:`BoolParam`,
        :class:`RealParam`).
    greater_is_better : bool
        A score (at most 1, higher is better), not a loss: its scorer is
        ``"r2"`` rather than ``"neg_..."``; compared absolutely near 0.
    single_output : bool
        No ``multioutput`` parameter: one output only (scikit-learn's
        "Multioutput not supported in ..." otherwise).
    weighted : bool
        Whether the metric takes ``sample_weight``.
    domain : str
        The values the metric accepts at its defaults: ``"real"``, or
        ``"positive"`` (strictly positive y and predictions are valid; what
        tests, warmup and benchmarks draw).
    mergeable : bool
        Whether the state merges (a streaming accumulator, and the Dask path
        by accumulators); a quantile's does not.
    float_inputs : bool
        scikit-learn converts the inputs to floats (``False``: it checks
        them as numeric, and refuses string arrays with that check's message).
    error_name : str or None
        The function named in scikit-learn's messages (``mean_poisson_deviance``
        is scikit-learn's ``mean_tweedie_deviance`` at ``power=1``, and its
        errors say so); None: ``name``.
    check_values : callable or None
        ``check_values(inputs, params)`` raises scikit-learn's error for
        values outside the metric's domain (the kernels mark those as NaN;
        run on the slow path only, after the NaN/inf check).
    """

    def __init__(self, name, state, finish, multioutput_options=_PLAIN_AVERAGES,
                 multioutput_none=False, params=(), greater_is_better=False,
                 single_output=False, weighted=True, domain="real", check_values=None,
                 error_name=None, float_inputs=True, mergeable=True):  # fmt: skip
        self.name = name
        self.mergeable = mergeable
        self.float_inputs = float_inputs
        self.error_name = error_name or name
        self.greater_is_better = greater_is_better
        self.state = state
        self.finish = finish
        self.multioutput_options = multioutput_options
        self.multioutput_none = multioutput_none
        self.params = tuple(params)
        self.single_output = single_output
        self.weighted = weighted
        self.domain = domain
        self.check_values = check_values

    def keywords(self, multioutput, params):
        """The keyword arguments of the function (and accumulator) for these settings."""
        return dict(params) if self.single_output else {"multioutput": multioutput, **params}

    @property
    def accumulator_name(self):
        """The name of this metric's accumulator in :mod:`fastloss.streaming`."""
        return "".join(part.capitalize() for part in self.name.split("_"))

    def defaults(self):
        return {p.name: p.default for p in self.params}

    def compute(self, inputs, params):
        """The state over ``inputs``, with the checks of its values."""
        state = self.state(inputs, params)
        if not state.finite():
            inputs.check_finite()  # raises for NaN/inf
            if self.check_values is not None:
                self.check_values(inputs, params)
            # else an overflow, kept as inf
        check_weights(inputs.w, state.wmin)
        return state

    def __repr__(self):
        return f"RegressionMetric({self.name!r})"


MEAN_SQUARED_ERROR = register_metric(
    RegressionMetric("mean_squared_error", sums_of(squared_error.KERNELS), mean_of_sums())
)
ROOT_MEAN_SQUARED_ERROR = register_metric(
    RegressionMetric(
        "root_mean_squared_error", sums_of(squared_error.KERNELS), mean_of_sums(np.sqrt)
    )
)
MEAN_ABSOLUTE_ERROR = register_metric(
    RegressionMetric("mean_absolute_error", sums_of(absolute_error.KERNELS), mean_of_sums())
)
R2_SCORE = register_metric(
    RegressionMetric(
        "r2_score", moments_state, _r2_finish, _VARIANCE_AVERAGES, multioutput_none=True,
        params=(BoolParam("force_finite", True),), greater_is_better=True,
    )  # fmt: skip
)
EXPLAINED_VARIANCE_SCORE = register_metric(
    RegressionMetric(
        "explained_variance_score", moments_state, _explained_variance_finish,
        _VARIANCE_AVERAGES, params=(BoolParam("force_finite", True),), greater_is_better=True,
    )  # fmt: skip
)



def _metric_values(code, parameter=None):
    """``theta(params)`` of a function of ``_losses.metric_values`` (its parameter by name)."""
    if parameter is None:
        fixed = metric_values.theta(code)
        return lambda params: fixed
    return lambda params: metric_values.theta(code, params[parameter])


def _fixed_power(power):
    """``theta(params)`` and domain check of a deviance at a fixed ``power``."""
    theta = metric_values.tweedie_theta(power)
    return (lambda params: theta), (lambda inputs, params: _check_tweedie_domain(
        inputs, {"power": power}))  # fmt: skip


def _max_finish(state, averaging, dtype, params, inputs=None):
    return float(state.value)


_VALUES = metric_values.KERNELS
_SQUARED_SUMS = sums_of(squared_error.KERNELS)
_TWEEDIE_SUMS = sums_of(_VALUES, lambda params: metric_values.tweedie_theta(params["power"]))


def _tweedie_state(inputs, params):
    """Sums of the Tweedie deviance: power 0 is the squared error (its kernel)."""
    if float(params["power"]) == 0.0:
        return _SQUARED_SUMS(inputs, params)
    return _TWEEDIE_SUMS(inputs, params)


_tweedie_state.kind = "sums"
_tweedie_state.kernels = _VALUES  # (and the squared error's, shared with its metrics)
_POWER = RealParam("power", 0, (None, 0, "right"), (1, None, "left"))

MEAN_SQUARED_LOG_ERROR = register_metric(
    RegressionMetric(
        "mean_squared_log_error", sums_of(_VALUES, _metric_values(metric_values.SQUARED_LOG)),
        mean_of_sums(), domain="positive",
        check_values=_check_log_domain("Mean Squared Logarithmic Error"),
    )  # fmt: skip
)
ROOT_MEAN_SQUARED_LOG_ERROR = register_metric(
    RegressionMetric(
        "root_mean_squared_log_error", MEAN_SQUARED_LOG_ERROR.state, mean_of_sums(np.sqrt),
        domain="positive", check_values=_check_log_domain("Root Mean Squared Logarithmic Error"),
    )  # fmt: skip
)
MEAN_ABSOLUTE_PERCENTAGE_ERROR = register_metric(
    RegressionMetric(
        "mean_absolute_percentage_error",
        sums_of(_VALUES, _metric_values(metric_values.ABSOLUTE_PERCENTAGE)), mean_of_sums(),
    )  # fmt: skip
)
MEAN_PINBALL_LOSS = register_metric(
    RegressionMetric(
        "mean_pinball_loss", sums_of(_VALUES, _metric_values(metric_values.PINBALL, "alpha")),
        mean_of_sums(), params=(RealParam("alpha", 0.5, (0, 1, "both")),),
    )  # fmt: skip
)
MEAN_TWEEDIE_DEVIANCE = register_metric(
    RegressionMetric(
        "mean_tweedie_deviance", _tweedie_state,
        mean_of_sums(), params=(_POWER,), single_output=True, domain="positive",
        check_values=_check_tweedie_domain,
    )  # fmt: skip
)


def _deviance_at(name, power):
    """Declaration of scikit-learn's Tweedie deviance at a fixed ``power``."""
    theta, check = _fixed_power(power)
    return register_metric(
        RegressionMetric(
            name, sums_of(_VALUES, theta), mean_of_sums(), single_output=True,
            domain="positive", check_values=check, error_name="mean_tweedie_deviance",
        )  # fmt: skip
    )


MEAN_POISSON_DEVIANCE = _deviance_at("mean_poisson_deviance", 1)
MEAN_GAMMA_DEVIANCE = _deviance_at("mean_gamma_deviance", 2)
MEDIAN_ABSOLUTE_ERROR = register_metric(
    RegressionMetric("median_absolute_error", median_state, _quantile_finish,
                     float_inputs=False, mergeable=False)  # fmt: skip
)
D2_PINBALL_SCORE = register_metric(
    RegressionMetric(
        "d2_pinball_score", d2_pinball_state, _d2_pinball_finish,
        params=(RealParam("alpha", 0.5, (0, 1, "both")),), greater_is_better=True,
        mergeable=False,
    )  # fmt: skip
)
D2_ABSOLUTE_ERROR_SCORE = register_metric(
    RegressionMetric(
        "d2_absolute_error_score", d2_pinball_state, _d2_pinball_finish,
        greater_is_better=True, mergeable=False,
    )  # fmt: skip
)
D2_TWEEDIE_SCORE = register_metric(
    RegressionMetric(
        "d2_tweedie_score", d2_tweedie_state, _d2_tweedie_finish, params=(_POWER,),
        greater_is_better=True, single_output=True, domain="positive", mergeable=False,
        check_values=_check_tweedie_domain,
    )  # fmt: skip
)
MAX_ERROR = register_metric(
    RegressionMetric("max_error", max_state, _max_finish, single_output=True, weighted=False,
                     float_inputs=False)  # fmt: skip
)


def example_values(metric, rng, shape, dtype=np.float64):
    """``(y_true, y_pred)`` of ``shape`` valid for ``metric`` at its defaults
    (its declared ``domain``), predictions close to the targets."""
    if metric.domain == "positive":
        y = np.exp(rng.normal(size=shape) * 0.5)
        p = y * np.exp(rng.normal(size=shape) * 0.3)
    else:
        y = rng.normal(size=shape)
        p = y + rng.normal(size=shape)
    return y.astype(dtype), p.astype(dtype)
