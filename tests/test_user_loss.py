"""User-defined losses: fastloss.pointwise_loss, end to end on both backends."""

import os
import pickle
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
from scipy.optimize import minimize
from sklearn.base import clone

import fastloss
from conftest import assert_close, results_by_threads
from fastloss.linear_model import SGDRegressor
from fastloss.losses import LOSSES


@pytest.fixture(autouse=True)
def _registry_restored():
    """Losses a test registers (some deliberately broken) leave the registry with it:
    the rest of the session (warmup() iterates the registry) never sees them."""
    before = dict(LOSSES)
    yield
    LOSSES.clear()
    LOSSES.update(before)


@fastloss.pointwise_loss
def cauchy(y, raw, c=1.0):
    d = raw - y
    return np.log1p((d / c) ** 2), 2.0 * d / (c * c + d * d)


def cauchy_reference(y, raw, c):
    """Per-sample values and gradients in float64, written differently."""
    y = np.asarray(y, np.float64)
    raw = np.asarray(raw, np.float64)
    d = raw - y
    return np.log(c * c + d * d) - 2.0 * np.log(c), 2.0 * d / (c * c + d * d)


def _python_only(x):
    return x


def test_the_decorator_makes_a_registered_loss_class():
    assert LOSSES["cauchy"] is cauchy and cauchy.name == "cauchy"
    assert isinstance(cauchy, type) and issubclass(cauchy, fastloss.losses.FusedLoss)
    assert [p.name for p in cauchy.params] == ["c"] and cauchy.params[0].default == 1.0
    assert cauchy.target == "real" and cauchy.raw == "identity" and cauchy.user_defined
    loss = cauchy(c=2.0)
    assert repr(loss) == "cauchy(c=2.0)" and loss.get_params() == {"c": 2.0}
    assert loss == cauchy(2.0) and loss != cauchy() and hash(loss) == hash(cauchy(c=2.0))
    assert cauchy.function(0.0, 1.0, 1.0)[0] == pytest.approx(np.log(2.0))
    assert pickle.loads(pickle.dumps(loss)) == loss
    assert "pointwise_loss" in fastloss.__all__


@pytest.mark.parametrize("c", [1.0, 2.0, 0.3])
def test_values_weighted_mean_and_gradients(backend, rng, c):
    loss = cauchy(c=c)
    n = 500
    y = rng.normal(size=n) * 2.0
    raw = y + rng.standard_cauchy(size=n)
    w = rng.uniform(0.1, 2.0, size=n)
    values, grads = cauchy_reference(y, raw, c)
    for i in range(0, n, 50):  # per sample
        assert_close(loss.loss(y[i : i + 1], raw[i : i + 1]), values[i], rtol=1e-13, atol=1e-15)
    for weights in (None, w):
        expected = np.average(values, weights=weights)
        scale = np.ones(n) / n if weights is None else weights / weights.sum()
        value, grad = loss.loss_gradient(y, raw, sample_weight=weights)
        assert_close(value, expected, rtol=1e-13)
        assert_close(grad, grads * scale, rtol=1e-13, atol=1e-300)
        assert_close(loss.loss(y, raw, sample_weight=weights), expected, rtol=1e-13)
        assert_close(loss.gradient(y, raw, sample_weight=weights), grads * scale, rtol=1e-13, atol=1e-300)
    out = np.empty_like(raw)
    assert loss.loss_gradient(y, raw, gradient_out=out)[1] is out


def test_gradient_matches_central_differences(backend, rng):
    loss = cauchy(c=1.5)
    y = rng.normal(size=12)
    raw = y + rng.normal(size=12) * 2
    w = rng.uniform(0.5, 2.0, size=12)
    grad = loss.gradient(y, raw, sample_weight=w)
    h = 1e-6
    numeric = np.empty(12)
    for i in range(12):
        up, down = raw.copy(), raw.copy()
        up[i] += h
        down[i] -= h
        numeric[i] = (loss.loss(y, up, sample_weight=w) - loss.loss(y, down, sample_weight=w)) / (2 * h)
    assert_close(grad, numeric, rtol=1e-6, atol=1e-10)


def test_float32_and_inputs_not_modified(backend, rng):
    loss = cauchy(c=0.7)
    y = rng.normal(size=3000).astype(np.float32)
    raw = (y + rng.normal(size=3000)).astype(np.float32)
    w = rng.uniform(0.5, 2.0, size=3000)
    before = (y.copy(), raw.copy(), w.copy())
    for weights in (None, w):
        value, grad = loss.loss_gradient(y, raw, sample_weight=weights)
        values, grads = cauchy_reference(y.astype(np.float64), raw.astype(np.float64), 0.7)
        scale = np.ones(3000) / 3000 if weights is None else weights / weights.sum()
        assert grad.dtype == np.float32 and isinstance(value, float)
        assert_close(value, np.average(values, weights=weights), rtol=1e-12)
        assert_close(grad, grads * scale, rtol=1e-6, atol=1e-7 * np.abs(grads * scale).max())
    for a, b in zip((y, raw, w), before):
        np.testing.assert_array_equal(a, b)


def test_threads_give_the_same_results(backend, rng):
    loss = cauchy(c=1.0)
    n = 120_001
    y = rng.normal(size=n)
    raw = y + rng.normal(size=n)
    w = rng.uniform(0.5, 2.0, size=n)
    results = results_by_threads(
        lambda: (loss.loss(y, raw, sample_weight=w), *loss.loss_gradient(y, raw))
    )
    values, grads = cauchy_reference(y, raw, 1.0)
    for threads in (1, 2):
        assert_close(results[threads][0], np.average(values, weights=w), rtol=1e-12)
        assert_close(results[threads][1], values.mean(), rtol=1e-12)
        assert_close(results[threads][2], grads / n, rtol=1e-13)
    assert_close(results[1][0], results[2][0], rtol=1e-13)
    np.testing.assert_array_equal(results[1][2], results[2][2])


def test_validation_of_inputs_and_parameters(backend):
    with pytest.raises(TypeError, match="cauchy: c must be a real number"):
        cauchy(c="1.0")
    with pytest.raises(TypeError, match="unexpected parameter 'd'"):
        cauchy(d=1.0)
    with pytest.raises(ValueError, match="cauchy: c must be any number, got inf"):
        cauchy(c=float("inf"))
    with pytest.raises(ValueError, match="Input contains NaN|raw_prediction"):
        cauchy().loss([1.0, 2.0], [1.0, np.nan])
    with pytest.raises(ValueError, match="[Nn]egative"):
        cauchy().loss([1.0, 2.0], [1.0, 2.0], sample_weight=[1.0, -1.0])
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        cauchy().loss([1.0, 2.0], [1.0])


@fastloss.pointwise_loss(target="positive", name="test_positive_loss")
def log_ratio(y, raw):
    return (np.log(y) - raw) ** 2, 2.0 * (raw - np.log(y))


def test_declared_target_domain_is_checked(backend):
    assert LOSSES["test_positive_loss"] is log_ratio and log_ratio.target == "positive"
    assert log_ratio().loss([1.0, np.e], [0.0, 1.0]) == pytest.approx(0.0, abs=1e-15)
    with pytest.raises(ValueError, match=r"log_ratio needs y_true > 0; got 0.0 at index 1"):
        log_ratio().loss([1.0, 0.0], [0.0, 1.0])


def test_uncompilable_function_names_itself():
    @fastloss.pointwise_loss(name="test_untyped_call")
    def calls_python(y, raw):
        return _python_only(raw - y), 1.0

    @fastloss.pointwise_loss(name="test_string")
    def makes_a_string(y, raw):
        return str(raw) + "!", 1.0

    y, raw = np.array([1.0, 2.0]), np.array([1.5, 2.0])
    with fastloss.use_backend("numba"):
        with pytest.raises(TypeError) as info:
            calls_python().loss(y, raw)
        message = str(info.value)
        assert message.startswith("fastloss.pointwise_loss: Numba cannot compile ")
        assert "calls_python" in message and "Untyped global name '_python_only'" in message
        assert "\n" not in message and "\x1b" not in message and len(message) < 300
        assert "Failed in nopython mode" in info.value.numba_message
        with pytest.raises(TypeError, match="cannot compile .*makes_a_string.*unicode"):
            makes_a_string().loss_gradient(y, raw)
        with pytest.raises(TypeError, match="cannot compile .*calls_python"):
            SGDRegressor(loss="test_untyped_call").fit(np.ones((40, 1)), np.arange(40.0))
    with fastloss.use_backend("numpy"):  # plain Python: runs
        assert calls_python().loss(y, raw) == pytest.approx(0.25)


def test_bad_signatures_fail_at_decoration():
    with pytest.raises(TypeError, match="'f'.*parameter 'c' needs a real number as its default, got '1'"):
        @fastloss.pointwise_loss
        def f(y, raw, c="1"):
            return raw, raw

    with pytest.raises(TypeError, match="parameter 'c' needs a real number as its default, got no default"):
        fastloss.pointwise_loss(lambda y, raw, c: (raw, raw))
    with pytest.raises(TypeError, match="parameter 'c' needs a real number as its default, got True"):
        fastloss.pointwise_loss(lambda y, raw, c=True: (raw, raw))
    with pytest.raises(TypeError, match="takes 3 parameters; a pointwise loss takes at most 2"):
        fastloss.pointwise_loss(lambda y, raw, a=1.0, b=2.0, c=3.0: (raw, raw), name="three")
    with pytest.raises(TypeError, match="no \\*args"):
        fastloss.pointwise_loss(lambda y, raw, *more: (raw, raw), name="star")
    with pytest.raises(TypeError, match=r"must take \(y, raw, \*params\)"):
        fastloss.pointwise_loss(lambda y: (y, y), name="one_arg")
    with pytest.raises(TypeError, match="cannot be named 'loss'"):
        fastloss.pointwise_loss(lambda y, raw, loss=1.0: (raw, raw), name="shadow")
    with pytest.raises(ValueError, match="must be an identifier .pass name=...., got '<lambda>'"):
        fastloss.pointwise_loss(lambda y, raw: (raw, raw))
    with pytest.raises(TypeError, match="takes a Python function"):
        fastloss.pointwise_loss(np.abs)
    with pytest.raises(ValueError, match="'huber' is the name of fastloss's Huber"):
        fastloss.pointwise_loss(lambda y, raw: (raw, raw), name="huber")
    assert LOSSES["huber"] is fastloss.Huber
    for name in ("f", "three", "star", "one_arg", "shadow"):
        assert name not in LOSSES


def test_registering_a_name_again_replaces_with_a_warning(backend):
    name = f"test_again_{backend}"

    @fastloss.pointwise_loss(name=name)
    def first(y, raw):
        return (raw - y) ** 2, 2.0 * (raw - y)

    with pytest.warns(UserWarning, match=f"'{name}' replaces the user-defined loss") as record:
        @fastloss.pointwise_loss(name=name)
        def second(y, raw):
            return np.abs(raw - y), np.sign(raw - y)

    assert record[0].filename == __file__
    assert LOSSES[name] is second
    assert not hasattr(LOSSES.get("test_untyped_call"), "function")  # (restored after its test)
    assert first().loss([0.0], [3.0]) == 9.0 and second().loss([0.0], [3.0]) == 3.0


@fastloss.pointwise_loss(name="test_scalar_huber")
def scalar_huber(y, raw, delta=1.0):
    d = raw - y
    if abs(d) <= delta:
        return 0.5 * d * d, d
    return delta * (abs(d) - 0.5 * delta), delta if d > 0 else -delta


def test_scalar_only_function_works_on_both_backends(backend, rng):
    y = rng.normal(size=200)
    raw = y + rng.normal(size=200) * 2
    w = rng.uniform(size=200)
    mine = scalar_huber(delta=0.8).loss_gradient(y, raw, sample_weight=w)
    with fastloss.use_backend("numpy"):
        expected = fastloss.Huber(delta=0.8).loss_gradient(y, raw, sample_weight=w)
    assert_close(mine[0], expected[0], rtol=1e-13)
    assert_close(mine[1], expected[1], rtol=1e-13)


# -- training --------------------------------------------------------------------------
def make_data(seed=0, n=400):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.5 + rng.standard_t(2, size=n) * 0.5
    w = rng.uniform(0.5, 1.5, size=n)
    return X, y, w


def scipy_fit(c, X, y, w, alpha):
    def f(theta):
        values, _ = cauchy_reference(y, X @ theta[:-1] + theta[-1], c)
        return np.average(values, weights=w) + 0.5 * alpha * theta[:-1] @ theta[:-1]

    def grad(theta):
        _, g = cauchy_reference(y, X @ theta[:-1] + theta[-1], c)
        g = g * w / w.sum()
        return np.r_[X.T @ g + alpha * theta[:-1], g.sum()]

    start = np.linalg.lstsq(np.c_[X, np.ones(len(y))], y, rcond=None)[0]
    result = minimize(f, start, jac=grad, method="BFGS", options={"gtol": 1e-12})
    return f, result.x


@pytest.mark.parametrize("spelling", ["instance", "name"])
def test_sgd_reaches_the_scipy_optimum(backend, spelling):
    X, y, w = make_data()
    alpha = 1e-2
    f, exact = scipy_fit(1.0, X, y, w, alpha)
    loss = cauchy(c=1.0) if spelling == "instance" else "cauchy"
    reg = SGDRegressor(loss=loss, alpha=alpha, tol=None, max_iter=300, random_state=0)
    reg.fit(X, y, sample_weight=w)
    mine = np.r_[reg.coef_, reg.intercept_]
    assert f(exact) <= f(mine) + 1e-12
    assert f(mine) <= f(exact) * (1 + 1e-4), (f(mine), f(exact))
    np.testing.assert_allclose(mine, exact, rtol=0, atol=5e-3)
    # Not just any robust fit: least squares (the start) is far from it.
    start = np.linalg.lstsq(np.c_[X, np.ones(len(y))], y, rcond=None)[0]
    assert f(start) > f(exact) * (1 + 1e-2)


def test_sgd_with_a_user_loss_object_clones_and_pickles():
    X, y, w = make_data(n=300)
    reg = SGDRegressor(loss=cauchy(c=2.0), random_state=0)
    assert reg.get_params()["loss__c"] == 2.0
    copy = clone(reg)
    assert copy.loss == cauchy(c=2.0)
    reg.set_params(loss__c=0.5)
    assert reg.loss == cauchy(c=0.5)
    reg.fit(X, y)
    again = pickle.loads(pickle.dumps(reg))
    np.testing.assert_array_equal(again.predict(X), reg.predict(X))


def test_declared_target_scaling():
    """With center/target_power/target_params declared, unscaled targets (and c in
    their units) train the same model, scaled."""

    @fastloss.pointwise_loss(name="test_scaled_cauchy", center="median", target_power=0,
                             target_params=("c",))  # fmt: skip
    def scaled_cauchy(y, raw, c=1.0):
        d = raw - y
        return np.log1p((d / c) ** 2), 2.0 * d / (c * c + d * d)

    X, y, w = make_data(seed=3)
    small = SGDRegressor(loss=scaled_cauchy(c=1.0), alpha=1e-2, tol=None, max_iter=50,
                         random_state=0).fit(X, y, sample_weight=w)  # fmt: skip
    # Power 0: the objective is unchanged in size, the penalty on coef/1000 needs alpha/1e6.
    large = SGDRegressor(loss=scaled_cauchy(c=1000.0), alpha=1e-8, tol=None, max_iter=50,
                         random_state=0).fit(X, 1000.0 * y, sample_weight=w)  # fmt: skip
    np.testing.assert_allclose(large.coef_, 1000.0 * small.coef_, rtol=1e-6)
    np.testing.assert_allclose(large.intercept_, 1000.0 * small.intercept_, rtol=1e-6)
    with pytest.raises(ValueError, match=r"target_params \['d'\] are not parameters"):
        fastloss.pointwise_loss(lambda y, raw, c=1.0: (raw, raw), name="x", target_params=("d",))


# -- processes -------------------------------------------------------------------------
def _run(code, env=None):
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                            text=True, env=env, timeout=600)  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_import_stays_cheap():
    out = _run("""
        import sys, fastloss
        decorate = fastloss.pointwise_loss
        @decorate
        def mine(y, raw):
            return (raw - y) ** 2, 2 * (raw - y)
        print(sorted(m for m in ("numba", "sklearn") if m in sys.modules))
    """)
    assert out == "[]"


def test_an_edited_function_compiles_anew(tmp_path):
    """The cached kernels are named after the function's code: a new body under
    the same name (same file, same cache) is not served the old kernels."""
    env = {**os.environ, "FASTLOSS_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": os.pathsep.join(
        [str(tmp_path), os.environ.get("PYTHONPATH", "")])}  # fmt: skip
    module = tmp_path / "user_losses.py"
    run = "import numpy as np, user_losses; print(user_losses.edited().loss(np.zeros(3), np.full(3, 3.0)))"
    results = []
    for body in ("(raw - y) ** 2, 2.0 * (raw - y)", "abs(raw - y), np.sign(raw - y)",
                 "(raw - y) ** 2 * SCALE, 2.0 * SCALE * (raw - y)"):  # fmt: skip
        for scale in ((2.0, 3.0) if "SCALE" in body else (None,)):
            module.write_text(textwrap.dedent(f"""
                import numpy as np
                import fastloss
                SCALE = {scale}
                @fastloss.pointwise_loss
                def edited(y, raw):
                    return {body}
            """))
            results.append(float(_run(run, env)))
    assert results == [9.0, 3.0, 18.0, 27.0]


def test_epoch_kernels_of_different_code_have_different_cache_names():
    """The SGD epoch kernel inlines the loss: its cache name follows the loss's code
    (checked on names: compiling the epoch in fresh processes takes long)."""
    from fastloss.linear_model._epoch import epoch_kernel

    def squared(y, raw):
        return (raw - y) ** 2, 2.0 * (raw - y)

    def quartic(y, raw):
        return (raw - y) ** 4, 4.0 * (raw - y) ** 3

    names = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the second replaces the first
        for func in (squared, quartic, squared):
            cls = fastloss.pointwise_loss(func, name="test_epoch_names")
            names.append(epoch_kernel(cls).numba.py_func.__qualname__)
    assert names[0] != names[1] and names[0] == names[2]


def test_same_code_from_another_or_unimportable_module(tmp_path):
    """Numba's cached kernels import the function's module when loaded back: the
    same code from another module gets a cache entry of its own, and functions
    of modules a later process cannot import (doctests, exec) are not cached."""
    env = {**os.environ, "FASTLOSS_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": os.pathsep.join(
        [str(tmp_path), os.environ.get("PYTHONPATH", "")])}  # fmt: skip
    source = textwrap.dedent("""
        import numpy as np
        import fastloss
        @fastloss.pointwise_loss
        def same(y, raw, c=1.0):
            d = raw - y
            return np.log1p((d / c) ** 2), 2.0 * d / (c * c + d * d)
    """)
    (tmp_path / "some_module.py").write_text(source)
    run_module = "import some_module; print(some_module.same().loss([0.0], [1.0]))"
    run_exec = f"""
        ns = {{"__name__": "not_importable"}}
        exec({source!r}, ns)
        print(ns["same"]().loss([0.0], [1.0]), ns["same"]._kernels.loss_gradient.numba.cacheable)
    """
    run_main = source + "\nprint(same().loss([0.0], [1.0]), same._kernels.loss_gradient.numba.cacheable)"
    expected = repr(float(np.log(2.0)))
    assert _run(run_module, env) == expected
    assert _run(run_exec, env) == _run(run_exec, env) == f"{expected} False"
    assert _run(run_main, env) == _run(run_main, env) == f"{expected} True"
