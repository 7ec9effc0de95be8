"""Binary cross-entropy from logits: elementwise kernel pair and registration."""

import numpy as np

from .._jit import jit
from .._mathfn import _F0, _F1, exp_nonpos, exp_nonpos32, log1p_nonneg, log1p_nonneg32
from .._registry import register_loss
from ._base import PointwiseLoss
from ._pointwise import pointwise_kernels
from ._spec import Reference, SGDSpec


@jit(helper=True)
def _binary_cross_entropy(y, raw, theta):
    r = np.float64(raw)
    t = np.float64(y)
    # log(1 + exp(r)) - t*r, written with exp(-|r|) <= 1 so nothing overflows.
    e = exp_nonpos(-abs(r))
    value = max(r, 0.0) - t * r + log1p_nonneg(e)
    sigmoid = (1.0 if r >= 0.0 else e) / (1.0 + e)
    return value, sigmoid - t


@jit(helper=True)
def _binary_cross_entropy32(y, raw, theta):
    """:func:`_binary_cross_entropy` in float32 arithmetic (for float32 logits)."""
    r = np.float32(raw)
    t = np.float32(y)
    e = exp_nonpos32(-abs(r))
    # Targets outside [0, 1] are refused by the driver's check of the declared
    # domain, on y itself: float64 targets just outside it (1 + 1e-10,
    # -1e-50) would round into it in float32.
    value = max(r, _F0) - t * r + log1p_nonneg32(e)
    sigmoid = (_F1 if r >= _F0 else e) / (_F1 + e)
    return value, sigmoid - t


@jit(helper=True)
def _binary_cross_entropy_hess(y, raw, theta):
    # sigmoid(r) (1 - sigmoid(r)) = e / (1 + e)**2 with e = exp(-|r|) <= 1.
    e = exp_nonpos(-abs(np.float64(raw)))
    d = 1.0 + e
    return e / (d * d)


def _binary_cross_entropy_hess_numpy(y, raw, theta):
    e = np.exp(-np.abs(raw))
    return e / ((1.0 + e) * (1.0 + e))


def _binary_cross_entropy_numpy(y, raw, theta):
    e = np.exp(-np.abs(raw))
    value = np.maximum(raw, 0.0) - y * raw + np.log1p(e)
    sigmoid = np.where(raw >= 0.0, 1.0, e) / (1.0 + e)
    return value, sigmoid - y


@register_loss("log_loss")
class BinaryCrossEntropy(PointwiseLoss):
    """Binary cross-entropy of logits, with the sigmoid fused in.

    ``loss_i = log(1 + exp(raw_i)) - y_i * raw_i``, i.e. the log loss of
    ``p_i = sigmoid(raw_i)``; targets may be soft labels in ``[0, 1]``.
    The gradient is ``w * (sigmoid(raw) - y) / sum(w)``, the hessian ``w *
    sigmoid(raw) * (1 - sigmoid(raw)) / sum(w)`` (scikit-learn's
    ``HalfBinomialLoss``).  Stable for any finite logit.

    Examples
    --------
    >>> from fastloss import BinaryCrossEntropy
    >>> round(BinaryCrossEntropy().loss([1, 0], [0.0, 0.0]), 6)  # log(2)
    0.693147
    """

    target = "probability"
    raw = "logit"
    reference = Reference("sklearn_loss", "sklearn._loss.loss", "HalfBinomialLoss")
    bench_quick = True
    #: sigmoid' <= 1/4; classification targets are neither centred nor scaled.
    sgd = SGDSpec(curvature=0.25, multiclass="multinomial", proba="logit")
    _kernels = pointwise_kernels(
        "binary_cross_entropy",
        _binary_cross_entropy,
        _binary_cross_entropy_numpy,
        elem32=_binary_cross_entropy32,
        target=target,
        hess=_binary_cross_entropy_hess,
        hess_numpy=_binary_cross_entropy_hess_numpy,
    )


KERNELS = BinaryCrossEntropy._kernels
