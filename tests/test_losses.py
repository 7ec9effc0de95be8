"""Fused loss objects: values and gradients against float64 references."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.special import expit, log_expit, logsumexp
from sklearn._loss.loss import HalfBinomialLoss, HalfMultinomialLoss, HalfSquaredError

import fastloss
from conftest import assert_close
from fastloss._losses._cases import draw_inputs
from fastloss.losses import LOSSES
from registry_cases import N_CLASSES, default_cases, floor
from registry_cases import reference as declared_reference


def ref_squared(y, raw):
    d = raw - y
    return d**2, 2 * d


def ref_absolute(y, raw):
    d = raw - y
    return np.abs(d), np.sign(d)


def ref_binary(y, raw):
    # -[y log(sigmoid(raw)) + (1 - y) log(1 - sigmoid(raw))], via SciPy's accurate log_expit
    return -(y * log_expit(raw) + (1 - y) * log_expit(-raw)), expit(raw) - y


def ref_softmax(y, raw):
    n, k = raw.shape
    rows = np.arange(n)
    lse = logsumexp(raw, axis=1)
    large = lse - raw[rows, y]
    # Small losses: log1p(sum_{j != y} exp(raw_j - raw_y)) avoids the cancellation
    # of lse - raw_y; it overflows only where the loss is large anyway.
    with np.errstate(over="ignore"):
        rel = np.exp(raw - raw[rows, y][:, None])
    rel[rows, y] = 0.0
    small = np.log1p(rel.sum(axis=1))
    loss = np.where(large > 1.0, large, small)
    grad = np.exp(raw - lse[:, None])
    grad[rows, y] = np.expm1(-loss)  # softmax_y - 1, without cancellation
    return loss, grad


# The loss of one specific numerics test below is named there; every test
# over "all losses" takes the registry and each loss's declared reference.
SPECIAL_REFERENCES = {"binary": ref_binary, "softmax": ref_softmax}
ALL = default_cases()


def make_case(name, n, rng, k=N_CLASSES, scale=1.0, dtype=np.float64):
    """(y, raw) for the registered loss ``name``: targets of its declared domain."""
    cls = LOSSES[name]
    y, raw = draw_inputs(cls(), n, rng, n_classes=k, scale=scale)
    return y, raw.astype(dtype)


def grad_atol(n, w=None):
    """Absolute tolerance for gradients: ``p - 1`` near ``p = 1`` cancels, so an
    entry carries an absolute rounding error of a few ulps of its scale w_i / sum(w)."""
    return 1e-14 * (1.0 / n if w is None else np.max(w) / np.sum(w))


def reference(name, y, raw, w):
    """Weighted mean and gradient of the mean: the declared reference of loss ``name``
    (or, for "binary"/"softmax", the accurate formulas of the numerics tests below)."""
    if name in SPECIAL_REFERENCES:
        values, slopes = SPECIAL_REFERENCES[name](y, raw.astype(np.float64))
    else:
        cls = LOSSES[name]
        values, slopes = declared_reference(cls, cls(), y, raw.astype(np.float64))
    w = np.ones(len(values)) if w is None else w
    grad = slopes * (w / w.sum()).reshape((-1,) + (1,) * (slopes.ndim - 1))
    return (w * values).sum() / w.sum(), grad


def atol_of(values):
    """Values that cancel to near zero (exp(raw) - y * raw, say): a few ulps of their scale."""
    return floor(values)


@pytest.mark.parametrize("name", ALL)
@given(
    n=st.integers(1, 500),
    seed=st.integers(0, 2**32 - 1),
    weighted=st.booleans(),
    scale=st.sampled_from([0.1, 1.0, 3.0]),
)
def test_loss_and_gradient_match_reference(backend, name, n, seed, weighted, scale):
    rng = np.random.default_rng(seed)
    y, raw = make_case(name, n, rng, scale=scale)
    w = rng.uniform(0, 2, size=n) if weighted else None
    if w is not None and w.sum() == 0:
        w[0] = 1.0
    loss = LOSSES[name]()
    expected_loss, expected_grad = reference(name, y, raw, w)
    value, grad = loss.loss_gradient(y, raw, sample_weight=w)
    atol = atol_of(reference(name, y, raw, None)[0]) if n else 0.0
    assert_close(value, expected_loss, rtol=1e-12, atol=atol)
    assert_close(grad, expected_grad, rtol=1e-12, atol=max(grad_atol(len(y), w), floor(expected_grad)))
    assert_close(loss.loss(y, raw, sample_weight=w), expected_loss, rtol=1e-12, atol=atol)
    assert_close(
        loss.gradient(y, raw, sample_weight=w), expected_grad, rtol=1e-12,
        atol=max(grad_atol(len(y), w), floor(expected_grad)),
    )


@pytest.mark.parametrize("name", ALL)
def test_large_inputs_parallel_path(backend, name, rng):
    n = 150_001
    y, raw = make_case(name, n, rng, k=10)
    w = rng.uniform(0, 2, size=n)
    value, grad = LOSSES[name]().loss_gradient(y, raw, sample_weight=w)
    expected_loss, expected_grad = reference(name, y, raw, w)
    assert_close(value, expected_loss, rtol=1e-12)
    assert_close(grad, expected_grad, rtol=1e-12, atol=max(grad_atol(len(y), w), floor(expected_grad)))


@pytest.mark.parametrize("name", ALL)
def test_gradient_matches_central_differences(backend, name, rng):
    n = 12
    y, raw = make_case(name, n, rng, k=3)
    loss = LOSSES[name]()
    if LOSSES[name].raw == "identity":  # away from kinks (|d| = 0, delta, epsilon, ...)
        raw = y + np.where(rng.uniform(size=n) < 0.5, -1, 1) * rng.uniform(0.3, 0.45, size=n)
    w = rng.uniform(0.5, 2, size=n)
    grad = loss.gradient(y, raw, sample_weight=w)
    h = 1e-6
    numeric = np.empty_like(raw)
    for idx in np.ndindex(raw.shape):
        up, down = raw.copy(), raw.copy()
        up[idx] += h
        down[idx] -= h
        numeric[idx] = (loss.loss(y, up, sample_weight=w) - loss.loss(y, down, sample_weight=w)) / (2 * h)
    assert_close(grad, numeric, rtol=1e-5, atol=1e-9)


@pytest.mark.parametrize("special", ["binary", "softmax"])
@given(n=st.integers(1, 300), seed=st.integers(0, 2**32 - 1), weighted=st.booleans(),
       scale=st.sampled_from([0.1, 1.0, 30.0]))  # fmt: skip
def test_logits_of_any_scale_match_accurate_formulas(backend, special, n, seed, weighted, scale):
    """BinaryCrossEntropy's and CrossEntropy's numerics at large logits (soft labels
    included), against formulas more accurate there than scikit-learn's."""
    rng = np.random.default_rng(seed)
    if special == "softmax":
        loss, raw, y = fastloss.CrossEntropy(), rng.normal(size=(n, 4)) * scale, rng.integers(0, 4, size=n)
    else:
        loss, raw = fastloss.BinaryCrossEntropy(), rng.normal(size=n) * scale
        y = rng.uniform(size=n) if rng.uniform() < 0.3 else rng.integers(0, 2, size=n) * 1.0
    w = rng.uniform(0.01, 2, size=n) if weighted else None
    expected_loss, expected_grad = reference(special, y, raw, w)
    value, grad = loss.loss_gradient(y, raw, sample_weight=w)
    assert_close(value, expected_loss, rtol=1e-12)
    assert_close(grad, expected_grad, rtol=1e-12, atol=grad_atol(len(y), w))
    assert_close(loss.loss(y, raw, sample_weight=w), expected_loss, rtol=1e-12)


def test_same_results_as_sklearn_loss_module(backend, rng):
    n = 1000
    y = rng.normal(size=n)
    raw = rng.normal(size=n)
    w = rng.uniform(size=n)
    half = HalfSquaredError()
    assert_close(
        fastloss.MeanSquaredError().loss(y, raw, sample_weight=w),
        2 * half(y, raw, sample_weight=w),
    )
    yb = rng.integers(0, 2, size=n).astype(float)
    assert_close(
        fastloss.BinaryCrossEntropy().loss(yb, raw, sample_weight=w),
        HalfBinomialLoss()(yb, raw, sample_weight=w),
    )
    raw3 = rng.normal(size=(n, 5))
    y3 = rng.integers(0, 5, size=n).astype(float)
    sk_loss, sk_grad = HalfMultinomialLoss(n_classes=5).loss_gradient(y3, raw3, sample_weight=w)
    value, grad = fastloss.CrossEntropy().loss_gradient(y3, raw3, sample_weight=w)
    assert_close(value, (sk_loss.sum() / w.sum()))
    assert_close(grad, sk_grad / w.sum(), atol=grad_atol(n, w))


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("n", [100, 200_000])
def test_float32_keeps_dtype_and_accuracy(backend, name, n, rng):
    y, raw = make_case(name, n, rng, dtype=np.float32)
    value, grad = LOSSES[name]().loss_gradient(y, raw)
    assert grad.dtype == np.float32 and grad.shape == raw.shape
    expected_loss, expected_grad = reference(name, y, raw, None)
    assert_close(value, expected_loss, rtol=1e-6)
    assert_close(grad, expected_grad, rtol=1e-5, atol=1e-6 * np.abs(expected_grad).max())


@pytest.mark.parametrize("name", ALL)
def test_gradient_out_is_filled_in_place(backend, name, rng):
    y, raw = make_case(name, 50, rng)
    out = np.empty_like(raw)
    value, grad = LOSSES[name]().loss_gradient(y, raw, gradient_out=out)
    assert grad is out
    expected = reference(name, y, raw, None)[1]
    assert_close(out, expected, atol=grad_atol(len(y)))
    with pytest.raises(ValueError, match="gradient_out must be"):
        LOSSES[name]().loss_gradient(y, raw, gradient_out=np.empty(raw.shape, np.float32))
    with pytest.raises(ValueError, match="gradient_out must be"):
        LOSSES[name]().loss_gradient(y, raw, gradient_out=np.empty(raw.size + 1))


def test_extreme_logits_are_stable(backend):
    raw = np.array([-1e4, -800.0, -40.0, 0.0, 40.0, 800.0, 1e4])
    for y in (np.zeros(7), np.ones(7), np.full(7, 0.25)):
        value, grad = fastloss.BinaryCrossEntropy().loss_gradient(y, raw)
        expected_loss, expected_grad = reference("binary", y, raw, None)
        assert np.isfinite(value) and np.isfinite(grad).all()
        assert_close(value, expected_loss, rtol=1e-12)
        assert_close(grad, expected_grad, rtol=1e-12, atol=grad_atol(len(y)))
    raw2 = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [5e3, 1e4, -3e3]])
    y2 = np.array([1, 2, 1])
    value, grad = fastloss.CrossEntropy().loss_gradient(y2, raw2)
    expected_loss, expected_grad = reference("softmax", y2, raw2, None)
    assert np.isfinite(value) and np.isfinite(grad).all()
    assert_close(value, expected_loss, rtol=1e-12)
    assert_close(grad, expected_grad, rtol=1e-12, atol=grad_atol(len(y2)))


@pytest.mark.parametrize("name", ALL)
def test_inputs_are_not_modified(backend, name, rng):
    y, raw = make_case(name, 1000, rng)
    w = rng.uniform(size=1000)
    before = [a.copy() for a in (y, raw, w)]
    loss = LOSSES[name]()
    loss.loss_gradient(y, raw, sample_weight=w)
    loss.loss(y, raw, sample_weight=w)
    for a, b in zip((y, raw, w), before):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("what", ["nan", "inf"])
def test_non_finite_raw_prediction_raises(backend, name, what, rng):
    y, raw = make_case(name, 10, rng)
    raw[3] = np.nan if what == "nan" else np.inf
    word = "NaN" if what == "nan" else "infinity"
    loss = LOSSES[name]()
    with pytest.raises(ValueError, match=f"Input raw_prediction contains {word}"):
        loss.loss(y, raw)
    with pytest.raises(ValueError, match=f"Input raw_prediction contains {word}"):
        loss.loss_gradient(y, raw)


@pytest.mark.parametrize(
    "loss,y,raw,message",
    [
        (fastloss.BinaryCrossEntropy(), [0, 1.5], [0.0, 1.0], r"y_true in \[0, 1\]"),
        (fastloss.BinaryCrossEntropy(), [0, -1], [0.0, 1.0], r"y_true in \[0, 1\]"),
        (fastloss.CrossEntropy(), [0, 3], [[0.0, 1, 2], [1, 2, 3]], "labels in 0..2"),
        (fastloss.CrossEntropy(), [0, -1], [[0.0, 1, 2], [1, 2, 3]], "labels in 0..2"),
        (fastloss.CrossEntropy(), [0, 0.5], [[0.0, 1, 2], [1, 2, 3]], "labels in 0..2"),
        (fastloss.CrossEntropy(), [0, 1], [0.0, 1.0], "shape"),
        (fastloss.MeanSquaredError(), [0, 1], [[0.0, 1.0], [1.0, 2.0]], "one raw prediction"),
        (fastloss.MeanSquaredError(), [0, 1, 2], [0.0, 1.0], "inconsistent numbers of samples"),
        (fastloss.MeanSquaredError(), [], [], "0 sample"),
        (fastloss.MeanSquaredError(), [np.nan, 1], [0.0, 1.0], "Input y_true contains NaN"),
        (fastloss.MeanAbsoluteError(), ["a", "b"], [0.0, 1.0], "could not convert"),
    ],
)
def test_invalid_targets_raise(backend, loss, y, raw, message):
    with pytest.raises(ValueError, match=message):
        loss.loss_gradient(y, raw)
    with pytest.raises(ValueError, match=message):
        loss.loss(y, raw)


def test_cross_entropy_rejects_string_labels(backend):
    with pytest.raises(TypeError, match="integer class labels"):
        fastloss.CrossEntropy().loss(["a", "b"], [[0.0, 1.0], [1.0, 0.0]])


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize(
    "weights,message",
    [
        ([1.0, -1.0], "Negative values"),
        ([0.0, 0.0], "at least one non-zero"),
        ([np.nan, 1.0], "Input sample_weight contains NaN"),
        ([1.0], "inconsistent numbers of samples"),
    ],
)
def test_bad_sample_weight_raises(backend, name, weights, message, rng):
    y, raw = make_case(name, 2, rng)
    loss = LOSSES[name]()
    with pytest.raises(ValueError, match=message):
        loss.loss(y, raw, sample_weight=weights)
    with pytest.raises(ValueError, match=message):
        loss.loss_gradient(y, raw, sample_weight=weights)


def test_registry_names():
    from fastloss.losses import LOSSES as registry

    assert registry["squared_error"] is fastloss.MeanSquaredError
    assert registry["absolute_error"] is fastloss.MeanAbsoluteError
    assert registry["log_loss"] is fastloss.BinaryCrossEntropy
    assert registry["multinomial"] is fastloss.CrossEntropy


def test_cross_entropy_tiny_losses_exact_in_mixed_chunks(backend):
    """Rows of very different magnitude share a chunk: small losses stay exact."""
    raw = np.array([[0.0, -20.0], [300.0, 260.0], [1.0, 1.0 - 1e-12]])
    y = np.array([0, 0, 1])
    value = fastloss.CrossEntropy().loss(y, raw)
    assert_close(value, reference("softmax", y, raw, None)[0], rtol=1e-13)
    assert_close(
        value, (np.log1p(np.exp(-20.0)) + np.log1p(np.exp(-40.0)) + np.logaddexp(0, 1e-12)) / 3,
        rtol=1e-13,
    )


def test_cross_entropy_float32_gradient_of_the_label_column(backend):
    raw = np.array([[20.0, 0.0], [9.0, 0.0]], np.float32)
    grad = fastloss.CrossEntropy().gradient([0, 0], raw)
    expected = reference("softmax", np.array([0, 0]), raw, None)[1]
    assert grad.dtype == np.float32
    assert_close(grad, expected, rtol=2e-7)


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_cross_entropy_rejects_any_non_finite_logit(backend, bad):
    with pytest.raises(ValueError, match="Input raw_prediction contains"):
        fastloss.CrossEntropy().loss_gradient([0], [[1.0, bad]])
    with pytest.raises(ValueError, match="Input raw_prediction contains"):
        fastloss.CrossEntropy().loss([0, 1], [[1.0, 2.0], [bad, 0.0]])


@pytest.mark.parametrize("offset", [0.0, -90.0, -500.0])
def test_cross_entropy_float32_logits_far_apart(backend, offset, rng):
    """float32 exponentials: rows far below the chunk's largest logit get shifts of their own."""
    from sklearn._loss.loss import HalfMultinomialLoss

    n, k = 3000, 6
    raw = (rng.normal(size=(n, k)) * 3).astype(np.float32)
    raw[::3] += np.float32(offset)
    y = rng.integers(0, k, size=n)
    value, grad = fastloss.CrossEntropy().loss_gradient(y, raw)
    sk_loss, sk_grad = HalfMultinomialLoss(n_classes=k).loss_gradient(
        y.astype(np.float64), raw.astype(np.float64)
    )
    assert grad.dtype == np.float32
    assert_close(value, sk_loss.mean(), rtol=1e-6)
    assert_close(grad, sk_grad / n, rtol=1e-5, atol=1e-6 * np.abs(sk_grad / n).max())


@pytest.mark.parametrize("k", [2, 10, 40, 10_000])
def test_cross_entropy_float32_large_losses(backend, k, rng):
    """float32 logits whose label sits up to 86 below the row's others.

    e_label stays a normal float32, while other / e_label passes 1e30 for
    losses above about 69 and float32's range (3.4e38) above about 89 - log(k):
    those rows take the log-sum-exp form, the others a float32 log.  Each
    row's loss (as a one-row call), the mean and the gradient are checked
    against a float64 log-sum-exp of the same float32 logits.
    """
    n = 2000 if k < 1000 else 60
    raw = rng.uniform(-1.0, 1.0, size=(n, k)).astype(np.float32)
    y = rng.integers(0, k, size=n)
    gap = np.linspace(0.0, 86.0, n).astype(np.float32)
    raw[np.arange(n), y] -= gap
    raw64 = raw.astype(np.float64)
    expected = logsumexp(raw64, axis=1) - raw64[np.arange(n), y]
    assert expected.max() > 85
    loss = fastloss.CrossEntropy()
    assert_close(loss.loss(y, raw), expected.mean(), rtol=1e-6)
    step = 7 if n > 100 else 1
    per_row = np.array([loss.loss(y[i : i + 1], raw[i : i + 1]) for i in range(0, n, step)])
    assert_close(per_row, expected[::step], rtol=1e-6)
    value, grad = loss.loss_gradient(y, raw)
    assert_close(value, expected.mean(), rtol=1e-6)
    softmax = np.exp(raw64 - logsumexp(raw64, axis=1, keepdims=True))
    softmax[np.arange(n), y] -= 1.0
    assert_close(grad, softmax / n, rtol=1e-5, atol=1e-6 * np.abs(softmax / n).max())
