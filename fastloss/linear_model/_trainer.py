"""The SGD trainer: its state, the learning-rate schedules and the epoch loop.

The model is trained in standardised units: features standardised (``z = (x
- mean) * inv_scale``, never materialised, see :mod:`._epoch`), and, where the
loss allows it, targets scaled (identity link: ``(y - y_shift) / y_scale``;
log link: ``y / y_scale``, raw shifted by ``log(y_scale)``).  A
:class:`TrainState` holds everything carried from one epoch to the next;
:class:`Trainer` runs epochs over a data source (:mod:`._sources`) for a
working copy of an estimator, committing each finished epoch to the
estimator the user holds (see :meth:`Trainer.epochs`).
"""

from __future__ import annotations

import contextlib
import copy
import math
import sys
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from .._config import get_backend
from .._jit import available_cores, get_num_threads
from ._epoch import epoch_kernel, epoch_kernel_csr
from ._sources import sample_rows

__all__ = ["Objective", "TrainState", "Trainer", "copied_state"]

#: How many times a diverging epoch is retried, each time with a learning
#: rate ten times smaller, before fit gives up with an error.
MAX_BACKOFFS = 8
#: An epoch diverges when a minibatch's mean loss exceeds this many times the
#: reference loss (in standardised units), or is not finite.
DIVERGENCE_FACTOR = 1e3
#: Rows used to estimate the curvature behind ``learning_rate="auto"``.
STATS_SAMPLE = 10_000
#: Fewest optimizer steps per epoch (caps the minibatch size on small data).
MIN_STEPS = 32
#: Most consecutive rows kept together by the epoch shuffle.
SHUFFLE_BLOCK = 64
#: Upper limit of the automatic learning rate (standardised units).
MAX_AUTO_RATE = 0.1
#: Fewest minibatch rows per thread, and fewest elements of X, for an epoch
#: split across threads (below, the barrier after every step costs more
#: than the split saves).
MIN_ROWS_PER_THREAD = 256
MIN_PARALLEL_ELEMENTS = 1_000_000
#: "adaptive": the factor the rate is divided by when the loss stalls, and
#: the rate below which training stops (scikit-learn's).
ADAPTIVE_FACTOR = 5.0
ADAPTIVE_MIN_RATE = 1e-6


class Objective:
    """What the trainer needs to know about one loss instance, read from its declared ``sgd``.

    ``grad_factor`` multiplies the fused gradient (1/2 for the squared
    error); ``power`` is how the loss scales with the targets' scale (None:
    targets are not scaled); ``curvature`` bounds the second derivative of
    the data term in the raw prediction (standardised units); ``log_link``:
    raw is the log of the mean.  ``scaled=False`` (classifiers): the targets
    are labels, never centred or scaled.
    """

    def __init__(self, loss, scaled=True):
        spec = type(loss).sgd
        params = loss.get_params()
        self.loss = loss
        self.spec = spec
        self.grad_factor = spec.grad_factor
        self.log_link = type(loss).raw == "log"
        self.power = spec.resolve("target_power", params) if scaled else None
        self.centred = scaled and not self.log_link

    @property
    def scales(self):
        """Whether the targets are divided by their scale in standardised units."""
        return self.power is not None

    def center(self, y):
        return self.spec.center_of(y, self.loss.get_params()) if self.centred else 0.0

    def scaled_loss(self, y_scale):
        """The loss in standardised units: parameters in the targets' units divided by ``y_scale``."""
        names = self.spec.target_params
        if not names or y_scale == 1.0:
            return self.loss
        params = self.loss.get_params()
        params.update({name: params[name] / y_scale for name in names})
        return type(self.loss)(**params)

    def declared(self, name, y_scale):
        """The declared ``curvature``, ``smooth`` or ``gradient_bound`` in standardised units."""
        params = self.scaled_loss(y_scale).get_params()
        value = self.spec.resolve(name, params)
        return bool(value) if name == "smooth" else float(value)

    def coef_power(self):
        """How the coefficients scale with the targets: 1 (identity link) or 0 (log link)."""
        return 0 if self.log_link else 1


def _is_sparse(X):
    return hasattr(X, "tocsr")


def _column_stats(sample):
    """Column means and standard deviations of a dense or sparse sample (float64)."""
    if not _is_sparse(sample):
        return sample.mean(axis=0), sample.std(axis=0)
    mean = np.asarray(sample.mean(axis=0), dtype=np.float64).ravel()
    square = np.asarray(sample.multiply(sample).mean(axis=0), dtype=np.float64).ravel()
    return mean, np.sqrt(np.maximum(square - mean * mean, 0.0))


def _standardised_product(sample, mean, inv_scale):
    """``v -> Z.T @ (Z @ v) / m`` for ``Z = (sample - mean) * inv_scale``.

    Dense samples form Z (subtracting the mean first keeps the digits of
    columns far from 0); sparse ones never do.
    """
    m = sample.shape[0]
    if not _is_sparse(sample):
        Z = (sample - mean) * inv_scale
        return lambda v: Z.T @ (Z @ v) / m
    shift = mean * inv_scale

    def apply(v):
        zv = sample @ (inv_scale * v) - shift @ v
        return (inv_scale * (sample.T @ zv) - shift * zv.sum()) / m

    return apply


def _top_eigenvalue(product, p, rng, iterations=30):
    """Largest eigenvalue of a p x p matrix given as ``product(v)`` (power iteration)."""
    if p == 0:
        return 0.0
    v = rng.standard_normal(p)
    value = 0.0
    for _ in range(iterations):
        u = product(v)
        value = float(np.linalg.norm(u))
        if value == 0.0 or not np.isfinite(value):
            return 0.0
        v = u / value
    return value


class TrainState:
    """Everything a fit carries from one epoch to the next, in standardised units.

    The optimizer arrays (``coef``, its velocity and running average, each
    (p, k); the intercept's, each (k,)) are updated in place by the epoch
    kernel; the rest is the standardisation, the step schedule and the
    divergence bound fixed when training starts.
    """

    __slots__ = (
        "mean", "inv_scale", "y_shift", "y_scale", "coef", "intercept", "coef_vel",
        "intercept_vel", "coef_avg", "intercept_avg", "n_avg", "step", "rate_scale",
        "base_rate", "adaptive_rate", "batch", "decay_steps", "ref_loss", "bound", "t0",
    )  # fmt: skip

    def copy(self):
        new = object.__new__(TrainState)
        for name in self.__slots__:
            value = getattr(self, name)
            setattr(new, name, value.copy() if isinstance(value, np.ndarray) else value)
        return new

    def __getstate__(self):
        return {name: getattr(self, name) for name in self.__slots__}

    def __setstate__(self, state):
        for name, value in state.items():
            setattr(self, name, value)


def copied_state(state):
    """A copy of an estimator's ``__dict__`` that shares nothing training mutates.

    The epoch kernel updates the optimizer arrays in place, the loss curves
    are appended to and each epoch draws its shuffle from ``_random_state_``,
    so the train state, arrays, lists and random states are copied (all of
    them of the size of the model, not of the data): an interrupted epoch
    does not advance the committed random state, and partial_fit after an
    interrupt continues exactly as if the interrupted call had never started.
    Other values are immutable (the parameters, a ``random_state`` passed as
    an instance included: a fresh fit draws from it, as in scikit-learn).
    """
    copied = {}
    for name, value in state.items():
        if isinstance(value, (np.ndarray, list, TrainState)):
            value = value.copy()
        elif isinstance(value, np.random.RandomState) and name != "random_state":
            value = copy.deepcopy(value)
        copied[name] = value
    return copied


class Trainer:
    """Runs SGD epochs for the working copy ``est`` of an estimator.

    ``est`` supplies the parameters, the objective (``est._objective()``),
    the public attributes it keeps (``coef_``, the loss curves, ``n_iter_``...)
    and ``est._train_state``, the :class:`TrainState`.
    """

    def __init__(self, est):
        self.est = est
        self.objective = est._objective()
        self._scaled = None  # (targets, (shift, scale), scaled targets) of the last call

    # -- the start of training ---------------------------------------------------
    def init_state(self, X, targets, sample_weight, rng, n_total=None):
        """Standardisation, learning rate and zeroed optimizer state (``est._train_state``).

        Statistics come from (a sample of) ``X``; ``n_total`` (default: the
        rows of X) sizes the minibatches and the learning-rate decay.
        """
        est, objective = self.est, self.objective
        n, p = X.shape
        k = est._n_outputs
        state = TrainState()
        rows = sample_rows(n, rng, STATS_SAMPLE)
        sample = X if rows is None else X[rows]
        sample = sample.astype(np.float64) if _is_sparse(sample) else np.asarray(sample, np.float64)
        col_mean, col_std = _column_stats(sample)
        scale = col_std.copy()
        scale[~(scale > 1e-12 * np.maximum(1.0, np.abs(col_mean)))] = 1.0  # constant columns
        state.mean = col_mean if est.fit_intercept else np.zeros(p)
        state.inv_scale = 1.0 / scale
        ys = targets if rows is None else targets[rows]
        ws = sample_weight if sample_weight is None or rows is None else sample_weight[rows]
        state.y_shift, state.y_scale = 0.0, 1.0
        if est.fit_intercept:
            state.y_shift = objective.center(ys.reshape(-1))
        if objective.scales:
            if objective.log_link:
                y_scale = float(np.average(ys.reshape(-1), weights=ws)) if ys.size else 0.0
            else:
                y_scale = float(np.std(ys))
            if y_scale > 0 and np.isfinite(y_scale):
                state.y_scale = y_scale
        for name in ("coef", "coef_vel", "coef_avg"):
            setattr(state, name, np.zeros((p, k)))
        for name in ("intercept", "intercept_vel", "intercept_avg"):
            setattr(state, name, np.zeros(k))
        state.n_avg = 0
        state.step = 0
        state.rate_scale = 1.0
        state.adaptive_rate = 1.0
        state.t0 = 1.0
        # Small data: smaller minibatches, so that an epoch still takes
        # MIN_STEPS optimizer steps.
        n_total = n if n_total is None else n_total
        state.batch = max(1, min(est.batch_size, n_total // MIN_STEPS))
        state.decay_steps = float(math.ceil(n_total / state.batch))
        est._train_state = state
        # Its products on the sample under the epochs' BLAS limit: OpenBLAS's
        # threads, left spinning by them, slowed the first two threaded
        # epochs (53 and 43 ms against 27 ms for the next ones, 800,000 x 100).
        with self.blas_limit(n_total * p, _is_sparse(X)):
            state.base_rate = self._initial_rate(sample, col_mean, col_std, sample_weight, rng)
        est.learning_rate_ = state.base_rate
        ref = self._reference_loss(ys, X.dtype)
        state.ref_loss = max(ref, objective.spec.reference_floor)
        state.bound = DIVERGENCE_FACTOR * state.ref_loss
        est.loss_curve_ = []
        est.validation_loss_curve_ = [] if est.early_stopping else None
        est.n_iter_ = 0
        est.t_ = 0
        return state

    def _initial_rate(self, sample, col_mean, col_std, sample_weight, rng):
        """The first step size; ``col_mean``/``col_std`` are the sample's column statistics."""
        est, objective, state = self.est, self.objective, self.est._train_state
        schedule = est.learning_rate
        if schedule in ("constant", "invscaling", "adaptive"):
            return float(est.eta0)
        if schedule == "optimal":
            # scikit-learn's: eta_t = 1 / (alpha * (t0 + t)), t0 from Bottou's
            # heuristic on the loss's slope at a typical margin error.
            alpha = float(est.alpha)
            typw = math.sqrt(1.0 / math.sqrt(alpha))
            slope = 1.0  # the log loss's, at most 1 (the softmax's too)
            if type(objective.loss)._raw_ndim == 1:
                positive = np.ones(1, dtype=np.float64)
                grad = objective.loss.gradient(positive, np.array([-typw]), reduction="none")
                slope = abs(float(grad[0])) * objective.grad_factor
            initial = typw / max(1.0, slope)
            state.t0 = 1.0 / (initial * alpha)
            return initial
        if schedule != "auto":
            return float(schedule)
        product = _standardised_product(sample, state.mean, state.inv_scale)
        top = max(_top_eigenvalue(product, sample.shape[1], rng), 1.0)  # 1: the intercept's direction
        # mean(|z|**2) from the column statistics: each column's variance plus
        # its squared offset from the centre used (0 without an intercept).
        offset = col_mean - state.mean
        row_norm = float(np.sum((col_std**2 + offset**2) * state.inv_scale**2))
        # Minibatch noise: one step on a batch of b rows can see curvature
        # up to about mean(|z|**2) * (largest weight / mean weight) / b.
        spread = 1.0
        if sample_weight is not None:
            spread = float(sample_weight.max() / sample_weight.mean())
        # Momentum multiplies the step taken along that noise by 1 / (1 - beta).
        noise = row_norm * spread / state.batch / (1.0 - est.momentum)
        curvature = objective.declared("curvature", state.y_scale)
        rate = min(MAX_AUTO_RATE, 1.0 / (curvature * (top + noise)))
        if not objective.declared("smooth", state.y_scale):
            # Steps of a loss whose slope is at most g move the model g times
            # less: the step is divided by g.
            rate /= objective.declared("gradient_bound", state.y_scale)
        return rate

    def set_initial_model(self, coef_init, intercept_init):
        """Start from a model in the original units (coef (p, k), intercept (k,)).

        Without ``intercept_init`` the intercept starts at the targets'
        centre, as it does without any initial model.
        """
        state, objective = self.est._train_state, self.objective
        s = state.y_scale
        if coef_init is not None:
            eff = np.asarray(coef_init, dtype=np.float64)
            if not objective.log_link:
                eff = eff / s
            state.coef[...] = eff / state.inv_scale[:, None]
        intercept = np.zeros(state.intercept.shape)
        if intercept_init is not None:
            intercept = np.asarray(intercept_init, dtype=np.float64).reshape(-1)
            if objective.log_link:
                intercept = intercept - math.log(s)
            else:
                intercept = (intercept - state.y_shift) / s
        state.intercept[...] = intercept + state.mean @ (state.coef * state.inv_scale[:, None])
        state.coef_avg[...] = state.coef
        state.intercept_avg[...] = state.intercept

    def _reference_loss(self, targets, dtype):
        """Loss of the zero model in standardised units (the loss's declared centre).

        Run by the loss's own kernels (which compiles them before training:
        a user-defined loss Numba cannot compile fails here, by name).
        """
        state = self.est._train_state
        loss = self.objective.scaled_loss(state.y_scale)
        ys, raw = self._loss_inputs(self.scaled_targets(targets), np.zeros(
            (targets.shape[0], self.est._n_outputs), dtype))  # fmt: skip
        return loss._serial_mean(ys, raw, None)

    def _loss_inputs(self, targets, raw):
        """(targets, raw) as the loss takes them: flattened for one-vs-rest pointwise losses."""
        if type(self.objective.loss)._raw_ndim == 2:
            return targets.reshape(-1), raw
        return targets.reshape(-1), raw.reshape(-1)

    def scaled_targets(self, targets):
        state = self.est._train_state
        if state.y_shift == 0.0 and state.y_scale == 1.0:
            return targets  # (classification: labels stay as they are)
        key = (state.y_shift, state.y_scale)
        if self._scaled is not None and self._scaled[0] is targets and self._scaled[1] == key:
            # In-memory data yields the same targets every epoch: scaled once
            # (two passes over y an epoch, 2-3 % of an epoch's time).
            return self._scaled[2]
        scaled = (targets - state.y_shift) / state.y_scale
        self._scaled = (targets, key, scaled)
        return scaled

    # -- one epoch ------------------------------------------------------------------
    def penalties(self):
        """Per-feature L2 and L1 penalty factors in standardised units."""
        est, state, objective = self.est, self.est._train_state, self.objective
        l1_ratio = est._l1_ratio()
        # In standardised units the data term is y_scale**power times the
        # original one, and coef is divided by y_scale**coef_power.
        power = objective.power or 0
        s = state.y_scale
        cp = objective.coef_power()
        alpha = float(est.alpha)
        l2 = alpha * (1.0 - l1_ratio) * state.inv_scale**2 * s ** (2 * cp - power)
        l1 = alpha * l1_ratio * state.inv_scale * s ** (cp - power)
        return l2, l1

    def schedule(self):
        """``(lr, decay, power)`` of the step ``lr * (1 + t / decay)**(-power)`` at step t."""
        est, state = self.est, self.est._train_state
        damp = 1.0 - float(est.momentum)  # the momentum-amplified step is lr / (1 - momentum)
        rate = state.base_rate
        mode = est.learning_rate
        if mode == "constant":
            return rate * damp, 1.0, 0.0
        if mode == "adaptive":
            return rate * state.adaptive_rate * damp, 1.0, 0.0
        if mode == "invscaling":
            return rate * damp, 1.0, float(est.power_t)
        if mode == "optimal":
            return rate * damp, state.t0, 1.0
        return rate * state.rate_scale, state.decay_steps, 0.5

    def threads(self, n_elements, sparse=False):
        """Threads an epoch over ``n_elements`` of X is split across: ``n_jobs``
        (None: fastloss's thread count; negative: as joblib counts them), at
        most the cores, and 1 for the NumPy backend, sparse X or small work."""
        est, state = self.est, self.est._train_state
        if sparse or get_backend() != "numba":
            return 1
        cores = available_cores()
        n_jobs = est.n_jobs
        wanted = get_num_threads() if n_jobs is None else (
            n_jobs if n_jobs > 0 else max(1, cores + 1 + n_jobs))  # fmt: skip
        threads = min(wanted, cores, state.batch // MIN_ROWS_PER_THREAD)
        return threads if threads > 1 and n_elements >= MIN_PARALLEL_ELEMENTS else 1

    def blas_limit(self, n_elements, sparse):
        """A context keeping BLAS to one thread while epochs over ``n_elements``
        of X (dense or ``sparse``) run on ours.

        OpenBLAS's threads spin for a while after each call (the loss-curve
        product, say): they took the core the second epoch thread needed,
        and the threaded epoch ran at the serial one's speed.
        """
        if self.threads(n_elements, sparse) <= 1:
            return contextlib.nullcontext()
        from threadpoolctl import threadpool_limits

        return threadpool_limits(1, user_api="blas")

    def run_epoch(self, X, ys, sample_weight, order, weight_scale, buffers, first_part=True):
        """One compiled pass over (a part of) the data; False if the loss diverged."""
        est, state, objective = self.est, self.est._train_state, self.objective
        sparse = _is_sparse(X)
        kernel = (epoch_kernel_csr if sparse else epoch_kernel)(type(objective.loss))
        l2, l1 = self.penalties()
        if not l1.any():
            l1 = l1[:0]  # no L1 term: the step skips reading it
        lr, decay, power = self.schedule()
        epoch = est.n_iter_ + 1
        average = est.average
        if isinstance(average, (bool, np.bool_)):
            # The very first epoch averages only its second half: the first
            # half is the transient away from the starting point.
            avg_from = X.shape[0] // 2 if state.step == 0 else 0
            # The average restarts at epochs 1, 2, 4, 8...: it always spans at
            # least the latest half of the epochs, and forgets the early ones.
            if not average or (first_part and epoch & (epoch - 1) == 0):
                state.n_avg = 0
        else:
            # average=n (scikit-learn's): average every iterate once n samples were seen.
            avg_from = max(0, int(average) - int(est.t_))
        ys = ys.reshape(ys.shape[0], -1)
        args = (
            state.batch, state.mean, state.inv_scale, state.coef, state.intercept,
            state.coef_vel, state.intercept_vel, state.coef_avg, state.intercept_avg, l2, l1,
            lr, decay, power, float(est.momentum), objective.grad_factor * weight_scale,
            state.step, bool(est.fit_intercept), state.bound, avg_from, state.n_avg,
        )  # fmt: skip
        extra = objective.scaled_loss(state.y_scale)._kernel_args
        if sparse:
            data = (X.data, X.indices, X.indptr)
            result = kernel(0, *data, ys, sample_weight, order, *args, *buffers, extra)
        else:
            result = kernel(0, self.threads(X.size), X, ys, sample_weight, order, *args, extra)
        status, _, _, step, n_avg = result
        state.step = int(step)
        state.n_avg = int(n_avg)
        if average is False or average is np.False_ or state.n_avg == 0:
            state.coef_avg[...] = state.coef
            state.intercept_avg[...] = state.intercept
        finite = np.isfinite(state.coef_avg).all() and np.isfinite(state.intercept_avg).all()
        return status == 0 and finite

    def buffers(self, dtype, n_features, ky, sparse=False):
        """Scratch arrays of the CSR epoch kernel (its raw values, targets, weights
        and ``x.T @ grad``); None for dense X (the dense kernel makes its own)."""
        if not sparse:
            return None
        b = self.est._train_state.batch
        k = self.est._n_outputs
        y_dtype = np.int64 if type(self.objective.loss)._raw_ndim == 2 else np.float64
        return (
            np.empty((b, k), dtype=dtype), np.empty((b, ky), dtype=y_dtype), np.empty(b * ky),
            np.zeros(n_features * k),
        )  # fmt: skip

    def publish(self, dtype):
        """Set the estimator's coef_ and intercept_ (original units) from the averaged state."""
        est, state, objective = self.est, self.est._train_state, self.objective
        coef = state.coef_avg
        if est.average is not False and est._l1_ratio() > 0 and est.alpha > 0:
            # The average of iterates that were each thresholded is not
            # sparse: it keeps the zeros of the last iterate (the features the
            # L1 step has set to zero), and is not shrunk again elsewhere.
            coef = np.where(state.coef == 0.0, 0.0, coef)
        eff = coef * state.inv_scale[:, None]
        intercept = state.intercept_avg - state.mean @ eff
        if objective.log_link:
            intercept = intercept + math.log(state.y_scale)
        else:
            eff = eff * state.y_scale
            intercept = intercept * state.y_scale + state.y_shift
        est._set_public_coef(eff.astype(dtype, copy=False), intercept.astype(dtype, copy=False))

    def order(self, n, rng):
        """Row order of one epoch.

        Shuffling permutes blocks of consecutive rows (``batch // 32`` rows, at
        most 64): each minibatch still gathers rows from at least 32 random
        places, and rows are read in runs the memory prefetcher can follow
        (a full row permutation makes each epoch several times slower on
        data that does not fit in cache; the order of rows *inside* a
        minibatch does not change its gradient).
        """
        if not self.est.shuffle:
            return np.arange(n, dtype=np.int64)
        block = max(1, min(SHUFFLE_BLOCK, self.est._train_state.batch // 32))
        if block == 1:
            return rng.permutation(n).astype(np.int64)
        n_blocks = -(-n // block)
        starts = rng.permutation(n_blocks).astype(np.int64) * block
        order = (starts[:, None] + np.arange(block, dtype=np.int64)).reshape(-1)
        return order[order < n] if n % block else order

    # -- snapshots and back-off ------------------------------------------------------
    def snapshot(self):
        """Train state and bookkeeping at the end of the last finished epoch."""
        est = self.est
        curves = (len(est.loss_curve_), len(est.validation_loss_curve_ or ()))
        public = (getattr(est, "coef_", None), getattr(est, "intercept_", None))
        return est._train_state.copy(), (est.n_iter_, est.t_, curves, public)

    def restore(self, snapshot):
        est = self.est
        state, (n_iter, t, curves, (coef, intercept)) = snapshot
        # The learning rate lowered by back-offs survives the restore.
        base_rate = est._train_state.base_rate
        est._train_state = state.copy()
        est._train_state.base_rate = base_rate
        est.n_iter_, est.t_ = n_iter, t
        del est.loss_curve_[curves[0] :]
        if est.validation_loss_curve_ is not None:
            del est.validation_loss_curve_[curves[1] :]
        if coef is None:  # no epoch had finished: not fitted
            for name in ("coef_", "intercept_"):
                if hasattr(est, name):
                    delattr(est, name)
        else:
            est.coef_, est.intercept_ = coef, intercept

    def back_off(self, backoffs, lr_before):
        """After a diverged epoch: lower the learning rate, or give up."""
        est, state = self.est, self.est._train_state
        if backoffs > MAX_BACKOFFS:
            raise ValueError(
                f"{type(est).__name__}: the training loss diverged with "
                f"learning_rate={lr_before:g} and still diverged after lowering it "
                f"{MAX_BACKOFFS} times to {state.base_rate:g}. Pass a smaller "
                "learning_rate (or eta0), or check X and y for extreme values."
            )
        state.base_rate /= 10.0
        est.learning_rate_ = state.base_rate

    @staticmethod
    def commit(work, target):
        """Publish the working copy's whole state on ``target`` in one step.

        A single assignment of ``__dict__`` (no Python code runs inside it,
        so a KeyboardInterrupt lands before or after it, never in between):
        ``target`` holds either its previous state or this one, with
        classes_, n_features_in_, feature_names_in_, coef_, intercept_,
        n_iter_, t_, the loss curves, the scaling and the train state all
        from the same finished epoch.
        """
        target.__dict__ = copied_state(work.__dict__)

    # -- the epoch loop ----------------------------------------------------------------
    def model_loss(self, X, targets, sample_weight):
        """Loss of the published model (coef_, intercept_) on (X, targets)."""
        raw = self.est._decision(X)
        raw = raw.reshape(raw.shape[0], -1)
        ys, raw = self._loss_inputs(targets, raw)
        if sample_weight is not None and ys.shape[0] != sample_weight.shape[0]:
            sample_weight = np.repeat(sample_weight, ys.shape[0] // sample_weight.shape[0])
        return self.objective.loss._serial_mean(ys, raw, sample_weight)

    def epochs(self, source, max_epochs, X_val=None, val=None, w_val=None, target=None):
        """Run up to ``max_epochs`` epochs over ``source`` with the stopping rules.

        ``source`` yields the parts of each epoch (one in-memory array, or the
        blocks of a Dask array); returns (epochs run, converged).  ``est`` is
        a working copy: each finished epoch is committed to ``target``.
        """
        est = self.est
        rng = est._random_state_
        dtype = source.dtype
        X_s, t_s, w_s = source.curve_sample(rng)
        ky = t_s.reshape(t_s.shape[0], -1).shape[1]
        buffers = self.buffers(dtype, est.n_features_in_, ky, sparse=source.sparse)
        bar = self._progress(max_epochs)
        best = np.inf
        best_params = None
        stale = 0
        epochs = 0
        converged = False
        backoffs = 0
        lr_before = est._train_state.base_rate
        power = self.objective.power or 0
        good = self.snapshot()
        start = time.perf_counter()
        blas = self.blas_limit(source.n_samples * est.n_features_in_, source.sparse)
        blas.__enter__()
        try:
            while epochs < max_epochs:
                state = est._train_state
                # A model whose loss exceeds this is diverging even if no minibatch said so.
                limit = state.bound * state.y_scale**power
                ok = True
                for i, (X, targets, sample_weight) in enumerate(source.parts(rng)):
                    ys = self.scaled_targets(targets)
                    order = self.order(X.shape[0], rng)
                    ok = self.run_epoch(
                        X, ys, sample_weight, order, source.weight_scale, buffers, i == 0
                    )
                    if not ok:
                        break
                loss = np.nan
                if ok:
                    self.publish(dtype)
                    loss = self.model_loss(X_s, t_s, w_s)
                if not (ok and np.isfinite(loss) and loss <= limit):
                    # Diverged: back to the last good state, smaller steps.
                    backoffs += 1
                    self.restore(good)
                    self.back_off(backoffs, lr_before)
                    continue
                state = est._train_state
                smooth = self.objective.declared("smooth", state.y_scale)
                if not smooth and isinstance(est.learning_rate, str) and est.learning_rate == "auto":
                    # The absolute error's gradient does not shrink with the
                    # residuals: steps proportional to the current mean
                    # absolute residual (its inverse "curvature") converge.
                    scaled = loss / (state.y_scale**power * state.ref_loss)
                    state.rate_scale = float(np.clip(scaled, 1e-9, 1.0))
                epochs += 1
                est.n_iter_ += 1
                est.t_ += source.n_samples
                est.loss_curve_.append(loss)
                watched = loss
                if X_val is not None:
                    watched = self.model_loss(X_val, val, w_val)
                    est.validation_loss_curve_.append(watched)
                good = self.snapshot()
                self.commit(est, target)
                self._report(bar, loss, watched if X_val is not None else None, start)
                if est.tol is None:
                    continue
                if watched > best - est.tol * abs(best):
                    stale += 1
                else:
                    stale = 0
                if watched < best:
                    best = watched
                    best_params = (state.coef_avg.copy(), state.intercept_avg.copy())
                if stale >= est.n_iter_no_change:
                    if est.learning_rate == "adaptive" and (
                        state.base_rate * state.adaptive_rate > ADAPTIVE_MIN_RATE
                    ):
                        # scikit-learn's "adaptive": divide the rate by 5, go on.
                        state.adaptive_rate /= ADAPTIVE_FACTOR
                        stale = 0
                        good = self.snapshot()
                        continue
                    converged = True
                    break
        finally:
            # Interrupted (Ctrl-C lands when the compiled epoch returns) or
            # failed: the target keeps the last committed state, usable and
            # consistent; this working copy is dropped.
            blas.__exit__(None, None, None)
            if bar is not None:
                bar.close()
        if best_params is not None:
            state = est._train_state
            state.coef_avg[...], state.intercept_avg[...] = best_params
            self.publish(dtype)
            self.commit(est, target)
        if backoffs:
            warnings.warn(
                f"The training loss diverged with learning_rate={lr_before:g}; "
                f"lowered it to {est._train_state.base_rate:g} and retried.",
                ConvergenceWarning,
                stacklevel=5,
            )
        if est.verbose and bar is None:
            print(f"Total training time: {time.perf_counter() - start:.2f} seconds.")
        return epochs, converged

    # -- progress ----------------------------------------------------------------
    def _progress(self, total):
        if not self.est.verbose:
            return None
        try:
            from tqdm.auto import tqdm
        except ImportError:
            return None
        return tqdm(total=total, desc=type(self.est).__name__, unit="epoch", leave=True)

    def _report(self, bar, loss, val_loss, start):
        est = self.est
        if not est.verbose:
            return
        if bar is not None:
            postfix = {"loss": f"{loss:.6g}"}
            if val_loss is not None:
                postfix["val_loss"] = f"{val_loss:.6g}"
            bar.set_postfix(postfix, refresh=False)
            bar.update(1)
            return
        line = f"Epoch {est.n_iter_}: loss {loss:.6g}"
        if val_loss is not None:
            line += f", validation loss {val_loss:.6g}"
        line += f", learning rate {est.learning_rate_:.3g}, {time.perf_counter() - start:.2f} s"
        print(line)
        sys.stdout.flush()
