"""SGD estimators: scikit-learn's estimator checks, convergence to the exact
optimum (Ridge / LogisticRegression / QuantileRegressor), divergence handling,
partial_fit, dtypes, verbose output and the loss-curve plot, on both backends."""

import pickle
import sys
import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, QuantileRegressor, Ridge
from sklearn.metrics import log_loss, mean_absolute_error, mean_squared_error
from sklearn.utils.estimator_checks import parametrize_with_checks

import fastloss
from fastloss.linear_model import SGDClassifier, SGDRegressor
from fastloss.linear_model import _trainer as sgd_module
from sgd_cases import EXPECTED_FAILED


@parametrize_with_checks(
    [
        SGDRegressor(random_state=0),
        SGDRegressor(loss="absolute_error", random_state=0),
        SGDClassifier(loss="log_loss", random_state=0),
    ],
    expected_failed_checks=lambda est: EXPECTED_FAILED,
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def _regression(n=3000, p=6, seed=0, scale=1.0):
    X, y = make_regression(n, p, noise=5.0, random_state=seed, bias=7.0)
    X = X * np.linspace(0.1, 100, p) * scale + np.linspace(-50, 50, p)  # unscaled features
    return X, y


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_regressor_converges_to_ridge(backend, dtype):
    X, y = _regression()
    X = X.astype(dtype)
    alpha = 1e-3
    ridge = Ridge(alpha=alpha * X.shape[0]).fit(X.astype(np.float64), y)
    reg = SGDRegressor(alpha=alpha, tol=None, max_iter=100, random_state=0).fit(X, y)
    assert reg.coef_.dtype == dtype and reg.intercept_.dtype == dtype
    assert reg.predict(X).dtype == dtype
    rtol = 2e-3 if dtype == np.float64 else 5e-3
    np.testing.assert_allclose(reg.coef_, ridge.coef_, rtol=rtol, atol=1e-3 * np.abs(ridge.coef_).max())
    mse_ridge = mean_squared_error(y, ridge.predict(X.astype(np.float64)))
    assert mean_squared_error(y, reg.predict(X)) <= 1.001 * mse_ridge


def test_absolute_error_matches_median_regression(backend):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(1500, 4)) * [1, 10, 0.1, 3]
    y = X @ [2.0, -0.3, 5.0, 1.0] + 4.0 + rng.standard_t(2, size=1500)  # heavy tails
    exact = QuantileRegressor(quantile=0.5, alpha=0.0, solver="highs").fit(X, y)
    reg = SGDRegressor(loss="absolute_error", alpha=0.0, tol=None, max_iter=100, random_state=0)
    reg.fit(X, y)
    mae_exact = mean_absolute_error(y, exact.predict(X))
    assert mean_absolute_error(y, reg.predict(X)) <= 1.002 * mae_exact
    np.testing.assert_allclose(reg.coef_, exact.coef_, rtol=0.05, atol=0.02)


@pytest.mark.parametrize("n_classes", [2, 4])
def test_classifier_converges_to_logistic_regression(backend, n_classes):
    X, y = make_classification(
        2000, 6, n_informative=4, n_redundant=0, n_classes=n_classes, n_clusters_per_class=1,
        random_state=3,
    )
    X = X * [1, 2, 5, 0.5, 10, 3] + 4.0
    alpha = 1e-3
    exact = LogisticRegression(C=1.0 / (alpha * X.shape[0]), tol=1e-10, max_iter=10_000)
    exact.fit(X, y)
    clf = SGDClassifier(loss="log_loss", alpha=alpha, tol=None, max_iter=100, random_state=0).fit(X, y)
    assert clf.coef_.shape == exact.coef_.shape
    scale = np.abs(exact.coef_).max()
    np.testing.assert_allclose(clf.coef_, exact.coef_, rtol=0, atol=0.01 * scale)
    # The intercept carries the features' offsets times the coefficients'
    # errors: compare what it is for, the probabilities.
    np.testing.assert_allclose(clf.predict_proba(X), exact.predict_proba(X), rtol=0, atol=0.01)
    assert log_loss(y, clf.predict_proba(X)) <= 1.001 * log_loss(y, exact.predict_proba(X))


def test_loss_curve_is_the_training_metric_of_the_model():
    X, y = _regression(n=800)
    reg = SGDRegressor(max_iter=4, tol=None, average=True, random_state=0).fit(X, y)
    assert len(reg.loss_curve_) == reg.n_iter_ == 4
    # All rows are below the curve sample size: the last point is exact.
    np.testing.assert_allclose(reg.loss_curve_[-1], mean_squared_error(y, reg.predict(X)), rtol=1e-10)
    Xc, yc = make_classification(600, 5, n_classes=3, n_informative=3, random_state=0)
    clf = SGDClassifier(loss="log_loss", max_iter=3, tol=None, random_state=0).fit(Xc, yc)
    np.testing.assert_allclose(clf.loss_curve_[-1], log_loss(yc, clf.predict_proba(Xc)), rtol=1e-8)


def test_labels_strings_ints_and_probabilities(backend):
    X, y = make_classification(500, 4, n_informative=3, n_redundant=0, n_classes=3, random_state=0)
    names = np.array(["cat", "dog", "emu"])[y]
    clf = SGDClassifier(loss="log_loss", random_state=0).fit(X, names)
    assert list(clf.classes_) == ["cat", "dog", "emu"]
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(np.log(proba), clf.predict_log_proba(X), rtol=1e-10, atol=1e-12)
    assert set(clf.predict(X)) <= set(clf.classes_)
    assert clf.decision_function(X).shape == (500, 3)
    assert clf.score(X, names) > 0.8
    binary = SGDClassifier(loss="log_loss", random_state=0).fit(X, y == 1)
    assert binary.coef_.shape == (1, 4) and binary.decision_function(X).shape == (500,)
    proba = binary.predict_proba(X)
    np.testing.assert_allclose(proba[:, 1], 1 / (1 + np.exp(-binary.decision_function(X))), rtol=1e-10)
    # Huge logits stay finite in log space.
    far = X * 1e6
    assert np.isfinite(binary.predict_log_proba(far)).all()


def test_backends_agree():
    X, y = _regression(n=1000)
    fits = []
    for name in ("numba", "numpy"):
        with fastloss.use_backend(name):
            fits.append(SGDRegressor(max_iter=5, tol=None, random_state=0).fit(X, y))
    np.testing.assert_allclose(fits[0].coef_, fits[1].coef_, rtol=1e-8)
    np.testing.assert_allclose(fits[0].loss_curve_, fits[1].loss_curve_, rtol=1e-8)
    Xc, yc = make_classification(700, 5, n_classes=3, n_informative=3, random_state=0)
    fits = []
    for name in ("numba", "numpy"):
        with fastloss.use_backend(name):
            fits.append(SGDClassifier(loss="log_loss", max_iter=5, tol=None, random_state=0).fit(Xc, yc))
    np.testing.assert_allclose(fits[0].coef_, fits[1].coef_, rtol=1e-8, atol=1e-12)


def test_huge_learning_rate_backs_off(backend):
    X, y = _regression(n=2000)
    reg = SGDRegressor(learning_rate=1e6, random_state=0)
    with pytest.warns(ConvergenceWarning, match="learning_rate=1e\\+06"):
        reg.fit(X, y)
    assert reg.learning_rate_ <= 1e6 / 10
    assert np.isfinite(reg.coef_).all() and np.isfinite(reg.intercept_).all()
    ridge = Ridge(alpha=1e-4 * X.shape[0]).fit(X, y)
    assert mean_squared_error(y, reg.predict(X)) <= 1.01 * mean_squared_error(y, ridge.predict(X))


def test_divergence_without_backoff_raises_naming_the_rate(backend, monkeypatch):
    monkeypatch.setattr(sgd_module, "MAX_BACKOFFS", 0)
    X, y = make_classification(500, 5, random_state=0)
    clf = SGDClassifier(loss="log_loss", learning_rate=1e8, random_state=0)
    with pytest.raises(ValueError, match="learning_rate=1e\\+08"):
        clf.fit(X * 1e3, y)
    assert not hasattr(clf, "coef_") or np.isfinite(clf.coef_).all()


def test_nan_in_X_is_named_before_training(monkeypatch):
    def no_training(*args):
        raise AssertionError("training started on data with NaN")

    monkeypatch.setattr(sgd_module, "epoch_kernel", no_training)
    X, y = _regression(n=300)
    X[17, 2] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        SGDRegressor().fit(X, y)
    X[17, 2] = np.inf
    with pytest.raises(ValueError, match="Input X contains infinity"):
        SGDClassifier(loss="log_loss").fit(X, y > 0)


@pytest.mark.parametrize("loss", ["squared_error", "absolute_error"])
def test_partial_fit_over_chunks_matches_fit(backend, loss):
    X, y = _regression(n=4000, seed=2)
    full = SGDRegressor(loss=loss, max_iter=30, tol=None, random_state=0).fit(X, y)
    chunked = SGDRegressor(loss=loss, random_state=0)
    for _ in range(30):
        for part in np.array_split(np.arange(X.shape[0]), 4):
            chunked.partial_fit(X[part], y[part])
    assert chunked.n_iter_ == 120
    scale = np.abs(full.coef_).max()
    np.testing.assert_allclose(chunked.coef_, full.coef_, rtol=0.01, atol=0.01 * scale)
    metric = mean_squared_error if loss == "squared_error" else mean_absolute_error
    assert metric(y, chunked.predict(X)) <= 1.01 * metric(y, full.predict(X))


def test_partial_fit_classifier_needs_classes(backend):
    X, y = make_classification(900, 5, n_classes=3, n_informative=3, random_state=0)
    clf = SGDClassifier(loss="log_loss", random_state=0)
    with pytest.raises(ValueError, match="classes must be passed"):
        clf.partial_fit(X[:300], y[:300])
    for _ in range(10):
        for part in np.array_split(np.arange(900), 3):
            clf.partial_fit(X[part], y[part], classes=[0, 1, 2])
    full = SGDClassifier(loss="log_loss", max_iter=10, tol=None, random_state=0).fit(X, y)
    assert abs(clf.score(X, y) - full.score(X, y)) < 0.03
    with pytest.raises(ValueError, match="not in classes"):
        clf.partial_fit(X[:5], [0, 1, 2, 3, 0])


def test_early_stopping_and_validation_curve():
    X, y = _regression(n=5000)
    reg = SGDRegressor(early_stopping=True, validation_fraction=0.2, random_state=0).fit(X, y)
    assert len(reg.validation_loss_curve_) == len(reg.loss_curve_) == reg.n_iter_
    assert reg.n_iter_ < reg.max_iter
    assert min(reg.validation_loss_curve_) < 2 * 5.0**2  # noise variance is 25
    with pytest.raises(ValueError, match="validation_fraction"):
        SGDRegressor(early_stopping=True, validation_fraction=0.5).fit(X[:1], y[:1])


def test_max_iter_reached_warns():
    X, y = _regression(n=500)
    with pytest.warns(ConvergenceWarning, match="Maximum number of iteration"):
        SGDRegressor(max_iter=2, tol=1e-12, random_state=0).fit(X, y)


def test_reproducible_and_picklable():
    X, y = make_classification(800, 5, random_state=0)
    a = SGDClassifier(loss="log_loss", random_state=7).fit(X, y)
    b = SGDClassifier(loss="log_loss", random_state=7).fit(X, y)
    np.testing.assert_array_equal(a.coef_, b.coef_)
    c = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(c.predict_proba(X), a.predict_proba(X))
    c.partial_fit(X, y)  # the optimizer state survives pickling


def test_sample_weight_reweights():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2000, 3))
    y = X @ [1.0, 2.0, 3.0] + rng.normal(size=2000)
    w = rng.uniform(0, 3, size=2000)
    ridge = Ridge(alpha=1e-4 * w.sum()).fit(X, y, sample_weight=w)
    reg = SGDRegressor(tol=None, max_iter=100, random_state=0).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(reg.coef_, ridge.coef_, rtol=5e-3)
    with pytest.raises(ValueError, match="[Nn]egative"):
        SGDRegressor().fit(X, y, sample_weight=-w)
    with pytest.raises(ValueError, match="non-zero"):
        SGDRegressor().fit(X, y, sample_weight=np.zeros(2000))


def test_bad_parameters_name_themselves():
    X, y = _regression(n=100)
    with pytest.raises(ValueError, match="'learning_rate' parameter of SGDRegressor"):
        SGDRegressor(learning_rate=-1.0).fit(X, y)
    with pytest.raises(ValueError, match="'loss' parameter of SGDRegressor"):
        SGDRegressor(loss="no_such_loss").fit(X, y)
    with pytest.raises(ValueError, match="'batch_size' parameter of SGDClassifier"):
        SGDClassifier(loss="log_loss", batch_size=0).fit(X, y > 0)


def test_verbose_prints_each_epoch(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # plain lines without tqdm
    X, y = _regression(n=300)
    SGDRegressor(max_iter=3, tol=None, verbose=1, random_state=0).fit(X, y)
    out = capsys.readouterr().out
    assert [line.split(":")[0] for line in out.splitlines()[:3]] == ["Epoch 1", "Epoch 2", "Epoch 3"]
    assert "loss" in out and "Total training time" in out


def test_plot_loss_curve():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    X, y = _regression(n=3000)
    reg = SGDRegressor(early_stopping=True, max_iter=5, tol=None, random_state=0).fit(X, y)
    ax = fastloss.plot_loss_curve(reg)
    lines = ax.get_lines()
    assert len(lines) == 2
    np.testing.assert_allclose(lines[0].get_ydata(), reg.loss_curve_)
    np.testing.assert_allclose(lines[1].get_ydata(), reg.validation_loss_curve_)
    with pytest.raises(ValueError, match="call fit first"):
        fastloss.plot_loss_curve(SGDRegressor())


def test_plot_needs_matplotlib(monkeypatch):
    X, y = _regression(n=200)
    reg = SGDRegressor(max_iter=2, tol=None).fit(X, y)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match="fastloss\\[plot\\]"):
        fastloss.plot_loss_curve(reg)


def test_linear_model_is_lazy():
    import subprocess

    code = (
        "import sys, fastloss; assert 'sklearn' not in sys.modules; "
        "fastloss.linear_model.SGDRegressor; assert 'sklearn' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_inputs_not_modified():
    X, y = _regression(n=500)
    X32 = X.astype(np.float32)
    w = np.ones(500)
    copies = X32.copy(), y.copy(), w.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        SGDRegressor(max_iter=3).fit(X32, y, sample_weight=w)
    for before, after in zip(copies, (X32, y, w)):
        np.testing.assert_array_equal(before, after)


@pytest.mark.parametrize("early_stopping", [False, True])
def test_keyboard_interrupt_keeps_last_finished_epoch(monkeypatch, early_stopping):
    X, y = make_classification(3000, 6, n_classes=3, n_informative=4, random_state=0)
    params = dict(max_iter=10, tol=None, random_state=0, early_stopping=early_stopping)
    reference = SGDClassifier(loss="log_loss", **params, n_iter_no_change=1).set_params(max_iter=2).fit(X, y)
    real = sgd_module.epoch_kernel
    calls = []

    def interrupted_on_third_epoch(loss_cls):
        kernel = real(loss_cls)

        def run(*args):
            result = kernel(*args)  # the epoch ran and moved the state...
            calls.append(1)
            if len(calls) == 3:
                raise KeyboardInterrupt  # ...then Ctrl-C arrived
            return result

        return run

    monkeypatch.setattr(sgd_module, "epoch_kernel", interrupted_on_third_epoch)
    clf = SGDClassifier(loss="log_loss", **params)
    with pytest.raises(KeyboardInterrupt):
        clf.fit(X, y)
    assert clf.n_iter_ == 2 and len(clf.loss_curve_) == 2
    if early_stopping:
        assert len(clf.validation_loss_curve_) == 2
    np.testing.assert_array_equal(clf.coef_, reference.coef_)
    np.testing.assert_array_equal(clf.predict_proba(X), reference.predict_proba(X))
    monkeypatch.setattr(sgd_module, "epoch_kernel", real)
    clf.partial_fit(X, y)  # and it continues from there
    assert clf.n_iter_ == 3 and np.isfinite(clf.coef_).all()


def test_keyboard_interrupt_in_first_epoch_leaves_unfitted(monkeypatch):
    from sklearn.exceptions import NotFittedError

    def interrupted(loss_cls):
        def run(*args):
            raise KeyboardInterrupt

        return run

    monkeypatch.setattr(sgd_module, "epoch_kernel", interrupted)
    X, y = _regression(n=300)
    reg = SGDRegressor()
    with pytest.raises(KeyboardInterrupt):
        reg.fit(X, y)
    with pytest.raises(NotFittedError):
        reg.predict(X)


def test_without_intercept(backend):
    rng = np.random.default_rng(4)
    X = rng.normal(size=(2000, 3)) * [1.0, 5.0, 0.2] + [3.0, -1.0, 0.5]
    y = X @ [2.0, -1.0, 4.0] + rng.normal(size=2000)
    ridge = Ridge(alpha=1e-4 * 2000, fit_intercept=False).fit(X, y)
    reg = SGDRegressor(fit_intercept=False, tol=None, max_iter=100, random_state=0).fit(X, y)
    assert reg.intercept_[0] == 0.0
    np.testing.assert_allclose(reg.coef_, ridge.coef_, rtol=5e-3)
    clf = SGDClassifier(loss="log_loss", fit_intercept=False, random_state=0).fit(X, y > 4)
    assert clf.intercept_[0] == 0.0
