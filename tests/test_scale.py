"""float32 at scale: 100,000,000 values summed accurately (blocked float64 sums)."""

import math

import numpy as np
import pytest

import fastloss

N = 100_000_000
CHUNK = 5_000_000


def chunked_reference(func, *arrays):
    """sum(func(chunks)) in float64 with an exact final sum (math.fsum)."""
    n = arrays[0].shape[0]
    partial = [
        float(np.sum(func(*(a[i : i + CHUNK].astype(np.float64) for a in arrays)), dtype=np.float64))
        for i in range(0, n, CHUNK)
    ]
    return math.fsum(partial)


@pytest.fixture(scope="module")
def big():
    rng = np.random.default_rng(2024)
    y = np.empty(N, np.float32)
    p = np.empty(N, np.float32)
    labels = np.empty(N, np.float32)
    proba = np.empty(N, np.float32)
    for i in range(0, N, CHUNK):
        block = rng.normal(size=CHUNK)
        y[i : i + CHUNK] = block + 10.0  # an offset makes naive float32 sums drift
        p[i : i + CHUNK] = block + 10.0 + rng.normal(size=CHUNK)
        labels[i : i + CHUNK] = rng.integers(0, 2, size=CHUNK)
        proba[i : i + CHUNK] = rng.uniform(0.01, 0.99, size=CHUNK)
    return y, p, labels, proba


def rel(a, b):
    return abs(a - b) / abs(b)


@pytest.mark.slow
def test_metrics_float32_1e8_within_1e6(big):
    y, p, labels, proba = big
    mse = chunked_reference(lambda a, b: (a - b) ** 2, y, p) / N
    mae = chunked_reference(lambda a, b: np.abs(a - b), y, p) / N
    ll = chunked_reference(
        lambda t, q: -np.log(np.clip(np.where(t == 1, q, 1 - q), np.finfo(np.float32).eps,
                                     1 - np.finfo(np.float32).eps)), labels, proba) / N
    assert rel(fastloss.mean_squared_error(y, p), mse) < 1e-6
    assert rel(fastloss.mean_absolute_error(y, p), mae) < 1e-6
    assert rel(fastloss.log_loss(labels, proba), ll) < 1e-6
    # The accuracy is earned: a float32 running sum of the same values drifts.
    naive = np.float32(0)
    for i in range(0, N, CHUNK):
        naive = np.float32(naive + np.cumsum((y[i:i + CHUNK] - p[i:i + CHUNK]) ** 2,
                                             dtype=np.float32)[-1])
    assert rel(float(naive) / N, mse) > 1e-6


@pytest.mark.slow
def test_losses_float32_1e8_within_1e6(big):
    y, p, labels, _ = big
    assert rel(fastloss.MeanSquaredError().loss(y, p),
               chunked_reference(lambda a, b: (b - a) ** 2, y, p) / N) < 1e-6
    assert rel(fastloss.MeanAbsoluteError().loss(y, p),
               chunked_reference(lambda a, b: np.abs(b - a), y, p) / N) < 1e-6
    logits = p - 10.0
    assert rel(fastloss.BinaryCrossEntropy().loss(labels, logits),
               chunked_reference(lambda t, r: np.logaddexp(0, r) - t * r, labels, logits) / N) < 1e-6
    k = 10
    raw = logits.reshape(-1, k)
    classes = (labels.reshape(-1, k).sum(axis=1)).astype(np.int64)  # 0..10 -> clip to 0..9
    classes = np.minimum(classes, k - 1)
    rows = raw.shape[0]

    def softmax_loss(start, stop):
        r = raw[start:stop].astype(np.float64)
        m = r.max(axis=1)
        lse = m + np.log(np.exp(r - m[:, None]).sum(axis=1))
        return float(np.sum(lse - r[np.arange(stop - start), classes[start:stop]]))

    step = CHUNK // k
    expected = math.fsum(softmax_loss(i, min(i + step, rows)) for i in range(0, rows, step)) / rows
    assert rel(fastloss.CrossEntropy().loss(classes, raw), expected) < 1e-6
