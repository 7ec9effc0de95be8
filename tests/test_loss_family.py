"""Every registered loss, driven by its declarations (no loss is named here).

Each loss class declares its parameters (defaults, valid ranges), the targets
it accepts, what its raw prediction means and its counterpart (scikit-learn's
``_loss`` or ``_sgd_fast`` loss, or a formula).  These tests draw parameters
and targets from those declarations and compare per-sample values and
gradients with the declared counterpart, on both backends.
"""

import pickle
import re

import numpy as np
import pytest

import fastloss
from conftest import assert_close, results_by_threads
from fastloss._losses._spec import RAW, TARGETS, ByParam, Reference
from fastloss.losses import LOSSES
from registry_cases import (
    BAD_TARGETS,
    N_CLASSES,
    _id,
    bad_values,
    default_cases,
    floor,
    make_case,
    names,
    param_cases,
    param_sets,
    reference,
    registry,
    valid_values,
    weighted,
)

REGISTRY = registry()
NAMES = names()
POINTWISE = names(pointwise=True)
PARAM_CASES = param_cases()
DEFAULT_CASES = default_cases()


# -- declarations --------------------------------------------------------------------
@pytest.mark.parametrize("name", DEFAULT_CASES)
def test_declarations_are_complete(name):
    cls = LOSSES[name]
    assert cls.name == name
    assert getattr(fastloss, cls.__name__) is cls
    assert getattr(fastloss.losses, cls.__name__) is cls
    assert cls.__name__ in fastloss.__all__ and cls.__name__ in fastloss.losses.__all__
    kinds = cls.target.kinds if isinstance(cls.target, ByParam) else (cls.target,)
    assert all(kind in TARGETS for kind in kinds)
    assert cls.raw in RAW
    assert isinstance(cls.reference, Reference)
    names = [p.name for p in cls.params]
    assert len(set(names)) == len(names)
    if cls.reference.kind == "sklearn_loss":
        assert sorted(cls.reference.params.values()) == sorted(names)
    elif cls.reference.kind == "sgd":
        assert sorted(cls.reference.params) == sorted(names)


def test_every_exported_loss_is_registered():
    exported = {cls for cls in vars(fastloss.losses).values()
                if isinstance(cls, type) and issubclass(cls, fastloss.losses.FusedLoss)}  # fmt: skip
    exported.discard(fastloss.losses.FusedLoss)
    assert exported == {cls for _, cls in REGISTRY}
    assert len(REGISTRY) >= 16


@pytest.mark.parametrize("name,params", PARAM_CASES)
def test_repr_equality_hash_and_pickle(name, params):
    cls = LOSSES[name]
    loss = cls(**params)
    expected = {p.name: float(params.get(p.name, p.default)) for p in cls.params}
    assert loss.get_params() == expected
    assert eval(repr(loss), vars(fastloss)) == loss  # noqa: S307 - our own repr
    assert repr(loss) == f"{cls.__name__}(" + ", ".join(f"{k}={v!r}" for k, v in expected.items()) + ")"
    again = pickle.loads(pickle.dumps(loss))
    assert type(again) is cls and again == loss and hash(again) == hash(loss)
    assert loss == cls(*expected.values())
    for param in cls.params:
        with pytest.raises(AttributeError, match="fixed"):
            setattr(loss, param.name, param.default)
        other = cls(**{**expected, param.name: [v for v in valid_values(param) if v != expected[param.name]][0]})
        assert other != loss


# -- values and gradients ------------------------------------------------------------
@pytest.mark.parametrize("name,params", PARAM_CASES)
def test_matches_reference_per_sample_and_weighted(backend, name, params, rng):
    cls = LOSSES[name]
    loss = cls(**params)
    n = 300
    y, raw = make_case(cls, loss, n, rng)
    w = rng.uniform(0.1, 2.0, size=n)
    ref_values, ref_grads = reference(cls, loss, y, raw)
    assert np.isfinite(ref_values).all() and np.isfinite(ref_grads).all()
    # Per sample: one-sample calls, against the reference's own values.
    picks = rng.choice(n, size=40, replace=False)
    mine = np.array([loss.loss(y[i : i + 1], raw[i : i + 1]) for i in picks])
    assert_close(mine, ref_values[picks], rtol=1e-12, atol=floor(ref_values))
    # Whole arrays, weighted and not.
    for weights in (None, w):
        expected = np.average(ref_values, weights=weights)
        value, grad = loss.loss_gradient(y, raw, sample_weight=weights)
        expected_grad = weighted(ref_grads, weights)
        assert_close(value, expected, rtol=1e-12, atol=floor(ref_values) / 10)
        assert_close(grad, expected_grad, rtol=1e-12, atol=floor(expected_grad))
        assert_close(loss.loss(y, raw, sample_weight=weights), expected, rtol=1e-12,
                     atol=floor(ref_values) / 10)  # fmt: skip
        assert_close(loss.gradient(y, raw, sample_weight=weights), expected_grad, rtol=1e-12,
                     atol=floor(expected_grad))  # fmt: skip


@pytest.mark.parametrize("name,params", PARAM_CASES)
def test_gradient_matches_central_differences(backend, name, params, rng):
    cls = LOSSES[name]
    loss = cls(**params)
    n = 10
    y, raw = make_case(cls, loss, n, rng)
    w = rng.uniform(0.5, 2.0, size=n)
    grad = loss.gradient(y, raw, sample_weight=w)
    h = 1e-6
    numeric = np.empty_like(raw)
    for idx in np.ndindex(raw.shape):
        up, down = raw.copy(), raw.copy()
        up[idx] += h
        down[idx] -= h
        numeric[idx] = (loss.loss(y, up, sample_weight=w) - loss.loss(y, down, sample_weight=w)) / (2 * h)
    assert_close(grad, numeric, rtol=1e-5, atol=1e-8 * max(1.0, np.abs(numeric).max()))


@pytest.mark.parametrize("name,params", PARAM_CASES)
def test_float32_agrees_with_float64(backend, name, params, rng):
    cls = LOSSES[name]
    loss = cls(**params)
    y, raw = make_case(cls, loss, 2000, rng)
    raw32, y32 = raw.astype(np.float32), y.astype(np.float32)
    w = rng.uniform(0.5, 2.0, size=raw.shape[0])
    for weights in (None, w):
        value32, grad32 = loss.loss_gradient(y32, raw32, sample_weight=weights)
        value64, grad64 = loss.loss_gradient(y32.astype(np.float64), raw32.astype(np.float64),
                                             sample_weight=weights)  # fmt: skip
        assert grad32.dtype == np.float32 and grad32.shape == raw.shape
        assert isinstance(value32, float)
        assert_close(value32, value64, rtol=1e-5, atol=1e-6 * (abs(value64) + 1.0))
        assert_close(grad32, grad64, rtol=1e-5, atol=1e-6 * np.abs(grad64).max())
        assert_close(loss.loss(y32, raw32, sample_weight=weights), value64, rtol=1e-5,
                     atol=1e-6 * (abs(value64) + 1.0))  # fmt: skip


@pytest.mark.parametrize("name", DEFAULT_CASES)
def test_threads_give_the_same_results(backend, name, rng):
    cls = LOSSES[name]
    loss = cls()
    n = 120_001
    y, raw = make_case(cls, loss, n, rng)
    w = rng.uniform(0.5, 2.0, size=n)
    results = results_by_threads(lambda: (
        loss.loss(y, raw, sample_weight=w),
        *loss.loss_gradient(y, raw, sample_weight=w),
        *loss.loss_gradient(y, raw),
    ))  # fmt: skip
    one, two = results[1], results[2]
    # Split at block boundaries: every block sum is the same, only the order
    # in which the block sums (and the weights, for the gradient's 1/sum(w))
    # are added differs.
    for a, b in ((one[0], two[0]), (one[1], two[1]), (one[3], two[3])):
        assert_close(a, b, rtol=1e-13)
    assert_close(one[2], two[2], rtol=1e-14)
    # Unweighted, the scale 1/n is the same: pointwise gradients are equal bit
    # for bit; CrossEntropy's softmax chunks still start where a thread starts
    # (its shift moves with them: rounding only), hence a relative 1e-14.
    assert_close(one[4], two[4], rtol=1e-14)
    assert np.isfinite(one[0])


@pytest.mark.parametrize("name", DEFAULT_CASES)
def test_inputs_are_not_modified(backend, name, rng):
    cls = LOSSES[name]
    loss = cls()
    y, raw = make_case(cls, loss, 500, rng)
    w = rng.uniform(size=500)
    for arrays in ((y, raw, w), (y.astype(np.float32), raw.astype(np.float32), w)):
        before = [a.copy() for a in arrays]
        loss.loss_gradient(*arrays[:2], sample_weight=arrays[2])
        loss.loss(*arrays[:2], sample_weight=arrays[2])
        loss.gradient(*arrays[:2], sample_weight=arrays[2])
        for a, b in zip(arrays, before):
            np.testing.assert_array_equal(a, b)


# -- bad parameters and bad targets --------------------------------------------------
BAD_PARAM_CASES = [pytest.param(name, p.name, bad, id=f"{name}-{p.name}={bad}")
                   for name, cls in REGISTRY for p in cls.params for bad in bad_values(p)]  # fmt: skip


@pytest.mark.parametrize("name,param,bad", BAD_PARAM_CASES)
def test_out_of_range_parameters_raise(name, param, bad):
    cls = LOSSES[name]
    spec = {p.name: p for p in cls.params}[param]
    message = f"{cls.__name__}: {param} must be {spec.range_text}, got {float(bad)!r}."
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        cls(**{param: bad})
    position = [p.name for p in cls.params].index(param)
    args = [p.default for p in cls.params]
    args[position] = bad
    with pytest.raises(ValueError, match=re.escape(message)):
        cls(*args)


@pytest.mark.parametrize("name", DEFAULT_CASES)
def test_non_numbers_and_unknown_parameters_raise(name):
    cls = LOSSES[name]
    for param in cls.params:
        for bad in ("1.0", None, True, [1.0]):
            with pytest.raises(TypeError, match=f"{cls.__name__}: {param.name} must be a real number"):
                cls(**{param.name: bad})
    with pytest.raises(TypeError, match="unexpected parameter 'no_such_parameter'"):
        cls(no_such_parameter=1.0)
    with pytest.raises(TypeError, match=f"takes at most {len(cls.params)} parameter"):
        cls(*([1.0] * (len(cls.params) + 1)))


BAD_TARGET_CASES = [
    pytest.param(name, params, bad, id=f"{name}-{_id(params)}-y={bad}")
    for name, cls in REGISTRY
    for params in param_sets(cls)
    for bad in BAD_TARGETS[cls(**params).target_kind]
]


@pytest.mark.parametrize("name,params,bad", BAD_TARGET_CASES)
def test_targets_outside_the_domain_raise(backend, name, params, bad, rng):
    cls = LOSSES[name]
    loss = cls(**params)
    y, raw = make_case(cls, loss, 8, rng)
    y[3] = bad
    y[6] = bad
    w = np.ones(8)
    w[3] = 0.0  # a zero weight does not hide it
    for dtype in (np.float64, np.float32):
        for weights in (None, w):
            args = (y.astype(dtype), raw.astype(dtype))
            shown = float(args[0][3])  # bad, as the dtype holds it
            for call in (loss.loss, loss.loss_gradient, loss.gradient):
                with pytest.raises(ValueError) as info:
                    call(*args, sample_weight=weights)
                assert repr(shown) in str(info.value)
                if cls._raw_ndim == 1:
                    text = TARGETS[loss.target_kind][1]
                    assert str(info.value) == f"{cls.__name__} needs {text}; got {shown!r} at index 3."


@pytest.mark.parametrize("name,params", PARAM_CASES)
def test_targets_at_the_domain_edges_are_accepted(backend, name, params, rng):
    cls = LOSSES[name]
    loss = cls(**params)
    kind = loss.target_kind
    edges = {"real": [-1e3, 0.0, 1e3], "nonnegative": [0.0, 5.0], "positive": [1e-300, 3.0],
             "probability": [0.0, 1.0], "binary": [0.0, 1.0], "class_index": [0.0, N_CLASSES - 1.0]}  # fmt: skip
    y, raw = make_case(cls, loss, len(edges[kind]), rng)
    y = np.array(edges[kind])
    value, _ = loss.loss_gradient(y, raw)
    assert np.isfinite(value)


# -- one compiled kernel whatever the parameter values --------------------------------
@pytest.mark.parametrize("name", [name for name in POINTWISE if LOSSES[name].params])
def test_one_compiled_kernel_per_dtype(name, rng):
    cls = LOSSES[name]
    with fastloss.use_backend("numba"):
        for dtype in (np.float64, np.float32):
            counts = []
            for param_set in param_sets(cls):
                loss = cls(**param_set)
                y, raw = make_case(cls, loss, 20, rng)
                loss.loss_gradient(y.astype(dtype), raw.astype(dtype))
                loss.loss(y.astype(dtype), raw.astype(dtype))
                counts.append(tuple(len(k.numba.dispatcher.signatures) for k in vars(cls._kernels).values()))
            assert len(param_sets(cls)) >= 3
            assert len(set(counts)) == 1, counts
