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
from . import _log_loss_core as _log_loss
from ._validation import InvalidParameterError, check_array_like

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
    if not (isinstance(y_pred, str) and y_pred == "deprecated"):
        if y_proba is not None:
            raise ValueError(
                "Cannot use both `y_pred` and `y_proba`. `y_pred` is deprecated, "
                "use `y_proba` instead."
            )
        warnings.warn(
            "`y_pred` was renamed to `y_proba` in version 1.9 and will be removed "
            "in 1.11. Use `y_proba` instead.",
            FutureWarning,
            stacklevel=2,
        )
        y_proba = y_pred
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
