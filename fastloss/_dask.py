"""Dask arrays in the metrics: per-chunk partial states, merged.

Nothing here imports Dask until a Dask collection is actually passed: the
metrics test :func:`is_dask` (a look at the type's module) first.
"""

from __future__ import annotations

import numpy as np


def is_dask(*values) -> bool:
    """Whether any of ``values`` is a Dask collection (without importing Dask)."""
    return any(type(v).__module__.partition(".")[0] == "dask" for v in values if v is not None)


def aligned_blocks(*values):
    """Delayed sample-blocks of ``values``, chunked alike along the first axis.

    NumPy arrays and lists are wrapped; Dask arrays are rechunked to the
    sample chunks of the first Dask array (other axes in one chunk).  Returns
    a list with, per block, a tuple of delayed arrays (None stays None).
    """
    import dask.array as da

    arrays = [None if v is None else v for v in values]
    lead = next(a for a in arrays if is_dask(a))
    if any(np.isnan(c) for c in lead.chunks[0]):
        lead = lead.compute_chunk_sizes()
    n = lead.shape[0]
    chunks0 = lead.chunks[0]
    out = []
    for a in arrays:
        if a is None:
            out.append(None)
            continue
        if not is_dask(a):
            a = np.asarray(a)
        if a.ndim == 0 or a.shape[0] != n:
            raise ValueError(
                "Found input variables with inconsistent numbers of samples: "
                f"[{n}, {a.shape[0] if a.ndim else 0}]"
            )
        chunks = (chunks0,) + tuple(-1 for _ in range(a.ndim - 1))
        if is_dask(a):
            if any(np.isnan(c) for c in a.chunks[0]):
                a = a.compute_chunk_sizes()
            a = a.rechunk(chunks)
        else:
            a = da.from_array(a, chunks=chunks)
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


def regression_metric(cls, y_true, y_pred, sample_weight, multioutput):
    return accumulate(lambda: cls(multioutput=multioutput), y_true, y_pred, sample_weight).result()


def log_loss(y_true, y_proba, normalize, sample_weight, labels):
    import dask.array as da

    from . import metrics

    if labels is None:
        # The classes of the whole y_true (one pass over it, not over y_proba),
        # checked as the one-shot function checks them.
        y = y_true if is_dask(y_true) else da.from_array(np.asarray(y_true))
        classes = np.unique(da.unique(y).compute())
        n_columns = 2 if y_proba.ndim == 1 or y_proba.shape[1] == 1 else y_proba.shape[1]
        display = (lambda c: c.astype(bool)) if classes.dtype.kind == "b" else (lambda c: c)
        metrics._check_class_count(classes, n_columns, False, display)
        labels = classes
    from . import streaming

    make = lambda: streaming.LogLoss(labels, normalize=normalize)  # noqa: E731
    return accumulate(make, y_true, y_proba, sample_weight).result()
