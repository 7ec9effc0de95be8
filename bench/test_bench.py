"""fastloss against scikit-learn, NumPy, PyTorch and the bandwidth floor.

Each benchmark group is one workload at one size and dtype; its members are
the peers (see ``fastloss.benchmark``), so ``--benchmark-group-by=group``
(the default) prints them side by side.
"""

import os

import numpy as np
import pytest

from fastloss import benchmark as B


def _ints(name, default):
    text = os.environ.get(name)
    return tuple(int(v) for v in text.split(",")) if text else default


SIZES = _ints("FASTLOSS_BENCH_SIZES", B.SIZES["full"]["n"])
CLASSES = _ints("FASTLOSS_BENCH_CLASSES", B.SIZES["full"]["classes"])
THREADS = os.cpu_count()
_HAS_TORCH = B._torch() is not None
PEERS = [p for p in B.PEERS if p != "torch" or _HAS_TORCH]
CASES = B.plan("full", ("float64", "float32"), sizes=SIZES, classes=CLASSES)

_data = {}
_peers = {}


def _has_peer(case, peer):
    """Whether the workload has this peer (scikit-learn's only where a loss declares it, ...)."""
    if case.workload not in _peers:
        workload = B.all_workloads()[case.workload]
        data = workload.make(4, case.k, np.dtype("float64"), np.random.default_rng(0))
        _peers[case.workload] = {p for p, f in workload.callables(data, THREADS).items() if f is not None}
    return peer in _peers[case.workload]


PAIRS = [(c, p) for c in CASES for p in PEERS if _has_peer(c, p)]


def _callables(case):
    """The peers' callables for ``case``; only the latest case's data is kept."""
    key = (case.workload, case.n, case.k, case.dtype)
    if key not in _data:
        _data.clear()
        workload = B.all_workloads()[case.workload]
        data = workload.make(case.n, case.k, np.dtype(case.dtype), np.random.default_rng(0))
        _data[key] = workload.callables(data, THREADS)
    return _data[key]


@pytest.mark.parametrize(
    "case,peer",
    PAIRS,
    ids=[f"{c.workload}-n{c.n}{'' if c.k is None else f'-k{c.k}'}-{c.dtype}-{p}" for c, p in PAIRS],
)
def test_benchmark(benchmark, case, peer):
    func = _callables(case)[peer]
    func()  # warm-up outside the timing: compilation or cache load, first-touch faults
    benchmark.group = f"{case.workload} {case.size_label} {case.dtype}"
    benchmark.extra_info.update(workload=case.workload, n=case.n, k=case.k, dtype=case.dtype)
    benchmark(func)
