"""Absolute error ``|raw - y|``: elementwise kernel pair and registration."""

import numpy as np

from .._jit import jit
from .._registry import register_loss
from ._base import PointwiseLoss
from ._pointwise import pointwise_kernels
from ._spec import Reference, SGDSpec


@jit(helper=True)
def _absolute_error(y, raw, theta):
    d = np.float64(raw) - np.float64(y)
    # sign(0) = 0: the subgradient numpy.sign gives.  NaN stays NaN in the loss.
    return abs(d), np.float64(d > 0.0) - np.float64(d < 0.0)


def _absolute_error_numpy(y, raw, theta):
    d = raw - y
    return np.abs(d), np.sign(d)


@register_loss("absolute_error")
class MeanAbsoluteError(PointwiseLoss):
    """Mean absolute error ``sum(w * |raw - y|) / sum(w)``, fused with its gradient.

    The gradient is the subgradient ``w * sign(raw - y) / sum(w)`` (0 where
    ``raw == y``).

    Examples
    --------
    >>> from fastloss import MeanAbsoluteError
    >>> MeanAbsoluteError().loss_gradient([1.0, 2.0], [1.5, 2.0])
    (0.25, array([0.5, 0. ]))
    """

    target = "real"
    raw = "identity"
    reference = Reference("sklearn_loss", "sklearn._loss.loss", "AbsoluteError")
    sgd = SGDSpec(curvature=1.0, center="median", target_power=1, smooth=False)
    _kernels = pointwise_kernels(
        "absolute_error", _absolute_error, _absolute_error_numpy, target=target
    )


KERNELS = MeanAbsoluteError._kernels
