"""Benchmark workloads: fastloss against its peers and the machine's bandwidth floor.

One table of workloads serves both the ``fastloss bench`` command and the
pytest-benchmark suite in ``bench/``.  Each workload makes its data, and names
the callables to time: fastloss (the backend in force), fastloss on its NumPy
backend, scikit-learn, a plain NumPy expression, PyTorch (when installed), and
a *floor*: a trivial compiled parallel pass over the same input and output
bytes.  Times are compared within one run only; ratios are what is reported.

The metric workloads are listed here; the loss workloads come from the loss
registry: ``<LossClass>.loss_gradient`` (fresh gradient, as a plain call
returns it) and ``<LossClass>.loss_gradient_out`` (every peer writing into
outputs allocated once) for every registered loss, on targets of its declared
domain, with scikit-learn's peer where the loss's declared reference is a
``sklearn._loss`` class.  ``--quick`` times the metrics and the losses
declaring ``bench_quick = True``.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import sys
import time
import tracemalloc
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from . import _floor
from ._config import get_backend, use_backend

__all__ = ["Workload", "WORKLOADS", "all_workloads", "PEERS", "plan", "run", "machine_info", "SCHEMA"]

#: Identifies the layout of the JSON written by ``fastloss bench --json``.
SCHEMA = "fastloss-bench/1"

#: Peers in table order; "fastloss" is the subject, "floor" the bandwidth floor.
PEERS = ("fastloss", "fastloss_numpy", "sklearn", "numpy", "torch", "floor")


@dataclass(frozen=True)
class Workload:
    """A benchmarked operation: how to make its data and what to time."""

    name: str
    kind: str  # "metric" or "loss_gradient"
    make: Callable  # (n, k, dtype, rng) -> dict of arrays
    callables: Callable  # (data, threads) -> {peer: callable or None}
    classes: tuple = (None,)  # k values for (n, k) workloads
    quick: bool = True  # in the quick set (a loss's: its declared ``bench_quick``)

    def label(self, n, k):
        return f"{n:,}" if k is None else f"{n:,} x {k}"


# -- data -----------------------------------------------------------------------


def _binary_proba_data(n, k, dtype, rng):
    # Labels in the benchmark dtype (0.0/1.0), so float32 halves every byte.
    return {
        "y": rng.integers(0, 2, size=n).astype(dtype),
        "p": rng.uniform(1e-3, 1 - 1e-3, size=n).astype(dtype),
    }


# -- peers ----------------------------------------------------------------------


def _torch():
    try:
        import torch
    except Exception:  # not installed, or a broken install
        return None
    return torch


def _on_numpy_backend(func):
    def run_numpy(*args, **kwargs):
        with use_backend("numpy"):
            return func(*args, **kwargs)

    return run_numpy


def _metric_callables(name, numpy_expr, torch_expr):
    def callables(data, threads):
        import sklearn.metrics as skm

        import fastloss

        ours = getattr(fastloss, name)
        theirs = getattr(skm, name)
        y, p = data["y"], data["p"]
        torch = _torch()
        if torch is not None:
            ty, tp = torch.from_numpy(y), torch.from_numpy(p)
        return {
            "fastloss": lambda: ours(y, p),
            "fastloss_numpy": lambda: _on_numpy_backend(ours)(y, p),
            "sklearn": lambda: theirs(y, p),
            "numpy": (lambda: numpy_expr(y, p)) if numpy_expr is not None else None,
            "torch": (
                (lambda: torch_expr(torch, ty, tp).item())
                if torch is not None and torch_expr is not None else None
            ),
            "floor": lambda: _floor.read_floor(y.size, y, p),
        }

    return callables


def _binary_log_loss_numpy(y, p):
    eps = np.finfo(p.dtype).eps
    q = np.clip(np.where(y == 1, p, 1 - p), eps, 1 - eps)
    return -np.mean(np.log(q))


def _loss_gradient_callables(loss_cls, preallocated=False):
    """Peers of ``loss_cls().loss_gradient``, from the loss's declarations.

    scikit-learn's peer is the declared ``sklearn._loss`` reference (built
    with the loss's parameters, ``n_threads`` = fastloss's threads), where
    the declared reference is one.  With ``preallocated``, every peer writes
    into outputs allocated once (fastloss's ``gradient_out=``, scikit-learn's
    ``loss_out=``/``gradient_out=``), and so does the floor.
    """

    def callables(data, threads):
        from ._losses._cases import reference_object

        y, p = data["y"], data["p"]
        ours = loss_cls()
        flat = p.reshape(-1)
        theirs = None
        if loss_cls.reference is not None and loss_cls.reference.kind == "sklearn_loss":
            theirs = reference_object(ours, n_classes=p.shape[1] if p.ndim == 2 else None)
        numpy_expr, torch_expr = (None, None) if preallocated else _EXTRA_PEERS.get(loss_cls.name, (None, None))
        torch = _torch() if torch_expr is not None else None

        def torch_step():
            tp = torch.from_numpy(p).requires_grad_(True)
            value = torch_expr(torch, torch.from_numpy(y), tp)
            value.backward()
            return value.item(), tp.grad

        if preallocated:
            grad, grad_numpy, floor_out = np.empty_like(p), np.empty_like(p), np.empty_like(flat)
            loss_out, sk_grad = np.empty(p.shape[0], p.dtype), np.empty_like(p)
            fastloss_call = lambda: ours.loss_gradient(y, p, gradient_out=grad)  # noqa: E731
            numpy_call = lambda: ours.loss_gradient(y, p, gradient_out=grad_numpy)  # noqa: E731
            sklearn_call = lambda: theirs.loss_gradient(  # noqa: E731
                y, p, loss_out=loss_out, gradient_out=sk_grad, n_threads=threads
            )
            floor_call = lambda: _floor.read_write_floor(  # noqa: E731
                flat.size, flat if p.ndim == 2 else y, flat, floor_out
            )
        else:
            fastloss_call = lambda: ours.loss_gradient(y, p)  # noqa: E731
            numpy_call = fastloss_call
            sklearn_call = lambda: theirs.loss_gradient(y, p, n_threads=threads)  # noqa: E731
            # The workload returns a new gradient, so its floor writes a new
            # array too: the pages the OS zeroes on first touch are part of
            # the cost of any function that returns fresh output.
            floor_call = lambda: _floor.read_write_floor(  # noqa: E731
                flat.size, flat if p.ndim == 2 else y, flat, np.empty_like(flat)
            )
        return {
            "fastloss": fastloss_call,
            "fastloss_numpy": _on_numpy_backend(numpy_call),
            "sklearn": sklearn_call if theirs is not None else None,
            "numpy": (lambda: numpy_expr(y, p)) if numpy_expr is not None else None,
            "torch": torch_step if torch is not None else None,
            "floor": floor_call,
        }

    return callables


def _loss_data(loss_cls):
    """Data of a loss workload: targets of the declared domain, raw of the declared kind."""

    def make(n, k, dtype, rng):
        from ._losses._cases import draw_inputs

        y, p = draw_inputs(loss_cls(), n, rng, dtype=dtype, n_classes=k or 1)
        return {"y": y, "p": p}

    return make


def _mse_gradient_numpy(y, p):
    d = p - y
    return np.mean(d * d), (2.0 / d.size) * d


def _bce_gradient_numpy(y, p):
    loss = np.mean(np.logaddexp(0, p) - y * p)
    return loss, (1.0 / (1.0 + np.exp(-p)) - y) / p.size


def _softmax_gradient_numpy(y, p):
    m = p.max(axis=1, keepdims=True)
    e = np.exp(p - m)
    s = e.sum(axis=1, keepdims=True)
    rows = np.arange(p.shape[0])
    cols = y.astype(np.intp)
    loss = np.mean((m[:, 0] + np.log(s[:, 0])) - p[rows, cols])
    grad = e / s
    grad[rows, cols] -= 1.0
    return loss, grad / p.shape[0]


def _r2_numpy(y, p):
    return 1.0 - np.sum((y - p) ** 2) / np.sum((y - y.mean()) ** 2)


def _d2_absolute_numpy(y, p):
    return 1.0 - np.mean(np.abs(y - p)) / np.mean(np.abs(y - np.median(y)))


def _explained_variance_numpy(y, p):
    return 1.0 - np.var(y - p) / np.var(y)


#: Plain NumPy and PyTorch counterparts of the metrics, by name: peers of
#: their workloads (NumPy's required, PyTorch's optional: None); the workloads
#: themselves come from the metric registry.
_METRIC_PEERS = {
    "mean_squared_error": (
        lambda y, p: np.mean((y - p) ** 2),
        lambda torch, y, p: torch.nn.functional.mse_loss(p, y),
    ),
    "root_mean_squared_error": (
        lambda y, p: np.sqrt(np.mean((y - p) ** 2)),
        lambda torch, y, p: torch.sqrt(torch.nn.functional.mse_loss(p, y)),
    ),
    "mean_absolute_error": (
        lambda y, p: np.mean(np.abs(y - p)),
        lambda torch, y, p: torch.nn.functional.l1_loss(p, y),
    ),
    "r2_score": (_r2_numpy, None),
    "explained_variance_score": (_explained_variance_numpy, None),
    "mean_squared_log_error": (lambda y, p: np.mean((np.log1p(y) - np.log1p(p)) ** 2), None),
    "root_mean_squared_log_error": (
        lambda y, p: np.sqrt(np.mean((np.log1p(y) - np.log1p(p)) ** 2)), None,
    ),
    "mean_absolute_percentage_error": (
        lambda y, p: np.mean(np.abs(p - y) / np.maximum(np.abs(y), np.finfo(np.float64).eps)),
        None,
    ),
    "mean_pinball_loss": (lambda y, p: np.mean(np.maximum(0.5 * (y - p), -0.5 * (y - p))), None),
    "mean_tweedie_deviance": (lambda y, p: np.mean((y - p) ** 2), None),  # power=0
    "mean_poisson_deviance": (lambda y, p: 2 * np.mean(y * np.log(y / p) - y + p), None),
    "mean_gamma_deviance": (lambda y, p: 2 * np.mean(np.log(p / y) + y / p - 1), None),
    "max_error": (lambda y, p: np.max(np.abs(y - p)), None),
    "median_absolute_error": (lambda y, p: np.median(np.abs(y - p)), None),
    "d2_pinball_score": (_d2_absolute_numpy, None),
    "d2_absolute_error_score": (_d2_absolute_numpy, None),
    "d2_tweedie_score": (_r2_numpy, None),  # power 0: the r2 of one output
}


def _metric_data(metric):
    """Workload data of a declared metric: values of its declared domain."""

    def data(n, k, dtype, rng):
        from ._metric_core import example_values

        y, p = example_values(metric, rng, n, dtype)
        return {"y": y, "p": p}

    return data


def _d2_brier_numpy(y, p):
    q = np.mean(y)
    return 1.0 - np.mean((y - p) ** 2) / (q * (1.0 - q))


def _d2_log_loss_numpy(y, p):
    q = np.mean(y)
    null = -(q * np.log(q) + (1.0 - q) * np.log(1.0 - q))
    return 1.0 - _binary_log_loss_numpy(y, p) / null


#: Plain NumPy counterparts of the metrics of class predictions on binary
#: data (labels 0/1, 1-D predictions), by name: peers of their workloads.
_CLASS_METRIC_PEERS = {
    "brier_score_loss": lambda y, p: np.mean((y - p) ** 2),
    "d2_brier_score": _d2_brier_numpy,
    "d2_log_loss_score": _d2_log_loss_numpy,
    "hinge_loss": lambda y, p: np.mean(np.maximum(0.0, 1.0 - (2.0 * y - 1.0) * p)),
}


def _class_metric_data(metric):
    """Workload data of a metric of class predictions: binary, 0/1 labels."""

    def data(n, k, dtype, rng):
        from ._class_metric_core import example_inputs

        y, p = example_inputs(metric, rng, n, 2, dtype)
        return {"y": y, "p": p}

    return data


def _metric_workloads():
    """One workload per declared metric (both metric registries), and ``log_loss``'s."""
    from ._registry import CLASS_METRICS, METRICS

    workloads = [
        Workload(name, "metric", _metric_data(metric),
                 _metric_callables(name, *_METRIC_PEERS[name]))
        for name, metric in METRICS.items()
    ]  # fmt: skip
    workloads += [
        Workload(name, "metric", _class_metric_data(metric),
                 _metric_callables(name, _CLASS_METRIC_PEERS[name], None))
        for name, metric in CLASS_METRICS.items()
    ]  # fmt: skip
    workloads.append(Workload(
        "log_loss",
        "metric",
        _binary_proba_data,
        _metric_callables(
            "log_loss",
            _binary_log_loss_numpy,
            lambda torch, y, p: torch.nn.functional.binary_cross_entropy(p, y),
        ),
    ))  # fmt: skip
    return {w.name: w for w in workloads}


_METRICS = _metric_workloads()

#: Plain NumPy and PyTorch counterparts (loss, gradient of the mean loss) of
#: some losses, by registry name: optional extra peers of their
#: ``loss_gradient`` workload; the workloads themselves come from the registry.
_EXTRA_PEERS = {
    "squared_error": (
        _mse_gradient_numpy,
        lambda torch, y, p: torch.nn.functional.mse_loss(p, y),
    ),
    "log_loss": (
        _bce_gradient_numpy,
        lambda torch, y, p: torch.nn.functional.binary_cross_entropy_with_logits(p, y),
    ),
    "multinomial": (
        _softmax_gradient_numpy,
        lambda torch, y, p: torch.nn.functional.cross_entropy(p, y.long()),
    ),
}
#: The metric workloads (fixed); every loss workload is made from the registry.
_METRIC_WORKLOADS = _METRICS
#: Every workload made so far (``WORKLOADS``, kept up to date by :func:`all_workloads`).
_TABLE: dict = {}
#: Loss classes whose workloads are in the table.
_SYNCED: set = set()


def loss_workloads(loss_cls):
    """The two ``loss_gradient`` workloads of a loss class: fresh and preallocated outputs."""
    classes = (2, 10, 100) if loss_cls._raw_ndim == 2 else (None,)
    make = _loss_data(loss_cls)
    return [
        Workload(f"{loss_cls.__name__}.loss_gradient", "loss_gradient", make,
                 _loss_gradient_callables(loss_cls), classes, quick=loss_cls.bench_quick),
        Workload(f"{loss_cls.__name__}.loss_gradient_out", "loss_gradient", make,
                 _loss_gradient_callables(loss_cls, preallocated=True), classes, quick=False),
    ]  # fmt: skip


def all_workloads() -> dict:
    """Every workload by name: the metrics', then each registered loss's (in registry order).

    Read from the registry at each call, so a loss registered after this
    module was imported is benchmarked too.  Entries already present are
    kept (tests may replace one).
    """
    from ._registry import LOSSES

    if not _TABLE:
        _TABLE.update(_METRIC_WORKLOADS)
    for cls in list(LOSSES.values()):
        if cls not in _SYNCED:
            _SYNCED.add(cls)
            for w in loss_workloads(cls):
                _TABLE.setdefault(w.name, w)
    return _TABLE


def __getattr__(name):
    # WORKLOADS is read from the registry when asked for (see all_workloads).
    if name == "WORKLOADS":
        return all_workloads()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: Sizes per mode: elements for 1-D workloads, rows for (n, k) ones.
SIZES = {
    "quick": {"n": (100, 1_000_000), "rows": (100, 100_000), "classes": (10,)},
    "full": {
        "n": (100, 10_000, 1_000_000, 10_000_000),
        "rows": (100, 10_000, 1_000_000),
        "classes": (2, 10, 100),
    },
}


@dataclass
class Case:
    """One measured line of the table."""

    workload: str
    kind: str
    n: int
    k: int | None
    dtype: str
    times: dict = field(default_factory=dict)
    peak_extra_bytes: int | None = None

    @property
    def size_label(self):
        return all_workloads()[self.workload].label(self.n, self.k)

    def speedup(self, peer):
        t = self.times.get(peer)
        return None if t is None else t / self.times["fastloss"]

    def as_dict(self):
        ratios = {p: self.speedup(p) for p in PEERS if p not in ("fastloss", "floor")}
        return {
            "workload": self.workload,
            "kind": self.kind,
            "n": self.n,
            "k": self.k,
            "shape": [self.n] if self.k is None else [self.n, self.k],
            "dtype": self.dtype,
            "seconds": {p: self.times.get(p) for p in PEERS},
            "speedup": ratios,
            "floor_fraction": self.speedup("floor"),
            "peak_extra_bytes": self.peak_extra_bytes,
        }


def plan(mode="quick", dtypes=("float64",), workloads=None, sizes=None, classes=None):
    """The cases a run measures, in order.

    ``sizes`` (elements of 1-D workloads, rows of (n, k) ones) and ``classes``
    override the mode's defaults.
    """
    n_values = tuple(sizes) if sizes else SIZES[mode]["n"]
    row_values = tuple(sizes) if sizes else SIZES[mode]["rows"]
    k_values = tuple(classes) if classes else SIZES[mode]["classes"]
    cases = []
    for w in all_workloads().values():
        if workloads and w.name not in workloads:
            continue
        if not workloads and mode == "quick" and not w.quick:
            continue
        for dtype in dtypes:
            if w.classes == (None,):
                cases += [Case(w.name, w.kind, n, None, dtype) for n in n_values]
            else:
                cases += [
                    Case(w.name, w.kind, n, k, dtype) for k in k_values for n in row_values
                ]
    return cases


def _calls_per_sample(func, target=0.005):
    """How many calls make one timed sample last about ``target`` seconds."""
    start = time.perf_counter()
    func()
    once = max(time.perf_counter() - start, 1e-7)
    return max(1, min(100_000, int(target / once)))


def time_interleaved(funcs: dict, budget: float = 1.0, max_rounds: int = 15) -> dict:
    """Best time per call of each function, sampling them in turn.

    Interleaving puts every peer under the same machine conditions, so the
    ratios within one run are comparable even on a noisy shared machine.
    """
    for func in funcs.values():
        func()  # warm-up: compilation or cache load, first-touch page faults
    loops = {name: _calls_per_sample(func) for name, func in funcs.items()}
    best = dict.fromkeys(funcs, float("inf"))
    start = time.perf_counter()
    rounds = 0
    while rounds < max_rounds and (rounds < 3 or time.perf_counter() - start < budget):
        for name, func in funcs.items():
            count = loops[name]
            t0 = time.perf_counter()
            for _ in range(count):
                func()
            best[name] = min(best[name], (time.perf_counter() - t0) / count)
        rounds += 1
    return best


def peak_extra_bytes(func) -> int:
    """Peak memory a call allocates through Python/NumPy (tracemalloc)."""
    func()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        func()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def machine_info(threads: int) -> dict:
    """What the numbers were measured on."""
    import numba
    import sklearn

    import fastloss

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    torch = _torch()
    return {
        "cores": os.cpu_count(),
        "threads": threads,
        "cpu": cpu,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "fastloss": fastloss.__version__,
        "numpy": np.__version__,
        "numba": numba.__version__,
        "sklearn": sklearn.__version__,
        "torch": getattr(torch, "__version__", None),
        "backend": get_backend(),
    }


def run(cases, threads=None, budget=1.0, progress=None, seed=0):
    """Measure ``cases`` in place; ``progress(i, total, case)`` is called before each."""
    threads = threads or os.cpu_count()
    rng = np.random.default_rng(seed)
    backend = get_backend()
    for i, case in enumerate(cases):
        if progress is not None:
            progress(i, len(cases), case)
        workload = all_workloads()[case.workload]
        data = workload.make(case.n, case.k, np.dtype(case.dtype), rng)
        funcs = {p: f for p, f in workload.callables(data, threads).items() if f is not None}
        if backend == "numpy":
            funcs.pop("fastloss_numpy", None)  # the subject already runs on NumPy
        # torch is timed on its own, after the others: its OpenMP threads
        # keep spinning after each call and slowed whatever was sampled next
        # by up to 1.6x (the floor, fastloss), which made every ratio of a run
        # with torch installed wrong.
        torch_step = funcs.pop("torch", None)
        case.times = time_interleaved(funcs, budget=budget)
        if torch_step is not None:
            case.times.update(time_interleaved({"torch": torch_step}, budget=budget / 2))
        case.peak_extra_bytes = peak_extra_bytes(funcs["fastloss"])
        del data, funcs
    return cases


def to_json(cases, machine, settings) -> dict:
    return {
        "schema": SCHEMA,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine,
        "settings": settings,
        "results": [c.as_dict() for c in cases],
    }


def _ms(seconds):
    if seconds is None:
        return "-"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f}us"
    return f"{seconds * 1e3:.2f}ms"


def _ratio(value):
    return "-" if value is None else f"{value:.1f}x"


def format_table(cases) -> str:
    """The table ``fastloss bench`` prints."""
    present = [p for p in PEERS if any(p in c.times for c in cases)]
    header = ["workload", "size", "dtype"] + present
    header += [f"vs {p}" for p in present if p not in ("fastloss", "floor")]
    header += ["of floor", "peak mem"]
    rows = []
    for c in cases:
        row = [c.workload, c.size_label, c.dtype] + [_ms(c.times.get(p)) for p in present]
        row += [_ratio(c.speedup(p)) for p in present if p not in ("fastloss", "floor")]
        fraction = c.speedup("floor")
        row += ["-" if fraction is None else f"{fraction:.2f}"]
        row += ["-" if c.peak_extra_bytes is None else f"{c.peak_extra_bytes / 1024:.0f}KiB"]
        rows.append(row)
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    line = lambda r: "  ".join(  # noqa: E731
        str(v).ljust(w) if i < 3 else str(v).rjust(w) for i, (v, w) in enumerate(zip(r, widths))
    )
    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(r) for r in rows])


def plot(cases, path):
    """Speed-up per workload and time against size (log-log) as a PNG."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise RuntimeError(
            "--plot needs matplotlib: python -m pip install matplotlib"
        ) from exc
    series = {}
    for c in cases:
        key = (c.workload, c.k, c.dtype)
        series.setdefault(key, []).append(c)
    fig, axes = plt.subplots(1, 2, figsize=(14, 5.5))
    largest = [max(group, key=lambda c: c.n) for group in series.values()]
    names = [f"{c.workload}\n{c.size_label} {c.dtype}" for c in largest]
    for offset, peer in enumerate(("sklearn", "numpy", "torch")):
        values = [c.speedup(peer) or 0.0 for c in largest]
        if any(values):
            axes[0].barh(
                np.arange(len(largest)) + 0.27 * (offset - 1), values, height=0.27,
                label=f"vs {peer}",
            )
    axes[0].set_yticks(np.arange(len(largest)), names, fontsize=7)
    axes[0].axvline(1.0, color="black", lw=0.8)
    axes[0].set_xscale("log")
    axes[0].set_xlabel("speed-up of fastloss (peer time / fastloss time), largest size")
    axes[0].legend()
    for (workload, k, dtype), group in series.items():
        group = sorted(group, key=lambda c: c.n)
        if len(group) < 2:
            continue
        xs = [c.n * (k or 1) for c in group]
        label = workload.split(".")[0] + ("" if k is None else f" k={k}") + f" {dtype}"
        (line,) = axes[1].plot(xs, [c.times["fastloss"] for c in group], "o-", label=label)
        if all("sklearn" in c.times for c in group):
            axes[1].plot(xs, [c.times["sklearn"] for c in group], "s--", color=line.get_color(),
                         alpha=0.6)
        axes[1].plot(xs, [c.times["floor"] for c in group], ":", color=line.get_color(), alpha=0.6)
    axes[1].set_xscale("log")
    axes[1].set_yscale("log")
    axes[1].set_xlabel("elements")
    axes[1].set_ylabel("seconds per call (o- fastloss, s-- scikit-learn, : floor)")
    axes[1].legend(fontsize=6)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(args) -> int:
    """``fastloss bench``: run, print the table, write JSON and plot if asked."""
    from ._config import set_backend
    from ._jit import get_num_threads, set_num_threads

    if not 0 <= getattr(args, "training_scale", 0.0) <= 1:
        print(
            f"fastloss bench: --training-scale must be between 0 and 1, got {args.training_scale}",
            file=sys.stderr,
        )
        return 2
    if args.threads is not None:
        cores = os.cpu_count() or 1
        if not 1 <= args.threads <= cores:
            print(
                f"fastloss bench: --threads must be between 1 and {cores} (the cores "
                f"here), got {args.threads}",
                file=sys.stderr,
            )
            return 2
        set_num_threads(args.threads)
        torch = _torch()
        if torch is not None:
            torch.set_num_threads(args.threads)
    threads = args.threads or get_num_threads()
    set_backend(args.backend)
    mode = "full" if args.full else "quick"
    dtypes = tuple(args.dtype) if args.dtype else (
        ("float64", "float32") if mode == "full" else ("float64",)
    )
    cases = plan(mode, dtypes, args.workload, args.sizes, args.classes)
    machine = machine_info(threads)
    print(
        f"fastloss {machine['fastloss']} bench ({mode}, backend {machine['backend']}): "
        f"{machine['cpu']}, {machine['cores']} cores, {threads} threads; numpy "
        f"{machine['numpy']}, numba {machine['numba']}, scikit-learn {machine['sklearn']}, "
        f"torch {machine['torch'] or 'not installed'}",
        flush=True,
    )
    started = time.perf_counter()

    def progress(i, total, case):
        print(
            f"\r[{i + 1}/{total}] {case.workload} {case.size_label} {case.dtype}".ljust(78),
            end="",
            file=sys.stderr,
            flush=True,
        )

    run(cases, threads=threads, budget=args.budget, progress=progress)
    print("\r" + " " * 78 + "\r", end="", file=sys.stderr)
    print(format_table(cases))
    print(
        f"times: best per call, peers sampled in turn; 'vs X' = X time / fastloss time; "
        f"'of floor' = floor time / fastloss time; {time.perf_counter() - started:.0f} s"
    )
    settings = {
        "mode": mode,
        "dtypes": list(dtypes),
        "workloads": sorted({c.workload for c in cases}),
        "budget_seconds": args.budget,
    }
    training = None
    scale = getattr(args, "training_scale", 0.0)
    if mode == "full" and scale > 0:
        from .benchmark_training import epoch_figures, format_epoch_figures
        from .benchmark_training import run as run_training

        print("\ntraining: fastloss.linear_model against scikit-learn (80/20 split, defaults)")
        training = run_training(scale=scale, repeat=3, progress=lambda text: print(text, flush=True))
        epoch = epoch_figures(scale=scale)
        print("\n" + format_epoch_figures(epoch))
        settings["training_scale"] = scale
    if args.json:
        report = to_json(cases, machine, settings)
        if training is not None:
            report["training"] = training
            report["training_epoch"] = epoch
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)
        print(f"wrote {args.json}")
    if args.plot:
        plot(cases, args.plot)
        print(f"wrote {args.plot}")
    return 0
