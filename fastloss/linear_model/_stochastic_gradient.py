"""Large-minibatch SGD estimators with scikit-learn's API."""

from __future__ import annotations

import copy
import math
import numbers
import sys
import time
import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, InvalidParameterError, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from .._dask import is_dask
from .._losses._base import FusedLoss
from .._losses._spec import RAW, TARGETS
from .._registry import LOSSES
from .._validation import as_ndarray
from ._epoch import epoch_kernel

__all__ = ["SGDRegressor", "SGDClassifier"]

#: How many times a diverging epoch is retried, each time with a learning
#: rate ten times smaller, before fit gives up with an error.
MAX_BACKOFFS = 8
#: An epoch diverges when a minibatch's mean loss exceeds this many times the
#: loss of the all-zero model (in standardised units), or is not finite.
DIVERGENCE_FACTOR = 1e3
#: Rows used to estimate the curvature behind ``learning_rate="auto"``.
STATS_SAMPLE = 10_000
#: Fewest optimizer steps per epoch (caps the minibatch size on small data).
MIN_STEPS = 32
#: Most consecutive rows kept together by the epoch shuffle.
SHUFFLE_BLOCK = 64
#: Most training rows on which ``loss_curve_`` is measured.
CURVE_SAMPLE = 20_000
#: Upper limit of the automatic learning rate (standardised units).
MAX_AUTO_RATE = 0.1


class _Objective:
    """What the shared SGD code needs to know about one loss instance.

    Read from the loss class's declared :class:`~fastloss._losses._spec.SGDSpec`
    (``loss.sgd``): ``grad_factor`` multiplies the fused gradient (1/2 for
    the squared error, whose objective is ``mean((y - p)**2) / 2 + alpha *
    ||w||**2 / 2`` as in scikit-learn's SGD); ``power`` is how the loss
    scales with the targets' scale (``None``: targets are not scaled);
    ``curvature`` bounds the second derivative of the objective's data term
    in the raw prediction (standardised units).
    """

    def __init__(self, loss):
        spec = type(loss).sgd
        params = loss.get_params()
        self.loss = loss
        self.spec = spec
        self.grad_factor = spec.grad_factor
        self.power = spec.resolve("target_power", params)
        self.curvature = float(spec.resolve("curvature", params))
        self.smooth = spec.smooth

    @property
    def scales(self):
        """Whether the targets are divided by their scale in standardised units."""
        return self.power is not None

    def center(self, y):
        return self.spec.center_of(y, self.loss.get_params())

    def scaled_loss(self, y_scale):
        """The loss in standardised units: parameters in the targets' units divided by ``y_scale``."""
        names = self.spec.target_params
        if not names or y_scale == 1.0:
            return self.loss
        params = self.loss.get_params()
        params.update({name: params[name] / y_scale for name in names})
        return type(self.loss)(**params)


#: Target kinds of regression losses.
_REGRESSION_TARGETS = ("real", "nonnegative", "positive")


def _regression_problem(loss):
    """Why ``loss`` (a class or an instance) cannot be trained by SGDRegressor, or None."""
    cls = loss if isinstance(loss, type) else type(loss)
    kind = cls().target_kind if isinstance(loss, type) else loss.target_kind
    if cls._raw_ndim != 1 or kind not in _REGRESSION_TARGETS:
        return f"it is not a regression loss (its targets are {kind!r})"
    if cls.raw != "identity":
        return (
            f"its raw prediction is {RAW[cls.raw]} (raw={cls.raw!r}), and SGDRegressor "
            "predicts the target itself (raw='identity'): its targets cannot be centred "
            "and scaled the way the trainer does"
        )
    if kind != "real":
        # The trainer centres and scales the targets (y - centre) / scale: a
        # domain such as y >= 0 would not hold for them, and the loss's own
        # target check would turn every step into NaN.
        return (
            f"its targets are restricted ({TARGETS[kind][1]}), and SGDRegressor centres "
            "and scales the targets: only losses of real targets (target='real') train"
        )
    if cls.sgd is None:
        return "it declares no SGD metadata (sgd = SGDSpec(...))"
    return None


def _regression_losses():
    """Registry names of the losses SGDRegressor trains (read at call time)."""
    return sorted(name for name, cls in LOSSES.items() if _regression_problem(cls) is None)


class _RegressorConstraints:
    """SGDRegressor's parameter constraints, with the loss names read from the registry.

    A descriptor, so that losses registered after import (user-defined ones)
    are accepted, on the class and on instances alike.
    """

    def __get__(self, obj, owner):
        return {
            **_BaseSGD._parameter_constraints,
            "loss": [StrOptions(set(_regression_losses())), FusedLoss],
        }


def _top_eigenvalue(Z, rng, iterations=30):
    """Largest eigenvalue of ``Z.T @ Z / len(Z)`` by power iteration."""
    m, p = Z.shape
    if m == 0 or p == 0:
        return 0.0
    v = rng.standard_normal(p)
    value = 0.0
    for _ in range(iterations):
        u = Z.T @ (Z @ v) / m
        value = float(np.linalg.norm(u))
        if value == 0.0 or not np.isfinite(value):
            return 0.0
        v = u / value
    return value


class _InMemory:
    """Training data held in memory: each epoch is one part, the whole of it."""

    def __init__(self, X, targets, sample_weight):
        self.X, self.targets, self.sample_weight = X, targets, sample_weight
        self.dtype = X.dtype
        self.n_samples = X.shape[0]
        self.weight_scale = (
            1.0 if sample_weight is None else self.n_samples / float(sample_weight.sum())
        )

    def parts(self, rng):
        yield self.X, self.targets, self.sample_weight

    def curve_sample(self, rng):
        """Rows on which loss_curve_ is measured: about CURVE_SAMPLE, fixed per fit."""
        return _sample_of(self.X, self.targets, self.sample_weight, rng)


def _sample_of(X, targets, sample_weight, rng):
    rows = _BaseSGD._sample_rows(X.shape[0], rng, CURVE_SAMPLE)
    if rows is None:
        return X, targets, sample_weight
    w = None if sample_weight is None else sample_weight[rows]
    if w is not None and not w.sum() > 0:
        w = None
    return X[rows], targets[rows], w


def _copied_state(state):
    """A copy of an estimator's ``__dict__`` that shares nothing training mutates.

    The epoch kernel updates the optimizer arrays in place, the loss curves
    are appended to and each epoch draws its shuffle from ``_random_state_``,
    so arrays, lists and random states are copied (all of them of the size of
    the model, not of the data): an interrupted epoch does not advance the
    committed random state, and partial_fit after an interrupt continues
    exactly as if the interrupted call had never started.  Other values are
    immutable (the parameters, a ``random_state`` passed as an instance
    included: a fresh fit draws from it, as in scikit-learn).
    """
    copied = {}
    for name, value in state.items():
        if isinstance(value, (np.ndarray, list)):
            value = value.copy()
        elif isinstance(value, np.random.RandomState) and name != "random_state":
            value = copy.deepcopy(value)
        copied[name] = value
    return copied


def _is_pandas(value):
    return type(value).__module__.partition(".")[0] == "pandas"


def _from_pandas(value):
    """pandas inputs (nullable dtypes included, pd.NA as NaN) as NumPy arrays."""
    return as_ndarray(value) if _is_pandas(value) else value


def _frame_with_numpy_dtypes(X):
    """A DataFrame with nullable columns as one of their NumPy dtypes, names kept.

    validate_data turns ``Float32`` columns into float64 (float32 NumPy input
    trains in float32) and needs the DataFrame for ``feature_names_in_``, so
    the values go through as_ndarray (pd.NA as NaN) and keep their labels.
    """
    if not _is_pandas(X) or not hasattr(X, "columns"):
        return X
    if all(isinstance(d, np.dtype) for d in X.dtypes):
        return X
    return type(X)(as_ndarray(X), index=X.index, columns=X.columns)


class _BaseSGD(BaseEstimator):
    _parameter_constraints: dict = {
        "alpha": [Interval(numbers.Real, 0, None, closed="left")],
        "fit_intercept": ["boolean"],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "tol": [Interval(numbers.Real, 0, None, closed="left"), None],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "learning_rate": [
            StrOptions({"auto"}),
            Interval(numbers.Real, 0, None, closed="neither"),
        ],
        "momentum": [Interval(numbers.Real, 0, 1, closed="left")],
        "average": ["boolean"],
        "shuffle": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(numbers.Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(numbers.Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
    }

    def __init__(
        self,
        *,
        alpha=1e-4,
        fit_intercept=True,
        max_iter=1000,
        tol=1e-3,
        batch_size=2048,
        learning_rate="auto",
        momentum=0.9,
        average=True,
        shuffle=True,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=1,
        random_state=None,
        verbose=0,
        warm_start=False,
    ):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.average = average
        self.shuffle = shuffle
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start

    def __sklearn_is_fitted__(self):
        # Fitted once an epoch has finished (not merely once fit has started).
        return hasattr(self, "coef_")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        return tags

    # -- hooks of the subclasses ----------------------------------------------
    def _objective(self, n_outputs):  # pragma: no cover - overridden
        raise NotImplementedError

    # -- data --------------------------------------------------------------------
    def _validate_fit_data(self, X, y, sample_weight, reset):
        # Nullable pandas inputs work like their NumPy equivalents (through
        # as_ndarray, pd.NA as NaN): validate_data alone would make float64 of
        # Float32 columns and of Int64 labels (which would predict as floats).
        X = _frame_with_numpy_dtypes(X)
        if y is not None:
            y = _from_pandas(y)
        sample_weight = _from_pandas(sample_weight)
        X, y = validate_data(
            self,
            X,
            y,
            reset=reset,
            dtype=[np.float64, np.float32],
            order="C",
            accept_sparse=False,
            y_numeric=isinstance(self, RegressorMixin),
        )
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, X, dtype=np.float64, ensure_non_negative=True
            )
            if not sample_weight.sum() > 0:
                raise ValueError("Sample weights must contain at least one non-zero number.")
        return X, y, sample_weight

    # -- state ---------------------------------------------------------------
    def _init_state(self, X, targets, sample_weight, n_outputs, rng, n_total=None):
        """Standardisation, learning rate and zeroed optimizer state.

        Statistics come from (a sample of) ``X``; ``n_total`` (default: the rows
        of X) sizes the minibatches and the learning-rate decay.
        """
        n, p = X.shape
        rows = self._sample_rows(n, rng, STATS_SAMPLE)
        sample = np.asarray(X if rows is None else X[rows], dtype=np.float64)
        mean = sample.mean(axis=0)
        scale = sample.std(axis=0)
        scale[~(scale > 1e-12 * np.maximum(1.0, np.abs(mean)))] = 1.0  # constant columns
        if not self.fit_intercept:
            mean = np.zeros(p)
        self._mean = mean
        self._inv_scale = 1.0 / scale
        objective = self._objective(n_outputs)
        ys = targets if rows is None else targets[rows]
        self._y_shift, self._y_scale = 0.0, 1.0
        if self.fit_intercept:
            self._y_shift = objective.center(ys)
        if objective.scales:
            y_scale = float(np.std(ys))
            if y_scale > 0 and np.isfinite(y_scale):
                self._y_scale = y_scale
        shape = (p,) if n_outputs == 1 else (p, n_outputs)
        self._coef_iter = np.zeros(shape)
        self._coef_vel = np.zeros(shape)
        self._coef_avg = np.zeros(shape)
        self._intercept_avg = np.zeros(n_outputs)
        self._n_avg = 0
        self._intercept_iter = np.zeros(n_outputs)
        self._intercept_vel = np.zeros(n_outputs)
        self._step = 0
        # Small data: smaller minibatches, so that an epoch still takes
        # MIN_STEPS optimizer steps.
        n_total = n if n_total is None else n_total
        self._batch = max(1, min(self.batch_size, n_total // MIN_STEPS))
        self._decay_steps = float(math.ceil(n_total / self._batch))
        if self.learning_rate == "auto":
            Z = (sample - mean) * self._inv_scale
            top = max(_top_eigenvalue(Z, rng), 1.0)  # 1: the intercept's direction
            # Minibatch noise: one step on a batch of b rows can see curvature
            # up to about mean(|z|**2) * (largest weight / mean weight) / b.
            row_norm = float(np.mean(np.sum(Z * Z, axis=1))) if Z.size else 0.0
            spread = 1.0
            if sample_weight is not None:
                spread = float(sample_weight.max() / sample_weight.mean())
            # Momentum multiplies the step taken along that noise by 1 / (1 - beta).
            noise = row_norm * spread / self._batch / (1.0 - self.momentum)
            self.learning_rate_ = min(
                MAX_AUTO_RATE, 1.0 / (objective.curvature * (top + noise))
            )
        else:
            self.learning_rate_ = float(self.learning_rate)
        ref = self._reference_loss(ys, n_outputs, X.dtype)
        self._ref_loss = max(ref, 1e-3)
        self._bound = DIVERGENCE_FACTOR * self._ref_loss
        self._rate_scale = 1.0
        self.loss_curve_ = []
        self.validation_loss_curve_ = [] if self.early_stopping else None
        self.n_iter_ = 0
        self.t_ = 0

    @staticmethod
    def _sample_rows(n, rng, size):
        """About ``size`` sorted random rows (None: all ``n`` rows)."""
        if n <= size:
            return None
        # Drawn with replacement, duplicates dropped: rng.choice without
        # replacement permutes all n rows.
        return np.unique(rng.randint(0, n, size))

    def _reference_loss(self, targets, n_outputs, dtype):
        """Loss of the all-zero model in standardised units (the loss's declared centre).

        Run by the loss's own kernels (which compiles them before training:
        a user-defined loss Numba cannot compile fails here, by name).
        """
        loss = self._objective(n_outputs).scaled_loss(self._y_scale)
        ys = self._scaled_targets(targets)
        raw = np.zeros((ys.shape[0],) if n_outputs == 1 else (ys.shape[0], n_outputs), dtype)
        return loss._serial_mean(ys, raw, None)

    def _scaled_targets(self, targets):
        if self._y_shift == 0.0 and self._y_scale == 1.0:
            return targets  # (classification: labels stay as they are)
        return (targets - self._y_shift) / self._y_scale

    # -- the training loop ---------------------------------------------------------
    _STATE = (
        "_rate_scale",
        "_coef_iter",
        "_intercept_iter",
        "_coef_vel",
        "_intercept_vel",
        "_coef_avg",
        "_intercept_avg",
        "_n_avg",
        "_step",
    )

    def _snapshot(self):
        """Optimizer state and bookkeeping at the end of the last finished epoch."""
        state = {name: np.copy(getattr(self, name)) for name in self._STATE}
        curves = (len(self.loss_curve_), len(self.validation_loss_curve_ or ()))
        public = (getattr(self, "coef_", None), getattr(self, "intercept_", None))
        return state, (self.n_iter_, self.t_, curves, public)

    def _restore(self, snapshot):
        state, (n_iter, t, curves, (coef, intercept)) = snapshot
        for name, value in state.items():
            setattr(self, name, np.copy(value))
        self._step = int(self._step)
        self._n_avg = int(self._n_avg)
        self._rate_scale = float(self._rate_scale)
        self.n_iter_, self.t_ = n_iter, t
        del self.loss_curve_[curves[0] :]
        if self.validation_loss_curve_ is not None:
            del self.validation_loss_curve_[curves[1] :]
        if coef is None:  # no epoch had finished: not fitted
            for name in ("coef_", "intercept_"):
                if hasattr(self, name):
                    delattr(self, name)
        else:
            self.coef_, self.intercept_ = coef, intercept

    def _run_epoch(self, X, ys, sample_weight, order, weight_scale, buffers, first_part=True):
        """One compiled pass over (a part of) the data; False if the loss diverged."""
        objective = self._objective(self._n_outputs)
        kernel = epoch_kernel(type(objective.loss))
        # In standardised units the objective is y_scale**power times the
        # original one, with coef divided by y_scale: the penalty scales by
        # y_scale**(2 - power).
        power = objective.power or 0
        penalty = self.alpha * self._inv_scale**2 * self._y_scale ** (2 - power)
        # The very first epoch averages only its second half: the first half is
        # the transient away from the zero start.
        avg_from = X.shape[0] // 2 if self._step == 0 else 0
        # The average restarts at epochs 1, 2, 4, 8...: it always spans at
        # least the latest half of the epochs, and forgets the early ones.
        epoch = self.n_iter_ + 1
        if not self.average or (first_part and epoch & (epoch - 1) == 0):
            self._n_avg = 0
        status, _, _, step, n_avg = kernel(
            0,
            X,
            ys,
            sample_weight,
            order,
            self._batch,
            self._mean,
            self._inv_scale,
            self._coef_iter,
            self._intercept_iter,
            self._coef_vel,
            self._intercept_vel,
            self._coef_avg,
            self._intercept_avg,
            penalty,
            self.learning_rate_ * self._rate_scale,
            self._decay_steps,
            float(self.momentum),
            objective.grad_factor * weight_scale,
            self._step,
            bool(self.fit_intercept),
            self._bound,
            avg_from,
            self._n_avg,
            *buffers,
            objective.scaled_loss(self._y_scale)._kernel_args,
        )
        self._step = int(step)
        self._n_avg = int(n_avg)
        if not self.average:
            self._coef_avg[...] = self._coef_iter
            self._intercept_avg[...] = self._intercept_iter
        finite = np.isfinite(self._coef_avg).all() and np.isfinite(self._intercept_avg).all()
        return status == 0 and finite

    def _back_off(self, backoffs, lr_before):
        """After a diverged epoch: lower the learning rate, or give up."""
        if backoffs > MAX_BACKOFFS:
            raise ValueError(
                f"{type(self).__name__}: the training loss diverged with "
                f"learning_rate={lr_before:g} and still diverged after lowering it "
                f"{MAX_BACKOFFS} times to {self.learning_rate_:g}. Pass a smaller "
                "learning_rate, or check X and y for extreme values."
            )
        self.learning_rate_ /= 10.0

    def _buffers(self, dtype, n_features):
        b = self._batch
        y_dtype = np.int64 if self._n_outputs > 1 else np.float64
        return (np.empty((b, n_features), dtype=dtype), np.empty(b, dtype=y_dtype), np.empty(b))

    def _publish(self, dtype):
        """Set coef_ and intercept_ (original units) from the averaged state."""
        coef = self._coef_avg
        eff = coef * (self._inv_scale if coef.ndim == 1 else self._inv_scale[:, None])
        intercept = self._intercept_avg - self._mean @ eff
        eff = eff * self._y_scale
        intercept = intercept * self._y_scale + self._y_shift
        self._set_public_coef(eff.astype(dtype, copy=False), intercept.astype(dtype, copy=False))

    def _order(self, n, rng):
        """Row order of one epoch.

        Shuffling permutes blocks of consecutive rows (``batch // 32`` rows, at
        most 64): each minibatch still gathers rows from at least 32 random
        places, and rows are read in runs the memory prefetcher can follow
        (a full row permutation makes each epoch several times slower on
        data that does not fit in cache; the order of rows *inside* a
        minibatch does not change its gradient).
        """
        if not self.shuffle:
            return np.arange(n, dtype=np.int64)
        block = max(1, min(SHUFFLE_BLOCK, self._batch // 32))
        if block == 1:
            return rng.permutation(n).astype(np.int64)
        n_blocks = -(-n // block)
        starts = rng.permutation(n_blocks).astype(np.int64) * block
        order = (starts[:, None] + np.arange(block, dtype=np.int64)).reshape(-1)
        return order[order < n] if n % block else order

    def _commit(self, target):
        """Publish this working copy's whole state on ``target`` in one step.

        A single assignment of ``__dict__`` (no Python code runs inside it,
        so a KeyboardInterrupt lands before or after it, never in between):
        ``target`` holds either its previous state or this one, with
        classes_, n_features_in_, feature_names_in_, coef_, intercept_,
        n_iter_, t_, the loss curves, the scaling and the optimizer state all
        from the same finished epoch.
        """
        target.__dict__ = _copied_state(self.__dict__)

    def _epochs(self, source, max_epochs, X_val=None, val=None, w_val=None, target=None):
        """Run up to ``max_epochs`` epochs over ``source`` with the stopping rules.

        ``source`` yields the parts of each epoch (one in-memory array, or the
        blocks of a Dask array); returns (epochs run, converged).  ``self`` is
        a working copy: each finished epoch is committed to ``target``.
        """
        rng = self._random_state_
        dtype = source.dtype
        buffers = self._buffers(dtype, self.n_features_in_)
        X_s, t_s, w_s = source.curve_sample(rng)
        bar = self._progress(max_epochs)
        best = np.inf
        best_params = None
        stale = 0
        epochs = 0
        converged = False
        backoffs = 0
        lr_before = self.learning_rate_
        # A model whose loss exceeds this is diverging even if no minibatch said so.
        objective = self._objective(self._n_outputs)
        power = objective.power or 0
        limit = self._bound * self._y_scale**power
        good = self._snapshot()
        start = time.perf_counter()
        try:
            while epochs < max_epochs:
                ok = True
                for i, (X, targets, sample_weight) in enumerate(source.parts(rng)):
                    ys = self._scaled_targets(targets)
                    order = self._order(X.shape[0], rng)
                    ok = self._run_epoch(
                        X, ys, sample_weight, order, source.weight_scale, buffers, i == 0
                    )
                    if not ok:
                        break
                loss = np.nan
                if ok:
                    self._publish(dtype)
                    loss = self._model_loss(X_s, t_s, w_s)
                if not (ok and np.isfinite(loss) and loss <= limit):
                    # Diverged: back to the last good state, smaller steps.
                    backoffs += 1
                    self._restore(good)
                    self._back_off(backoffs, lr_before)
                    continue
                if not objective.smooth:
                    # The absolute error's gradient does not shrink with the
                    # residuals: steps proportional to the current mean
                    # absolute residual (its inverse "curvature") converge.
                    scaled = loss / (self._y_scale**power * self._ref_loss)
                    self._rate_scale = float(np.clip(scaled, 1e-9, 1.0))
                epochs += 1
                self.n_iter_ += 1
                self.t_ += source.n_samples
                self.loss_curve_.append(loss)
                watched = loss
                if X_val is not None:
                    watched = self._validation_loss(X_val, val, w_val)
                    self.validation_loss_curve_.append(watched)
                good = self._snapshot()
                self._commit(target)
                self._report(bar, loss, watched if X_val is not None else None, start)
                if self.tol is None:
                    continue
                if watched > best - self.tol * abs(best):
                    stale += 1
                else:
                    stale = 0
                if watched < best:
                    best = watched
                    best_params = (self._coef_avg.copy(), self._intercept_avg.copy())
                if stale >= self.n_iter_no_change:
                    converged = True
                    break
        finally:
            # Interrupted (Ctrl-C lands when the compiled epoch returns) or
            # failed: the target keeps the last committed state, usable and
            # consistent; this working copy is dropped.
            if bar is not None:
                bar.close()
        if best_params is not None:
            self._coef_avg, self._intercept_avg = best_params
            self._publish(dtype)
            self._commit(target)
        if backoffs:
            warnings.warn(
                f"The training loss diverged with learning_rate={lr_before:g}; "
                f"lowered it to {self.learning_rate_:g} and retried.",
                ConvergenceWarning,
                stacklevel=5,
            )
        if self.verbose and bar is None:
            print(f"Total training time: {time.perf_counter() - start:.2f} seconds.")
        return epochs, converged

    def _model_loss(self, X, targets, sample_weight):
        """Loss of the published model (coef_, intercept_) on (X, targets)."""
        raw = self._decision(X)
        return self._objective(self._n_outputs).loss._serial_mean(targets, raw, sample_weight)

    _validation_loss = _model_loss

    # -- progress ----------------------------------------------------------------
    def _progress(self, total):
        if not self.verbose:
            return None
        try:
            from tqdm.auto import tqdm
        except ImportError:
            return None
        return tqdm(total=total, desc=type(self).__name__, unit="epoch", leave=True)

    def _report(self, bar, loss, val_loss, start):
        if not self.verbose:
            return
        if bar is not None:
            postfix = {"loss": f"{loss:.6g}"}
            if val_loss is not None:
                postfix["val_loss"] = f"{val_loss:.6g}"
            bar.set_postfix(postfix, refresh=False)
            bar.update(1)
            return
        line = f"Epoch {self.n_iter_}: loss {loss:.6g}"
        if val_loss is not None:
            line += f", validation loss {val_loss:.6g}"
        line += f", learning rate {self.learning_rate_:.3g}, {time.perf_counter() - start:.2f} s"
        print(line)
        sys.stdout.flush()

    # -- fit / partial_fit -------------------------------------------------------------
    def _fit(self, X, y, sample_weight, *, partial, classes=None):
        # All the work happens on a copy; self changes only when a finished
        # epoch is committed to it, whole (see _commit).  An interrupt or an
        # error at any moment leaves self with its previous model or with the
        # model of the last finished epoch, never a mix of the two.
        work = object.__new__(type(self))
        work.__dict__ = _copied_state(self.__dict__)
        work._fit_work(self, X, y, sample_weight, partial=partial, classes=classes)
        return self

    def _fit_work(self, target, X, y, sample_weight, *, partial, classes=None):
        fitted = hasattr(self, "_coef_iter")
        first = not fitted or not (partial or self.warm_start)
        if is_dask(X, y, sample_weight):
            return self._fit_blocks(target, X, y, sample_weight, partial, classes, first)
        X, y, sample_weight = self._validate_fit_data(X, y, sample_weight, reset=first)
        if first:
            self._random_state_ = check_random_state(self.random_state)
        targets = self._encode_targets(y, first, classes, partial)
        if X.shape[0] == 0:  # pragma: no cover - validate_data refuses empty X
            raise ValueError("Found array with 0 sample(s).")
        X_val = val = w_val = None
        if self.early_stopping and not partial:
            X, targets, sample_weight, X_val, val, w_val = self._split_validation(
                X, targets, sample_weight
            )
        if first:
            self._init_state(X, targets, sample_weight, self._n_outputs, self._random_state_)
        elif self.early_stopping and not partial and self.validation_loss_curve_ is None:
            self.validation_loss_curve_ = []
        source = _InMemory(X, targets, sample_weight)
        return self._train(target, source, partial, X_val, val, w_val)

    def _train(self, target, source, partial, X_val=None, val=None, w_val=None):
        max_epochs = 1 if partial else self.max_iter
        epochs, converged = self._epochs(source, max_epochs, X_val, val, w_val, target)
        if not partial and not converged and self.tol is not None and self.max_iter > 1:
            warnings.warn(
                "Maximum number of iteration reached before convergence. Consider "
                "increasing max_iter to improve the fit.",
                ConvergenceWarning,
                stacklevel=4,
            )
        return target

    def _fit_blocks(self, target, X, y, sample_weight, partial, classes, first):
        """fit / partial_fit on Dask arrays: stream over the blocks (see _blocks)."""
        from ._blocks import DaskBlocks

        if not is_dask(X):
            raise TypeError(
                "With Dask y or sample_weight, X must be a Dask array too (chunked "
                "along samples)."
            )
        if self.early_stopping and not partial:
            raise ValueError(
                "early_stopping=True is not supported with Dask inputs: hold out a "
                "validation set and watch it with partial_fit, or pass NumPy arrays."
            )
        source = DaskBlocks(self, X, y, sample_weight)
        classifier = isinstance(self, ClassifierMixin)
        # The whole of X, y and sample_weight is judged before any training,
        # as on the NumPy path (a NaN in the last block is not found epochs later).
        labels = source.validate(y_numeric=not classifier, classifier=classifier)
        X0, y0, w0 = source.compute_block(source.first_index)
        # (weights are judged as a whole above: a block may be all zeros)
        X0, y0, _ = self._validate_fit_data(X0, y0, None, reset=first)
        source.dtype = X0.dtype
        if first:
            self._random_state_ = check_random_state(self.random_state)
        if classifier:
            # Classes (fit) or unknown labels (partial_fit) from all blocks.
            self._encode_targets(labels, first, classes, partial)
            targets0 = self._block_targets(y0)
        else:
            targets0 = self._encode_targets(y0, first, classes, partial)
        source.first = (X0, targets0, w0)
        if first:
            self._init_state(
                X0, targets0, w0, self._n_outputs, self._random_state_, n_total=source.n_samples
            )
        return self._train(target, source, partial)

    def _block_targets(self, y):
        """Encode the targets of a block after the first (classes already fixed)."""
        return self._encode_targets(y, False, None, True)

    def _split_validation(self, X, targets, sample_weight):
        n = X.shape[0]
        n_val = int(math.ceil(self.validation_fraction * n))
        if n_val < 1 or n - n_val < 1:
            raise ValueError(
                f"The validation_fraction={self.validation_fraction} of {n} samples "
                "leaves an empty training or validation set; pass more samples or "
                "change validation_fraction."
            )
        perm = self._random_state_.permutation(n)
        val_rows, train_rows = np.sort(perm[:n_val]), np.sort(perm[n_val:])
        w = None if sample_weight is None else sample_weight[train_rows]
        w_val = None if sample_weight is None else sample_weight[val_rows]
        # All the weight on one side of the split: scikit-learn's SGD refuses a
        # validation set of zero weights with this ValueError, and so do we,
        # for either side.  Falling back to unweighted validation would judge
        # the model on rows the user said do not count, a training set of
        # zero weights has nothing to learn from (and divided by zero), and a
        # silent re-split would hold out other rows than random_state says.
        for part, weights in (("validation", w_val), ("training", w)):
            if weights is not None and not weights.sum() > 0:
                raise ValueError(
                    f"The sample weights for {part} set are all zero, consider using a"
                    " different random state."
                )
        return X[train_rows], targets[train_rows], w, X[val_rows], targets[val_rows], w_val

    def _decision(self, X):
        """Raw predictions (logits) of X, shape (n,) or (n, k), in X's dtype."""
        coef = self.coef_
        raw = X @ (coef.T if coef.ndim == 2 else coef).astype(X.dtype, copy=False)
        raw += self.intercept_.astype(X.dtype, copy=False)
        if raw.ndim == 2 and raw.shape[1] == 1:
            raw = raw[:, 0]
        return raw

    def _blockwise(self, method, X, n_columns, dtype=None):
        """``method`` over each sample-block of a Dask array X, as a Dask array.

        ``n_columns`` None: one value per sample; else that many per sample.
        """
        check_is_fitted(self)
        X = X.rechunk({1: -1})
        if dtype is None:
            dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.float64
        if n_columns is None:
            return X.map_blocks(method, drop_axis=1, dtype=dtype)
        return X.map_blocks(method, chunks=(X.chunks[0], (n_columns,)), dtype=dtype)

    def _check_predict_input(self, X):
        check_is_fitted(self)
        return validate_data(
            self,
            _frame_with_numpy_dtypes(X),
            reset=False,
            dtype=[np.float64, np.float32],
            accept_sparse=False,
        )


class SGDRegressor(RegressorMixin, _BaseSGD):
    """Linear regression trained by compiled large-minibatch SGD.

    Minimises ``mean(w * loss) / mean(w) + alpha * ||coef||**2 / 2``, where the
    loss is ``(y - p)**2 / 2`` (``"squared_error"``, scikit-learn's
    convention, so ``alpha = Ridge alpha / n_samples``), ``|y - p|``
    (``"absolute_error"``) or any other registered regression loss (times
    its declared ``sgd.grad_factor``, 1 but for the squared error).  Features
    (and, where the loss allows it, targets) are standardised inside the
    optimizer (never copied), so the defaults work on unscaled data; each epoch
    is one compiled pass over shuffled minibatches with momentum, a decaying
    learning rate and averaging of the iterates.

    Parameters
    ----------
    loss : str or loss object, default="squared_error"
        The loss to minimise: the name, in ``fastloss.losses.LOSSES``, of a
        registered regression loss whose raw prediction is the prediction
        itself (``"squared_error"``, ``"absolute_error"``, ``"huber"``,
        ``"quantile"``... and losses made with :func:`fastloss.pointwise_loss`),
        trained with its default parameters, or an instance such as
        ``fastloss.Huber(delta=0.5)`` (``set_params(loss__delta=...)``
        replaces it by a copy with that parameter).  How it is trained comes
        from its declared ``sgd`` (``fastloss._losses._spec.SGDSpec``).
        Log-link losses (raw = log of the mean) are refused, with the reason.
    alpha : float, default=1e-4
        L2 penalty on the coefficients (not on the intercept).
    fit_intercept : bool, default=True
        Whether to fit an intercept.
    max_iter : int, default=1000
        Maximum number of epochs (passes over the training data) of ``fit``.
    tol : float or None, default=1e-3
        Training stops when the epoch loss (or the validation loss with
        ``early_stopping``) has not improved by a relative ``tol`` for
        ``n_iter_no_change`` epochs in a row.  None: run ``max_iter`` epochs.
    batch_size : int, default=2048
        Rows per minibatch; smaller on small data, where it is at most
        ``n_samples // 32`` so that an epoch takes at least 32 steps.
    learning_rate : "auto" or float, default="auto"
        Initial step size in standardised units.  "auto" takes
        ``min(0.1, 1 / L)`` with ``L`` a bound on the loss curvature estimated
        from a sample of X.  The step decays as ``1 / sqrt(1 + epoch)``.
    momentum : float, default=0.9
        Heavy-ball momentum.
    average : bool, default=True
        Report the running average of the iterates (much less noisy than the
        last iterate).  The average restarts at epochs 1, 2, 4, 8, ..., so it
        spans at least the latest half of the epochs.
    shuffle : bool, default=True
        Shuffle the rows before each epoch.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data and stop when the
        validation loss stops improving; the best model seen is kept.
    validation_fraction : float, default=0.1
        Fraction of the data held out when ``early_stopping`` is true.
    n_iter_no_change : int, default=1
        Epochs without improvement before stopping.
    random_state : int, RandomState instance or None, default=None
        Seeds the shuffling, the validation split and the statistics sample.
    verbose : int, default=0
        Print the loss after each epoch (a tqdm bar when tqdm is installed).
    warm_start : bool, default=False
        Continue from the previous solution on ``fit``.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
    intercept_ : ndarray of shape (1,)
    n_iter_ : int
        Epochs run.
    t_ : int
        Training samples seen (updates times batch rows).
    loss_curve_ : list of float
        Training loss (the weighted mean loss: MSE, MAE..., without the penalty) after each epoch of the
        model ``coef_``/``intercept_`` then held, measured on a fixed random
        sample of about 20,000 training rows (all rows when fewer).  The ``tol``
        stopping rule watches it.
    validation_loss_curve_ : list of float or None
        Validation loss after each epoch, with ``early_stopping``.
    learning_rate_ : float
        Initial learning rate used (after "auto" and any back-off).
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Defined when X has feature names.

    Examples
    --------
    >>> import numpy as np
    >>> from fastloss.linear_model import SGDRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(1000, 3))
    >>> y = X @ [1.5, -2.0, 0.5] + 3.0
    >>> reg = SGDRegressor(random_state=0).fit(X, y)
    >>> np.round(reg.coef_, 2), np.round(reg.intercept_, 2)
    (array([ 1.5, -2. ,  0.5]), array([3.]))
    """

    _parameter_constraints = _RegressorConstraints()

    def __init__(
        self,
        loss="squared_error",
        *,
        alpha=1e-4,
        fit_intercept=True,
        max_iter=1000,
        tol=1e-3,
        batch_size=2048,
        learning_rate="auto",
        momentum=0.9,
        average=True,
        shuffle=True,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=1,
        random_state=None,
        verbose=0,
        warm_start=False,
    ):
        super().__init__(
            alpha=alpha,
            fit_intercept=fit_intercept,
            max_iter=max_iter,
            tol=tol,
            batch_size=batch_size,
            learning_rate=learning_rate,
            momentum=momentum,
            average=average,
            shuffle=shuffle,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change,
            random_state=random_state,
            verbose=verbose,
            warm_start=warm_start,
        )
        self.loss = loss

    def _loss_instance(self):
        loss = self.loss
        return LOSSES[loss]() if isinstance(loss, str) else loss

    def _objective(self, n_outputs):
        return _Objective(self._loss_instance())

    def _validate_params(self):
        # A registered loss the trainer cannot train is named with the reason
        # (scikit-learn's message would only list the valid names).
        loss = self.loss
        if isinstance(loss, str) and loss in LOSSES:
            loss = LOSSES[loss]()
        if isinstance(loss, FusedLoss):
            problem = _regression_problem(loss)
            if problem is not None:
                raise InvalidParameterError(
                    f"The 'loss' parameter of SGDRegressor cannot be {self.loss!r}: {problem}. "
                    f"SGDRegressor trains the losses {_regression_losses()} (or instances of them)."
                )
        super()._validate_params()

    def set_params(self, **params):
        """Set parameters; ``loss__<name>`` makes a new loss with that parameter changed.

        Loss objects are immutable, so ``set_params(loss__delta=0.5)`` replaces
        ``loss`` by a copy with ``delta=0.5`` (as ``loss=Huber(delta=0.5)`` would).
        """
        nested = {key: params.pop(key) for key in list(params) if key.startswith("loss__")}
        if nested:
            loss = self._loss_instance() if "loss" not in params else params["loss"]
            if isinstance(loss, str):
                loss = LOSSES[loss]() if loss in LOSSES else loss
            if not isinstance(loss, FusedLoss):
                raise ValueError(f"loss__ parameters need a loss with parameters, got loss={loss!r}.")
            values = loss.get_params()
            values.update({key[len("loss__") :]: value for key, value in nested.items()})
            params["loss"] = type(loss)(**values)
        return super().set_params(**params)

    def _encode_targets(self, y, first, classes, partial):
        self._n_outputs = 1
        return np.asarray(y, dtype=np.float64)

    def _set_public_coef(self, coef, intercept):
        self.coef_ = coef
        self.intercept_ = intercept.reshape(1)

    def fit(self, X, y, sample_weight=None):
        """Fit the model by SGD over minibatches.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data; float32 trains in float32.
        y : array-like of shape (n_samples,)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights.

        Returns
        -------
        self
        """
        self._validate_params()
        return self._fit(X, y, sample_weight, partial=False)

    def partial_fit(self, X, y, sample_weight=None):
        """Run one epoch over ``(X, y)``, continuing from the current state.

        The first call fixes the feature standardisation (estimated on that
        chunk) and the learning-rate decay (one unit per chunk-sized epoch).
        """
        if not hasattr(self, "_coef_iter"):
            self._validate_params()
        return self._fit(X, y, sample_weight, partial=True)

    def predict(self, X):
        """Predicted targets, shape (n_samples,) (a Dask array for Dask X)."""
        if is_dask(X):
            return self._blockwise(self.predict, X, None)
        X = self._check_predict_input(X)
        return self._decision(X)


class SGDClassifier(ClassifierMixin, _BaseSGD):
    """Logistic regression trained by compiled large-minibatch SGD.

    Two classes: the sigmoid of one logit (binary cross-entropy). More classes:
    a true multinomial (softmax cross-entropy) model with one coefficient row
    per class, not one-vs-rest.  The objective is the weighted mean log loss
    plus ``alpha * ||coef||**2 / 2`` (``alpha = 1 / (C * n_samples)`` in
    terms of ``LogisticRegression``'s ``C``).  Optimizer and parameters as in
    :class:`SGDRegressor`.

    Parameters
    ----------
    alpha, fit_intercept, max_iter, tol, batch_size, learning_rate, momentum, \
average, shuffle, early_stopping, validation_fraction, n_iter_no_change, \
random_state, verbose, warm_start
        See :class:`SGDRegressor`.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
    intercept_ : ndarray of shape (1,) or (n_classes,)
    n_iter_, t_, loss_curve_, validation_loss_curve_, learning_rate_, \
n_features_in_, feature_names_in_
        See :class:`SGDRegressor` (losses are log losses).

    Examples
    --------
    >>> import numpy as np
    >>> from fastloss.linear_model import SGDClassifier
    >>> hours = np.array([[1.0], [2.0], [3.0], [4.0], [5.0], [6.0]])
    >>> passed = np.array(["fail", "fail", "fail", "pass", "pass", "pass"])
    >>> clf = SGDClassifier(random_state=0).fit(hours, passed)
    >>> clf.predict([[1.5], [5.5]])
    array(['fail', 'pass'], dtype='<U4')
    """

    def _objective(self, n_outputs):
        return _Objective(LOSSES["log_loss" if n_outputs == 1 else "multinomial"]())

    def _encode_targets(self, y, first, classes, partial):
        if y.dtype.kind not in "iub" and y.dtype.kind not in "US":
            check_classification_targets(y)  # rejects continuous floats (a pass)
        index = None
        if first:
            if partial:
                if classes is None:
                    raise ValueError("classes must be passed on the first call to partial_fit.")
                classes = np.unique(np.asarray(classes))
            else:
                classes, index = np.unique(y, return_inverse=True)
            if classes.shape[0] < 2:
                raise ValueError(
                    "The number of classes has to be greater than one; got "
                    f"{classes.shape[0]} class"
                )
            self.classes_ = classes
            self._n_outputs = 1 if classes.shape[0] == 2 else classes.shape[0]
        elif partial and classes is not None and not np.array_equal(
            self.classes_, np.unique(np.asarray(classes))
        ):
            raise ValueError(
                f"`classes={np.unique(np.asarray(classes))!r}` is not the same as on the "
                f"first call to partial_fit, was: {self.classes_!r}"
            )
        if index is None:
            index = np.searchsorted(self.classes_, y)
            index = np.clip(index, 0, self.classes_.shape[0] - 1)
            unknown = self.classes_[index] != y
            if np.any(unknown):
                raise ValueError(
                    f"y contains labels {np.unique(np.asarray(y)[unknown])!r} not in classes "
                    f"{self.classes_!r}."
                )
        if self._n_outputs == 1:
            return index.astype(np.float64)
        return index.astype(np.int64)

    def _set_public_coef(self, coef, intercept):
        self.coef_ = coef.reshape(1, -1) if coef.ndim == 1 else np.ascontiguousarray(coef.T)
        self.intercept_ = intercept.reshape(-1)

    def fit(self, X, y, sample_weight=None):
        """Fit the model by SGD over minibatches.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data; float32 trains in float32.
        y : array-like of shape (n_samples,)
            Class labels (ints, strings, bools...).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights.

        Returns
        -------
        self
        """
        self._validate_params()
        return self._fit(X, y, sample_weight, partial=False)

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Run one epoch over ``(X, y)``, continuing from the current state.

        ``classes`` (all labels) is required on the first call.
        """
        if not hasattr(self, "_coef_iter"):
            self._validate_params()
        return self._fit(X, y, sample_weight, partial=True, classes=classes)

    def decision_function(self, X):
        """Logits: shape (n_samples,) for two classes, else (n_samples, n_classes)."""
        if is_dask(X):
            k = len(self.classes_)
            return self._blockwise(self.decision_function, X, None if k == 2 else k)
        X = self._check_predict_input(X)
        return self._decision(X)

    def predict_proba(self, X):
        """Class probabilities, shape (n_samples, n_classes)."""
        if is_dask(X):
            return self._blockwise(self.predict_proba, X, len(self.classes_))
        return np.exp(self.predict_log_proba(X))

    def predict_log_proba(self, X):
        """Log of the class probabilities, computed stably from the logits."""
        if is_dask(X):
            return self._blockwise(self.predict_log_proba, X, len(self.classes_))
        raw = self.decision_function(X)
        if raw.ndim == 1:
            # log sigmoid(z) = -log1p(exp(-z)), stable on both sides.
            z = raw.astype(np.float64)
            log_pos = -np.logaddexp(0.0, -z)
            log_neg = -np.logaddexp(0.0, z)
            out = np.stack([log_neg, log_pos], axis=1)
        else:
            z = raw.astype(np.float64)
            zmax = z.max(axis=1, keepdims=True)
            out = z - zmax
            out -= np.log(np.exp(out).sum(axis=1, keepdims=True))
        return out.astype(raw.dtype, copy=False)

    def predict(self, X):
        """Predicted class labels (a Dask array for Dask X)."""
        if is_dask(X):
            return self._blockwise(self.predict, X, None, dtype=self.classes_.dtype)
        raw = self.decision_function(X)
        if raw.ndim == 1:
            return self.classes_[(raw > 0).astype(np.intp)]
        return self.classes_[raw.argmax(axis=1)]
