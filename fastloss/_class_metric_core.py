"""Metrics of class predictions beside ``log_loss``, declared once:
``brier_score_loss``, ``d2_brier_score``, ``d2_log_loss_score``, ``hinge_loss``.

Each metric's mergeable state is a :class:`ClassState`: the weighted sum of
its per-sample values, the weight sum, the weight of each class (what the
null model of a D² score needs: it predicts the weighted class proportions)
and the sample count.  One pass of ``fastloss._losses.class_values`` (and, for
``d2_log_loss_score``, of ``log_loss``'s kernel) computes it; the one-shot
function, the streaming accumulator (``fastloss.streaming``, given every class
up front) and the Dask path finish it alike.

Inputs are checked as scikit-learn 1.9 checks them, in its order: the
probabilities of several classes as ``log_loss`` (``_log_loss_core``), a 1-D
probability of the positive class as ``_validate_binary_probabilistic_
prediction`` (``pos_label``), decision values as ``hinge_loss``.  As
everywhere in fastloss, labels are first assumed to be 0..k-1 (or 0/1) and
checked by the kernel's pass; anything else takes the general path.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from . import _log_loss_core as _ll
from ._losses import class_values
from ._losses._common import label_columns_numpy
from ._losses.class_values import BRIER, HINGE
from ._metric_core import caller_outside_fastloss, undefined_metric_warning
from ._registry import register_class_metric
from ._validation import (
    InvalidParameterError,
    WeightsSumToZeroError,
    ZeroDenominatorError,
    as_float_array,
    as_label_array,
    as_ndarray,
    as_sample_weight,
    check_array_like,
    check_consistent_length,
    check_weight_stats,
    raise_if_not_finite,
)


class ClassState:
    """Mergeable sums of a metric of class predictions."""

    __slots__ = ("total", "wsum", "class_weights", "off", "n", "one_hot")

    def __init__(self, total, wsum, class_weights, off=0, n=0, one_hot=True):
        self.total = float(total)
        self.wsum = float(wsum)
        self.class_weights = np.asarray(class_weights, dtype=np.float64).copy()
        self.off = int(off)  # rows whose probabilities do not sum to one
        self.n = int(n)
        # One class per sample (else a label indicator matrix: any number).
        self.one_hot = bool(one_hot)

    def merge(self, other):
        if other.class_weights.shape != self.class_weights.shape:
            raise ValueError(
                "Cannot merge the sums of predictions for "
                f"{other.class_weights.size} classes into those for {self.class_weights.size}."
            )
        self.total += other.total
        self.wsum += other.wsum
        self.class_weights = self.class_weights + other.class_weights
        self.off += other.off
        self.n += other.n
        self.one_hot = self.one_hot and other.one_hot
        return self


# -- inputs ---------------------------------------------------------------------


def proba_array(y_proba):
    """scikit-learn's ``check_array(y_proba, ensure_2d=False, dtype=floats)``
    (finiteness is checked later, from the kernel's sums)."""
    proba = y_proba
    if not isinstance(y_proba, (list, tuple)):
        # pandas' nullable probabilities are float64, as in log_loss.
        proba = as_ndarray(y_proba, extension_dtype=np.float64)
    return as_float_array(proba, name="y_proba")


def is_binary_proba(p):
    """Whether scikit-learn takes the binary path: 1-D or one column."""
    return p.ndim == 1 or p.shape[1] == 1


def _column_or_1d(a):
    if a.ndim == 2 and a.shape[1] == 1:
        return a.reshape(-1)
    if a.ndim == 1:
        return a
    raise ValueError(f"y should be a 1d array, got an array of shape {a.shape} instead.")


def _check_label_dtype(y, name):
    """Complex numbers, dates and raw bytes are no class labels (as scikit-learn refuses them)."""
    if y.dtype.kind == "c":
        raise ValueError(f"Complex data not supported\n{y}\n")
    if y.dtype.kind in "mMV":
        raise TypeError(
            f"{name} needs class labels that are numbers, booleans or strings; "
            f"got y_true of dtype {y.dtype}."
        )


def _target_type(y, classes):
    """scikit-learn's ``type_of_target`` of 1-D ``y`` with distinct values ``classes``."""
    if y.dtype.kind == "f" and np.any((classes != np.floor(classes)) | (np.abs(classes) >= 2.0**63)):
        return "continuous"
    if y.dtype == object and y.size and not isinstance(y.flat[0], str):
        return "unknown"
    return "multiclass" if classes.size > 2 else "binary"


_CONSISTENT = ([0, 1], [-1, 1], [0], [-1], [1])


def resolve_pos_label(pos_label, classes):
    """The positive class of binary labels ``classes`` (sorted), as scikit-learn infers it."""
    if pos_label is not None:
        return pos_label
    strings = classes.dtype.kind in "OUS"
    if not strings and any(np.array_equal(classes, c) for c in _CONSISTENT):
        return 1
    if strings:
        shown = ", ".join(repr(c) for c in classes.tolist())
        raise ValueError(
            f"y_true takes value in {{{shown}}} and pos_label is not specified: either make "
            "y_true take value in {0, 1} or {-1, 1} or pass pos_label explicitly."
        )
    return classes[-1]


def _is_default_positive(pos_label):
    """Whether ``pos_label`` picks label 1 of 0/1 labels (None, 1, 1.0, True)."""
    if pos_label is None:
        return True
    return not isinstance(pos_label, (str, bytes)) and bool(np.asarray(pos_label == 1).all())


def _codes(y, classes, identity):
    """int64 class indices of labels ``y`` among sorted ``classes`` (-1: none).

    int64 labels 0..k-1 pass through (the kernels check the range); others
    are mapped here, in one NumPy pass, so that the kernels compile for one
    label dtype and no search.
    """
    if identity and y.dtype == np.int64:
        return y
    return label_columns_numpy(y, classes, identity)


def _run(code, y, p, w, classes, identity, tol=0.0):
    kernel = class_values.KERNELS.binary if p.ndim == 1 else class_values.KERNELS.multiclass
    return kernel(p.size, _codes(y, classes, identity), p, w, code, tol)


_BINARY_CLASSES = np.arange(2)
#: ``d2_log_loss_score``'s state: log_loss's sums and the class weights.
TOTALS = -1


def _zero_one(labels):
    """Whether ``labels`` are the numbers 0 and 1 (a stream's declared classes)."""
    declared = np.unique(as_ndarray(labels))
    return declared.dtype.kind in "iufb" and np.array_equal(declared, _BINARY_CLASSES)


def binary_state(y_true, p, sample_weight, pos_label, code, labels=None):
    """State of ``p``, a checked 1-D probability of the positive class (``brier_score_loss``,
    ``d2_brier_score``), checked as scikit-learn's
    ``_validate_binary_probabilistic_prediction``.

    ``labels`` (streaming and Dask: every class of the whole ``y_true``)
    stand in for the classes found in this ``y_true``, and ``y_true`` must
    hold no other.
    """
    y_values = _column_or_1d(as_ndarray(y_true))
    p = _column_or_1d(p)
    check_consistent_length(p, y_values, sample_weight)
    w = as_sample_weight(sample_weight, p.shape[0], numeric=True)
    _check_label_dtype(y_values, "This metric")
    y = as_label_array(y_values)
    numeric = y.dtype.kind in "iuf" and y.dtype != np.uint64
    if numeric and _is_default_positive(pos_label) and (labels is None or _zero_one(labels)):
        # Labels 0/1 (or, streaming, declared so): the kernel checks them.
        res = _run(code, y, p, w, _BINARY_CLASSES, True)
        if res[3] == 0 and math.isfinite(res[0]) and math.isfinite(res[1]):
            check_weight_stats(w, 1.0 if res[1] == 0 else res[1], res[2])
            return ClassState(res[0], res[1], res[6], 0, p.shape[0])
    # The general path: scikit-learn's checks, in its order.
    if y_values.dtype.kind == "f":
        raise_if_not_finite(y_values)
    raise_if_not_finite(p)
    if w is not None:
        # All zero: an error here (scikit-learn's order), not in a stream's chunk.
        total = float(w.sum())
        check_weight_stats(w, 1.0 if labels is not None and total == 0 else total, float(w.min()))
    found = np.unique(y_values)
    if labels is not None:
        classes = np.unique(as_ndarray(labels))
        _ll.check_subset(found, classes, labels, y_values)
    else:
        classes = found
    y_type = _target_type(y_values, classes)
    if y_type != "binary":
        raise ValueError(
            f"The type of the target inferred from y_true is {y_type} but should be binary "
            "according to the shape of y_prob."
        )
    if p.max() > 1:
        raise ValueError(f"y_prob contains values greater than 1: {p.max()}")
    if p.min() < 0:
        raise ValueError(f"y_prob contains values less than 0: {p.min()}")
    positive = np.asarray(y_values == resolve_pos_label(pos_label, classes))
    if positive.shape != y_values.shape:  # a comparison NumPy could not make elementwise
        positive = np.zeros(y_values.shape, dtype=bool)
    res = _run(code, positive.astype(np.int64), p, w, _BINARY_CLASSES, True)
    return ClassState(res[0], res[1], res[6], 0, p.shape[0])


def _indicator_brier(t, pf, eps):
    return ((t - pf) ** 2).sum(axis=1)


def _runner(code):
    def run(y, p, w, classes, identity, eps):
        return _run(code, y, p, w, classes, identity, _ll.unnormalised_tolerance(eps))

    return run


def _run_d2_log_loss(y, p, w, classes, identity, eps):
    """log_loss's sums, then the class weights (a second, cheap pass)."""
    result = _ll.run_log_loss(y, p, w, classes, identity, eps)
    if result[3] or not math.isfinite(result[0]):
        return result  # for the caller's slow path
    # Every label is a class here (the kernel found none other).
    codes = _codes(y, classes, identity)
    if w is None and len(classes) == 2:  # codes 0 and 1: a sum counts the ones (5x bincount's speed)
        ones = int(codes.sum())
        weights = np.array([codes.size - ones, ones], dtype=np.float64)
    else:
        weights = np.bincount(codes, weights=w, minlength=len(classes)).astype(np.float64)
    off = result[5] if len(result) > 5 else 0
    return tuple(result[:5]) + (off, weights)


def _indicator_d2_log_loss(t, pf, eps):
    return -(t * np.log(np.clip(pf, eps, 1 - eps))).sum(axis=1)


def multiclass_state(y_true, y_proba, sample_weight, labels, code, name):
    """State of probabilities checked as scikit-learn's
    ``_validate_multiclass_probabilistic_prediction`` checks them (warning
    for rows not summing to one)."""
    if code == TOTALS:  # d2_log_loss_score: log_loss's values
        run, indicator = _run_d2_log_loss, _indicator_d2_log_loss
    else:
        run, indicator = _runner(code), _indicator_brier
    total, wsum, off, weights = _ll.probability_sums(
        y_true, y_proba, sample_weight, labels, name=name, run=run, indicator=indicator
    )
    shape = np.shape(y_true)
    one_hot = len(shape) < 2 or shape[1] == 1
    return ClassState(total, wsum, weights, off, num_rows(y_proba), one_hot)


def num_rows(a):
    """The number of samples of an array-like (its first dimension)."""
    return a.shape[0] if hasattr(a, "shape") else len(a)


def hinge_state(y_true, pred_decision, sample_weight, labels, stream=False):
    """State of ``hinge_loss``, checked as scikit-learn's ``hinge_loss`` checks.

    With ``stream`` (streaming, Dask), ``labels`` are every class of the whole
    ``y_true``, which must hold no other: two of them or fewer make the
    binary loss, +1 for the greater.
    """
    check_consistent_length(y_true, pred_decision, sample_weight)
    if getattr(pred_decision, "dtype", np.dtype(float)).kind in "mM":
        raise TypeError("pred_decision should be an array of floats.")
    # scikit-learn's multiclass margin subtracts booleans (its binary one multiplies).
    booleans = getattr(pred_decision, "dtype", np.dtype(float)).kind == "b"
    p = as_float_array(pred_decision, numeric=True)
    y_values = _column_or_1d(as_ndarray(y_true))
    w = as_sample_weight(sample_weight, p.shape[0], numeric=True)
    _check_label_dtype(y_values, "hinge_loss")
    y = as_label_array(y_values)
    numeric = y.dtype.kind in "iuf" and y.dtype != np.uint64
    if numeric and stream and p.ndim == 1 and _zero_one(labels):
        # A stream's binary classes 0 and 1: +1 for 1, whatever a chunk holds.
        res = _run(HINGE, y, p, w, _BINARY_CLASSES, True)
        if res[3] == 0 and math.isfinite(res[0]) and math.isfinite(res[1]):
            check_weight_stats(w, 1.0 if res[1] == 0 else res[1], res[2])
            return ClassState(res[0], res[1], res[6], 0, p.shape[0])
    if numeric and labels is None and not booleans:
        res = None
        if p.ndim == 1:
            # Labels 0/1, else the two values between min and max.
            res = _run(HINGE, y, p, w, _BINARY_CLASSES, True)
            if res[3]:
                lo, hi = y.min(), y.max()
                res = _run(HINGE, y, p, w, np.array([lo, hi]), False)
                if not (np.isfinite(lo) and np.isfinite(hi) and lo == np.floor(lo) and hi == np.floor(hi)):
                    res = None  # continuous labels (or NaN): the general path's error
            elif res[4] == 2:
                res = None  # label 1 alone: one class, all -1 to scikit-learn
        elif p.shape[1] > 2:
            res = _run(HINGE, y, p, w, np.arange(p.shape[1]), True)
            if res[4] != (1 << p.shape[1]) - 1 or p.shape[1] > class_values.MASK_BITS:
                res = None  # not every class 0..k-1 is present
        if res is not None and res[3] == 0 and math.isfinite(res[0]) and math.isfinite(res[1]):
            check_weight_stats(w, 1.0 if res[1] == 0 else res[1], res[2])
            return ClassState(res[0], res[1], res[6], 0, p.shape[0])
    # The general path: scikit-learn's steps.
    raise_if_not_finite(p)
    if w is not None:
        check_weight_stats(w, 1.0, float(w.min()) if w.size else 1.0)
    if labels is not None:
        declared = np.unique(as_ndarray(labels))
    else:
        declared = np.unique(y_values)
    if declared.size > 2:
        if p.ndim == 1:
            raise ValueError(
                "The shape of pred_decision cannot be 1d arraywith a multiclass target. "
                "pred_decision shape must be (n_samples, n_classes), that is "
                f"({y_values.shape[0]}, {declared.size}). Got: {p.shape}"
            )
        if declared.size != p.shape[1]:
            if labels is None:
                raise ValueError("Please include all labels in y_true or pass labels as third argument")
            raise ValueError(
                "The shape of pred_decision is not consistent with the number of classes. "
                "With a multiclass target, pred_decision shape must be (n_samples, n_classes), "
                f"that is ({y_values.shape[0]}, {declared.size}). Got: {p.shape}"
            )
        found = np.unique(y_values)
        unseen = np.setdiff1d(found, declared)
        if unseen.size:
            raise ValueError(f"y contains previously unseen labels: {list(unseen)}")
        if booleans:
            raise TypeError(
                "numpy boolean subtract, the `-` operator, is not supported, use the "
                "bitwise_xor, the `^` operator, or the logical_xor function instead."
            )
        codes = np.searchsorted(declared, y_values).astype(np.int64)
        res = _run(HINGE, codes, p, w, np.arange(declared.size), True)
    else:
        p = _column_or_1d(p)
        if y_values.dtype.kind == "f":
            raise_if_not_finite(y_values, "y")
        found = np.unique(y_values)
        if stream:
            _ll.check_subset(found, declared, labels, y_values)
            found = declared
        if _target_type(y_values, found) not in ("binary", "multiclass"):
            raise ValueError(f"Unknown label type: {(y_values,)!r}")
        # LabelBinarizer(neg_label=-1) on y_true, first column: +1 for the
        # greater of two classes, for the first of more, none for one class.
        positive = found[1] if found.size == 2 else (found[0] if found.size > 2 else None)
        plus = np.zeros(y_values.shape, dtype=bool) if positive is None else (y_values == positive)
        res = _run(HINGE, np.asarray(plus).astype(np.int64), p, w, _BINARY_CLASSES, True)
    return ClassState(res[0], res[1], res[6], 0, p.shape[0])


# -- finishes ---------------------------------------------------------------------


def _mean(state):
    return state.total / state.wsum


def _brier_null(state):
    """Brier score of the null model (the weighted class proportions q), per unit weight.

    Each class c adds W_c (1 - q_c)**2 for its samples and (W - W_c) q_c**2
    for the others; with one class per sample W - W_c is the sum of the
    other classes' weights (no cancellation where one class dominates).
    """
    weights = state.class_weights.tolist()  # Python floats: a few classes, a small input's cost
    wsum = state.wsum
    if state.one_hot:
        # Sums of the others: prefix and suffix sums, no cancellation.
        before, after = [0.0], [0.0]
        for value in weights[:-1]:
            before.append(before[-1] + value)
        for value in weights[:0:-1]:
            after.append(after[-1] + value)
        others = [b + a for b, a in zip(before, after[::-1])]
    else:
        others = [wsum - value for value in weights]
    total = 0.0
    for value, rest in zip(weights, others):
        q = value / wsum  # a single class: exactly 1, as in scikit-learn
        total += value * (1.0 - q) ** 2 + rest * q * q
    return total / wsum


_EPS64 = float(np.finfo(np.float64).eps)


def _log_loss_null(state):
    """Weighted log loss sum of the null model (``eps`` of float64, as scikit-learn's)."""
    eps = _EPS64
    total = 0.0
    for value in state.class_weights.tolist():
        if value != 0:
            total -= value * math.log(min(max(value / state.wsum, eps), 1.0 - eps))
    return total


def sklearn_degenerate_null(kind, state, sample_weight):
    """The null model's score as scikit-learn rounds it when one class holds
    every nonzero weight (else None).

    Then the null model is perfect and its score is rounding noise that
    decides the D² (scikit-learn's weighted class proportion is a sum along
    axis 0 over a sum of the weights: not exactly 1).  Redone here with its
    reductions, on the one-shot path (``kind``: "brier" or "log_loss").
    """
    nonzero = np.flatnonzero(state.class_weights)
    if sample_weight is None or nonzero.size != 1 or not state.one_hot:
        return None
    w = np.asarray(as_ndarray(sample_weight), dtype=np.float64).reshape(-1)
    spread = np.zeros((w.size, state.class_weights.size))
    spread[:, nonzero[0]] = w  # the one-hot labels times the weights
    q = spread.sum(axis=0)[nonzero[0]] / w.sum()
    if kind == "brier":
        return float(np.sum(np.full(w.size, (1.0 - q) ** 2) * w) / w.sum())
    eps = np.finfo(np.float64).eps
    return float(np.sum(np.full(w.size, -np.log(np.clip(q, eps, 1 - eps))) * w))


def _d2(numerator, denominator):
    # NumPy's division, for its warnings and infinities where the null
    # model is perfect (a single class), as in scikit-learn.
    return float(1 - np.divide(np.float64(numerator), np.float64(denominator)))


def finish_brier(state, scale_by_half, n_columns):
    """``brier_score_loss`` from its state."""
    score = _mean(state)
    if scale_by_half == "auto":
        scale_by_half = n_columns < 3
    return float(score * 0.5) if scale_by_half else float(score)


def finish_d2_brier(state, null=None):
    return _d2(_mean(state), _brier_null(state) if null is None else null)


def finish_d2_log_loss(state, null=None):
    null = _log_loss_null(state) if null is None else null
    if null == 0:  # no class weight at all: scikit-learn divides Python floats
        raise ZeroDenominatorError("float division by zero")
    return float(1 - state.total / null)


def finish_hinge(state):
    if state.wsum == 0:  # scikit-learn's np.average: ZeroDivisionError (also a ValueError here)
        raise WeightsSumToZeroError("Weights sum to zero, can't be normalized")
    return float(_mean(state))


def warn_if_unnormalised(state):
    if state.off:
        _ll.warn_unnormalised(stacklevel=caller_outside_fastloss())


def too_few_samples(n_samples):
    """scikit-learn's D² rule: NaN (with its warning) for fewer than two samples."""
    if n_samples < 2:
        undefined_metric_warning("D^2 score is not well-defined with less than two samples.")
        return True
    return False


# -- declarations -----------------------------------------------------------------


def _check_pos_label(name, pos_label):
    if pos_label is None or isinstance(pos_label, (numbers.Real, str, bool, np.bool_)):
        return
    raise InvalidParameterError(
        f"The 'pos_label' parameter of {name} must be an instance of 'float', an instance of "
        "'str', an instance of 'bool' or an instance of 'numpy.bool' or None. "
        f"Got {pos_label!r} instead."
    )


def _check_scale_by_half(name, scale_by_half):
    if isinstance(scale_by_half, (bool, np.bool_)) or (
        isinstance(scale_by_half, str) and scale_by_half == "auto"
    ):
        return
    raise InvalidParameterError(
        f"The 'scale_by_half' parameter of {name} must be an instance of 'bool' or an instance "
        f"of 'numpy.bool' or a str among {{'auto'}}. Got {scale_by_half!r} instead."
    )


class ClassMetric:
    """Declaration of a metric of class predictions.

    Parameters
    ----------
    name : str
        scikit-learn's function name.
    prediction : str
        The second argument's name (``"y_proba"`` or ``"pred_decision"``).
    keywords : dict
        Its keyword parameters other than ``sample_weight`` and their defaults,
        in scikit-learn's order.
    state : callable
        ``state(y_true, y_pred, sample_weight, labels, **keywords) -> ClassState``.
    finish : callable
        ``finish(state, n_columns, **keywords) -> float``.
    greater_is_better : bool
        A score (D²) rather than a loss.
    proba : bool
        Predictions are probabilities (else decision values).
    d2 : bool
        NaN with a warning for fewer than two samples.
    null_kind : str or None
        A D² score's null model ("brier", "log_loss"), for
        :func:`sklearn_degenerate_null`.
    """

    def __init__(self, name, *, prediction, keywords, state, finish, greater_is_better=False,
                 proba=True, d2=False, null_kind=None):
        self.name = name
        self.prediction = prediction
        self.keywords = dict(keywords)
        self.state = state
        self.finish = finish
        self.greater_is_better = greater_is_better
        self.proba = proba
        self.d2 = d2
        self.null_kind = null_kind
        self.accumulator_name = "".join(part.title() for part in name.split("_"))

    def check(self, y_true, y_pred, sample_weight, keywords):
        """The cheap checks of scikit-learn's ``validate_params``."""
        check_array_like(y_true, "y_true", self.name)
        check_array_like(y_pred, self.prediction, self.name)
        check_array_like(sample_weight, "sample_weight", self.name, allow_none=True)
        self.check_keywords(keywords)

    def check_keywords(self, keywords):
        """The checks of the keyword parameters (``labels``, ``pos_label``, ...)."""
        check_array_like(keywords.get("labels"), "labels", self.name, allow_none=True)
        if "pos_label" in keywords:
            _check_pos_label(self.name, keywords["pos_label"])
        if "scale_by_half" in keywords:
            _check_scale_by_half(self.name, keywords["scale_by_half"])

    def compute(self, y_true, y_pred, sample_weight=None, **keywords):
        """The one-shot metric (NumPy inputs)."""
        state, n_columns = self.state(y_true, y_pred, sample_weight, **keywords)
        null = None
        if self.null_kind is not None and state.wsum != 0:
            null = sklearn_degenerate_null(self.null_kind, state, sample_weight)
        return self.result(state, n_columns, keywords, null=null)

    def result(self, state, n_columns, keywords, warn=True, null=None):
        """The metric from its state (``warn``: for rows not summing to one;
        ``null``: a D² score's null model score, when not from the state)."""
        if self.proba and state.wsum == 0:
            raise ValueError("Sample weights must contain at least one non-zero number.")
        if warn:
            warn_if_unnormalised(state)
        if null is not None:
            keywords = {**keywords, "null": null}
        return self.finish(state, n_columns, **keywords)


def _proba_state(code, name, binary_code=None):
    """The state maker of a probability metric: the binary path for 1-D
    probabilities (with ``pos_label``) unless ``binary_code`` is None."""

    def state(y_true, y_proba, sample_weight, labels=None, pos_label=None, stream_labels=None,
              **_):
        p = proba_array(y_proba)
        n_columns = 2 if is_binary_proba(p) else p.shape[1]
        if binary_code is not None and is_binary_proba(p):
            s = binary_state(y_true, p, sample_weight, pos_label, binary_code, stream_labels)
        else:
            # The input itself: float16 probabilities are clipped at their own eps.
            s = multiclass_state(y_true, y_proba, sample_weight,
                                 labels if stream_labels is None else stream_labels, code, name)
        return s, n_columns

    return state


def _hinge_state(y_true, pred_decision, sample_weight, labels=None, stream_labels=None, **_):
    if stream_labels is None:
        s = hinge_state(y_true, pred_decision, sample_weight, labels)
    else:
        s = hinge_state(y_true, pred_decision, sample_weight, stream_labels, stream=True)
    return s, s.class_weights.size


BRIER_SCORE_LOSS = register_class_metric(
    ClassMetric(
        "brier_score_loss",
        prediction="y_proba",
        keywords={"pos_label": None, "labels": None, "scale_by_half": "auto"},
        state=_proba_state(BRIER, "brier_score_loss", BRIER),
        finish=lambda s, k, scale_by_half="auto", **_: finish_brier(s, scale_by_half, k),
    )
)
D2_BRIER_SCORE = register_class_metric(
    ClassMetric(
        "d2_brier_score",
        prediction="y_proba",
        keywords={"pos_label": None, "labels": None},
        state=_proba_state(BRIER, "d2_brier_score", BRIER),
        finish=lambda s, k, null=None, **_: finish_d2_brier(s, null),
        greater_is_better=True,
        d2=True,
        null_kind="brier",
    )
)
D2_LOG_LOSS_SCORE = register_class_metric(
    ClassMetric(
        "d2_log_loss_score",
        prediction="y_proba",
        keywords={"labels": None},
        state=_proba_state(TOTALS, "d2_log_loss_score"),
        finish=lambda s, k, null=None, **_: finish_d2_log_loss(s, null),
        greater_is_better=True,
        d2=True,
        null_kind="log_loss",
    )
)
HINGE_LOSS = register_class_metric(
    ClassMetric(
        "hinge_loss",
        prediction="pred_decision",
        keywords={"labels": None},
        state=_hinge_state,
        finish=lambda s, k, **_: finish_hinge(s),
        proba=False,
    )
)


def example_inputs(metric, rng, n, n_classes, dtype=np.float64):
    """(y_true, predictions) of ``metric`` for tests, warmup and benchmarks:
    integer labels 0..n_classes-1 (each present), and probabilities (1-D of
    class 1 for two classes) or decision values."""
    y = rng.permutation(np.arange(n) % n_classes).astype(np.int64)
    shape = (n,) if n_classes == 2 else (n, n_classes)
    if not metric.proba:
        return y, rng.normal(size=shape).astype(dtype)
    if n_classes == 2:
        return y, rng.uniform(0.0, 1.0, size=n).astype(dtype)
    return y, rng.dirichlet(np.ones(n_classes), size=n).astype(dtype)
