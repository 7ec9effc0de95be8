"""One protocol for every registered loss: ``reduction=`` and ``gradient_hessian``.

Driven by the registry and each loss's declarations (no loss is named here):
per-sample weighted values, gradients and hessians are compared with the
declared reference -- scikit-learn's own ``loss_gradient`` and
``gradient_hessian`` for ``sklearn._loss`` counterparts, the declared formula,
or (``_sgd_fast`` counterparts, which have no hessian) central differences of
the reference's gradient -- on both backends.
"""

import importlib

import numpy as np
import pytest

import fastloss
import test_loss_family as family
from conftest import assert_close, results_by_threads
from fastloss._jit import jit
from fastloss._losses._base import PointwiseLoss
from fastloss._losses._pointwise import pointwise_kernels
from fastloss.losses import LOSSES

REDUCTIONS = ("mean", "sum", "none")
HESSIAN_KINDS = ("exact", "ones", "central_difference")
PARAM_CASES = family.PARAM_CASES
DEFAULT_CASES = family.DEFAULT_CASES


def _weights_of(w, n):
    return np.ones(n) if w is None else w


def _rows(a, w):
    """``w`` broadcast against the rows of ``a``."""
    return w.reshape((-1,) + (1,) * (a.ndim - 1))


def _reference_gradient(cls, loss, y, raw):
    return family.reference(cls, loss, y, raw)[1]


def _difference_quotient(grad_of, raw, h):
    """Central differences ``(g(raw + h e_j) - g(raw - h e_j))[:, j] / 2h``, column by column
    (the diagonal hessian of a loss whose row i depends on raw's row i alone)."""
    cols = raw.reshape(raw.shape[0], -1)
    out = np.empty_like(cols)
    for j in range(cols.shape[1]):
        up, down = cols.copy(), cols.copy()
        step = h * np.maximum(1.0, np.abs(cols[:, j]))
        up[:, j] += step
        down[:, j] -= step
        g_up = grad_of(up.reshape(raw.shape)).reshape(cols.shape)[:, j]
        g_down = grad_of(down.reshape(raw.shape)).reshape(cols.shape)[:, j]
        out[:, j] = (g_up - g_down) / (up[:, j] - down[:, j])
    return out.reshape(raw.shape)


def central_hessian(grad_of, raw, h=1e-5):
    """Hessian by central differences of ``grad_of``, and where it is trusted:
    away from kinks the quotients at steps h and h/2 agree."""
    big = _difference_quotient(grad_of, raw, h)
    small = _difference_quotient(grad_of, raw, h / 2)
    smooth = np.abs(big - small) <= 1e-6 * (np.abs(big) + 1.0)
    return small, smooth


def reference_outputs(cls, loss, y, raw, w):
    """Per-sample ``(w * loss_i, w * dloss_i, w * d2loss_i)`` of the declared
    reference (float64), the hessian's relative tolerance and where it holds."""
    ref = cls.reference
    y = np.asarray(y, np.float64)
    raw = np.ascontiguousarray(raw, np.float64)
    wv = _weights_of(w, raw.shape[0])
    if ref.kind == "sklearn_loss":
        klass = getattr(importlib.import_module(ref.module), ref.name)
        kwargs = {key: getattr(loss, ours) for key, ours in ref.params.items()}
        if ref.n_classes:
            kwargs["n_classes"] = raw.shape[1]
        sk = klass(**kwargs)
        values, grads = sk.loss_gradient(y, raw, sample_weight=w)
        grads2, hess = sk.gradient_hessian(y, raw, sample_weight=w)
        assert_close(grads2, grads, rtol=1e-15)
        s = ref.scale
        return s * values, s * grads, s * hess, 1e-12, np.ones(raw.shape, bool)
    values, grads = family.reference(cls, loss, y, raw)
    values, grads = wv * values, _rows(grads, wv) * grads
    if ref.kind == "formula" and ref.hessian:
        space = {"y": y.astype(np.longdouble), "raw": raw.astype(np.longdouble),
                 "log": np.log, "cosh": np.cosh, "tanh": np.tanh, "exp": np.exp}  # fmt: skip
        with np.errstate(over="ignore"):
            hess = np.asarray(eval(ref.hessian, space), np.float64)  # noqa: S307 - declared text
        return values, grads, _rows(hess, wv) * hess, 1e-12, np.ones(raw.shape, bool)
    # No hessian declared (the _sgd_fast losses): the derivative of the
    # reference's own gradient, away from its kinks.
    hess, smooth = central_hessian(lambda r: _reference_gradient(cls, loss, y, r), raw)
    return values, grads, _rows(hess, wv) * hess, 1e-6, smooth


def expected_for(reduction, values, grads, hess, w, n):
    wsum = float(_weights_of(w, n).sum())
    if reduction == "none":
        return values, grads, hess
    if reduction == "sum":
        return float(values.sum()), grads, hess
    return float(values.sum()) / wsum, grads / wsum, hess / wsum


# -- the declarations ------------------------------------------------------------
@pytest.mark.parametrize("name", DEFAULT_CASES)
def test_hessian_is_declared(name):
    cls = LOSSES[name]
    assert cls.hessian_kind in HESSIAN_KINDS
    if cls.hessian_kind == "ones":
        # scikit-learn's convention: only where its counterpart returns ones.
        assert cls.reference.kind == "sklearn_loss"
    if cls._raw_ndim == 1:
        fallback = cls._kernels.hessian == "central_difference"
        assert fallback == (cls.hessian_kind == "central_difference")


# -- every reduction of every method against the reference -------------------------
@pytest.mark.parametrize("name,params", PARAM_CASES)
def test_reductions_match_reference(backend, name, params, rng):
    cls = LOSSES[name]
    loss = cls(**params)
    n = 300
    y, raw = family.make_case(cls, loss, n, rng)
    w = rng.uniform(0.1, 2.0, size=n)
    for weights in (None, w):
        values, grads, hess, hess_rtol, smooth = reference_outputs(cls, loss, y, raw, weights)
        assert np.isfinite(values).all() and np.isfinite(grads).all() and np.isfinite(hess).all()
        assert smooth.mean() >= 0.9
        wsum = float(_weights_of(weights, n).sum())
        for reduction in REDUCTIONS:
            e_loss, e_grad, e_hess = expected_for(reduction, values, grads, hess, weights, n)
            loss_atol = 1e-14 * float(np.abs(values).sum()) / (wsum if reduction == "mean" else 1.0)
            if reduction == "none":
                loss_atol = family.floor(values)
            g_atol, h_atol = family.floor(e_grad), family.floor(e_hess)
            kw = {"sample_weight": weights, "reduction": reduction}

            got = loss.loss(y, raw, **kw)
            assert (type(got) is float) == (reduction != "none")
            assert_close(got, e_loss, rtol=1e-12, atol=loss_atol)

            value, grad = loss.loss_gradient(y, raw, **kw)
            assert_close(value, e_loss, rtol=1e-12, atol=loss_atol)
            assert_close(grad, e_grad, rtol=1e-12, atol=g_atol)
            assert_close(loss.gradient(y, raw, **kw), e_grad, rtol=1e-12, atol=g_atol)

            grad, hessian = loss.gradient_hessian(y, raw, **kw)
            assert grad.shape == hessian.shape == raw.shape
            assert_close(grad, e_grad, rtol=1e-12, atol=g_atol)
            assert_close(hessian[smooth], e_hess[smooth], rtol=hess_rtol, atol=h_atol)
            if reduction == "none":
                assert got.shape == (n,) and got.dtype == raw.dtype


@pytest.mark.parametrize("name,params", PARAM_CASES)
def test_reductions_are_consistent(backend, name, params, rng):
    cls = LOSSES[name]
    loss = cls(**params)
    n = 200
    y, raw = family.make_case(cls, loss, n, rng)
    w = rng.uniform(0.1, 2.0, size=n)
    for weights in (None, w):
        wsum = float(_weights_of(weights, n).sum())
        out = {r: (loss.loss(y, raw, weights, reduction=r),
                   loss.loss_gradient(y, raw, weights, reduction=r),
                   loss.gradient_hessian(y, raw, weights, reduction=r)) for r in REDUCTIONS}  # fmt: skip
        mean, total, each = out["mean"], out["sum"], out["none"]
        atol = 1e-13 * float(np.abs(each[0]).sum())
        assert_close(total[0], mean[0] * wsum, rtol=1e-12, atol=atol)
        assert_close(each[0].sum(), total[0], rtol=1e-12, atol=atol)
        assert_close(total[1][0], mean[1][0] * wsum, rtol=1e-12, atol=atol)
        assert_close(each[1][0].sum(), total[1][0], rtol=1e-12, atol=atol)
        assert_close(each[1][0], each[0], rtol=1e-13)
        # The gradient of loss_gradient, then the gradient and hessian of gradient_hessian.
        pairs = [(total[1][1], mean[1][1], each[1][1]), *zip(total[2], mean[2], each[2])]
        for got_sum, got_mean, got_none in pairs:
            assert_close(got_mean * wsum, got_sum, rtol=1e-12, atol=family.floor(got_sum))
            assert_close(got_none, got_sum, rtol=1e-13, atol=family.floor(got_sum))
        # The gradient of loss_gradient and of gradient_hessian agree.
        for r in REDUCTIONS:
            assert_close(out[r][2][0], out[r][1][1], rtol=1e-13, atol=family.floor(out[r][1][1]))


@pytest.mark.parametrize("name,params", PARAM_CASES)
def test_hessian_matches_central_differences(backend, name, params, rng):
    cls = LOSSES[name]
    loss = cls(**params)
    n = 40
    y, raw = family.make_case(cls, loss, n, rng)
    w = rng.uniform(0.5, 2.0, size=n)
    _, hess = loss.gradient_hessian(y, raw, w, reduction="sum")
    if cls.hessian_kind == "ones":
        np.testing.assert_array_equal(hess, _rows(hess, w) * np.ones_like(hess))
        return
    numeric, smooth = central_hessian(lambda r: loss.gradient(y, r, w, reduction="sum"), raw)
    assert smooth.mean() >= 0.9
    scale = max(1.0, np.abs(numeric).max())
    assert_close(hess[smooth], numeric[smooth], rtol=1e-6, atol=1e-8 * scale)
    # The mean's hessian is the sum's over sum(w).
    assert_close(loss.gradient_hessian(y, raw, w)[1], hess / w.sum(), rtol=1e-13)


@pytest.mark.parametrize("name,params", PARAM_CASES)
def test_float32_agrees_with_float64(backend, name, params, rng):
    cls = LOSSES[name]
    loss = cls(**params)
    y, raw = family.make_case(cls, loss, 2000, rng)
    y32, raw32 = y.astype(np.float32), raw.astype(np.float32)
    y64, raw64 = y32.astype(np.float64), raw32.astype(np.float64)
    w = rng.uniform(0.5, 2.0, size=raw.shape[0])
    for weights in (None, w):
        for reduction in REDUCTIONS:
            kw = {"sample_weight": weights, "reduction": reduction}
            g32, h32 = loss.gradient_hessian(y32, raw32, **kw)
            g64, h64 = loss.gradient_hessian(y64, raw64, **kw)
            assert g32.dtype == h32.dtype == np.float32 and h32.shape == raw.shape
            assert_close(g32, g64, rtol=1e-5, atol=1e-6 * np.abs(g64).max())
            assert_close(h32, h64, rtol=1e-5, atol=1e-6 * np.abs(h64).max())
            v32, v64 = loss.loss(y32, raw32, **kw), loss.loss(y64, raw64, **kw)
            atol = 1e-6 * (np.abs(v64).max() + 1.0)
            assert_close(v32, v64, rtol=1e-5, atol=atol)
            (lv32, lg32), (lv64, lg64) = (loss.loss_gradient(y32, raw32, **kw),
                                          loss.loss_gradient(y64, raw64, **kw))  # fmt: skip
            assert_close(lv32, lv64, rtol=1e-5, atol=atol)
            assert_close(lg32, lg64, rtol=1e-5, atol=1e-6 * np.abs(lg64).max())
            assert lg32.dtype == np.float32
            if reduction == "none":
                assert v32.dtype == lv32.dtype == np.float32 and v32.shape == (raw.shape[0],)
            else:
                assert isinstance(v32, float) and isinstance(lv32, float)


# -- arguments -----------------------------------------------------------------------
@pytest.mark.parametrize("name", DEFAULT_CASES)
def test_bad_reduction_raises(name, rng):
    cls = LOSSES[name]
    loss = cls()
    y, raw = family.make_case(cls, loss, 5, rng)
    message = "reduction must be one of 'mean', 'sum', 'none'; got "
    for bad in ("avg", "MEAN", "", None, 1, ["mean"]):
        for call in (loss.loss, loss.gradient, loss.loss_gradient, loss.gradient_hessian):
            with pytest.raises(ValueError, match=f"^{message}"):
                call(y, raw, reduction=bad)
    # Keyword only: a fourth positional argument of gradient() is gradient_out.
    with pytest.raises(TypeError):
        loss.loss(y, raw, None, "sum")


@pytest.mark.parametrize("name", DEFAULT_CASES)
def test_output_buffers(backend, name, rng):
    cls = LOSSES[name]
    loss = cls()
    y, raw = family.make_case(cls, loss, 30, rng)
    w = rng.uniform(0.5, 2.0, size=30)
    expected = loss.gradient_hessian(y, raw, w, reduction="none")
    g_out, h_out = np.empty_like(raw), np.empty_like(raw)
    grad, hess = loss.gradient_hessian(y, raw, w, g_out, h_out, reduction="none")
    assert grad is g_out and hess is h_out
    np.testing.assert_array_equal(grad, expected[0])
    np.testing.assert_array_equal(hess, expected[1])
    only_h = np.empty_like(raw)
    assert loss.gradient_hessian(y, raw, w, hessian_out=only_h)[1] is only_h
    readonly = np.empty_like(raw)
    readonly.flags.writeable = False
    bad_buffers = [
        np.empty(raw.shape, np.float32),
        np.empty(raw.size + 1),
        np.empty((raw.shape[0], 2) + raw.shape[1:]),
        np.empty((raw.shape[0] * 2,) + raw.shape[1:])[::2],  # not contiguous
        readonly,
    ]
    for bad in bad_buffers:
        with pytest.raises(ValueError, match="hessian_out must be a writeable C-contiguous array"):
            loss.gradient_hessian(y, raw, hessian_out=bad)
        with pytest.raises(ValueError, match="gradient_out must be a writeable C-contiguous array"):
            loss.gradient_hessian(y, raw, gradient_out=bad)
        for reduction in REDUCTIONS:
            with pytest.raises(ValueError, match="gradient_out must be"):
                loss.loss_gradient(y, raw, gradient_out=bad, reduction=reduction)
    with pytest.raises(TypeError, match="hessian_out must be a numpy array"):
        loss.gradient_hessian(y, raw, hessian_out=raw.tolist())


@pytest.mark.parametrize("name", DEFAULT_CASES)
def test_hessian_out_sharing_memory(backend, name, rng):
    cls = LOSSES[name]
    loss = cls()
    n = 30
    y, raw = family.make_case(cls, loss, n, rng)
    w = rng.uniform(0.5, 2.0, size=n)
    expected = loss.gradient_hessian(y, raw, w, reduction="none")
    size = raw.size

    def run(y_in, raw_in, w_in, **outs):
        try:
            return loss.gradient_hessian(y_in, raw_in, w_in, reduction="none", **outs)
        except ValueError as exc:  # refusing is allowed, if it says why
            assert "share memory" in str(exc) or "must be" in str(exc)
            return None

    # hessian_out is raw_prediction itself, or overlaps it shifted by one
    # element either way (ahead of raw, writing in place would clobber values
    # not read yet).
    for h_at in (2, 1, 3):
        buf = np.empty(size + 4)
        buf[2 : 2 + size] = raw.reshape(-1)
        r_in = buf[2 : 2 + size].reshape(raw.shape)
        got = run(y, r_in, w, hessian_out=buf[h_at : h_at + size].reshape(raw.shape))
        if got is not None:
            np.testing.assert_array_equal(got[1], expected[1])
            np.testing.assert_array_equal(got[0], expected[0])
    # hessian_out over y_true (exactly, and ahead of it), and over the sample weights.
    for h_at in (0, 2):
        buf = np.zeros(size + n + 2)
        buf[:n] = y
        got = run(buf[:n], raw, w, hessian_out=buf[h_at : h_at + size].reshape(raw.shape))
        if got is not None:
            np.testing.assert_array_equal(got[1], expected[1])
            np.testing.assert_array_equal(got[0], expected[0])
    # gradient_out ahead of raw and hessian_out ahead of y, in one call.
    rbuf, ybuf = np.empty(size + 2), np.zeros(size + n + 2)
    rbuf[:size], ybuf[:n] = raw.reshape(-1), y
    got = run(ybuf[:n], rbuf[:size].reshape(raw.shape), w,
              gradient_out=rbuf[2:].reshape(raw.shape),
              hessian_out=ybuf[2 : 2 + size].reshape(raw.shape))  # fmt: skip
    if got is not None:
        np.testing.assert_array_equal(got[0], expected[0])
        np.testing.assert_array_equal(got[1], expected[1])
    buf = np.zeros(size + n)
    buf[size - 1 : size - 1 + n] = w
    got = run(y, raw, buf[size - 1 : size - 1 + n], hessian_out=buf[:size].reshape(raw.shape))
    if got is not None:
        np.testing.assert_array_equal(got[1], expected[1])
    # hessian_out and gradient_out may not share memory.
    buf = np.empty(size + 1)
    for g_out, h_out in ((buf[:size], buf[:size]), (buf[:size], buf[1:])):
        with pytest.raises(ValueError, match="hessian_out must not share memory with gradient_out"):
            loss.gradient_hessian(y, raw, w, g_out.reshape(raw.shape), h_out.reshape(raw.shape))


@pytest.mark.parametrize("name", DEFAULT_CASES)
def test_inputs_are_not_modified(backend, name, rng):
    cls = LOSSES[name]
    loss = cls()
    y, raw = family.make_case(cls, loss, 500, rng)
    w = rng.uniform(size=500)
    for arrays in ((y, raw, w), (y.astype(np.float32), raw.astype(np.float32), w)):
        before = [a.copy() for a in arrays]
        for reduction in REDUCTIONS:
            kw = {"sample_weight": arrays[2], "reduction": reduction}
            loss.loss(*arrays[:2], **kw)
            loss.gradient(*arrays[:2], **kw)
            loss.loss_gradient(*arrays[:2], **kw)
            loss.gradient_hessian(*arrays[:2], **kw)
        for a, b in zip(arrays, before):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", DEFAULT_CASES)
def test_invalid_inputs_raise_for_every_reduction(backend, name, rng):
    cls = LOSSES[name]
    loss = cls()
    y, raw = family.make_case(cls, loss, 8, rng)
    nan_raw = raw.copy()
    nan_raw[2] = np.nan
    for reduction in REDUCTIONS:
        for call in (loss.loss, loss.gradient, loss.loss_gradient, loss.gradient_hessian):
            with pytest.raises(ValueError, match="NaN"):
                call(y, nan_raw, reduction=reduction)
            with pytest.raises(ValueError, match="Negative values"):
                call(y, raw, -np.ones(8), reduction=reduction)
    zero = np.zeros(8)
    with pytest.raises(ValueError, match="at least one non-zero"):
        loss.gradient_hessian(y, raw, zero)
    # A weighted sum of nothing is 0.
    assert loss.loss(y, raw, zero, reduction="sum") == 0.0
    np.testing.assert_array_equal(loss.gradient_hessian(y, raw, zero, reduction="sum")[1], 0.0)



@pytest.mark.parametrize("name", DEFAULT_CASES)
def test_gradient_hessian_refuses_infinite_raw_prediction(backend, name, rng):
    """gradient_hessian computes no loss: it checks its inputs instead, and
    refuses an infinite raw prediction even where the loss there is finite
    (the exponential loss at raw = +inf for y = 1, which loss() accepts)."""
    cls = LOSSES[name]
    loss = cls()
    y, raw = family.make_case(cls, loss, 8, rng)
    for bad in (np.inf, -np.inf):
        infinite = raw.copy()
        infinite.flat[2] = bad
        for reduction in REDUCTIONS:
            with pytest.raises(ValueError, match="Input raw_prediction contains infinity"):
                loss.gradient_hessian(y, infinite, reduction=reduction)

# -- threads and compiled kernels -------------------------------------------------------
@pytest.mark.parametrize("name", DEFAULT_CASES)
def test_threads_give_the_same_results(backend, name, rng):
    cls = LOSSES[name]
    loss = cls()
    n = 120_001
    y, raw = family.make_case(cls, loss, n, rng)
    w = rng.uniform(0.5, 2.0, size=n)
    results = results_by_threads(lambda: (
        *loss.gradient_hessian(y, raw, w),
        *loss.gradient_hessian(y, raw, reduction="none"),
        *loss.loss_gradient(y, raw, w, reduction="none"),
        loss.loss(y, raw, w, reduction="none"),
        loss.loss(y, raw, w, reduction="sum"),
    ))  # fmt: skip
    for a, b in zip(results[1], results[2]):
        # Only the order in which block sums (and sum(w)) are added may differ.
        assert_close(a, b, rtol=1e-13)
    assert np.isfinite(results[1][-1])


@pytest.mark.parametrize("name", [name for name in family.POINTWISE if LOSSES[name].params])
def test_one_compiled_kernel_per_dtype_for_every_method(name, rng):
    cls = LOSSES[name]
    with fastloss.use_backend("numba"):
        for dtype in (np.float64, np.float32):
            counts = []
            for param_set in family.param_sets(cls):
                loss = cls(**param_set)
                y, raw = family.make_case(cls, loss, 20, rng)
                y, raw = y.astype(dtype), raw.astype(dtype)
                loss.gradient_hessian(y, raw)
                loss.loss_gradient(y, raw, reduction="none")
                loss.loss(y, raw, reduction="none")
                counts.append(len(cls._kernels.loss_gradient.numba.dispatcher.signatures))
            assert len(set(counts)) == 1, counts


# -- a user-defined loss without a hessian helper ----------------------------------------
@jit(helper=True, fastmath=None)
def _pseudo_huber(y, raw, theta):
    d = np.float64(raw) - np.float64(y)
    root = np.sqrt(1.0 + d * d)
    return root - 1.0, d / root


def _pseudo_huber_numpy(y, raw, theta):
    d = raw - y
    root = np.sqrt(1.0 + d * d)
    return root - 1.0, d / root


class _PseudoHuber(PointwiseLoss):
    """sqrt(1 + d**2) - 1: built from (loss, gradient) helpers only (not registered)."""

    _kernels = pointwise_kernels("test_pseudo_huber", _pseudo_huber, _pseudo_huber_numpy)


def test_loss_without_hessian_helper_gets_central_differences(backend, rng):
    loss = _PseudoHuber()
    assert _PseudoHuber.hessian_kind == "central_difference"
    n = 500
    y = rng.normal(size=n)
    raw = y + rng.normal(size=n) * np.where(rng.uniform(size=n) < 0.5, 1.0, 1e3)
    w = rng.uniform(0.5, 2.0, size=n)
    d = raw - y
    exact = (1.0 + d * d) ** -1.5  # the analytic second derivative
    for dtype in (np.float64, np.float32):
        yd, rd = y.astype(dtype), raw.astype(dtype)
        dd = rd.astype(np.float64) - yd.astype(np.float64)
        exact = (1.0 + dd * dd) ** -1.5
        grad, hess = loss.gradient_hessian(yd, rd, w, reduction="none")
        assert hess.dtype == dtype
        rtol = 1e-7 if dtype == np.float64 else 1e-6
        assert_close(hess, w * exact, rtol=rtol, atol=1e-12 * w.max())
        assert_close(grad, w * dd / np.sqrt(1.0 + dd * dd), rtol=rtol)
    assert_close(loss.gradient_hessian(y, raw, w)[1], w * (1.0 + d * d) ** -1.5 / w.sum(), rtol=1e-7,
                 atol=1e-12 * w.max() / w.sum())  # fmt: skip


# -- one compiled kernel per dtype, with or without weights, for every output request --
class _TypeRecorder:
    """Stands in for a Numba dispatcher: records the Numba types of each call's arguments."""

    def __init__(self, dispatcher):
        import numba

        self.dispatcher = dispatcher
        self.typeof = numba.typeof
        self.calls = set()

    def __call__(self, *args):
        self.calls.add(tuple(self.typeof(a) for a in args))
        return self.dispatcher(*args)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_one_kernel_type_per_dtype_whatever_is_asked(name, rng):
    """Weights or none, and every reduction and method, reach each compiled
    kernel with the same argument types (absent weights and outputs are
    empty arrays, not None): one compilation per kernel and dtype."""
    cls = LOSSES[name]
    loss = cls()
    kernels = [k.numba for k in vars(cls._kernels).values()]
    with fastloss.use_backend("numba"):
        for dtype in (np.float64, np.float32):
            y, raw = family.make_case(cls, loss, 20, rng)
            raw = raw.astype(dtype)
            if cls._raw_ndim == 1:
                y = y.astype(dtype)
            loss.loss(y, raw)  # builds the dispatchers
            recorders = [_TypeRecorder(k.dispatcher) for k in kernels]
            try:
                for kernel, recorder in zip(kernels, recorders):
                    kernel.dispatcher = recorder
                for w in (None, rng.uniform(0.5, 1.5, raw.shape[0])):
                    for reduction in REDUCTIONS:
                        loss.loss(y, raw, w, reduction=reduction)
                        loss.loss_gradient(y, raw, w, reduction=reduction)
                        loss.gradient(y, raw, w, reduction=reduction)
                        loss.gradient_hessian(y, raw, w, reduction=reduction)
            finally:
                for kernel, recorder in zip(kernels, recorders):
                    kernel.dispatcher = recorder.dispatcher
            # Each kernel the methods run sees one type tuple (a metric's
            # kernel, run by the metric alone, none).
            for kernel, recorder in zip(kernels, recorders):
                assert len(recorder.calls) <= 1, (kernel.__name__, recorder.calls)
            assert len(recorders[kernels.index(cls._kernels.loss_gradient.numba)].calls) == 1
