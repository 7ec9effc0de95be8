"""Backend selection: which implementation (Numba or NumPy) runs the kernels."""

from __future__ import annotations

import contextlib
import contextvars
import os
import warnings

from . import _jit

from ._jit import get_num_threads, set_num_threads

__all__ = [
    "get_backend",
    "set_backend",
    "use_backend",
    "get_num_threads",
    "set_num_threads",
    "BACKENDS",
]

BACKENDS = ("numba", "numpy")

_override: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "fastloss_backend", default=None
)


def _check_name(name) -> str:
    if not isinstance(name, str) or name.lower() not in BACKENDS:
        raise ValueError(
            f"Unknown fastloss backend {name!r}; expected one of {BACKENDS}."
        )
    return name.lower()


def _initial_backend() -> str:
    env = os.environ.get("FASTLOSS_BACKEND", "").strip()
    if not env:
        return "numba"
    try:
        return _check_name(env)
    except ValueError:
        warnings.warn(
            f"FASTLOSS_BACKEND={env!r} is not one of {BACKENDS}; using 'numba'.",
            RuntimeWarning,
            stacklevel=3,
        )
        return "numba"


_default = _initial_backend()
_warned_fallback = False


def _effective(name: str) -> str:
    """Fall back to NumPy (with one warning) when Numba cannot be imported."""
    global _warned_fallback
    if name == "numba" and not _jit.numba_available():
        if not _warned_fallback:
            _warned_fallback = True
            warnings.warn(
                f"Numba could not be imported ({_jit._numba_error!r}); "
                "fastloss runs on its NumPy backend.",
                RuntimeWarning,
                stacklevel=4,
            )
        return "numpy"
    return name


def get_backend() -> str:
    """Return the backend in force here: ``'numba'`` or ``'numpy'``.

    ``'numba'`` is reported only when Numba can actually be imported.
    """
    name = _override.get()
    return _effective(name if name is not None else _default)


def set_backend(name: str) -> None:
    """Set the process-wide default backend (``'numba'`` or ``'numpy'``).

    The environment variable ``FASTLOSS_BACKEND`` sets the initial default.
    """
    global _default
    _default = _check_name(name)


@contextlib.contextmanager
def use_backend(name: str):
    """Context manager running the enclosed code on backend ``name``.

    The choice is local to the current thread (and asyncio task).

    Examples
    --------
    >>> import fastloss
    >>> with fastloss.use_backend("numpy"):
    ...     fastloss.get_backend()
    'numpy'
    """
    token = _override.set(_check_name(name))
    try:
        yield
    finally:
        _override.reset(token)
