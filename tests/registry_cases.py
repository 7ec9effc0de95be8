"""The registry-driven test generator: cases, inputs and references from the declarations.

Every test that runs over "all losses" takes its cases from here: nothing
here names a loss, so a newly registered loss (built in, or registered at run
time) is tested without edits.  Functions, not constants: they read the
registry when called (``tests/test_registry_pickup.py`` calls them after
registering a loss).
"""

import math

import numpy as np
import pytest

from fastloss._losses._cases import draw_inputs, reference_object
from fastloss._losses._cases import draw_targets as draw_targets_of
from fastloss.losses import LOSSES

N_CLASSES = 3


def registry():
    """(name, loss class) of every built-in-style registered loss, sorted by name, read now.

    User-defined losses (``fastloss.pointwise_loss``, registered by other test
    modules) declare no counterpart to compare with: tests/test_user_loss.py
    covers them.
    """
    return sorted((name, cls) for name, cls in LOSSES.items() if not getattr(cls, "user_defined", False))


def names(pointwise=None):
    """Registry names (only the pointwise, or only the (n, k) ones, if asked)."""
    return [name for name, cls in registry()
            if pointwise is None or (cls._raw_ndim == 1) == pointwise]  # fmt: skip


# -- values drawn from the declarations -------------------------------------------
def _inside(interval):
    """A few values inside ``interval`` (its closed ends included)."""
    lo, hi = interval.low, interval.high
    if lo is not None and hi is not None:
        values = [lo + 0.3 * (hi - lo), lo + 0.85 * (hi - lo)]
    elif lo is not None:
        values = [lo + 0.5, lo + 1.0, lo + 3.0]
    elif hi is not None:
        values = [hi - 0.5, hi - 2.0]
    else:
        values = [-1.5, 2.0]
    values += [end for end, closed in ((lo, interval.low_closed), (hi, interval.high_closed))
               if end is not None and closed]  # fmt: skip
    return values


def valid_values(param):
    values = {param.default}
    for interval in param.ranges:
        values.update(_inside(interval))
    assert all(v in param for v in values)
    return sorted(values)


def bad_values(param):
    """Values just outside each declared interval (and not inside another), open ends, NaN, inf."""
    candidates = [math.nan, math.inf, -math.inf]
    for interval in param.ranges:
        for end, closed, direction in ((interval.low, interval.low_closed, -1),
                                       (interval.high, interval.high_closed, 1)):  # fmt: skip
            if end is None:
                continue
            candidates.append(end + direction * 0.25)
            if not closed:
                candidates.append(end)
    bad = [v for v in candidates if v not in param]
    assert len(bad) >= 3
    return bad


def param_sets(cls):
    """The defaults, then each parameter through its valid values (others at defaults)."""
    sets = [{}]
    for param in cls.params:
        sets += [{param.name: v} for v in valid_values(param) if v != param.default]
    return sets


def _id(params):
    return ",".join(f"{k}={v:g}" for k, v in params.items()) or "defaults"


def param_cases():
    """pytest params (name, params): every loss at its defaults and through its parameters."""
    return [pytest.param(name, params, id=f"{name}-{_id(params)}")
            for name, cls in registry() for params in param_sets(cls)]  # fmt: skip


def default_cases(pointwise=None):
    """pytest params (name,): every registered loss (see :func:`names`)."""
    return [pytest.param(name, id=name) for name in names(pointwise)]


def draw_targets(kind, n, rng):
    """Targets of the declared kind (the package's own draw: warmup and the bench use it)."""
    return draw_targets_of(kind, n, rng, N_CLASSES)


#: Values outside each target kind ("real" has none).
BAD_TARGETS = {
    "real": [],
    "nonnegative": [-1.0, -1e-30],
    "positive": [0.0, -2.0],
    "probability": [1.5, -0.25],
    "binary": [0.5, 2.0, -1.0],
    "class_index": [-1.0, 0.5, float(N_CLASSES)],
}


def make_case(cls, loss, n, rng, scale=1.0):
    """(y, raw) float64 for ``loss``: targets of its domain, raw of its declared kind."""
    return draw_inputs(loss, n, rng, n_classes=N_CLASSES, scale=scale)


# -- the declared reference ----------------------------------------------------------
def reference(cls, loss, y, raw):
    """Per-sample values and gradients (float64) of the declared counterpart."""
    ref = cls.reference
    y = np.asarray(y, np.float64)
    raw = np.ascontiguousarray(raw, np.float64)
    if ref.kind == "sklearn_loss":
        sk = reference_object(loss, n_classes=raw.shape[1] if raw.ndim == 2 else None)
        values, grads = sk.loss(y, raw), sk.gradient(y, raw)
    elif ref.kind == "sgd":
        sgd = reference_object(loss)
        t = 2.0 * y - 1.0 if ref.signed_labels else y
        values = np.array([sgd.py_loss(r, ti) for r, ti in zip(raw, t)])
        grads = np.array([sgd.py_dloss(r, ti) for r, ti in zip(raw, t)])
    else:  # a formula, evaluated in extended precision
        space = {"y": y.astype(np.longdouble), "raw": raw.astype(np.longdouble),
                 "log": np.log, "log1p": np.log1p, "cosh": np.cosh, "sinh": np.sinh,
                 "tanh": np.tanh, "exp": np.exp}  # fmt: skip
        with np.errstate(over="ignore"):
            values = np.asarray(eval(ref.loss, space), np.float64)  # noqa: S307 - declared text
            grads = np.asarray(eval(ref.gradient, space), np.float64)  # noqa: S307
    return ref.scale * values, ref.scale * grads


def weighted(grads, w):
    w = np.ones(grads.shape[0]) if w is None else w
    return grads * (w / w.sum()).reshape((-1,) + (1,) * (grads.ndim - 1))


def floor(a):
    """Absolute floor of comparisons: a few ulps of the values' scale, for values
    that cancel to near zero (exp(raw) - y * raw and the like)."""
    return 1e-14 * float(np.mean(np.abs(a)) + 1e-300)


