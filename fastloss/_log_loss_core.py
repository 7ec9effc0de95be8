"""The checks and mergeable state of ``log_loss`` (scikit-learn's rules, in its order).

The state is (weighted loss sum, weight sum), computed by the kernels of
``fastloss._losses.log_loss``; the one-shot function, the streaming
accumulator and the Dask path finish it alike.
"""

from __future__ import annotations

import contextlib
import warnings

import numpy as np

from ._losses import log_loss as _log_loss_kernels
from ._metric_core import caller_outside_fastloss, check_weight_sum
from ._validation import (
    as_float_array,
    as_label_array,
    as_ndarray,
    as_sample_weight,
    check_array_like,
    check_consistent_length,
    check_weight_stats,
    raise_if_not_finite,
)


def _check_proba_values(p):
    """scikit-learn's checks on predicted probabilities, in its order (slow path)."""
    raise_if_not_finite(p)
    if p.max() > 1:
        raise ValueError(f"y_prob contains values greater than 1: {p.max()}")
    if p.min() < 0:
        raise ValueError(f"y_prob contains values lower than 0: {p.min()}")


def _check_labels_values(y, where="y_true", name="log_loss"):
    """scikit-learn's checks on label values that no fast path covers (slow path)."""
    if y.dtype.kind == "f":
        raise_if_not_finite(y, "y")
        # Like scikit-learn's type_of_target: integral values an int64 can hold.
        continuous = (y != np.floor(y)) | (np.abs(y) >= 2.0**63)
        if np.any(continuous):
            raise ValueError(
                f"Unknown label type: continuous. {name} needs discrete class labels in "
                f"{where}, got values such as {y[continuous][:3].tolist()}."
            )


@contextlib.contextmanager
def _weights_first(w):
    """scikit-learn checks the sample weights (NaN, all zero) before the
    labels: a label error raised inside is preceded by a weights error."""
    try:
        yield
    except ValueError:
        if w is not None:
            check_weight_stats(w, float(np.sum(w)), float(np.min(w)) if w.size else 1.0)
        raise


def _class_count_error(classes, n_columns, labels_given, display):
    if labels_given:
        raise ValueError(
            "The number of classes in labels is different from that in y_prob. "
            f"Classes found in labels: {display(classes)}"
        )
    raise ValueError(
        f"y_true and y_prob contain different number of classes: {len(classes)} vs "
        f"{n_columns}. Please provide the true labels explicitly through the labels "
        f"argument. Classes found in y_true: {display(classes)}"
    )


def _label_setup(labels, n_columns):
    """Sorted classes from ``labels`` (None when not given), with scikit-learn's warning."""
    if labels is None:
        return None
    raw_labels = as_ndarray(labels)
    classes = np.unique(raw_labels)
    # scikit-learn's test, broadcasting included: labels=[[0, 1]] is in order,
    # and labels whose shape does not broadcast (duplicates) raise its ValueError.
    if not np.all(classes == raw_labels):
        warnings.warn(
            f"Labels passed were {labels}. But this function assumes labels are ordered "
            f"lexicographically. Pass the ordered labels={classes.tolist()} and ensure "
            "that the columns of y_prob correspond to this ordering.",
            UserWarning,
            stacklevel=caller_outside_fastloss(),
        )
    return classes


def warn_unnormalised(stacklevel):
    """scikit-learn's warning for rows of probabilities that do not sum to one."""
    warnings.warn(
        "The y_prob values do not sum to one. Make sure to pass probabilities.",
        UserWarning,
        stacklevel=stacklevel + 1,
    )


def finish(total, wsum, unnormalised, normalize):
    """log_loss from its state: the weighted mean loss, or the sum.

    In scikit-learn's order: weights summing to zero raise before the
    warning for ``unnormalised`` rows (probabilities not summing to one).
    """
    check_weight_sum(wsum)
    if unnormalised:
        warn_unnormalised(stacklevel=3)
    return float(total / wsum) if normalize else float(total)


def log_loss_sums(y_true, y_proba, sample_weight, labels):
    """(weighted sum of the losses, weight sum, rows whose probabilities do
    not sum to one): log_loss's mergeable state.  The caller warns for those
    rows (:func:`warn_unnormalised`), after its own checks.

    With ``labels`` given, sums over any split of the samples add up to the
    sums over all of them.  Weights summing to zero are for the caller to
    refuse (in a chunk of a stream they are no error).
    """
    return probability_sums(y_true, y_proba, sample_weight, labels)[:3]


def probability_sums(
    y_true, y_proba, sample_weight, labels, *, name="log_loss", run=None, indicator=None
):
    """The sums of a metric of class probabilities, checked as scikit-learn's
    ``_validate_multiclass_probabilistic_prediction`` checks its inputs.

    ``run(y, p, w, classes, identity, eps)`` is the metric's kernel call,
    returning (weighted sum, weight sum, weight min, unmatched labels, seen
    mask[, rows not summing to one[, weight of each class]]); by default
    log_loss's.  ``indicator(t, p, eps)``: the per-row values against a label
    indicator matrix ``t`` (float64).  Returns (weighted sum, weight sum, rows
    not summing to one, weight of each class or None).
    """
    run = run or run_log_loss
    indicator = indicator or _indicator_log_values
    check_array_like(sample_weight, "sample_weight", name, allow_none=True)
    check_array_like(labels, "labels", name, allow_none=True)

    # scikit-learn's check_array(dtype=[float64, float32]) makes pandas'
    # nullable probabilities float64 (Float32 included).
    # (Lists stay lists until as_float_array: its errors quote their values.)
    proba = y_proba
    if not isinstance(y_proba, (list, tuple)):
        proba = as_ndarray(y_proba, extension_dtype=np.float64)
    p = as_float_array(proba, name="y_proba")
    check_consistent_length(p, y_true, sample_weight)
    w = as_sample_weight(sample_weight, p.shape[0], numeric=True)
    raw_y_true, y_true = y_true, as_ndarray(y_true)
    if labels is None and isinstance(raw_y_true, (list, tuple)) and y_true.dtype.kind == "U":
        _check_not_mixed(raw_y_true, y_true, p, w)
    y = as_label_array(y_true)
    if y.dtype == object and y.size:
        np.unique(y)  # mixed types raise TypeError here, as in scikit-learn
        if not isinstance(y.flat[0], str):
            # scikit-learn's type_of_target: an object array not of strings is "unknown".
            raise ValueError(f"Unknown label type: object array of {type(y.flat[0]).__name__}.")
    if y.dtype.kind == "c":
        raise ValueError(f"Complex data not supported\n{y}\n")
    if y.dtype.kind in "mMV":
        # Dates (NaT has no order), complex numbers: not class labels.
        raise TypeError(
            f"{name} needs class labels that are numbers, booleans or strings; "
            f"got y_true of dtype {y.dtype}."
        )
    if p.ndim == 2 and p.shape[1] == 1:
        p = p.reshape(-1)
    n_columns = 2 if p.ndim == 1 else p.shape[1]
    # float16 probabilities are computed in float64 here (the kernels have no
    # float16), but clipped at float16's epsilon, as scikit-learn clips them.
    source = np.float16 if getattr(proba, "dtype", None) == np.float16 else p.dtype
    eps = float(np.finfo(source).eps)

    if y.ndim == 2 and y.shape[1] > 1:  # label indicator matrix
        if labels is not None:
            _check_proba_values(p)
            raise ValueError("The object was not fitted with multilabel input.")
        return _indicator_sums(y, p, w, n_columns, eps, indicator)
    if y.ndim == 2:
        if y.shape[1] == 0:
            raise ValueError(
                f"Found array with 0 feature(s) (shape={y.shape}) while a minimum of 1 is "
                "required."
            )
        y = y.reshape(-1)
    if y.ndim != 1 or y.shape[0] != p.shape[0]:
        raise ValueError(
            f"y_true must hold one class label per sample: expected shape ({p.shape[0]},), "
            f"got {np.shape(y_true)}."
        )

    display = (lambda c: c.astype(bool)) if y_true.dtype.kind == "b" else (lambda c: c)

    def shown():
        # What scikit-learn's message iterates over: the input itself when it
        # holds Python values (lists, NumPy-backed pandas), else NumPy scalars.
        plain = not isinstance(raw_y_true, np.ndarray) and isinstance(
            getattr(raw_y_true, "dtype", np.dtype(object)), np.dtype
        )
        return raw_y_true if plain else y_true
    labels_given = labels is not None
    classes = _label_setup(labels, n_columns)
    numeric = y.dtype.kind in "iuf"
    if labels_given:
        if classes.dtype.kind in "fc":
            _check_labels_values(classes, "labels")  # as LabelBinarizer rejects them
        if numeric != (classes.dtype.kind in "iufb"):
            # Numbers never equal strings: every label of y_true is undeclared.
            _check_proba_values(p)
            check_subset(np.unique(y), classes, labels, shown())
    # Strings, objects and uint64 labels beyond int64's range (which no kernel
    # takes, and float64 would merge): encode once, then run on integer codes.
    encoded = not numeric or y.dtype == np.uint64
    if encoded:
        found, codes = np.unique(y, return_inverse=True)
        if classes is None:
            classes = found
        else:  # codes into the passed labels; -1 marks values not among them
            pos = np.minimum(np.searchsorted(classes, found), len(classes) - 1)
            codes = np.where(classes[pos] == found, pos, -1)[codes]
        y = np.ascontiguousarray(codes.reshape(-1), dtype=np.int64)
        identity = True
    elif classes is None:
        classes = np.arange(n_columns)  # speculate that the labels are 0..k-1
        identity = True
    else:
        identity = bool(np.array_equal(classes, np.arange(len(classes))))
    speculative = not labels_given and not encoded

    def distinct_labels():
        return found if encoded else np.unique(y)

    if not speculative and (len(classes) < 2 or len(classes) != n_columns):
        # Errors are certain; raise the one scikit-learn raises first.
        _check_proba_values(p)
        with _weights_first(w):
            if labels_given:
                check_subset(distinct_labels(), classes, labels, shown())
            check_class_count(classes, n_columns, labels_given, display)

    labels_in, identity = _kernel_labels(y, classes, identity)
    result = run(labels_in, p, w, classes, identity, eps)
    total, wsum, wmin, missing, mask = result[:5]
    k = len(classes)
    complete = k <= _log_loss_kernels.MASK_BITS and mask == (1 << k) - 1
    if missing or not np.isfinite(total) or (speculative and not complete):
        # Slow path: find the error in scikit-learn's order, or the true classes.
        _check_proba_values(p)
        with _weights_first(w):
            if labels_given:  # scikit-learn checks membership before the values
                check_subset(distinct_labels(), classes, labels, shown())
            if numeric:
                _check_labels_values(y, name=name)
            tabled = None
            if speculative:
                tabled = small_range_encoding(y)
                classes = np.unique(y) if tabled is None else tabled[0]
                identity = bool(np.array_equal(classes, np.arange(len(classes))))
                check_class_count(classes, n_columns, labels_given, display)
        if tabled is not None and not identity:  # the codes into the classes just found
            labels_in, identity = tabled[1], True
        else:
            labels_in, identity = _kernel_labels(y, classes, identity)
        result = run(labels_in, p, w, classes, identity, eps)
        total, wsum, wmin = result[:3]
    if w is not None and not np.isfinite(wsum):
        raise_if_not_finite(w, "sample_weight")
    check_weight_stats(w, 1.0 if wsum == 0 else wsum, wmin)  # the sum: the caller's
    off = int(result[5]) if len(result) > 5 else 0
    return float(total), float(wsum), off, result[6] if len(result) > 6 else None


#: Integer labels spanning at most this many values are mapped to their
#: classes through a table (one pass each for the range, the table and the
#: codes), not by a sort (np.unique) and a search per label: -1/1 labels of
#: 10M samples took 290 ms that way, against 5 ms for 0/1 labels.
SMALL_LABEL_SPAN = 1 << 16


def _label_span(y):
    """(lowest, span) of integer labels ``y`` spanning at most
    SMALL_LABEL_SPAN values; None for other labels."""
    if y.dtype.kind not in "iu" or y.dtype == np.uint64 or y.size == 0:
        return None
    lo, hi = int(y.min()), int(y.max())
    span = hi - lo + 1
    return (lo, span) if span <= SMALL_LABEL_SPAN else None


def small_range_encoding(y, classes=None):
    """``(classes, codes)`` for integer labels of a small range, else None.

    ``codes``: each label's position in sorted ``classes`` (-1 for a label
    not among them), int64.  Without ``classes``, they are the distinct
    labels (np.unique's, from a count per value).  The kernels then run with
    ``identity`` (a label is its column) instead of searching the classes
    for each label.
    """
    found = _label_span(y)
    if found is None or (classes is not None and classes.dtype.kind not in "iu"):
        return None
    lo, span = found
    shifted = y.astype(np.intp) - lo  # (intp: y - lo in a narrow dtype could overflow)
    if classes is None:
        present = np.bincount(shifted, minlength=span) > 0
        classes = (np.flatnonzero(present) + lo).astype(y.dtype)
    table = np.full(span, -1, dtype=np.int64)
    wide = classes.astype(np.int64)
    inside = (wide >= lo) & (wide < lo + span)
    table[wide[inside] - lo] = np.flatnonzero(inside)
    return classes, table[shifted]


def _kernel_labels(y, classes, identity):
    """``(labels, identity)`` for the kernels: ``y`` itself, or its codes
    into ``classes`` (see :func:`small_range_encoding`) where the classes
    are not 0..k-1."""
    if not identity:
        encoded = small_range_encoding(y, classes)
        if encoded is not None:
            return encoded[1], True
    return y, identity


def _check_not_mixed(values, converted, p, w):
    """scikit-learn's error for a list of labels holding strings and numbers
    (which NumPy would have made all strings), after its checks of ``p`` and
    ``w``."""
    flat = np.ravel(np.asarray(values, dtype=object))
    strings = [isinstance(v, str) for v in flat]
    if any(strings) and not all(strings):
        _check_proba_values(p)
        with _weights_first(w):
            raise ValueError(f"Mix of label input types (string and number); Got {converted}.")


def check_class_count(classes, n_columns, labels_given, display):
    if len(classes) == 1:
        _single_class_error(classes, labels_given, display)
    if len(classes) != n_columns:
        _class_count_error(classes, n_columns, labels_given, display)


def _single_class_error(classes, labels_given, display):
    if labels_given:
        raise ValueError(
            f"The labels array needs to contain at least two labels, got {display(classes)}."
        )
    raise ValueError(
        f"y_true contains only one label ({display(classes)[0]}). Please provide the list "
        "of all expected class labels explicitly through the labels argument."
    )


def check_subset(found, classes, labels, values):
    """scikit-learn's error for labels of y_true not among ``labels``.

    ``found``: the distinct labels (checked); ``values``: what the message
    lists, as scikit-learn builds it (``set(y_true) - set(labels)``).
    """
    undeclared = set(found.tolist()) - set(np.asarray(classes).tolist())
    if undeclared:
        try:
            undeclared = set(values) - set(labels)
        except TypeError:  # unhashable rows (2-D y_true): the distinct values
            pass
        raise ValueError(
            f"y_true contains values {undeclared} not belonging to the passed labels {labels}."
        )


def kernel_labels(y, classes, identity):
    """(labels, classes) as the kernels take them: one dtype, contiguous."""
    if identity:  # only the number of classes matters
        return y, np.arange(len(classes), dtype=y.dtype)
    common = np.result_type(y.dtype, classes.dtype)
    y = y if y.dtype == common else y.astype(common)
    return y, np.ascontiguousarray(classes, dtype=common)


def unnormalised_tolerance(eps):
    """scikit-learn's isclose(sum, 1, rtol=sqrt(eps)), as an absolute bound."""
    return float(np.sqrt(eps)) + 1e-8


def run_log_loss(y, p, w, classes, identity, eps):
    y, classes = kernel_labels(y, classes, identity)
    if p.ndim == 1:
        return _log_loss_kernels.KERNELS.binary(p.size, y, p, w, classes, identity, eps)
    tol = unnormalised_tolerance(eps)
    return _log_loss_kernels.KERNELS.multiclass(p.size, y, p, w, classes, identity, eps, tol)


def _indicator_log_values(t, pf, eps):
    return -(t * np.log(np.clip(pf, eps, 1 - eps))).sum(axis=1)


def _indicator_sums(y, p, w, n_columns, eps, indicator):
    """Sums against a label indicator matrix (NumPy only: a rare input)."""
    _check_proba_values(p)
    if y.dtype.kind not in "iufb":
        raise ValueError("Multioutput target data is not supported with label binarization")
    raise_if_not_finite(y, "y")
    t = y.astype(np.float64)
    if not np.isin(t, (0.0, 1.0)).all():
        raise ValueError("Multioutput target data is not supported with label binarization")
    pf = p.reshape(p.shape[0], -1)
    if pf.shape[1] == 1:
        pf = np.hstack([1 - pf, pf])
    # scikit-learn's check, in the probabilities' dtype, before the class count.
    if not np.all(np.isclose(pf.sum(axis=1), 1, rtol=float(np.sqrt(eps)))):
        warnings.warn(
            "The y_prob values do not sum to one. Make sure to pass probabilities.",
            UserWarning,
            stacklevel=caller_outside_fastloss(),
        )
    if t.shape[1] != n_columns:
        _class_count_error(np.arange(t.shape[1]), n_columns, False, lambda c: c)
    values = indicator(t, pf, eps)
    if w is None:
        total, wsum, wmin, class_weights = values.sum(), float(len(values)), 1.0, t.sum(axis=0)
    else:
        total, wsum, wmin, class_weights = (w * values).sum(), w.sum(), w.min(), w @ t
    check_weight_stats(w, 1.0 if wsum == 0 else wsum, wmin)
    # (its own warning came first, as scikit-learn's)
    return float(total), float(wsum), 0, class_weights
