"""The declared regression metrics: picked up everywhere, scikit-learn's
results on edge cases, accurate on large offsets, the same on any thread
count.  Every test iterates the metric registry; none names a metric.
"""

import pickle

import numpy as np
import pytest
import sklearn.metrics as skm

import fastloss
from conftest import assert_close, results_by_threads
from metric_cases import kwargs_for, n_outputs_for, outcome, settings, values_for
from fastloss import _warmup, streaming
from fastloss._registry import METRICS
from fastloss.benchmark import all_workloads

NAMES = sorted(METRICS)


def _tolerance(metric):
    # Scores (at most 1) near 0 are differences: compared absolutely there.
    return {"rtol": 1e-12, "atol": 1e-13 if metric.greater_is_better else 1e-300}


@pytest.mark.parametrize("name", NAMES)
def test_declared_metric_is_everywhere(name):
    """One declaration: the function, its accumulator, warmup and the benchmark."""
    metric = METRICS[name]
    assert getattr(fastloss, name) is getattr(fastloss.metrics, name)
    assert name in fastloss.__all__ and name in fastloss.metrics.__all__
    if metric.mergeable:
        acc = getattr(streaming, metric.accumulator_name)
        assert acc.metric is metric and metric.accumulator_name in streaming.__all__
    else:  # a quantile: no streaming form
        assert metric.accumulator_name not in streaming.__all__
        with pytest.raises(AttributeError):
            getattr(streaming, metric.accumulator_name)
    units = [unit.removeprefix("metric-").split("+") for unit, _ in _warmup._units(np.dtype("float64"), "metrics")]
    assert [name in names for names in units].count(True) == 1
    assert name in all_workloads()
    # The function's signature is scikit-learn's.
    import inspect

    ours = inspect.signature(getattr(fastloss, name))
    theirs = inspect.signature(getattr(skm, name))
    assert list(ours.parameters) == list(theirs.parameters)
    assert [p.default for p in ours.parameters.values()] == [
        p.default for p in theirs.parameters.values()
    ]


#: Inputs where scikit-learn's arithmetic decides (constant columns, one or
#: two samples, perfect predictions), and ordinary ones.
EDGE_CASES = {
    "ordinary": ([3, -0.5, 2, 7], [2.5, 0.0, 2, 8], None),
    "perfect": ([3, -0.5, 2, 7], [3, -0.5, 2, 7], None),
    "constant_exact": ([-2.0, -2.0, -2.0], [-2.0, -2.0, -2.0 + 1e-8], None),
    "constant_exact_perfect": ([-2.0, -2.0, -2.0], [-2.0, -2.0, -2.0], None),
    "constant_rounding": ([0.1, 0.1, 0.1], [0.1, 0.1, 0.2], None),
    "constant_rounding_perfect": ([0.1, 0.1, 0.1], [0.1, 0.1, 0.1], None),
    "constant_weighted": ([0.3, 0.3, 0.3], [0.3, 0.2, 0.3], [0.2, 1.7, 0.9]),
    "constant_residual": ([1.0, 2.0, 4.0], [2.0, 3.0, 5.0], None),
    "one_sample": ([1.5], [2.0], None),
    "two_samples": ([1.0, 2.0], [1.5, 2.5], [1.0, 3.0]),
    "zero_weight_rows": ([1.0, 5.0, 2.0, 3.0], [1.5, 2.0, 2.0, 3.5], [0.0, 1.0, 0.0, 2.0]),
    "outputs_one_constant": (
        [[1.0, 5.0], [1.0, 6.0], [1.0, 8.0]], [[1.0, 5.5], [1.2, 6.0], [1.0, 7.0]], None,
    ),
    "outputs_all_constant": ([[1.0, 5.0], [1.0, 5.0]], [[1.0, 5.0], [2.0, 5.0]], None),
    "float32": (
        np.array([0.5, 1.25, 3.0, 3.5], np.float32), np.array([0.75, 1.0, 2.5, 4.0], np.float32),
        None,
    ),
    "float32_constant": (
        np.full(5, 0.1, np.float32), np.array([0.1, 0.1, 0.2, 0.1, 0.1], np.float32), None,
    ),
    # Constant among the weighted rows, the first row unweighted.
    "constant_weighted_first_row_zero": ([-1.34, -1.53], [-2.4, -1.9], [0.0, 0.21]),
    "one_weighted_row": ([2.4, 2.6, 4.9], [-4.3, -3.0, 0.9], [0.0, 0.0, 0.77]),
    "one_sample_zero_weight": ([1.0], [2.0], [0.0]),
    # scikit-learn's float32/float16 arithmetic rounds or underflows to 0 here.
    "float32_residual_rounds_constant": (
        np.array([2, 2], np.float32), np.array([1, 0.99999994], np.float32), None,
    ),
    "float32_squares_underflow": (
        np.full(3, 1e-23, np.float32), np.array([1e-23, 1e-23, 2e-23], np.float32), None,
    ),
    "float16_squares_underflow": (
        np.array([0.01, 0.0101], np.float16), np.array([0.0101, 0.01], np.float16), None,
    ),
}


#: Cases where scikit-learn's low-precision squares underflow.
UNDERFLOW_CASES = {"float32_squares_underflow", "float16_squares_underflow"}


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("case", sorted(EDGE_CASES))
def test_edge_cases_match_sklearn(backend, name, case):
    y, p, w = EDGE_CASES[case]
    metric = METRICS[name]
    n_outputs = np.shape(y)[1] if np.ndim(y) == 2 else 1
    w = w if metric.weighted else None
    for mo, params in settings(metric, n_outputs):
        kwargs = kwargs_for(metric, w, mo, **params)
        ours, our_warnings = outcome(getattr(fastloss, name), y, p, **kwargs)
        ref_y, ref_p = y, p
        low_precision = case.startswith(("float32", "float16"))
        replicates = metric.state.kind == "moments"  # redoes scikit-learn's low-precision arithmetic
        if low_precision and not replicates:
            # A mean loss is computed in float64 here, where scikit-learn
            # computes in float16/float32, its squares underflow (the README's
            # documented difference) and its logs and powers round: the
            # reference is its value on the same numbers in float64.
            ref_y, ref_p = np.asarray(y, np.float64), np.asarray(p, np.float64)
        theirs, their_warnings = outcome(getattr(skm, name), ref_y, ref_p, **kwargs)
        assert our_warnings == their_warnings, (mo, params)
        if isinstance(theirs, Exception):
            assert type(ours) is type(theirs) and str(ours) == str(theirs), (mo, params)
            continue
        assert type(ours) is type(theirs), (mo, params, ours, theirs)
        if isinstance(theirs, np.ndarray) and ref_y is y:
            assert ours.dtype == theirs.dtype
        tol = _tolerance(metric)
        if low_precision and replicates:
            # scikit-learn computes float32/float16 inputs in their dtype, fastloss in float64.
            tol = {"rtol": 1e-6}
        elif low_precision:  # raw_values are rounded to the inputs' dtype
            tol = {"rtol": float(np.finfo(np.asarray(y).dtype).eps)}
        if case in UNDERFLOW_CASES:
            # raw_values keep the input's dtype, where these values round to 0.
            tol["atol"] = float(np.finfo(np.asarray(y).dtype).smallest_subnormal)
        assert_close(ours, theirs, **tol)


#: Metrics of any real values: defined at an offset of 1e8.  (The log
#: errors and deviances of such values are differences of nearly equal logs:
#: their rounding is what two libraries' logs differ by, not what this tests.)
REAL_NAMES = [name for name in NAMES if METRICS[name].domain == "real"]


@pytest.mark.parametrize("name", REAL_NAMES)
def test_large_offset_keeps_its_digits(backend, name, rng):
    """y = 1e8 + noise: the variance-based scores give what the same data
    moved to 0 gives; the others what scikit-learn gives on the same data."""
    metric = METRICS[name]
    n = 30_000  # several blocks, merged
    k = n_outputs_for(metric, 2)
    offset = 1e8
    y = offset + rng.normal(size=(n, k))
    p = y + rng.normal(size=(n, k)) * [0.5, 2.0][:k]
    w = rng.uniform(0.1, 2.0, size=n) if metric.weighted else None
    kwargs = kwargs_for(metric, w, "raw_values")
    if metric.state.kind == "moments":
        # Subtracting the offset is exact (Sterbenz): the same values, at 0.
        reference = getattr(skm, name)(y - offset, p - offset, **kwargs)
    else:  # sums of pointwise values: no cancellation in scikit-learn's either
        reference = getattr(skm, name)(y, p, **kwargs)
    ours = getattr(fastloss, name)(y, p, **kwargs)
    streamed = ours
    if metric.mergeable:
        acc_kwargs = {key: v for key, v in kwargs.items() if key != "sample_weight"}
        acc = getattr(streaming, metric.accumulator_name)(**acc_kwargs)
        for lo in range(0, n, 7001):
            chunk = slice(lo, lo + 7001)
            acc.update(y[chunk], p[chunk], None if w is None else w[chunk])
        streamed = acc.result()
    if metric.greater_is_better:  # compare what is left of 1, the ratio of two sums
        ours, reference, streamed = 1 - ours, 1 - reference, 1 - streamed
    assert_close(ours, reference, rtol=1e-12)
    assert_close(streamed, reference, rtol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_same_result_on_any_thread_count(name, rng):
    metric = METRICS[name]
    n = 300_007  # split across threads, with a short last block
    y, p = values_for(metric, rng, (n, n_outputs_for(metric, 2)))
    w = rng.uniform(size=n) if metric.weighted else None
    func = getattr(fastloss, name)
    kwargs = kwargs_for(metric, w, "raw_values")
    runs = results_by_threads(lambda: func(y, p, **kwargs), (1, 2, 3))
    if metric.greater_is_better:  # 1 - a ratio of sums: compare the ratio
        runs = {threads: 1 - run for threads, run in runs.items()}
    # The same to the last rounding (the per-thread sums of the mean losses
    # are added once more; the moments' blocks merge in one fixed order).
    assert_close(runs[2], runs[1], rtol=1e-15)
    assert_close(runs[3], runs[1], rtol=1e-15)
    theirs = getattr(skm, name)(y, p, **kwargs)
    if metric.greater_is_better:
        theirs = 1 - theirs
    assert_close(runs[1], theirs, **_tolerance(metric))


@pytest.mark.parametrize("name", [name for name in NAMES if METRICS[name].mergeable])
def test_accumulator_settings_pickle_and_merge_rules(name, rng):
    metric = METRICS[name]
    cls = getattr(streaming, metric.accumulator_name)
    k = n_outputs_for(metric, 2)
    y, p = values_for(metric, rng, (50, k))
    all_settings = list(settings(metric, k))
    for mo, params in all_settings:
        keywords = kwargs_for(metric, None, mo, **params)
        keywords.pop("sample_weight", None)
        acc = cls(**keywords).update(y[:20], p[:20])
        acc = pickle.loads(pickle.dumps(acc))
        other = cls(**keywords).update(y[20:], p[20:])
        expected = getattr(fastloss, name)(y, p, **keywords)
        assert_close(acc.merge(other).result(), expected, **_tolerance(metric))
        assert other.n_updates == 1 and acc.n_updates == 2
    with pytest.raises(TypeError, match="unexpected keyword"):
        cls(not_a_parameter=0.5)
    if metric.single_output:
        with pytest.raises(TypeError, match="unexpected keyword"):
            cls(multioutput="raw_values")
        with pytest.raises(ValueError, match="Multioutput not supported"):
            cls().update(np.c_[y, y], np.c_[p, p])
    else:
        with pytest.raises(ValueError, match="multioutput"):
            cls(multioutput="mean")
        with pytest.raises(ValueError, match="output"):
            cls().update(y, p).update(y[:, 0], p[:, 0])
    if len(all_settings) > 1:  # accumulators of other settings do not merge
        (mo0, params0), (mo1, params1) = all_settings[0], all_settings[-1]
        first = kwargs_for(metric, None, mo0, **params0)
        last = kwargs_for(metric, None, mo1, **params1)
        first.pop("sample_weight", None), last.pop("sample_weight", None)
        with pytest.raises(TypeError, match="same settings"):
            cls(**first).update(y, p).merge(cls(**last).update(y, p))
    with pytest.raises(ValueError, match="no data yet"):
        cls().result()
    if not metric.weighted:
        with pytest.raises(TypeError, match="takes no sample_weight"):
            cls().update(y, p, np.ones(50))
        return
    # A chunk whose weights are all zero is no error; the whole must weigh something.
    acc = cls().update(y[:5], p[:5], np.zeros(5)).update(y[5:], p[5:], np.ones(45))
    assert_close(acc.result(), getattr(fastloss, name)(y[5:], p[5:]), **_tolerance(metric))
    with pytest.raises(ValueError, match="at least one non-zero"):
        cls().update(y[:5], p[:5], np.zeros(5)).result()


@pytest.mark.parametrize("name", NAMES)
def test_inputs_not_modified_and_read_only_inputs(backend, name, rng):
    metric = METRICS[name]
    y, p = values_for(metric, rng, (40, 3))
    w = rng.uniform(size=40)
    copies = [a.copy() for a in (y, p, w)]
    for a in (y, p, w):
        a.flags.writeable = False
    func = getattr(fastloss, name)
    if not metric.single_output:
        func(y, p, **kwargs_for(metric, w if metric.weighted else None))
    ws = w[::2] if metric.weighted else None
    func(y[::2, 1], p[1::2, 2], **kwargs_for(metric, ws))  # strided views
    for a, b in zip((y, p, w), copies):
        assert np.array_equal(a, b)


@pytest.mark.parametrize("power", [0, 1, 1.5, 3])
def test_d2_tweedie_past_the_constant_scratch(backend, power):
    """The null deviance runs over slices of CONSTANT_ROWS rows: several, and a short last one."""
    from fastloss._metric_core import CONSTANT_ROWS

    rng = np.random.default_rng(11)
    n = 2 * CONSTANT_ROWS + 123
    y, p = rng.uniform(0.1, 3, size=n), rng.uniform(0.1, 3, size=n)
    w = rng.uniform(0, 2, size=n)
    for weights in (None, w):
        ours = fastloss.d2_tweedie_score(y, p, sample_weight=weights, power=power)
        theirs = skm.d2_tweedie_score(y, p, sample_weight=weights, power=power)
        np.testing.assert_allclose(1 - ours, 1 - theirs, rtol=1e-12)


#: Metrics of positive values summed by a kernel (the log errors and deviances).
POSITIVE_SUMS = [
    name for name in NAMES
    if METRICS[name].domain == "positive" and METRICS[name].state.kind == "sums"
]  # fmt: skip


@pytest.mark.parametrize("name", POSITIVE_SUMS)
@pytest.mark.parametrize("case", ["subnormal", "quotient_beyond_range", "mixed_into_a_block"])
def test_values_the_compiled_logs_flag(backend, name, case):
    """Subnormal values and quotients beyond the normal range, which the
    deviances' compiled logs flag for the NumPy twin (and the log errors'
    take as they are): the numbers scikit-learn's arithmetic gives
    (infinite ones included)."""
    metric = METRICS[name]
    rng = np.random.default_rng(12)
    y, p = values_for(metric, rng, 5000)
    if case == "subnormal":
        y, p = y * 1e-310, p * 1e-310
    elif case == "quotient_beyond_range":  # quotients of about 1e±600
        p[::7] *= 1e300
        y[::7] *= 1e-300
        y[3::7] *= 1e300
        p[3::7] *= 1e-300
    else:  # a few rare values among ordinary ones: what the block then sums
        y[::1000] *= 1e-310
        p[1::1000] *= 1e-310
    # Values only: scikit-learn's NumPy arithmetic warns of its overflows
    # here, which fastloss's kernels do not (see the README's differences).
    ours, _ = outcome(getattr(fastloss, name), y, p)
    theirs, _ = outcome(getattr(skm, name), y, p)
    if isinstance(theirs, Exception):
        assert type(ours) is type(theirs) and str(ours) == str(theirs)
    else:
        assert_close(ours, theirs, rtol=1e-12, atol=0.0)


#: The metrics whose kernels take a log of ``y / p`` (named: their kernels'
#: arithmetic, not a declaration, is what this tests).
QUOTIENT_LOGS = ["mean_poisson_deviance", "mean_gamma_deviance"]


@pytest.mark.parametrize("name", QUOTIENT_LOGS)
@pytest.mark.parametrize("relative", [1e-2, 1e-4, 1e-6])
def test_near_exact_predictions_round_as_sklearn(backend, name, relative):
    """A prediction within ``relative`` of its target: the deviance's terms
    nearly cancel, and the rounding of ``y / p`` decides most of the digits
    left.  fastloss rounds the quotient as scikit-learn does, so it gives
    scikit-learn's number there too."""
    rng = np.random.default_rng(8)
    for _ in range(20):
        y, _ = values_for(METRICS[name], rng, 1)
        p = y * (1 + relative * rng.normal(size=1))
        assert_close(getattr(fastloss, name)(y, p), getattr(skm, name)(y, p), rtol=1e-12)
