"""Declared metadata of the loss classes: parameters, target domains, references.

Every loss class declares, as class attributes,

- ``params``: a tuple of :class:`Param` (name, default, valid range), from
  which the constructor validates its arguments;
- ``target``: the kind of ``y_true`` it accepts (a key of :data:`TARGETS`, or
  a :class:`ByParam` rule when the domain depends on a parameter);
- ``raw``: what the raw prediction is (a key of :data:`RAW`);
- ``reference``: the scikit-learn (or plain formula) counterpart its
  per-sample values and gradients equal, as a :class:`Reference`;
- ``sgd``: what the SGD estimators need to train on it, as an
  :class:`SGDSpec` (``None``: the estimators do not train it).

Nothing here imports NumPy-heavy or optional modules: ``import fastloss``
stays cheap.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

__all__ = ["Interval", "Param", "ByParam", "Reference", "SGDSpec", "TARGETS", "RAW", "N_SLOTS"]

#: Length of the parameter tuple every pointwise kernel receives: the loss's
#: own parameters (at most ``N_SLOTS - 2``), zero-padded, then the lower bound
#: of the target domain and 1.0 if that bound is excluded (read only by
#: losses whose domain depends on a parameter).  One fixed tuple type: every
#: parameter value runs the same compiled kernel.
N_SLOTS = 4
#: Slots of the target domain's lower bound and its strictness.
SLOT_TARGET_LOW = N_SLOTS - 2
SLOT_TARGET_STRICT = N_SLOTS - 1


def _fmt(x):
    return repr(float(x)) if x != int(x) or abs(x) >= 1e16 else str(int(x))


class Interval:
    """A range of real numbers: ``low``/``high`` (``None``: unbounded), closed or open ends."""

    def __init__(self, low=None, high=None, *, closed="both"):
        if closed not in ("both", "left", "right", "neither"):
            raise ValueError(f"closed must be 'both', 'left', 'right' or 'neither', got {closed!r}")
        self.low, self.high, self.closed = low, high, closed

    @property
    def low_closed(self):
        return self.closed in ("both", "left")

    @property
    def high_closed(self):
        return self.closed in ("both", "right")

    def __contains__(self, x):
        if self.low is not None and not (x >= self.low if self.low_closed else x > self.low):
            return False
        if self.high is not None and not (x <= self.high if self.high_closed else x < self.high):
            return False
        return True

    def __str__(self):
        lo, hi = self.low, self.high
        if lo is None and hi is None:
            return "any number"
        if hi is None:
            return f"{'>=' if self.low_closed else '>'} {_fmt(lo)}"
        if lo is None:
            return f"{'<=' if self.high_closed else '<'} {_fmt(hi)}"
        left = "[" if self.low_closed else "("
        right = "]" if self.high_closed else ")"
        return f"in {left}{_fmt(lo)}, {_fmt(hi)}{right}"

    def __repr__(self):
        return f"Interval({self.low!r}, {self.high!r}, closed={self.closed!r})"


class Param:
    """A loss parameter: its name, default and valid range (a union of intervals)."""

    def __init__(self, name, default, *ranges, doc=""):
        self.name = name
        self.default = float(default)
        self.ranges = ranges or (Interval(),)
        self.doc = doc
        if self.default not in self:
            raise ValueError(f"default {default} of {name} is outside {self.range_text}")

    def __contains__(self, x):
        return math.isfinite(x) and any(x in r for r in self.ranges)

    @property
    def range_text(self):
        return " or ".join(str(r) for r in self.ranges)

    def validate(self, owner, value):
        """``value`` as a float; TypeError for a non-number, ValueError out of range."""
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
            raise TypeError(
                f"{owner}: {self.name} must be a real number, got {value!r} "
                f"({type(value).__name__})."
            )
        x = float(value)
        if x not in self:
            raise ValueError(f"{owner}: {self.name} must be {self.range_text}, got {x!r}.")
        return x

    def __repr__(self):
        return f"Param({self.name!r}, {self.default!r}, {self.range_text})"


#: Target kinds: (NumPy predicate of a valid y, what the error message says,
#: lower bound, lower bound excluded).
TARGETS = {
    "real": (lambda y: np.ones(np.shape(y), bool), "any real y_true", None, False),
    "nonnegative": (lambda y: y >= 0, "y_true >= 0", 0.0, False),
    "positive": (lambda y: y > 0, "y_true > 0", 0.0, True),
    "probability": (lambda y: (y >= 0) & (y <= 1), "y_true in [0, 1]", 0.0, False),
    "binary": (lambda y: (y == 0) | (y == 1), "y_true in {0, 1}", 0.0, False),
    "class_index": (None, "integer class labels 0..n_classes-1", 0.0, False),
}

#: What the raw prediction is.
RAW = {
    "identity": "the prediction itself",
    "log": "the log of the predicted mean",
    "logit": "a logit (log-odds; softmax logits for several classes)",
    "half_logit": "half a logit (AdaBoost's scale)",
    "margin": "a decision score, its sign the predicted class",
}


class ByParam:
    """A target domain that depends on a parameter.

    ``ByParam("power", [(Interval(high=0), "real"), (Interval(1, 2, closed="left"),
    "nonnegative")], otherwise="positive")``: the first interval holding the
    parameter's value gives the kind.  Only kinds bounded below alone
    ("real", "nonnegative", "positive") may appear: the kernels check them at
    call time from the parameter tuple.
    """

    def __init__(self, param, rules, otherwise):
        self.param, self.rules, self.otherwise = param, tuple(rules), otherwise
        for kind in self.kinds:
            if kind not in ("real", "nonnegative", "positive"):
                raise ValueError(f"ByParam takes real/nonnegative/positive kinds, not {kind!r}")

    @property
    def kinds(self):
        return tuple(kind for _, kind in self.rules) + (self.otherwise,)

    def resolve(self, values: dict) -> str:
        x = values[self.param]
        for interval, kind in self.rules:
            if x in interval:
                return kind
        return self.otherwise

    def __str__(self):
        parts = [f"{kind} if {self.param} {interval}" for interval, kind in self.rules]
        return ", ".join(parts + [f"{self.otherwise} otherwise"])


class Reference:
    """The counterpart a loss's per-sample values and gradients equal.

    kind
        ``"sklearn_loss"``: ``module.name(**params)`` is a scikit-learn
        ``BaseLoss`` (``loss(y, raw)`` per sample, ``gradient(y, raw)``);
        ``"sgd"``: ``module.name(*args)`` is a ``_sgd_fast`` loss,
        ``py_loss(raw, y)`` / ``py_dloss(raw, y)``, with y mapped from {0, 1}
        to {-1, +1} when ``signed_labels``; ``"formula"``: NumPy expressions
        of ``y`` and ``raw`` (``loss``, ``gradient``, and ``hessian``, the
        second derivative, when declared).
    params
        For "sklearn_loss": {reference keyword: our parameter name};
        for "sgd": our parameter names, in positional order.
    scale
        Our per-sample value is ``scale`` times the reference's (and so are
        the gradient and the hessian).

    The hessian a loss's ``gradient_hessian`` returns equals, per sample,
    scikit-learn's ``gradient_hessian`` for "sklearn_loss" references; the
    declared ``hessian`` formula for "formula" ones; otherwise (``_sgd_fast``
    losses have no hessian) the derivative of the reference's gradient, away
    from its kinks.
    """

    def __init__(self, kind, module="", name="", params=None, *, scale=1.0,
                 signed_labels=False, loss="", gradient="", hessian="", n_classes=False):  # fmt: skip
        if kind not in ("sklearn_loss", "sgd", "formula"):
            raise ValueError(f"unknown reference kind {kind!r}")
        self.kind, self.module, self.name = kind, module, name
        self.params = params if params is not None else ({} if kind == "sklearn_loss" else ())
        self.scale, self.signed_labels = float(scale), signed_labels
        self.loss, self.gradient, self.hessian, self.n_classes = loss, gradient, hessian, n_classes

    def __str__(self):
        if self.kind == "formula":
            return f"`{self.loss}`"
        if self.kind == "sklearn_loss":
            args = ", ".join(f"{k}={v}" for k, v in self.params.items())
            text = f"`{self.module}.{self.name}({args})`"
        else:
            args = ", ".join(self.params)
            labels = " with y in {0, 1} as -1/+1" if self.signed_labels else ""
            text = f"`{self.module}.{self.name}({args})`{labels}"
        return text if self.scale == 1.0 else f"{_fmt(self.scale)} x {text}"


class SGDSpec:
    """What fastloss's SGD estimators need to know to train on a loss.

    The estimators minimise ``grad_factor * mean(w * loss) / mean(w) +
    alpha * ||coef||**2 / 2`` in standardised units: features are
    standardised, and targets are centred and scaled when the loss allows it.

    grad_factor
        The objective's data term is ``grad_factor`` times the loss (1/2 for
        the squared error: scikit-learn's SGD convention ``(y - p)**2 / 2``).
    curvature
        A bound on the second derivative, in the raw prediction, of
        ``grad_factor * loss`` (standardised units); the automatic step size
        is about ``1 / (curvature * largest eigenvalue of the features)``.  For
        a loss without a second derivative (absolute error, pinball), the
        curvature a smoothing of it would have at the scale of the data (1:
        standardised targets).
    center
        The constant prediction the targets are centred on (the model starts
        from it): ``"mean"``, ``"median"``, a function ``(y, params) -> float``
        of the targets and the loss's parameters (the pinball loss: the
        ``quantile`` of y), or ``None``: never centred (the loss depends on
        more than ``raw - y``).  The *reference loss* of a fit, which sets
        the divergence bound (and, for non-smooth losses, the step size), is
        the loss of that constant prediction, i.e. of raw 0 on the centred,
        scaled targets; for the squared, absolute and pinball losses it is the
        loss of the best constant prediction.
    target_power
        ``q`` such that the loss of targets and predictions scaled by ``s``
        (for log-link losses, raw = log of the mean: targets scaled by ``s``
        and raw shifted by ``log s``; their targets are scaled by their mean,
        not centred) is ``s**q`` times the loss of the unscaled ones, once the parameters
        named in ``target_params`` (those in the targets' units) are scaled
        by ``s`` too: 2 for squared losses, 1 for absolute and pinball ones,
        0 for scale-free ones.  A number, or a function of the parameters'
        dict.  ``None``: the loss is not homogeneous in the targets' scale
        (log-cosh), so the targets are not scaled.
    target_params
        Names of the parameters measured in the targets' units (Huber's
        ``delta``, ``epsilon``): divided by the targets' scale in
        standardised units.
    smooth
        ``False`` for losses whose gradient does not shrink near the optimum
        (absolute error, pinball, epsilon-insensitive): the step size then
        follows the current loss relative to the reference loss.  A bool, or
        a function of the parameters' dict.  ``curvature`` and ``smooth`` are
        resolved with the parameters in standardised units (those of
        ``target_params`` divided by the targets' scale).
    gradient_bound
        For losses that are not smooth: the largest ``|d loss / d raw|``
        (standardised units; a number or a function of the parameters), by
        which their step size is divided (1 for the absolute error; Huber's
        ``delta`` when it is below 1).
    reference_floor
        Least reference loss (standardised units): the divergence bound is
        ``1000`` times it.  The perceptron's loss of the zero model is 0, so
        the hinge family declares 1 (the loss of a unit margin error).
    epsilon_param
        The parameter scikit-learn's SGD ``epsilon`` sets (Huber's ``delta``,
        the epsilon-insensitive losses' ``epsilon``), or None.
    aliases
        Other names scikit-learn's SGD gives this loss with other parameter
        values: ``{"perceptron": {"threshold": 0.0}}`` on the hinge.
    multiclass
        For classification losses: the registered loss trained for more than
        two classes (``"multinomial"`` for the log loss: a softmax model), or
        None: one binary model per class (one-vs-rest), all in one pass.
    proba
        How a classifier turns this loss's decision values into probabilities:
        ``"logit"`` (sigmoid / softmax), ``"clipped_margin"`` (scikit-learn's
        modified Huber: ``(clip(raw, -1, 1) + 1) / 2``, normalised over the
        classes), or None: no ``predict_proba``.
    """

    def __init__(self, *, curvature, grad_factor=1.0, center=None, target_power=None,
                 target_params=(), smooth=True, reference_floor=1e-3, epsilon_param=None,
                 aliases=None, multiclass=None, proba=None, gradient_bound=1.0):  # fmt: skip
        if not (callable(curvature) or float(curvature) > 0):
            raise ValueError(f"curvature must be positive, got {curvature!r}")
        if not (center is None or callable(center) or center in ("mean", "median")):
            raise ValueError(f"center must be 'mean', 'median', a function or None, got {center!r}")
        if proba not in (None, "logit", "clipped_margin"):
            raise ValueError(f"proba must be None, 'logit' or 'clipped_margin', got {proba!r}")
        self.curvature, self.grad_factor, self.center = curvature, float(grad_factor), center
        self.target_power, self.target_params = target_power, tuple(target_params)
        self.smooth = smooth
        self.reference_floor = float(reference_floor)
        self.epsilon_param = epsilon_param
        self.aliases = dict(aliases or {})
        self.multiclass, self.proba = multiclass, proba
        self.gradient_bound = gradient_bound

    def resolve(self, name, params: dict):
        """The value of attribute ``name`` for a loss with parameters ``params``."""
        value = getattr(self, name)
        return value(params) if callable(value) and name != "center" else value

    def center_of(self, y, params: dict) -> float:
        """The constant prediction the targets ``y`` are centred on (0.0 without ``center``)."""
        if self.center is None:
            return 0.0
        if self.center == "mean":
            return float(np.mean(y))
        if self.center == "median":
            return float(np.median(y))
        return float(self.center(y, params))

    def __repr__(self):
        fields = ("curvature", "grad_factor", "center", "target_power", "target_params", "smooth",
                  "reference_floor", "epsilon_param", "aliases", "multiclass", "proba",
                  "gradient_bound")  # fmt: skip
        return "SGDSpec(" + ", ".join(f"{f}={getattr(self, f)!r}" for f in fields) + ")"
