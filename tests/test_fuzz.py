"""Hostile input: every public function returns scikit-learn's number or raises
ValueError/TypeError -- never another exception, never a crash.

A short run is part of the default suite.  A long one:

    HYPOTHESIS_PROFILE=long python -m pytest tests/test_fuzz.py
"""

import warnings

import numpy as np
import pytest
import sklearn.metrics as skm
from hypothesis import given
from hypothesis import strategies as st

import fastloss
from fastloss.losses import LOSSES
from registry_cases import default_cases

DTYPES = [
    "float64", "float32", "float16", "int64", "int8", "uint8", "bool", "complex128",
    "object", "<U3", "datetime64[D]", ">f8",
]
SPECIAL = [np.nan, np.inf, -np.inf, 1e300, -1e300, 1e-310, 0.0, -0.0, 2.0, -1.0, 0.5]


@st.composite
def arrays(draw, n=None, ndim=None):
    ndim = draw(st.sampled_from([0, 1, 1, 1, 2, 3])) if ndim is None else ndim
    n = draw(st.integers(0, 6)) if n is None else n
    shape = (n,) + tuple(draw(st.integers(0, 3)) for _ in range(ndim - 1)) if ndim else ()
    values = draw(st.lists(st.sampled_from(SPECIAL) | st.floats(-3, 3), min_size=1, max_size=4))
    base = np.resize(np.asarray(values, dtype=np.float64), shape)
    dtype = draw(st.sampled_from(DTYPES))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if dtype == "object":
            return base.astype(object) if draw(st.booleans()) else np.resize(
                np.array(["a", 1, None, 2.5], dtype=object), shape)
        if dtype == "<U3":
            return base.astype("<U3")
        return base.astype(dtype)


@st.composite
def regression_inputs(draw):
    n = draw(st.integers(0, 6))
    y = draw(arrays(n=n if draw(st.booleans()) else None))
    p = draw(arrays(n=n if draw(st.booleans()) else None))
    kwargs = {}
    if draw(st.booleans()):
        kwargs["sample_weight"] = draw(arrays(n=n if draw(st.booleans()) else None))
    kwargs["multioutput"] = draw(st.sampled_from(
        ["uniform_average", "raw_values", "variance_weighted", None, [0.5, 0.5], [1.0, -1.0]]))
    if draw(st.booleans()):
        y, p = y.tolist(), p.tolist()
    return y, p, kwargs


@st.composite
def log_loss_inputs(draw):
    n = draw(st.integers(0, 6))
    y = draw(arrays(n=n if draw(st.booleans()) else None, ndim=draw(st.sampled_from([1, 1, 2]))))
    if draw(st.booleans()):
        y = np.resize(np.array(draw(st.sampled_from([[0, 1], ["a", "b", "c"], [1.5, 2.0],
                                                    [True, False], [-1, 1, 3]]))), max(n, 0))
    p = draw(arrays(n=n if draw(st.booleans()) else None, ndim=draw(st.sampled_from([1, 2]))))
    if draw(st.booleans()):
        p = np.abs(np.nan_to_num(np.asarray(p, dtype=float) if p.dtype.kind in "fiub" else
                                 np.zeros(p.shape), nan=0.5, posinf=1.0, neginf=0.0)) % 1.0
    kwargs = {"normalize": draw(st.sampled_from([True, False, np.True_, "yes"]))}
    if draw(st.booleans()):
        kwargs["sample_weight"] = draw(arrays(n=n if draw(st.booleans()) else None, ndim=1))
    if draw(st.booleans()):
        kwargs["labels"] = draw(st.sampled_from([[0, 1], [0, 1, 2], ["a", "b", "c"], [1], [0.5, 1]]))
    return y, p, kwargs


def outcome(func, args, kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return func(*args, **kwargs), None
        except Exception as exc:  # noqa: BLE001 - classified below
            return None, exc


def precision(*inputs):
    """The float type scikit-learn computes in (float16/32 inputs keep theirs)."""
    dtypes = [a.dtype for a in inputs if isinstance(a, np.ndarray) and a.dtype.kind == "f"]
    return np.finfo(np.result_type(*dtypes) if dtypes else np.float64)


def check(ours, ours_error, theirs, theirs_error, inputs=(), root=False):
    if ours_error is not None:
        assert isinstance(ours_error, (ValueError, TypeError)), repr(ours_error)
        return
    # fastloss answered: scikit-learn must agree (fastloss may refuse more,
    # e.g. negative weights, but never answer where scikit-learn refuses).
    assert theirs_error is None, f"fastloss returned {ours!r}, scikit-learn raised {theirs_error!r}"
    ours, theirs = np.asarray(ours, dtype=float), np.asarray(theirs, dtype=float)
    info = precision(*inputs)
    # fastloss accumulates in float64; scikit-learn in the inputs' float type,
    # where it can round more and overflow where fastloss does not.
    magnitude = np.abs(ours) ** 2 if root else np.abs(ours)  # RMSE overflows when squared
    overflowed = np.isinf(theirs) & np.isfinite(ours) & (magnitude > info.max / 4)
    np.testing.assert_allclose(np.where(overflowed, np.inf, ours), theirs,
                               rtol=max(1e-9, 50 * float(info.eps)), atol=1e-300)


@pytest.mark.parametrize("name", ["mean_squared_error", "root_mean_squared_error",
                                  "mean_absolute_error"])
@given(case=regression_inputs())
def test_regression_metrics_fuzz(backend, name, case):
    y, p, kwargs = case
    ours, ours_error = outcome(getattr(fastloss, name), (y, p), kwargs)
    theirs, theirs_error = outcome(getattr(skm, name), (y, p), kwargs)
    if name == "root_mean_squared_error" and isinstance(theirs_error, TypeError) \
            and "Axis must be specified" in str(theirs_error):
        theirs, theirs_error = None, ValueError("scikit-learn's RMSE multioutput bug")
    check(ours, ours_error, theirs, theirs_error, (y, p, kwargs.get("sample_weight")),
          root=name == "root_mean_squared_error")


@given(case=log_loss_inputs())
def test_log_loss_fuzz(backend, case):
    y, p, kwargs = case
    ours, ours_error = outcome(fastloss.log_loss, (y, p), kwargs)
    theirs, theirs_error = outcome(skm.log_loss, (y, p), kwargs)
    check(ours, ours_error, theirs, theirs_error, (p,))


@pytest.mark.parametrize("loss", default_cases())
@given(y=arrays(), raw=arrays(), weights=st.none() | arrays(ndim=1))
def test_fused_losses_fuzz(backend, loss, y, raw, weights):
    obj = LOSSES[loss]()
    for method in (obj.loss, obj.loss_gradient):
        result, error = outcome(method, (y, raw), {"sample_weight": weights})
        if error is not None:
            assert isinstance(error, (ValueError, TypeError)), repr(error)
        else:
            value = result[0] if isinstance(result, tuple) else result
            assert not np.isnan(value)  # inf only where the true loss overflows
