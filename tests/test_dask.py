"""Dask arrays: metrics from per-chunk states, SGD training streamed over
blocks, and a real distributed run (LocalCluster, 2 worker processes)."""

import subprocess
import sys

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

import fastloss  # noqa: E402
from fastloss._registry import CLASS_METRICS, METRICS  # noqa: E402
from fastloss.linear_model import SGDClassifier, SGDRegressor  # noqa: E402
from metric_cases import kwargs_for, n_outputs_for, settings, values_for  # noqa: E402


def _chunked(a, rng, axis0_only=True):
    """A Dask array of ``a`` with random sample chunks."""
    n = a.shape[0]
    cuts = np.unique(np.concatenate([[0, n], rng.integers(0, n + 1, size=rng.integers(1, 5))]))
    chunks = (tuple(np.diff(cuts)),) + tuple((s,) for s in a.shape[1:])
    return da.from_array(a, chunks=chunks)


@pytest.mark.parametrize("seed", range(4))
def test_regression_metrics_equal_numpy(backend, seed):
    rng = np.random.default_rng(seed)
    n = 500
    w = rng.uniform(0, 2, size=n)
    for name, metric in METRICS.items():  # every declared regression metric
        func = getattr(fastloss, name)
        y, p = values_for(metric, rng, (n, n_outputs_for(metric, 1 + seed % 3)))
        y, p = y.squeeze(), p.squeeze()
        # Scores (at most 1) near 0 are compared absolutely: they are differences.
        tol = {"rtol": 1e-12, "atol": 1e-13 if metric.greater_is_better else 0.0}
        for mo, params in settings(metric, 1 if y.ndim == 1 else y.shape[1]):
            kwargs = kwargs_for(metric, w if metric.weighted else None, mo, **params)
            expected = func(y, p, **kwargs)
            if metric.weighted:
                kwargs["sample_weight"] = _chunked(w, rng)
            got = func(_chunked(y, rng), _chunked(p, rng), **kwargs)
            np.testing.assert_allclose(got, expected, **tol)
            # Mixed: one Dask input is enough.
            kwargs = kwargs_for(metric, None, mo, **params)
            np.testing.assert_allclose(func(y, _chunked(p, rng), **kwargs), func(y, p, **kwargs), **tol)


@pytest.mark.parametrize("k", [2, 3])
def test_log_loss_equals_numpy(backend, k):
    rng = np.random.default_rng(k)
    n = 600
    labels = np.array(["no", "yes", "maybe"][:k])
    y = labels[rng.integers(0, k, size=n)]
    proba = rng.dirichlet(np.ones(k), size=n)
    if k == 2:
        proba = proba[:, 1]  # 1-D: probability of the greater label ("yes")
    w = rng.uniform(0, 2, size=n)
    for normalize in (True, False):
        expected = fastloss.log_loss(y, proba, sample_weight=w, normalize=normalize)
        got = fastloss.log_loss(
            _chunked(y, rng), _chunked(proba, rng), sample_weight=w, normalize=normalize
        )
        np.testing.assert_allclose(got, expected, rtol=1e-12)
    with pytest.raises(ValueError, match="only one label"):
        fastloss.log_loss(da.from_array(np.zeros(10, int), chunks=3), np.full(10, 0.3))


def test_no_dask_import_without_dask_input():
    code = (
        "import sys, numpy as np, fastloss; fastloss.mean_squared_error([1.0], [2.0]); "
        "fastloss.log_loss([0, 1], [0.2, 0.7]); assert 'dask' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


class _CountingArray:
    """An array-like for da.from_array that records which rows were read."""

    def __init__(self, a):
        self.a = a
        self.shape, self.dtype, self.ndim = a.shape, a.dtype, a.ndim
        self.largest_read = 0

    def __getitem__(self, index):
        out = self.a[index]
        self.largest_read = max(self.largest_read, out.shape[0])
        return out


def test_fit_streams_over_blocks(backend):
    from sklearn.datasets import make_regression

    X, y = make_regression(6000, 5, noise=1.0, random_state=0)
    source = _CountingArray(X)
    dX = da.from_array(source, chunks=(1000, 5))
    reg = SGDRegressor(max_iter=20, tol=None, random_state=0).fit(dX, y)
    assert source.largest_read <= 1000  # block by block, never the whole X
    in_memory = SGDRegressor(max_iter=20, tol=None, random_state=0).fit(X, y)
    np.testing.assert_allclose(reg.coef_, in_memory.coef_, rtol=1e-3, atol=1e-3)
    pred = reg.predict(dX)
    assert isinstance(pred, da.Array)
    np.testing.assert_allclose(pred.compute(), reg.predict(X), rtol=1e-12)


def test_classifier_on_dask_blocks(backend):
    from sklearn.datasets import make_classification

    X, y = make_classification(5000, 6, n_classes=3, n_informative=4, random_state=1)
    names = np.array(["a", "b", "c"])[y]
    dX = da.from_array(X.astype(np.float32), chunks=(700, 6))
    dy = da.from_array(names, chunks=700)
    clf = SGDClassifier(loss="log_loss", random_state=0).fit(dX, dy)
    assert list(clf.classes_) == ["a", "b", "c"] and clf.coef_.dtype == np.float32
    reference = SGDClassifier(loss="log_loss", random_state=0).fit(X.astype(np.float32), names)
    assert abs(clf.score(X, names) - reference.score(X, names)) < 0.02
    proba = clf.predict_proba(dX)
    np.testing.assert_allclose(proba.compute(), clf.predict_proba(X.astype(np.float32)), rtol=1e-6)
    np.testing.assert_array_equal(clf.predict(dX).compute(), clf.predict(X.astype(np.float32)))
    # partial_fit over Dask chunks, classes fixed up front
    again = SGDClassifier(loss="log_loss", random_state=0)
    again.partial_fit(dX, dy, classes=["a", "b", "c"])
    assert again.n_iter_ == 1


def test_dask_errors():
    X = da.from_array(np.ones((100, 3)), chunks=(30, 3))
    y = np.arange(100.0)
    with pytest.raises(ValueError, match="early_stopping"):
        SGDRegressor(early_stopping=True).fit(X, y)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        SGDRegressor().fit(X, y[:50])
    bad = np.ones((100, 3))
    bad[77, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        SGDRegressor().fit(da.from_array(bad, chunks=(30, 3)), y)


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    )
    with distributed.Client(cluster) as client:
        yield client
    cluster.close()


def test_distributed_metrics_and_training(client):
    from sklearn.datasets import make_classification

    # The data are made on the workers, chunk by chunk.
    rs = da.random.RandomState(0)
    y = (rs.random_sample(40_000, chunks=5000) < 0.4).astype(np.int64)
    logits = rs.normal(size=40_000, chunks=5000) + 2 * y - 1
    proba = 1 / (1 + da.exp(-logits))
    y_np, proba_np = client.compute([y, proba], sync=True)
    np.testing.assert_allclose(
        fastloss.log_loss(y, proba), fastloss.log_loss(y_np, proba_np), rtol=1e-12
    )
    np.testing.assert_allclose(
        fastloss.mean_squared_error(y, proba), fastloss.mean_squared_error(y_np, proba_np),
        rtol=1e-12,
    )
    # The metrics of class predictions (every declared one): accumulators on the workers.
    for name, metric in CLASS_METRICS.items():
        func = getattr(fastloss, name)
        pred, pred_np = (proba, proba_np) if metric.proba else (logits, client.compute(logits, sync=True))
        got, expected = func(y, pred), func(y_np, pred_np)
        if metric.greater_is_better:
            got, expected = 1 - got, 1 - expected
        np.testing.assert_allclose(got, expected, rtol=1e-12)
    # The quantile metrics: every selection pass runs over the workers' blocks.
    weights = rs.random_sample(40_000, chunks=5000)
    w_np = client.compute(weights, sync=True)
    for name in ("median_absolute_error", "d2_absolute_error_score"):
        func = getattr(fastloss, name)
        assert func(y, proba, sample_weight=weights) == func(y_np, proba_np, sample_weight=w_np)
    # Kernels ran (and compiled) on the workers.
    ran = client.run(lambda: "fastloss" in sys.modules)
    assert len(ran) == 2 and all(ran.values())

    X, yc = make_classification(8000, 5, random_state=0)
    dX = client.scatter(X)  # noqa: F841 - data also move through the client
    clf = SGDClassifier(loss="log_loss", random_state=0).fit(da.from_array(X, chunks=(2000, 5)), yc)
    assert clf.score(X, yc) > 0.8
    assert fastloss.log_loss(yc, clf.predict_proba(da.from_array(X, chunks=(2000, 5)))) < 0.5
