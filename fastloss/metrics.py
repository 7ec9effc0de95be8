"""Drop-in replacements for scikit-learn's regression metrics and ``log_loss``.

Signatures, defaults, results and errors follow scikit-learn 1.9.  One
deliberate difference: negative ``sample_weight`` values raise ``ValueError``
(scikit-learn silently accepts them in metrics).

Each regression metric is declared once in ``fastloss._metric_core`` (its
mergeable state and its finish); the functions here check their arguments
and run that declaration on NumPy inputs, or through its streaming
accumulator on Dask arrays.
"""

from __future__ import annotations

import warnings

import numpy as np

from . import _dask
from . import _metric_core as _core
from . import _class_metric_core as _classes
from . import _log_loss_core as _log_loss
from ._validation import InvalidParameterError, check_array_like, check_consistent_length

__all__ = [
    "mean_squared_error",
    "root_mean_squared_error",
    "mean_absolute_error",
    "r2_score",
    "explained_variance_score",
    "mean_squared_log_error",
    "root_mean_squared_log_error",
    "mean_absolute_percentage_error",
    "mean_pinball_loss",
    "mean_tweedie_deviance",
    "mean_poisson_deviance",
    "mean_gamma_deviance",
    "max_error",
    "median_absolute_error",
    "d2_pinball_score",
    "d2_absolute_error_score",
    "d2_tweedie_score",
    "log_loss",
    "brier_score_loss",
    "d2_brier_score",
    "d2_log_loss_score",
    "hinge_loss",
]


def _regression(metric, y_true, y_pred, sample_weight=None, multioutput=None, **params):
    """Run the declaration ``metric`` (checks, state, finish) on the arguments."""
    inputs = _core.plain_inputs(metric, y_true, y_pred, sample_weight, multioutput)
    if inputs is not None:  # NumPy float arrays: array-likes, not Dask
        _core.check_setting(metric, multioutput, params)
    else:
        _core.check_params(metric, y_true, y_pred, sample_weight, multioutput, params)
        if _dask.is_dask(y_true, y_pred, sample_weight):
            return _dask.regression_metric(
                metric, y_true, y_pred, sample_weight, multioutput, params
            )
        inputs = _core.regression_inputs(metric, y_true, y_pred, sample_weight, multioutput)
    state = metric.compute(inputs, params)
    return metric.finish(state, inputs.averaging, inputs.dtype, params, inputs)


def mean_squared_error(y_true, y_pred, *, sample_weight=None, multioutput="uniform_average"):
    """Mean squared error regression loss (drop-in for scikit-learn's).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Ground truth (correct) target values.
    y_pred : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Estimated target values.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative sample weights.
    multioutput : {'raw_values', 'uniform_average'} or array-like of shape (n_outputs,), \
default='uniform_average'
        How to aggregate the errors of several outputs.

    Returns
    -------
    float or ndarray of floats

    Examples
    --------
    >>> from fastloss import mean_squared_error
    >>> mean_squared_error([3, -0.5, 2, 7], [2.5, 0.0, 2, 8])
    0.375
    """
    return _regression(_core.MEAN_SQUARED_ERROR, y_true, y_pred, sample_weight, multioutput)


def root_mean_squared_error(
    y_true, y_pred, *, sample_weight=None, multioutput="uniform_average"
):
    """Root mean squared error regression loss (drop-in for scikit-learn's).

    Parameters are those of :func:`mean_squared_error`; with several outputs
    the square root is taken per output before averaging.

    Examples
    --------
    >>> from fastloss import root_mean_squared_error
    >>> root_mean_squared_error([90.0], [70.0])
    20.0
    """
    return _regression(_core.ROOT_MEAN_SQUARED_ERROR, y_true, y_pred, sample_weight, multioutput)


def mean_absolute_error(y_true, y_pred, *, sample_weight=None, multioutput="uniform_average"):
    """Mean absolute error regression loss (drop-in for scikit-learn's).

    Parameters are those of :func:`mean_squared_error`.

    Examples
    --------
    >>> from fastloss import mean_absolute_error
    >>> mean_absolute_error([3, -0.5, 2, 7], [2.5, 0.0, 2, 8])
    0.5
    """
    return _regression(_core.MEAN_ABSOLUTE_ERROR, y_true, y_pred, sample_weight, multioutput)


def r2_score(
    y_true, y_pred, *, sample_weight=None, multioutput="uniform_average", force_finite=True
):
    """:math:`R^2` (coefficient of determination) regression score (drop-in for scikit-learn's).

    ``1 - sum(w * (y - p)**2) / sum(w * (y - mean(y))**2)`` per output.  The
    target's variance is computed from weighted moments merged block by
    block (Chan's formula), so a large offset such as ``y = 1e8 + noise``
    keeps its digits.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Ground truth (correct) target values.
    y_pred : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Estimated target values.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative sample weights.
    multioutput : {'raw_values', 'uniform_average', 'variance_weighted'}, \
array-like of shape (n_outputs,) or None, default='uniform_average'
        How to aggregate the scores of several outputs (None: uniformly).
    force_finite : bool, default=True
        Replace the NaN and -inf of constant targets by 1.0 (perfect
        predictions) or 0.0 (imperfect ones), as scikit-learn does.

    Returns
    -------
    float or ndarray of floats
        NaN (with scikit-learn's ``UndefinedMetricWarning``) for fewer than
        two samples.

    Examples
    --------
    >>> from fastloss import r2_score
    >>> r2_score([3, -0.5, 2, 7], [2.5, 0.0, 2, 8])
    0.9486081370449679
    >>> r2_score([-2, -2, -2], [-2, -2, -2 + 1e-8])
    0.0
    """
    return _regression(
        _core.R2_SCORE, y_true, y_pred, sample_weight, multioutput, force_finite=force_finite
    )


def explained_variance_score(
    y_true, y_pred, *, sample_weight=None, multioutput="uniform_average", force_finite=True
):
    """Explained variance regression score (drop-in for scikit-learn's).

    ``1 - Var(y - p) / Var(y)`` per output, with weighted variances from
    moments merged block by block (as :func:`r2_score`).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Ground truth (correct) target values.
    y_pred : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Estimated target values.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative sample weights.
    multioutput : {'raw_values', 'uniform_average', 'variance_weighted'} or \
array-like of shape (n_outputs,), default='uniform_average'
        How to aggregate the scores of several outputs.
    force_finite : bool, default=True
        Replace the NaN and -inf of constant targets by 1.0 or 0.0, as
        scikit-learn does.

    Returns
    -------
    float or ndarray of floats

    Examples
    --------
    >>> from fastloss import explained_variance_score
    >>> explained_variance_score([3, -0.5, 2, 7], [2.5, 0.0, 2, 8])
    0.9571734475374732
    """
    return _regression(
        _core.EXPLAINED_VARIANCE_SCORE, y_true, y_pred, sample_weight, multioutput,
        force_finite=force_finite,
    )  # fmt: skip


def mean_squared_log_error(
    y_true, y_pred, *, sample_weight=None, multioutput="uniform_average"
):
    """Mean squared logarithmic error regression loss (drop-in for scikit-learn's).

    ``sum(w * (log1p(y) - log1p(p))**2) / sum(w)`` per output, in one pass
    (no log arrays are made).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Ground truth (correct) target values, all greater than -1.
    y_pred : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Estimated target values, all greater than -1.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative sample weights.
    multioutput : {'raw_values', 'uniform_average'} or array-like of shape (n_outputs,), \
default='uniform_average'
        How to aggregate the errors of several outputs.

    Returns
    -------
    float or ndarray of floats

    Examples
    --------
    >>> from fastloss import mean_squared_log_error
    >>> round(mean_squared_log_error([3, 5, 2.5, 7], [2.5, 5, 4, 8]), 6)
    0.03973
    """
    return _regression(_core.MEAN_SQUARED_LOG_ERROR, y_true, y_pred, sample_weight, multioutput)


def root_mean_squared_log_error(
    y_true, y_pred, *, sample_weight=None, multioutput="uniform_average"
):
    """Root mean squared logarithmic error regression loss (drop-in for scikit-learn's).

    Parameters are those of :func:`mean_squared_log_error`; with several
    outputs the square root is taken per output before averaging.

    Examples
    --------
    >>> from fastloss import root_mean_squared_log_error
    >>> round(root_mean_squared_log_error([3, 5, 2.5, 7], [2.5, 5, 4, 8]), 6)
    0.199324
    """
    return _regression(
        _core.ROOT_MEAN_SQUARED_LOG_ERROR, y_true, y_pred, sample_weight, multioutput
    )


def mean_absolute_percentage_error(
    y_true, y_pred, *, sample_weight=None, multioutput="uniform_average"
):
    """Mean absolute percentage error regression loss (drop-in for scikit-learn's).

    ``sum(w * |p - y| / max(|y|, eps)) / sum(w)`` per output, ``eps`` the
    float64 machine epsilon (a relative error, not multiplied by 100).

    Parameters are those of :func:`mean_squared_error`.

    Examples
    --------
    >>> from fastloss import mean_absolute_percentage_error
    >>> round(mean_absolute_percentage_error([3, -0.5, 2, 7], [2.5, 0.0, 2, 8]), 6)
    0.327381
    """
    return _regression(
        _core.MEAN_ABSOLUTE_PERCENTAGE_ERROR, y_true, y_pred, sample_weight, multioutput
    )


def mean_pinball_loss(
    y_true, y_pred, *, sample_weight=None, alpha=0.5, multioutput="uniform_average"
):
    """Pinball loss for quantile regression (drop-in for scikit-learn's).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Ground truth (correct) target values.
    y_pred : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Estimated target values.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative sample weights.
    alpha : float in [0, 1], default=0.5
        The quantile: residuals ``y - p >= 0`` weigh ``alpha``, the others
        ``1 - alpha`` (half the absolute error at 0.5).
    multioutput : {'raw_values', 'uniform_average'} or array-like of shape (n_outputs,), \
default='uniform_average'
        How to aggregate the errors of several outputs.

    Returns
    -------
    float or ndarray of floats

    Examples
    --------
    >>> from fastloss import mean_pinball_loss
    >>> mean_pinball_loss([1, 2, 3], [0, 2, 3], alpha=0.1)
    0.03333333333333333
    """
    return _regression(
        _core.MEAN_PINBALL_LOSS, y_true, y_pred, sample_weight, multioutput, alpha=alpha
    )


def mean_tweedie_deviance(y_true, y_pred, *, sample_weight=None, power=0):
    """Mean Tweedie deviance regression loss (drop-in for scikit-learn's).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Ground truth (correct) target values.
    y_pred : array-like of shape (n_samples,)
        Estimated target values.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative sample weights.
    power : float, default=0
        Tweedie power, ``power <= 0`` or ``power >= 1``: 0 the squared
        error (any values), 1 Poisson (``y >= 0``, ``y_pred > 0``), in (1, 2)
        compound Poisson (the same), 2 gamma and above (``y > 0``,
        ``y_pred > 0``), below 0 ``y_pred > 0``.

    Returns
    -------
    float

    Examples
    --------
    >>> from fastloss import mean_tweedie_deviance
    >>> mean_tweedie_deviance([2, 0, 1, 4], [0.5, 0.5, 2., 2.], power=1)
    1.4260...
    """
    return _regression(_core.MEAN_TWEEDIE_DEVIANCE, y_true, y_pred, sample_weight, power=power)


def mean_poisson_deviance(y_true, y_pred, *, sample_weight=None):
    """Mean Poisson deviance regression loss (drop-in for scikit-learn's):
    :func:`mean_tweedie_deviance` with ``power=1``.

    Examples
    --------
    >>> from fastloss import mean_poisson_deviance
    >>> mean_poisson_deviance([2, 0, 1, 4], [0.5, 0.5, 2., 2.])
    1.4260...
    """
    return _regression(_core.MEAN_POISSON_DEVIANCE, y_true, y_pred, sample_weight)


def mean_gamma_deviance(y_true, y_pred, *, sample_weight=None):
    """Mean gamma deviance regression loss (drop-in for scikit-learn's):
    :func:`mean_tweedie_deviance` with ``power=2``.

    Examples
    --------
    >>> from fastloss import mean_gamma_deviance
    >>> mean_gamma_deviance([2, 0.5, 1, 4], [0.5, 0.5, 2., 2.])
    1.0568...
    """
    return _regression(_core.MEAN_GAMMA_DEVIANCE, y_true, y_pred, sample_weight)


def max_error(y_true, y_pred):
    """The largest absolute residual ``max |y - p|`` (drop-in for scikit-learn's).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Ground truth (correct) target values.
    y_pred : array-like of shape (n_samples,)
        Estimated target values.

    Returns
    -------
    float

    Examples
    --------
    >>> from fastloss import max_error
    >>> max_error([3, 2, 7, 1], [4, 2, 7, 1])
    1.0
    """
    return _regression(_core.MAX_ERROR, y_true, y_pred)


def median_absolute_error(
    y_true, y_pred, *, multioutput="uniform_average", sample_weight=None
):
    """Median absolute error regression loss (drop-in for scikit-learn's).

    The (weighted) median of ``|y - p|`` per output, found by a compiled
    radix selection over the values (no sort, no copy of the data; two or
    three passes over it); below 16,384 samples by sorting, as scikit-learn
    does.  With weights, scikit-learn's weighted percentile
    (``averaged_inverted_cdf``); without, ``np.median``'s.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Ground truth (correct) target values.
    y_pred : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Estimated target values.
    multioutput : {'raw_values', 'uniform_average'} or array-like of shape (n_outputs,), \
default='uniform_average'
        How to aggregate the errors of several outputs.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative sample weights.

    Returns
    -------
    float or ndarray of floats

    Examples
    --------
    >>> from fastloss import median_absolute_error
    >>> median_absolute_error([3, -0.5, 2, 7], [2.5, 0.0, 2, 8])
    0.5
    """
    return _regression(
        _core.MEDIAN_ABSOLUTE_ERROR, y_true, y_pred, sample_weight, multioutput
    )


def d2_pinball_score(
    y_true, y_pred, *, sample_weight=None, alpha=0.5, multioutput="uniform_average"
):
    """:math:`D^2` score of the pinball loss (drop-in for scikit-learn's).

    ``1 - pinball(y, p) / pinball(y, q)`` per output, ``q`` the weighted
    ``alpha``-quantile of ``y_true`` (scikit-learn's weighted percentile),
    found by the radix selection of :func:`median_absolute_error`.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Ground truth (correct) target values.
    y_pred : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Estimated target values.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative sample weights.
    alpha : float in [0, 1], default=0.5
        The quantile of the pinball loss.
    multioutput : {'raw_values', 'uniform_average'} or array-like of shape (n_outputs,), \
default='uniform_average'
        How to aggregate the scores of several outputs.

    Returns
    -------
    float or ndarray of floats
        NaN (with scikit-learn's ``UndefinedMetricWarning``) for fewer than
        two samples.

    Examples
    --------
    >>> from fastloss import d2_pinball_score
    >>> d2_pinball_score([1, 2, 3], [1, 3, 3])
    0.5
    """
    return _regression(
        _core.D2_PINBALL_SCORE, y_true, y_pred, sample_weight, multioutput, alpha=alpha
    )


def d2_absolute_error_score(
    y_true, y_pred, *, sample_weight=None, multioutput="uniform_average"
):
    """:math:`D^2` score of the absolute error (drop-in for scikit-learn's):
    :func:`d2_pinball_score` with ``alpha=0.5``.

    Examples
    --------
    >>> from fastloss import d2_absolute_error_score
    >>> d2_absolute_error_score([3, -0.5, 2, 7], [2.5, 0.0, 2, 8])
    0.7647058823529411
    """
    return _regression(
        _core.D2_ABSOLUTE_ERROR_SCORE, y_true, y_pred, sample_weight, multioutput
    )


def d2_tweedie_score(y_true, y_pred, *, sample_weight=None, power=0):
    """:math:`D^2` score of the Tweedie deviance (drop-in for scikit-learn's).

    ``1 - deviance(y, p) / deviance(y, mean(y))``: two passes over the data,
    the weighted mean of ``y_true`` first (from its moments), then the
    deviance of that constant (so no streaming accumulator).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Ground truth (correct) target values.
    y_pred : array-like of shape (n_samples,)
        Estimated target values.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative sample weights.
    power : float, default=0
        Tweedie power, as in :func:`mean_tweedie_deviance`.

    Returns
    -------
    float
        NaN (with scikit-learn's ``UndefinedMetricWarning``) for fewer than
        two samples.

    Examples
    --------
    >>> from fastloss import d2_tweedie_score
    >>> d2_tweedie_score([0.5, 1, 2.5, 7], [1, 1, 5, 3.5], power=1)
    0.48791...
    """
    return _regression(_core.D2_TWEEDIE_SCORE, y_true, y_pred, sample_weight, power=power)


# -- log loss -------------------------------------------------------------------


def _renamed_y_pred(y_proba, y_pred):
    """scikit-learn 1.9's deprecation of ``y_pred`` in favour of ``y_proba``."""
    if isinstance(y_pred, str) and y_pred == "deprecated":
        return y_proba
    if y_proba is not None:
        raise ValueError(
            "Cannot use both `y_pred` and `y_proba`. `y_pred` is deprecated, "
            "use `y_proba` instead."
        )
    warnings.warn(
        "`y_pred` was renamed to `y_proba` in version 1.9 and will be removed "
        "in 1.11. Use `y_proba` instead.",
        FutureWarning,
        stacklevel=3,
    )
    return y_pred


def log_loss(
    y_true,
    y_proba=None,
    *,
    normalize=True,
    sample_weight=None,
    labels=None,
    y_pred="deprecated",
):
    r"""Log loss, aka logistic loss or cross-entropy loss (drop-in for scikit-learn's).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Ground truth labels (int, float, bool or str).
    y_proba : array-like of shape (n_samples,) or (n_samples, n_classes)
        Predicted probabilities; a 1-D array holds the probability of the
        positive (greater) class.  Columns follow the sorted labels.  Values
        are clipped to ``[eps, 1 - eps]``, ``eps`` the dtype's machine epsilon.
    normalize : bool, default=True
        Return the mean loss per sample, else the sum.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative sample weights.
    labels : array-like, default=None
        All class labels, when ``y_true`` does not hold every class.
    y_pred : array-like
        Deprecated alias of ``y_proba`` (as in scikit-learn 1.9).

    Returns
    -------
    float

    Examples
    --------
    >>> from fastloss import log_loss
    >>> round(log_loss(["spam", "ham", "ham", "spam"],
    ...                [[.1, .9], [.9, .1], [.8, .2], [.35, .65]]), 5)
    0.21616
    """
    y_proba = _renamed_y_pred(y_proba, y_pred)
    check_array_like(y_true, "y_true", "log_loss")
    check_array_like(y_proba, "y_proba", "log_loss")
    if not isinstance(normalize, (bool, np.bool_)):
        raise InvalidParameterError(
            "The 'normalize' parameter of log_loss must be an instance of 'bool' or an "
            f"instance of 'numpy.bool'. Got {normalize!r} instead."
        )
    if _dask.is_dask(y_true, y_proba, sample_weight):
        return _dask.log_loss(y_true, y_proba, normalize, sample_weight, labels)
    return _log_loss.finish(
        *_log_loss.log_loss_sums(y_true, y_proba, sample_weight, labels), normalize
    )


# -- metrics of class predictions -----------------------------------------------


def _classification(metric, y_true, y_pred, sample_weight, **keywords):
    """Run the declaration ``metric`` (checks, state, finish) on the arguments."""
    metric.check(y_true, y_pred, sample_weight, keywords)
    if metric.d2:
        check_consistent_length(y_pred, y_true, sample_weight)
        if _classes.too_few_samples(_classes.num_rows(y_pred)):
            return float("nan")
    if _dask.is_dask(y_true, y_pred, sample_weight):
        return _dask.class_metric(metric, y_true, y_pred, sample_weight, keywords)
    return metric.compute(y_true, y_pred, sample_weight, **keywords)


def brier_score_loss(
    y_true, y_proba, *, sample_weight=None, pos_label=None, labels=None, scale_by_half="auto"
):
    r"""Brier score loss (drop-in for scikit-learn's).

    The weighted mean over samples of :math:`\sum_c (y_{ic} - p_{ic})^2`, the
    squared distance between the predicted probabilities and the one-hot
    labels; halved (to lie in [0, 1]) for two classes by default.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_proba : array-like of shape (n_samples,) or (n_samples, n_classes)
        Predicted probabilities: of the positive class (1-D), or of each class
        in sorted label order.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative sample weights.
    pos_label : int, float, bool or str, default=None
        The positive class of 1-D ``y_proba``; by default 1 for labels in
        {0, 1} or {-1, 1}, else the greater label (strings need it).
    labels : array-like of shape (n_classes,), default=None
        Every class, for 2-D ``y_proba`` when ``y_true`` misses some.
    scale_by_half : bool or "auto", default="auto"
        Halve the score; "auto" halves it for fewer than three classes.

    Returns
    -------
    float

    Examples
    --------
    >>> from fastloss import brier_score_loss
    >>> round(brier_score_loss([0, 1, 1, 0], [0.1, 0.9, 0.8, 0.3]), 6)
    0.0375
    >>> round(brier_score_loss(["eggs", "ham", "spam"],
    ...                        [[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.2, 0.2, 0.6]]), 6)
    0.146667
    """
    return _classification(
        _classes.BRIER_SCORE_LOSS,
        y_true,
        y_proba,
        sample_weight,
        pos_label=pos_label,
        labels=labels,
        scale_by_half=scale_by_half,
    )


def d2_brier_score(y_true, y_proba, *, sample_weight=None, pos_label=None, labels=None):
    """:math:`D^2` score of the Brier score, or Brier skill score (drop-in for scikit-learn's).

    ``1 - brier(y, p) / brier(y, q)``, ``q`` the null model: the weighted
    proportion of each class, from the class weight totals of the same pass.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_proba : array-like of shape (n_samples,) or (n_samples, n_classes)
        Predicted probabilities, as in :func:`brier_score_loss`.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative sample weights.
    pos_label : int, float, bool or str, default=None
        The positive class of 1-D ``y_proba``, as in :func:`brier_score_loss`.
    labels : array-like of shape (n_classes,), default=None
        Every class, for 2-D ``y_proba``.

    Returns
    -------
    float
        NaN (with scikit-learn's ``UndefinedMetricWarning``) for fewer than
        two samples.

    Examples
    --------
    >>> from fastloss import d2_brier_score
    >>> round(d2_brier_score([0, 1, 1, 0], [0.1, 0.9, 0.8, 0.3]), 6)
    0.85
    """
    return _classification(
        _classes.D2_BRIER_SCORE, y_true, y_proba, sample_weight, pos_label=pos_label, labels=labels
    )


def d2_log_loss_score(
    y_true, y_proba=None, *, sample_weight=None, labels=None, y_pred="deprecated"
):
    """:math:`D^2` score of the log loss (drop-in for scikit-learn's).

    ``1 - log_loss(y, p) / log_loss(y, q)``, ``q`` the weighted proportion of
    each class (the null model), from the class weight totals.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_proba : array-like of shape (n_samples,) or (n_samples, n_classes)
        Predicted probabilities, as in :func:`log_loss`.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative sample weights.
    labels : array-like, default=None
        Every class, when ``y_true`` misses some.
    y_pred : array-like
        Deprecated alias of ``y_proba`` (as in scikit-learn 1.9).

    Returns
    -------
    float
        NaN (with scikit-learn's ``UndefinedMetricWarning``) for fewer than
        two samples.

    Examples
    --------
    >>> from fastloss import d2_log_loss_score
    >>> round(d2_log_loss_score(["spam", "ham", "ham", "spam"],
    ...                         [[.1, .9], [.9, .1], [.8, .2], [.35, .65]]), 6)
    0.688144
    """
    y_proba = _renamed_y_pred(y_proba, y_pred)
    return _classification(
        _classes.D2_LOG_LOSS_SCORE, y_true, y_proba, sample_weight, labels=labels
    )


def hinge_loss(y_true, pred_decision, *, labels=None, sample_weight=None):
    """Average hinge loss, binary or Crammer-Singer multiclass (drop-in for scikit-learn's).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels; for two classes, the greater is the positive one.
    pred_decision : array-like of shape (n_samples,) or (n_samples, n_classes)
        Decision values, as ``decision_function`` returns them.
    labels : array-like, default=None
        Every class, for the multiclass loss when ``y_true`` misses some.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative sample weights.

    Returns
    -------
    float

    Examples
    --------
    >>> from fastloss import hinge_loss
    >>> round(hinge_loss([-1, 1, 1], [-2.18, 2.36, 0.09]), 6)
    0.303333
    >>> round(hinge_loss([0, 2, 3], [[1.27, 0.03, -0.68, -1.4], [-1.45, -0.58, -0.38, -0.17],
    ...                              [-2.36, -0.79, -0.27, 0.24]], labels=[0, 1, 2, 3]), 6)
    0.566667
    """
    return _classification(_classes.HINGE_LOSS, y_true, pred_decision, sample_weight, labels=labels)
