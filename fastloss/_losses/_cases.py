"""Inputs and counterparts derived from the loss declarations.

What :func:`fastloss.warmup`, ``fastloss bench`` and the tests share: valid
targets drawn from a loss's declared target domain, raw predictions of the
declared kind, and the declared reference object (scikit-learn's ``_loss`` or
``_sgd_fast`` loss), built with the loss's parameter values.  Nothing here
names a loss: a newly registered loss gets all of it from its declarations.
"""

from __future__ import annotations

import importlib

import numpy as np

from ._spec import TARGETS

__all__ = ["draw_targets", "draw_inputs", "reference_object"]


def draw_targets(kind, n, rng, n_classes=3):
    """``n`` float64 targets valid for the target ``kind`` (a key of ``TARGETS``)."""
    if kind not in TARGETS:
        raise ValueError(f"unknown target kind {kind!r}")
    if kind == "real":
        return rng.normal(size=n) * 2.0
    if kind == "nonnegative":
        # Zeros included: the domain's closed end.
        return rng.poisson(1.5, size=n) * rng.uniform(0.5, 1.5, size=n) * (rng.uniform(size=n) < 0.8)
    if kind == "positive":
        return rng.gamma(2.0, 1.0, size=n) + 1e-3
    if kind == "probability":
        return rng.uniform(size=n)
    if kind == "binary":
        return rng.integers(0, 2, size=n).astype(np.float64)
    # "class_index"
    return rng.integers(0, n_classes, size=n).astype(np.float64)


def draw_inputs(loss, n, rng, dtype=np.float64, n_classes=3, scale=1.0):
    """``(y, raw)`` for ``loss`` (an instance): targets of its domain, raw predictions.

    ``raw`` has shape ``(n,)``, or ``(n, n_classes)`` for losses of several
    raw values per sample; identity raw predictions lie around the targets,
    the others (logits, logs of means, margins) around 0 with spread ``scale``.
    Both arrays are C-contiguous of ``dtype``.
    """
    cls = type(loss)
    y = draw_targets(loss.target_kind, n, rng, n_classes)
    shape = (n, n_classes) if cls._raw_ndim == 2 else (n,)
    raw = rng.normal(size=shape) * scale
    if cls.raw == "identity" and cls._raw_ndim == 1:
        raw += y
    dtype = np.dtype(dtype)
    return np.ascontiguousarray(y, dtype), np.ascontiguousarray(raw, dtype)


def reference_object(loss, n_classes=None):
    """The declared counterpart of ``loss`` with its parameter values, or None.

    For a reference of kind ``"sklearn_loss"``, the scikit-learn ``BaseLoss``
    (``n_classes`` passed where the declaration asks for it); for ``"sgd"``,
    the ``_sgd_fast`` loss; None for a formula.  Imports the reference's
    module (scikit-learn) only when called.
    """
    ref = type(loss).reference
    if ref is None or ref.kind == "formula":
        return None
    klass = getattr(importlib.import_module(ref.module), ref.name)
    if ref.kind == "sklearn_loss":
        kwargs = {theirs: getattr(loss, ours) for theirs, ours in ref.params.items()}
        if ref.n_classes:
            if n_classes is None:
                raise ValueError(f"{ref.name} needs n_classes")
            kwargs["n_classes"] = n_classes
        return klass(**kwargs)
    return klass(*[getattr(loss, name) for name in ref.params])
