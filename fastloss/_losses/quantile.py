"""Quantile regression: the pinball loss."""

import numpy as np

from .._jit import jit
from .._registry import register_loss
from .absolute_error import _one, _one_numpy
from ._base import PointwiseLoss
from ._pointwise import pointwise_kernels
from ._spec import Interval, Param, Reference, SGDSpec


@jit(helper=True, fastmath=None)
def _pinball(y, raw, theta):
    q = theta[0]
    d = np.float64(y) - np.float64(raw)
    # A select, not a branch: (q - 1) * d is (1 - q) * (raw - y) exactly
    # (both factors negated), and a NaN input falls to that side as NaN.
    c = q if d >= 0.0 else q - 1.0
    return c * d, -c


def _pinball_numpy(y, raw, theta):
    q = theta[0]
    d = y - raw
    c = np.where(d >= 0.0, q, q - 1.0)
    return c * d, -c


def _quantile_of(y, params):
    """The best constant prediction under the pinball loss: the quantile of y."""
    return np.quantile(y, params["quantile"])


@register_loss("quantile")
class Pinball(PointwiseLoss):
    """Pinball (quantile) loss: ``q * (y - raw)`` if ``y >= raw``, else ``(1 - q) * (raw - y)``.

    Its minimiser is the ``quantile`` of the targets; the gradient is ``-q``
    or ``1 - q``.  Equals scikit-learn's ``PinballLoss(quantile=q)`` per sample,
    hessian included: ``gradient_hessian`` returns ``w`` (``w / sum(w)`` for
    the mean), scikit-learn's convention for a loss whose second derivative
    is 0 wherever it exists (``hessian_kind = "ones"``).

    Examples
    --------
    >>> from fastloss import Pinball
    >>> Pinball(quantile=0.9).loss_gradient([1.0, 1.0], [0.0, 2.0])
    (0.5, array([-0.45,  0.05]))
    """

    params = (Param("quantile", 0.5, Interval(0, 1, closed="neither")),)
    target = "real"
    raw = "identity"
    memory_bound = True
    reference = Reference(
        "sklearn_loss", "sklearn._loss.loss", "PinballLoss", {"quantile": "quantile"}
    )
    hessian_kind = "ones"
    sgd = SGDSpec(curvature=1.0, center=_quantile_of, target_power=1, smooth=False)
    _kernels = pointwise_kernels(
        "pinball", _pinball, _pinball_numpy, target=target, hess=_one, hess_numpy=_one_numpy
    )
