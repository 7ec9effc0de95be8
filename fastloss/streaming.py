"""Streaming, mergeable accumulators for every metric and loss.

Each accumulator keeps a few floats per output: compensated (Neumaier) sums
of the weighted losses and of the weights, or weighted moments merged by
Chan's formula for the variance-based scores.  ``update`` adds a chunk (computed
by the same kernels as the one-shot functions), ``merge`` adds another
accumulator's state, ``result`` finishes.  Updating over any split of the data
and merging in any order gives the one-shot result to rounding (one
exception: a constant target column in ``R2Score`` and
``ExplainedVarianceScore``, where the one-shot functions follow scikit-learn's
rounding of its mean and the accumulators keep the exact variance 0).  The state
is plain floats and NumPy arrays: accumulators pickle, so partial states can
travel between processes (this is how the Dask support combines chunks).

>>> import numpy as np
>>> from fastloss import streaming, mean_squared_error
>>> y, p = np.arange(10.0), np.arange(10.0) ** 1.1
>>> left, right = streaming.MeanSquaredError(), streaming.MeanSquaredError()
>>> _ = left.update(y[:3], p[:3]); _ = right.update(y[3:], p[3:])
>>> bool(np.isclose(left.merge(right).result(), mean_squared_error(y, p), rtol=1e-14))
True

Metric accumulators: one per metric declared in the metric core, named
after the function in CamelCase (``r2_score`` -> ``R2Score``), keyword
arguments in the constructor (``streaming.R2Score(multioutput=...)``),
:class:`LogLoss`, and one per metric of class predictions
(``BrierScoreLoss``, ``D2BrierScore``, ``D2LogLossScore``, ``HingeLoss``:
every class label first, as ``LogLoss`` takes them).  Loss accumulators: one per
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

import copy

import numpy as np

from . import _class_metric_core as _class_core
from . import _log_loss_core
from . import _metric_core as _core
from . import losses as _losses  # noqa: F401 - registers the built-in losses
from ._registry import CLASS_METRICS, LOSSES, METRICS


def _sums_from_legacy(state):
    """A state pickled before the metric core kept its sums as four arrays:
    the SumsState they make (None for an accumulator without data)."""
    sums = state.pop("_sums")
    comp, wsum, wcomp = state.pop("_comp"), state.pop("_wsum"), state.pop("_wcomp")
    if sums is None:
        return None
    restored = _core.SumsState(sums, wsum[0], 1.0, 0)
    restored.comp, restored.wcomp = comp.copy(), wcomp.copy()
    return restored


def _require_data(acc):
    """The error of ``result()`` on an accumulator that has seen no data."""
    if acc._state is None:
        raise ValueError(
            f"{type(acc).__name__} has no data yet: call update() (or merge an "
            "accumulator that has) before result()."
        )


def _check_mergeable(acc, other, base):
    """Accumulators merge with accumulators of the same kind and settings only."""
    if not isinstance(other, base) or other._key() != acc._key():
        raise TypeError(
            f"Can only merge {type(acc).__name__} accumulators with the same "
            f"settings, got {other!r}."
        )


class _Accumulator:
    """A :class:`~fastloss._metric_core.SumsState` (compensated sums of the
    weighted losses and of the weights) and the merging rules."""

    def __init__(self):
        self._state = None
        self.n_updates = 0

    def __setstate__(self, state):
        if "_sums" in state:
            state["_state"] = _sums_from_legacy(state)
        self.__dict__.update(state)

    def _key(self):
        """What must agree for two accumulators to merge."""
        return (type(self),)

    def _add(self, total, wsum):
        part = _core.SumsState([total], wsum, 1.0, 0)
        self._state = part if self._state is None else self._state.merge(part)
        self.n_updates += 1

    def merge(self, other):
        """Add ``other``'s state to this one (returns self)."""
        _check_mergeable(self, other, _Accumulator)
        if other._state is not None:
            # A copy where this accumulator takes the state over: merging
            # into it later must not change ``other``.
            theirs = copy.deepcopy(other._state)
            self._state = theirs if self._state is None else self._state.merge(theirs)
            self.n_updates += other.n_updates
        return self

    def _totals(self):
        _require_data(self)
        sums, wsum = self._state.totals()
        _core.check_weight_sum(wsum)
        return sums, wsum

    def __repr__(self):
        return f"{type(self).__name__}(n_updates={self.n_updates})"


class MetricAccumulator:
    """Streaming form of a regression metric declared in the metric core.

    Not instantiated itself: ``streaming.<Name>`` (the metric's name in
    CamelCase: ``r2_score`` -> ``R2Score``) is the subclass for one metric,
    made from the declaration on first use.  Its constructor takes the
    metric's keyword arguments (``multioutput`` and the metric's own, such
    as ``force_finite``), checked as the function checks them; ``update``
    takes ``(y_true, y_pred, sample_weight=None)`` chunks.
    """

    #: The metric's declaration (``fastloss._metric_core.RegressionMetric``).
    metric = None

    def __init__(self, **params):
        if self.metric is None:
            raise TypeError(
                "MetricAccumulator is the base of streaming.<MetricName>; use one of those."
            )
        multioutput = None
        if not self.metric.single_output:
            multioutput = params.pop("multioutput", "uniform_average")
        unknown = set(params) - {p.name for p in self.metric.params}
        if unknown:
            raise TypeError(
                f"{type(self).__name__} got unexpected keyword argument(s) {sorted(unknown)}."
            )
        params = {**self.metric.defaults(), **params}
        _core.check_setting(self.metric, multioutput, params)
        self.multioutput = multioutput
        self.params = params
        self._state = None
        self._averaging = None  # the checked multioutput (once the output count is known)
        self._dtype = None  # of 'raw_values' results, as the one-shot metric
        self.n_updates = 0

    def __setstate__(self, state):
        if "_sums" in state:  # pickled before the metric core
            state["_state"] = _sums_from_legacy(state)
            state["_averaging"] = state.pop("_weights", None)
            state["params"] = self.metric.defaults()
        self.__dict__.update(state)

    def _key(self):
        mo = self.multioutput
        mo = mo if mo is None or isinstance(mo, str) else tuple(np.asarray(mo).tolist())
        return (type(self), mo, tuple(sorted(self.params.items())))

    def _absorb(self, state):
        if self._state is None:
            self._state = state
        elif self._state.n_outputs != state.n_outputs:
            raise ValueError(
                f"{type(self).__name__}: this chunk has {state.n_outputs} output(s), earlier "
                f"chunks had {self._state.n_outputs}."
            )
        else:
            self._state.merge(state)

    def update(self, y_true, y_pred, sample_weight=None):
        """Add a chunk of samples (arguments as in the one-shot metric); returns self."""
        if sample_weight is not None and not self.metric.weighted:
            raise TypeError(f"{type(self).__name__}.update takes no sample_weight.")
        _core.check_arrays(self.metric, y_true, y_pred, sample_weight)
        inputs = _core.regression_inputs(self.metric, y_true, y_pred, sample_weight, self.multioutput)
        self._absorb(self.metric.compute(inputs, self.params))
        self._averaging = inputs.averaging
        self._dtype = _core.promoted_dtype(self._dtype, inputs.dtype)
        self.n_updates += 1
        return self

    def merge(self, other):
        """Add ``other``'s state to this one (returns self)."""
        _check_mergeable(self, other, MetricAccumulator)
        if other._state is not None:
            # A copy where this accumulator takes the state over: merging
            # into it later must not change ``other``.
            self._absorb(other._state if self._state is not None else copy.deepcopy(other._state))
            if self._averaging is None:
                self._averaging = other._averaging
            self._dtype = _core.promoted_dtype(self._dtype, other._dtype)
            self.n_updates += other.n_updates
        return self

    def result(self):
        """The metric over every sample seen (float, or array for 'raw_values')."""
        _require_data(self)
        averaging = self._averaging
        if averaging is None and self.multioutput is not None:  # merged from others only
            averaging = _core.output_weights(self.metric, self.multioutput, self._state.n_outputs)
        dtype = self._dtype if self._dtype is not None else np.dtype(np.float64)
        return self.metric.finish(self._state, averaging, dtype, self.params)

    def __repr__(self):
        return f"{type(self).__name__}(n_updates={self.n_updates})"


class ClassMetricAccumulator:
    """Streaming form of a metric of class predictions (``brier_score_loss``,
    ``d2_brier_score``, ``d2_log_loss_score``, ``hinge_loss``).

    Not instantiated itself: ``streaming.<Name>`` (``BrierScoreLoss``,
    ``D2BrierScore``, ``D2LogLossScore``, ``HingeLoss``) is the subclass for
    one declared metric.  ``labels`` (every class of the whole ``y_true``)
    are required, since a chunk need not hold every class: they tie the
    columns of 2-D predictions to classes, as the function's ``labels=``
    does, and for 1-D predictions they are the binary classes from which
    the positive one is inferred (``pos_label`` where the metric has it).
    The other keyword arguments are the function's.
    """

    #: The metric's declaration (``fastloss._class_metric_core.ClassMetric``).
    metric = None

    def __init__(self, labels, **keywords):
        if self.metric is None:
            raise TypeError(
                "ClassMetricAccumulator is the base of streaming.<MetricName>; use one of those."
            )
        name = type(self).__name__
        if labels is None:
            raise ValueError(
                f"{name} needs every class label up front (labels=...): a chunk need not "
                "contain all classes."
            )
        allowed = {k: v for k, v in self.metric.keywords.items() if k != "labels"}
        unknown = set(keywords) - set(allowed)
        if unknown:
            raise TypeError(f"{name} got unexpected keyword argument(s) {sorted(unknown)}.")
        self.keywords = {**allowed, **keywords}
        self.metric.check_keywords({"labels": labels, **self.keywords})
        self.labels = np.asarray(labels)
        self._state = None
        self._n_columns = None
        self.n_updates = 0

    def _key(self):
        return (
            type(self),
            tuple(np.unique(self.labels).tolist()),
            tuple(sorted((k, repr(v)) for k, v in self.keywords.items())),
        )

    def _absorb(self, state, n_columns):
        if self._state is None:
            self._state = state
        elif self._n_columns != n_columns:
            raise ValueError(
                f"{type(self).__name__}: this chunk has predictions for {n_columns} classes, "
                f"earlier chunks had {self._n_columns}."
            )
        else:
            self._state.merge(state)
        self._n_columns = n_columns

    def update(self, y_true, y_pred, sample_weight=None):
        """Add a chunk of samples (arguments as in the one-shot metric); returns self."""
        self.metric.check(y_true, y_pred, sample_weight, {})
        state, n_columns = self.metric.state(
            y_true, y_pred, sample_weight, stream_labels=self.labels, **self.keywords
        )
        _class_core.warn_if_unnormalised(state)
        self._absorb(state, n_columns)
        self.n_updates += 1
        return self

    def merge(self, other):
        """Add ``other``'s state to this one (returns self)."""
        _check_mergeable(self, other, ClassMetricAccumulator)
        if other._state is not None:
            theirs = copy.deepcopy(other._state)
            self._absorb(theirs, other._n_columns)
            self.n_updates += other.n_updates
        return self

    def result(self):
        """The metric over every sample seen."""
        _require_data(self)
        if self.metric.d2 and self._state.n < 2:
            _class_core.too_few_samples(self._state.n)
            return float("nan")
        return self.metric.result(self._state, self._n_columns, self.keywords, warn=False)

    def __repr__(self):
        return f"{type(self).__name__}(n_updates={self.n_updates})"


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
        total, wsum, unnormalised = _log_loss_core.log_loss_sums(
            y_true, y_proba, sample_weight, self.labels
        )
        if unnormalised:
            _log_loss_core.warn_unnormalised(stacklevel=2)
        self._add(total, wsum)
        return self

    def result(self):
        """The log loss over every sample seen."""
        sums, wsum = self._totals()
        return _log_loss_core.finish(float(sums[0]), wsum, 0, self.normalize)


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
        super().__setstate__(state)
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
        self._add(total, wsum)
        return self

    def result(self):
        """Weighted mean loss over every sample seen."""
        sums, wsum = self._totals()
        return float(sums[0]) / wsum

    def __repr__(self):
        args = [f"{k}={v!r}" for k, v in self.get_params().items()]
        return f"{type(self).__name__}({', '.join(args + [f'n_updates={self.n_updates}'])})"


def metric_accumulator_names() -> tuple:
    """Names of the metric accumulators: one per declared metric, and ``LogLoss``.

    A loss accumulator whose loss class has one of these names is called
    ``<name>Loss`` instead.
    """
    return tuple(_metric_accumulators()) + ("LogLoss",)


#: Names the loss accumulators had before they were made from the registry
#: (alias -> registry name of the loss), kept working.
_LEGACY = {"SquaredErrorLoss": "squared_error", "AbsoluteErrorLoss": "absolute_error"}
#: loss class or metric declaration -> its accumulator class (made once:
#: pickling needs one class per name).
_MADE: dict = {}


def accumulator_name(loss_class) -> str:
    """The name of ``loss_class``'s accumulator in this module.

    The loss class's name, with ``Loss`` appended where a metric accumulator
    already has that name (``MeanSquaredError`` -> ``MeanSquaredErrorLoss``).
    """
    name = loss_class.__name__
    return name + "Loss" if name in metric_accumulator_names() else name


def _signature(params):
    import inspect  # here: made on first use, not at import

    return inspect.Signature([
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default)
        for name, default in params
    ])  # fmt: skip


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
        made.__signature__ = _signature((p.name, p.default) for p in loss_class.params)
        _MADE[loss_class] = made
    return made


def accumulator_of_metric(metric):
    """The accumulator class of the metric declaration ``metric`` (made on first use)."""
    made = _MADE.get(metric)
    if made is None and isinstance(metric, _class_core.ClassMetric):
        made = _class_accumulator(metric)
    if made is None:
        name = metric.accumulator_name
        params = list(metric.keywords("uniform_average", metric.defaults()).items())
        made = type(name, (MetricAccumulator,), {
            "__module__": __name__,
            "__qualname__": name,
            "__doc__": f"Streaming :func:`fastloss.{metric.name}`, mergeable.\n\n"
                       "Parameters (keyword only): "
                       + ", ".join(f"{k}={v!r}" for k, v in params) + ".",
            "metric": metric,
        })  # fmt: skip
        made.__signature__ = _signature(params)
        _MADE[metric] = made
    return made


def _class_accumulator(metric):
    import inspect

    name = metric.accumulator_name
    params = [(k, v) for k, v in metric.keywords.items() if k != "labels"]
    made = type(name, (ClassMetricAccumulator,), {
        "__module__": __name__,
        "__qualname__": name,
        "__doc__": f"Streaming :func:`fastloss.{metric.name}`, mergeable; ``labels`` (every "
                   "class) required.\n\nParameters: labels, then (keyword only) "
                   + (", ".join(f"{k}={v!r}" for k, v in params) or "none") + ".",
        "metric": metric,
    })  # fmt: skip
    signature = _signature(params)
    labels = inspect.Parameter("labels", inspect.Parameter.POSITIONAL_OR_KEYWORD)
    made.__signature__ = signature.replace(parameters=[labels, *signature.parameters.values()])
    _MADE[metric] = made
    return made


def _loss_accumulators() -> dict:
    """Accumulator name -> loss class, for every registered loss (and the legacy names)."""
    names = {accumulator_name(cls): cls for cls in LOSSES.values()}
    for alias, registered in _LEGACY.items():
        if registered in LOSSES:
            names.setdefault(alias, LOSSES[registered])
    return names


def _metric_accumulators() -> dict:
    """Accumulator name -> metric declaration, for every declared metric whose
    state merges (a quantile's does not: no accumulator)."""
    names = {m.accumulator_name: m for m in METRICS.values() if m.mergeable}
    names.update((m.accumulator_name, m) for m in CLASS_METRICS.values())
    return names


_STATIC = ["ClassMetricAccumulator", "LogLoss", "LossAccumulator", "MetricAccumulator",
           "accumulator_for",
           "accumulator_name", "accumulator_of_metric"]  # fmt: skip


def __getattr__(name):
    # Accumulators come from the registry when asked for: a loss registered
    # after this module was imported gets one too.
    if name == "__all__":
        return _STATIC + sorted(_metric_accumulators()) + sorted(_loss_accumulators())
    metric = _metric_accumulators().get(name)
    if metric is not None:
        return accumulator_of_metric(metric)
    cls = _loss_accumulators().get(name)
    if cls is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return accumulator_for(cls)


def __dir__():
    return sorted(set(globals()) | set(_metric_accumulators()) | set(_loss_accumulators()))
