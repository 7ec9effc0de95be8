"""Streaming accumulators: any split, any merge order == the one-shot result."""

import pickle

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fastloss
from fastloss import streaming


def _split_and_merge(make, arrays, cuts, order, tree):
    """Update one accumulator per chunk, then merge them in ``order``."""
    n = arrays[0].shape[0]
    bounds = [0, *sorted(set(c % (n + 1) for c in cuts)), n]
    parts = []
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        if hi > lo:
            acc = make()
            acc.update(*(a[lo:hi] if a is not None else None for a in arrays))
            parts.append(pickle.loads(pickle.dumps(acc)))  # state survives pickling
    keys = np.asarray((order + [0] * len(parts))[: len(parts)])
    parts = [parts[i] for i in np.argsort(keys, kind="stable")]
    if tree:  # pairwise, as a distributed reduction would
        while len(parts) > 1:
            parts = [
                parts[i].merge(parts[i + 1]) if i + 1 < len(parts) else parts[i]
                for i in range(0, len(parts), 2)
            ]
        return parts[0]
    total = make()
    for part in parts:
        total.merge(part)
    return total


SPLITS = dict(
    cuts=st.lists(st.integers(0, 10_000), max_size=6),
    order=st.lists(st.integers(0, 100), min_size=8, max_size=8),
    tree=st.booleans(),
    seed=st.integers(0, 2**31),
    n=st.integers(1, 300),
    weighted=st.booleans(),
)


@given(k=st.integers(1, 3), multioutput=st.sampled_from(["raw_values", "uniform_average", "weights"]), **SPLITS)
def test_regression_metrics_any_split(backend, cuts, order, tree, seed, n, weighted, k, multioutput):
    rng = np.random.default_rng(seed)
    y = rng.normal(size=(n, k)) * 10 ** rng.uniform(-3, 3)
    p = y + rng.normal(size=(n, k))
    w = rng.uniform(0.1, 2, size=n) if weighted else None
    mo = rng.uniform(0.5, 1, size=k) if multioutput == "weights" and k > 1 else "raw_values"
    mo = mo if multioutput == "weights" else multioutput
    for name in ("mean_squared_error", "root_mean_squared_error", "mean_absolute_error"):
        one_shot = getattr(fastloss, name)(y, p, sample_weight=w, multioutput=mo)
        cls = {
            "mean_squared_error": streaming.MeanSquaredError,
            "root_mean_squared_error": streaming.RootMeanSquaredError,
            "mean_absolute_error": streaming.MeanAbsoluteError,
        }[name]
        acc = _split_and_merge(lambda: cls(multioutput=mo), (y, p, w), cuts, order, tree)
        np.testing.assert_allclose(acc.result(), one_shot, rtol=1e-12)


@given(k=st.integers(2, 4), **SPLITS)
def test_log_loss_any_split(backend, cuts, order, tree, seed, n, weighted, k):
    rng = np.random.default_rng(seed)
    labels = np.array(["ant", "bee", "cat", "dog"][:k])
    y = labels[rng.integers(0, k, size=n)]
    proba = rng.dirichlet(np.ones(k), size=n)
    w = rng.uniform(0.1, 2, size=n) if weighted else None
    one_shot = fastloss.log_loss(y, proba, sample_weight=w, labels=labels)
    acc = _split_and_merge(lambda: streaming.LogLoss(labels), (y, proba, w), cuts, order, tree)
    np.testing.assert_allclose(acc.result(), one_shot, rtol=1e-12)
    total = _split_and_merge(
        lambda: streaming.LogLoss(labels, normalize=False), (y, proba, w), cuts, order, tree
    )
    np.testing.assert_allclose(
        total.result(), fastloss.log_loss(y, proba, sample_weight=w, labels=labels, normalize=False),
        rtol=1e-12,
    )


@given(k=st.integers(2, 5), **SPLITS)
def test_losses_any_split(backend, cuts, order, tree, seed, n, weighted, k):
    rng = np.random.default_rng(seed)
    w = rng.uniform(0.1, 2, size=n) if weighted else None
    logits = rng.normal(size=(n, k)) * 5
    labels = rng.integers(0, k, size=n)
    targets = rng.integers(0, 2, size=n).astype(float)
    raw = rng.normal(size=n) * 5
    cases = [
        (streaming.CrossEntropy, fastloss.CrossEntropy(), labels, logits),
        (streaming.BinaryCrossEntropy, fastloss.BinaryCrossEntropy(), targets, raw),
        (streaming.SquaredErrorLoss, fastloss.MeanSquaredError(), targets, raw),
        (streaming.AbsoluteErrorLoss, fastloss.MeanAbsoluteError(), targets, raw),
    ]
    for cls, loss, y, r in cases:
        acc = _split_and_merge(cls, (y, r, w), cuts, order, tree)
        np.testing.assert_allclose(acc.result(), loss.loss(y, r, sample_weight=w), rtol=1e-12)


def test_float32_chunks_keep_dtype_and_accuracy():
    rng = np.random.default_rng(0)
    y = rng.normal(size=(1000, 2)).astype(np.float32)
    p = (y + 0.1).astype(np.float32)
    acc = streaming.MeanSquaredError(multioutput="raw_values")
    for part in np.array_split(np.arange(1000), 7):
        acc.update(y[part], p[part])
    expected = fastloss.mean_squared_error(y, p, multioutput="raw_values")
    assert acc.result().dtype == expected.dtype == np.float32
    np.testing.assert_allclose(acc.result(), expected, rtol=1e-6)


def test_errors_are_clear():
    with pytest.raises(ValueError, match="labels"):
        streaming.LogLoss(None)
    with pytest.raises(ValueError, match="no data yet"):
        streaming.MeanSquaredError().result()
    a = streaming.MeanSquaredError().update([1.0, 2.0], [1.0, 3.0])
    with pytest.raises(ValueError, match="output"):
        a.update([[1.0, 2.0]], [[1.0, 3.0]])
    with pytest.raises(TypeError, match="same settings"):
        a.merge(streaming.MeanAbsoluteError())
    with pytest.raises(TypeError, match="same settings"):
        a.merge(streaming.MeanSquaredError(multioutput="raw_values"))
    with pytest.raises(TypeError, match="same settings"):
        streaming.LogLoss([0, 1]).merge(streaming.LogLoss([0, 1, 2]))
    with pytest.raises(ValueError, match="Input contains NaN"):
        streaming.MeanSquaredError().update([1.0, np.nan], [1.0, 2.0])
    with pytest.raises(ValueError, match="not belonging to the passed labels"):
        streaming.LogLoss([0, 1]).update([0, 2], [0.3, 0.6])
    # A chunk of zero weight is no error; only a zero total is.
    zero = streaming.MeanSquaredError().update([1.0], [2.0], sample_weight=[0.0])
    with pytest.raises(ValueError, match="non-zero"):
        zero.result()
    zero.update([1.0], [3.0], sample_weight=[2.0])
    assert zero.result() == 4.0
