"""The declared regression metrics: picked up everywhere, scikit-learn's
results on edge cases, accurate on large offsets, the same on any thread
count.  Every test iterates the metric registry; none names a metric.
"""

import itertools
import pickle
import warnings

import numpy as np
import pytest
import sklearn.metrics as skm

import fastloss
from conftest import assert_close, results_by_threads
from fastloss import _warmup, streaming
from fastloss._registry import METRICS
from fastloss.benchmark import all_workloads

NAMES = sorted(METRICS)


def _settings(metric, n_outputs):
    """Every (multioutput, params) the metric takes, for ``n_outputs`` outputs."""
    averages = sorted(metric.multioutput_options)
    if metric.multioutput_none:
        averages.append(None)
    if n_outputs > 1:
        averages.append(np.linspace(0.5, 1.5, n_outputs))
    grids = [[(p.name, v) for v in (True, False)] for p in metric.params]
    for mo in averages:
        for combo in itertools.product(*grids):
            yield mo, dict(combo)


def _tolerance(metric):
    # Scores (at most 1) near 0 are differences: compared absolutely there.
    return {"rtol": 1e-12, "atol": 1e-13 if metric.greater_is_better else 1e-300}


def _call(func, *args, **kwargs):
    """(result or exception, [(warning class name, message)])."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = func(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - compared with scikit-learn's
            result = exc
    return result, [(type(w.message).__name__, str(w.message)) for w in caught]


@pytest.mark.parametrize("name", NAMES)
def test_declared_metric_is_everywhere(name):
    """One declaration: the function, its accumulator, warmup and the benchmark."""
    metric = METRICS[name]
    assert getattr(fastloss, name) is getattr(fastloss.metrics, name)
    assert name in fastloss.__all__ and name in fastloss.metrics.__all__
    acc = getattr(streaming, metric.accumulator_name)
    assert acc.metric is metric and metric.accumulator_name in streaming.__all__
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
    for mo, params in _settings(metric, n_outputs):
        ours, our_warnings = _call(getattr(fastloss, name), y, p, sample_weight=w,
                                   multioutput=mo, **params)  # fmt: skip
        ref_y, ref_p = y, p
        if case in UNDERFLOW_CASES and not metric.greater_is_better:
            # A mean loss is accumulated in float64 here, where scikit-learn's
            # float16/float32 squares underflow (the README's documented
            # difference): the reference is its value on the same numbers in float64.
            ref_y, ref_p = np.asarray(y, np.float64), np.asarray(p, np.float64)
        theirs, their_warnings = _call(getattr(skm, name), ref_y, ref_p, sample_weight=w,
                                       multioutput=mo, **params)  # fmt: skip
        assert our_warnings == their_warnings, (mo, params)
        if isinstance(theirs, Exception):
            assert type(ours) is type(theirs) and str(ours) == str(theirs), (mo, params)
            continue
        assert type(ours) is type(theirs), (mo, params, ours, theirs)
        if isinstance(theirs, np.ndarray) and ref_y is y:
            assert ours.dtype == theirs.dtype
        # scikit-learn computes float32/float16 inputs in their dtype, fastloss in float64.
        tol = {"rtol": 1e-6} if case.startswith(("float32", "float16")) else _tolerance(metric)
        if case in UNDERFLOW_CASES:
            # raw_values keep the input's dtype, where these values round to 0.
            tol["atol"] = float(np.finfo(np.asarray(y).dtype).smallest_subnormal)
        assert_close(ours, theirs, **tol)


@pytest.mark.parametrize("name", NAMES)
def test_large_offset_keeps_its_digits(backend, name, rng):
    """y = 1e8 + noise: the same data moved to 0 gives the same value."""
    metric = METRICS[name]
    n = 30_000  # several blocks, merged
    offset = 1e8
    y = offset + rng.normal(size=(n, 2))
    p = y + rng.normal(size=(n, 2)) * [0.5, 2.0]
    w = rng.uniform(0.1, 2.0, size=n)
    # Subtracting the offset is exact (Sterbenz): the same values, at 0.
    reference = getattr(skm, name)(y - offset, p - offset, sample_weight=w, multioutput="raw_values")
    ours = getattr(fastloss, name)(y, p, sample_weight=w, multioutput="raw_values")
    acc = getattr(streaming, metric.accumulator_name)(multioutput="raw_values")
    for lo in range(0, n, 7001):
        acc.update(y[lo : lo + 7001], p[lo : lo + 7001], w[lo : lo + 7001])
    if metric.greater_is_better:  # compare what is left of 1, the ratio of two sums
        ours, reference, streamed = 1 - ours, 1 - reference, 1 - acc.result()
    else:
        streamed = acc.result()
    assert_close(ours, reference, rtol=1e-12)
    assert_close(streamed, reference, rtol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_same_result_on_any_thread_count(name, rng):
    n = 300_007  # split across threads, with a short last block
    y = rng.normal(size=(n, 2)) + 3.0
    p = y + rng.normal(size=(n, 2))
    w = rng.uniform(size=n)
    func = getattr(fastloss, name)
    runs = results_by_threads(lambda: func(y, p, sample_weight=w, multioutput="raw_values"), (1, 2, 3))
    # The same to the last rounding (the per-thread sums of the mean losses
    # are added once more; the moments' blocks merge in one fixed order).
    assert_close(runs[2], runs[1], rtol=1e-15)
    assert_close(runs[3], runs[1], rtol=1e-15)
    assert_close(runs[1], getattr(skm, name)(y, p, sample_weight=w, multioutput="raw_values"),
                 **_tolerance(METRICS[name]))  # fmt: skip


@pytest.mark.parametrize("name", NAMES)
def test_accumulator_settings_pickle_and_merge_rules(name, rng):
    metric = METRICS[name]
    cls = getattr(streaming, metric.accumulator_name)
    y, p = rng.normal(size=(50, 2)), rng.normal(size=(50, 2))
    for mo, params in _settings(metric, 2):
        acc = cls(multioutput=mo, **params).update(y[:20], p[:20])
        acc = pickle.loads(pickle.dumps(acc))
        other = cls(multioutput=mo, **params).update(y[20:], p[20:])
        expected = getattr(fastloss, name)(y, p, multioutput=mo, **params)
        assert_close(acc.merge(other).result(), expected, **_tolerance(metric))
        assert other.n_updates == 1 and acc.n_updates == 2
    with pytest.raises(TypeError, match="unexpected keyword"):
        cls(alpha=0.5)
    with pytest.raises(ValueError, match="multioutput"):
        cls(multioutput="mean")
    different = cls(multioutput="raw_values").update(y, p)
    with pytest.raises(TypeError, match="same settings"):
        cls().update(y, p).merge(different)
    with pytest.raises(ValueError, match="no data yet"):
        cls().result()
    with pytest.raises(ValueError, match="output"):
        cls().update(y, p).update(y[:, 0], p[:, 0])
    # A chunk whose weights are all zero is no error; the whole must weigh something.
    acc = cls().update(y[:5], p[:5], np.zeros(5)).update(y[5:], p[5:], np.ones(45))
    assert_close(acc.result(), getattr(fastloss, name)(y[5:], p[5:]), **_tolerance(metric))
    with pytest.raises(ValueError, match="at least one non-zero"):
        cls().update(y[:5], p[:5], np.zeros(5)).result()


@pytest.mark.parametrize("name", NAMES)
def test_inputs_not_modified_and_read_only_inputs(backend, name, rng):
    y = rng.normal(size=(40, 3))
    p = rng.normal(size=(40, 3))
    w = rng.uniform(size=40)
    copies = [a.copy() for a in (y, p, w)]
    for a in (y, p, w):
        a.flags.writeable = False
    getattr(fastloss, name)(y, p, sample_weight=w)
    getattr(fastloss, name)(y[::2, 1], p[1::2, 2], sample_weight=w[::2])  # strided views
    for a, b in zip((y, p, w), copies):
        assert np.array_equal(a, b)
