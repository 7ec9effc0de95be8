"""Streaming accumulators: any split, any merge order == the one-shot result."""

import pickle

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fastloss
from fastloss import streaming
from fastloss._registry import METRICS
from metric_cases import kwargs_for, n_outputs_for, values_for
from fastloss.losses import LOSSES
from registry_cases import default_cases, floor, make_case, param_cases, reference, valid_values


def _split_and_merge(make, arrays, cuts, order, tree):
    """Update one accumulator per chunk, then merge them in ``order``."""
    n = arrays[0].shape[0]
    bounds = [0, *sorted(set(c % (n + 1) for c in cuts)), n]
    parts = []
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        if hi > lo:
            acc = make()
            acc.update(*(a[lo:hi] if a is not None else None for a in arrays))
            parts.append(pickle.loads(pickle.dumps(acc)))  # state survives pickling
    keys = np.asarray((order + [0] * len(parts))[: len(parts)])
    parts = [parts[i] for i in np.argsort(keys, kind="stable")]
    if tree:  # pairwise, as a distributed reduction would
        while len(parts) > 1:
            parts = [
                parts[i].merge(parts[i + 1]) if i + 1 < len(parts) else parts[i]
                for i in range(0, len(parts), 2)
            ]
        return parts[0]
    total = make()
    for part in parts:
        total.merge(part)
    return total


SPLITS = dict(
    cuts=st.lists(st.integers(0, 10_000), max_size=6),
    order=st.lists(st.integers(0, 100), min_size=8, max_size=8),
    tree=st.booleans(),
    seed=st.integers(0, 2**31),
    n=st.integers(1, 300),
    weighted=st.booleans(),
)


@given(k=st.integers(1, 3), multioutput=st.sampled_from(["raw_values", "uniform_average", "weights"]), **SPLITS)
def test_regression_metrics_any_split(backend, cuts, order, tree, seed, n, weighted, k, multioutput):
    rng = np.random.default_rng(seed)
    scale = 10 ** rng.uniform(-3, 3)
    mo = rng.uniform(0.5, 1, size=k) if multioutput == "weights" and k > 1 else "raw_values"
    mo = mo if multioutput == "weights" else multioutput
    for name, metric in METRICS.items():
        if not metric.mergeable:
            continue  # a quantile has no streaming form
        if metric.greater_is_better and n < 2:
            # One sample: constant columns, where the one-shot function follows
            # scikit-learn's rounding and streaming the exact moments (see
            # test_metric_family.py).
            continue
        k_metric = n_outputs_for(metric, k)
        y, p = values_for(metric, rng, (n, k_metric))
        y, p = y * scale, p * scale
        w = rng.uniform(0.1, 2, size=n) if weighted and metric.weighted else None
        kwargs = kwargs_for(metric, w, mo if k_metric == k else "raw_values")
        one_shot = getattr(fastloss, name)(y, p, **kwargs)
        settings = {key: v for key, v in kwargs.items() if key != "sample_weight"}
        cls = getattr(streaming, metric.accumulator_name)
        acc = _split_and_merge(lambda: cls(**settings), (y, p, w), cuts, order, tree)
        # Scores (at most 1) near 0 are compared absolutely: they are differences.
        atol = 1e-13 if metric.greater_is_better else 0.0
        np.testing.assert_allclose(acc.result(), one_shot, rtol=1e-12, atol=atol)


@given(k=st.integers(2, 4), **SPLITS)
def test_log_loss_any_split(backend, cuts, order, tree, seed, n, weighted, k):
    rng = np.random.default_rng(seed)
    labels = np.array(["ant", "bee", "cat", "dog"][:k])
    y = labels[rng.integers(0, k, size=n)]
    proba = rng.dirichlet(np.ones(k), size=n)
    w = rng.uniform(0.1, 2, size=n) if weighted else None
    one_shot = fastloss.log_loss(y, proba, sample_weight=w, labels=labels)
    acc = _split_and_merge(lambda: streaming.LogLoss(labels), (y, proba, w), cuts, order, tree)
    np.testing.assert_allclose(acc.result(), one_shot, rtol=1e-12)
    total = _split_and_merge(
        lambda: streaming.LogLoss(labels, normalize=False), (y, proba, w), cuts, order, tree
    )
    np.testing.assert_allclose(
        total.result(), fastloss.log_loss(y, proba, sample_weight=w, labels=labels, normalize=False),
        rtol=1e-12,
    )


@pytest.mark.parametrize("name,params", param_cases())
@given(**SPLITS)
def test_loss_accumulators_any_split(backend, name, params, cuts, order, tree, seed, n, weighted):
    """streaming.<Loss>(**params), over any split and merge order == Loss(**params).loss."""
    rng = np.random.default_rng(seed)
    cls = LOSSES[name]
    loss = cls(**params)
    y, raw = make_case(cls, loss, n, rng, scale=3.0)
    w = rng.uniform(0.1, 2, size=n) if weighted else None
    make = lambda: getattr(streaming, streaming.accumulator_name(cls))(**params)  # noqa: E731
    acc = _split_and_merge(make, (y, raw, w), cuts, order, tree)
    assert type(acc).loss_class is cls and acc.loss == loss
    np.testing.assert_allclose(acc.result(), loss.loss(y, raw, sample_weight=w), rtol=1e-12,
                               atol=floor(reference(cls, loss, y, raw)[0]))  # fmt: skip


@pytest.mark.parametrize("name", default_cases())
def test_loss_accumulator_names_repr_pickle_and_merge_rules(name, rng):
    cls = LOSSES[name]
    metric_names = {"MeanSquaredError", "RootMeanSquaredError", "MeanAbsoluteError", "LogLoss"}
    expected = cls.__name__ + "Loss" if cls.__name__ in metric_names else cls.__name__
    acc_cls = getattr(streaming, expected)
    assert streaming.accumulator_name(cls) == expected
    assert acc_cls is streaming.accumulator_for(cls) and acc_cls.loss_class is cls
    assert acc_cls.__name__ == expected and acc_cls.__module__ == "fastloss.streaming"
    assert expected in dir(streaming) and expected in streaming.__all__
    assert getattr(streaming, expected) is acc_cls  # one class per name: pickling needs it
    params = {p.name: valid_values(p)[-1] for p in cls.params}
    acc = acc_cls(**params)
    y, raw = make_case(cls, acc.loss, 20, rng)
    acc.update(y[:7], raw[:7]).update(y[7:], raw[7:])
    shown = ", ".join([f"{k}={float(v)!r}" for k, v in params.items()] + ["n_updates=2"])
    assert repr(acc) == f"{expected}({shown})"
    again = pickle.loads(pickle.dumps(acc))
    assert type(again) is acc_cls and again.get_params() == acc.get_params()
    assert again.result() == acc.result()
    np.testing.assert_allclose(acc.result(), cls(**params).loss(y, raw), rtol=1e-12,
                               atol=floor(reference(cls, acc.loss, y, raw)[0]))  # fmt: skip
    # Merging refuses other losses and other parameter values.
    for other_name, other_cls in LOSSES.items():
        if other_cls is not cls:
            with pytest.raises(TypeError, match="same"):
                acc.merge(streaming.accumulator_for(other_cls)())
    for param in cls.params:
        other = {**params, param.name: [v for v in valid_values(param) if v != params[param.name]][0]}
        with pytest.raises(TypeError, match="same loss and parameters"):
            acc.merge(acc_cls(**other))
    with pytest.raises(TypeError, match="same"):
        acc.merge(streaming.MeanSquaredError())
    with pytest.raises(TypeError):
        acc_cls(*params.values(), 1.0)  # keyword arguments only
    with pytest.raises(TypeError, match="unexpected parameter"):
        acc_cls(no_such_parameter=1.0)


def test_earlier_loss_accumulator_names_still_work():
    assert streaming.SquaredErrorLoss is streaming.MeanSquaredErrorLoss
    assert streaming.AbsoluteErrorLoss is streaming.MeanAbsoluteErrorLoss
    assert streaming.SquaredErrorLoss.loss_class is fastloss.MeanSquaredError
    assert streaming.AbsoluteErrorLoss.loss_class is fastloss.MeanAbsoluteError
    assert streaming.BinaryCrossEntropy.loss_class is fastloss.BinaryCrossEntropy
    assert streaming.CrossEntropy.loss_class is fastloss.CrossEntropy
    # The metric accumulators keep their names.
    assert streaming.MeanSquaredError().update([1.0], [3.0]).result() == 4.0
    assert streaming.SquaredErrorLoss().update([1.0], [3.0]).result() == 4.0
    with pytest.raises(AttributeError, match="no attribute 'NoSuchLoss'"):
        streaming.NoSuchLoss  # noqa: B018
    with pytest.raises(TypeError, match="base of streaming"):
        streaming.LossAccumulator()


def test_loss_accumulator_zero_weight_chunks_and_bad_input():
    acc = streaming.Huber(delta=0.5).update([1.0], [2.0], sample_weight=[0.0])
    with pytest.raises(ValueError, match="non-zero"):
        acc.result()
    acc.update([0.0], [0.25], sample_weight=[3.0])
    assert acc.result() == 0.5 * 0.25**2
    with pytest.raises(ValueError, match="Negative"):
        acc.update([0.0], [1.0], sample_weight=[-1.0])
    with pytest.raises(ValueError, match="Input raw_prediction contains NaN"):
        acc.update([0.0], [np.nan])
    with pytest.raises(ValueError, match="needs y_true > 0"):
        streaming.HalfGamma().update([0.0], [1.0])
    assert acc.n_updates == 2  # failed updates leave the state alone


def test_float32_chunks_keep_dtype_and_accuracy():
    rng = np.random.default_rng(0)
    y = rng.normal(size=(1000, 2)).astype(np.float32)
    p = (y + 0.1).astype(np.float32)
    acc = streaming.MeanSquaredError(multioutput="raw_values")
    for part in np.array_split(np.arange(1000), 7):
        acc.update(y[part], p[part])
    expected = fastloss.mean_squared_error(y, p, multioutput="raw_values")
    assert acc.result().dtype == expected.dtype == np.float32
    np.testing.assert_allclose(acc.result(), expected, rtol=1e-6)


def test_errors_are_clear():
    with pytest.raises(ValueError, match="labels"):
        streaming.LogLoss(None)
    with pytest.raises(ValueError, match="no data yet"):
        streaming.MeanSquaredError().result()
    a = streaming.MeanSquaredError().update([1.0, 2.0], [1.0, 3.0])
    with pytest.raises(ValueError, match="output"):
        a.update([[1.0, 2.0]], [[1.0, 3.0]])
    with pytest.raises(TypeError, match="same settings"):
        a.merge(streaming.MeanAbsoluteError())
    with pytest.raises(TypeError, match="same settings"):
        a.merge(streaming.MeanSquaredError(multioutput="raw_values"))
    with pytest.raises(TypeError, match="same settings"):
        streaming.LogLoss([0, 1]).merge(streaming.LogLoss([0, 1, 2]))
    with pytest.raises(ValueError, match="Input contains NaN"):
        streaming.MeanSquaredError().update([1.0, np.nan], [1.0, 2.0])
    with pytest.raises(ValueError, match="not belonging to the passed labels"):
        streaming.LogLoss([0, 1]).update([0, 2], [0.3, 0.6])
    # A chunk of zero weight is no error; only a zero total is.
    zero = streaming.MeanSquaredError().update([1.0], [2.0], sample_weight=[0.0])
    with pytest.raises(ValueError, match="non-zero"):
        zero.result()
    zero.update([1.0], [3.0], sample_weight=[2.0])
    assert zero.result() == 4.0
