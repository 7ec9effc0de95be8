"""Generalised-linear-model deviances with a log link: Poisson, Gamma, Tweedie.

``raw`` is the log of the predicted mean.  As in scikit-learn, terms that
depend on ``y`` alone are dropped (the values are not deviances, and can be
negative): ``loss`` equals scikit-learn's ``loss()``, not its deviance.

The Numba helpers take their exponentials from :func:`fastloss._mathfn.exp_real`
(table-driven, < 1 ulp): LLVM inlines and vectorises it, where a call into
libm's ``exp`` per element kept these losses compute-bound at a fraction of
memory speed.  The NumPy twins use ``np.exp``.
"""

import numpy as np

from .._jit import jit
from .._mathfn import exp_real
from .._registry import register_loss
from ._base import PointwiseLoss
from ._pointwise import pointwise_kernels
from ._spec import ByParam, Interval, Param, Reference, SGDSpec


@jit(helper=True, fastmath=None)
def _half_poisson(y, raw, theta):
    t = np.float64(y)
    r = np.float64(raw)
    e = exp_real(r)
    return _poisson_value(e, t, r), e - t


@jit(helper=True, fastmath=None)
def _poisson_value(e, t, r):
    """``e - t * r`` for ``e = exp(r)``; inf where e overflows (y * raw may
    too: inf - inf)."""
    return e - t * r if e < np.inf else e


def _half_poisson_numpy(y, raw, theta):
    e = np.exp(raw)
    return np.where(e < np.inf, e - y * raw, e), e - y


@jit(helper=True, fastmath=None)
def _half_poisson_hess(y, raw, theta):
    return exp_real(np.float64(raw))


def _half_poisson_hess_numpy(y, raw, theta):
    return np.exp(raw)


@register_loss("poisson")
class HalfPoisson(PointwiseLoss):
    """Half Poisson deviance with log link, constant terms dropped: ``exp(raw) - y * raw``.

    The gradient is ``exp(raw) - y``, the hessian ``exp(raw)``.  Targets
    ``y >= 0``.  Equals scikit-learn's ``HalfPoissonLoss()`` per sample.

    Examples
    --------
    >>> from fastloss import HalfPoisson
    >>> HalfPoisson().loss_gradient([1.0, 3.0], [0.0, 0.0])
    (1.0, array([ 0., -1.]))
    """

    target = "nonnegative"
    raw = "log"
    reference = Reference("sklearn_loss", "sklearn._loss.loss", "HalfPoissonLoss")
    # Log link: targets divided by their mean s (raw shifted by log s), the
    # loss scales by s; the hessian exp(raw) is 1 at the start, raw = 0.
    sgd = SGDSpec(curvature=1.0, target_power=1)
    _kernels = pointwise_kernels(
        "half_poisson", _half_poisson, _half_poisson_numpy, target=target,
        hess=_half_poisson_hess, hess_numpy=_half_poisson_hess_numpy,
    )  # fmt: skip


@jit(helper=True, fastmath=None)
def _half_gamma(y, raw, theta):
    t = np.float64(y)
    r = np.float64(raw)
    e = exp_real(-r)
    return r + t * e, 1.0 - t * e


def _half_gamma_numpy(y, raw, theta):
    e = np.exp(-raw)
    return raw + y * e, 1.0 - y * e


@jit(helper=True, fastmath=None)
def _half_gamma_hess(y, raw, theta):
    return np.float64(y) * exp_real(-np.float64(raw))


def _half_gamma_hess_numpy(y, raw, theta):
    return y * np.exp(-raw)


@register_loss("gamma")
class HalfGamma(PointwiseLoss):
    """Half Gamma deviance with log link, constant terms dropped: ``raw + y * exp(-raw)``.

    The gradient is ``1 - y * exp(-raw)``, the hessian ``y * exp(-raw)``.
    Targets ``y > 0``.  Equals scikit-learn's ``HalfGammaLoss()`` per sample.

    Examples
    --------
    >>> from fastloss import HalfGamma
    >>> HalfGamma().loss_gradient([1.0, 2.0], [0.0, 0.0])
    (1.5, array([ 0. , -0.5]))
    """

    target = "positive"
    raw = "log"
    reference = Reference("sklearn_loss", "sklearn._loss.loss", "HalfGammaLoss")
    # Scale-free under the log link (up to a constant); hessian y exp(-raw).
    sgd = SGDSpec(curvature=1.0, target_power=0)
    _kernels = pointwise_kernels(
        "half_gamma", _half_gamma, _half_gamma_numpy, target=target,
        hess=_half_gamma_hess, hess_numpy=_half_gamma_hess_numpy,
    )  # fmt: skip


@jit(helper=True, fastmath=None)
def _tweedie_terms(y, raw, p):
    """``(y, raw, exp((1-p) raw), exp((2-p) raw), y exp((1-p) raw))`` in float64.

    Both exponentials always, and every form of the callers chosen by a
    select, not a branch: exp_real reads a table, and a loop whose table
    reads sit in branches vectorises only if LLVM unswitches it on p, which
    it stops doing once the kernel holds a few loops.  The closed forms of
    powers 0, 1 and 2 (scikit-learn's branches) need no other exponential:
    (1 - p) raw and (2 - p) raw are then raw, -raw or raw exactly, so the
    first or second is bit for bit the exp(raw) or exp(-raw) each form uses.
    y = 0 contributes nothing to the last, even where the exponential
    overflows (0 * inf).
    """
    t = np.float64(y)
    r = np.float64(raw)
    e1 = exp_real((1.0 - p) * r)
    e2 = exp_real((2.0 - p) * r)
    return t, r, e1, e2, (t * e1 if t != 0.0 else 0.0)


@jit(helper=True, fastmath=None)
def _half_tweedie(y, raw, theta):
    p = theta[0]
    t, r, e1, e2, te1 = _tweedie_terms(y, raw, p)
    loss = e2 / (2.0 - p) - te1 / (1.0 - p)
    grad = e2 - te1
    # p = 0: squared error of e = exp(r) = e1.
    loss = 0.5 * (e1 - t) * (e1 - t) if p == 0.0 else loss
    grad = e1 * (e1 - t) if p == 0.0 else grad
    # p = 1: half Poisson, e = exp(r) = e2 (as _half_poisson).
    loss = _poisson_value(e2, t, r) if p == 1.0 else loss
    grad = e2 - t if p == 1.0 else grad
    # p = 2: half Gamma, e = exp(-r) = e1 (as _half_gamma).
    loss = r + te1 if p == 2.0 else loss
    grad = 1.0 - te1 if p == 2.0 else grad
    return loss, grad


@jit(helper=True, fastmath=None)
def _half_tweedie_hess(y, raw, theta):
    p = theta[0]
    # scikit-learn's cgrad_hess_half_tweedie, each branch a select (see _tweedie_terms).
    t, r, e1, e2, te1 = _tweedie_terms(y, raw, p)
    hess = (2.0 - p) * e2 - (1.0 - p) * te1
    hess = e1 * (2.0 * e1 - t) if p == 0.0 else hess
    hess = e2 if p == 1.0 else hess  # half Poisson: exp(r)
    hess = te1 if p == 2.0 else hess  # half Gamma: y exp(-r)
    return hess


def _half_tweedie_hess_numpy(y, raw, theta):
    p = theta[0]
    if p == 0.0:
        e = np.exp(raw)
        return e * (2.0 * e - y)
    if p == 1.0:
        return _half_poisson_hess_numpy(y, raw, theta)
    if p == 2.0:
        return _half_gamma_hess_numpy(y, raw, theta)
    e1 = np.exp((1.0 - p) * raw)
    e2 = np.exp((2.0 - p) * raw)
    return (2.0 - p) * e2 - (1.0 - p) * _times_nonzero(y, e1)


def _times_nonzero(y, e):
    """``y * e``, 0 where ``y == 0`` (even where ``e`` overflowed to inf)."""
    return np.where(y == 0, 0.0, y * e)


def _half_tweedie_numpy(y, raw, theta):
    p = theta[0]
    if p == 0.0:
        e = np.exp(raw)
        return 0.5 * (e - y) * (e - y), e * (e - y)
    if p == 1.0:
        return _half_poisson_numpy(y, raw, theta)
    if p == 2.0:
        return _half_gamma_numpy(y, raw, theta)
    e1 = np.exp((1.0 - p) * raw)
    e2 = np.exp((2.0 - p) * raw)
    ye1 = _times_nonzero(y, e1)
    return e2 / (2.0 - p) - ye1 / (1.0 - p), e2 - ye1


@register_loss("tweedie")
class HalfTweedie(PointwiseLoss):
    """Half Tweedie deviance with log link, constant terms dropped.

    For ``power`` p (not 0, 1, 2): ``exp((2-p) raw) / (2-p) - y exp((1-p) raw) / (1-p)``,
    gradient ``exp((2-p) raw) - y exp((1-p) raw)``, hessian ``(2-p) exp((2-p) raw)
    - (1-p) y exp((1-p) raw)``; p = 0, 1, 2 are the
    squared error of ``exp(raw)``, :class:`HalfPoisson` and :class:`HalfGamma`.
    Targets: any real for ``p <= 0``, ``y >= 0`` for ``1 <= p < 2``, ``y > 0``
    for ``p >= 2``.  Equals scikit-learn's ``HalfTweedieLoss(power=p)`` per sample.

    Examples
    --------
    >>> from fastloss import HalfTweedie
    >>> HalfTweedie(power=1.5).loss_gradient([1.0], [0.0])
    (4.0, array([0.]))
    """

    params = (
        Param(
            "power", 1.5, Interval(None, 0, closed="right"), Interval(1, None, closed="left")
        ),
    )
    target = ByParam(
        "power",
        [(Interval(None, 0, closed="right"), "real"), (Interval(1, 2, closed="left"), "nonnegative")],
        otherwise="positive",
    )
    raw = "log"
    reference = Reference("sklearn_loss", "sklearn._loss.loss", "HalfTweedieLoss", {"power": "power"})
    # Under the log link the loss scales by s**(2 - power); hessian 1 at raw 0, y 1.
    sgd = SGDSpec(curvature=1.0, target_power=lambda params: 2.0 - params["power"])
    _kernels = pointwise_kernels(
        "half_tweedie", _half_tweedie, _half_tweedie_numpy, target=target,
        hess=_half_tweedie_hess, hess_numpy=_half_tweedie_hess_numpy,
    )  # fmt: skip
