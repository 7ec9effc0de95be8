"""Hostile input: every public function returns scikit-learn's number or raises
ValueError/TypeError -- never another exception, never a crash.

A short run is part of the default suite.  A long one:

    HYPOTHESIS_PROFILE=long python -m pytest tests/test_fuzz.py
"""

import warnings

import numpy as np
import pytest
import sklearn.metrics as skm
from hypothesis import given, settings
from hypothesis import strategies as st

import fastloss
from fastloss._registry import CLASS_METRICS
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


@pytest.mark.parametrize("name", sorted(CLASS_METRICS))
@given(case=log_loss_inputs(), extra=st.sampled_from([{}, {"pos_label": 1}, {"pos_label": "a"},
                                                      {"scale_by_half": True}]))
def test_class_metrics_fuzz(backend, name, case, extra):
    """The metrics of class predictions, on log_loss's hostile inputs."""
    y, p, kwargs = case
    kwargs = {k: v for k, v in {**kwargs, **extra}.items()
              if k == "sample_weight" or k in CLASS_METRICS[name].keywords}  # fmt: skip
    ours, ours_error = outcome(getattr(fastloss, name), (y, p), kwargs)
    theirs, theirs_error = outcome(getattr(skm, name), (y, p), kwargs)
    kind = np.asarray(p).dtype.kind
    if not CLASS_METRICS[name].proba and np.asarray(p).size and (
        kind == "u" or (kind == "i" and np.abs(np.asarray(p, dtype=float)).max() >= 2.0**62)
    ):
        # Decision values: scikit-learn's integer margins wrap around
        # (unsigned, or beyond int64); fastloss's float64 ones do not.
        theirs, theirs_error = ours, ours_error
    if CLASS_METRICS[name].greater_is_better and ours_error is None and theirs_error is None:
        ours, theirs = 1 - ours, 1 - theirs  # a score near 0: compared as its ratio
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


# -- pandas extension dtypes and Dask blocks (issue #16) --------------------------------
#
# The reference is scikit-learn on the NumPy equivalent, built here (not by
# fastloss): a nullable column without pd.NA is its NumPy dtype, with pd.NA
# it is floats (float32 stays float32) with NaN in its place.

pd = pytest.importorskip("pandas")
da = pytest.importorskip("dask.array")

EXTENSION = {"Float64": np.float64, "Float32": np.float32, "Int64": np.int64, "boolean": np.bool_}
BAD = [np.nan, np.inf, -np.inf, -1.0, 2.0]
#: Each example computes through Dask's scheduler: fewer of them by default.
FEW = settings(max_examples=max(10, settings.default.max_examples // 3))


def strict(ours, ours_error, theirs, theirs_error, inputs=(), negative_weights=False,
           root=False):
    """scikit-learn's number, or an exception of scikit-learn's type.

    The one deliberate difference: negative sample weights raise ValueError.
    """
    if ours_error is not None and negative_weights and "Negative values" in str(ours_error):
        assert isinstance(ours_error, ValueError)
        return
    if theirs_error is not None:
        assert ours_error is not None, f"fastloss returned {ours!r}, scikit-learn raised {theirs_error!r}"
        for kind in (ValueError, TypeError):
            if isinstance(theirs_error, kind):
                assert isinstance(ours_error, kind), (ours_error, theirs_error)
        return
    assert ours_error is None, f"fastloss raised {ours_error!r}, scikit-learn returned {theirs!r}"
    check(ours, None, theirs, None, inputs, root=root)


@st.composite
def nullable(draw, n, ndim=1, probabilities=False):
    """(pandas object with extension dtypes, its NumPy equivalent)."""
    width = draw(st.integers(1, 3)) if ndim == 2 else 1
    values = draw(st.lists(st.sampled_from([0.0, 1.0, 0.25, 0.5, 3.0, -2.0, np.inf, -np.inf]),
                           min_size=n * width, max_size=n * width))
    base = np.asarray(values).reshape(n, width)
    if probabilities:
        base = np.clip(base, 0.0, 1.0)
    names = [draw(st.sampled_from(sorted(EXTENSION))) for _ in range(width)]
    columns, numpy_columns = [], []
    for j, name in enumerate(names):
        dtype = EXTENSION[name]
        col = base[:, j]
        if dtype == np.bool_:
            col = col > 0.3
        elif dtype == np.int64:
            col = np.clip(col, -7, 7)
        with np.errstate(over="ignore"):
            col = col.astype(dtype)
        missing = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
        missing &= draw(st.booleans())
        ext = pd.array(col, dtype=name)
        if missing.any():
            ext[missing] = pd.NA
            col = col.astype(np.float32 if dtype == np.float32 else np.float64)
            col[missing] = np.nan
        columns.append(ext)
        numpy_columns.append(col)
    if ndim == 2:
        frame = pd.DataFrame({f"c{j}": c for j, c in enumerate(columns)})
        equivalent = np.column_stack(numpy_columns)
        if len({c.dtype for c in numpy_columns}) > 1:
            equivalent = np.column_stack([c.astype(np.float64) for c in numpy_columns])
        return frame, equivalent
    container = draw(st.sampled_from(["series", "array"]))
    obj = pd.Series(columns[0]) if container == "series" else columns[0]
    return obj, numpy_columns[0]


@st.composite
def nullable_regression(draw):
    n = draw(st.integers(1, 5))
    ndim = draw(st.sampled_from([1, 2]))
    inputs = []
    for _ in range(2):
        if draw(st.booleans()):
            inputs.append(draw(nullable(n, ndim)))
        else:
            a = np.asarray(draw(st.lists(st.floats(-3, 3), min_size=n, max_size=n)))
            inputs.append((a, a))
    if ndim == 2:  # the plain NumPy side: as many columns as the pandas side
        width = max(np.shape(eq)[1] if np.ndim(eq) == 2 else 1 for _, eq in inputs)
        inputs = [(obj, eq) if np.ndim(eq) == 2 else (np.tile(eq[:, None], width),) * 2
                  for obj, eq in inputs]
    weight = (None, None)
    if draw(st.booleans()):
        weight = draw(nullable(n))
    multioutput = draw(st.sampled_from(["uniform_average", "raw_values"]))
    return inputs[0], inputs[1], weight, multioutput


@pytest.mark.parametrize("name", ["mean_squared_error", "root_mean_squared_error",
                                  "mean_absolute_error"])
@FEW
@given(case=nullable_regression())
def test_regression_metrics_nullable_fuzz(backend, name, case):
    (y, y_np), (p, p_np), (w, w_np), multioutput = case
    kwargs = {"multioutput": multioutput}
    ours, ours_error = outcome(getattr(fastloss, name), (y, p), {**kwargs, "sample_weight": w})
    theirs, theirs_error = outcome(getattr(skm, name), (y_np, p_np),
                                   {**kwargs, "sample_weight": w_np})
    strict(ours, ours_error, theirs, theirs_error, (y_np, p_np, w_np),
           negative_weights=w_np is not None and bool(np.any(w_np < 0)),
           root=name == "root_mean_squared_error")


@FEW
@given(data=st.data())
def test_log_loss_nullable_fuzz(backend, data):
    n = data.draw(st.integers(1, 5))
    y, y_np = data.draw(nullable(n))
    if data.draw(st.booleans()):
        p, p_np = data.draw(nullable(n, ndim=data.draw(st.sampled_from([1, 2])), probabilities=True))
    else:
        p_np = np.asarray(data.draw(st.lists(st.floats(0, 1), min_size=n, max_size=n)))
        p = p_np.tolist()
    # scikit-learn's check_array(dtype=[float64, float32]) makes every pandas
    # extension dtype float64 (Float32 included): so is the NumPy equivalent.
    p_np = np.asarray(p_np, dtype=np.float64)
    w, w_np = data.draw(st.none().map(lambda _: (None, None)) | nullable(n))
    labels = data.draw(st.sampled_from([None, [0, 1], [0, 1, 3], [False, True]]))
    ours, ours_error = outcome(fastloss.log_loss, (y, p), {"sample_weight": w, "labels": labels})
    theirs, theirs_error = outcome(skm.log_loss, (y_np, p_np),
                                   {"sample_weight": w_np, "labels": labels})
    strict(ours, ours_error, theirs, theirs_error, (p_np,),
           negative_weights=w_np is not None and bool(np.any(w_np < 0)))


@st.composite
def dask_or_not(draw, a):
    """``a`` as a Dask array chunked along samples, a list, or itself."""
    kind = draw(st.sampled_from(["dask", "dask", "numpy", "list"]))
    if kind == "list":
        return a.tolist()
    if kind == "numpy" or a.ndim == 0:
        return da.from_array(a) if kind == "dask" else a
    n = a.shape[0]
    cuts = sorted(set(draw(st.lists(st.integers(1, max(n - 1, 1)), max_size=3))) - {n})
    sizes = tuple(np.diff([0, *cuts, n])) if n else (0,)
    return da.from_array(a, chunks=(sizes,) + a.shape[1:])


@st.composite
def with_bad_value(draw, a, bad=BAD):
    """``a`` (float) with, perhaps, one bad value at any position (so in any block)."""
    a = np.array(a, dtype=np.float64)
    if a.size and draw(st.booleans()):
        a.flat[draw(st.integers(0, a.size - 1))] = draw(st.sampled_from(bad))
    return a


@pytest.mark.parametrize("name", ["mean_squared_error", "root_mean_squared_error",
                                  "mean_absolute_error"])
@FEW
@given(data=st.data())
def test_regression_metrics_dask_fuzz(backend, name, data):
    n = data.draw(st.integers(0, 9))
    shape = (n,) if data.draw(st.booleans()) else (n, 2)
    if data.draw(st.integers(0, 9)) == 0:
        shape = ()  # 0-d
    base = np.arange(np.prod(shape), dtype=np.float64).reshape(shape) / 3
    y_np = data.draw(with_bad_value(base))
    p_np = data.draw(with_bad_value(base[::-1] if base.ndim else base))
    w_np = data.draw(st.none() | with_bad_value(np.linspace(0.5, 2, n)))
    inputs = [data.draw(dask_or_not(a)) if a is not None else None for a in (y_np, p_np, w_np)]
    if not any(type(a).__module__.startswith("dask") for a in inputs):
        inputs[0] = da.from_array(y_np)
    mo = data.draw(st.sampled_from(["uniform_average", "raw_values"]))
    ours, ours_error = outcome(getattr(fastloss, name), inputs[:2],
                               {"sample_weight": inputs[2], "multioutput": mo})
    theirs, theirs_error = outcome(getattr(skm, name), (y_np, p_np),
                                   {"sample_weight": w_np, "multioutput": mo})
    strict(ours, ours_error, theirs, theirs_error, (y_np, p_np),
           negative_weights=w_np is not None and bool(np.any(w_np < 0)),
           root=name == "root_mean_squared_error")


@FEW
@given(data=st.data())
def test_log_loss_dask_fuzz(backend, data):
    n = data.draw(st.integers(1, 9))
    classes = data.draw(st.sampled_from([np.array([0, 1]), np.array([0, 1, 2]),
                                         np.array(["a", "b", "c"])]))
    y_np = classes[np.array(data.draw(st.lists(st.integers(0, len(classes) - 1),
                                               min_size=n, max_size=n)))]
    k = len(classes) if len(classes) > 2 or data.draw(st.booleans()) else 1
    rows = np.linspace(0.1, 0.9, n * k).reshape(n, k)
    rows = rows / rows.sum(axis=1, keepdims=True) if k > 1 else rows[:, 0]
    p_np = data.draw(with_bad_value(rows))
    w_np = data.draw(st.none() | with_bad_value(np.linspace(0.5, 2, n)))
    labels = classes if data.draw(st.booleans()) else None
    inputs = [data.draw(dask_or_not(a)) if a is not None else None for a in (y_np, p_np, w_np)]
    if not any(type(a).__module__.startswith("dask") for a in inputs):
        inputs[1] = da.from_array(p_np)
    ours, ours_error = outcome(fastloss.log_loss, inputs[:2],
                               {"sample_weight": inputs[2], "labels": labels})
    theirs, theirs_error = outcome(skm.log_loss, (y_np, p_np),
                                   {"sample_weight": w_np, "labels": labels})
    strict(ours, ours_error, theirs, theirs_error, (p_np,),
           negative_weights=w_np is not None and bool(np.any(w_np < 0)))
