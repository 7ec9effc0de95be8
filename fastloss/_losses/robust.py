"""Robust regression losses: Huber and log-cosh."""

import numpy as np

from .._jit import jit
from .._mathfn import LN2, exp_nonpos, log1p_nonneg
from .._registry import register_loss
from ._base import PointwiseLoss
from ._pointwise import pointwise_kernels
from ._spec import Interval, Param, Reference, SGDSpec

# The elementwise helpers of the new losses are compiled without fast-math:
# their arithmetic is evaluated as written (as scikit-learn's is), so that the
# per-sample values equal scikit-learn's to rounding of the same operations.


@jit(helper=True, fastmath=None)
def _huber(y, raw, theta):
    delta = theta[0]
    d = np.float64(raw) - np.float64(y)
    a = abs(d)
    if a <= delta:
        return 0.5 * a * a, d
    return delta * (a - 0.5 * delta), delta if d >= 0.0 else -delta


@jit(helper=True, fastmath=None)
def _huber_hess(y, raw, theta):
    # scikit-learn's: 1 inside |raw - y| <= delta (the kink included), else 0.
    return 1.0 if abs(np.float64(raw) - np.float64(y)) <= theta[0] else 0.0


def _huber_hess_numpy(y, raw, theta):
    return np.where(np.abs(raw - y) <= theta[0], 1.0, 0.0)


def _huber_numpy(y, raw, theta):
    delta = theta[0]
    d = raw - y
    a = np.abs(d)
    inner = a <= delta
    value = np.where(inner, 0.5 * a * a, delta * (a - 0.5 * delta))
    slope = np.where(inner, d, np.where(d >= 0.0, delta, -delta))
    return value, slope


@register_loss("huber")
class Huber(PointwiseLoss):
    """Huber loss: ``d**2 / 2`` for ``|d| <= delta``, else ``delta * (|d| - delta / 2)``.

    ``d = raw - y``; the gradient is ``d`` clipped to ``[-delta, delta]``, the
    hessian 1 for ``|d| <= delta`` (the kink included) and 0 beyond.  Equals
    scikit-learn's ``HuberLoss(delta=delta)`` per sample, hessian included.

    Examples
    --------
    >>> from fastloss import Huber
    >>> Huber(delta=1.0).loss_gradient([0.0, 0.0], [0.5, 3.0])
    (1.3125, array([0.25, 0.5 ]))
    """

    params = (Param("delta", 1.0, Interval(0, None, closed="neither")),)
    target = "real"
    raw = "identity"
    memory_bound = True
    reference = Reference("sklearn_loss", "sklearn._loss.loss", "HuberLoss", {"delta": "delta"})
    # Quadratic (curvature 1) within delta of the target; delta is in the
    # targets' units.  A delta below the (standardised) targets' scale makes it
    # delta times the absolute error for most residuals: trained as that.
    sgd = SGDSpec(
        curvature=1.0, center="median", target_power=2, target_params=("delta",),
        epsilon_param="delta", smooth=lambda params: params["delta"] >= 1.0,
        gradient_bound=lambda params: min(1.0, params["delta"]),
    )  # fmt: skip
    _kernels = pointwise_kernels(
        "huber", _huber, _huber_numpy, target=target, hess=_huber_hess, hess_numpy=_huber_hess_numpy
    )


@jit(helper=True, fastmath=None)
def _log_cosh(y, raw, theta):
    d = np.float64(raw) - np.float64(y)
    a = abs(d)
    if a < 1.0:
        # log(cosh(a)) = log1p(2 sinh(a/2)**2): no cancellation for small a.
        s = np.sinh(0.5 * a)
        value = np.log1p(2.0 * s * s)
    else:
        # cosh(a) = exp(a) (1 + exp(-2a)) / 2: nothing overflows.
        value = (a - LN2) + log1p_nonneg(exp_nonpos(-2.0 * a))
    return value, np.tanh(d)


@jit(helper=True, fastmath=None)
def _log_cosh_hess(y, raw, theta):
    # 1 / cosh(d)**2, not 1 - tanh(d)**2: that cancels to 0 for |d| > 19.
    c = np.cosh(np.float64(raw) - np.float64(y))
    return 1.0 / (c * c)


def _log_cosh_hess_numpy(y, raw, theta):
    c = np.cosh(raw - y)
    return 1.0 / (c * c)


def _log_cosh_numpy(y, raw, theta):
    d = raw - y
    a = np.abs(d)
    s = np.sinh(0.5 * np.minimum(a, 1.0))
    small = np.log1p(2.0 * s * s)
    large = (a - LN2) + np.log1p(np.exp(-2.0 * a))
    return np.where(a < 1.0, small, large), np.tanh(d)


@register_loss("log_cosh")
class LogCosh(PointwiseLoss):
    """Log-cosh loss ``log(cosh(raw - y))``, stable for any finite difference.

    Close to ``d**2 / 2`` for small ``d = raw - y`` and to ``|d| - log 2`` for
    large ones; the gradient is ``tanh(d)``, the hessian ``1 / cosh(d)**2``.

    Examples
    --------
    >>> from fastloss import LogCosh
    >>> value, grad = LogCosh().loss_gradient([0.0], [1000.0])
    >>> round(value, 6), grad
    (999.306853, array([1.]))
    """

    target = "real"
    raw = "identity"
    # log(cosh(d)) written as log1p(2 sinh(d/2)**2), the same function: the
    # reference is evaluated in long double, where log(cosh(d)) of a small d
    # loses digits to cosh(d)'s rounding next to 1 (2.9e-12 relative at
    # d = 1.5e-4, beyond the tests' 1e-12).
    reference = Reference(
        "formula", loss="log1p(2 * sinh((raw - y) / 2)**2)", gradient="tanh(raw - y)",
        hessian="1 / cosh(raw - y)**2",
    )  # fmt: skip
    # Curvature sech(d)**2 <= 1.  Not homogeneous in the targets' scale (and no
    # parameter absorbs it): targets are centred, not scaled.
    sgd = SGDSpec(curvature=1.0, center="median", target_power=None)
    _kernels = pointwise_kernels(
        "log_cosh", _log_cosh, _log_cosh_numpy, target=target,
        hess=_log_cosh_hess, hess_numpy=_log_cosh_hess_numpy,
    )  # fmt: skip
