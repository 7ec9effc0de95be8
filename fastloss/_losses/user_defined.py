"""User-defined pointwise losses: :func:`fastloss.pointwise_loss`.

A scalar function ``f(y, raw, *params) -> (loss, d loss / d raw)`` becomes a
loss class with the whole fused-loss protocol, built on the same drivers as
fastloss's own pointwise losses (:func:`~fastloss._losses._pointwise.pointwise_kernels`):

- Numba backend: ``f`` is compiled as a helper inlined into the kernels, called
  through a small wrapper that unpacks the parameter tuple ``theta``; the
  kernels are cached on disk under a name holding a digest of ``f``'s code
  (its module and name, bytecode, constants, defaults, and the numbers and
  functions it reads from its module), so an edited function compiles anew;
  functions of modules a later process could not import (doctests, exec'd
  code) are compiled for the process only;
- NumPy backend: ``f`` is called on whole float64 arrays (a function written
  with NumPy ufuncs works on both backends); a function that only works on
  scalars (Python ``if`` on its arguments) is called element by element.

A function Numba cannot compile fails on its first call on the Numba backend
with a :class:`TypeError` naming it and giving Numba's reason in one line.
"""

from __future__ import annotations

import inspect
import numbers
import re
import sys
import types
import warnings
import zlib

import numpy as np

from .._jit import LazyHelper
from .._registry import LOSSES, Kernel, register_loss
from ._base import PointwiseLoss
from ._pointwise import PointwiseKernels, pointwise_kernels
from ._spec import RAW, SLOT_TARGET_LOW, Param, SGDSpec

__all__ = ["pointwise_loss"]

#: Parameters a user-defined loss may take: the slots of the kernels'
#: parameter tuple not used by the target domain (see ``_spec.N_SLOTS``).
MAX_PARAMS = SLOT_TARGET_LOW

#: Numba options of the user's function and its wrapper: no fast-math, the
#: function is evaluated as written (as the NumPy twin evaluates it).
_OPTIONS = {"error_model": "numpy"}


class _UserHelper(LazyHelper):
    """A helper defined outside fastloss: inlined into the kernels like
    fastloss's own, but never cached on disk by itself (it may live in a
    notebook or a script; the kernels inlining it are cached, named after
    the digest of its code)."""

    def _build(self, numba, cache):
        super()._build(numba, None)


# The wrappers the kernels call: f with the parameters unpacked from theta.
# One per parameter count; each user loss gets a copy whose global ``_f`` is
# its own function.
def _call0(y, raw, theta):
    value, slope = _f(np.float64(y), np.float64(raw))  # noqa: F821 - bound per loss
    return np.float64(value), np.float64(slope)


def _call1(y, raw, theta):
    value, slope = _f(np.float64(y), np.float64(raw), theta[0])  # noqa: F821
    return np.float64(value), np.float64(slope)


def _call2(y, raw, theta):
    value, slope = _f(np.float64(y), np.float64(raw), theta[0], theta[1])  # noqa: F821
    return np.float64(value), np.float64(slope)


_CALLS = (_call0, _call1, _call2)
assert len(_CALLS) == MAX_PARAMS + 1


def _is_number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _digest(func, crc=0, depth=0):
    """CRC of what decides ``func``'s compiled code (deterministic across processes).

    The module's name counts too: Numba's cached code refers to it (and
    imports it when the kernel is loaded back).
    """
    code = func.__code__
    crc = zlib.crc32(f"{func.__module__}.{func.__qualname__}".encode(), crc)
    crc = _code_crc(code, crc)
    crc = zlib.crc32(repr(func.__defaults__).encode(), crc)
    namespace = func.__globals__
    for name in _names(code):
        if name not in namespace:
            continue
        value = namespace[name]
        inner = getattr(value, "py_func", value)
        if isinstance(inner, types.FunctionType) and depth < 4:
            crc = _digest(inner, zlib.crc32(name.encode(), crc), depth + 1)
        elif isinstance(value, types.ModuleType):
            crc = zlib.crc32(f"{name}=module {value.__name__}".encode(), crc)
        elif _is_number(value) or isinstance(value, (str, bytes, tuple)):
            crc = zlib.crc32(f"{name}={value!r}".encode(), crc)
    return crc


def _code_crc(code, crc):
    crc = zlib.crc32(code.co_code, crc)
    crc = zlib.crc32(repr(code.co_names).encode(), crc)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            crc = _code_crc(const, crc)
        else:
            crc = zlib.crc32(repr(const).encode(), crc)
    return crc


def _names(code):
    names = list(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names += _names(const)
    return names


class _UserKernel(Kernel):
    """A kernel pair of a user-defined loss: Numba's compile errors come out short, by name."""

    __slots__ = ("function_name",)

    def __init__(self, kernel, function_name):
        super().__init__(kernel.numba, kernel.numpy)
        self.function_name = function_name

    def __call__(self, size, *args):
        try:
            return super().__call__(size, *args)
        except Exception as exc:
            error = _compile_error(self.function_name, exc)
            if error is None:
                raise
            raise error from None


def _user_kernels(kernels, function_name):
    """``kernels`` (a PointwiseKernels) with each kernel pair wrapped in :class:`_UserKernel`."""
    wrapped = PointwiseKernels(
        **{key: _UserKernel(k, function_name) for key, k in vars(kernels).items()}
    )
    for slot in PointwiseKernels.__slots__:
        setattr(wrapped, slot, getattr(kernels, slot))
    return wrapped


def _importable(module_name):
    """Whether a later process can import ``module_name`` (which loading a cached kernel does)."""
    if module_name == "__main__":
        return True
    module = sys.modules.get(module_name)
    return module is not None and getattr(module, "__file__", None) is not None


def _compile_error(function_name, exc):
    """A TypeError naming the function and Numba's reason, if ``exc`` is Numba's."""
    errors = sys.modules.get("numba.core.errors")
    if errors is None or not isinstance(exc, errors.NumbaError):
        return None
    message = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))  # Numba's terminal colours
    lines = [line.strip() for line in message.splitlines()]
    # The first line is the pipeline stage ("Failed in nopython mode
    # pipeline"), repeated per nesting level: the reason is the first other.
    reason = next((line for line in lines if line and not line.startswith("Failed in ")), "")
    detail = next((line.partition("TypingError: ")[2] for line in lines if "TypingError: " in line), "")
    if detail:  # "No implementation of function ...": the rejected overload says why
        reason = f"{reason} {detail}"
    error = TypeError(
        f"fastloss.pointwise_loss: Numba cannot compile {function_name!r}: {reason or message}"
    )
    error.numba_message = message  # the whole of Numba's message
    return error


def _numpy_twin(func, n_params):
    """``func`` on whole float64 arrays (elementwise if it only takes scalars)."""

    def elem_numpy(y, raw, theta):
        params = tuple(theta[:n_params])
        try:
            value, slope = func(y, raw, *params)
            value = np.broadcast_to(np.asarray(value, dtype=np.float64), y.shape)
            slope = np.broadcast_to(np.asarray(slope, dtype=np.float64), y.shape)
        except (TypeError, ValueError):  # scalar code (``if d > 0:`` on arrays)
            scalar = np.vectorize(lambda a, b: func(a, b, *params), otypes=[np.float64, np.float64])
            value, slope = scalar(y, raw)
        return value, slope

    elem_numpy.__name__ = f"{func.__name__}_numpy"
    return elem_numpy


#: Attributes of user-defined loss classes beyond PointwiseLoss's (not parameter names).
_CLASS_ATTRIBUTES = ("user_defined", "function")


def _params_of(func):
    """The loss parameters of ``func``: its arguments after (y, raw), with numeric defaults."""
    where = f"fastloss.pointwise_loss: {func.__name__!r}"
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError) as exc:  # pragma: no cover - builtins
        raise TypeError(f"{where} has no signature: {exc}") from None
    args = list(signature.parameters.values())
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    if len(args) < 2 or any(a.kind not in positional for a in args[:2]):
        raise TypeError(f"{where} must take (y, raw, *params) positionally.")
    params = []
    for arg in args[2:]:
        if arg.kind != inspect.Parameter.POSITIONAL_OR_KEYWORD:
            raise TypeError(
                f"{where}: parameter {arg.name!r} must be an ordinary argument with a "
                "numeric default (no *args, **kwargs or keyword-only arguments)."
            )
        if arg.default is inspect.Parameter.empty or not _is_number(arg.default):
            got = "no default" if arg.default is inspect.Parameter.empty else f"{arg.default!r}"
            raise TypeError(
                f"{where}: parameter {arg.name!r} needs a real number as its default, got {got}."
            )
        if hasattr(PointwiseLoss, arg.name) or arg.name in _CLASS_ATTRIBUTES or arg.name.startswith("_"):
            raise TypeError(f"{where}: a parameter cannot be named {arg.name!r}.")
        params.append(Param(arg.name, arg.default))
    if len(params) > MAX_PARAMS:
        raise TypeError(
            f"{where} takes {len(params)} parameters; a pointwise loss takes at most "
            f"{MAX_PARAMS} (the slots of the kernels' parameter tuple)."
        )
    return tuple(params)


def pointwise_loss(func=None, *, name=None, target="real", raw="identity", curvature=1.0,
                   grad_factor=1.0, center=None, target_power=None, target_params=(),
                   smooth=True):  # fmt: skip
    """Make a fused loss class of a scalar function ``f(y, raw, *params) -> (loss, dloss/draw)``.

    The class is registered under the function's name (or ``name``), so the
    SGD estimators accept it by name as well as by instance, and it has the
    whole fused-loss API: ``loss``, ``gradient``, ``loss_gradient`` with
    sample weights, float32, threads, validation, both backends.

    ``f`` must be compilable by Numba in nopython mode (numbers, ``math`` and
    NumPy's scalar functions; no Python containers, strings, or calls to
    functions Numba does not know), return a pair of numbers, and, to run fast
    on the NumPy backend too, work on whole arrays (``np.where``, not ``if``:
    scalar-only code is called element by element there).  Its parameters
    are its arguments after ``y`` and ``raw``: each needs a real default, at
    most two of them.  Instances are created as ``f(param=value)`` and are
    immutable; they pickle when ``f`` is defined at the top level of a module.

    Registering a name again replaces the user-defined loss of that name, with
    a warning (re-running a notebook cell); fastloss's own loss names cannot
    be taken.

    Parameters
    ----------
    func : function
        ``f(y, raw, *params)``, called with float64 scalars.
    name : str, optional
        Registry name (default: the function's name).
    target : {"real", "nonnegative", "positive", "probability", "binary"}, default="real"
        The targets the loss accepts (others raise ValueError).
    raw : str, default="identity"
        What the raw prediction is (a key of ``fastloss._losses._spec.RAW``);
        ``SGDRegressor`` trains "identity" losses of real, nonnegative or
        positive targets.
    curvature, grad_factor, center, target_power, target_params, smooth
        How SGD trains it (see ``fastloss._losses._spec.SGDSpec``).  The
        defaults (curvature 1, targets neither centred nor scaled) suit a
        smooth regression loss on standardised targets; declare
        ``center="median"`` (or "mean") when the loss depends on ``raw - y``
        alone, and ``target_power`` (with ``target_params``, the parameters
        in the targets' units) when it scales with the targets, to let the
        estimators standardise the targets.

    Examples
    --------
    The Geman-McClure loss (arithmetic only: it needs no module globals,
    which a doctest clears when it ends):

    >>> import fastloss
    >>> @fastloss.pointwise_loss
    ... def geman_mcclure(y, raw, c=1.0):
    ...     d = raw - y
    ...     s = c * c + d * d
    ...     return d * d / s, 2.0 * d * c * c / (s * s)
    >>> loss = geman_mcclure(c=2.0)
    >>> loss
    geman_mcclure(c=2.0)
    >>> value, grad = loss.loss_gradient([0.0, 1.0], [2.0, 1.0])
    >>> value, grad
    (0.25, array([0.125, 0.   ]))
    """
    options = dict(name=name, target=target, raw=raw, curvature=curvature, grad_factor=grad_factor,
                   center=center, target_power=target_power, target_params=target_params,
                   smooth=smooth)  # fmt: skip
    if func is None:
        return lambda f: _make(f, stacklevel=3, **options)
    return _make(func, stacklevel=2, **options)


def _make(func, *, name, target, raw, curvature, grad_factor, center, target_power,
          target_params, smooth, stacklevel):  # fmt: skip
    if not isinstance(func, types.FunctionType):
        raise TypeError(
            f"fastloss.pointwise_loss takes a Python function, got {type(func).__name__}."
        )
    params = _params_of(func)
    name = func.__name__ if name is None else name
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(
            f"fastloss.pointwise_loss: the name must be an identifier (pass name=...), got {name!r}."
        )
    if raw not in RAW:
        raise ValueError(f"fastloss.pointwise_loss: raw must be one of {sorted(RAW)}, got {raw!r}.")
    unknown = [p for p in target_params if p not in [q.name for q in params]]
    if unknown:
        raise ValueError(f"fastloss.pointwise_loss: target_params {unknown} are not parameters of {name!r}.")
    sgd = SGDSpec(
        curvature=curvature, grad_factor=grad_factor, center=center, target_power=target_power,
        target_params=target_params, smooth=smooth,
    )  # fmt: skip

    previous = LOSSES.get(name)
    if previous is not None and not getattr(previous, "user_defined", False):
        raise ValueError(
            f"fastloss.pointwise_loss: {name!r} is the name of fastloss's {previous.__name__}; "
            "pass name=... to register under another name."
        )

    helper = _UserHelper(func, _OPTIONS)
    call = _CALLS[len(params)]
    wrapper = types.FunctionType(call.__code__, {"np": np, "_f": helper}, f"{name}_elem")
    digest = _digest(func)
    kernels = pointwise_kernels(
        f"user_{name}_{digest:08x}",
        _UserHelper(wrapper, _OPTIONS),
        _numpy_twin(func, len(params)),
        target=target,
    )
    # Kernels inlining a function of a module a later process cannot import
    # (a doctest's, an exec'd string's) are compiled for this process only.
    for kernel in vars(kernels).values():
        kernel.numba.cacheable = _importable(func.__module__)
    signature = ", ".join(["y", "raw"] + [f"{p.name}={p.default!r}" for p in params])
    namespace = {
        "__doc__": func.__doc__ or f"User-defined pointwise loss ``{name}({signature})``.",
        "__module__": func.__module__,
        "__qualname__": func.__qualname__,
        "params": params,
        "target": target,
        "raw": raw,
        "reference": None,
        "sgd": sgd,
        "user_defined": True,
        "function": staticmethod(func),
        "_kernels": _user_kernels(kernels, func.__qualname__),
    }
    cls = type(func.__name__, (PointwiseLoss,), namespace)
    if previous is not None:
        warnings.warn(
            f"fastloss.pointwise_loss: {name!r} replaces the user-defined loss registered "
            "earlier under that name.",
            UserWarning,
            stacklevel=stacklevel,
        )
    return register_loss(name)(cls)
