"""Training on Dask arrays: an epoch streams over the blocks of X.

Each epoch visits the sample-blocks in a new random order and, inside a
block, shuffles rows as for in-memory data; a block is computed (through the
active Dask scheduler or distributed client) while the previous one trains,
trained on, and dropped, so the whole of X is never in memory.  The first block also gives the feature
statistics, the learning rate and the rows ``loss_curve_`` is measured on.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils import check_array
from sklearn.utils.validation import _check_sample_weight

from .._dask import aligned_blocks


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
        if sample_weight is None:
            self.weight_scale = 1.0
        else:
            total = float(dask.compute(sample_weight.sum())[0]) if hasattr(
                sample_weight, "dask"
            ) else float(np.sum(sample_weight))
            if not total > 0:
                raise ValueError("Sample weights must contain at least one non-zero number.")
            self.weight_scale = self.n_samples / total
        self.first = None
        self.dtype = None

    def compute_block(self, i):
        """Block ``i`` as validated NumPy arrays (X, y, sample_weight)."""
        X, y, w = self._dask.compute(*self.blocks[i])
        dtype = [np.float64, np.float32] if self.dtype is None else self.dtype
        X = check_array(X, dtype=dtype, order="C", estimator=self.estimator)
        if X.shape[1] != getattr(self.estimator, "n_features_in_", X.shape[1]):
            raise ValueError(
                f"X has {X.shape[1]} features, but {type(self.estimator).__name__} is "
                f"expecting {self.estimator.n_features_in_} features as input."
            )
        y = np.asarray(y).reshape(-1)
        if w is not None:
            w = _check_sample_weight(w, X, dtype=np.float64, ensure_non_negative=True)
        return X, y, w

    def _load(self, i):
        if i == 0 and self.first is not None:
            return self.first
        X, y, w = self.compute_block(i)
        return X, self.estimator._block_targets(y), w

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
        from ._stochastic_gradient import _sample_of

        return _sample_of(*self.first, rng)
