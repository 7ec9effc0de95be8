"""Accuracy of the vectorisable log/exp helpers, compiled and as plain Python."""

import numpy as np
import pytest

from fastloss import _mathfn
from fastloss._jit import jit


@jit()
def _map_log(x, out):
    for i in range(x.shape[0]):
        out[i] = _mathfn.log_pos(x[i])


@jit()
def _map_exp(x, out):
    for i in range(x.shape[0]):
        out[i] = _mathfn.exp_nonpos(x[i])


@jit()
def _map_exp_real(x, out):
    for i in range(x.shape[0]):
        out[i] = _mathfn.exp_real(x[i])


@jit()
def _map_log32(x, out):
    for i in range(x.shape[0]):
        out[i] = _mathfn.log_pos32(x[i])


@jit()
def _map_exp32(x, out):
    for i in range(x.shape[0]):
        out[i] = _mathfn.exp_nonpos32(x[i])


@jit()
def _map_log_pos_div(x, out):
    for i in range(x.shape[0]):
        out[i] = _mathfn.log_pos_div(x[i])


@jit()
def _map_log_nonneg(x, out):
    for i in range(x.shape[0]):
        out[i] = _mathfn.log_nonneg(x[i])


@jit()
def _map_log1p_real(x, out):
    for i in range(x.shape[0]):
        out[i] = _mathfn.log1p_real(x[i])


@jit()
def _map_log_ratio(a, b, out):
    for i in range(a.shape[0]):
        out[i] = _mathfn.log_ratio(a[i], b[i])


@jit()
def _map_log_checked(x, out, flag):
    for i in range(x.shape[0]):
        out[i], flag[i] = _mathfn.log_checked(x[i])


@jit()
def _map_log1p_ratio(t, v, out):
    for i in range(t.shape[0]):
        out[i] = _mathfn.log1p_ratio(t[i], v[i])


def _ulps(got, exact):
    """Error in units of the last place of the correctly rounded result."""
    rounded = exact.astype(np.float64)
    spacing = np.spacing(np.abs(rounded))
    return np.abs(got.astype(np.longdouble) - exact) / spacing


@pytest.fixture(scope="module")
def rng():
    return np.random.default_rng(20261123)


def _log_inputs(rng):
    return np.concatenate([
        10.0 ** rng.uniform(-300, 300, 200_000),
        10.0 ** rng.uniform(-16, 0, 200_000),
        rng.uniform(0.0, 1.0, 200_000) + 1e-300,
        1.0 + rng.uniform(-0.02, 0.02, 200_000),
        np.array([np.finfo(np.float64).eps, 0.5, 1.0, 2.0, np.nextafter(1.0, 0), np.nextafter(1.0, 2)]),
    ])


def _exp_inputs(rng):
    return np.concatenate([
        rng.uniform(-745.0, 0.0, 200_000),
        rng.uniform(-1.0, 0.0, 200_000),
        -(10.0 ** rng.uniform(-300, 0, 200_000)),
        np.array([0.0, -0.0, -1e-300, -708.0, -745.0]),
    ])


def test_log_pos_within_1_5_ulp(rng):
    x = _log_inputs(rng)
    out = np.empty_like(x)
    _map_log(0, x, out)
    exact = np.log(x.astype(np.longdouble))
    assert _ulps(out, exact).max() < 1.5
    assert out[x == 1.0].tolist() == [0.0]


def test_log_pos_div_within_1_ulp():
    x = _log_inputs(np.random.default_rng(3))
    out = np.empty_like(x)
    _map_log_pos_div(0, x, out)
    assert _ulps(out, np.log(x.astype(np.longdouble))).max() < 1.0
    assert out[x == 1.0].tolist() == [0.0]


def test_log_nonneg_within_1_5_ulp_and_special_values():
    rng = np.random.default_rng(1)  # not the module's stream: the later tests' inputs stay put
    x = np.concatenate([_log_inputs(rng), 10.0 ** rng.uniform(-323.5, -307.7, 50_000)])  # subnormals
    out = np.empty_like(x)
    _map_log_nonneg(0, x, out)
    assert _ulps(out, np.log(x.astype(np.longdouble))).max() < 1.5
    special = np.array([0.0, -0.0, np.inf, np.nan, -1.0, -np.inf, 5e-324])
    out = np.empty_like(special)
    _map_log_nonneg(0, special, out)
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(out, np.log(special))


def test_log1p_real_within_3_ulp_and_special_values():
    rng = np.random.default_rng(2)
    t = np.concatenate([
        rng.uniform(-1.0, 1.0, 200_000),
        -1.0 + 10.0 ** rng.uniform(-16, 0, 200_000),  # 1 + t exact there
        10.0 ** rng.uniform(-300, 300, 200_000),
        -(10.0 ** rng.uniform(-300, -0.31, 200_000)),
    ])
    out = np.empty_like(t)
    _map_log1p_real(0, t, out)
    exact = np.log1p(t.astype(np.longdouble))
    assert _ulps(out, exact).max() < 3
    special = np.array([0.0, -0.0, np.inf, np.nan, 5e-324, -5e-324])
    out = np.empty_like(special)
    _map_log1p_real(0, special, out)
    np.testing.assert_array_equal(out, np.log1p(special))
    assert np.signbit(out[1])


def _exact_log_ratio(a, b):
    """log(a / b) in long double: through log1p of the (exact) relative
    difference where a and b are close, as logs' difference cancels there."""
    a, b = a.astype(np.longdouble), b.astype(np.longdouble)
    close = (a < 2 * b) & (b < 2 * a)
    with np.errstate(all="ignore"):  # both branches are computed
        return np.where(close, np.log1p((a - b) / b), np.log(a) - np.log(b))


def test_log_ratio_within_2_ulp():
    rng = np.random.default_rng(4)
    wide = 10.0 ** rng.uniform(-300, 300, 200_000)
    a = np.concatenate([wide, 10.0 ** rng.uniform(-3, 3, 200_000)])
    b = np.concatenate([
        10.0 ** rng.uniform(-300, 300, 200_000),  # quotients to 1e±600, never formed
        a[200_000:] * (1 + rng.normal(size=200_000) * 1e-6),  # quotients near 1
    ])
    out = np.empty_like(a)
    _map_log_ratio(0, a, b, out)
    assert _ulps(out, _exact_log_ratio(a, b)).max() < 2.0
    same = np.array([1.0, 0.3, 7e200])
    _map_log_ratio(0, same, same.copy(), out[:3])
    assert out[:3].tolist() == [0.0, 0.0, 0.0]


def test_log_checked_flags_what_log_pos_div_does_not_take():
    x = np.concatenate([_log_inputs(np.random.default_rng(6)), [np.finfo(np.float64).tiny]])
    out, flag = np.empty_like(x), np.empty_like(x)
    _map_log_checked(0, x, out, flag)
    assert (flag == 0.0).all()  # positive, normal, finite: taken
    assert _ulps(out, np.log(x.astype(np.longdouble))).max() < 1.0
    rare = np.array([0.0, -1.0, 5e-324, 1e-310, np.inf, np.nan, -np.inf])
    out, flag = np.empty_like(rare), np.empty_like(rare)
    _map_log_checked(0, rare, out, flag)
    assert not (flag == 0.0).any()


def test_log1p_ratio_within_3_5_ulp():
    rng = np.random.default_rng(5)
    t = np.concatenate([
        rng.uniform(-1.0, 1.0, 100_000),
        -1.0 + 10.0 ** rng.uniform(-16, 0, 100_000),
        10.0 ** rng.uniform(-300, 300, 100_000),
        10.0 ** rng.uniform(-17, 0, 100_000) * rng.choice([-1, 1], 100_000),
        10.0 ** rng.uniform(-323.5, -307.7, 1000),  # subnormals
    ])
    near = t * np.exp(rng.normal(size=t.size) * 0.5)
    v = np.where(rng.uniform(size=t.size) < 0.5, near, rng.permutation(t))
    v = np.maximum(v, -1.0 + 1e-16)
    v[:100] = 1e308  # quotients beyond the float64 range, never rounded
    out = np.empty_like(t)
    _map_log1p_ratio(0, t, v, out)
    tl, vl = t.astype(np.longdouble), v.astype(np.longdouble)
    exact = np.log1p(tl) - np.log1p(vl)
    # The larger log1p's ulp: what NumPy's difference of two log1p is within.
    scale = np.maximum(np.abs(np.log1p(t)), np.abs(np.log1p(v)))
    errors = np.abs(out.astype(np.longdouble) - exact) / np.spacing(scale)
    assert errors.max() < 3.5  # NumPy's own difference: 2
    out = np.empty(4)
    t, v = np.array([np.inf, 0.5, np.nan, 0.5]), np.array([0.5, np.inf, 0.5, -np.inf])
    _map_log1p_ratio(0, t, v, out)
    assert np.isnan(out).all()


def test_exp_nonpos_within_1_ulp(rng):
    x = _exp_inputs(rng)
    out = np.empty_like(x)
    _map_exp(0, x, out)
    exact = np.exp(x.astype(np.longdouble))
    normal = exact >= np.finfo(np.float64).tiny
    assert _ulps(out[normal], exact[normal]).max() < 1.0
    # Subnormal results: within one unit of the smallest subnormal.
    assert np.abs(out[~normal] - exact[~normal].astype(np.float64)).max() <= 5e-324
    edges = np.array([-746.5, np.nan])
    out = np.empty_like(edges)
    _map_exp(0, edges, out)
    assert np.exp(-746.5) == 0.0 and out[0] == 0.0
    assert np.isnan(out[1])


def test_exp_real_within_1_ulp():
    rng = np.random.default_rng(20261129)  # its own: the module's rng feeds the tests after it
    x = np.concatenate([
        _exp_inputs(rng),
        rng.uniform(0.0, 709.78, 200_000),
        rng.uniform(-1.0, 1.0, 200_000),
        10.0 ** rng.uniform(-300, 2.85, 200_000),
        np.array([709.78, 709.782712893384, -745.13, 1e-300, 1.0, 2.0, 100.0]),
    ])
    out = np.empty_like(x)
    _map_exp_real(0, x, out)
    exact = np.exp(x.astype(np.longdouble))
    normal = exact >= np.finfo(np.float64).tiny
    assert _ulps(out[normal], exact[normal]).max() < 1.0
    assert np.abs(out[~normal] - exact[~normal].astype(np.float64)).max() <= 5e-324
    edges = np.array([709.79, 710.0, 800.0, 1e308, np.inf, -np.inf, -1e308, np.nan, 0.0, -0.0])
    out = np.empty_like(edges)
    _map_exp_real(0, edges, out)
    with np.errstate(over="ignore"):
        np.testing.assert_array_equal(out, np.exp(edges))
    assert [_mathfn.exp_real.py_func(v) for v in x[::4999]] == out_plain(x[::4999])


def out_plain(x):
    out = np.empty_like(x)
    _map_exp_real(0, x, out)
    return out.tolist()


def test_helpers_refuse_python_calls():
    """Helpers have no CPython wrapper: a call from Python raises, not crashes."""
    _map_log(0, np.ones(1), np.empty(1))  # builds the helpers
    with pytest.raises(TypeError, match="kernel helper"):
        _mathfn.log_pos(2.0)


def test_plain_python_matches_compiled(rng):
    x = _log_inputs(rng)[::997]
    compiled = np.empty_like(x)
    _map_log(0, x, compiled)
    assert [_mathfn.log_pos.py_func(v) for v in x] == compiled.tolist()
    z = _exp_inputs(rng)[::997]
    compiled = np.empty_like(z)
    _map_exp(0, z, compiled)
    assert [_mathfn.exp_nonpos.py_func(v) for v in z] == compiled.tolist()


def _ulps32(got, exact):
    rounded = exact.astype(np.float32)
    return np.abs(got.astype(np.float64) - exact) / np.spacing(np.abs(rounded)).astype(np.float64)


def test_float32_log_and_exp(rng):
    x = np.concatenate([
        (10.0 ** rng.uniform(-37, 38, 200_000)).astype(np.float32),
        rng.uniform(1e-7, 1.0, 200_000).astype(np.float32),
        (1.0 + rng.uniform(-0.02, 0.02, 200_000)).astype(np.float32),
    ])
    out = np.empty_like(x)
    _map_log32(0, x, out)
    assert out.dtype == np.float32
    assert _ulps32(out, np.log(x.astype(np.float64))).max() < 1.0
    z = np.concatenate([
        rng.uniform(-87.0, 0.0, 200_000), rng.uniform(-1.0, 0.0, 200_000),
    ]).astype(np.float32)
    out = np.empty_like(z)
    _map_exp32(0, z, out)
    assert _ulps32(out, np.exp(z.astype(np.float64))).max() < 1.5
    edges = np.array([-105.0, np.nan], dtype=np.float32)
    out = np.empty_like(edges)
    _map_exp32(0, edges, out)
    assert out[0] == 0.0 and np.isnan(out[1])
