"""The drop-in metrics give scikit-learn's results, on both backends."""

import warnings

import numpy as np
import pandas as pd
import pytest
import sklearn.metrics as skm
from hypothesis import given
from hypothesis import strategies as st

import fastloss
from fastloss._registry import METRICS
from conftest import assert_close
from metric_cases import PARAM_VALUES, kwargs_for, n_outputs_for, outcome, values_for

#: Every declared regression metric (the metric registry).
REGRESSION = sorted(METRICS)


@st.composite
def regression_case(draw, metric):
    """Inputs of ``metric`` as users pass them, mostly in its domain; for a
    metric of positive values, now and then a zero or negative value (then
    both libraries must raise the same error)."""
    n = draw(st.integers(1, 300))
    k = draw(st.sampled_from([None, 1, 2, 5]))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    shape = (n,) if k is None else (n, k)
    scale = draw(st.sampled_from([1e-3, 1.0, 1e3]))
    y, p = values_for(metric, rng, shape)
    y, p = y * scale, p * scale
    if draw(st.booleans()):
        y = np.round(y)  # integral targets, converted from ints below (zeros too)
    if metric.domain == "positive" and draw(st.integers(0, 9)) == 0:
        p.flat[rng.integers(p.size)] = draw(st.sampled_from([0.0, -0.5, -1.0, -2.0]))
    weights = draw(st.sampled_from([None, "uniform", "ints", "zeros_some"]))
    if not metric.weighted or weights is None:
        w = None
    elif weights == "uniform":
        w = rng.uniform(0, 3, size=n)
    elif weights == "ints":
        w = rng.integers(1, 4, size=n)
    else:
        w = rng.uniform(0, 1, size=n) * (rng.uniform(size=n) > 0.3)
        w[0] = 1.0
    multioutput = draw(st.sampled_from(["uniform_average", "raw_values", "weights"]))
    if multioutput == "weights":
        multioutput = rng.uniform(0.1, 2, size=k) if k and k > 1 else "uniform_average"
    params = {p.name: draw(st.sampled_from(PARAM_VALUES[p.name])) for p in metric.params}
    kind = draw(st.sampled_from(["float64", "int", "list", "pandas"]))
    if kind == "int":
        y = y.astype(np.int64)
    elif kind == "list":
        y, p = y.tolist(), p.tolist()
    elif kind == "pandas":
        y = pd.Series(y) if y.ndim == 1 else pd.DataFrame(y)
        p = pd.Series(p) if p.ndim == 1 else pd.DataFrame(p)
    return y, p, kwargs_for(metric, w, multioutput, **params)


@pytest.mark.parametrize("name", REGRESSION)
@given(data=st.data())
def test_regression_matches_sklearn(backend, name, data):
    metric = METRICS[name]
    y, p, kwargs = data.draw(regression_case(metric))
    ours, our_warnings = outcome(getattr(fastloss, name), y, p, **kwargs)
    theirs, their_warnings = outcome(getattr(skm, name), y, p, **kwargs)
    assert our_warnings == their_warnings
    if isinstance(theirs, Exception):
        assert type(ours) is type(theirs) and str(ours) == str(theirs)
        return
    assert type(ours) is type(theirs), ours
    if isinstance(theirs, np.ndarray):
        assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    if metric.greater_is_better:
        # Scores are 1 - (a ratio of sums): both libraries agree on the ratio to
        # 1e-12, and the subtraction amplifies that near a score of 0.
        ours, theirs = 1 - np.asarray(ours), 1 - np.asarray(theirs)
    assert_close(ours, theirs, rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("name", REGRESSION)
def test_regression_float32_against_float64_reference(backend, name, rng):
    metric = METRICS[name]
    n = 200_000  # large enough for the parallel kernels
    y, p = values_for(metric, rng, (n, n_outputs_for(metric, 3)))
    y, p = y.astype(np.float32), p.astype(np.float32)
    w = rng.uniform(0, 2, size=n).astype(np.float32) if metric.weighted else None
    ours = getattr(fastloss, name)(y, p, **kwargs_for(metric, w, "raw_values"))
    reference = getattr(skm, name)(
        y.astype(np.float64), p.astype(np.float64),
        **kwargs_for(metric, None if w is None else w.astype(np.float64), "raw_values"),
    )  # fmt: skip
    if not metric.single_output:
        assert ours.dtype == np.float32  # scikit-learn's output dtype for float32 input
    assert_close(ours, reference, rtol=1e-6)


@pytest.mark.parametrize("name", REGRESSION)
@pytest.mark.parametrize("weights", [None, np.float32, np.float64])
def test_regression_result_dtype_of_float32_inputs(backend, name, weights, rng):
    """float32 targets and predictions, with weights of either dtype: the
    raw values come in scikit-learn's dtype (float64 weights make float64)."""
    metric = METRICS[name]
    y, p = values_for(metric, rng, (50, n_outputs_for(metric, 2)))
    y, p = y.astype(np.float32), p.astype(np.float32)
    w = None if weights is None or not metric.weighted else rng.uniform(0.5, 2, 50).astype(weights)
    kwargs = kwargs_for(metric, w, "raw_values")
    ours = getattr(fastloss, name)(y, p, **kwargs)
    theirs = getattr(skm, name)(y, p, **kwargs)
    assert type(ours) is type(theirs)
    if isinstance(theirs, np.ndarray):
        assert ours.dtype == theirs.dtype


@pytest.mark.parametrize("name", REGRESSION)
@pytest.mark.parametrize("n", [1, 7, 4096, 4097, 100_003])
def test_regression_sizes_and_layouts(backend, name, n, rng):
    """Block edges, serial and parallel sizes, and non-contiguous inputs."""
    metric = METRICS[name]
    y, p = values_for(metric, rng, (n, 2))
    w = rng.uniform(size=n) if metric.weighted else None
    f, g = getattr(fastloss, name), getattr(skm, name)
    tol = {"atol": 1e-13} if metric.greater_is_better else {}
    if not metric.single_output:
        assert_close(f(y, p, sample_weight=w), g(y, p, sample_weight=w), **tol)
        assert_close(f(np.asfortranarray(y), p), g(y, p), **tol)
    assert_close(f(y[:, 1], p[:, 0], **kwargs_for(metric, w)),
                 g(y[:, 1], p[:, 0], **kwargs_for(metric, w)), **tol)  # fmt: skip


@st.composite
def binary_case(draw):
    n = draw(st.integers(2, 300))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    codes = rng.integers(0, 2, size=n)
    codes[:2] = [0, 1]
    label_kind = draw(st.sampled_from(["int01", "int_pm1", "float", "bool", "str", "int12"]))
    classes = {
        "int01": np.array([0, 1]),
        "int_pm1": np.array([-1, 1]),
        "float": np.array([0.0, 1.0]),
        "bool": np.array([False, True]),
        "str": np.array(["cat", "dog"]),
        "int12": np.array([1, 2]),
    }[label_kind]
    y = classes[codes]
    p = rng.uniform(size=n)
    extreme = draw(st.sampled_from([None, "zeros_ones", "tiny"]))
    if extreme == "zeros_ones":
        p[rng.uniform(size=n) < 0.2] = 0.0
        p[rng.uniform(size=n) < 0.2] = 1.0
    elif extreme == "tiny":
        p = p**30
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    w = rng.uniform(0, 2, size=n) if draw(st.booleans()) else None
    normalize = draw(st.booleans())
    return y, p.astype(dtype), w, normalize


@given(case=binary_case())
def test_binary_log_loss_matches_sklearn(backend, case):
    y, p, w, normalize = case
    ours = fastloss.log_loss(y, p, sample_weight=w, normalize=normalize)
    theirs = skm.log_loss(y, p, sample_weight=w, normalize=normalize)
    # float32 input: scikit-learn computes in float32, fastloss in float64.
    assert_close(ours, theirs, rtol=1e-12 if p.dtype == np.float64 else 2e-6)


@st.composite
def multiclass_case(draw):
    k = draw(st.integers(3, 8))
    n = draw(st.integers(k, 200))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    codes = rng.integers(0, k, size=n)
    codes[:k] = np.arange(k)
    label_kind = draw(st.sampled_from(["range", "offset", "str", "float"]))
    if label_kind == "range":
        y = codes
    elif label_kind == "offset":
        y = codes * 3 - 5
    elif label_kind == "float":
        y = codes.astype(np.float64)
    else:
        y = np.array([f"class_{c}" for c in range(k)])[codes]
    p = rng.dirichlet(np.ones(k) * 0.5, size=n)
    use_labels = draw(st.booleans())
    labels = np.unique(y) if use_labels else None
    if use_labels and draw(st.booleans()):
        # labels may name classes y_true never shows
        keep = codes != k - 1
        keep[:k - 1] = True
        y = y[keep]
        p = p[keep]
    w = rng.uniform(0, 2, size=len(y)) if draw(st.booleans()) else None
    return y, p, w, labels


@given(case=multiclass_case())
def test_multiclass_log_loss_matches_sklearn(backend, case):
    y, p, w, labels = case
    ours = fastloss.log_loss(y, p, sample_weight=w, labels=labels)
    theirs = skm.log_loss(y, p, sample_weight=w, labels=labels)
    assert_close(ours, theirs, rtol=1e-12)


@st.composite
def blocked_binary_case(draw):
    """Binary log loss inputs spanning several 4096-row kernel blocks, with
    blocks of every kind: random, near-perfect (summed term by term) or mixed."""
    n = draw(st.sampled_from([4096, 8192 + 1, 3 * 4096 + 777, 20_000]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    y = rng.integers(0, 2, size=n)
    y[:2] = [0, 1]
    quality = draw(st.sampled_from(
        ["random", "near_perfect", "mixed", "zeros_ones", "tiny", "threshold"]))
    p = rng.uniform(size=n)
    if quality == "threshold":
        # Mean loss per sample just above 0.01, where the product's relative
        # error bound is loosest (below it, blocks are summed term by term).
        q = np.exp(-rng.exponential(draw(st.sampled_from([0.0101, 0.012, 0.02])), size=n))
        p = np.where(y == 1, q, 1 - q)
    if quality in ("near_perfect", "mixed"):
        delta = draw(st.sampled_from([1e-2, 1e-3, 1e-6]))
        good = np.where(y == 1, 1 - delta * rng.uniform(size=n), delta * rng.uniform(size=n))
        p = good if quality == "near_perfect" else np.where(np.arange(n) < n // 2, good, p)
    elif quality == "zeros_ones":
        p[rng.uniform(size=n) < 0.2] = 0.0
        p[rng.uniform(size=n) < 0.2] = 1.0
    elif quality == "tiny":
        p = p**30
    label_dtype = draw(st.sampled_from([np.int64, np.float64, np.float32, bool, np.int8]))
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    return y.astype(label_dtype), p.astype(dtype)


@given(case=blocked_binary_case())
def test_binary_log_loss_blocks_match_sklearn(backend, case):
    y, p = case
    ours = fastloss.log_loss(y, p)
    theirs = skm.log_loss(y, p)
    if p.dtype == np.float64:
        assert_close(ours, theirs, rtol=1e-12)
    else:
        # scikit-learn's float32 logs of q near 1 carry absolute errors of
        # float32's resolution at 1 (6e-8); fastloss's logs are float64.
        assert_close(ours, theirs, rtol=2e-6, atol=2e-7)
    # Exact float64 reference, whatever the input dtype (clipped in p's dtype).
    eps = np.finfo(p.dtype).eps
    q = np.clip(np.where(y == 1, p, 1 - p), eps, 1 - eps).astype(np.float64)
    assert_close(ours, -np.mean(np.log(q)), rtol=1e-12 if p.dtype == np.float64 else 1e-6)


def test_log_loss_float16_clips_at_float16_eps(backend, rng):
    """scikit-learn computes float16 probabilities in float16, clipped at its
    epsilon (2**-10); fastloss computes them in float64 but clips them there
    too (the fuzz test found it clipping at float64's epsilon)."""
    y = np.array([0, 1, 1, 0])
    p = np.array([0.0, 0.0, 1.0, 0.25], dtype=np.float16)
    assert_close(fastloss.log_loss(y, p), skm.log_loss(y, p), rtol=50 * 2.0**-10)
    y3 = rng.integers(0, 3, size=200)
    p3 = rng.dirichlet(np.ones(3), size=200).astype(np.float16)  # rows sum to 1 +- 2**-10
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nor warn that rows do not sum to one
        ours = fastloss.log_loss(y3, p3)
    assert_close(ours, skm.log_loss(y3, p3), rtol=50 * 2.0**-10)


def test_log_loss_large_parallel(backend, rng):
    n = 300_000
    y = rng.integers(0, 2, size=n)
    p = rng.uniform(size=n)
    assert_close(fastloss.log_loss(y, p), skm.log_loss(y, p))
    y3 = rng.integers(0, 5, size=n)
    p3 = rng.dirichlet(np.ones(5), size=n)
    w = rng.uniform(size=n)
    assert_close(fastloss.log_loss(y3, p3, sample_weight=w), skm.log_loss(y3, p3, sample_weight=w))


def test_log_loss_pandas_and_lists(backend):
    y = pd.Series(["b", "a", "b", "a"])
    p = pd.DataFrame({"a": [0.2, 0.7, 0.4, 0.9], "b": [0.8, 0.3, 0.6, 0.1]})
    assert_close(fastloss.log_loss(y, p), skm.log_loss(y, p))
    assert_close(fastloss.log_loss([1, 0, 1], [[0.1, 0.9], [0.6, 0.4], [0.5, 0.5]]),
                 skm.log_loss([1, 0, 1], [[0.1, 0.9], [0.6, 0.4], [0.5, 0.5]]))
    # (n, 1) probabilities are the positive class, as in scikit-learn
    assert_close(fastloss.log_loss([0, 1], [[0.2], [0.3]]), skm.log_loss([0, 1], [[0.2], [0.3]]))


def test_log_loss_indicator_matrix(backend):
    y = np.array([[0, 1, 0], [1, 0, 0], [0, 0, 1]])
    p = np.array([[0.2, 0.7, 0.1], [0.6, 0.3, 0.1], [0.1, 0.1, 0.8]])
    assert_close(fastloss.log_loss(y, p), skm.log_loss(y, p))


def _warning_texts(func, *args, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = func(*args, **kwargs)
    return value, sorted((w.category.__name__, str(w.message)) for w in caught)


@pytest.mark.parametrize(
    "args,kwargs",
    [
        (([0, 1, 2], [[0.2, 0.7, 0.3], [0.3, 0.6, 0.1], [0.5, 0.4, 0.1]]), {}),  # rows != 1
        (([0, 1, 1], [[0.2, 0.8], [0.3, 0.7], [0.5, 0.5]]), {"labels": [1, 0]}),  # unordered
        (([0, 1, 1], [0.2, 0.7, 0.9]), {}),  # no warning
    ],
)
def test_log_loss_warnings_match_sklearn(backend, args, kwargs):
    ours, our_warnings = _warning_texts(fastloss.log_loss, *args, **kwargs)
    theirs, their_warnings = _warning_texts(skm.log_loss, *args, **kwargs)
    assert_close(ours, theirs)
    assert our_warnings == their_warnings


def test_log_loss_y_pred_deprecated_alias(backend):
    with pytest.warns(FutureWarning, match="renamed to `y_proba`"):
        value = fastloss.log_loss([0, 1], y_pred=[0.3, 0.6])
    assert_close(value, skm.log_loss([0, 1], [0.3, 0.6]))
    with pytest.raises(ValueError, match="Cannot use both"):
        fastloss.log_loss([0, 1], [0.3, 0.6], y_pred=[0.3, 0.6])


def test_metrics_do_not_modify_inputs(backend, rng):
    y = rng.normal(size=(1000, 2))
    p = rng.normal(size=(1000, 2))
    w = rng.uniform(size=1000)
    copies = [a.copy() for a in (y, p, w)]
    # (The regression metrics: test_metric_family.py, read-only inputs too.)
    yb = rng.integers(0, 2, size=1000)
    pb = rng.uniform(size=1000)
    yb0, pb0 = yb.copy(), pb.copy()
    fastloss.log_loss(yb, pb, sample_weight=w)
    for a, b in zip((y, p, w, yb, pb), copies + [yb0, pb0]):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("dtype", [np.int8, np.int64, np.uint16, np.uint32])
def test_small_range_label_codes_match_a_search(dtype, rng):
    """Integer labels of a small range reach the kernels as codes from a table
    (no sort, no search per label): the classes np.unique finds and the
    positions np.searchsorted finds, -1 for labels not among the classes."""
    from fastloss._log_loss_core import SMALL_LABEL_SPAN, small_range_encoding

    def distinct_small_range(y):
        found = small_range_encoding(y)
        return None if found is None else found[0]

    def small_range_codes(y, classes):
        found = small_range_encoding(y, classes)
        return None if found is None else found[1]

    low = 0 if np.dtype(dtype).kind == "u" else -50
    y = rng.integers(low, low + 100, size=5000).astype(dtype)
    np.testing.assert_array_equal(distinct_small_range(y), np.unique(y))
    classes = np.unique(y)[::2]  # every other label is not a class
    pos = np.minimum(np.searchsorted(classes, y), len(classes) - 1)
    expected = np.where(classes[pos] == y, pos, -1)
    np.testing.assert_array_equal(small_range_codes(y, classes), expected)
    # Classes outside the labels' range take no part.
    wider = np.concatenate([classes.astype(np.int64), [int(classes.max()) + 1000]])
    np.testing.assert_array_equal(small_range_codes(y, wider), expected)
    # The whole range of a narrow dtype (y - min overflows in the dtype itself).
    info = np.iinfo(dtype)
    if info.max - info.min < SMALL_LABEL_SPAN:
        edges = np.array([info.min, info.max, info.min, 0], dtype=dtype)
        np.testing.assert_array_equal(distinct_small_range(edges), np.unique(edges))
        np.testing.assert_array_equal(small_range_codes(edges, np.unique(edges)),
                                      np.searchsorted(np.unique(edges), edges))
    # Beyond the span (or not integers): None, for the sort and the search.
    spread = np.array([0, SMALL_LABEL_SPAN], dtype=np.int64)
    assert distinct_small_range(spread) is None
    assert small_range_codes(y.astype(np.float64), classes) is None


@pytest.mark.parametrize("labels", [None, [-6, -3, 0, 3, 6]])
def test_log_loss_of_integer_labels_other_than_columns(backend, labels, rng):
    """Labels such as -1/1 or multiples of 3 (mapped through a table) give
    scikit-learn's values, and its error for a label not in ``labels``."""
    y = rng.choice([-1, 1], size=3000)
    p = rng.uniform(0.01, 0.99, size=3000)
    w = rng.uniform(0.5, 2.0, size=3000)
    assert_close(fastloss.log_loss(y, p, sample_weight=w), skm.log_loss(y, p, sample_weight=w),
                 rtol=1e-12)
    y5 = rng.integers(-2, 3, size=3000) * 3
    p5 = rng.dirichlet(np.ones(5), size=3000)
    assert_close(fastloss.log_loss(y5, p5, labels=labels), skm.log_loss(y5, p5, labels=labels),
                 rtol=1e-12)
    with pytest.raises(ValueError, match=r"not belonging to the passed labels"):
        fastloss.log_loss(y5, p5, labels=[-6, -3, 0, 3, 7])
