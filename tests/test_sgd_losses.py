"""SGDRegressor on every registered regression loss, read from the registry.

Each loss declares how SGD trains it (``sgd = SGDSpec(...)``); the estimator
must reach the optimum of the same objective, ``grad_factor * weighted mean
loss + alpha * ||coef||**2 / 2``, found by scipy.optimize, on both backends.
"""

import pickle

import numpy as np
import pytest
from scipy.optimize import minimize
from sklearn.base import clone
from sklearn.utils._param_validation import InvalidParameterError

import fastloss
from fastloss._losses._spec import SGDSpec
from fastloss.linear_model import SGDRegressor
from fastloss.losses import LOSSES
from sgd_cases import trained_loss

BUILTIN = {name: cls for name, cls in LOSSES.items() if not getattr(cls, "user_defined", False)}
REGRESSION_KINDS = ("real", "nonnegative", "positive")


def is_regression(cls):
    return cls._raw_ndim == 1 and cls().target_kind in REGRESSION_KINDS


#: Regression losses of the prediction itself (real targets) or of its log.
TRAINABLE = sorted(
    n for n, c in BUILTIN.items()
    if is_regression(c) and (c.raw == "log" or (c.raw == "identity" and c().target_kind == "real"))
)  # fmt: skip
LOG_LINK = sorted(n for n in TRAINABLE if BUILTIN[n].raw == "log")
NOT_REGRESSION = sorted(n for n, c in BUILTIN.items() if not is_regression(c))


def test_every_regression_loss_declares_sgd_metadata():
    assert len(TRAINABLE) >= 10 and "huber" in TRAINABLE and "poisson" in TRAINABLE
    assert {"gamma", "tweedie"} <= set(LOG_LINK)
    for name in TRAINABLE:
        spec = BUILTIN[name].sgd
        assert isinstance(spec, SGDSpec), name
        params = [p.name for p in BUILTIN[name].params]
        assert set(spec.target_params) <= set(params), name


def make_data(seed=0, n=400, log_link=False):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    w = rng.uniform(0.5, 1.5, size=n)
    if log_link:  # positive targets around exp(linear model)
        mean = np.exp(X @ np.array([0.3, -0.5, 0.2]) + 1.0)
        return X, mean * rng.gamma(2.0, 0.5, size=n), w
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.5 + rng.standard_t(4, size=n) * 0.7
    return X, y, w


def objective(loss, grad_factor, X, y, w, alpha):
    """The estimator's objective, as a function of (coef, intercept), in float64."""

    def f(theta):
        raw = X @ theta[:-1] + theta[-1]
        with fastloss.use_backend("numpy"):
            value = loss.loss(y, raw, sample_weight=w)
        return grad_factor * value + 0.5 * alpha * theta[:-1] @ theta[:-1]

    return f


def scipy_optimum(f, X, y):
    start = np.linalg.lstsq(np.c_[X, np.ones(len(y))], y, rcond=None)[0]
    best = minimize(f, start, method="Nelder-Mead",
                    options={"xatol": 1e-10, "fatol": 1e-14, "maxiter": 40_000, "maxfev": 40_000,
                             "adaptive": True})  # fmt: skip
    polished = minimize(f, best.x, method="Powell", options={"xtol": 1e-10, "ftol": 1e-14})
    return polished.x if polished.fun <= best.fun else best.x


def loss_cases():
    for name in TRAINABLE:
        yield pytest.param(name, None, id=name)
    yield pytest.param("huber", fastloss.Huber(delta=0.5), id="Huber(delta=0.5)")
    yield pytest.param("quantile", fastloss.Pinball(quantile=0.8), id="Pinball(quantile=0.8)")


@pytest.mark.parametrize("name,instance", list(loss_cases()))
def test_reaches_the_scipy_optimum(backend, name, instance):
    X, y, w = make_data(log_link=name in LOG_LINK)
    alpha = 1e-2
    loss = trained_loss(name) if instance is None else instance
    f = objective(loss, type(loss).sgd.grad_factor, X, y, w, alpha)
    exact = scipy_optimum(f, X, y)
    reg = SGDRegressor(loss=name if instance is None else instance, alpha=alpha, tol=None,
                       max_iter=300, random_state=0).fit(X, y, sample_weight=w)  # fmt: skip
    mine = np.r_[reg.coef_, reg.intercept_]
    f_exact, f_mine = f(exact), f(mine)
    assert f_exact <= f_mine + 1e-12  # scipy found the optimum, not SGD something better
    assert f_mine - f_exact <= 1e-3 * abs(f_exact), (f_mine, f_exact)  # (log-link objectives may be < 0)
    np.testing.assert_allclose(reg.coef_, exact[:-1], rtol=0, atol=0.03)
    # The loss curve is the plain weighted mean loss of the published model.
    raw = X @ reg.coef_ + reg.intercept_
    assert reg.loss_curve_[-1] == pytest.approx(loss.loss(y, raw, sample_weight=w), rel=1e-9)
    if name in LOG_LINK:  # predictions are the mean, exp(raw)
        np.testing.assert_allclose(reg.predict(X), np.exp(raw), rtol=1e-12)


def test_unscaled_targets_and_scaled_parameters(backend):
    """Huber's delta and epsilon are in the targets' units: the same fit in
    units 1000 times larger, parameters included, is the same model scaled."""
    X, y, w = make_data(seed=1)
    for loss, big in ((fastloss.Huber(delta=0.7), fastloss.Huber(delta=700.0)),
                      (fastloss.EpsilonInsensitive(epsilon=0.2), fastloss.EpsilonInsensitive(epsilon=200.0))):  # fmt: skip
        small = SGDRegressor(loss=loss, alpha=1e-2, tol=None, max_iter=100, random_state=0).fit(
            X, y, sample_weight=w
        )
        large = SGDRegressor(loss=big, alpha=1e-2 * 1e3 ** (type(loss).sgd.target_power - 2),
                             tol=None, max_iter=100, random_state=0).fit(X, 1e3 * y, sample_weight=w)  # fmt: skip
        np.testing.assert_allclose(large.coef_, 1e3 * small.coef_, rtol=1e-6)
        np.testing.assert_allclose(large.intercept_, 1e3 * small.intercept_, rtol=1e-6)


def test_unknown_names_and_losses_it_cannot_train():
    X, y, _ = make_data(n=100)
    with pytest.raises(InvalidParameterError, match="'loss' parameter of SGDRegressor must be a str among") as info:
        SGDRegressor(loss="no_such_loss").fit(X, y)
    for name in TRAINABLE:  # (set order varies: names checked one by one)
        assert repr(name) in str(info.value)
    for name in NOT_REGRESSION:
        assert repr(name) not in str(info.value)
    assert "FusedLoss" in str(info.value)
    for name in NOT_REGRESSION:
        with pytest.raises(InvalidParameterError, match="it is not a regression loss"):
            SGDRegressor(loss=name).fit(X, y)
    with pytest.raises(InvalidParameterError, match="instance of 'fastloss"):
        SGDRegressor(loss=3.0).fit(X, y)


def test_identity_loss_of_restricted_targets_is_refused():
    """Centred and scaled targets leave a domain such as y >= 0: refused, with the reason."""

    @fastloss.pointwise_loss(target="nonnegative", name="test_sgd_nonnegative_loss")
    def half_square(y, raw):
        return 0.5 * (raw - y) ** 2, raw - y

    X, y, _ = make_data()
    for loss in ("test_sgd_nonnegative_loss", half_square()):
        with pytest.raises(InvalidParameterError, match="centres and scales the targets"):
            SGDRegressor(loss=loss).fit(X, np.abs(y))


def test_loss_object_get_set_params_clone_and_pickle():
    reg = SGDRegressor(loss=fastloss.Huber(delta=0.5), alpha=0.01)
    params = reg.get_params()
    assert params["loss"] == fastloss.Huber(delta=0.5) and params["loss__delta"] == 0.5
    copy = clone(reg)
    assert copy.loss == reg.loss and copy.get_params()["loss__delta"] == 0.5
    reg.set_params(loss__delta=2.0)
    assert reg.loss == fastloss.Huber(delta=2.0)
    reg.set_params(loss="quantile", loss__quantile=0.25)
    assert reg.loss == fastloss.Pinball(quantile=0.25)
    reg.set_params(loss=fastloss.Huber())
    assert reg.loss == fastloss.Huber()
    X, y, _ = make_data(n=200)
    fitted = SGDRegressor(loss=fastloss.Huber(delta=0.5), random_state=0).fit(X, y)
    again = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(again.predict(X), fitted.predict(X))
    refit = clone(fitted).fit(X, y)
    np.testing.assert_array_equal(refit.coef_, fitted.coef_)
    assert "Huber(delta=0.5)" in repr(fitted)
