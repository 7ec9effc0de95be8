"""The fused-loss API shared by every loss class."""

from __future__ import annotations

import numpy as np

from .._validation import (
    as_float_array,
    as_sample_weight,
    check_consistent_length,
    check_weight_stats,
    raise_if_not_finite,
)
from ._common import weight_stats
from ._pointwise import theta_of
from ._spec import TARGETS, ByParam


class FusedLoss:
    """Base class: a weighted mean loss and its gradient, computed in one pass.

    Subclasses set ``_kernels``, a namespace with the kernel pairs
    ``loss_sum(size, y, raw, w) -> (sum, weight_sum, weight_min)`` and
    ``loss_gradient(size, y, raw, w, scale, grad) -> sum``, and may override
    :meth:`_check_targets` and :meth:`_check_target_values`.
    """

    name = "loss"
    #: 1 for losses of one raw value per sample, 2 for (n, k) raw predictions.
    _raw_ndim = 1
    _kernels = None
    #: Declared metadata (see fastloss._losses._spec): parameters, the targets
    #: accepted, what raw means, and the counterpart the values equal.
    params: tuple = ()
    target = "real"
    raw = "identity"
    reference = None
    #: How the SGD estimators train on it (a _spec.SGDSpec; None: they do not).
    sgd = None
    #: Extra trailing arguments of this loss's kernels (its parameter tuple).
    _kernel_args: tuple = ()

    def __init__(self, *args, **kwargs):
        cls = type(self).__name__
        spec = type(self).params
        if len(args) > len(spec):
            raise TypeError(f"{cls} takes at most {len(spec)} parameter(s), got {len(args)}.")
        names = [p.name for p in spec]
        given = dict(zip(names, args))
        for key, value in kwargs.items():
            if key not in names:
                raise TypeError(f"{cls} got an unexpected parameter {key!r}.")
            if key in given:
                raise TypeError(f"{cls} got parameter {key!r} twice.")
            given[key] = value
        values = {p.name: p.validate(cls, given.get(p.name, p.default)) for p in spec}
        self.__dict__.update(values)
        self._setup(values)

    def _setup(self, values):
        """Derive what the kernels need from the validated parameter ``values``."""

    def get_params(self, deep=True) -> dict:
        """The loss's parameters, by name (``deep`` is ignored: scikit-learn's ``clone`` passes it)."""
        return {p.name: getattr(self, p.name) for p in type(self).params}

    @property
    def target_kind(self) -> str:
        """The kind of targets this instance accepts (a key of ``_spec.TARGETS``)."""
        target = type(self).target
        return target.resolve(self.get_params()) if isinstance(target, ByParam) else target

    def __setattr__(self, key, value):
        if any(p.name == key for p in type(self).params):
            raise AttributeError(
                f"{type(self).__name__}'s parameters are fixed when it is created: "
                f"make a new {type(self).__name__}({key}=...)."
            )
        object.__setattr__(self, key, value)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other):
        if type(other) is not type(self):
            return NotImplemented
        return self.get_params() == other.get_params()

    def __hash__(self):
        return hash((type(self), tuple(self.get_params().values())))

    def __reduce__(self):
        return type(self), tuple(self.get_params().values())

    # -- validation -------------------------------------------------------------
    def _check_raw(self, raw_prediction):
        raw = as_float_array(raw_prediction, name="raw_prediction")
        if self._raw_ndim == 1:
            if raw.ndim == 2 and raw.shape[1] != 1:
                raise ValueError(
                    f"{type(self).__name__} takes one raw prediction per sample: expected "
                    f"raw_prediction of shape (n_samples,) or (n_samples, 1), got {raw.shape}."
                )
            raw = raw.reshape(-1)
        elif raw.ndim != 2:
            raise ValueError(
                f"{type(self).__name__} takes raw_prediction of shape (n_samples, "
                f"n_classes), got shape {raw.shape}."
            )
        return raw

    def _check_targets(self, y_true, raw):
        """Return ``y_true`` as an array the kernels accept (shape checked)."""
        y = as_float_array(y_true, name="y_true")
        if y.ndim == 2 and y.shape[1] == 1:
            y = y.reshape(-1)
        if y.ndim != 1:
            raise ValueError(f"y_true must be 1-D for {type(self).__name__}, got shape {y.shape}.")
        return y

    def _check_target_values(self, y, raw):
        """Raise if ``y`` holds values outside the declared domain (slow path)."""
        kind = self.target_kind
        valid, text = TARGETS[kind][:2]
        bad = np.flatnonzero(~valid(y))
        if bad.size:
            i = bad[0]
            raise ValueError(f"{type(self).__name__} needs {text}; got {float(y[i])!r} at index {i}.")

    def _prepare(self, y_true, raw_prediction, sample_weight):
        raw = self._check_raw(raw_prediction)
        check_consistent_length(y_true, raw, sample_weight)
        y = self._check_targets(y_true, raw)
        w = as_sample_weight(sample_weight, raw.shape[0])
        return y, raw, w

    def _loss_sum(self, y, raw, w, size=None):
        """(weighted loss sum, weight sum, weight min) in one pass.

        ``size`` decides whether the kernel is split across threads
        (default: ``raw.size``; 0 keeps it in the calling thread).
        """
        return self._kernels.loss_sum(raw.size if size is None else size, y, raw, w, *self._kernel_args)

    def _serial_mean(self, y, raw, w):
        """Weighted mean loss of trusted, validated arrays, in the calling thread.

        For fastloss's own training loops, which run between BLAS calls: work
        handed to other threads there waits on cores that BLAS threads still
        spin on.
        """
        total, wsum, _ = self._loss_sum(y, raw, w, size=0)
        return float(total) / wsum

    def _finish(self, total, y, raw, w):
        if not np.isfinite(total):
            # Rare path: say which input is at fault (NaN, inf, invalid target).
            raise_if_not_finite(y, "y_true")
            raise_if_not_finite(raw, "raw_prediction")
            self._check_target_values(y, raw)
        return float(total)

    def _gradient_out(self, raw, gradient_out):
        if gradient_out is None:
            return np.empty_like(raw)
        if not isinstance(gradient_out, np.ndarray):
            raise TypeError(
                f"gradient_out must be a numpy array, got {type(gradient_out).__name__}."
            )
        if (
            gradient_out.shape != raw.shape
            or gradient_out.dtype != raw.dtype
            or not gradient_out.flags.c_contiguous
            or not gradient_out.flags.writeable
        ):
            raise ValueError(
                "gradient_out must be a writeable C-contiguous array of shape "
                f"{raw.shape} and dtype {raw.dtype}; got shape {gradient_out.shape}, "
                f"dtype {gradient_out.dtype}."
            )
        return gradient_out

    # -- public API -------------------------------------------------------------
    def loss(self, y_true, raw_prediction, sample_weight=None) -> float:
        """Weighted mean loss.

        Parameters
        ----------
        y_true : array-like of shape (n_samples,)
            Targets.
        raw_prediction : array-like
            Raw model output (for classification losses: logits).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights.

        Returns
        -------
        float
            ``sum(w * loss_i) / sum(w)``, accumulated in float64.
        """
        y, raw, w = self._prepare(y_true, raw_prediction, sample_weight)
        total, wsum, wmin = self._loss_sum(y, raw, w)
        check_weight_stats(w, wsum, wmin)
        return self._finish(total, y, raw, w) / wsum

    def loss_gradient(self, y_true, raw_prediction, sample_weight=None, gradient_out=None):
        """Weighted mean loss and its gradient with respect to ``raw_prediction``.

        Both come from a single pass over the inputs.

        Parameters
        ----------
        y_true, raw_prediction, sample_weight
            As in :meth:`loss`.
        gradient_out : ndarray, default=None
            Array to write the gradient into (same shape and dtype as
            ``raw_prediction``, C-contiguous).  It may share memory with
            the inputs (``raw_prediction`` itself, say): the gradient is
            then computed into a temporary and copied in at the end, so it
            is the gradient of the inputs as given.

        Returns
        -------
        loss : float
        gradient : ndarray
            Same shape and dtype as ``raw_prediction`` (float32 stays float32).
        """
        y, raw, w = self._prepare(y_true, raw_prediction, sample_weight)
        if w is None:
            wsum = float(raw.shape[0])
        else:  # the gradient's scale 1/sum(w) is needed before the fused pass
            wsum, wmin = weight_stats(w.shape[0], w)
            check_weight_stats(w, wsum, wmin)
        grad = self._gradient_out(raw, gradient_out)
        # A gradient_out sharing memory with an input (exactly or in part) is
        # written only after the pass and its checks: during the pass it would
        # overwrite values still to be read, and the slow path of _finish must
        # see the inputs as given.
        work = np.empty_like(raw) if _overlaps(grad, (y, raw, w)) else grad
        total = self._kernels.loss_gradient(
            raw.size, y, raw, w, 1.0 / wsum, work, *self._kernel_args
        )
        value = self._finish(total, y, raw, w) / wsum
        if work is not grad:
            grad[...] = work
        return value, grad

    def gradient(self, y_true, raw_prediction, sample_weight=None, gradient_out=None):
        """Gradient of :meth:`loss` with respect to ``raw_prediction``."""
        return self.loss_gradient(y_true, raw_prediction, sample_weight, gradient_out)[1]


def _overlaps(out, arrays):
    """Whether ``out`` may share memory with any of ``arrays`` (None skipped).

    ``np.may_share_memory`` compares memory bounds only: cheap, and at worst
    a needless temporary for interleaved views.
    """
    return any(a is not None and np.may_share_memory(out, a) for a in arrays)


class PointwiseLoss(FusedLoss):
    """A loss with one raw value per sample, built from an elementwise kernel pair.

    Its kernels take the parameter tuple ``theta`` (see ``_pointwise``) last.
    """

    def _setup(self, values):
        _, _, low, strict = TARGETS[self.target_kind]
        theta = theta_of(values.values(), low, strict)
        object.__setattr__(self, "_kernel_args", (theta,))

    def _loss_sum(self, y, raw, w, size=None):
        size = raw.size if size is None else size
        sums, wsum, wmin = self._kernels.metric_sums(
            size, y[:, None], raw[:, None], w, *self._kernel_args
        )
        return sums[0], wsum, wmin
