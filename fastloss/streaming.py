"""Streaming, mergeable accumulators for every metric and loss.

Each accumulator keeps a few floats per output: compensated (Neumaier) sums
of the weighted losses and of the weights.  ``update`` adds a chunk (computed
by the same kernels as the one-shot functions), ``merge`` adds another
accumulator's state, ``result`` finishes.  Updating over any split of the data
and merging in any order gives the one-shot result to rounding.  The state
is plain floats and NumPy arrays: accumulators pickle, so partial states can
travel between processes (this is how the Dask support combines chunks).

>>> import numpy as np
>>> from fastloss import streaming, mean_squared_error
>>> y, p = np.arange(10.0), np.arange(10.0) ** 1.1
>>> left, right = streaming.MeanSquaredError(), streaming.MeanSquaredError()
>>> _ = left.update(y[:3], p[:3]); _ = right.update(y[3:], p[3:])
>>> bool(np.isclose(left.merge(right).result(), mean_squared_error(y, p), rtol=1e-14))
True
"""

from __future__ import annotations

import numpy as np

from . import metrics as _metrics
from ._losses import absolute_error, squared_error
from ._validation import check_weight_stats
from .losses import BinaryCrossEntropy as _BCE
from .losses import CrossEntropy as _CE
from .losses import MeanAbsoluteError as _MAE
from .losses import MeanSquaredError as _MSE

__all__ = [
    "MeanSquaredError",
    "RootMeanSquaredError",
    "MeanAbsoluteError",
    "LogLoss",
    "BinaryCrossEntropy",
    "CrossEntropy",
    "SquaredErrorLoss",
    "AbsoluteErrorLoss",
]


def _neumaier_add(total, comp, value):
    """Compensated ``total + value`` on float64 arrays (in place)."""
    new = total + value
    big = np.abs(total) >= np.abs(value)
    comp += np.where(big, (total - new) + value, (value - new) + total)
    total[...] = new


def _lowest(a, b):
    if a is None or b is None:
        return b if a is None else a
    return np.result_type(a, b)


class _Accumulator:
    """Compensated sums ``(sums[k], weight_sum)`` and the merging rules."""

    def __init__(self):
        self._sums = None  # float64 (k,) per-output loss sums, or (1,) for scalar losses
        self._comp = None
        self._wsum = np.zeros(1)
        self._wcomp = np.zeros(1)
        self.n_updates = 0

    def _key(self):
        """What must agree for two accumulators to merge."""
        return (type(self),)

    def _add(self, sums, wsum):
        sums = np.asarray(sums, dtype=np.float64).reshape(-1)
        if self._sums is None:
            self._sums = np.zeros_like(sums)
            self._comp = np.zeros_like(sums)
        elif self._sums.shape != sums.shape:
            raise ValueError(
                f"{type(self).__name__}: this chunk has {sums.shape[0]} output(s), earlier "
                f"chunks had {self._sums.shape[0]}."
            )
        _neumaier_add(self._sums, self._comp, sums)
        _neumaier_add(self._wsum, self._wcomp, np.float64(wsum))
        self.n_updates += 1

    def merge(self, other):
        """Add ``other``'s state to this one (returns self)."""
        if not isinstance(other, _Accumulator) or other._key() != self._key():
            raise TypeError(
                f"Can only merge {type(self).__name__} accumulators with the same "
                f"settings, got {other!r}."
            )
        if other._sums is not None:
            self._add(other._sums, other._wsum[0])
            _neumaier_add(self._sums, self._comp, other._comp)
            _neumaier_add(self._wsum, self._wcomp, other._wcomp[0])
            self.n_updates += other.n_updates - 1
        return self

    def _totals(self):
        if self._sums is None:
            raise ValueError(
                f"{type(self).__name__} has no data yet: call update() (or merge an "
                "accumulator that has) before result()."
            )
        sums = self._sums + self._comp
        wsum = float(self._wsum[0] + self._wcomp[0])
        if wsum == 0:
            raise ValueError("Sample weights must contain at least one non-zero number.")
        return sums, wsum

    def __repr__(self):
        return f"{type(self).__name__}(n_updates={self.n_updates})"


class _RegressionMetric(_Accumulator):
    _kernels = None
    _func = ""

    def __init__(self, *, multioutput="uniform_average"):
        super().__init__()
        self.multioutput = multioutput
        self._weights = None
        self._dtype = None  # of 'raw_values' results, as the one-shot metric

    def merge(self, other):
        super().merge(other)
        if self._weights is None:
            self._weights = other._weights
        self._dtype = _lowest(self._dtype, other._dtype)
        return self

    def _key(self):
        mo = self.multioutput
        return (type(self), mo if isinstance(mo, str) else tuple(np.asarray(mo).tolist()))

    def update(self, y_true, y_pred, sample_weight=None):
        """Add a chunk of samples (arguments as in the one-shot metric); returns self."""
        sums, wsum, weights, dtype = _metrics._per_output_sums(
            self._kernels, self._func, y_true, y_pred, sample_weight, self.multioutput, partial=True
        )
        self._add(sums, wsum)
        self._weights = weights
        self._dtype = _lowest(self._dtype, dtype)
        return self

    def _errors(self):
        sums, wsum = self._totals()
        return sums / wsum

    def _finish(self, errors):
        weights = self._weights
        if weights is None:  # merged from others only: validate the setting once
            weights = _metrics._check_multioutput(self.multioutput, self._func, errors.shape[0])
        dtype = self._dtype if self._dtype is not None else np.float64
        return _metrics._average_outputs(errors, weights, dtype)

    def result(self):
        """The metric over every sample seen (float, or array for 'raw_values')."""
        return self._finish(self._errors())


class MeanSquaredError(_RegressionMetric):
    """Streaming :func:`fastloss.mean_squared_error`."""

    _kernels = squared_error.KERNELS
    _func = "mean_squared_error"


class RootMeanSquaredError(_RegressionMetric):
    """Streaming :func:`fastloss.root_mean_squared_error`."""

    _kernels = squared_error.KERNELS
    _func = "root_mean_squared_error"

    def result(self):
        return self._finish(np.sqrt(self._errors()))


class MeanAbsoluteError(_RegressionMetric):
    """Streaming :func:`fastloss.mean_absolute_error`."""

    _kernels = absolute_error.KERNELS
    _func = "mean_absolute_error"


class LogLoss(_Accumulator):
    """Streaming :func:`fastloss.log_loss`; ``labels`` (every class) are required.

    A chunk need not hold every class, so the columns of ``y_proba`` are tied
    to the labels up front, as the one-shot function does with ``labels=``.
    """

    def __init__(self, labels, *, normalize=True):
        super().__init__()
        if labels is None:
            raise ValueError(
                "LogLoss needs every class label up front (labels=...): a chunk need "
                "not contain all classes."
            )
        self.labels = np.asarray(labels)
        self.normalize = normalize

    def _key(self):
        return (type(self), tuple(np.unique(self.labels).tolist()), bool(self.normalize))

    def update(self, y_true, y_proba, sample_weight=None):
        """Add a chunk of samples (arguments as in :func:`fastloss.log_loss`); returns self."""
        total, wsum = _metrics._log_loss_sums(
            y_true, y_proba, sample_weight, self.labels, partial=True
        )
        self._add([total], wsum)
        return self

    def result(self):
        """The log loss over every sample seen."""
        sums, wsum = self._totals()
        total = float(sums[0])
        return total / wsum if self.normalize else total


class _LossMean(_Accumulator):
    """Streaming weighted mean of a fused loss (``loss(...)`` of the loss object)."""

    _loss_cls = None

    def __init__(self):
        super().__init__()
        self._loss = self._loss_cls()

    def __getstate__(self):
        state = dict(self.__dict__)
        del state["_loss"]
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._loss = self._loss_cls()

    def update(self, y_true, raw_prediction, sample_weight=None):
        """Add a chunk (arguments as in the loss object's ``loss``); returns self."""
        loss = self._loss
        y, raw, w = loss._prepare(y_true, raw_prediction, sample_weight)
        total, wsum, wmin = loss._loss_sum(y, raw, w)
        check_weight_stats(w, 1.0 if wsum == 0 else wsum, wmin)  # zero: other chunks may weigh
        self._add([loss._finish(total, y, raw, w)], wsum)
        return self

    def result(self):
        """Weighted mean loss over every sample seen."""
        sums, wsum = self._totals()
        return float(sums[0]) / wsum


class SquaredErrorLoss(_LossMean):
    """Streaming :class:`fastloss.MeanSquaredError` loss."""

    _loss_cls = _MSE


class AbsoluteErrorLoss(_LossMean):
    """Streaming :class:`fastloss.MeanAbsoluteError` loss."""

    _loss_cls = _MAE


class BinaryCrossEntropy(_LossMean):
    """Streaming :class:`fastloss.BinaryCrossEntropy` loss (from logits)."""

    _loss_cls = _BCE


class CrossEntropy(_LossMean):
    """Streaming :class:`fastloss.CrossEntropy` loss (from (n, k) logits)."""

    _loss_cls = _CE
