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


@jit(helper=True)
def _one(y, raw, theta):
    return 1.0


def _one_numpy(y, raw, theta):
    return np.ones(np.shape(raw))


@register_loss("absolute_error")
class MeanAbsoluteError(PointwiseLoss):
    """Mean absolute error ``sum(w * |raw - y|) / sum(w)``, fused with its gradient.

    The gradient is the subgradient ``w * sign(raw - y) / sum(w)`` (0 where
    ``raw == y``).  The hessian of ``gradient_hessian`` is ``w`` (``w /
    sum(w)`` for the mean), scikit-learn's ``AbsoluteError`` convention: the
    second derivative is 0 wherever it exists, and Newton-type solvers need a
    positive one (``hessian_kind = "ones"``).

    Examples
    --------
    >>> from fastloss import MeanAbsoluteError
    >>> MeanAbsoluteError().loss_gradient([1.0, 2.0], [1.5, 2.0])
    (0.25, array([0.5, 0. ]))
    """

    target = "real"
    raw = "identity"
    memory_bound = True
    reference = Reference("sklearn_loss", "sklearn._loss.loss", "AbsoluteError")
    hessian_kind = "ones"
    sgd = SGDSpec(curvature=1.0, center="median", target_power=1, smooth=False)
    _kernels = pointwise_kernels(
        "absolute_error", _absolute_error, _absolute_error_numpy, target=target,
        hess=_one, hess_numpy=_one_numpy,
        metric=True,  # mean_absolute_error runs its metric sums
    )  # fmt: skip


KERNELS = MeanAbsoluteError._kernels
