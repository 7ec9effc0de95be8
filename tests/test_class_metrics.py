"""The metrics of class predictions (``brier_score_loss``, ``d2_brier_score``,
``d2_log_loss_score``, ``hinge_loss``) against scikit-learn's, read from their
declarations (``fastloss._registry.CLASS_METRICS``): values, warnings and
errors on random inputs on both backends, edge cases, streaming split and
merge, Dask, threads, signatures and exports."""

import inspect
import pickle
import warnings

import numpy as np
import pytest
import sklearn.metrics as skm
from hypothesis import given
from hypothesis import strategies as st

import fastloss
from fastloss import streaming
from fastloss._class_metric_core import example_inputs
from fastloss._registry import CLASS_METRICS
from metric_cases import outcome

NAMES = sorted(CLASS_METRICS)
WITH_POS_LABEL = [n for n in NAMES if "pos_label" in CLASS_METRICS[n].keywords]


def same_outcome(name, ours, theirs, rtol=1e-12):
    """Values to ``rtol`` (a score as 1 - score, its ratio), errors by type
    and message, warnings by class and message."""
    (value, warned), (expected, expected_warned) = ours, theirs
    if isinstance(expected, Exception):
        if isinstance(expected, TypeError) and "unhashable" in str(expected):
            # scikit-learn fails building its message (a 2-D y_true with labels).
            assert isinstance(value, (ValueError, TypeError)), (value, expected)
            return
        # A subclass (fastloss's ZeroDivisionErrors are ValueErrors too), or by
        # name: fastloss's InvalidParameterError is not scikit-learn's class.
        assert isinstance(value, type(expected)) or (
            type(value).__name__ == type(expected).__name__
        ), (value, expected)
        if "Unknown label type" in str(expected):
            # fastloss names the metric and shows a few values, not the array.
            assert str(value).startswith("Unknown label type"), (value, expected)
        else:
            assert str(value) == str(expected), (value, expected)
        return
    assert not isinstance(value, Exception), (value, expected)
    assert isinstance(value, float), type(value)
    if CLASS_METRICS[name].greater_is_better:
        value, expected = 1 - value, 1 - expected
    np.testing.assert_allclose(value, expected, rtol=rtol, atol=0)
    assert sorted(set(warned)) == sorted(set(expected_warned))


def both(name, *args, **kwargs):
    return (
        outcome(getattr(fastloss, name), *args, **kwargs),
        outcome(getattr(skm, name), *args, **kwargs),
    )


LABEL_SETS = {
    "ints": lambda k: np.arange(k),
    "signed": lambda k: np.array([-1, 1]) if k == 2 else np.arange(k) * 3 - 2,
    "strings": lambda k: np.array(["ant", "bee", "cat", "dog", "eel"][:k]),
    "floats": lambda k: np.arange(k) * 2.0,
    "bools": lambda k: np.array([False, True]) if k == 2 else np.arange(k),
}


@st.composite
def class_inputs(draw, name):
    """(y_true, predictions, keyword arguments) of a valid call, mostly."""
    metric = CLASS_METRICS[name]
    n = draw(st.integers(1, 40))
    k = draw(st.integers(2, 4))
    classes = LABEL_SETS[draw(st.sampled_from(sorted(LABEL_SETS)))](k)
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    present = draw(st.sampled_from(["all", "some", "one"]))
    pool = classes if present == "all" else classes[: max(1, k - 1)] if present == "some" else classes[:1]
    y = rng.choice(pool, size=n)
    if present == "all" and n >= k:
        y[:k] = classes
    binary = k == 2 and draw(st.booleans())
    if metric.proba:
        if binary:
            p = rng.uniform(0, 1, size=n)
            if draw(st.booleans()):
                p = np.round(p, 1)  # ties, exact 0 and 1
        else:
            p = rng.dirichlet(np.ones(k), size=n)
            if draw(st.integers(0, 5)) == 0:
                p = p * 1.2 if draw(st.booleans()) else p[:, ::-1] * 0.9  # not summing to one
    else:
        p = rng.normal(scale=2, size=n if binary else (n, k))
        if draw(st.booleans()):
            p = np.round(p)  # margins exactly 1
    kwargs = {}
    if draw(st.booleans()):
        w = rng.uniform(0, 2, size=n)
        if draw(st.booleans()):
            w[rng.random(n) < 0.3] = 0.0
        kwargs["sample_weight"] = w
    if "labels" in metric.keywords and draw(st.booleans()):
        kwargs["labels"] = classes
    if "pos_label" in metric.keywords and draw(st.booleans()):
        kwargs["pos_label"] = classes[draw(st.integers(0, k - 1))].item()
    if "scale_by_half" in metric.keywords:
        kwargs["scale_by_half"] = draw(st.sampled_from(["auto", True, False]))
    if draw(st.integers(0, 3)) == 0:
        p = p.astype(np.float32)
    if draw(st.integers(0, 4)) == 0:
        y, p = y.tolist(), p.tolist()
    return y, p, kwargs


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_matches_sklearn(backend, name, data):
    y, p, kwargs = data.draw(class_inputs(name))
    float32 = isinstance(p, np.ndarray) and p.dtype == np.float32
    # scikit-learn computes float32 inputs in float32 where fastloss sums in float64.
    same_outcome(name, *both(name, y, p, **kwargs), rtol=2e-5 if float32 else 1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_large_input_matches_sklearn(backend, name):
    """Past the thread threshold, weighted, two and four classes."""
    rng = np.random.default_rng(3)
    metric = CLASS_METRICS[name]
    for k in (2, 4):
        y, p = example_inputs(metric, rng, 300_000, k)
        w = rng.uniform(0, 2, size=y.size)
        same_outcome(name, *both(name, y, p, sample_weight=w), rtol=1e-11)
        same_outcome(name, *both(name, y * 3 - 1, p), rtol=1e-11)  # labels that need a search


@pytest.mark.parametrize("name", NAMES)
def test_thread_count_changes_last_rounding_only(name):
    rng = np.random.default_rng(4)
    y, p = example_inputs(CLASS_METRICS[name], rng, 500_000, 3)
    func = getattr(fastloss, name)
    results = []
    old = fastloss.get_num_threads()
    try:
        for threads in (1, 2, 4):
            fastloss.set_num_threads(threads)
            results.append(func(y, p))
    finally:
        fastloss.set_num_threads(old)
    np.testing.assert_allclose(results, results[0], rtol=1e-13)


EDGE_CASES = {
    "one sample": ([1], [0.7]),
    "two samples one class": ([0, 0], [0.2, 0.7]),
    "constant positive": ([1, 1, 1], [0.2, 0.7, 1.0]),
    "perfect": ([0, 1, 1], [0.0, 1.0, 1.0]),
    "strings": (["no", "yes", "yes"], [0.1, 0.8, 0.6]),
    "three classes": ([0, 2, 1, 2], [[0.2, 0.3, 0.5], [0.1, 0.1, 0.8], [0.3, 0.4, 0.3], [0, 0, 1]]),
    "unnormalised rows": ([0, 2, 1], [[0.2, 0.3, 0.6], [0.1, 0.1, 0.8], [0.3, 0.4, 0.3]]),
    "empty": ([], []),
    "nan": ([0, 1], [0.2, np.nan]),
    "inf": ([0, 1], [0.2, np.inf]),
    "nan label": ([0.0, np.nan], [0.2, 0.3]),
    "above one": ([0, 1], [0.2, 1.5]),
    "below zero": ([0, 1], [-0.2, 0.5]),
    "continuous labels": ([0.5, 1.5], [0.2, 0.3]),
    "three labels, 1-D": ([0, 1, 2], [0.2, 0.3, 0.4]),
    "inconsistent lengths": ([0, 1, 1], [0.2, 0.3]),
    "one column": ([0, 1, 1], [[0.2], [0.3], [0.9]]),
    "2-D y_true": ([[0, 1], [1, 0]], [0.2, 0.3]),
    "mixed label types": ([0, "a"], [0.2, 0.3]),
    "3-D": ([0, 1], np.zeros((2, 2, 2))),
}
EDGE_KWARGS = {
    "none": {},
    "zero weights": {"sample_weight": [0.0, 0.0, 0.0]},
    "labels": {"labels": [0, 1, 2]},
    "labels missing one": {"labels": [0, 1]},
    "unsorted labels": {"labels": [2, 0, 1]},
    "pos_label 0": {"pos_label": 0},
    "pos_label absent": {"pos_label": 7},
    "pos_label string": {"pos_label": "yes"},
    "bad pos_label": {"pos_label": [1]},
    "bad scale_by_half": {"scale_by_half": "yes"},
    "string labels": {"labels": ["a", "b"]},
}


def _edge_grid():
    """(metric, case, keyword set) for every keyword set the metric takes."""
    return [
        (name, case, kwargs_name)
        for name in NAMES
        for case in sorted(EDGE_CASES)
        for kwargs_name, kwargs in sorted(EDGE_KWARGS.items())
        if all(k in CLASS_METRICS[name].keywords or k == "sample_weight" for k in kwargs)
    ]


@pytest.mark.parametrize(("name", "case", "kwargs_name"), _edge_grid())
def test_edge_cases_match_sklearn(backend, name, case, kwargs_name):
    y, p = EDGE_CASES[case]
    kwargs = dict(EDGE_KWARGS[kwargs_name])
    metric = CLASS_METRICS[name]
    if "sample_weight" in kwargs:
        kwargs["sample_weight"] = kwargs["sample_weight"][: len(y)] + [0.0] * (len(y) - 3)
    if not metric.proba and case in ("above one", "below zero"):
        p = np.asarray(p) * 3  # decisions: any value
    same_outcome(name, *both(name, y, p, **kwargs))


@pytest.mark.parametrize("name", NAMES)
def test_signature_is_sklearns(name):
    ours = inspect.signature(getattr(fastloss, name))
    theirs = inspect.signature(getattr(skm, name))
    assert [(p.name, p.kind, p.default) for p in ours.parameters.values()] == [
        (p.name, p.kind, p.default) for p in theirs.parameters.values()
    ]


@pytest.mark.parametrize("name", NAMES)
def test_declared_everywhere(name):
    """Exported, with its accumulator and benchmark workload."""
    from fastloss import benchmark

    metric = CLASS_METRICS[name]
    assert name in fastloss.__all__ and name in fastloss.metrics.__all__
    assert metric.accumulator_name in streaming.__all__
    assert name in benchmark.all_workloads()


@pytest.mark.parametrize("name", NAMES)
def test_inputs_not_modified(backend, name):
    rng = np.random.default_rng(5)
    for k in (2, 3):
        y, p = example_inputs(CLASS_METRICS[name], rng, 1000, k)
        w = rng.uniform(0, 1, size=1000)
        copies = [a.copy() for a in (y, p, w)]
        getattr(fastloss, name)(y, p, sample_weight=w)
        for a, b in zip((y, p, w), copies):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("k", [2, 3])
def test_streaming_split_and_merge(backend, name, k):
    """Any split of the samples, merged in any order, gives the one-shot result."""
    metric = CLASS_METRICS[name]
    rng = np.random.default_rng(6 + k)
    y, p = example_inputs(metric, rng, 5000, k)
    w = rng.uniform(0, 2, size=y.size)
    labels = np.unique(y)
    expected = getattr(fastloss, name)(y, p, sample_weight=w)
    cls = getattr(streaming, metric.accumulator_name)
    for _ in range(3):
        cuts = np.sort(rng.choice(np.arange(1, y.size), size=4, replace=False))
        parts = []
        for lo, hi in zip(np.r_[0, cuts], np.r_[cuts, y.size]):
            acc = cls(labels)
            parts.append(acc.update(y[lo:hi], p[lo:hi], sample_weight=w[lo:hi]))
        rng.shuffle(parts)
        merged = pickle.loads(pickle.dumps(parts[0]))
        for part in parts[1:]:
            merged.merge(part)
        result = merged.result()
        if metric.greater_is_better:
            result, want = 1 - result, 1 - expected
        else:
            want = expected
        np.testing.assert_allclose(result, want, rtol=1e-12)


def test_streaming_needs_labels_and_matching_settings():
    with pytest.raises(ValueError, match="needs every class label up front"):
        streaming.BrierScoreLoss(None)
    with pytest.raises(TypeError, match="unexpected keyword"):
        streaming.HingeLoss([0, 1], pos_label=1)
    with pytest.raises(TypeError, match="same settings"):
        streaming.BrierScoreLoss([0, 1]).merge(streaming.BrierScoreLoss([0, 1, 2]))
    acc = streaming.BrierScoreLoss([0, 1])
    with pytest.raises(ValueError, match="not belonging to the passed labels"):
        acc.update([0, 2], [0.1, 0.2])
    with pytest.raises(ValueError, match="no data yet"):
        acc.result()


def test_streaming_brier_binary_positive_class_from_labels():
    """1-D chunks: the positive class comes from ``labels``, as the one-shot
    function infers it from the whole ``y_true`` (a chunk may hold one class)."""
    y = np.array(["no", "yes", "yes", "no"])
    p = np.array([0.1, 0.8, 0.6, 0.3])
    acc = streaming.BrierScoreLoss(["no", "yes"], pos_label="yes")
    acc.update(y[:1], p[:1]).update(y[1:], p[1:])
    assert acc.result() == pytest.approx(skm.brier_score_loss(y, p, pos_label="yes"), rel=1e-14)
    acc = streaming.HingeLoss([-1, 1])
    acc.update([1, 1], [0.3, -2.0]).update([-1], [0.5])
    assert acc.result() == pytest.approx(skm.hinge_loss([1, 1, -1], [0.3, -2.0, 0.5]), rel=1e-14)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("k", [2, 3])
def test_dask_equals_numpy(backend, name, k):
    da = pytest.importorskip("dask.array")
    metric = CLASS_METRICS[name]
    rng = np.random.default_rng(8)
    y, p = example_inputs(metric, rng, 3000, k)
    w = rng.uniform(0, 2, size=y.size)
    func = getattr(fastloss, name)
    expected = func(y, p, sample_weight=w)
    got = func(
        da.from_array(y, chunks=700),
        da.from_array(p, chunks=(700,) + p.shape[1:]),
        sample_weight=da.from_array(w, chunks=700),
    )
    if metric.greater_is_better:
        got, expected = 1 - got, 1 - expected
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    # Errors as the NumPy call's: a chunk's value out of range.
    if metric.proba:
        bad = p.copy()
        bad[2500] = 1.5 if k == 2 else bad[2500]
        if k == 2:
            with pytest.raises(ValueError, match="greater than 1"):
                func(da.from_array(y, chunks=700), da.from_array(bad, chunks=700))


def test_hinge_loss_sklearn_docstring_examples():
    assert fastloss.hinge_loss([-1, 1, 1], [-2.18, 2.36, 0.09]) == pytest.approx(0.30333333, 1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pred = np.array([[1.27, 0.03, -0.68, -1.4], [-1.45, -0.58, -0.38, -0.17],
                         [-2.36, -0.79, -0.27, 0.24]])  # fmt: skip
        assert fastloss.hinge_loss([0, 2, 3], pred, labels=[0, 1, 2, 3]) == skm.hinge_loss(
            [0, 2, 3], pred, labels=[0, 1, 2, 3]
        )


@pytest.mark.parametrize("name", NAMES)
def test_negative_sample_weight_rejected(backend, name):
    """fastloss's one deliberate difference from scikit-learn, as for every metric."""
    y, p = example_inputs(CLASS_METRICS[name], np.random.default_rng(9), 50, 2)
    w = np.ones(50)
    w[7] = -1.0
    with pytest.raises(ValueError, match="Negative values in data passed to `sample_weight`"):
        getattr(fastloss, name)(y, p, sample_weight=w)


def test_review_cases_match_sklearn(backend):
    """Cases a review found: a weighted label indicator matrix with an empty
    row (no single-class shortcut), a boolean (n, k) decision, ``pos_label``
    as any real number, complex labels with 2-D probabilities."""
    from fractions import Fraction

    indicator = np.array([[1, 0, 0], [0, 0, 0], [1, 0, 0]])
    proba = [[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6]]
    for name in ("d2_brier_score", "d2_log_loss_score"):
        same_outcome(name, *both(name, indicator, proba, sample_weight=[1.0, 2.0, 3.0]))
    for y in ([0, 1, 1, 0], [0, 1, 2, 0]):
        same_outcome("hinge_loss", *both("hinge_loss", y, np.eye(4, 3, dtype=bool)))
    for pos_label in (Fraction(1), np.complex128(1)):
        same_outcome("brier_score_loss", *both("brier_score_loss", [0, 1], [0.2, 0.3],
                                               pos_label=pos_label))  # fmt: skip
    for name in ("d2_log_loss_score", "brier_score_loss"):
        same_outcome(name, *both(name, np.array([0, 1 + 0j]), [[0.2, 0.8], [0.3, 0.7]]))


@pytest.mark.parametrize("name", WITH_POS_LABEL)
def test_streaming_chunk_of_zero_weights(backend, name):
    """A chunk whose weights are all zero is no error (only the total is)."""
    acc = getattr(streaming, CLASS_METRICS[name].accumulator_name)([0, 1])
    acc.update([0, 1], [0.2, 0.3], sample_weight=[0.0, 0.0]).update([0, 1, 1], [0.2, 0.3, 0.9])
    expected = getattr(skm, name)([0, 1, 0, 1, 1], [0.2, 0.3, 0.2, 0.3, 0.9],
                                  sample_weight=[0, 0, 1, 1, 1])  # fmt: skip
    np.testing.assert_allclose(acc.result(), expected, rtol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_streaming_zero_one_labels_one_class_chunks(backend, name):
    """Declared classes 0 and 1 take the kernels' checked path; a chunk of
    one class, or a label outside them, is handled as the one-shot function
    (over all chunks) would."""
    metric = CLASS_METRICS[name]
    y, p = example_inputs(metric, np.random.default_rng(12), 200, 2)
    order = np.argsort(y, kind="stable")  # chunks of zeros, then of ones
    y, p = y[order], p[order]
    acc = getattr(streaming, metric.accumulator_name)([0, 1])
    for lo in range(0, 200, 50):
        acc.update(y[lo : lo + 50], p[lo : lo + 50])
    expected = getattr(skm, name)(y, p)
    result = acc.result()
    if metric.greater_is_better:
        result, expected = 1 - result, 1 - expected
    np.testing.assert_allclose(result, expected, rtol=1e-12)
    with pytest.raises(ValueError, match="not belonging to the passed labels"):
        acc.update([0, 2], p[:2])
