"""Margin losses for binary classification: hinge, squared hinge, modified Huber, exponential.

Targets are ``y`` in {0, 1}; the hinge family works with ``s = 2 y - 1`` in
{-1, +1} and the margin ``z = s * raw``, as scikit-learn's SGD losses do.
"""

import numpy as np

from .._jit import jit
from .._mathfn import _F0, _F1, _F2, exp_real
from .._registry import register_loss
from ._base import PointwiseLoss
from ._pointwise import pointwise_kernels
from ._spec import Interval, Param, Reference, SGDSpec

_SGD = "sklearn.linear_model._sgd_fast"

# float32 constant of the float32 helpers (``..32``: 8 lanes to a vector);
# _F0-_F2 are _mathfn's.
_F4 = np.float32(4.0)


@jit(helper=True, fastmath=None)
def _hinge(y, raw, theta):
    threshold = theta[0]
    s = 2.0 * np.float64(y) - 1.0
    z = np.float64(raw) * s
    if z <= threshold:
        return threshold - z, -s
    # 0 * z: a NaN or infinite raw stays NaN, for the caller to report.
    return 0.0 * z, 0.0


@jit(helper=True, fastmath=None)
def _hinge32(y, raw, theta):
    """:func:`_hinge` in float32 arithmetic (for float32 raw): in float64 the
    float32 loop stayed at 0.8 of its bandwidth floor."""
    threshold = np.float32(theta[0])
    s = _F2 * np.float32(y) - _F1
    z = np.float32(raw) * s
    if z <= threshold:
        return threshold - z, -s
    return _F0 * z, _F0


@jit(helper=True, fastmath=None)
def _zero(y, raw, theta):
    return 0.0


def _zero_numpy(y, raw, theta):
    return np.zeros(np.shape(raw))


def _hinge_numpy(y, raw, theta):
    threshold = theta[0]
    s = 2.0 * y - 1.0
    z = raw * s
    inside = z <= threshold
    return np.where(inside, threshold - z, 0.0 * z), np.where(inside, -s, 0.0)


@register_loss("hinge")
class Hinge(PointwiseLoss):
    """Hinge loss ``max(0, threshold - s * raw)``, ``s = 2 y - 1``.

    ``threshold=1`` is the SVM's loss, ``threshold=0`` the perceptron's.  The
    (sub)gradient is ``-s`` where ``s * raw <= threshold``, else 0.  The
    hessian is 0 (the second derivative, which is 0 on both sides of the
    kink; scikit-learn's SGD losses have none).  Equals scikit-learn's
    ``_sgd_fast.Hinge(threshold)`` with y mapped to -1/+1.

    Examples
    --------
    >>> from fastloss import Hinge
    >>> Hinge().loss_gradient([1, 0], [0.5, -2.0])
    (0.25, array([-0.5,  0. ]))
    """

    params = (Param("threshold", 1.0, Interval(0, None, closed="left")),)
    target = "binary"
    raw = "margin"
    memory_bound = True
    reference = Reference("sgd", _SGD, "Hinge", ("threshold",), signed_labels=True)
    # Not smooth, but its subgradient does vanish as the margins are met: the
    # decaying step of smooth losses (curvature of a unit smoothing).  The
    # perceptron's zero model has loss 0: the reference is a unit margin error.
    sgd = SGDSpec(curvature=1.0, reference_floor=1.0, aliases={"perceptron": {"threshold": 0.0}})
    _kernels = pointwise_kernels(
        "hinge", _hinge, _hinge_numpy, elem32=_hinge32, target=target, hess=_zero,
        hess_numpy=_zero_numpy,
    )  # fmt: skip


@jit(helper=True, fastmath=None)
def _squared_hinge(y, raw, theta):
    threshold = theta[0]
    s = 2.0 * np.float64(y) - 1.0
    z = threshold - np.float64(raw) * s
    if z > 0.0:
        return z * z, -2.0 * s * z
    return 0.0 * z, 0.0  # NaN stays NaN


@jit(helper=True, fastmath=None)
def _squared_hinge32(y, raw, theta):
    """:func:`_squared_hinge` in float32 arithmetic (for float32 raw), as :func:`_hinge32`."""
    s = _F2 * np.float32(y) - _F1
    z = np.float32(theta[0]) - np.float32(raw) * s
    if z > _F0:
        return z * z, -_F2 * s * z
    return _F0 * z, _F0  # NaN stays NaN


@jit(helper=True, fastmath=None)
def _squared_hinge_hess(y, raw, theta):
    s = 2.0 * np.float64(y) - 1.0
    return 2.0 if theta[0] - np.float64(raw) * s > 0.0 else 0.0


def _squared_hinge_hess_numpy(y, raw, theta):
    return np.where(theta[0] - raw * (2.0 * y - 1.0) > 0.0, 2.0, 0.0)


def _squared_hinge_numpy(y, raw, theta):
    threshold = theta[0]
    s = 2.0 * y - 1.0
    z = threshold - raw * s
    inside = z > 0.0
    return np.where(inside, z * z, 0.0 * z), np.where(inside, -2.0 * s * z, 0.0)


@register_loss("squared_hinge")
class SquaredHinge(PointwiseLoss):
    """Squared hinge loss ``max(0, threshold - s * raw)**2``, ``s = 2 y - 1``.

    The hessian is 2 where ``threshold - s * raw > 0``, else 0 (at the kink,
    the outer side's 0).  Equals scikit-learn's
    ``_sgd_fast.SquaredHinge(threshold)`` with y mapped to -1/+1.

    Examples
    --------
    >>> from fastloss import SquaredHinge
    >>> SquaredHinge().loss_gradient([1, 0], [0.5, -2.0])
    (0.125, array([-0.5,  0. ]))
    """

    params = (Param("threshold", 1.0, Interval(0, None, closed="left")),)
    target = "binary"
    raw = "margin"
    memory_bound = True
    reference = Reference("sgd", _SGD, "SquaredHinge", ("threshold",), signed_labels=True)
    sgd = SGDSpec(curvature=2.0, reference_floor=1.0)
    _kernels = pointwise_kernels(
        "squared_hinge", _squared_hinge, _squared_hinge_numpy, elem32=_squared_hinge32,
        target=target,
        hess=_squared_hinge_hess, hess_numpy=_squared_hinge_hess_numpy,
    )  # fmt: skip


@jit(helper=True, fastmath=None)
def _modified_huber(y, raw, theta):
    s = 2.0 * np.float64(y) - 1.0
    z = np.float64(raw) * s
    if z >= 1.0:
        return 0.0, 0.0
    if z >= -1.0:
        return (1.0 - z) * (1.0 - z), 2.0 * (1.0 - z) * -s
    return -4.0 * z, -4.0 * s


@jit(helper=True, fastmath=None)
def _modified_huber32(y, raw, theta):
    """:func:`_modified_huber` in float32 arithmetic (for float32 raw): 8
    lanes to a vector; in float64 the float32 loop stayed at 0.7 of its
    bandwidth floor."""
    s = _F2 * np.float32(y) - _F1
    z = np.float32(raw) * s
    if z >= _F1:
        return _F0, _F0
    if z >= -_F1:
        return (_F1 - z) * (_F1 - z), _F2 * (_F1 - z) * -s
    return -_F4 * z, -_F4 * s


@jit(helper=True, fastmath=None)
def _modified_huber_hess(y, raw, theta):
    z = np.float64(raw) * (2.0 * np.float64(y) - 1.0)
    return 2.0 if z >= -1.0 and z < 1.0 else 0.0


def _modified_huber_hess_numpy(y, raw, theta):
    z = raw * (2.0 * y - 1.0)
    return np.where((z >= -1.0) & (z < 1.0), 2.0, 0.0)


def _modified_huber_numpy(y, raw, theta):
    s = 2.0 * y - 1.0
    z = raw * s
    value = np.where(z >= 1.0, 0.0, np.where(z >= -1.0, (1.0 - z) * (1.0 - z), -4.0 * z))
    slope = np.where(z >= 1.0, 0.0, np.where(z >= -1.0, 2.0 * (1.0 - z) * -s, -4.0 * s))
    return value, slope


@register_loss("modified_huber")
class ModifiedHuber(PointwiseLoss):
    """Modified Huber loss: 0 for ``z >= 1``, ``(1 - z)**2`` for ``z >= -1``, else ``-4 z``.

    ``z = s * raw``, ``s = 2 y - 1``: a quadratically smoothed hinge.  The
    hessian is 2 for ``-1 <= z < 1``, else 0 (at each kink, the side the
    loss's own branches take).  Equals scikit-learn's
    ``_sgd_fast.ModifiedHuber()`` with y mapped to -1/+1.

    Examples
    --------
    >>> from fastloss import ModifiedHuber
    >>> ModifiedHuber().loss_gradient([1, 0], [0.5, 2.0])
    (4.125, array([-0.5,  2. ]))
    """

    target = "binary"
    raw = "margin"
    memory_bound = True
    reference = Reference("sgd", _SGD, "ModifiedHuber", signed_labels=True)
    sgd = SGDSpec(curvature=2.0, reference_floor=1.0, proba="clipped_margin")
    _kernels = pointwise_kernels(
        "modified_huber", _modified_huber, _modified_huber_numpy, elem32=_modified_huber32,
        target=target, hess=_modified_huber_hess, hess_numpy=_modified_huber_hess_numpy,
    )  # fmt: skip


@jit(helper=True, fastmath=None)
def _exponential(y, raw, theta):
    t = np.float64(y)
    e = exp_real(np.float64(raw))
    # Each term only where its label weight is not 0: 0 / exp(raw) is NaN
    # where exp underflows to 0 (and 0 * exp(raw) where it overflows).
    pos = t / e if t != 0.0 else 0.0
    neg = (1.0 - t) * e if t != 1.0 else 0.0
    return pos + neg, neg - pos


def _exponential_numpy(y, raw, theta):
    e = np.exp(raw)
    pos = np.where(y != 0, y / e, 0.0)
    neg = np.where(y != 1, (1.0 - y) * e, 0.0)
    return pos + neg, neg - pos


@jit(helper=True, fastmath=None)
def _exponential_hess(y, raw, theta):
    # The hessian equals the loss.
    return _exponential(y, raw, theta)[0]


def _exponential_hess_numpy(y, raw, theta):
    return _exponential_numpy(y, raw, theta)[0]


@register_loss("exponential")
class Exponential(PointwiseLoss):
    """Exponential (AdaBoost) loss ``y exp(-raw) + (1 - y) exp(raw)``, y in {0, 1}.

    ``raw`` is half the logit.  The gradient is ``-y exp(-raw) + (1 - y)
    exp(raw)``; the hessian equals the loss.  Equals scikit-learn's
    ``ExponentialLoss()`` per sample, hessian included.

    Examples
    --------
    >>> from fastloss import Exponential
    >>> Exponential().loss_gradient([1, 0], [0.0, 0.0])
    (1.0, array([-0.5,  0.5]))
    """

    target = "binary"
    raw = "half_logit"
    reference = Reference("sklearn_loss", "sklearn._loss.loss", "ExponentialLoss")
    # No sgd: its curvature exp(-z) grows without bound with the margin
    # errors, and the estimators' step rule diverged on scikit-learn's checks.
    _kernels = pointwise_kernels(
        "exponential", _exponential, _exponential_numpy, target=target,
        hess=_exponential_hess, hess_numpy=_exponential_hess_numpy,
    )  # fmt: skip
