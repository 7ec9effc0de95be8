"""One SGD epoch over minibatches: a Numba kernel and its NumPy twin.

The model is trained in *standardised* coordinates: with ``z = (x - mean) *
inv_scale`` the raw prediction is ``z @ W + b``.  Standardising is what lets
one set of optimizer defaults work on unscaled data, but ``z`` is never
materialised: each minibatch computes ``x @ (W * inv_scale) + (b - mean @ (W *
inv_scale))`` on the rows of ``x`` itself, and the gradient is mapped back the
same way.  In the dense kernel, with one output of a pointwise loss (binary
classification, regression), each row is read once: its prediction, its loss
and its term of ``x.T @ grad`` are computed while the row is in cache, with
the loss's scalar helper (``elem``, which its fused kernels inline, in
float64); otherwise (several outputs, the softmax loss, and CSR X) the
minibatch's raw predictions go through the fused kernel of the loss
(``loss_gradient``, bound per loss by :func:`epoch_kernel`) and, for dense X,
both products through BLAS (``np.dot``).  Either way the estimators train on
the loss code the public loss objects run.

Optimizer: heavy-ball momentum on the data term, the step ``lr_t = lr * (1 +
t / decay)**(-power)`` at minibatch step ``t`` (every schedule of the
estimators is of this form), the elastic-net penalty applied as a proximal
step: soft-thresholding by ``l1pen`` (exact zeros), then shrinking by
``l2pen`` (stable however stiff ``alpha * inv_scale**2`` is; both scaled by
``1 / (1 - momentum)`` like the momentum-amplified gradient steps, so that the
fixed point is the penalised optimum), and a running average of the iterates over
the iterates (Polyak-Ruppert averaging) that the estimators report as the
model: ``n_avg`` iterates are in the running average on entry (0 restarts
it), and minibatches starting before row ``avg_from`` of the epoch are left
out of it (the first epoch skips its transient from the initial point).

Shapes: the targets ``y`` are (n, ky) and the coefficients (p, k): one
column of targets and of coefficients for one output, ``k`` coefficient
columns against one column of class indices for the softmax loss (whose raw
predictions are (m, k)), and ``k`` of each for one-vs-rest, where a pointwise
loss sees the minibatch's (m, k) targets and raw predictions flattened (so
every class trains in the same pass over X).

State arrays (float64) are updated in place: ``coef`` (p, k),
``intercept`` (k,), the two velocities and the two averages.  Returns
``(status, loss_sum, weight_sum, step, n_avg)``; ``extra`` is the
tuple of the loss's extra kernel arguments (``loss._kernel_args``: its
parameter tuple, or nothing), and ``single`` (last, added by ``_jit``) the
float32 marker of X, passed on to the loss's kernel; status 1 means a minibatch loss was
non-finite or above ``bound``: the caller restores its snapshot and backs off.
"""

from __future__ import annotations

import functools

import numpy as np

from .._jit import jit, parallel_slot, serial, thread_pool
from .._registry import Kernel


@jit(helper=True)
def _flat(a):
    return a.reshape(a.size)


@jit(helper=True)
def _same(a):
    return a


@jit(helper=True)
def _proximal(c, threshold, shrink):
    """The elastic-net proximal step of a coefficient: soft-thresholding by
    ``threshold`` (the L1 term: exact zeros), then shrinking (the L2 term)."""
    if threshold > 0.0:
        if c > threshold:
            c -= threshold
        elif c < -threshold:
            c += threshold
        else:
            c = 0.0
    return c * shrink


@jit(helper=True)
def _gather_weights(sw, order, start, m, ky, wb):
    """The minibatch's weights, each repeated for the ``ky`` target columns; their sum."""
    wsum = 0.0
    for r in range(m):
        wr = sw[order[start + r]]
        wsum += wr
        for q in range(ky):
            wb[r * ky + q] = wr
    return wsum


@jit(helper=True)
def _effective(cf, inv_scale, mean, intercept, efff, shift):
    """The unstandardised weights ``efff`` and intercept ``shift`` of the current iterate."""
    k = intercept.shape[0]
    for q in range(k):
        shift[q] = intercept[q]
    for j in range(inv_scale.shape[0]):
        for q in range(k):
            e = cf[j * k + q] * inv_scale[j]
            efff[j * k + q] = e
            shift[q] -= mean[j] * e


@jit(helper=True)
def _schedule(lr, decay, power, step, start, avg_from, n_avg):
    """The learning rate of minibatch ``step`` (starting at row ``start``),
    the next step, and the averaging: ``(rate, step + 1, n_avg, averaged)``,
    ``averaged`` the iterates in the average after this step (0: averaging
    starts at row ``avg_from``)."""
    rate = lr * (1.0 + step / decay) ** (-power)
    if start >= avg_from:
        return rate, step + 1, n_avg + 1, n_avg + 1
    return rate, step + 1, n_avg, 0


@jit(helper=True)
def _step(cf, cvf, caf, intercept, intercept_vel, intercept_avg, xtg, g_int, mean,
          inv_scale, l2pen, l1pen, rate, momentum, fit_intercept, n_avg, efff, shift):  # fmt: skip
    """One optimizer step from the minibatch gradient ``xtg`` (x.T @ grad, (p*k,),
    zeroed as it is read) and ``g_int``, in one pass over the coefficients.

    The gradient in standardised coordinates is ``inv_scale * (xtg - mean *
    g_int)``: heavy-ball momentum, then the elastic-net proximal step
    (``l1pen`` empty: no L1 term); then, with ``n_avg`` > 0 (the iterates
    in the average, this one included), the running average; then the
    unstandardised weights ``efff`` and intercept ``shift`` of the next
    products (:func:`_effective`'s arithmetic).  With 100,000 features these
    passes are much of a sparse epoch: one reads each array once.
    """
    k = intercept.shape[0]
    p = inv_scale.shape[0]
    damp = 1.0 / (1.0 - momentum)
    if fit_intercept:
        for q in range(k):
            v = momentum * intercept_vel[q] + g_int[q]
            intercept_vel[q] = v
            intercept[q] -= rate * v
    inv = 1.0 / n_avg if n_avg > 0 else 0.0
    if n_avg > 0:
        for q in range(k):
            intercept_avg[q] += (intercept[q] - intercept_avg[q]) * inv
    for q in range(k):
        shift[q] = intercept[q]
    l1 = l1pen.shape[0] != 0  # empty: no L1 term
    for j in range(p):
        s = inv_scale[j]
        shrink = 1.0 / (1.0 + rate * l2pen[j] * damp)
        threshold = rate * l1pen[j] * damp if l1 else 0.0
        for q in range(k):
            idx = j * k + q
            v = momentum * cvf[idx] + s * (xtg[idx] - mean[j] * g_int[q])
            xtg[idx] = 0.0
            cvf[idx] = v
            c = _proximal(cf[idx] - rate * v, threshold, shrink)
            cf[idx] = c
            if n_avg > 0:
                caf[idx] += (c - caf[idx]) * inv
            e = c * s
            efff[idx] = e
            shift[q] -= mean[j] * e


@jit(helper=True)
def _no_elem(y, raw, *theta):
    """Stands for a pointwise loss's ``elem`` in the epoch of a loss without one (not called)."""
    return 0.0, 0.0


@jit(helper=True)
def _no_valid(y, *theta):
    return True


@jit(template=True, marks_float32=0)
def _epoch_csr(
    data, indices, indptr, y, sw, order, batch, mean, inv_scale, coef, intercept, coef_vel,
    intercept_vel, coef_avg, intercept_avg, l2pen, l1pen, lr, decay, power, momentum, grad_scale,
    step, fit_intercept, bound, avg_from, n_avg, rawb, yb, wb, xtg, extra, single=None,
):  # fmt: skip
    """The dense epoch (:func:`_epoch_threads` on one thread) over CSR rows (``data``,
    ``indices``, ``indptr``).

    The products with the minibatch's rows touch only their nonzeros;
    ``xtg`` (p*k float64 zeros) accumulates ``x.T @ grad`` and is zeroed
    again after each step.  The step is the dense kernel's (:func:`_step`:
    every coefficient moves with the momentum and the penalty).  One thread: with a shared
    coefficient vector read at random by both threads and rewritten at each
    step, a two-thread version measured no faster here (each core's random
    reads missed into the other's cache).
    """
    p = inv_scale.shape[0]
    k = intercept.shape[0]
    ky = y.shape[1]
    pk = p * k
    n = order.shape[0]
    cf = coef.reshape(pk)
    cvf = coef_vel.reshape(pk)
    caf = coef_avg.reshape(pk)
    efff = np.empty(pk)
    shift = np.empty(k)
    g_int = np.empty(k)
    loss_sum = 0.0
    weight_sum = 0.0
    _effective(cf, inv_scale, mean, intercept, efff, shift)
    for start in range(0, n, batch):
        m = min(batch, n - start)
        for r in range(m):
            i = order[start + r]
            for q in range(ky):
                yb[r, q] = y[i, q]
            for q in range(k):
                acc = shift[q]
                for nz in range(indptr[i], indptr[i + 1]):
                    acc += data[nz] * efff[indices[nz] * k + q]
                rawb[r, q] = acc
        raw = rawb[:m]
        grad = np.empty_like(raw)
        ym = yb[:m].reshape(m * ky)
        if sw is None:
            total = loss_gradient(
                ym, as_loss_raw(raw), None, grad_scale / m, as_loss_raw(grad), None, None, *extra,
                single,
            )  # fmt: skip
            wsum = float(m)
        else:
            wsum = _gather_weights(sw, order, start, m, ky, wb)
            total = loss_gradient(
                ym, as_loss_raw(raw), wb[: m * ky], grad_scale / m, as_loss_raw(grad), None, None,
                *extra, single,
            )  # fmt: skip
        loss_sum += total
        weight_sum += wsum
        if not np.isfinite(total) or total > bound * wsum:
            return 1, loss_sum, weight_sum, step, n_avg
        for q in range(k):
            g_int[q] = 0.0
        for r in range(m):
            i = order[start + r]
            for q in range(k):
                g = grad[r, q]
                g_int[q] += g
                for nz in range(indptr[i], indptr[i + 1]):
                    xtg[indices[nz] * k + q] += data[nz] * g
        rate, step, n_avg, averaged = _schedule(lr, decay, power, step, start, avg_from, n_avg)
        _step(
            cf, cvf, caf, intercept, intercept_vel, intercept_avg, xtg, g_int, mean, inv_scale,
            l2pen, l1pen, rate, momentum, fit_intercept, averaged, efff, shift,
        )  # fmt: skip
    return 0, loss_sum, weight_sum, step, n_avg


@jit(template=True, marks_float32=5)
def _epoch_threads(
    tid, nthreads, arrive, release, ctl, X, y, sw, order, batch, mean, inv_scale, coef, intercept,
    coef_vel, intercept_vel, coef_avg, intercept_avg, l2pen, l1pen, lr, decay, power, momentum,
    grad_scale, step, fit_intercept, bound, avg_from, n_avg, xb, yb, wb, eff, shift, parts,
    gparts, sums, extra, single=None,
):  # fmt: skip
    """One epoch over minibatches, run by ``nthreads`` threads at once, this one being ``tid``.

    Each minibatch's rows are split into ``nthreads`` contiguous shares; each
    thread computes, for its share, the raw predictions with the shared
    effective weights ``eff``/``shift``, the loss and ``x.T @ grad`` into
    ``parts[tid]`` (row by row for one output of a pointwise loss; else from
    its rows gathered into ``xb[tid]``, through BLAS), and arrives at the
    barrier (``arrive``).  Thread 0 sums the shares in thread order, takes the
    step and computes the next ``eff`` (:func:`_step`), and
    releases the others (``release``), or stops them (``ctl[0] = 1``) when
    the loss diverged.  The model differs from one thread's by the rounding
    of these sums only.  Thread 0 returns ``(status, loss_sum, weight_sum,
    step, n_avg)``; the others return zeros.
    """
    n, p = X.shape
    k = intercept.shape[0]
    ky = y.shape[1]
    pk = p * k
    cf = coef.reshape(pk)
    cvf = coef_vel.reshape(pk)
    caf = coef_avg.reshape(pk)
    efff = eff.reshape(pk)
    xtg = np.zeros(pk)  # (_step zeroes it again as it reads it)
    g_int = np.empty(k)
    own = np.empty(pk)  # this thread's x.T @ grad in the row-by-row pass
    xbt = xb[tid]
    ybt = yb[tid]
    wbt = wb[tid]
    loss_sum = 0.0
    weight_sum = 0.0
    if tid == 0:
        _effective(cf, inv_scale, mean, intercept, efff, shift)
        store_release(release, 0, 1)
    s = 0
    for start in range(0, n, batch):
        s += 1
        if tid != 0:
            while load_acquire(release, 0) < s:
                pass
            if ctl[0] != 0:
                return 0, 0.0, 0.0, step, n_avg
        m = min(batch, n - start)
        share = (m + nthreads - 1) // nthreads
        lo = min(m, tid * share)
        mt = min(m, lo + share) - lo
        part = parts[tid]
        total = 0.0
        wsum = float(mt)
        for q in range(k):
            gparts[tid, q] = 0.0
        if mt == 0:
            for idx in range(pk):
                part[idx] = 0.0
        elif FUSED_ROWS and k == 1 and ky == 1:
            # One output of a pointwise loss: each row is read once, from
            # X itself, its prediction, loss and gradient term computed
            # while it is in L1 (the gathered copy and the two BLAS passes
            # over it read each row three times).
            # Summed in this thread's own buffer, copied to its row of parts
            # once: the rows of parts meet inside a cache line, which writes
            # at every row would bounce between the cores.
            for j in range(p):
                own[j] = 0.0
            scale = grad_scale / m
            g_total = 0.0
            if sw is not None:
                wsum = 0.0
            for r in range(mt):
                i = order[start + lo + r]
                src = X[i]
                acc = 0.0
                for j in range(p):
                    acc += src[j] * efff[j]
                raw_i = acc + shift[0]
                yi = y[i, 0]
                value, slope = elem(yi, raw_i, *extra)
                value = value if valid(yi, *extra) else np.nan
                if sw is None:
                    total += value
                    g = scale * slope
                else:
                    wi = np.float64(sw[i])
                    wsum += wi
                    total += wi * value
                    g = scale * wi * slope
                g_total += g
                for j in range(p):
                    own[j] += src[j] * g
            for j in range(p):
                part[j] = own[j]
            gparts[tid, 0] = g_total
        else:
            for r in range(mt):
                i = order[start + lo + r]
                src = X[i]
                dst = xbt[r]
                for j in range(p):
                    dst[j] = src[j]
                for q in range(ky):
                    ybt[r, q] = y[i, q]
            xm = xbt[:mt]
            raw = np.dot(xm, eff)
            for r in range(mt):
                for q in range(k):
                    raw[r, q] += shift[q]
            grad = np.empty_like(raw)
            ym = ybt[:mt].reshape(mt * ky)
            if sw is None:
                total = loss_gradient(
                    ym, as_loss_raw(raw), None, grad_scale / m, as_loss_raw(grad), None, None,
                    *extra, single,
                )  # fmt: skip
            else:
                wsum = _gather_weights(sw, order, start + lo, mt, ky, wbt)
                total = loss_gradient(
                    ym, as_loss_raw(raw), wbt[: mt * ky], grad_scale / m, as_loss_raw(grad),
                    None, None, *extra, single,
                )  # fmt: skip
            prod = np.dot(xm.T, grad).reshape(pk)
            for idx in range(pk):
                part[idx] = prod[idx]
            for q in range(k):
                g_total = 0.0
                for r in range(mt):
                    g_total += grad[r, q]
                # once: the threads' rows of gparts share a cache line
                gparts[tid, q] = g_total
        sums[tid, 0] = total
        sums[tid, 1] = wsum
        store_release(arrive, tid * 8, s)
        if tid != 0:
            continue
        for t in range(nthreads):
            while load_acquire(arrive, t * 8) < s:
                pass
        total = 0.0
        wsum = 0.0
        for q in range(k):
            g_int[q] = 0.0
        for t in range(nthreads):
            total += sums[t, 0]
            wsum += sums[t, 1]
            for idx in range(pk):
                xtg[idx] += parts[t, idx]
            for q in range(k):
                g_int[q] += gparts[t, q]
        loss_sum += total
        weight_sum += wsum
        if not np.isfinite(total) or total > bound * wsum:
            ctl[0] = 1
            store_release(release, 0, s + 1)
            return 1, loss_sum, weight_sum, step, n_avg
        rate, step, n_avg, averaged = _schedule(lr, decay, power, step, start, avg_from, n_avg)
        _step(
            cf, cvf, caf, intercept, intercept_vel, intercept_avg, xtg, g_int, mean, inv_scale,
            l2pen, l1pen, rate, momentum, fit_intercept, averaged, efff, shift,
        )  # fmt: skip
        store_release(release, 0, s + 1)
    return 0, loss_sum, weight_sum, step, n_avg


def _soft_threshold(c, threshold):
    return np.sign(c) * np.maximum(np.abs(c) - threshold, 0.0)


def _epoch_numpy(loss_gradient, flat):
    """NumPy twin of the epoch kernels (one thread) for the loss kernel ``loss_gradient``."""

    def epoch(
        X, y, sw, order, batch, mean, inv_scale, coef, intercept, coef_vel, intercept_vel,
        coef_avg, intercept_avg, l2pen, l1pen, lr, decay, power, momentum, grad_scale, step,
        fit_intercept, bound, avg_from, n_avg, extra,
    ):  # fmt: skip
        if l1pen.shape[0] == 0:  # no L1 term (as the kernels read it)
            l1pen = np.zeros_like(inv_scale)
        n = X.shape[0]
        ky = y.shape[1]
        loss_sum = 0.0
        weight_sum = 0.0
        damp = 1.0 / (1.0 - momentum)
        for start in range(0, n, batch):
            rows = order[start : start + batch]
            m = rows.shape[0]
            xm = X[rows]
            eff = coef * inv_scale[:, None]
            shift = intercept - mean @ eff
            raw = (xm @ eff.astype(X.dtype)).astype(X.dtype) + shift.astype(X.dtype)
            grad = np.empty_like(raw)
            ym = y[rows].reshape(m * ky)
            if sw is None:
                wm = None
                wsum = float(m)
            else:
                wsum = float(sw[rows].sum())
                wm = np.repeat(sw[rows], ky)
            shape = (lambda a: a.reshape(-1)) if flat else (lambda a: a)
            total = loss_gradient(ym, shape(raw), wm, grad_scale / m, shape(grad), None, None, *extra)
            loss_sum += total
            weight_sum += wsum
            if not np.isfinite(total) or total > bound * wsum:
                return 1, loss_sum, weight_sum, step, n_avg
            xtg = (xm.T @ grad).astype(np.float64)
            g_int = grad.sum(axis=0, dtype=np.float64)
            g_coef = inv_scale[:, None] * (xtg - mean[:, None] * g_int)
            rate = lr * (1.0 + step / decay) ** (-power)
            coef_vel *= momentum
            coef_vel += g_coef
            c = coef - rate * coef_vel
            threshold = (rate * l1pen * damp)[:, None]
            c = np.where(threshold > 0.0, _soft_threshold(c, threshold), c)
            coef[...] = c / (1.0 + rate * l2pen * damp)[:, None]
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


class _ThreadedEpoch:
    """The Numba side of the dense epoch pair: :func:`_epoch_threads` on ``threads`` threads.

    Built on first call (its barrier's atomics import Numba).  One thread
    runs it alone (as fast as a serial kernel was: 67 against 69 ms an
    epoch of 800,000 x 100); more take fastloss's helper threads, when no
    other split kernel holds them (else it runs in one).
    """

    def __init__(self, loss_cls):
        self.loss_cls = loss_cls
        self.kernel = None

    @property
    def py_func(self):
        """The kernel's function, named after the loss's code (its cache entry's name)."""
        if self.kernel is None:
            self._build()
        return self.kernel.py_func

    @property
    def dispatcher(self):
        """The Numba dispatcher (None until first called)."""
        return None if self.kernel is None else self.kernel.dispatcher

    def _build(self):
        from ._atomics import load_acquire, store_release

        pair = self.loss_cls._kernels.loss_gradient
        flat = self.loss_cls._raw_ndim == 1
        kernels = self.loss_cls._kernels
        fused = flat and hasattr(kernels, "elem")
        kernel = _epoch_threads.specialise(
            self.loss_cls.name, loss_gradient=serial(pair), as_loss_raw=_flat if flat else _same,
            load_acquire=load_acquire, store_release=store_release, FUSED_ROWS=fused,
            elem=kernels.elem if fused else _no_elem, valid=kernels.valid if fused else _no_valid,
        )  # fmt: skip
        kernel.cacheable = pair.numba.cacheable  # it inlines the loss kernel
        self.kernel = kernel

    def __call__(self, size, threads, X, y, sw, order, batch, *rest):
        if self.kernel is None:
            self._build()
        *state, extra = rest
        p = X.shape[1]
        k = state[3].shape[0]  # intercept
        ky = y.shape[1]
        with parallel_slot() as got:
            threads = threads if got else 1
            share = -(-batch // threads)
            shared = (
                np.empty((threads, share, p), X.dtype), np.empty((threads, share, ky), y.dtype),
                np.empty((threads, share * ky)), np.empty((p, k), X.dtype), np.empty(k),
                np.empty((threads, p * k)), np.empty((threads, k)), np.empty((threads, 2)),
            )  # fmt: skip
            if threads > 1:
                # Compiled (or loaded) on no rows, before any thread waits on another.
                copies = [a.copy() if isinstance(a, np.ndarray) else a for a in state]
                sw0 = None if sw is None else sw[:0]
                self.kernel(0, 0, 1, *_flags(1), X[:0], y[:0], sw0, order[:0], batch, *copies,
                            *shared, extra)  # fmt: skip
            call = (*_flags(threads), X, y, sw, order, batch, *state, *shared, extra)
            pool = thread_pool(threads - 1) if threads > 1 else None
            others = [pool.submit(self.kernel, 0, tid, threads, *call) for tid in range(1, threads)]
            try:
                return self.kernel(0, 0, threads, *call)
            finally:
                for future in others:
                    future.result()


def _flags(threads):
    """The barrier's arrival flags (one cache line a thread), release flag and stop flag."""
    return np.zeros(threads * 8, np.int64), np.zeros(1, np.int64), np.zeros(1, np.int64)


def _dense_numpy(loss_gradient, flat):
    """The NumPy side of the dense epoch pair (one thread; the twin of :func:`_epoch_threads`)."""
    epoch = _epoch_numpy(loss_gradient, flat)

    def dense(threads, X, y, sw, order, batch, *rest):
        *state, extra = rest
        return epoch(X, y, sw, order, batch, *state, extra)

    return dense


@functools.cache
def epoch_kernel(loss_cls) -> Kernel:
    """The dense epoch kernel pair bound to ``loss_cls``'s fused loss-gradient kernels.

    Called as ``kernel(size, threads, X, y, sw, order, batch, mean, ...,
    n_avg, extra)``.  Built on first use for each loss, so a newly registered
    loss gets an SGD loop without code of its own.  Pointwise losses see the
    minibatch's targets and raw predictions flattened (one-vs-rest trains
    every class at once); the softmax loss sees (m, k) raw predictions.
    """
    pair = loss_cls._kernels.loss_gradient
    return Kernel(_ThreadedEpoch(loss_cls), _dense_numpy(pair.numpy, loss_cls._raw_ndim == 1))


@functools.cache
def epoch_kernel_csr(loss_cls) -> Kernel:
    """:func:`epoch_kernel` for CSR X: ``(data, indices, indptr)`` in place of X.

    Its NumPy twin runs the dense twin on the rebuilt scipy matrix (whose
    products touch only the nonzeros).
    """
    pair = loss_cls._kernels.loss_gradient
    flat = loss_cls._raw_ndim == 1
    kernel = _epoch_csr.specialise(
        loss_cls.name, loss_gradient=serial(pair), as_loss_raw=_flat if flat else _same
    )
    kernel.cacheable = pair.numba.cacheable
    dense = _epoch_numpy(pair.numpy, flat)

    def epoch(data, indices, indptr, y, sw, order, batch, mean, inv_scale, *rest):
        import scipy.sparse as sp

        X = sp.csr_matrix((data, indices, indptr), shape=(indptr.shape[0] - 1, inv_scale.shape[0]))
        *state, _rawb, _yb, _wb, _xtg, extra = rest  # (the CSR kernel's scratch arrays)
        return dense(X, y, sw, order, batch, mean, inv_scale, *state, extra)

    epoch.__name__ = f"epoch_csr_{loss_cls.name}"
    return Kernel(kernel, epoch)
