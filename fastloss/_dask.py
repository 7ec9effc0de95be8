"""Dask arrays in the metrics: per-chunk partial states, merged.

Nothing here imports Dask until a Dask collection is actually passed: the
metrics test :func:`is_dask` (a look at the type's module) first.
"""

from __future__ import annotations

import numpy as np

from functools import reduce

from . import streaming
from ._log_loss_core import check_class_count, finish, log_loss_sums
from ._losses.selection import merge_passes
from ._metric_core import (
    SELECTION_MIN_SAMPLES,
    ArrayReader,
    check_weights,
    moments_state,
    output_weights,
    promoted_dtype,
    regression_inputs,
    target_moments,
)
from ._validation import as_ndarray, check_consistent_length


def promoted(dtypes):
    """The result dtype of several blocks' result dtypes."""
    return reduce(promoted_dtype, dtypes, None)


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
    """The declared regression ``metric``: one accumulator per block, merged
    (a quantile: the selection's passes over every block, merged)."""
    if not metric.mergeable:
        return _selection_metric(metric, y_true, y_pred, sample_weight, multioutput, params)
    cls = streaming.accumulator_of_metric(metric)
    make = lambda: cls(**metric.keywords(multioutput, params))  # noqa: E731
    return accumulate(make, y_true, y_pred, sample_weight).result()


def _block_inputs(metric, multioutput, y, p, w):
    return regression_inputs(metric, y, p, w, multioutput)


def _block_pass(metric, multioutput, y, p, w, col, mode, level, prefix):
    """One selection pass over one block, its inputs checked as the one-shot
    function checks them; also the block's output count, result dtype and rows."""
    inputs = _block_inputs(metric, multioutput, y, p, w)
    part = ArrayReader(inputs).select_pass(col, mode, level, prefix)
    if level == 0:  # the values' checks, as the one-shot function's
        if part[4]:
            inputs.check_finite()
        check_weights(inputs.w, part[3])
    return part, inputs.y.shape[1], inputs.dtype, inputs.y.shape[0]


def _block_value_sums(metric, multioutput, y, p, w, kernels, theta, constants):
    reader = ArrayReader(_block_inputs(metric, multioutput, y, p, w))
    return reader.value_sums(kernels, theta, constants)


def _block_check_values(metric, multioutput, y, p, w, params):
    metric.check_values(_block_inputs(metric, multioutput, y, p, w), params)


def _block_moments(metric, multioutput, y, p, w):
    return moments_state(_block_inputs(metric, multioutput, y, p, w), {})


class _DaskReader:
    """The passes of a quantile metric over Dask blocks: each pass runs on
    every block and the partial histograms (or sums) merge, so the result is
    the one-shot function's, exactly (no sort, no gather of the data)."""

    def __init__(self, metric, multioutput, y_true, y_pred, sample_weight):
        self.metric, self.multioutput = metric, multioutput
        self.blocks = aligned_blocks(y_true, y_pred, sample_weight)
        self._cached = {}
        # The first pass of |y - p| checks every block's values (NaN, inf,
        # weights) and tells the shape; a median's selection starts with it.
        parts = self._run(0, 0, 0, 0)
        self._cached[(0, 0, 0, 0)] = parts
        self.n_outputs = parts[0][1]
        self.dtype = promoted(part[2] for part in parts)
        self.n = sum(part[3] for part in parts)

    def _run(self, col, mode, level, prefix):
        import dask

        cached = self._cached.pop((col, mode, level, prefix), None)
        if cached is not None:
            return cached
        return dask.compute(*[
            dask.delayed(_block_pass)(self.metric, self.multioutput, *block,
                                      col, mode, level, prefix)
            for block in self.blocks
        ])  # fmt: skip

    def select_pass(self, col, mode, level, prefix):
        return merge_passes([part[0] for part in self._run(col, mode, level, prefix)])

    def value_sums(self, kernels, theta, constants=None):
        import dask

        parts = dask.compute(*[
            dask.delayed(_block_value_sums)(self.metric, self.multioutput, *block,
                                            kernels, theta, constants)
            for block in self.blocks
        ])  # fmt: skip
        sums = sum(part[0] for part in parts)
        return sums, sum(part[1] for part in parts), min(part[2] for part in parts)

    def check_finite(self):
        """(Every block's values were checked by the first pass.)"""

    def check_values(self):
        """scikit-learn's error for values outside the metric's domain, from
        the first block that has one."""
        import dask

        if self.metric.check_values is not None:
            dask.compute(*[
                dask.delayed(_block_check_values)(self.metric, self.multioutput, *block,
                                                  self.params)
                for block in self.blocks
            ])  # fmt: skip

    def moments(self):
        import dask

        states = dask.compute(*[
            dask.delayed(_block_moments)(self.metric, self.multioutput, *block)
            for block in self.blocks
        ])  # fmt: skip
        total = states[0]
        for state in states[1:]:
            total.merge(state)
        return total

    def target_moments(self):
        return target_moments(self.moments())


def _selection_metric(metric, y_true, y_pred, sample_weight, multioutput, params):
    """A quantile metric on Dask arrays (see :class:`_DaskReader`)."""
    reader = _DaskReader(metric, multioutput, y_true, y_pred, sample_weight)
    if reader.n < SELECTION_MIN_SAMPLES:
        # Few rows: the one-shot function's path on them (a quantile sorts there,
        # and a constant target gets scikit-learn's arithmetic), so both agree.
        import dask

        y, p, w = dask.compute(*prepare(y_true, y_pred, sample_weight))
        inputs = regression_inputs(metric, y, p, w, multioutput)
        state = metric.compute(inputs, params)
        return metric.finish(state, inputs.averaging, inputs.dtype, params, inputs)
    reader.params = params
    state = metric.state.reader_state(reader, params)
    if not state.finite():
        reader.check_values()  # values outside the metric's domain: its error
    averaging = output_weights(metric, multioutput, reader.n_outputs)
    return metric.finish(state, averaging, reader.dtype, params)


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


def class_metric(metric, y_true, y_pred, sample_weight, keywords):
    """A metric of class predictions (``fastloss._class_metric_core``): the
    classes of the whole ``y_true`` first (one pass over it), then one
    accumulator per block given them, merged."""
    import dask
    import dask.array as da

    if metric.proba and not is_dask(y_pred):  # nullable probabilities are float64
        y_pred = as_ndarray(y_pred, extension_dtype=np.float64)
    y_true, y_pred, sample_weight = prepare(y_true, y_pred, sample_weight)
    labels = keywords.get("labels")
    binary = y_pred.ndim == 1 or y_pred.shape[1] == 1
    if y_true.ndim == 2 and y_true.shape[1] > 1:
        # A label indicator matrix (rare): the one-shot function's checks on
        # the computed arrays.
        return metric.compute(*dask.compute(y_true, y_pred, sample_weight), **keywords)
    y = y_true if is_dask(y_true) else da.from_array(y_true)
    classes = np.unique(da.unique(y.reshape(-1)).compute())
    if not metric.proba:  # hinge_loss: labels decide between binary and multiclass
        declared = classes if labels is None else np.unique(as_ndarray(labels))
        if declared.size <= 2 < classes.size:
            # Binary by its labels, multiclass by y_true (scikit-learn's odd
            # case): the one-shot function on the computed arrays.
            return metric.compute(*dask.compute(y_true, y_pred, sample_weight), **keywords)
        stream = declared if declared.size > 2 else classes
    elif binary and "pos_label" in metric.keywords:
        stream = classes  # the binary path: y_true's own classes
    elif labels is None:
        n_columns = 2 if binary else y_pred.shape[1]
        display = (lambda c: c.astype(bool)) if classes.dtype.kind == "b" else (lambda c: c)
        check_class_count(classes, n_columns, False, display)
        stream = classes
    else:
        stream = labels
    rest = {k: v for k, v in keywords.items() if k != "labels"}
    cls = streaming.accumulator_of_metric(metric)
    make = lambda: cls(stream, **rest)  # noqa: E731
    return accumulate(make, y_true, y_pred, sample_weight).result()
