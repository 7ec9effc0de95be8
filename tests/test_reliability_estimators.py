"""Reliability of the SGD estimators (issue #16): zero weights on one side of
the early-stopping split, Dask inputs judged as a whole before training,
interrupted re-fits that leave a consistent model, pandas nullable dtypes, and
a hypothesis state machine over fit / partial_fit / interrupts / pickling."""

import pickle
import sys
import warnings

import dask.array as da
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)
from sklearn.exceptions import ConvergenceWarning, NotFittedError

from fastloss.linear_model import SGDClassifier, SGDRegressor
from fastloss.linear_model import _trainer as sgd_module
from fastloss.linear_model._stochastic_gradient import _BaseSGD
from fastloss.linear_model._trainer import Trainer

ESTIMATORS = [SGDClassifier, SGDRegressor]


def _data(kind, n=60, n_features=3, classes=(0, 1), seed=0):
    rng = np.random.default_rng(seed)
    if kind is SGDRegressor:
        X = rng.normal(size=(n, n_features))
        return X, X @ np.linspace(1.0, 2.0, n_features) + 0.5 + 0.1 * rng.normal(size=n)
    classes = np.asarray(classes)
    index = rng.permutation(np.arange(n) % len(classes))
    centers = rng.normal(scale=3.0, size=(len(classes), n_features))
    return centers[index] + rng.normal(size=(n, n_features)), classes[index]


def _assert_consistent(est, X=None):
    """Attributes agree with each other, and predict maps onto classes_."""
    p = est.n_features_in_
    assert est.coef_.dtype == est.intercept_.dtype
    assert np.isfinite(est.coef_).all() and np.isfinite(est.intercept_).all()
    if hasattr(est, "feature_names_in_"):
        assert len(est.feature_names_in_) == p
    if isinstance(est, SGDClassifier):
        k = len(est.classes_)
        rows = 1 if k == 2 else k
        assert est.coef_.shape == (rows, p) and est.intercept_.shape == (rows,)
        assert est._n_outputs == (1 if k == 2 else k)
    else:
        assert est.coef_.shape == (p,) and est.intercept_.shape == (1,)
    state = est._train_state
    assert state.mean.shape == state.inv_scale.shape == (p,)
    assert state.coef.shape[0] == p
    assert len(est.loss_curve_) == est.n_iter_ and est.n_iter_ >= 1
    if est.validation_loss_curve_ is not None:
        assert len(est.validation_loss_curve_) <= est.n_iter_
    X = np.random.default_rng(1).normal(size=(7, p)) if X is None else X
    pred = est.predict(X)
    assert pred.shape == (X.shape[0],)
    if isinstance(est, SGDClassifier):
        assert np.isin(pred, est.classes_).all()
        if hasattr(est, "predict_proba"):
            assert est.predict_proba(X).shape == (X.shape[0], len(est.classes_))


# -- 4. early stopping with all the weight on one side of the split -------------------


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_early_stopping_zero_weights_on_one_side_raise_value_error(Est):
    X, y = _data(Est, n=40)
    w = np.zeros(40)
    w[7] = 1.0  # one row carries all the weight: one side of any split has none
    seen = set()
    for seed in range(20):
        est = Est(early_stopping=True, validation_fraction=0.5, random_state=seed, max_iter=2)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                est.fit(X, y, sample_weight=w)
        except ValueError as exc:  # a ZeroDivisionError is a test failure
            seen.add(str(exc))
            with pytest.raises(NotFittedError):
                est.predict(X)  # nothing half-fitted is left behind
    assert seen == {
        f"The sample weights for {part} set are all zero, consider using a different "
        "random state."
        for part in ("validation", "training")
    }


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_early_stopping_refused_refit_keeps_the_previous_model(Est):
    X, y = _data(Est, n=40)
    est = Est(early_stopping=True, validation_fraction=0.5, random_state=0, max_iter=2, tol=None)
    est.fit(X, y)
    coef = est.coef_.copy()
    w = np.zeros(40)
    w[7] = 1.0
    with pytest.raises(ValueError, match="are all zero"):
        est.fit(X, y, sample_weight=w)
    np.testing.assert_array_equal(est.coef_, coef)
    _assert_consistent(est)


# -- 5. Dask inputs are judged as a whole, before training ------------------------------


@pytest.fixture
def count_epochs(monkeypatch):
    """Count the epoch-kernel calls (zero: no training happened)."""
    real = sgd_module.epoch_kernel
    calls = []

    def counting(loss_cls):
        kernel = real(loss_cls)

        def run(*args):
            calls.append(1)
            return kernel(*args)

        return run

    monkeypatch.setattr(sgd_module, "epoch_kernel", counting)
    return calls


def _numpy_error(est, X, y, w=None):
    with pytest.raises(ValueError) as info:
        est.fit(X, y, sample_weight=w)
    return str(info.value)


@pytest.mark.parametrize("Est", ESTIMATORS)
@pytest.mark.parametrize(
    "where, value",
    [("X", np.nan), ("X", np.inf), ("y", np.nan), ("y", -np.inf), ("w", np.nan), ("w", -1.0)],
)
def test_dask_bad_value_in_last_block_raises_before_training(Est, where, value, count_epochs):
    X, y = _data(Est, n=100)
    if Est is SGDClassifier:
        y = y.astype(np.float64)  # a float label array can hold NaN
    w = np.ones(100)
    {"X": X[:, 1], "y": y, "w": w}[where][95] = value
    expected = _numpy_error(Est(max_iter=3), X, y, w)  # the NumPy path's words
    assert not count_epochs
    dX, dy, dw = (da.from_array(a, chunks=30) if a.ndim == 1 else da.from_array(a, (30, 3))
                  for a in (X, y, w))
    with pytest.raises(ValueError) as info:
        Est(max_iter=3).fit(dX, dy, sample_weight=dw)
    assert str(info.value) == expected
    assert not count_epochs  # refused before the first epoch, not after 9


def test_dask_reports_x_before_y_as_numpy_does(count_epochs):
    X, y = _data(SGDRegressor, n=100)
    X[95, 0] = np.nan  # last block
    y[3] = np.nan  # first block
    with pytest.raises(ValueError, match="Input X contains NaN"):
        SGDRegressor().fit(da.from_array(X, chunks=(30, 3)), da.from_array(y, chunks=30))
    assert not count_epochs


@pytest.mark.parametrize("Est", ESTIMATORS)
@pytest.mark.parametrize("zero_block", [0, 2])
def test_dask_block_of_zero_weights_is_fine(Est, zero_block):
    X, y = _data(Est, n=120)
    w = np.ones(120)
    w[zero_block * 30 : zero_block * 30 + 30] = 0.0
    dX = da.from_array(X, chunks=(30, 3))
    est = Est(max_iter=5, tol=None, random_state=0).fit(dX, y, sample_weight=w)
    _assert_consistent(est, X)
    # Only the whole being zero is refused.
    with pytest.raises(ValueError, match="Sample weights must contain at least one non-zero"):
        Est().fit(dX, y, sample_weight=np.zeros(120))


def test_dask_partial_fit_unknown_label_in_last_block_refused_before_training(count_epochs):
    X, y = _data(SGDClassifier, n=100, classes=("a", "b", "c"))
    y[97] = "z"
    with pytest.raises(ValueError, match=r"y contains labels array\(\['z'\]"):
        SGDClassifier(loss="log_loss").partial_fit(
            da.from_array(X, chunks=(30, 3)), da.from_array(y, chunks=30), classes=["a", "b", "c"]
        )
    assert not count_epochs


# -- 6. an interrupted re-fit leaves a consistent model ---------------------------------


def _raise_after(monkeypatch, owner, name, nth=1):
    """Make ``owner.name`` raise KeyboardInterrupt after its ``nth`` call returns."""
    real = getattr(owner, name)
    calls = []

    def interrupted(*args, **kwargs):
        out = real(*args, **kwargs)
        calls.append(1)
        if len(calls) == nth:
            raise KeyboardInterrupt
        return out

    monkeypatch.setattr(owner, name, interrupted)


def _kernel_interrupt(monkeypatch, nth):
    real = sgd_module.epoch_kernel
    calls = []

    def interrupted(loss_cls):
        kernel = real(loss_cls)

        def run(*args):
            out = kernel(*args)  # the epoch ran and moved the state...
            calls.append(1)
            if len(calls) == nth:
                raise KeyboardInterrupt  # ...then Ctrl-C arrived
            return out

        return run

    monkeypatch.setattr(sgd_module, "epoch_kernel", interrupted)


MOMENTS = {
    # moment: (how to interrupt, finished epochs of the new fit at that point)
    "validation of the data": (lambda mp: _raise_after(mp, _BaseSGD, "_validate_fit_data"), 0),
    "scaling state": (lambda mp: _raise_after(mp, Trainer, "init_state"), 0),
    "first epoch kernel": (lambda mp: _kernel_interrupt(mp, 1), 0),
    "first publish": (lambda mp: _raise_after(mp, Trainer, "publish"), 0),
    "first validation loss": (lambda mp: _raise_after(mp, Trainer, "model_loss"), 0),
    "third epoch kernel": (lambda mp: _kernel_interrupt(mp, 3), 2),
}


@pytest.mark.parametrize("moment", list(MOMENTS))
@pytest.mark.parametrize(
    "Est, change",
    [(SGDClassifier, "classes"), (SGDClassifier, "features"), (SGDRegressor, "features")],
)
def test_interrupted_refit_leaves_previous_or_last_epoch_model(monkeypatch, Est, change, moment):
    params = dict(max_iter=5, tol=None, random_state=0, early_stopping=True)
    X_old, y_old = _data(Est, n_features=3, classes=(0, 1, 2))
    est = Est(**params).fit(pd.DataFrame(X_old, columns=["a", "b", "c"]), y_old)
    before = pickle.dumps(est)
    if change == "classes":
        X_new, y_new = _data(Est, n_features=3, classes=("no", "yes"), seed=1)
    else:
        X_new, y_new = _data(Est, n_features=5, classes=(0, 1, 2), seed=1)
    interrupt, finished = MOMENTS[moment]
    interrupt(monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        est.fit(X_new, y_new)
    monkeypatch.undo()
    if finished == 0:  # the previous model, whole
        old = pickle.loads(before)
        assert est.n_features_in_ == 3 and list(est.feature_names_in_) == ["a", "b", "c"]
        np.testing.assert_array_equal(est.coef_, old.coef_)
        assert est.n_iter_ == old.n_iter_ and est.t_ == old.t_
        assert est.loss_curve_ == old.loss_curve_
        if Est is SGDClassifier:
            np.testing.assert_array_equal(est.classes_, old.classes_)
        X_check = pd.DataFrame(X_old[:7], columns=["a", "b", "c"])
        np.testing.assert_array_equal(est.predict(X_check), old.predict(X_check))
    else:  # the model of the new fit's last finished epoch
        reference = Est(**params).set_params(max_iter=finished).fit(X_new, y_new)
        assert est.n_iter_ == finished and not hasattr(est, "feature_names_in_")
        assert est.n_features_in_ == X_new.shape[1]
        np.testing.assert_array_equal(est.coef_, reference.coef_)
        if Est is SGDClassifier:
            np.testing.assert_array_equal(est.classes_, np.unique(y_new))
        X_check = X_new[:7]
    _assert_consistent(est, X_check)
    est.fit(X_new, y_new)  # and it trains on
    _assert_consistent(est, X_new)


def test_interrupted_partial_fit_keeps_the_state_before_it(monkeypatch):
    X, y = _data(SGDClassifier, classes=(0, 1, 2))
    est = SGDClassifier(loss="log_loss", random_state=0).partial_fit(X, y, classes=[0, 1, 2])
    before = pickle.dumps(est)
    _kernel_interrupt(monkeypatch, 1)
    with pytest.raises(KeyboardInterrupt):
        est.partial_fit(X, y)
    monkeypatch.undo()
    old = pickle.loads(before)
    for name in ("coef_", "intercept_"):
        np.testing.assert_array_equal(getattr(est, name), getattr(old, name))
    for name in ("coef", "coef_vel", "coef_avg"):
        np.testing.assert_array_equal(getattr(est._train_state, name), getattr(old._train_state, name))
    assert est._train_state.step == old._train_state.step and est.n_iter_ == old.n_iter_ == 1
    # Continuing gives exactly what an uninterrupted second call gives.
    np.testing.assert_array_equal(
        est.partial_fit(X, y).coef_, old.partial_fit(X, y).coef_
    )


# -- 3. pandas nullable dtypes ----------------------------------------------------------

NULLABLE = {"Float64": np.float64, "Float32": np.float32, "Int64": np.int64}


def _nullable_data(dtype, n=60):
    X, y = _data(SGDRegressor, n=n)
    if dtype == "Int64":
        X, y = np.round(X * 10), np.round(y * 10)
    return X.astype(NULLABLE[dtype]), y.astype(NULLABLE[dtype])


@pytest.mark.parametrize("dtype", list(NULLABLE))
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_nullable_pandas_inputs_work_like_numpy(dtype, method):
    X, y = _nullable_data(dtype)
    w = np.linspace(1, 3, len(y)).round().astype(NULLABLE[dtype])
    labels = (y > np.median(y)).astype(NULLABLE[dtype])
    df = pd.DataFrame(X, columns=["a", "b", "c"]).astype(dtype)
    ys, ws, ls = (pd.Series(a).astype(dtype) for a in (y, w, labels))
    cases = [
        (SGDRegressor, (df, ys, ws), (X, y, w), {}),
        (SGDClassifier, (df, ls, ws), (X, labels, w), {"classes": [0, 1]}),
    ]
    for Est, pandas_args, numpy_args, extra in cases:
        fits = []
        for X_, y_, w_ in (pandas_args, numpy_args):
            est = Est(random_state=0, max_iter=3, tol=None)
            kwargs = extra if method == "partial_fit" and Est is SGDClassifier else {}
            getattr(est, method)(X_, y_, sample_weight=w_, **kwargs)
            fits.append(est)
        on_pandas, on_numpy = fits
        np.testing.assert_array_equal(on_pandas.coef_, on_numpy.coef_)
        assert list(on_pandas.feature_names_in_) == ["a", "b", "c"]
        assert on_pandas.coef_.dtype == on_numpy.coef_.dtype  # Float32 trains in float32
        if Est is SGDRegressor:  # (a DataFrame is F-ordered: BLAS may round differently)
            rtol = 1e-12 if X.dtype != np.float32 else 1e-6
            assert on_pandas.predict(df).dtype == on_numpy.predict(X).dtype
            np.testing.assert_allclose(on_pandas.predict(df), on_numpy.predict(X), rtol=rtol)
        else:
            np.testing.assert_array_equal(on_pandas.predict(df), on_numpy.predict(X))
        if Est is SGDClassifier:  # Int64 labels stay integers, as from NumPy
            assert on_pandas.classes_.dtype == on_numpy.classes_.dtype
            assert on_pandas.predict(df).dtype == on_numpy.predict(X).dtype


@pytest.mark.parametrize("dtype", list(NULLABLE))
@pytest.mark.parametrize("where", ["X", "y", "sample_weight", "predict"])
@pytest.mark.parametrize("Est", ESTIMATORS)
def test_pd_na_reported_as_nan(dtype, where, Est):
    X, y = _nullable_data(dtype)
    if Est is SGDClassifier:
        y = (y > np.median(y)).astype(NULLABLE[dtype])
    w = np.ones(len(y), dtype=NULLABLE[dtype])
    df = pd.DataFrame(X, columns=["a", "b", "c"]).astype(dtype)
    ys, ws = pd.Series(y).astype(dtype), pd.Series(w).astype(dtype)
    Xn, yn, wn = X.astype(np.float64), y.astype(np.float64), w.astype(np.float64)
    if where in ("X", "predict"):
        df.iloc[4, 1], Xn[4, 1] = pd.NA, np.nan
    elif where == "y":
        ys[4], yn[4] = pd.NA, np.nan
    else:
        ws[4], wn[4] = pd.NA, np.nan
    messages = []
    for X_, y_, w_ in ((df, ys, ws), (Xn, yn, wn)):
        est = Est(random_state=0, max_iter=2, tol=None)
        with pytest.raises(ValueError) as info, warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # fitted without feature names
            if where == "predict":
                est.fit(np.nan_to_num(Xn), y).predict(X_)
            else:
                est.fit(X_, y_, sample_weight=w_)
        messages.append(str(info.value))
    assert messages[0] == messages[1] and "NaN" in messages[0]


# -- the state machine ------------------------------------------------------------------


class _InterruptAtLine:
    """Raise KeyboardInterrupt at the ``n``-th line run in the estimators or scikit-learn.

    A trace function: the interrupt can land on any line of the estimators'
    Python code (fastloss/linear_model) and of the scikit-learn code it calls
    (validation, base classes), as a Ctrl-C would between two bytecodes.
    """

    def __init__(self, n):
        self.n = n
        self.seen = 0
        self.fired = False

    def _call(self, frame, event, arg):
        name = frame.f_code.co_filename
        if "linear_model" in name and "fastloss" in name or "sklearn" in name:
            return self._line
        return None

    def _line(self, frame, event, arg):
        if event == "line":
            self.seen += 1
            if self.seen == self.n:  # (n None: only count)
                self.fired = True
                raise KeyboardInterrupt
        return self._line

    def __enter__(self):
        self._previous = sys.gettrace()
        sys.settrace(self._call)
        return self

    def __exit__(self, *exc):
        sys.settrace(self._previous)
        return exc[0] is KeyboardInterrupt and self.fired


LABEL_SETS = [(0, 1), (0, 1, 2), ("a", "b", "c", "d")]


class EstimatorMachine(RuleBasedStateMachine):
    """fit / partial_fit / interrupted fits / pickling keep a consistent model."""

    def __init__(self):
        super().__init__()
        self.est = None

    @initialize(regressor=st.booleans(), early_stopping=st.booleans(), warm_start=st.booleans(),
                n_features=st.sampled_from([2, 3]), labels=st.sampled_from(LABEL_SETS))  # fmt: skip
    def make(self, regressor, early_stopping, warm_start, n_features, labels):
        Est = SGDRegressor if regressor else SGDClassifier
        self.est = Est(
            max_iter=2, tol=None, random_state=0, early_stopping=early_stopping,
            warm_start=warm_start,
        )  # fmt: skip
        self.est.fit(*self._new_data(n_features, labels, seed=0))

    def _new_data(self, n_features, labels, seed):
        X, y = _data(type(self.est), n=40, n_features=n_features, classes=labels, seed=seed)
        return X, y

    def _current_data(self, seed):
        est = self.est
        labels = getattr(est, "classes_", LABEL_SETS[0])
        return self._new_data(getattr(est, "n_features_in_", 2), tuple(labels), seed)

    def _snapshot(self):
        est = self.est
        if not hasattr(est, "coef_"):
            return None
        return pickle.dumps(est)

    def _check_interrupted(self, before, allowed_new):
        """After an interrupt: the model before it, or one allowed new model."""
        est = self.est
        if not hasattr(est, "coef_"):
            assert before is None
            return
        if before is not None:
            old = pickle.loads(before)
            if est.n_iter_ == old.n_iter_ and est.t_ == old.t_ and np.array_equal(
                est.coef_, old.coef_
            ):
                assert est.n_features_in_ == old.n_features_in_
                if isinstance(est, SGDClassifier):
                    np.testing.assert_array_equal(est.classes_, old.classes_)
                return
        allowed_new(est)

    @rule(n_features=st.sampled_from([2, 3]), labels=st.sampled_from(LABEL_SETS),
          seed=st.integers(0, 3))  # fmt: skip
    def fit(self, n_features, labels, seed):
        est = self.est
        if est.warm_start and hasattr(est, "coef_"):
            n_features = est.n_features_in_
            labels = tuple(getattr(est, "classes_", labels))
        X, y = self._new_data(n_features, labels, seed)
        est.fit(X, y)
        assert est.n_features_in_ == n_features
        if isinstance(est, SGDClassifier):
            np.testing.assert_array_equal(est.classes_, np.unique(np.asarray(labels)))

    @rule(seed=st.integers(0, 3))
    def partial_fit(self, seed):
        est = self.est
        X, y = self._current_data(seed)
        n_iter = getattr(est, "n_iter_", 0)
        if isinstance(est, SGDClassifier):
            est.partial_fit(X, y, classes=None if hasattr(est, "classes_") else np.unique(y))
        else:
            est.partial_fit(X, y)
        assert est.n_iter_ == n_iter + 1

    def _interrupt_at_random_line(self, call, rnd):
        """Run ``call(est)`` interrupted at a uniformly random line of it (or not at all)."""
        with _InterruptAtLine(None) as count:  # how many lines an uninterrupted run takes
            call(pickle.loads(pickle.dumps(self.est)))
        # (st.integers favours small values; a uniform draw reaches every moment alike)
        with _InterruptAtLine(rnd.randint(1, count.seen + count.seen // 10 + 1)):
            call(self.est)

    @rule(n_features=st.sampled_from([2, 3]), labels=st.sampled_from(LABEL_SETS),
          seed=st.integers(0, 3), rnd=st.randoms(use_true_random=False))  # fmt: skip
    def interrupted_fit(self, n_features, labels, seed, rnd):
        est = self.est
        if est.warm_start and hasattr(est, "coef_"):
            n_features = est.n_features_in_
            labels = tuple(getattr(est, "classes_", labels))
        X, y = self._new_data(n_features, labels, seed)
        before = self._snapshot()
        old_iter = est.n_iter_ if hasattr(est, "coef_") else 0
        self._interrupt_at_random_line(lambda e: e.fit(X, y), rnd)

        def new_model(est):
            assert est.n_features_in_ == n_features
            if isinstance(est, SGDClassifier):
                np.testing.assert_array_equal(est.classes_, np.unique(np.asarray(labels)))
            if est.warm_start and before is not None:
                assert old_iter < est.n_iter_ <= old_iter + est.max_iter
            else:
                assert 1 <= est.n_iter_ <= est.max_iter

        self._check_interrupted(before, new_model)

    @rule(seed=st.integers(0, 3), rnd=st.randoms(use_true_random=False))
    def interrupted_partial_fit(self, seed, rnd):
        est = self.est
        X, y = self._current_data(seed)
        before = self._snapshot()
        old_iter = getattr(est, "n_iter_", 0)
        classes = None if hasattr(est, "classes_") else np.unique(y)

        def partial_fit(e):
            if isinstance(e, SGDClassifier):
                e.partial_fit(X, y, classes=classes)
            else:
                e.partial_fit(X, y)

        self._interrupt_at_random_line(partial_fit, rnd)

        def one_more_epoch(est):
            assert est.n_iter_ == old_iter + 1

        self._check_interrupted(before, one_more_epoch)

    @precondition(lambda self: hasattr(self.est, "coef_"))
    @rule()
    def pickle_round_trip(self):
        copy = pickle.loads(pickle.dumps(self.est))
        X = np.random.default_rng(2).normal(size=(9, self.est.n_features_in_))
        np.testing.assert_array_equal(copy.predict(X), self.est.predict(X))
        self.est = copy  # and the copy trains on

    @invariant()
    def consistent(self):
        if hasattr(self.est, "coef_"):
            _assert_consistent(self.est)


EstimatorMachine.TestCase.settings = settings(
    max_examples=60,
    stateful_step_count=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_estimator_state_machine = EstimatorMachine.TestCase
