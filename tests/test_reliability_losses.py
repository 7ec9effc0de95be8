"""Reliability of the fused losses (issue #16, defects 9-11).

- ``gradient_out`` sharing memory with the inputs (exactly, shifted, reversed,
  strided) gives the gradient of the inputs as given, or a ValueError;
- float32 logits of BinaryCrossEntropy: no float32 overflow of partial sums,
  the same target check as float64, the same results on both backends;
- results that do not depend on the number of threads beyond the last rounding.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn._loss.loss import HalfBinomialLoss, HalfMultinomialLoss

import fastloss
from fastloss import _jit
from fastloss.losses import LOSSES
from registry_cases import N_CLASSES, make_case, names

K = N_CLASSES  # classes of the (n, k) losses


def _k(name):
    return K if LOSSES[name]._raw_ndim == 2 else 1


def _shared_buffer(name, length, rng, dtype):
    """One buffer whose values are valid targets, raw predictions and weights of loss ``name``."""
    kind = LOSSES[name]().target_kind
    if kind == "class_index":  # labels, logits and weights: small integers
        return rng.integers(0, K, size=length).astype(dtype)
    if kind == "binary":
        return rng.integers(0, 2, size=length).astype(dtype)
    return rng.uniform(0.01, 1.0, size=length).astype(dtype)  # real, (non)negative, probability

EPS32 = float(np.finfo(np.float32).eps)


# -- 9. gradient_out overlapping the inputs --------------------------------------


def _view(buf, size, spec):
    """A 1-D view of ``size`` elements of ``buf``: (start, step) with step 1, 2 or -1."""
    start, step = spec
    if step > 0:
        return buf[start : start + step * (size - 1) + 1 : step]
    return buf[start - size + 1 : start + 1][::-1]


@st.composite
def _view_spec(draw, length, size):
    step = draw(st.sampled_from([1, 1, 2, -1]))
    span = abs(step) * (size - 1) + 1
    if step > 0:
        return draw(st.integers(0, length - span)), step
    return draw(st.integers(span - 1, length - 1)), step


@st.composite
def _aliasing_case(draw):
    name = draw(st.sampled_from(names()))
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    n = draw(st.sampled_from([1, 2, 7, 300, 5000, 70_000]))
    k = _k(name)
    length = 3 * n * k + 5
    specs = {
        "y": draw(_view_spec(length, n)),
        "raw": draw(_view_spec(length, n * k)),
        "w": draw(st.none() | _view_spec(length, n)),
    }
    grad = draw(st.sampled_from(["is_raw", "view", "view", "view"]))
    specs["grad"] = grad if grad == "is_raw" else draw(_view_spec(length, n * k))
    seed = draw(st.integers(0, 2**32 - 1))
    return name, dtype, n, k, length, specs, seed


@given(case=_aliasing_case())
def test_gradient_out_sharing_memory_with_the_inputs(backend, case):
    """Every view of one buffer: the fresh-copy gradient, or a ValueError; never a wrong value."""
    name, dtype, n, k, length, specs, seed = case
    rng = np.random.default_rng(seed)
    buf = _shared_buffer(name, length, rng, dtype)
    before = buf.copy()
    # Which elements of buf the gradient_out covers (may legitimately change).
    positions = np.arange(length)

    def views(a):
        y = _view(a, n, specs["y"])
        raw = _view(a, n * k, specs["raw"])
        if k > 1:
            raw = raw.reshape(n, k)
        w = None if specs["w"] is None else _view(a, n, specs["w"])
        if specs["grad"] == "is_raw":
            grad = raw
        else:
            grad = _view(a, n * k, specs["grad"])
            grad = grad.reshape(n, k) if k > 1 else grad
        return y, raw, w, grad

    y, raw, w, grad = views(buf)
    covered = np.zeros(length, bool)
    covered[views(positions)[3].reshape(-1)] = True
    loss = LOSSES[name]()

    fresh_error = None
    try:
        expected = loss.loss_gradient(
            y.copy(), raw.copy(), None if w is None else w.copy()
        )
    except ValueError as exc:  # all-zero weights, say
        fresh_error = exc
    try:
        got = loss.loss_gradient(y, raw, w, gradient_out=grad)
    except ValueError:
        got = None  # refusing is allowed (non-contiguous gradient_out, say)
    if fresh_error is not None:
        assert got is None, f"fresh copies raise {fresh_error!r}, the views did not"
    elif got is not None:
        assert got[1] is grad
        np.testing.assert_array_equal(got[1], expected[1])
        assert got[0] == expected[0]
    # Nothing outside gradient_out was written.
    np.testing.assert_array_equal(buf[~covered], before[~covered])
    if got is None:
        np.testing.assert_array_equal(buf, before)


@pytest.mark.parametrize("name", names())
def test_gradient_out_shifted_by_one_over_raw_prediction(backend, name):
    """The issue's example, for every loss (2-D views for CrossEntropy)."""
    k = _k(name)
    n = 200_000 // k
    buf = np.linspace(0, 1, n * k + k)
    rng = np.random.default_rng(0)
    y = make_case(LOSSES[name], LOSSES[name](), n, rng)[0]
    raw, out = buf[:-k], buf[k:]
    if k > 1:
        raw, out = raw.reshape(n, k), out.reshape(n, k)
    expected = LOSSES[name]().loss_gradient(y, raw.copy())
    value, grad = LOSSES[name]().loss_gradient(y, raw, gradient_out=out)
    assert grad is out
    np.testing.assert_array_equal(grad, expected[1])
    assert value == expected[0]


@pytest.mark.parametrize("target", ["y", "w"])
def test_gradient_out_overlapping_targets_or_weights(backend, target):
    n = 100_000
    rng = np.random.default_rng(1)
    buf = rng.uniform(size=n + 1)
    raw = rng.normal(size=n)
    y, w = rng.uniform(size=n), rng.uniform(size=n)
    if target == "y":
        y = buf[:-1]
    else:
        w = buf[:-1]
    expected = fastloss.BinaryCrossEntropy().loss_gradient(y.copy(), raw, w.copy())
    value, grad = fastloss.BinaryCrossEntropy().loss_gradient(y, raw, w, gradient_out=buf[1:])
    np.testing.assert_array_equal(grad, expected[1])
    assert value == expected[0]


def test_exact_alias_still_reports_the_bad_input(backend):
    """Written in place during the pass, gradient_out hid an infinite logit or a bad target."""
    raw = np.array([np.inf, 0.0])
    with pytest.raises(ValueError, match="infinity"):
        fastloss.BinaryCrossEntropy().loss_gradient([0.0, 1.0], raw, gradient_out=raw)
    assert raw[0] == np.inf and raw[1] == 0.0  # not written: the call failed
    y = np.array([2.0, 1.0])
    with pytest.raises(ValueError, match=r"y_true in \[0, 1\]; got 2.0 at index 0"):
        fastloss.BinaryCrossEntropy().loss_gradient(y, [0.0, 0.0], gradient_out=y)
    raw = np.zeros((2, 3))
    raw[0, 1] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        fastloss.CrossEntropy().loss_gradient([0, 1], raw, gradient_out=raw)


@pytest.mark.parametrize("name", names())
def test_gradient_out_is_raw_prediction(backend, name):
    rng = np.random.default_rng(2)
    n = 60_000
    y, raw = make_case(LOSSES[name], LOSSES[name](), n, rng)
    expected = LOSSES[name]().loss_gradient(y, raw.copy())
    value, grad = LOSSES[name]().loss_gradient(y, raw, gradient_out=raw)
    assert grad is raw
    np.testing.assert_array_equal(grad, expected[1])
    assert value == expected[0]


# -- 10. BinaryCrossEntropy with float32 logits -----------------------------------


def _sklearn_binary(y, raw, w=None):
    """sklearn's HalfBinomialLoss on float64 copies: (mean loss, gradient / sum(w))."""
    y64, raw64 = np.asarray(y, np.float64), np.asarray(raw, np.float64)
    w64 = None if w is None else np.asarray(w, np.float64)
    loss, grad = HalfBinomialLoss().loss_gradient(y64, raw64, sample_weight=w64)
    wsum = len(y64) if w is None else w64.sum()
    return loss.sum() / wsum, grad / wsum


def _float32_tolerance(raw, w=None):
    """float32 arithmetic rounds each loss term to a few ulps of |raw| + 1."""
    a = np.abs(np.asarray(raw, np.float64)) + 1.0
    mean = a.mean() if w is None else (w * a).sum() / w.sum()
    return 8 * EPS32 * mean


@pytest.mark.parametrize("n", [2, 100_000, 100_001])
@pytest.mark.parametrize("weighted", [False, True])
def test_float32_logits_near_the_float32_limit_do_not_overflow(backend, n, weighted):
    y = np.tile(np.array([0, 1], np.float32), n // 2 + 1)[:n]
    raw = np.tile(np.array([3e38, -3e38], np.float32), n // 2 + 1)[:n]
    w = np.random.default_rng(3).uniform(1, 2, size=n) if weighted else None
    expected, expected_grad = _sklearn_binary(y, raw, w)
    assert np.isfinite(expected)
    bce = fastloss.BinaryCrossEntropy()
    for value in (bce.loss(y, raw, w), bce.loss_gradient(y, raw, w)[0]):
        assert np.isfinite(value)
        np.testing.assert_allclose(value, expected, rtol=1e-6)
    grad = bce.gradient(y, raw, w)
    assert grad.dtype == np.float32
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-6, atol=1e-7 * np.abs(expected_grad).max())


@pytest.mark.parametrize("target", [1 + 1e-10, float(np.nextafter(1.0, 2.0)), -1e-50, -5e-324])
@pytest.mark.parametrize("raw_dtype", [np.float32, np.float64])
def test_targets_just_outside_0_1_are_refused_for_float32_logits(backend, target, raw_dtype):
    y = np.full(1000, 0.5)
    y[7] = target
    raw = np.zeros(1000, raw_dtype)
    bce = fastloss.BinaryCrossEntropy()
    for call in (bce.loss, bce.loss_gradient, bce.gradient):
        with pytest.raises(ValueError, match=r"needs y_true in \[0, 1\]"):
            call(y, raw)


@st.composite
def _binary_case(draw):
    n = draw(st.integers(1, 700))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    huge = draw(st.sampled_from([0.0, 0.01, 0.5, 1.0]))  # share of logits near float32's limit
    raw = rng.normal(scale=draw(st.sampled_from([1.0, 30.0, 1e4])), size=n)
    big = rng.uniform(size=n) < huge
    raw[big] = rng.choice([-1, 1], size=big.sum()) * rng.uniform(1e37, 3.4e38, size=big.sum())
    raw = raw.astype(np.float32)
    soft = draw(st.booleans())
    y = rng.uniform(size=n) if soft else rng.integers(0, 2, size=n).astype(np.float64)
    if draw(st.booleans()):  # a target just outside [0, 1] somewhere
        y[rng.integers(n)] = draw(st.sampled_from([1 + 1e-10, -1e-50, 1.5, -0.5, 1 + 2e-16]))
    y_dtype = draw(st.sampled_from([np.float64, np.float32]))
    w = rng.uniform(0.5, 2, size=n) if draw(st.booleans()) else None
    return y.astype(y_dtype), raw, w


@given(case=_binary_case())
def test_float32_logits_both_backends_agree_with_sklearn(case):
    y, raw, w = case
    valid = bool(np.all((y >= 0) & (y <= 1)))
    results = {}
    for backend in ("numba", "numpy"):
        with fastloss.use_backend(backend):
            bce = fastloss.BinaryCrossEntropy()
            if not valid:
                for call in (bce.loss, bce.loss_gradient):
                    with pytest.raises(ValueError, match=r"needs y_true in \[0, 1\]"):
                        call(y, raw, w)
                continue
            value = bce.loss(y, raw, w)
            value2, grad = bce.loss_gradient(y, raw, w)
            results[backend] = value, grad
            assert value2 == value or abs(value2 - value) <= _float32_tolerance(raw, w)
    if not valid:
        return
    expected, expected_grad = _sklearn_binary(y, raw, w)
    tol = _float32_tolerance(raw, w)
    scale = 1.0 / len(y) if w is None else w.max() / w.sum()
    for backend, (value, grad) in results.items():
        assert np.isfinite(value), backend
        assert abs(value - expected) <= tol + 1e-6 * abs(expected), (backend, value, expected)
        assert grad.dtype == np.float32
        np.testing.assert_allclose(grad, expected_grad, rtol=1e-6, atol=4 * EPS32 * scale)
    (a, ga), (b, gb) = results["numba"], results["numpy"]
    assert abs(a - b) <= tol + 1e-6 * abs(b)
    np.testing.assert_allclose(ga, gb, rtol=1e-6, atol=4 * EPS32 * scale)


# -- 11. results independent of the thread count -----------------------------------

N = 3 * 4096 * 7 + 1234  # not a multiple of 4096, above the split threshold


def _within_last_rounding(got, ref, weighted):
    """One ulp of the total (up to 2 ulps of the mean, whose mantissa is not
    aligned with the total's), plus one of the weight sum when weighted."""
    ulps = 3 if weighted else 2
    return abs(got - ref) <= ulps * np.spacing(abs(ref))


def _thread_calls(dtype, weighted):
    rng = np.random.default_rng(4)
    w = rng.uniform(size=N) if weighted else None
    labels = rng.integers(0, 10, size=N)
    logits = (rng.normal(size=(N, 10)) * 4).astype(dtype)
    y, p = rng.normal(size=N).astype(dtype), rng.normal(size=N).astype(dtype)
    yb, pb = rng.integers(0, 2, size=N), rng.uniform(0.01, 0.99, size=N).astype(dtype)
    y2, p2 = rng.normal(size=(N, 2)).astype(dtype), rng.normal(size=(N, 2)).astype(dtype)
    return {
        "CrossEntropy": lambda: fastloss.CrossEntropy().loss_gradient(labels, logits, w),
        "CrossEntropy.loss": lambda: fastloss.CrossEntropy().loss(labels, logits, w),
        "BinaryCrossEntropy": lambda: fastloss.BinaryCrossEntropy().loss_gradient(yb, p, w),
        "BinaryCrossEntropy.loss": lambda: fastloss.BinaryCrossEntropy().loss(yb, p, w),
        "MeanSquaredError": lambda: fastloss.MeanSquaredError().loss_gradient(y, p, w),
        "log_loss": lambda: fastloss.log_loss(yb, pb, sample_weight=w),
        "mean_squared_error": lambda: fastloss.mean_squared_error(y, p, sample_weight=w),
        "mean_absolute_error": lambda: fastloss.mean_absolute_error(y, p, sample_weight=w),
        "mse_raw_values": lambda: fastloss.mean_squared_error(
            y2, p2, sample_weight=w, multioutput="raw_values"
        ),
    }


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_results_do_not_depend_on_the_thread_count(restore_threads, dtype, weighted):
    assert N % 4096 and N >= _jit.PARALLEL_MIN_SIZE
    with fastloss.use_backend("numba"):
        calls = _thread_calls(dtype, weighted)
        results = {}
        for threads in (1, 2, 3, 4):
            fastloss.set_num_threads(threads)
            results[threads] = {name: call() for name, call in calls.items()}
    for name in calls:
        ref = results[1][name]
        for threads in (2, 3, 4):
            got = results[threads][name]
            if isinstance(got, tuple):
                value, grad = got
                assert _within_last_rounding(value, ref[0], weighted), (name, threads, value, ref[0])
                if weighted:  # the scale 1 / sum(w) may move by the weight sum's last rounding
                    np.testing.assert_allclose(grad, ref[1], rtol=4 * np.finfo(dtype).eps, atol=0)
                else:  # per element: the split changes no bit
                    np.testing.assert_array_equal(grad, ref[1])
            else:
                for g, r in zip(np.atleast_1d(got), np.atleast_1d(ref)):
                    assert _within_last_rounding(g, r, weighted), (name, threads, g, r)


def test_float32_cross_entropy_matches_sklearn_for_any_thread_count(restore_threads):
    """The issue's case: 300000 x 10 float32 logits, 1-4 threads."""
    rng = np.random.default_rng(5)
    n = 300_000
    labels = rng.integers(0, 10, size=n)
    logits = rng.normal(size=(n, 10)).astype(np.float32)
    expected = HalfMultinomialLoss(n_classes=10).loss(labels.astype(np.float64), logits.astype(np.float64)).mean()
    values = []
    with fastloss.use_backend("numba"):
        for threads in (1, 2, 3, 4):
            fastloss.set_num_threads(threads)
            values.append(fastloss.CrossEntropy().loss(labels, logits))
    for value in values:
        assert _within_last_rounding(value, values[0], False), values
        np.testing.assert_allclose(value, expected, rtol=1e-6)
