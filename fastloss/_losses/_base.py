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
    """Base class: a weighted loss, its gradient and hessian, computed in one pass.

    Subclasses set ``_kernels``, a namespace with the kernel pair
    ``loss_gradient(size, y, raw, w, scale, grad, values, hess) -> sum`` (writes ``scale * w * dloss_i`` into
    ``grad``, ``w * loss_i`` into ``values`` and ``scale * w * d2loss_i``
    into ``hess``, each where not None; ``values`` and ``hess`` are not
    requested together), and may override :meth:`_check_targets` and
    :meth:`_check_target_values`.
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
    #: What ``gradient_hessian`` returns as the hessian: ``"exact"`` (the
    #: second derivative; at a kink, the value of one side, documented per
    #: loss), ``"ones"`` (scikit-learn's convention for losses whose second
    #: derivative is 0 almost everywhere, so that Newton-type solvers get a
    #: positive hessian) or ``"central_difference"`` (of the gradient, for
    #: pointwise losses built without a hessian helper).
    hessian_kind = "exact"
    #: How the SGD estimators train on it (a _spec.SGDSpec; None: they do not).
    sgd = None
    #: Extra trailing arguments of this loss's kernels (its parameter tuple).
    _kernel_args: tuple = ()
    #: Whether ``fastloss bench --quick`` times this loss (``--full`` times every loss).
    bench_quick = False
    #: Whether its kernels are bound by memory traffic (plain arithmetic, no
    #: exp/log per element): bench/loss_family.py then holds it to the
    #: bandwidth floor and to a float32 gain.
    memory_bound = False

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
        (default: ``raw.size``; 0 keeps it in the calling thread).  The
        loss-gradient kernel asked for no output (each goes to a scratch run
        in cache), then the weights' statistics: no kernel of its own to
        compile.
        """
        size = raw.size if size is None else size
        total = self._kernels.loss_gradient(
            size, y, raw, w, 1.0, None, None, None, *self._kernel_args
        )
        if w is None:
            return total, float(raw.shape[0]), 1.0
        wsum, wmin = weight_stats(size, w)
        return total, wsum, wmin

    def loss_sums(self, y_true, raw_prediction, sample_weight=None):
        """The mergeable state of one chunk: ``(loss sum, weight sum, weight min)``.

        For the package's accumulators (:mod:`fastloss.streaming`): inputs are
        validated as in :meth:`loss` (NaN, inf and targets outside the domain
        raise), and the weighted loss sum is finite.  A chunk whose weights
        sum to zero is no error here (other chunks may carry weight); negative
        or non-finite weights are.  ``loss`` over the whole data equals the sum
        of the chunks' loss sums over the sum of their weight sums.
        """
        y, raw, w = self._prepare(y_true, raw_prediction, sample_weight)
        total, wsum, wmin = self._loss_sum(y, raw, w)
        check_weight_stats(w, 1.0 if wsum == 0 else wsum, wmin)
        return self._finish(total, y, raw, w), float(wsum), float(wmin)

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

    def _out(self, raw, out, name="gradient_out"):
        """A caller's output buffer ``name``, checked; a new array when None."""
        if out is None:
            return np.empty_like(raw)
        if not isinstance(out, np.ndarray):
            raise TypeError(f"{name} must be a numpy array, got {type(out).__name__}.")
        if (
            out.shape != raw.shape
            or out.dtype != raw.dtype
            or not out.flags.c_contiguous
            or not out.flags.writeable
        ):
            raise ValueError(
                f"{name} must be a writeable C-contiguous array of shape "
                f"{raw.shape} and dtype {raw.dtype}; got shape {out.shape}, "
                f"dtype {out.dtype}."
            )
        return out

    def _gradient_out(self, raw, gradient_out):
        return self._out(raw, gradient_out, "gradient_out")

    def _weight_sum(self, w, n, reduction):
        """sum(w) (n without weights), after checking the weights' values.

        All-zero weights are an error for ``"mean"`` only: a weighted sum of
        nothing is 0.
        """
        if w is None:
            return float(n)
        wsum, wmin = weight_stats(w.shape[0], w)
        check_weight_stats(w, wsum if reduction == "mean" or wsum != 0 else 1.0, wmin)
        return wsum

    def _outputs(self, y, raw, w, scale, values, grad, hess):
        """Per-sample outputs through the loss-gradient kernel; returns the
        weighted loss sum (checked).

        ``grad``/``hess`` buffers sharing memory with an input (exactly or
        in part) are filled through temporaries, copied in after the pass and
        its checks: during the pass they would overwrite values still to be
        read, and the slow path of :meth:`_finish` must see the inputs as given.
        """
        inputs = (y, raw, w)
        gwork = np.empty_like(raw) if grad is not None and _overlaps(grad, inputs) else grad
        hwork = np.empty_like(raw) if hess is not None and _overlaps(hess, inputs) else hess
        total = self._kernels.loss_gradient(
            raw.size, y, raw, w, scale, gwork, values, hwork, *self._kernel_args
        )
        value = self._finish(total, y, raw, w)
        if gwork is not grad:
            grad[...] = gwork
        if hwork is not hess:
            hess[...] = hwork
        return value

    # -- public API -------------------------------------------------------------
    def loss(self, y_true, raw_prediction, sample_weight=None, *, reduction="mean"):
        """Weighted loss: mean, sum, or per sample.

        Parameters
        ----------
        y_true : array-like of shape (n_samples,)
            Targets.
        raw_prediction : array-like
            Raw model output (for classification losses: logits).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights.
        reduction : {"mean", "sum", "none"}, default="mean"
            ``"mean"``: ``sum(w * loss_i) / sum(w)``; ``"sum"``:
            ``sum(w * loss_i)``; ``"none"``: the array ``w * loss_i``, as
            scikit-learn's ``_loss`` objects return it.

        Returns
        -------
        float, or ndarray of shape (n_samples,) for ``reduction="none"``
            Sums are accumulated in float64; the per-sample array has
            ``raw_prediction``'s dtype.
        """
        _check_reduction(reduction)
        y, raw, w = self._prepare(y_true, raw_prediction, sample_weight)
        if reduction == "none":
            self._weight_sum(w, raw.shape[0], reduction)
            values = np.empty(raw.shape[0], dtype=raw.dtype)
            self._outputs(y, raw, w, 1.0, values, None, None)
            return values
        total, wsum, wmin = self._loss_sum(y, raw, w)
        check_weight_stats(w, wsum if reduction == "mean" or wsum != 0 else 1.0, wmin)
        value = self._finish(total, y, raw, w)
        return value / wsum if reduction == "mean" else value

    def loss_gradient(
        self, y_true, raw_prediction, sample_weight=None, gradient_out=None, *, reduction="mean"
    ):
        """Weighted loss and its gradient with respect to ``raw_prediction``.

        Both come from a single pass over the inputs.

        Parameters
        ----------
        y_true, raw_prediction, sample_weight, reduction
            As in :meth:`loss`.  The gradient is that of the reduced loss:
            ``w * dloss_i / sum(w)`` for ``"mean"``, ``w * dloss_i`` for
            ``"sum"`` and ``"none"`` (scikit-learn's ``loss_gradient``).
        gradient_out : ndarray, default=None
            Array to write the gradient into (same shape and dtype as
            ``raw_prediction``, C-contiguous).  It may share memory with
            the inputs (``raw_prediction`` itself, say): the gradient is
            then computed into a temporary and copied in at the end, so it
            is the gradient of the inputs as given.

        Returns
        -------
        loss : float, or ndarray of shape (n_samples,) for ``reduction="none"``
        gradient : ndarray
            Same shape and dtype as ``raw_prediction`` (float32 stays float32).
        """
        _check_reduction(reduction)
        y, raw, w = self._prepare(y_true, raw_prediction, sample_weight)
        # The gradient's scale 1/sum(w) is needed before the fused pass.
        wsum = self._weight_sum(w, raw.shape[0], reduction)
        grad = self._gradient_out(raw, gradient_out)
        if reduction == "none":
            values = np.empty(raw.shape[0], dtype=raw.dtype)
            self._outputs(y, raw, w, 1.0, values, grad, None)
            return values, grad
        scale = 1.0 / wsum if reduction == "mean" else 1.0
        value = self._outputs(y, raw, w, scale, None, grad, None)
        return (value / wsum if reduction == "mean" else value), grad

    def gradient(
        self, y_true, raw_prediction, sample_weight=None, gradient_out=None, *, reduction="mean"
    ):
        """Gradient of :meth:`loss` with respect to ``raw_prediction``.

        ``reduction="sum"`` and ``"none"`` give the same array, ``w * dloss_i``.
        """
        _check_reduction(reduction)
        if reduction == "none":
            reduction = "sum"  # the same gradient, without the per-sample losses
        return self.loss_gradient(
            y_true, raw_prediction, sample_weight, gradient_out, reduction=reduction
        )[1]

    def gradient_hessian(
        self,
        y_true,
        raw_prediction,
        sample_weight=None,
        gradient_out=None,
        hessian_out=None,
        *,
        reduction="mean",
    ):
        """Gradient and (diagonal) hessian of the loss with respect to ``raw_prediction``.

        One pass over the inputs (the pointwise losses compute no loss
        value in it); an infinite or NaN ``y_true`` or ``raw_prediction``
        raises ``ValueError``, even where the loss there is finite.  With
        ``reduction="none"`` (or ``"sum"``, the same arrays) they are ``w *
        dloss_i`` and ``w * d2loss_i``, what scikit-learn's
        ``gradient_hessian`` returns; with ``"mean"`` both are divided by
        ``sum(w)``.  For (n, k) raw predictions the hessian is the
        diagonal ``d2loss_i / draw_ij**2``, of shape (n, k).  Each loss class
        documents its hessian where the second derivative does not exist
        (kinks) or is not what is returned (``hessian_kind``).

        Parameters
        ----------
        y_true, raw_prediction, sample_weight, reduction
            As in :meth:`loss`.
        gradient_out, hessian_out : ndarray, default=None
            Arrays to write into (each of ``raw_prediction``'s shape and
            dtype, C-contiguous, writeable).  Either may share memory with
            the inputs (then filled through a temporary, as in
            :meth:`loss_gradient`); they must not share memory with each
            other.

        Returns
        -------
        gradient, hessian : ndarray
            Same shape and dtype as ``raw_prediction``.
        """
        _check_reduction(reduction)
        y, raw, w = self._prepare(y_true, raw_prediction, sample_weight)
        wsum = self._weight_sum(w, raw.shape[0], reduction)
        grad = self._out(raw, gradient_out, "gradient_out")
        hess = self._out(raw, hessian_out, "hessian_out")
        if np.may_share_memory(grad, hess):
            raise ValueError("hessian_out must not share memory with gradient_out.")
        scale = 1.0 / wsum if reduction == "mean" else 1.0
        self._outputs(y, raw, w, scale, None, grad, hess)
        return grad, hess


#: The values ``reduction=`` takes.
REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(reduction):
    if not (isinstance(reduction, str) and reduction in REDUCTIONS):
        raise ValueError(
            f"reduction must be one of {', '.join(repr(r) for r in REDUCTIONS)}; "
            f"got {reduction!r}."
        )


def _overlaps(out, arrays):
    """Whether ``out`` may share memory with any of ``arrays`` (None skipped).

    ``np.may_share_memory`` compares memory bounds only: cheap, and at worst
    a needless temporary for interleaved views.
    """
    return any(a is not None and np.may_share_memory(out, a) for a in arrays)


class PointwiseLoss(FusedLoss):
    """A loss with one raw value per sample, built from an elementwise kernel pair.

    Its kernels take the parameter tuple ``theta`` (see ``_pointwise``) last.
    A subclass whose kernels have no hessian helper gets ``hessian_kind =
    "central_difference"`` unless it declares otherwise.
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        kernels = cls.__dict__.get("_kernels")
        if (
            "hessian_kind" not in cls.__dict__
            and getattr(kernels, "hessian", None) == "central_difference"
        ):
            cls.hessian_kind = "central_difference"

    def _setup(self, values):
        _, _, low, strict = TARGETS[self.target_kind]
        theta = theta_of(values.values(), low, strict)
        object.__setattr__(self, "_kernel_args", (theta,))
