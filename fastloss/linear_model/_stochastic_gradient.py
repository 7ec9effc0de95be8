"""SGDClassifier and SGDRegressor: thin estimators over the trainer.

The estimators own scikit-learn's API (parameters and their validation,
input checks, label encoding, class weights, predictions); training is
:class:`._trainer.Trainer`'s, on a data source of :mod:`._sources` or
:mod:`._blocks`; which losses they train, and how, is read from the loss
registry (each loss's declared ``sgd``).
"""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model._base import SparseCoefMixin
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, InvalidParameterError, StrOptions
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.extmath import safe_sparse_dot
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from .._dask import is_dask
from .._losses._base import FusedLoss
from .._losses._spec import RAW, TARGETS
from .._registry import LOSSES
from .._validation import as_ndarray
from ._sources import InMemory
from ._trainer import Objective, Trainer, copied_state

__all__ = ["SGDRegressor", "SGDClassifier"]

#: Target kinds of regression losses.
_REGRESSION_TARGETS = ("real", "nonnegative", "positive")
#: Target kinds of binary classification losses (labels 0 and 1).
_BINARY_TARGETS = ("binary", "probability")
#: What the estimators refuse of scikit-learn's learning rates, and why.
_REFUSED_RATES = {
    "pa1": "passive-aggressive steps are per sample",
    "pa2": "passive-aggressive steps are per sample",
}


def _target_kinds(cls):
    kind = cls.target
    return tuple(kind.kinds) if hasattr(kind, "kinds") else (kind,)


def _regression_problem(loss):
    """Why ``loss`` (a class or an instance) cannot be trained by SGDRegressor, or None."""
    cls = loss if isinstance(loss, type) else type(loss)
    kind = cls().target_kind if isinstance(loss, type) else loss.target_kind
    if cls._raw_ndim != 1 or kind not in _REGRESSION_TARGETS:
        return f"it is not a regression loss (its targets are {kind!r})"
    if cls.raw not in ("identity", "log"):
        return f"its raw prediction is {RAW[cls.raw]} (raw={cls.raw!r}), not a regression prediction"
    if cls.raw == "identity" and kind != "real":
        # The trainer centres and scales the targets (y - centre) / scale: a
        # domain such as y >= 0 would not hold for them, and the loss's own
        # target check would turn every step into NaN.
        return (
            f"its targets are restricted ({TARGETS[kind][1]}), and SGDRegressor centres "
            "and scales the targets of identity-link losses: only those of real targets "
            "(target='real') train"
        )
    if cls.sgd is None:
        return "it declares no SGD metadata (sgd = SGDSpec(...))"
    return None


def _classification_problem(loss):
    """Why ``loss`` (a class or an instance) cannot be trained by SGDClassifier, or None."""
    cls = loss if isinstance(loss, type) else type(loss)
    if cls.sgd is None:
        return "it declares no SGD metadata (sgd = SGDSpec(...))"
    if cls._raw_ndim != 1:
        return "it is a loss of several classes at once; pass its binary loss (log_loss)"
    kinds = _target_kinds(cls)
    if all(k in _BINARY_TARGETS for k in kinds):
        return None
    if kinds == ("real",) and cls.raw == "identity":
        return None  # trained on labels -1 / +1, as scikit-learn's SGDClassifier does
    return (
        f"its targets are {kinds[0]!r} and its raw prediction is {RAW[cls.raw]}: a "
        "classifier trains losses of labels {0, 1} or regression losses of labels -1/+1"
    )


def _loss_names(problem):
    """Registry names (aliases included) of the losses ``problem`` accepts, read at call time."""
    names = set()
    for name, cls in LOSSES.items():
        if problem(cls) is None:
            names.add(name)
            names.update(cls.sgd.aliases)
    return sorted(names)


def _resolve_loss(name):
    """(loss class, parameters) of a registered name or alias, or None."""
    if name in LOSSES:
        return LOSSES[name], {}
    for cls in LOSSES.values():
        if cls.sgd is not None and name in cls.sgd.aliases:
            return cls, dict(cls.sgd.aliases[name])
    return None


def _loss_object(loss):
    """``loss`` as a loss instance: a registered name or alias made with its
    parameters, a loss object as it is; None for anything else."""
    if isinstance(loss, FusedLoss):
        return loss
    resolved = _resolve_loss(loss) if isinstance(loss, str) else None
    return None if resolved is None else resolved[0](**resolved[1])


class _LossConstraints:
    """Parameter constraints with the loss names read from the registry.

    A descriptor, so that losses registered after import (user-defined ones)
    are accepted, on the class and on instances alike.
    """

    def __init__(self, problem, extra):
        self.problem, self.extra = problem, extra

    def __get__(self, obj, owner):
        return {
            **_BaseSGD._parameter_constraints,
            **self.extra,
            "loss": [StrOptions(set(_loss_names(self.problem))), FusedLoss],
        }


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


class _BaseSGD(SparseCoefMixin, BaseEstimator):
    _parameter_constraints: dict = {
        "penalty": [StrOptions({"l2", "l1", "elasticnet"}), None],
        "alpha": [Interval(numbers.Real, 0, None, closed="left")],
        "l1_ratio": [Interval(numbers.Real, 0, 1, closed="both"), None],
        "fit_intercept": ["boolean"],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "tol": [Interval(numbers.Real, 0, None, closed="left"), None],
        "shuffle": ["boolean"],
        "verbose": ["verbose"],
        "epsilon": [Interval(numbers.Real, 0, None, closed="left")],
        "random_state": ["random_state"],
        "learning_rate": [
            StrOptions({"auto", "constant", "optimal", "invscaling", "adaptive", "pa1", "pa2"}),
            Interval(numbers.Real, 0, None, closed="neither"),
        ],
        "eta0": [Interval(numbers.Real, 0, None, closed="neither")],
        "power_t": [Interval(numbers.Real, None, None, closed="neither")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(numbers.Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(numbers.Integral, 1, None, closed="left")],
        "warm_start": ["boolean"],
        "average": [Interval(numbers.Integral, 0, None, closed="neither"), "boolean"],
        "n_jobs": [numbers.Integral, None],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "momentum": [Interval(numbers.Real, 0, 1, closed="left")],
    }

    def __init__(
        self,
        loss,
        *,
        penalty="l2",
        alpha=1e-4,
        l1_ratio=0.15,
        fit_intercept=True,
        max_iter=1000,
        tol=1e-3,
        shuffle=True,
        verbose=0,
        epsilon=0.1,
        n_jobs=None,
        random_state=None,
        learning_rate="auto",
        eta0=0.01,
        power_t=0.5,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=1,
        warm_start=False,
        average=True,
        batch_size=2048,
        momentum=0.9,
    ):
        self.loss = loss
        self.penalty = penalty
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.shuffle = shuffle
        self.verbose = verbose
        self.epsilon = epsilon
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.learning_rate = learning_rate
        self.eta0 = eta0
        self.power_t = power_t
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.warm_start = warm_start
        self.average = average
        self.batch_size = batch_size
        self.momentum = momentum

    def __sklearn_is_fitted__(self):
        # Fitted once an epoch has finished (not merely once fit has started).
        return hasattr(self, "coef_")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        if getattr(_loss_object(self.loss), "raw", None) == "log":
            tags.target_tags.positive_only = True  # as scikit-learn's GLMs
        return tags

    # -- parameters ------------------------------------------------------------------
    def _validate_params(self, for_partial_fit=False):
        name = type(self).__name__
        loss = _loss_object(self.loss)
        if loss is not None:
            problem = self._loss_problem(loss)
            if problem is not None:
                raise InvalidParameterError(
                    f"The 'loss' parameter of {name} cannot be {self.loss!r}: {problem}. "
                    f"{name} trains the losses {_loss_names(self._loss_problem)} (or "
                    "instances of them)."
                )
        if isinstance(self.learning_rate, str) and self.learning_rate in _REFUSED_RATES:
            raise InvalidParameterError(
                f"The 'learning_rate' parameter of {name} cannot be "
                f"{self.learning_rate!r}: {_REFUSED_RATES[self.learning_rate]}, and "
                f"fastloss's {name} steps on minibatches. Use 'auto' (fastloss's "
                "default), 'constant', 'optimal', 'invscaling' or 'adaptive', or "
                "scikit-learn's PassiveAggressive estimators."
            )
        super()._validate_params()
        # scikit-learn's checks beyond the constraints, with its messages.
        if self.early_stopping and for_partial_fit:
            raise ValueError("early_stopping should be False with partial_fit")
        if self.learning_rate == "optimal" and self.alpha == 0:
            raise ValueError(
                "alpha must be > 0 since learning_rate is 'optimal'. alpha is used "
                "to compute the optimal learning rate."
            )
        if self.penalty == "elasticnet" and self.l1_ratio is None:
            raise ValueError("l1_ratio must be set when penalty is 'elasticnet'")

    def _l1_ratio(self):
        """The share of the penalty that is L1: 0 (l2, None), 1 (l1) or l1_ratio."""
        return {"l1": 1.0, "elasticnet": float(self.l1_ratio or 0.0)}.get(self.penalty, 0.0)

    def _loss_problem(self, loss):  # pragma: no cover - overridden
        raise NotImplementedError

    def _base_loss(self):
        """The configured loss as an instance (``epsilon`` set where the loss declares it)."""
        loss = self.loss
        if not isinstance(loss, str):
            return loss
        cls, params = _resolve_loss(loss)
        if cls.sgd.epsilon_param is not None:
            params[cls.sgd.epsilon_param] = self.epsilon
        return cls(**params)

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
            accept_sparse="csr",
            y_numeric=isinstance(self, RegressorMixin),
        )
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, X, dtype=np.float64, ensure_non_negative=True
            )
            if not sample_weight.sum() > 0:
                raise ValueError("Sample weights must contain at least one non-zero number.")
        return X, y, sample_weight

    # -- fit / partial_fit -------------------------------------------------------------
    def _fit(self, X, y, sample_weight, *, partial, classes=None, coef_init=None,
             intercept_init=None):  # fmt: skip
        # All the work happens on a copy; self changes only when a finished
        # epoch is committed to it, whole (see Trainer.commit).  An interrupt
        # or an error at any moment leaves self with its previous model or
        # with the model of the last finished epoch, never a mix of the two.
        work = object.__new__(type(self))
        work.__dict__ = copied_state(self.__dict__)
        work._fit_work(self, X, y, sample_weight, partial, classes, coef_init, intercept_init)
        return self

    def _fit_work(self, target, X, y, sample_weight, partial, classes, coef_init, intercept_init):
        fitted = hasattr(self, "_train_state")
        initial = coef_init is not None or intercept_init is not None
        first = not fitted or initial or not (partial or self.warm_start)
        if is_dask(X, y, sample_weight):
            if initial:
                raise ValueError("coef_init and intercept_init are not supported with Dask inputs.")
            return self._fit_blocks(target, X, y, sample_weight, partial, classes, first)
        X, y, sample_weight = self._validate_fit_data(X, y, sample_weight, reset=first)
        if first:
            self._random_state_ = check_random_state(self.random_state)
        targets = self._encode_targets(y, first, classes, partial)
        sample_weight = self._class_weighted(y, sample_weight)
        X_val = val = w_val = None
        if self.early_stopping and not partial:
            X, targets, sample_weight, X_val, val, w_val = self._split_validation(
                X, targets, sample_weight
            )
        trainer = Trainer(self)
        if first:
            trainer.init_state(X, targets, sample_weight, self._random_state_)
            if initial:
                trainer.set_initial_model(*self._initial_model(coef_init, intercept_init))
        elif self.early_stopping and not partial and self.validation_loss_curve_ is None:
            self.validation_loss_curve_ = []
        return self._train(trainer, target, InMemory(X, targets, sample_weight), partial,
                           X_val, val, w_val)  # fmt: skip

    def _initial_model(self, coef_init, intercept_init):
        """coef_init / intercept_init checked (scikit-learn's messages) as (p, k) and (k,)."""
        k = self._n_outputs
        p = self.n_features_in_
        coef = intercept = None
        if coef_init is not None:
            coef = np.asarray(coef_init, dtype=np.float64)
            if k > 1:
                if coef.shape != (k, p):
                    raise ValueError("Provided ``coef_`` does not match dataset. ")
                coef = coef.T
            else:
                coef = coef.ravel()
                if coef.shape != (p,):
                    raise ValueError("Provided coef_init does not match dataset.")
                coef = coef[:, None]
        if intercept_init is not None:
            intercept = np.asarray(intercept_init, dtype=np.float64)
            if intercept.shape != (k,) and not (k == 1 and intercept.shape == ()):
                raise ValueError("Provided intercept_init does not match dataset.")
            intercept = intercept.reshape(k)
        return coef, intercept

    def _train(self, trainer, target, source, partial, X_val=None, val=None, w_val=None):
        max_epochs = 1 if partial else self.max_iter
        epochs, converged = trainer.epochs(source, max_epochs, X_val, val, w_val, target)
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
        if getattr(self, "class_weight", None) == "balanced":
            raise ValueError(
                "class_weight='balanced' is not supported with Dask inputs: compute the "
                "weights with sklearn.utils.class_weight.compute_class_weight on a sample "
                "of y and pass them as a dict."
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
        w0 = self._class_weighted(y0, w0)
        source.first = (X0, targets0, w0)
        trainer = Trainer(self)
        if first:
            trainer.init_state(X0, targets0, w0, self._random_state_, n_total=source.n_samples)
        return self._train(trainer, target, source, partial)

    def _block_targets(self, y):
        """Encode the targets of a block after the first (classes already fixed)."""
        return self._encode_targets(y, False, None, True)

    def _class_weighted(self, y, sample_weight):
        """The sample weights times the class weights (classifiers; others: unchanged)."""
        return sample_weight

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

    # -- predictions ---------------------------------------------------------------
    def _decision(self, X):
        """Raw predictions of X, shape (n,) or (n, k), in X's dtype."""
        coef = self.coef_
        if hasattr(coef, "toarray") or hasattr(X, "tocsr"):  # sparsify(), sparse X
            coef = coef if hasattr(coef, "toarray") else coef.astype(X.dtype, copy=False)
            raw = np.asarray(safe_sparse_dot(X, coef.T, dense_output=True), dtype=X.dtype)
        else:
            raw = X @ (coef.T if coef.ndim == 2 else coef).astype(X.dtype, copy=False)
        raw = raw + self.intercept_.astype(X.dtype, copy=False)
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
            accept_sparse="csr",
        )


_COMMON_PARAMETERS = """\
    penalty : {"l2", "l1", "elasticnet"} or None, default="l2"
        The penalty ``alpha * ((1 - l1_ratio) * ||coef||**2 / 2 + l1_ratio *
        ||coef||_1)`` ("l2": ``l1_ratio = 0``, "l1": 1), applied as a proximal
        step, so L1 gives exact zeros in ``coef_``.
    alpha : float, default=1e-4
        Penalty strength (not on the intercept).
    l1_ratio : float in [0, 1], default=0.15
        The L1 share of the "elasticnet" penalty.
    fit_intercept : bool, default=True
        Whether to fit an intercept.
    max_iter : int, default=1000
        Maximum number of epochs (passes over the training data) of ``fit``.
    tol : float or None, default=1e-3
        Training stops when the epoch loss (or the validation loss with
        ``early_stopping``) has not improved by a relative ``tol`` for
        ``n_iter_no_change`` epochs in a row.  None: run ``max_iter`` epochs.
    shuffle : bool, default=True
        Shuffle the rows before each epoch.
    verbose : int, default=0
        Print the loss after each epoch (a tqdm bar when tqdm is installed).
    epsilon : float, default=0.1
        Huber's ``delta`` and the epsilon-insensitive losses' ``epsilon``, in
        the targets' units, when the loss is given by name (each loss declares
        which of its parameters ``epsilon`` sets).
    n_jobs : int or None, default=None
        Threads each epoch is split across (each minibatch's rows shared
        out, the partial gradients summed): None is
        ``fastloss.get_num_threads()``, negative values count as joblib's
        (-1: every core); at most the cores.  Dense X on the Numba backend
        with enough work (1e6 elements, 256 rows a thread per minibatch);
        otherwise one thread.
    random_state : int, RandomState instance or None, default=None
        Seeds the shuffling, the validation split and the statistics sample.
    learning_rate : {"auto", "constant", "optimal", "invscaling", "adaptive"} or float, \
default="auto"
        The step size per minibatch step ``t`` (0, 1, ...), in standardised
        units: "auto" (fastloss's) ``lr / sqrt(1 + epoch)`` with ``lr =
        min(0.1, 1 / L)``, ``L`` a bound on the loss curvature estimated from a
        sample of X (a float: that ``lr``); scikit-learn's schedules as it
        defines them: "constant" ``eta0``, "optimal" ``1 / (alpha * (t0 +
        t))``, "invscaling" ``eta0 / (t + 1)**power_t``, "adaptive" ``eta0``
        divided by 5 each time the loss stalls for ``n_iter_no_change``
        epochs (training stops below 1e-6).  With momentum the step is
        multiplied by ``1 - momentum`` for these, so that the
        momentum-amplified step is the schedule's.  "pa1"/"pa2" are refused
        (passive-aggressive steps are per sample).
    eta0 : float, default=0.01
        Initial step of "constant", "invscaling" and "adaptive".
    power_t : float, default={power_t}
        Exponent of "invscaling".
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data and stop when the
        validation loss stops improving; the best model seen is kept.
    validation_fraction : float, default=0.1
        Fraction of the data held out when ``early_stopping`` is true.
    n_iter_no_change : int, default=1
        Epochs without improvement before stopping (scikit-learn: 5; the
        averaged iterate's loss curve is smooth enough for 1).
    warm_start : bool, default=False
        Continue from the previous solution (and standardisation) on ``fit``.
    average : bool or int, default=True
        True (fastloss's default; scikit-learn's is False): report the
        running average of the iterates, restarted at epochs 1, 2, 4, 8, ...
        (it spans at least the latest half of the epochs).  An int ``n``:
        scikit-learn's, average every iterate once ``n`` samples were seen.
        False: the last iterate.
    batch_size : int, default=2048
        Rows per minibatch (fastloss's); smaller on small data, where it is at
        most ``n_samples // 32`` so that an epoch takes at least 32 steps.
    momentum : float, default=0.9
        Heavy-ball momentum (fastloss's).
"""


class SGDRegressor(RegressorMixin, _BaseSGD):
    """Linear regression trained by compiled large-minibatch SGD.

    Minimises ``mean(w * loss) / mean(w) + penalty``, where the loss is
    ``(y - p)**2 / 2`` (``"squared_error"``, scikit-learn's convention, so
    ``alpha = Ridge alpha / n_samples``) or any other registered regression
    loss (times its declared ``sgd.grad_factor``, 1 but for the squared
    error).  Features (and, where the loss allows it, targets) are
    standardised inside the optimizer (never copied), so the defaults work on
    unscaled data; each epoch is one compiled pass over shuffled minibatches
    with momentum, a decaying learning rate and averaging of the iterates.

    Parameters
    ----------
    loss : str or loss object, default="squared_error"
        The loss to minimise: the name, in ``fastloss.losses.LOSSES``, of a
        registered regression loss whose raw prediction is the prediction
        itself (``"squared_error"``, ``"huber"``, ``"epsilon_insensitive"``,
        ``"squared_epsilon_insensitive"``, ``"absolute_error"``,
        ``"quantile"``... and losses made with :func:`fastloss.pointwise_loss`)
        or its log (``"poisson"``, ``"gamma"``, ``"tweedie"``: ``predict``
        returns ``exp`` of the linear model, as scikit-learn's GLMs do), or an
        instance such as ``fastloss.Huber(delta=0.5)``
        (``set_params(loss__delta=...)`` replaces it by a copy with that
        parameter).  How it is trained comes from its declared ``sgd``.
{common}
    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
    intercept_ : ndarray of shape (1,)
    n_iter_ : int
        Epochs run.
    t_ : int
        Training samples seen.
    loss_curve_ : list of float
        Training loss (the weighted mean loss, without the penalty) after
        each epoch of the model ``coef_``/``intercept_`` then held, measured
        on a fixed random sample of about 20,000 training rows.  The ``tol``
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

    _parameter_constraints = _LossConstraints(_regression_problem, {})
    _loss_problem = staticmethod(_regression_problem)

    def __init__(
        self,
        loss="squared_error",
        *,
        penalty="l2",
        alpha=1e-4,
        l1_ratio=0.15,
        fit_intercept=True,
        max_iter=1000,
        tol=1e-3,
        shuffle=True,
        verbose=0,
        epsilon=0.1,
        n_jobs=None,
        random_state=None,
        learning_rate="auto",
        eta0=0.01,
        power_t=0.25,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=1,
        warm_start=False,
        average=True,
        batch_size=2048,
        momentum=0.9,
    ):
        super().__init__(
            loss, penalty=penalty, alpha=alpha, l1_ratio=l1_ratio, fit_intercept=fit_intercept,
            max_iter=max_iter, tol=tol, shuffle=shuffle, verbose=verbose, epsilon=epsilon,
            n_jobs=n_jobs, random_state=random_state, learning_rate=learning_rate, eta0=eta0,
            power_t=power_t, early_stopping=early_stopping,
            validation_fraction=validation_fraction, n_iter_no_change=n_iter_no_change,
            warm_start=warm_start, average=average, batch_size=batch_size, momentum=momentum,
        )  # fmt: skip

    def _objective(self):
        return Objective(self._base_loss())

    def set_params(self, **params):
        """Set parameters; ``loss__<name>`` makes a new loss with that parameter changed.

        Loss objects are immutable, so ``set_params(loss__delta=0.5)`` replaces
        ``loss`` by a copy with ``delta=0.5`` (as ``loss=Huber(delta=0.5)`` would).
        """
        nested = {key: params.pop(key) for key in list(params) if key.startswith("loss__")}
        if nested:
            given = params.get("loss", self.loss)
            loss = _loss_object(given)
            if loss is None:
                raise ValueError(f"loss__ parameters need a loss with parameters, got loss={given!r}.")
            values = loss.get_params()
            values.update({key[len("loss__") :]: value for key, value in nested.items()})
            params["loss"] = type(loss)(**values)
        return super().set_params(**params)

    def _encode_targets(self, y, first, classes, partial):
        self._n_outputs = 1
        return np.asarray(y, dtype=np.float64)

    def _set_public_coef(self, coef, intercept):
        self.coef_ = coef.reshape(-1)
        self.intercept_ = intercept.reshape(1)

    def fit(self, X, y, coef_init=None, intercept_init=None, sample_weight=None):
        """Fit the model by SGD over minibatches.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data; float32 trains in float32.
        y : array-like of shape (n_samples,)
            Targets.
        coef_init : array-like of shape (n_features,), default=None
            Initial coefficients (training starts from them).
        intercept_init : array-like of shape (1,), default=None
            Initial intercept.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights.

        Returns
        -------
        self
        """
        self._validate_params()
        return self._fit(X, y, sample_weight, partial=False, coef_init=coef_init,
                         intercept_init=intercept_init)  # fmt: skip

    def partial_fit(self, X, y, sample_weight=None):
        """Run one epoch over ``(X, y)``, continuing from the current state.

        The first call fixes the feature standardisation (estimated on that
        chunk) and the learning-rate decay (one unit per chunk-sized epoch).
        """
        if not hasattr(self, "_train_state"):
            self._validate_params(for_partial_fit=True)
        return self._fit(X, y, sample_weight, partial=True)

    def predict(self, X):
        """Predicted targets, shape (n_samples,) (a Dask array for Dask X).

        ``exp`` of the linear model for log-link losses (Poisson, gamma, Tweedie).
        """
        if is_dask(X):
            return self._blockwise(self.predict, X, None)
        X = self._check_predict_input(X)
        raw = self._decision(X)
        if type(self._base_loss()).raw == "log":
            with np.errstate(over="ignore"):
                return np.exp(raw)
        return raw


class SGDClassifier(ClassifierMixin, _BaseSGD):
    """Linear classifiers (SVM, logistic regression...) trained by compiled minibatch SGD.

    Two classes: one decision function, trained on labels 0/1 (margin and
    log losses) or -1/+1 (regression losses), as scikit-learn's
    ``SGDClassifier``.  More classes: ``loss="log_loss"`` is a true
    multinomial (softmax) model; every other loss is one-vs-rest, as in
    scikit-learn, with all the classes trained in the same pass over X.  The
    objective is the weighted mean loss (summed over the classes for
    one-vs-rest) plus the penalty.  Optimizer as in :class:`SGDRegressor`.

    Parameters
    ----------
    loss : str or loss object, default="hinge"
        ``"hinge"`` (linear SVM), ``"log_loss"`` (logistic regression),
        ``"modified_huber"``, ``"squared_hinge"``, ``"perceptron"``,
        ``"squared_error"``, ``"huber"``, ``"epsilon_insensitive"``,
        ``"squared_epsilon_insensitive"`` as in scikit-learn, or another
        registered loss of labels {0, 1} or regression loss that declares
        ``sgd``; a loss object such as ``fastloss.Hinge(threshold=0.5)``.
        ``predict_proba`` exists for the losses that declare probabilities
        ("log_loss", "modified_huber").
{common}    class_weight : dict, "balanced" or None, default=None
        Weights of the classes, multiplying the sample weights ("balanced":
        ``n_samples / (n_classes * np.bincount(y))``, not with partial_fit).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
    intercept_ : ndarray of shape (1,) or (n_classes,)
    n_iter_, t_, loss_curve_, validation_loss_curve_, learning_rate_, \
n_features_in_, feature_names_in_
        See :class:`SGDRegressor` (one-vs-rest: the loss averaged over the classes).

    Examples
    --------
    >>> import numpy as np
    >>> from fastloss.linear_model import SGDClassifier
    >>> hours = np.array([[1.0], [2.0], [3.0], [4.0], [5.0], [6.0]])
    >>> passed = np.array(["fail", "fail", "fail", "pass", "pass", "pass"])
    >>> clf = SGDClassifier(loss="log_loss", random_state=0).fit(hours, passed)
    >>> clf.predict([[1.5], [5.5]])
    array(['fail', 'pass'], dtype='<U4')
    """

    _parameter_constraints = _LossConstraints(
        _classification_problem, {"class_weight": [StrOptions({"balanced"}), dict, None]}
    )
    _loss_problem = staticmethod(_classification_problem)

    def __init__(
        self,
        loss="hinge",
        *,
        penalty="l2",
        alpha=1e-4,
        l1_ratio=0.15,
        fit_intercept=True,
        max_iter=1000,
        tol=1e-3,
        shuffle=True,
        verbose=0,
        epsilon=0.1,
        n_jobs=None,
        random_state=None,
        learning_rate="auto",
        eta0=0.01,
        power_t=0.5,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=1,
        class_weight=None,
        warm_start=False,
        average=True,
        batch_size=2048,
        momentum=0.9,
    ):
        super().__init__(
            loss, penalty=penalty, alpha=alpha, l1_ratio=l1_ratio, fit_intercept=fit_intercept,
            max_iter=max_iter, tol=tol, shuffle=shuffle, verbose=verbose, epsilon=epsilon,
            n_jobs=n_jobs, random_state=random_state, learning_rate=learning_rate, eta0=eta0,
            power_t=power_t, early_stopping=early_stopping,
            validation_fraction=validation_fraction, n_iter_no_change=n_iter_no_change,
            warm_start=warm_start, average=average, batch_size=batch_size, momentum=momentum,
        )  # fmt: skip
        self.class_weight = class_weight

    def _objective(self):
        loss = self._base_loss()
        multiclass = type(loss).sgd.multiclass
        if self._n_outputs > 1 and multiclass is not None:
            loss = LOSSES[multiclass]()
        return Objective(loss, scaled=False)

    def _signed(self):
        """Whether the loss trains on labels -1/+1 (regression losses) instead of 0/1."""
        return _target_kinds(type(self._base_loss())) == ("real",)

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
        index = index.reshape(-1)
        k = self._n_outputs
        if k > 1 and type(self._base_loss()).sgd.multiclass is not None:
            return index.astype(np.int64)  # class indices of the softmax loss
        if k == 1:
            labels = index.astype(np.float64)
        else:  # one-vs-rest: one column of targets per class
            labels = (index[:, None] == np.arange(k)).astype(np.float64)
        return 2.0 * labels - 1.0 if self._signed() else labels

    def _class_weighted(self, y, sample_weight):
        if self.class_weight is None:
            return sample_weight
        weights = compute_class_weight(self.class_weight, classes=self.classes_, y=y)
        index = np.searchsorted(self.classes_, y)
        per_sample = weights[index].astype(np.float64)
        return per_sample if sample_weight is None else sample_weight * per_sample

    def _set_public_coef(self, coef, intercept):
        self.coef_ = np.ascontiguousarray(coef.T)
        self.intercept_ = intercept.reshape(-1)

    def fit(self, X, y, coef_init=None, intercept_init=None, sample_weight=None):
        """Fit the model by SGD over minibatches.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data; float32 trains in float32.
        y : array-like of shape (n_samples,)
            Class labels (ints, strings, bools...).
        coef_init : array-like of shape (n_classes, n_features), default=None
            Initial coefficients ((1, n_features) or (n_features,) for two classes).
        intercept_init : array-like of shape (n_classes,), default=None
            Initial intercepts.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights (multiplied by ``class_weight``).

        Returns
        -------
        self
        """
        self._validate_params()
        return self._fit(X, y, sample_weight, partial=False, coef_init=coef_init,
                         intercept_init=intercept_init)  # fmt: skip

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Run one epoch over ``(X, y)``, continuing from the current state.

        ``classes`` (all labels) is required on the first call.
        """
        if not hasattr(self, "_train_state"):
            self._validate_params(for_partial_fit=True)
            if self.class_weight == "balanced":
                raise ValueError(
                    "class_weight 'balanced' is not supported for partial_fit. In order "
                    "to use 'balanced' weights, use compute_class_weight('balanced', "
                    "classes=classes, y=y). In place of y you can use a large enough "
                    "sample of the full training set target to properly estimate the "
                    "class frequency distributions. Pass the resulting weights as the "
                    "class_weight parameter."
                )
        return self._fit(X, y, sample_weight, partial=True, classes=classes)

    def decision_function(self, X):
        """Decision values: shape (n_samples,) for two classes, else (n_samples, n_classes)."""
        if is_dask(X):
            k = len(self.classes_)
            return self._blockwise(self.decision_function, X, None if k == 2 else k)
        X = self._check_predict_input(X)
        return self._decision(X)

    def _has_proba(self):
        loss = _loss_object(self.loss)
        if loss is None or loss.sgd is None or loss.sgd.proba is None:
            raise AttributeError(f"probability estimates are not available for loss={self.loss!r}")
        return True

    @available_if(_has_proba)
    def predict_proba(self, X):
        """Class probabilities, shape (n_samples, n_classes).

        ``log_loss``: the sigmoid (softmax for more classes) of the decision
        values; ``modified_huber``: scikit-learn's ``(clip(d, -1, 1) + 1) / 2``,
        normalised over the classes (uniform where every class has 0).
        """
        if is_dask(X):
            return self._blockwise(self.predict_proba, X, len(self.classes_))
        if type(self._base_loss()).sgd.proba == "logit":
            return np.exp(self.predict_log_proba(X))
        raw = self.decision_function(X)
        prob = (np.clip(raw, -1.0, 1.0) + 1.0) / 2.0
        if raw.ndim == 1:
            return np.stack([1.0 - prob, prob], axis=1)
        total = prob.sum(axis=1, keepdims=True)
        zero = (total == 0.0).ravel()
        out = np.divide(prob, total, out=np.zeros_like(prob), where=total != 0.0)
        out[zero] = 1.0 / prob.shape[1]
        return out

    @available_if(_has_proba)
    def predict_log_proba(self, X):
        """Log of the class probabilities (computed stably from logits for log_loss)."""
        if is_dask(X):
            return self._blockwise(self.predict_log_proba, X, len(self.classes_))
        if type(self._base_loss()).sgd.proba != "logit":
            with np.errstate(divide="ignore"):
                return np.log(self.predict_proba(X))
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


SGDRegressor.__doc__ = SGDRegressor.__doc__.replace(
    "{common}", _COMMON_PARAMETERS.replace("{power_t}", "0.25")
)
SGDClassifier.__doc__ = SGDClassifier.__doc__.replace(
    "{common}", _COMMON_PARAMETERS.replace("{power_t}", "0.5")
)
