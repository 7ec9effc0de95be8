"""Epsilon-insensitive regression losses (support vector regression)."""

import numpy as np

from .._jit import jit
from .._mathfn import _F0, _F1, _F2
from .._registry import register_loss
from ._base import PointwiseLoss
from .margin import _zero, _zero_numpy
from ._pointwise import pointwise_kernels
from ._spec import Interval, Param, Reference, SGDSpec

_SGD = "sklearn.linear_model._sgd_fast"


@jit(helper=True, fastmath=None)
def _epsilon_insensitive(y, raw, theta):
    epsilon = theta[0]
    t = np.float64(y)
    r = np.float64(raw)
    excess = abs(t - r) - epsilon
    value = excess if excess > 0.0 else 0.0 * excess  # NaN stays NaN
    if t - r > epsilon:
        return value, -1.0
    if r - t > epsilon:
        return value, 1.0
    return value, 0.0


@jit(helper=True, fastmath=None)
def _epsilon_insensitive32(y, raw, theta):
    """:func:`_epsilon_insensitive` in float32 arithmetic (for float32 raw),
    8 lanes to a vector (see :func:`_squared_epsilon_insensitive32`)."""
    epsilon = np.float32(theta[0])
    z = np.float32(y) - np.float32(raw)
    excess = abs(z) - epsilon
    value = excess if excess > _F0 else _F0 * excess  # NaN stays NaN
    if z > epsilon:
        return value, -_F1
    if z < -epsilon:
        return value, _F1
    return value, _F0


def _epsilon_insensitive_numpy(y, raw, theta):
    epsilon = theta[0]
    excess = np.abs(y - raw) - epsilon
    slope = np.where(y - raw > epsilon, -1.0, np.where(raw - y > epsilon, 1.0, 0.0))
    return np.where(excess > 0.0, excess, 0.0 * excess), slope


@register_loss("epsilon_insensitive")
class EpsilonInsensitive(PointwiseLoss):
    """Epsilon-insensitive loss ``max(0, |y - raw| - epsilon)``.

    The (sub)gradient is ``sign(raw - y)`` outside the tube, 0 inside; the
    hessian 0 (the second derivative on either side of the kinks;
    scikit-learn's SGD losses have none).  Equals scikit-learn's
    ``_sgd_fast.EpsilonInsensitive(epsilon)``.

    Examples
    --------
    >>> from fastloss import EpsilonInsensitive
    >>> EpsilonInsensitive(epsilon=0.5).loss_gradient([0.0, 0.0], [2.0, 0.25])
    (0.75, array([0.5, 0. ]))
    """

    params = (Param("epsilon", 0.1, Interval(0, None, closed="left")),)
    target = "real"
    raw = "identity"
    memory_bound = True
    reference = Reference("sgd", _SGD, "EpsilonInsensitive", ("epsilon",))
    sgd = SGDSpec(curvature=1.0, center="median", target_power=1, target_params=("epsilon",),
                  smooth=False, epsilon_param="epsilon")  # fmt: skip
    _kernels = pointwise_kernels(
        "epsilon_insensitive", _epsilon_insensitive, _epsilon_insensitive_numpy,
        elem32=_epsilon_insensitive32, target=target, hess=_zero, hess_numpy=_zero_numpy,
    )  # fmt: skip


@jit(helper=True, fastmath=None)
def _squared_epsilon_insensitive(y, raw, theta):
    epsilon = theta[0]
    t = np.float64(y)
    r = np.float64(raw)
    excess = abs(t - r) - epsilon
    value = excess * excess if excess > 0.0 else 0.0 * excess  # NaN stays NaN
    z = t - r
    if z > epsilon:
        return value, -2.0 * (z - epsilon)
    if z < -epsilon:
        return value, 2.0 * (-z - epsilon)
    return value, 0.0


@jit(helper=True, fastmath=None)
def _squared_epsilon_insensitive32(y, raw, theta):
    """:func:`_squared_epsilon_insensitive` in float32 arithmetic (for float32
    raw): 8 lanes to a vector, where the float64 arithmetic's conversions
    kept the float32 loop at 0.75 of its bandwidth floor (0.86 with it).
    epsilon is rounded to float32, so an element within a float32 rounding
    of the tube's edge may fall on the other side than in float64."""
    epsilon = np.float32(theta[0])
    z = np.float32(y) - np.float32(raw)
    excess = abs(z) - epsilon
    value = excess * excess if excess > _F0 else _F0 * excess  # NaN stays NaN
    if z > epsilon:
        return value, -_F2 * (z - epsilon)
    if z < -epsilon:
        return value, _F2 * (-z - epsilon)
    return value, _F0


@jit(helper=True, fastmath=None)
def _squared_epsilon_insensitive_hess(y, raw, theta):
    return 2.0 if abs(np.float64(y) - np.float64(raw)) > theta[0] else 0.0


def _squared_epsilon_insensitive_hess_numpy(y, raw, theta):
    return np.where(np.abs(y - raw) > theta[0], 2.0, 0.0)


def _squared_epsilon_insensitive_numpy(y, raw, theta):
    epsilon = theta[0]
    excess = np.abs(y - raw) - epsilon
    z = y - raw
    slope = np.where(z > epsilon, -2.0 * (z - epsilon), np.where(z < -epsilon, 2.0 * (-z - epsilon), 0.0))
    return np.where(excess > 0.0, excess * excess, 0.0 * excess), slope


@register_loss("squared_epsilon_insensitive")
class SquaredEpsilonInsensitive(PointwiseLoss):
    """Squared epsilon-insensitive loss ``max(0, |y - raw| - epsilon)**2``.

    The hessian is 2 outside the tube (``|y - raw| > epsilon``), 0 inside and
    on its edges.

    Equals scikit-learn's ``_sgd_fast.SquaredEpsilonInsensitive(epsilon)``.

    Examples
    --------
    >>> from fastloss import SquaredEpsilonInsensitive
    >>> SquaredEpsilonInsensitive(epsilon=0.5).loss_gradient([0.0, 0.0], [2.0, 0.25])
    (1.125, array([1.5, 0. ]))
    """

    params = (Param("epsilon", 0.1, Interval(0, None, closed="left")),)
    target = "real"
    raw = "identity"
    memory_bound = True
    reference = Reference("sgd", _SGD, "SquaredEpsilonInsensitive", ("epsilon",))
    # max(0, |d| - epsilon)**2: curvature 2 outside the tube.
    sgd = SGDSpec(curvature=2.0, center="mean", target_power=2, target_params=("epsilon",),
                  epsilon_param="epsilon")  # fmt: skip
    _kernels = pointwise_kernels(
        "squared_epsilon_insensitive",
        _squared_epsilon_insensitive,
        _squared_epsilon_insensitive_numpy,
        elem32=_squared_epsilon_insensitive32,
        target=target,
        hess=_squared_epsilon_insensitive_hess,
        hess_numpy=_squared_epsilon_insensitive_hess_numpy,
    )
