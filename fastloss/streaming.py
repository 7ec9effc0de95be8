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

Metric accumulators: :class:`MeanSquaredError`, :class:`RootMeanSquaredError`,
:class:`MeanAbsoluteError`, :class:`LogLoss`.  Loss accumulators: one per
registered loss, made from the registry (a loss registered later gets one
too): ``streaming.<LossClass>(**params)`` accumulates ``LossClass(**params).loss``,
named after the loss class, except that ``Loss`` is appended where a metric
accumulator has that name: ``MeanSquaredErrorLoss`` and
``MeanAbsoluteErrorLoss`` (also reachable under their earlier names
``SquaredErrorLoss`` and ``AbsoluteErrorLoss``).  Accumulators merge only
with accumulators of the same loss and parameter values.

>>> from fastloss import Huber
>>> a, b = streaming.Huber(delta=0.5), streaming.Huber(delta=0.5)
>>> _ = a.update([0.0, 1.0], [0.2, 3.0]); _ = b.update([2.0], [2.5], sample_weight=[2.0])
>>> a.merge(b)
Huber(delta=0.5, n_updates=2)
>>> a.result() == Huber(delta=0.5).loss([0.0, 1.0, 2.0], [0.2, 3.0, 2.5], [1.0, 1.0, 2.0])
True
"""

from __future__ import annotations

import numpy as np

from . import metrics as _metrics
from . import losses as _losses  # noqa: F401 - registers the built-in losses
from ._losses import absolute_error, squared_error
from ._registry import LOSSES


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


class LossAccumulator(_Accumulator):
    """Streaming weighted mean of a fused loss: ``loss(...)`` of the loss object.

    Not instantiated itself: ``streaming.<Name>`` is the subclass for the
    registered loss class ``Name`` (see the module's docstring for the naming
    rule), made from the registry on first use.  Its constructor takes the
    loss's parameters as keyword arguments, validated by the loss class.
    """

    #: The fused loss class whose weighted mean this accumulates.
    loss_class = None

    def __init__(self, **params):
        if self.loss_class is None:
            raise TypeError(
                "LossAccumulator is the base of streaming.<LossName>; use one of those."
            )
        super().__init__()
        self.loss = self.loss_class(**params)

    def get_params(self) -> dict:
        """The loss's parameters, by name."""
        return self.loss.get_params()

    def __setstate__(self, state):
        self.__dict__.update(state)
        if "loss" not in state:  # pickled before the accumulators kept their loss object
            self.loss = self.loss_class()

    def _key(self):
        return (type(self), self.loss_class, tuple(sorted(self.get_params().items())))

    def merge(self, other):
        if isinstance(other, LossAccumulator) and other._key() != self._key():
            raise TypeError(
                f"Can only merge {self!r} with an accumulator of the same loss and "
                f"parameters, got {other!r}."
            )
        return super().merge(other)

    def update(self, y_true, raw_prediction, sample_weight=None):
        """Add a chunk (arguments as in the loss object's ``loss``); returns self."""
        total, wsum, _ = self.loss.loss_sums(y_true, raw_prediction, sample_weight)
        self._add([total], wsum)
        return self

    def result(self):
        """Weighted mean loss over every sample seen."""
        sums, wsum = self._totals()
        return float(sums[0]) / wsum

    def __repr__(self):
        args = [f"{k}={v!r}" for k, v in self.get_params().items()]
        return f"{type(self).__name__}({', '.join(args + [f'n_updates={self.n_updates}'])})"


#: Names of the metric accumulators: a loss accumulator whose loss class has
#: one of these names is called ``<name>Loss`` instead.
METRIC_ACCUMULATORS = ("MeanSquaredError", "RootMeanSquaredError", "MeanAbsoluteError", "LogLoss")
#: Names the loss accumulators had before they were made from the registry
#: (alias -> registry name of the loss), kept working.
_LEGACY = {"SquaredErrorLoss": "squared_error", "AbsoluteErrorLoss": "absolute_error"}
#: loss class -> its accumulator class (made once: pickling needs one class per name).
_MADE: dict = {}


def accumulator_name(loss_class) -> str:
    """The name of ``loss_class``'s accumulator in this module.

    The loss class's name, with ``Loss`` appended where a metric accumulator
    already has that name (``MeanSquaredError`` -> ``MeanSquaredErrorLoss``).
    """
    name = loss_class.__name__
    return name + "Loss" if name in METRIC_ACCUMULATORS else name


def accumulator_for(loss_class):
    """The accumulator class of the fused loss class ``loss_class`` (made on first use)."""
    made = _MADE.get(loss_class)
    if made is None:
        name = accumulator_name(loss_class)
        defaults = ", ".join(f"{p.name}={p.default!r}" for p in loss_class.params)
        made = type(name, (LossAccumulator,), {
            "__module__": __name__,
            "__qualname__": name,
            "__doc__": f"Streaming weighted mean of :class:`{loss_class.__module__}."
                       f"{loss_class.__qualname__}` (``loss(...)``), mergeable.\n\n"
                       f"Parameters (keyword only): {defaults or 'none'}.",
            "loss_class": loss_class,
        })  # fmt: skip
        import inspect  # here: made on first use, not at import

        made.__signature__ = inspect.Signature([
            inspect.Parameter(p.name, inspect.Parameter.KEYWORD_ONLY, default=p.default)
            for p in loss_class.params
        ])  # fmt: skip
        _MADE[loss_class] = made
    return made


def _loss_accumulators() -> dict:
    """Accumulator name -> loss class, for every registered loss (and the legacy names)."""
    names = {accumulator_name(cls): cls for cls in LOSSES.values()}
    for alias, registered in _LEGACY.items():
        if registered in LOSSES:
            names.setdefault(alias, LOSSES[registered])
    return names


_STATIC = ["MeanSquaredError", "RootMeanSquaredError", "MeanAbsoluteError", "LogLoss",
           "LossAccumulator", "accumulator_for", "accumulator_name"]  # fmt: skip


def __getattr__(name):
    # Loss accumulators come from the registry when asked for: a loss
    # registered after this module was imported gets one too.
    if name == "__all__":
        return _STATIC + sorted(_loss_accumulators())
    cls = _loss_accumulators().get(name)
    if cls is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return accumulator_for(cls)


def __dir__():
    return sorted(set(globals()) | set(_loss_accumulators()))
