"""Ahead-of-time compilation of every kernel."""

from __future__ import annotations

import time

import numpy as np

from ._jit import PARALLEL_MIN_SIZE


def warmup(dtypes=("float32", "float64"), parallel: bool = True) -> dict:
    """Compile (or load from the disk cache) every kernel for ``dtypes``.

    Runs each public function and loss method once per dtype, with and without
    sample weights, on inputs small enough for the serial kernels and, when
    ``parallel`` is true, large enough for the parallel ones.

    Parameters
    ----------
    dtypes : sequence of {"float32", "float64"}
        Floating dtypes of the inputs to compile for.
    parallel : bool, default=True
        Also compile the parallel variants (used above 50,000 elements).

    Returns
    -------
    dict
        Seconds spent per dtype.

    Examples
    --------
    >>> import fastloss
    >>> sorted(fastloss.warmup(dtypes=("float64",), parallel=False))
    ['float64']
    """
    from . import losses, metrics
    from ._config import get_backend

    allowed = ("float32", "float64")
    spent = {}
    sizes = (16, PARALLEL_MIN_SIZE) if parallel else (16,)
    for name in dtypes:
        if str(name) not in allowed:
            raise ValueError(f"warmup dtypes must be among {allowed}, got {name!r}.")
        dtype = np.dtype(str(name))
        start = time.perf_counter()
        if get_backend() == "numba":
            for n in sizes:
                _run_all(metrics, losses, n, dtype)
        spent[str(name)] = time.perf_counter() - start
    return spent


def _run_all(metrics, losses, n, dtype):
    rng = np.random.default_rng(0)
    weights = rng.uniform(0.5, 1.5, size=n)
    y = rng.normal(size=n).astype(dtype)
    p = rng.normal(size=n).astype(dtype)
    labels = (np.arange(n) % 2).astype(np.int64)
    proba = rng.uniform(0.1, 0.9, size=n).astype(dtype)
    labels3 = (np.arange(n) % 3).astype(np.int64)
    proba3 = rng.dirichlet(np.ones(3), size=n).astype(dtype)
    logits3 = rng.normal(size=(n, 3)).astype(dtype)
    for w in (None, weights):
        metrics.mean_squared_error(y, p, sample_weight=w)
        metrics.mean_squared_error(np.c_[y, p], np.c_[p, y], sample_weight=w)
        metrics.mean_absolute_error(y, p, sample_weight=w)
        metrics.mean_absolute_error(np.c_[y, p], np.c_[p, y], sample_weight=w)
        metrics.log_loss(labels, proba, sample_weight=w)
        metrics.log_loss(labels * 2 - 1, proba, sample_weight=w)  # labels that need a search
        metrics.log_loss(labels3, proba3, sample_weight=w)
        for loss, target, raw in (
            (losses.MeanSquaredError(), y, p),
            (losses.MeanAbsoluteError(), y, p),
            (losses.BinaryCrossEntropy(), labels.astype(dtype), p),
            (losses.CrossEntropy(), labels3, logits3),
        ):
            loss.loss(target, raw, sample_weight=w)
            loss.loss_gradient(target, raw, sample_weight=w)
