"""How tests call a declared regression metric: its keywords, valid values
and settings, read from the declaration (``fastloss._registry.METRICS``)."""

import itertools
import warnings

import numpy as np

#: Values tried for each kind of metric parameter (by parameter name), the
#: boundaries of scikit-learn's ranges included.
PARAM_VALUES = {
    "force_finite": (True, False),
    "alpha": (0.0, 0.1, 0.5, 1.0),
    "power": (-1.5, 0, 1, 1.5, 2, 3),
}


def kwargs_for(metric, sample_weight=None, multioutput="uniform_average", **params):
    """The keyword arguments of ``metric``'s function for these settings: no
    ``multioutput`` for a single-output metric, no ``sample_weight`` for an
    unweighted one (only None is accepted there)."""
    kwargs = dict(params)
    if not metric.single_output:
        kwargs["multioutput"] = multioutput
    if metric.weighted:
        kwargs["sample_weight"] = sample_weight
    else:
        assert sample_weight is None, f"{metric.name} takes no sample_weight"
    return kwargs


def n_outputs_for(metric, wanted):
    """``wanted`` outputs, or 1 for a single-output metric."""
    return 1 if metric.single_output else wanted


def values_for(metric, rng, shape):
    """Random ``(y_true, y_pred)`` valid for ``metric`` at every parameter
    value of :data:`PARAM_VALUES` (strictly positive for a metric declared
    on positive values), predictions near the targets."""
    if metric.domain == "positive":
        y = np.exp(rng.normal(size=shape))
        return y, y * np.exp(rng.normal(size=shape) * 0.5)
    y = rng.normal(size=shape)
    return y, y + rng.normal(size=shape)


def settings(metric, n_outputs):
    """Every (multioutput, params) the metric takes, for ``n_outputs`` outputs."""
    if metric.single_output:
        averages = ["uniform_average"]  # not passed (kwargs_for)
    else:
        averages = sorted(metric.multioutput_options)
        if metric.multioutput_none:
            averages.append(None)
        if n_outputs > 1:
            averages.append(np.linspace(0.5, 1.5, n_outputs))
    grids = [[(p.name, v) for v in PARAM_VALUES[p.name]] for p in metric.params]
    for mo in averages:
        for combo in itertools.product(*grids):
            yield mo, dict(combo)


def outcome(func, *args, **kwargs):
    """(result or exception, [(warning class name, message)])."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = func(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - compared with scikit-learn's
            result = exc
    return result, [(type(w.message).__name__, str(w.message)) for w in caught]
