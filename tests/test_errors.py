"""Bad input raises scikit-learn's error type with scikit-learn's message."""

import re
import warnings

import numpy as np
import pytest
import sklearn.metrics as skm

import fastloss
from fastloss._registry import METRICS
from conftest import assert_close

#: Every declared regression metric (the metric registry).
REGRESSION = sorted(METRICS)

REGRESSION_CASES = {
    "nan_pred": (([1.0, 2.0], [np.nan, 1.0]), {}),
    "nan_true": (([np.nan, 2.0], [1.0, 1.0]), {}),
    "inf_pred": (([1.0, 2.0], [np.inf, 1.0]), {}),
    "neginf_true_2d": (([[1.0, -np.inf], [1.0, 2.0]], [[1.0, 1.0], [1.0, 2.0]]), {}),
    "float32_inf": ((np.array([1, 2], np.float32), np.array([np.inf, 1], np.float32)), {}),
    "lengths": (([1.0, 2.0, 3.0], [1.0, 1.0]), {}),
    "empty": (([], []), {}),
    "ndim3": ((np.zeros((2, 2, 2)), np.zeros((2, 2, 2))), {}),
    "strings": ((["a", "b"], [1.0, 2.0]), {}),
    "objects": ((np.array([1, "a"], dtype=object), [1.0, 2.0]), {}),
    "complex": ((np.array([1 + 1j, 2]), [1.0, 2.0]), {}),
    "outputs": (([[1.0, 2.0], [1, 2]], [[1.0], [1]]), {}),
    "multioutput_weights_one_output": (([1.0, 2.0], [1.0, 2.0]), {"multioutput": [0.5, 0.5]}),
    "multioutput_weights_length": (
        ([[1.0, 2.0], [1, 2]], [[1.0, 2.0], [1, 2]]),
        {"multioutput": [0.5, 0.5, 1]},
    ),
    "multioutput_weights_sum_zero": (
        ([[1.0, 2.0], [1, 2]], [[1.0, 3.0], [1, 2]]),
        {"multioutput": [1.0, -1.0]},
    ),
    "sample_weight_length": (([1.0, 2.0], [1.0, 2.0]), {"sample_weight": [1.0]}),
    "sample_weight_2d": (([1.0, 2.0], [1.0, 3.0]), {"sample_weight": [[1.0, 1.0]]}),
    "sample_weight_zeros": (([1.0, 2.0], [1.0, 3.0]), {"sample_weight": [0.0, 0.0]}),
    "sample_weight_nan": (([1.0, 2.0], [1.0, 3.0]), {"sample_weight": [np.nan, 1.0]}),
    "sample_weight_scalar": (([1.0, 2.0], [1.0, 3.0]), {"sample_weight": 2.0}),
    "scalar_input": ((1.0, 2.0), {}),
    "none_input": ((None, [1.0]), {}),
    "string_input": (("abc", [1.0, 2.0, 3.0]), {}),
    "multioutput_none": (([1.0, 2.0], [1.0, 2.0]), {"multioutput": None}),
    "multioutput_variance_weighted": (
        ([[1.0, 2.0], [1, 3]], [[1.0, 2.0], [2, 3]]), {"multioutput": "variance_weighted"}
    ),
    "multioutput_bad_string": (([1.0, 2.0], [1.0, 2.0]), {"multioutput": "mean"}),
    "force_finite_int": (([1.0, 2.0], [1.0, 3.0]), {"force_finite": 1}),
    "force_finite_none": (([1.0, 2.0], [1.0, 3.0]), {"force_finite": None}),
    # Values outside a metric's domain (the others compute these).
    "true_minus_one": (([-1.0, 2.0], [1.0, 3.0]), {}),
    "pred_below_minus_one": (([1.0, 2.0], [1.0, -3.0]), {}),
    "true_zero": (([0.0, 2.0], [1.0, 3.0]), {}),
    "true_negative": (([-0.5, 2.0], [1.0, 3.0]), {}),
    "pred_zero": (([1.0, 2.0], [0.0, 3.0]), {}),
    "true_minus_one_2d": (([[-1.0, 2.0], [1.0, 2.0]], [[1.0, 3.0], [1.0, 2.0]]), {}),
    "domain_large": ((np.r_[np.ones(5000), -0.5], np.ones(5001)), {}),  # past a kernel block
    "alpha_above_one": (([1.0, 2.0], [1.0, 3.0]), {"alpha": 1.5}),
    "alpha_nan": (([1.0, 2.0], [1.0, 3.0]), {"alpha": np.nan}),
    "alpha_string": (([1.0, 2.0], [1.0, 3.0]), {"alpha": "0.5"}),
    "power_between_zero_and_one": (([1.0, 2.0], [1.0, 3.0]), {"power": 0.5}),
    "power_none": (([1.0, 2.0], [1.0, 3.0]), {"power": None}),
    "power_inf": (([1.0, 2.0], [1.0, 3.0]), {"power": np.inf}),
    "alpha_inf": (([1.0, 2.0], [1.0, 3.0]), {"alpha": np.inf}),
    "power_negative_pred_zero": (([1.0, 2.0], [0.0, 3.0]), {"power": -1.0}),
    "power_1_5_true_negative": (([-1.0, 2.0], [1.0, 3.0]), {"power": 1.5}),
    "power_3_true_zero": (([0.0, 2.0], [1.0, 3.0]), {"power": 3}),
    "power_nan_weights": (([1.0, 2.0], [1.0, 3.0]), {"power": 1, "sample_weight": [np.nan, 1]}),
}

LOG_LOSS_CASES = {
    "one_label": (([1, 1, 1], [0.2, 0.7, 0.9]), {}),
    # uint64 labels were converted to float64 and shown as "(0.0)"
    "one_label_uint64": ((np.zeros(3, dtype=np.uint64), [0.2, 0.7, 0.9]), {}),
    "three_labels_binary_proba": (([0, 1, 2], [0.2, 0.7, 0.9]), {}),
    "greater_than_one": (([0, 1, 1], [0.2, 1.7, 0.9]), {}),
    "lower_than_zero": (([0, 1, 1], [0.2, -0.7, 0.9]), {}),
    "nan_proba": (([0, 1, 1], [0.2, np.nan, 0.9]), {}),
    "inf_proba": (([0, 1, 1], [0.2, np.inf, 0.9]), {}),
    "nan_label": (([0, np.nan, 1], [0.2, 0.3, 0.9]), {}),
    "label_not_in_labels": (
        ([0, 1, 2], [[0.2, 0.8], [0.3, 0.7], [0.5, 0.5]]),
        {"labels": [0, 1]},
    ),
    "labels_count": (([0, 1, 1], [[0.2, 0.8], [0.3, 0.7], [0.5, 0.5]]), {"labels": [0, 1, 2]}),
    "labels_one": (([0, 0, 0], [[0.2, 0.8], [0.3, 0.7], [0.5, 0.5]]), {"labels": [0]}),
    "classes_vs_columns": (([0, 1, 2], [[0.2, 0.8], [0.3, 0.7], [0.5, 0.5]]), {}),
    "string_classes_vs_columns": (
        (["a", "b", "c"], [[0.2, 0.8], [0.3, 0.7], [0.5, 0.5]]),
        {},
    ),
    "missing_class_in_y": (([0, 2, 2], [[0.2, 0.7, 0.1], [0.3, 0.6, 0.1], [0.5, 0.4, 0.1]]), {}),
    "lengths": (([0, 1], [0.2, 0.3, 0.4]), {}),
    "sample_weight_zeros": (([0, 1, 1], [0.2, 0.7, 0.9]), {"sample_weight": [0, 0, 0]}),
    "sample_weight_length": (([0, 1, 1], [0.2, 0.7, 0.9]), {"sample_weight": [0, 0]}),
    "sample_weight_nan": (([0, 1, 1], [0.2, 0.7, 0.9]), {"sample_weight": [np.nan, 1, 1]}),
    "empty": (([], []), {}),
    "string_proba": (([0, 1], ["a", "b"]), {}),
    "normalize_string": (([0, 1], [0.1, 0.2]), {"normalize": "yes"}),
    "proba_3d": (([0, 1], np.zeros((2, 2, 2))), {}),
    "mixed_label_types": ((np.array([0, "a"], dtype=object), [0.2, 0.3]), {}),
    "one_label_two_columns": (([1, 1], [[0.2, 0.8], [0.3, 0.7]]), {}),
    "bool_one_label": (([True, True], [0.2, 0.3]), {}),
}


def _outcome(func, args, kwargs):
    try:
        return func(*args, **kwargs), None
    except Exception as exc:  # noqa: BLE001 - comparing whatever is raised
        return None, exc


def _assert_same_error(ours, theirs):
    assert theirs is not None, "scikit-learn accepted this input; update the case table"
    assert ours is not None, f"fastloss accepted input scikit-learn rejects with {theirs!r}"
    for base in (ValueError, TypeError, ZeroDivisionError):
        # Every type scikit-learn's error has, fastloss's has too (it may add
        # ValueError: every fastloss input error is a ValueError or TypeError).
        if isinstance(theirs, base):
            assert isinstance(ours, base), (ours, theirs)
    assert isinstance(ours, (ValueError, TypeError)), ours
    # scikit-learn prints a set of options in an arbitrary order: compare as words.
    normalise = lambda e: sorted(re.findall(r"\w+|[^\w\s]", str(e)))  # noqa: E731
    assert normalise(ours) == normalise(theirs)


#: scikit-learn's root_mean_squared_error skips the multioutput-weight checks and
#: fails later inside np.average with a TypeError; fastloss raises the ValueError
#: that scikit-learn's mean_squared_error raises for the same input.
SKLEARN_RMSE_BUG = {"multioutput_weights_length", "multioutput_weights_one_output"}


def _regression_cases():
    """(metric, case) pairs: each case with the metrics that take its keywords."""
    for name in REGRESSION:
        metric = METRICS[name]
        keywords = {p.name for p in metric.params}
        keywords |= {"sample_weight"} if metric.weighted else set()
        keywords |= set() if metric.single_output else {"multioutput"}
        for case in sorted(REGRESSION_CASES):
            if set(REGRESSION_CASES[case][1]) <= keywords:
                yield name, case


@pytest.mark.parametrize("name,case", list(_regression_cases()))
def test_regression_errors_match_sklearn(backend, name, case):
    args, kwargs = REGRESSION_CASES[case]
    reference = name
    if name == "root_mean_squared_error" and case in SKLEARN_RMSE_BUG:
        reference = "mean_squared_error"
    expected, theirs = _outcome(getattr(skm, reference), args, kwargs)
    result, ours = _outcome(getattr(fastloss, name), args, kwargs)
    if theirs is None:  # a case only some metrics refuse (r2_score takes multioutput=None)
        assert ours is None, ours
        if METRICS[name].greater_is_better:  # 1 - a ratio: compared as the ratio
            result, expected = 1 - result, 1 - expected
        assert_close(result, expected)
        return
    _assert_same_error(ours, theirs)


@pytest.mark.parametrize("case", sorted(LOG_LOSS_CASES))
def test_log_loss_errors_match_sklearn(backend, case):
    args, kwargs = LOG_LOSS_CASES[case]
    _, theirs = _outcome(skm.log_loss, args, kwargs)
    _, ours = _outcome(fastloss.log_loss, args, kwargs)
    _assert_same_error(ours, theirs)


@pytest.mark.parametrize("bad", ["nan", "above_one", "below_zero", "inf", "label_2", "label_nan"])
@pytest.mark.parametrize("where", [0, 4095, 4096 + 2000, 3 * 4096 + 5])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_log_loss_bad_value_in_large_input(backend, bad, where, dtype):
    """One bad value anywhere in a large input (a full kernel block or the last,
    short one) gives scikit-learn's error."""
    rng = np.random.default_rng(where)
    n = 3 * 4096 + 100
    y = rng.integers(0, 2, size=n).astype(np.float64)
    p = rng.uniform(size=n).astype(dtype)
    value = {"nan": np.nan, "above_one": 1.5, "below_zero": -0.25, "inf": np.inf}
    if bad in value:
        p[where] = value[bad]
    else:
        y[where] = 2.0 if bad == "label_2" else np.nan
    _, theirs = _outcome(skm.log_loss, (y, p), {})
    _, ours = _outcome(fastloss.log_loss, (y, p), {})
    _assert_same_error(ours, theirs)


@pytest.mark.parametrize("name", [n for n in REGRESSION if METRICS[n].weighted] + ["log_loss"])
def test_negative_sample_weight_rejected(backend, name):
    """The one deliberate difference from scikit-learn: negative weights are an error."""
    y, p = ([0, 1, 1], [0.2, 0.7, 0.9])
    if name != "log_loss" and METRICS[name].domain == "positive":
        y = [0.5, 1, 1]
    with pytest.raises(ValueError, match="Negative values in data passed to `sample_weight`"):
        getattr(fastloss, name)(y, p, sample_weight=[1.0, -0.5, 1.0])


PROBA3 = [[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8]]


@pytest.mark.parametrize(
    "y,labels",
    [
        ([0.5, 1.5, 1.5], None),
        ([0.0, 0.5, 1.0], [0.0, 0.5, 1.0]),  # continuous labels passed explicitly
        ([0, 1, 1], [0, 0.5, 1]),
    ],
)
def test_continuous_labels_rejected(backend, y, labels):
    proba = [0.2, 0.3, 0.9] if labels is None else PROBA3
    for func in (fastloss.log_loss, skm.log_loss):
        with pytest.raises(ValueError, match="Unknown label type"):
            func(y, proba, labels=labels)


def test_integer_labels_are_not_string_labels(backend):
    for func in (fastloss.log_loss, skm.log_loss):
        with pytest.raises(ValueError, match="not belonging to the passed labels"):
            func([0, 1, 2], PROBA3, labels=["0", "1", "2"])


def test_numeric_strings_convert_as_in_sklearn(backend):
    y, p = np.array(["1", "2"]), np.array(["1", "3"])
    assert fastloss.mean_squared_error(y, p) == skm.mean_squared_error(y, p)


def test_string_sample_weights_as_scikit_learn():
    """scikit-learn's log_loss refuses weights given as strings; its regression metrics convert them."""
    from sklearn import metrics as skm

    w = np.array(["1.0", "2.0"])
    with pytest.raises(TypeError):
        skm.log_loss([0, 1], [0.3, 0.6], sample_weight=w)
    with pytest.raises(TypeError, match="sample_weight must hold numbers"):
        fastloss.log_loss([0, 1], [0.3, 0.6], sample_weight=w)
    assert fastloss.mean_squared_error([0.0, 1.0], [0.5, 0.5], sample_weight=w) == pytest.approx(
        skm.mean_squared_error([0.0, 1.0], [0.5, 0.5], sample_weight=w), rel=1e-12
    )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_label_next_to_one_is_not_label_one(dtype):
    """A float64 label 1 + 1e-10 rounds to 1 in float32: the float32 path must still see it."""
    y = np.array([0, 1 + 1e-10, 1, 0] * 100)
    p = np.full(400, 0.3, dtype)
    with pytest.raises(ValueError):
        skm.log_loss(y, p, labels=[0, 1])
    with pytest.raises(ValueError):
        fastloss.log_loss(y, p, labels=[0, 1])


def test_log_loss_zero_weights_raise_before_the_sum_warning(backend):
    """scikit-learn refuses weights summing to 0 before warning about the rows."""
    proba = [[0.2, 0.7, 0.3], [0.5, 0.5, 0.1], [0.3, 0.3, 0.3]]
    for func in (skm.log_loss, fastloss.log_loss):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with pytest.raises(ValueError, match="at least one non-zero"):
                func([0, 1, 2], proba, sample_weight=[0, 0, 0])
