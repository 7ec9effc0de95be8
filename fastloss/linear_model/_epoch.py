"""One SGD epoch over minibatches: a Numba kernel and its NumPy twin.

The model is trained in *standardised* coordinates: with ``z = (x - mean) *
inv_scale`` the raw prediction is ``z @ W + b``.  Standardising is what lets
one set of optimizer defaults work on unscaled data, but ``z`` is never
materialised: each minibatch computes ``x @ (W * inv_scale) + (b - mean @ (W *
inv_scale))`` on the gathered rows of ``x`` itself, and the gradient is mapped
back the same way.  Both products go through BLAS (``np.dot``).

The loss and its gradient with respect to the raw predictions come from the
fused kernel of the loss (``loss_gradient``, bound per loss by
:func:`epoch_kernel`), so the estimators train on exactly the code the public
loss objects run.

Optimizer: heavy-ball momentum on the data term, ``lr_t = lr / sqrt(1 + t /
decay_steps)``, the L2 penalty applied as a proximal step (stable however
stiff ``alpha * inv_scale**2`` is; scaled by ``1 / (1 - momentum)`` like the
momentum-amplified gradient steps, so that the fixed point is the penalised
optimum), and a running average of the iterates over
the iterates (Polyak-Ruppert averaging) that the estimators report as the
model: ``n_avg`` iterates are in the running average on entry (0 restarts
it), and minibatches starting before row ``avg_from`` of the epoch are left
out of it (the first epoch skips its transient from the initial point).

State arrays (float64) are updated in place: ``coef`` (p,) or (p, k),
``intercept`` (k,), the two velocities and the two averages.  Returns
``(status, loss_sum, weight_sum, step, n_avg)``; ``extra`` (last) is the
tuple of the loss's extra kernel arguments (``loss._kernel_args``: its
parameter tuple, or nothing); status 1 means a minibatch loss was
non-finite or above ``bound``: the caller restores its snapshot and backs off.
"""

from __future__ import annotations

import functools

import numpy as np

from .._jit import jit, serial
from .._registry import Kernel


@jit(template=True)
def _epoch(
    X, y, sw, order, batch, mean, inv_scale, coef, intercept, coef_vel, intercept_vel,
    coef_avg, intercept_avg, penalty, lr, decay_steps, momentum, grad_scale, step,
    fit_intercept, bound, avg_from, n_avg, xb, yb, wb, extra,
):  # fmt: skip
    n, p = X.shape
    k = intercept.shape[0]
    pk = p * k
    cf = coef.reshape(pk)
    cvf = coef_vel.reshape(pk)
    caf = coef_avg.reshape(pk)
    eff = np.empty(coef.shape, dtype=X.dtype)
    efff = eff.reshape(pk)
    shift = np.empty(k)
    g_int = np.empty(k)
    loss_sum = 0.0
    weight_sum = 0.0
    for start in range(0, n, batch):
        m = min(batch, n - start)
        for r in range(m):
            i = order[start + r]
            # An explicit loop over row views: a slice assignment per row
            # (``xb[r, :] = X[i, :]``) cost a fifth of the whole epoch.
            src = X[i]
            dst = xb[r]
            for j in range(p):
                dst[j] = src[j]
            yb[r] = y[i]
        # Effective (unstandardised) weights and intercept of this step.
        for q in range(k):
            shift[q] = intercept[q]
        for j in range(p):
            for q in range(k):
                e = cf[j * k + q] * inv_scale[j]
                efff[j * k + q] = e
                shift[q] -= mean[j] * e
        xm = xb[:m]
        raw = np.dot(xm, eff)
        raw2 = raw.reshape(m, k)  # (not ``i % k`` on a flat index: a division each)
        for r in range(m):
            for q in range(k):
                raw2[r, q] += shift[q]
        grad = np.empty_like(raw)
        if sw is None:
            total = loss_gradient(yb[:m], raw, None, grad_scale / m, grad, None, None, *extra)
            wsum = float(m)
        else:
            wsum = 0.0
            for r in range(m):
                wb[r] = sw[order[start + r]]
                wsum += wb[r]
            total = loss_gradient(yb[:m], raw, wb[:m], grad_scale / m, grad, None, None, *extra)
        loss_sum += total
        weight_sum += wsum
        if not np.isfinite(total) or total > bound * wsum:
            return 1, loss_sum, weight_sum, step, n_avg
        xtg = np.dot(xm.T, grad).reshape(pk)
        for q in range(k):
            g_int[q] = 0.0
        grad2 = grad.reshape(m, k)
        for r in range(m):
            for q in range(k):
                g_int[q] += grad2[r, q]
        rate = lr / np.sqrt(1.0 + step / decay_steps)
        for j in range(p):
            s = inv_scale[j]
            shrink = 1.0 / (1.0 + rate * penalty[j] / (1.0 - momentum))
            for q in range(k):
                idx = j * k + q
                v = momentum * cvf[idx] + s * (xtg[idx] - mean[j] * g_int[q])
                cvf[idx] = v
                cf[idx] = (cf[idx] - rate * v) * shrink
        if fit_intercept:
            for q in range(k):
                v = momentum * intercept_vel[q] + g_int[q]
                intercept_vel[q] = v
                intercept[q] -= rate * v
        step += 1
        if start < avg_from:
            continue
        n_avg += 1
        inv = 1.0 / n_avg
        for idx in range(pk):
            caf[idx] += (cf[idx] - caf[idx]) * inv
        for q in range(k):
            intercept_avg[q] += (intercept[q] - intercept_avg[q]) * inv
    return 0, loss_sum, weight_sum, step, n_avg


def _epoch_numpy(loss_gradient):
    """NumPy twin of :func:`_epoch` for the loss kernel ``loss_gradient``."""

    def epoch(
        X, y, sw, order, batch, mean, inv_scale, coef, intercept, coef_vel, intercept_vel,
        coef_avg, intercept_avg, penalty, lr, decay_steps, momentum, grad_scale, step,
        fit_intercept, bound, avg_from, n_avg, xb, yb, wb, extra,
    ):  # fmt: skip
        n = X.shape[0]
        k = intercept.shape[0]
        loss_sum = 0.0
        weight_sum = 0.0
        scale_col = inv_scale if coef.ndim == 1 else inv_scale[:, None]
        mean_col = mean if coef.ndim == 1 else mean[:, None]
        for start in range(0, n, batch):
            rows = order[start : start + batch]
            m = rows.shape[0]
            xm = X[rows]
            eff = coef * scale_col
            shift = intercept - mean @ eff
            raw = (xm @ eff.astype(X.dtype)).astype(X.dtype) + shift.astype(X.dtype)
            grad = np.empty_like(raw)
            if sw is None:
                wm = None
                wsum = float(m)
            else:
                wm = sw[rows]
                wsum = float(wm.sum())
            total = loss_gradient(y[rows], raw, wm, grad_scale / m, grad, None, None, *extra)
            loss_sum += total
            weight_sum += wsum
            if not np.isfinite(total) or total > bound * wsum:
                return 1, loss_sum, weight_sum, step, n_avg
            xtg = (xm.T @ grad).astype(np.float64)
            g_int = grad.sum(axis=0, dtype=np.float64).reshape(k)
            g_coef = scale_col * (xtg - mean_col * (g_int if coef.ndim == 2 else g_int[0]))
            rate = lr / np.sqrt(1.0 + step / decay_steps)
            shrink = 1.0 / (1.0 + rate * penalty / (1.0 - momentum))
            coef_vel *= momentum
            coef_vel += g_coef
            coef -= rate * coef_vel
            coef *= shrink if coef.ndim == 1 else shrink[:, None]
            if fit_intercept:
                intercept_vel *= momentum
                intercept_vel += g_int
                intercept -= rate * intercept_vel
            step += 1
            if start < avg_from:
                continue
            n_avg += 1
            coef_avg += (coef - coef_avg) / n_avg
            intercept_avg += (intercept - intercept_avg) / n_avg
        return 0, loss_sum, weight_sum, step, n_avg

    return epoch


@functools.cache
def epoch_kernel(loss_cls) -> Kernel:
    """The epoch kernel pair bound to ``loss_cls``'s fused loss-gradient kernels.

    Built on first use for each loss, so a newly registered loss gets an SGD
    loop without code of its own.
    """
    pair = loss_cls._kernels.loss_gradient
    kernel = _epoch.specialise(loss_cls.name, loss_gradient=serial(pair))
    kernel.cacheable = pair.numba.cacheable  # it inlines the loss kernel
    return Kernel(kernel, _epoch_numpy(pair.numpy))
