"""Training data sources: where each epoch's rows come from.

A source gives the trainer ``parts(rng)`` (the (X, targets, sample_weight)
parts of one epoch, in the order to train on them), ``curve_sample(rng)``
(the rows ``loss_curve_`` is measured on), ``n_samples``, ``dtype``,
``sparse`` (X is a scipy.sparse matrix) and ``weight_scale`` (``n_samples /
sum(sample_weight)``).  In-memory arrays are
one part; Dask arrays stream their blocks (:mod:`._blocks`).
"""

from __future__ import annotations

import numpy as np

__all__ = ["InMemory", "sample_rows", "sample_of", "CURVE_SAMPLE"]

#: Most training rows on which ``loss_curve_`` is measured.
CURVE_SAMPLE = 20_000


def sample_rows(n, rng, size):
    """About ``size`` sorted random rows (None: all ``n`` rows)."""
    if n <= size:
        return None
    # Drawn with replacement, duplicates dropped: rng.choice without
    # replacement permutes all n rows.
    return np.unique(rng.randint(0, n, size))


def sample_of(X, targets, sample_weight, rng):
    """About CURVE_SAMPLE rows of (X, targets, sample_weight), fixed per fit."""
    rows = sample_rows(X.shape[0], rng, CURVE_SAMPLE)
    if rows is None:
        return X, targets, sample_weight
    w = None if sample_weight is None else sample_weight[rows]
    if w is not None and not w.sum() > 0:
        w = None
    return X[rows], targets[rows], w


class InMemory:
    """Training data held in memory: each epoch is one part, the whole of it."""

    def __init__(self, X, targets, sample_weight):
        self.X, self.targets, self.sample_weight = X, targets, sample_weight
        self.dtype = X.dtype
        self.sparse = hasattr(X, "tocsr")
        self.n_samples = X.shape[0]
        self.weight_scale = (
            1.0 if sample_weight is None else self.n_samples / float(sample_weight.sum())
        )

    def parts(self, rng):
        yield self.X, self.targets, self.sample_weight

    def curve_sample(self, rng):
        """Rows on which loss_curve_ is measured: about CURVE_SAMPLE, fixed per fit."""
        return sample_of(self.X, self.targets, self.sample_weight, rng)
