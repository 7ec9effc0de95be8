"""Squared error ``(raw - y)**2``: elementwise kernel pair and registration."""

import numpy as np

from .._jit import jit
from .._registry import register_loss
from ._base import PointwiseLoss
from ._pointwise import pointwise_kernels
from ._spec import Reference, SGDSpec


@jit(helper=True)
def _squared_error(y, raw, theta):
    d = np.float64(raw) - np.float64(y)
    return d * d, 2.0 * d


def _squared_error_numpy(y, raw, theta):
    d = raw - y
    return d * d, 2.0 * d


@jit(helper=True)
def _squared_error_hess(y, raw, theta):
    return 2.0


def _squared_error_hess_numpy(y, raw, theta):
    return np.full(np.shape(raw), 2.0)


@register_loss("squared_error")
class MeanSquaredError(PointwiseLoss):
    """Mean squared error ``sum(w * (raw - y)**2) / sum(w)``, fused with its gradient.

    The gradient is ``2 * w * (raw - y) / sum(w)``; the hessian (of
    ``gradient_hessian``) is ``2 * w / sum(w)``: twice scikit-learn's
    ``HalfSquaredError``'s.

    Examples
    --------
    >>> from fastloss import MeanSquaredError
    >>> MeanSquaredError().loss_gradient([1.0, 2.0], [1.5, 2.0])
    (0.125, array([0.5, 0. ]))
    """

    target = "real"
    raw = "identity"
    memory_bound = True
    reference = Reference("sklearn_loss", "sklearn._loss.loss", "HalfSquaredError", scale=2.0)
    bench_quick = True
    #: scikit-learn's SGD objective is (y - p)**2 / 2: curvature 1 in raw.
    sgd = SGDSpec(curvature=1.0, grad_factor=0.5, center="mean", target_power=2)
    _kernels = pointwise_kernels(
        "squared_error", _squared_error, _squared_error_numpy, target=target,
        hess=_squared_error_hess, hess_numpy=_squared_error_hess_numpy,
        metric=True,  # mean_squared_error runs its metric sums
    )  # fmt: skip


KERNELS = MeanSquaredError._kernels
