"""Training on Dask arrays: an epoch streams over the blocks of X.

Before training, :meth:`DaskBlocks.validate` judges the *whole* of the inputs
in one pass over the blocks, as the NumPy path judges its arrays: NaN or
infinity anywhere in X, y or sample_weight, negative weights, weights that
sum to zero over all blocks (a block of zero weights is fine), and for
classifiers the labels of every block, with scikit-learn's messages.  The
result does not depend on the chunking.

Each epoch visits the sample-blocks in a new random order and, inside a
block, shuffles rows as for in-memory data; a block is computed (through the
active Dask scheduler or distributed client) while the previous one trains,
trained on, and dropped, so the whole of X is never in memory.  The first
block with a positive weight also gives the feature statistics, the learning
rate and the rows ``loss_curve_`` is measured on.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils import check_array
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, assert_all_finite, column_or_1d

from .._dask import aligned_blocks
from ._sources import sample_of


def _check_block(X, y, w, name, y_numeric, classifier):
    """Validate one block as ``fit`` validates its arrays (runs on a worker).

    Returns ``(errors, weight_sum, labels)``: ``errors`` holds the exception
    (or None) of X, y and sample_weight in that order, so that the caller
    raises what the NumPy path would raise first; ``labels`` are the block's
    distinct labels (classifiers).
    """
    errors = [None, None, None]
    weight_sum = 0.0
    labels = None
    try:
        X = check_array(X, dtype=[np.float64, np.float32], estimator=name, input_name="X")
    except (ValueError, TypeError) as exc:
        errors[0] = exc
    try:
        y = column_or_1d(y)
        assert_all_finite(y, input_name="y", estimator_name=name)
        if y_numeric and y.dtype.kind == "O":
            y = y.astype(np.float64)
        if classifier:
            if y.dtype.kind not in "iubUS":
                check_classification_targets(y)
            labels = np.unique(y)
    except (ValueError, TypeError) as exc:
        errors[1] = exc
    if w is not None and errors[0] is None:
        try:
            w = _check_sample_weight(
                w, X, dtype=np.float64, ensure_non_negative=True, allow_all_zero_weights=True
            )
            weight_sum = float(w.sum())
        except (ValueError, TypeError) as exc:
            errors[2] = exc
    return errors, weight_sum, labels


class DaskBlocks:
    """A training source over Dask sample-blocks of (X, y, sample_weight)."""

    def __init__(self, estimator, X, y, sample_weight):
        import dask

        self._dask = dask
        self.estimator = estimator
        if X.ndim != 2:
            raise ValueError(f"Expected 2D array, got {X.ndim}D Dask array instead.")
        X = X.rechunk({1: -1})
        self.blocks = aligned_blocks(X, y, sample_weight)
        self.n_samples = int(X.shape[0])
        self.sparse = False  # (blocks are validated as dense arrays)
        self.weighted = sample_weight is not None
        self.weight_scale = 1.0
        self.first_index = 0
        self.first = None
        self.dtype = None

    def validate(self, y_numeric, classifier):
        """Check all blocks (one pass, computed together) before any training.

        Raises scikit-learn's error for the first problem the NumPy path
        would report (X before y before sample_weight, earlier blocks first);
        sets ``weight_scale`` and ``first_index``.  Returns the sorted labels
        of all blocks for a classifier, else None.
        """
        name = type(self.estimator).__name__
        delayed = self._dask.delayed(_check_block, pure=True)
        checks = [delayed(X, y, w, name, y_numeric, classifier) for X, y, w in self.blocks]
        results = self._dask.compute(*checks)
        for kind in range(3):
            for errors, _, _ in results:
                if errors[kind] is not None:
                    raise errors[kind]
        if self.weighted:
            sums = [weight_sum for _, weight_sum, _ in results]
            total = float(np.sum(sums))
            if not total > 0:
                raise ValueError("Sample weights must contain at least one non-zero number.")
            self.weight_scale = self.n_samples / total
            # Statistics, learning rate and loss_curve_ come from a block that counts.
            self.first_index = next(i for i, s in enumerate(sums) if s > 0)
        if not classifier:
            return None
        return np.unique(np.concatenate([labels for _, _, labels in results]))

    def compute_block(self, i):
        """Block ``i`` as validated NumPy arrays (X, y, sample_weight)."""
        X, y, w = self._dask.compute(*self.blocks[i])
        dtype = [np.float64, np.float32] if self.dtype is None else self.dtype
        X = check_array(X, dtype=dtype, order="C", estimator=self.estimator, input_name="X")
        if X.shape[1] != getattr(self.estimator, "n_features_in_", X.shape[1]):
            raise ValueError(
                f"X has {X.shape[1]} features, but {type(self.estimator).__name__} is "
                f"expecting {self.estimator.n_features_in_} features as input."
            )
        y = np.asarray(y).reshape(-1)
        if w is not None:
            w = _check_sample_weight(
                w, X, dtype=np.float64, ensure_non_negative=True, allow_all_zero_weights=True
            )
        return X, y, w

    def _load(self, i):
        if i == self.first_index and self.first is not None:
            return self.first
        X, y, w = self.compute_block(i)
        return X, self.estimator._block_targets(y), self.estimator._class_weighted(y, w)

    def parts(self, rng):
        """The blocks of one epoch in random order, each read while the previous trains.

        The compiled epoch releases the GIL, so one reader thread overlaps
        reading (and validating) block i + 1 with training on block i; at most
        two blocks are in memory.
        """
        from concurrent.futures import ThreadPoolExecutor

        order = rng.permutation(len(self.blocks))
        with ThreadPoolExecutor(1, thread_name_prefix="fastloss-blocks") as reader:
            pending = reader.submit(self._load, order[0])
            for k in range(len(order)):
                block = pending.result()
                if k + 1 < len(order):
                    pending = reader.submit(self._load, order[k + 1])
                yield block
                del block

    def curve_sample(self, rng):
        return sample_of(*self.first, rng)
