"""Declared metadata of the loss classes: parameters, target domains, references.

Every loss class declares, as class attributes,

- ``params``: a tuple of :class:`Param` (name, default, valid range), from
  which the constructor validates its arguments;
- ``target``: the kind of ``y_true`` it accepts (a key of :data:`TARGETS`, or
  a :class:`ByParam` rule when the domain depends on a parameter);
- ``raw``: what the raw prediction is (a key of :data:`RAW`);
- ``reference``: the scikit-learn (or plain formula) counterpart its
  per-sample values and gradients equal, as a :class:`Reference`.

Nothing here imports NumPy-heavy or optional modules: ``import fastloss``
stays cheap.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

__all__ = ["Interval", "Param", "ByParam", "Reference", "TARGETS", "RAW", "N_SLOTS"]

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
