"""Memory layouts and dtypes: correct results, inputs never modified."""

import hashlib

import numpy as np
import pytest
import sklearn.metrics as skm

import fastloss
from fastloss.losses import LOSSES
from registry_cases import default_cases, make_case
from conftest import assert_close


def fingerprint(a):
    a = np.asarray(a)
    return (a.shape, a.dtype.str, a.strides, hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest())


def layouts(base, tmp_path, name):
    """The same values as ``base`` (1-D float64) in many layouts."""
    n = base.shape[0]
    readonly = base.copy()
    readonly.flags.writeable = False
    path = tmp_path / f"{name}.dat"
    mm = np.memmap(path, dtype=np.float64, mode="w+", shape=(n,))
    mm[:] = base
    mm.flush()
    mm = np.memmap(path, dtype=np.float64, mode="r", shape=(n,))
    strided = np.empty(2 * n)
    strided[::2] = base
    return {
        "readonly": readonly,
        "memmap": mm,
        "strided": strided[::2],
        "reversed": base[::-1].copy()[::-1],
        "big_endian": base.astype(">f8"),
        "fortran_column": np.asfortranarray(np.c_[base, base])[:, 0],
        "float32_exact": base.astype(np.float32).astype(np.float64),
    }


@pytest.fixture
def data(rng):
    n = 60_001  # above the parallel threshold
    y = np.round(rng.normal(size=n), 3)
    p = np.round(y + rng.normal(size=n), 3)
    return y, p


@pytest.mark.parametrize("name", ["mean_squared_error", "root_mean_squared_error",
                                  "mean_absolute_error"])
def test_regression_layouts(backend, name, data, tmp_path):
    y, p = data
    f, g = getattr(fastloss, name), getattr(skm, name)
    for label, y_variant in layouts(y, tmp_path, "y").items():
        for p_label, p_variant in layouts(p, tmp_path, "p").items():
            if label != p_label and "readonly" not in (label, p_label):
                continue  # all pairs would be slow; diagonal plus read-only mixes
            before = (fingerprint(y_variant), fingerprint(p_variant))
            assert_close(f(y_variant, p_variant), g(np.asarray(y_variant, float),
                                                   np.asarray(p_variant, float)))
            assert (fingerprint(y_variant), fingerprint(p_variant)) == before


def test_broadcast_and_integer_inputs(backend, rng):
    n = 60_000
    y = np.broadcast_to(np.float64(2.5), (n,))  # zero stride
    p = rng.normal(size=n)
    assert_close(fastloss.mean_squared_error(y, p), skm.mean_squared_error(y, p))
    yi = rng.integers(-5, 5, size=n)
    pi = rng.integers(-5, 5, size=n).astype(np.int32)
    assert_close(fastloss.mean_absolute_error(yi, pi), skm.mean_absolute_error(yi, pi))
    yb = rng.integers(0, 2, size=n).astype(bool)
    assert_close(fastloss.mean_squared_error(yb, p), skm.mean_squared_error(yb, p))
    pb = rng.uniform(size=n)
    assert_close(fastloss.log_loss(yb, pb), skm.log_loss(yb, pb))


def test_two_d_layouts(backend, rng, tmp_path):
    n = 30_000
    y = rng.normal(size=(n, 3))
    p = rng.normal(size=(n, 3))
    expected = skm.mean_squared_error(y, p, multioutput="raw_values")
    variants = [
        np.asfortranarray(y),
        y.astype(">f8"),
        np.repeat(y, 2, axis=1)[:, ::2],  # strided columns
        np.c_[y, y][:, :3],  # non-contiguous rows
    ]
    for v in variants:
        before = fingerprint(v)
        assert_close(fastloss.mean_squared_error(v, p, multioutput="raw_values"), expected)
        assert fingerprint(v) == before


def test_log_loss_label_dtypes(backend, rng):
    n = 60_000
    codes = rng.integers(0, 3, size=n)
    p = rng.dirichlet(np.ones(3), size=n)
    expected = skm.log_loss(codes, p)
    for dtype in (np.int8, np.uint8, np.int16, np.int32, np.uint64, np.float32, np.float64, ">i8"):
        labels = codes.astype(dtype)
        before = fingerprint(labels)
        assert_close(fastloss.log_loss(labels, p), expected)
        assert fingerprint(labels) == before
    readonly = p.copy()
    readonly.flags.writeable = False
    assert_close(fastloss.log_loss(codes, readonly), expected)
    assert_close(fastloss.log_loss(codes, np.asfortranarray(p)), expected)


@pytest.mark.parametrize("loss_name", default_cases())
def test_losses_accept_layouts_without_modifying(backend, loss_name, rng):
    n = 60_000
    cls = LOSSES[loss_name]
    loss = cls()
    y, raw = make_case(cls, loss, n, rng)
    if cls._raw_ndim == 2:
        y = y.astype(np.int64)
        k = raw.shape[1]
        variants = [np.asfortranarray(raw), raw.astype(">f8"), np.c_[raw, raw][:, :k]]
    else:
        strided = np.empty(2 * n)
        strided[::2] = raw
        variants = [strided[::2], raw.astype(">f8"), np.broadcast_to(raw[:1], (n,))]
    readonly_y = y.copy()
    readonly_y.flags.writeable = False
    for v in variants:
        expected_loss, expected_grad = loss.loss_gradient(y, np.ascontiguousarray(v, float))
        before = (fingerprint(v), fingerprint(readonly_y))
        value, grad = loss.loss_gradient(readonly_y, v)
        assert_close(value, expected_loss)
        assert_close(grad, expected_grad)
        assert (fingerprint(v), fingerprint(readonly_y)) == before
