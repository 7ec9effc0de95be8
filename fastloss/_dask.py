"""Dask arrays in the metrics: per-chunk partial states, merged.

Nothing here imports Dask until a Dask collection is actually passed: the
metrics test :func:`is_dask` (a look at the type's module) first.
"""

from __future__ import annotations

import numpy as np

from . import streaming
from ._log_loss_core import check_class_count, finish, log_loss_sums
from ._validation import as_ndarray, check_consistent_length


def is_dask(*values) -> bool:
    """Whether any of ``values`` is a Dask collection (without importing Dask)."""
    return any(type(v).__module__.partition(".")[0] == "dask" for v in values if v is not None)


def prepare(*values):
    """The inputs of a metric given at least one Dask array, checked as scikit-learn checks them.

    Non-Dask inputs (lists, NumPy, pandas, extension dtypes included) go
    through :func:`fastloss._validation.as_ndarray`; Dask arrays get known
    chunk sizes.  Lengths are compared (a 0-d input raises scikit-learn's
    ``TypeError``) before any block is built.  ``None`` stays ``None``.
    """
    out = []
    for v in values:
        if v is not None and is_dask(v):
            if v.ndim and any(np.isnan(c) for c in v.chunks[0]):
                v = v.compute_chunk_sizes()
        elif v is not None:
            v = as_ndarray(v)
        out.append(v)
    check_consistent_length(*out)
    return out


def aligned_blocks(*values):
    """Delayed sample-blocks of ``values``, chunked alike along the first axis.

    Inputs go through :func:`prepare`; NumPy arrays are wrapped and Dask
    arrays rechunked to the sample chunks of the first Dask array (other
    axes in one chunk).  Returns a list with, per block, a tuple of delayed
    arrays (None stays None).
    """
    import dask.array as da

    arrays = prepare(*values)
    lead = next(a for a in arrays if is_dask(a))
    chunks0 = lead.chunks[0]
    out = []
    for a in arrays:
        if a is None:
            out.append(None)
            continue
        chunks = (chunks0,) + tuple(-1 for _ in range(a.ndim - 1))
        a = a.rechunk(chunks) if is_dask(a) else da.from_array(a, chunks=chunks)
        out.append(a.to_delayed().reshape(-1))
    n_blocks = len(chunks0)
    return [tuple(None if d is None else d[i] for d in out) for i in range(n_blocks)]


def _update(accumulator, *block):
    return accumulator.update(*block)


def _merge(parts):
    total = parts[0]
    for part in parts[1:]:
        total.merge(part)
    return total


def accumulate(make, *values):
    """Update one accumulator per block (on the workers), merge, return it."""
    import dask

    parts = [dask.delayed(_update)(make(), *block) for block in aligned_blocks(*values)]
    (merged,) = dask.compute(dask.delayed(_merge)(parts))
    return merged


def regression_metric(metric, y_true, y_pred, sample_weight, multioutput, params):
    """The declared regression ``metric``: one accumulator per block, merged."""
    cls = streaming.accumulator_of_metric(metric)
    make = lambda: cls(**metric.keywords(multioutput, params))  # noqa: E731
    return accumulate(make, y_true, y_pred, sample_weight).result()


def log_loss(y_true, y_proba, normalize, sample_weight, labels):
    import dask
    import dask.array as da

    if not is_dask(y_proba):  # nullable probabilities are float64, as in the one-shot function
        y_proba = as_ndarray(y_proba, extension_dtype=np.float64)
    y_true, y_proba, sample_weight = prepare(y_true, y_proba, sample_weight)
    if y_true.ndim == 2 and y_true.shape[1] > 1 and labels is None:
        # A label indicator matrix (rare): its classes are its columns, and
        # its checks are the one-shot function's, on the computed arrays.
        y_true, y_proba, sample_weight = dask.compute(y_true, y_proba, sample_weight)
        return finish(*log_loss_sums(y_true, y_proba, sample_weight, None), normalize)
    if labels is None:
        # The classes of the whole y_true (one pass over it, not over y_proba),
        # checked as the one-shot function checks them.
        y = y_true if is_dask(y_true) else da.from_array(y_true)
        classes = np.unique(da.unique(y).compute())
        n_columns = 2 if y_proba.ndim == 1 or y_proba.shape[1] == 1 else y_proba.shape[1]
        display = (lambda c: c.astype(bool)) if classes.dtype.kind == "b" else (lambda c: c)
        check_class_count(classes, n_columns, False, display)
        labels = classes

    make = lambda: streaming.LogLoss(labels, normalize=normalize)  # noqa: E731
    return accumulate(make, y_true, y_proba, sample_weight).result()
