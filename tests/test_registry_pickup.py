"""A loss registered like a built-in one is picked up everywhere without other edits.

In a fresh interpreter, after ``fastloss.streaming`` and ``fastloss.benchmark``
are imported, a new loss module (written to a temporary directory: one
elementwise Numba helper, its NumPy twin, ``pointwise_kernels``, the class
with its declarations, ``register_loss``) is imported; then warmup, the
bench's workload table, ``fastloss.streaming``, the registry-driven test
generator (``tests/registry_cases.py``) and the SGD epoch loop must all know it.
"""

import os
import subprocess
import sys
import textwrap

import pytest

PROBE_MODULE = textwrap.dedent(
    '''
    """A Huber loss under another name, declared like a built-in loss."""
    import numpy as np

    from fastloss._jit import jit
    from fastloss._losses._base import PointwiseLoss
    from fastloss._losses._pointwise import pointwise_kernels
    from fastloss._losses._spec import Interval, Param, Reference, SGDSpec
    from fastloss._registry import register_loss


    @jit(helper=True, fastmath=None)
    def _probe(y, raw, theta):
        delta = theta[0]
        d = np.float64(raw) - np.float64(y)
        a = abs(d)
        if a <= delta:
            return 0.5 * a * a, d
        return delta * (a - 0.5 * delta), delta if d >= 0.0 else -delta


    def _probe_numpy(y, raw, theta):
        delta = theta[0]
        d = raw - y
        a = np.abs(d)
        inner = a <= delta
        value = np.where(inner, 0.5 * a * a, delta * (a - 0.5 * delta))
        return value, np.where(inner, d, np.where(d >= 0.0, delta, -delta))


    @register_loss("pickup_probe")
    class PickupProbe(PointwiseLoss):
        params = (Param("delta", 1.0, Interval(0, None, closed="neither")),)
        target = "real"
        raw = "identity"
        reference = Reference("sklearn_loss", "sklearn._loss.loss", "HuberLoss", {"delta": "delta"})
        sgd = SGDSpec(curvature=1.0, center="median", target_power=2, target_params=("delta",))
        _kernels = pointwise_kernels("pickup_probe", _probe, _probe_numpy, target=target)
    '''
)

CHECK = textwrap.dedent(
    """
    import sys
    import numpy as np
    import fastloss
    from fastloss import benchmark, streaming   # imported before the loss exists
    from fastloss._registry import LOSSES
    assert "pickup_probe" not in LOSSES

    import pickup_probe_module                  # the new loss module
    cls = pickup_probe_module.PickupProbe
    assert LOSSES["pickup_probe"] is cls

    # warmup compiles its kernels (at the declared defaults, on targets of its domain)
    fastloss.warmup(dtypes=("float64",))
    for kernel in vars(cls._kernels).values():
        sigs = kernel.numba.dispatcher.signatures
        assert any(str(s[1].dtype) == "float64" for s in sigs), (kernel, sigs)
    print("warmup ok")

    # the bench: both workloads, scikit-learn's HuberLoss as peer, all peers run
    for name in ("PickupProbe.loss_gradient", "PickupProbe.loss_gradient_out"):
        assert name in benchmark.WORKLOADS and name in benchmark.all_workloads()
        w = benchmark.WORKLOADS[name]
        assert [c.workload for c in benchmark.plan("full", workloads=[name], sizes=[100])] == [name]
        data = w.make(100, None, np.dtype("float64"), np.random.default_rng(0))
        peers = w.callables(data, 1)
        assert peers["sklearn"] is not None and peers["floor"] is not None
        results = {p: f() for p, f in peers.items() if f is not None}
        ours = results["fastloss"][0]
        assert abs(ours - cls().loss(data["y"], data["p"])) <= 1e-12 * abs(ours)
        skl = results["sklearn"]
        assert abs(np.mean(skl[0]) - ours) <= 1e-12 * abs(ours), (skl, ours)
    assert "PickupProbe.loss_gradient" not in [c.workload for c in benchmark.plan("quick")]
    print("bench ok")

    # streaming.<Name>, made from the registry, equals the loss
    acc_cls = streaming.PickupProbe
    assert acc_cls.loss_class is cls and "PickupProbe" in dir(streaming)
    rng = np.random.default_rng(1)
    y, raw = rng.uniform(0, 3, 50), rng.normal(size=50) + 1.0
    acc = acc_cls(delta=0.5).update(y[:20], raw[:20]).merge(acc_cls(delta=0.5).update(y[20:], raw[20:]))
    assert abs(acc.result() - cls(delta=0.5).loss(y, raw)) <= 1e-14
    try:
        acc.merge(acc_cls(delta=2.0))
        raise AssertionError("merged other parameter values")
    except TypeError:
        pass
    print("streaming ok")

    # the registry-driven test generator
    sys.path.insert(0, TESTS)
    import registry_cases as rc
    assert "pickup_probe" in rc.names() and "pickup_probe" in rc.names(pointwise=True)
    ids = [p.id for p in rc.param_cases()]
    assert "pickup_probe-defaults" in ids and any(i.startswith("pickup_probe-delta=") for i in ids)
    loss = cls(delta=0.7)
    y, raw = rc.make_case(cls, loss, 200, rng)
    values, grads = rc.reference(cls, loss, y, raw)
    assert abs(np.mean(values) - loss.loss(y, raw)) <= 1e-12 * np.mean(values)
    assert np.allclose(loss.gradient(y, raw), grads / len(y), rtol=1e-12, atol=0)
    print("tests ok")

    # the SGD epoch loop is built from its fused kernels without code of its own
    from fastloss.linear_model import SGDRegressor
    from fastloss.linear_model._epoch import epoch_kernel
    from fastloss._warmup import _estimator_losses
    assert epoch_kernel(cls).numba is not None
    # SGDRegressor reads its losses from the registry: by name and as an object.
    assert "pickup_probe" in _estimator_losses(SGDRegressor)
    X = rng.normal(size=(400, 2))
    y = X @ [1.5, -0.5] + 3.0 + rng.normal(size=400)
    by_name = SGDRegressor(loss="pickup_probe", random_state=0).fit(X, y)
    by_object = SGDRegressor(loss=cls(delta=1.0), random_state=0).fit(X, y)
    assert np.array_equal(by_name.coef_, by_object.coef_)
    assert by_name.score(X, y) > 0.5
    print("estimators ok")
    """
)


# A cold compile of every kernel in a fresh interpreter (about a minute):
# run by `python -m pytest -m slow`, which CI runs.
@pytest.mark.slow
def test_a_new_loss_is_picked_up_everywhere(tmp_path):
    (tmp_path / "pickup_probe_module.py").write_text(PROBE_MODULE)
    tests = os.path.dirname(os.path.abspath(__file__))
    code = CHECK.replace("TESTS", repr(tests))
    path = os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")]))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": path}, timeout=900)  # fmt: skip
    assert result.returncode == 0, result.stderr[-4000:]
    lines = result.stdout.split("\n")
    assert lines[:5] == ["warmup ok", "bench ok", "streaming ok", "tests ok", "estimators ok"], result.stdout
