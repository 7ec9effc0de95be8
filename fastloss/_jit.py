"""Lazy Numba compilation.

Kernels are written as plain Python functions and decorated with :func:`jit`.
Nothing is imported from Numba and nothing is compiled until a kernel is first
called on the Numba backend, so ``import fastloss`` stays cheap.

A decorated function becomes a :class:`LazyKernel`.  On first use every lazy
object created so far is materialised: a Numba dispatcher is built for it, and
each module global that still points at a lazy placeholder (helpers, ``prange``)
is rebound to the real Numba object, so that Numba's typing sees dispatchers.
Compilation itself still happens per signature, on demand, and is cached on
disk (see :mod:`fastloss._cache`).
"""

from __future__ import annotations

import threading
import types

__all__ = ["jit", "serial", "prange", "numba_available", "PARALLEL_MIN_SIZE"]

#: Below this many elements a kernel runs serially: starting the thread pool
#: costs more than it saves.
PARALLEL_MIN_SIZE = 50_000

#: Float operations may be re-associated (lets LLVM vectorise reductions with
#: several accumulators) and contracted into FMAs: both change results only
#: by rounding.  Never ``nnan``/``ninf``: NaN and inf must propagate so that
#: the validation can see them.
FASTMATH = frozenset({"reassoc", "contract"})


def prange(*args):
    """Placeholder for ``numba.prange``; rebound when kernels are materialised."""
    return range(*args)


#: Lazy objects not built yet (modules imported later add to it).
_pending: list = []
_lock = threading.RLock()
#: Held while a parallel kernel runs (see LazyKernel.__call__).
_parallel_slot = threading.Lock()
_numba_error: Exception | None = None
_numba_ok = False


def numba_available() -> bool:
    """Whether Numba can be imported (the answer is computed once)."""
    global _numba_error, _numba_ok
    if _numba_ok:
        return True
    if _numba_error is not None:
        return False
    try:
        import numba  # noqa: F401
    except Exception as exc:  # ImportError, or a broken llvmlite install
        _numba_error = exc
        return False
    _numba_ok = True
    return True


class _Lazy:
    """Common part of lazy helpers and kernels."""

    def __init__(self, func, options):
        self.py_func = func
        self.options = options
        self.__name__ = func.__name__
        self.__qualname__ = func.__qualname__
        self.__doc__ = func.__doc__
        self.__module__ = func.__module__
        with _lock:
            _pending.append(self)

    def _build(self, numba):  # pragma: no cover - overridden
        raise NotImplementedError


class LazyHelper(_Lazy):
    """A scalar helper called from kernels (never from Python directly)."""

    dispatcher = None

    def _build(self, numba, cache):
        # Inlined into each kernel at Numba IR level, so LLVM can vectorise
        # the kernel's loops through it (a call would stop that).
        self.dispatcher = numba.njit(cache=cache, inline="always", **self.options)(self.py_func)

    def __call__(self, *args):
        # Pure-Python evaluation, used only when kernels run uncompiled.
        return self.py_func(*args)


class LazyKernel(_Lazy):
    """A kernel with a serial and (optionally) a parallel compiled variant."""

    def __init__(self, func, options, parallel):
        super().__init__(func, options)
        self.parallel = parallel
        self.serial_dispatcher = None
        self.parallel_dispatcher = None
        self.ready = False  # set once built *and* its globals rebound

    def _build(self, numba, cache):
        opts = dict(self.options)
        serial = numba.njit(cache=cache, nogil=True, **opts)(self.py_func)
        parallel = serial
        if self.parallel:
            # Numba's cache key ignores ``parallel=``: under one name the serial
            # variant could load the parallel machine code.  The parallel
            # variant is a copy of the function (same code and globals) under
            # a name of its own, hence a cache entry of its own.
            func = self.py_func
            twin = types.FunctionType(
                func.__code__, func.__globals__, func.__name__, func.__defaults__
            )
            twin.__qualname__ = f"{func.__qualname__}_parallel"
            twin.__module__ = func.__module__
            parallel = numba.njit(cache=cache, nogil=True, parallel=True, **opts)(twin)
        self.serial_dispatcher, self.parallel_dispatcher = serial, parallel

    def __call__(self, size, *args):
        """Run the kernel on ``args``; ``size`` (elements) picks serial or parallel.

        One parallel kernel runs at a time: a call made while another thread's
        parallel kernel runs takes the serial variant instead.  That keeps the
        cores from being oversubscribed, and it is what makes concurrent calls
        safe under Numba's ``workqueue`` threading layer, which aborts the
        process when two threads launch parallel work at once.
        """
        if not self.ready:
            _materialise()
        if size >= PARALLEL_MIN_SIZE and self.parallel and _parallel_slot.acquire(False):
            try:
                return self.parallel_dispatcher(*args)
            finally:
                _parallel_slot.release()
        return self.serial_dispatcher(*args)


class SerialRef:
    """A kernel called from inside another kernel (its serial variant).

    Module globals holding a ``SerialRef`` are rebound to the serial Numba
    dispatcher when kernels are materialised, so that the calling kernel is
    typed against it.  Called from Python (uncompiled code, NumPy backend), it
    runs the NumPy twin of the kernel pair.
    """

    def __init__(self, kernel_pair):
        self.pair = kernel_pair
        self.py_func = kernel_pair.numba.py_func  # names the cache entry of callers

    def __call__(self, *args):
        with _np_errstate():
            return self.pair.numpy(*args)


def _np_errstate():
    import numpy as np

    return np.errstate(all="ignore")


def serial(kernel_pair) -> SerialRef:
    """Reference to ``kernel_pair``'s serial Numba kernel, for use inside kernels."""
    return SerialRef(kernel_pair)


class KernelTemplate:
    """A kernel whose helper functions are bound later, once per loss.

    ``template.specialise(suffix, elem=helper)`` clones the function with the
    global ``elem`` rebound, giving a separate kernel (and a separate on-disk
    cache entry, named after a digest of the bound helpers' code).
    """

    def __init__(self, func, options, parallel):
        self.py_func = func
        self.options = options
        self.parallel = parallel

    def specialise(self, suffix: str, **bindings) -> LazyKernel:
        import hashlib

        func = self.py_func
        namespace = dict(func.__globals__)
        namespace.update(bindings)
        digest = hashlib.sha256()
        for name in sorted(bindings):
            code = getattr(bindings[name], "py_func", bindings[name]).__code__
            digest.update(name.encode() + code.co_code + repr(code.co_consts).encode())
        clone = types.FunctionType(
            func.__code__, namespace, f"{func.__name__}_{suffix}", func.__defaults__
        )
        clone.__qualname__ = f"{func.__qualname__}_{suffix}_{digest.hexdigest()[:12]}"
        clone.__module__ = func.__module__
        clone.__doc__ = func.__doc__
        return LazyKernel(clone, self.options, self.parallel)


def jit(
    parallel: bool = False,
    helper: bool = False,
    template: bool = False,
    fastmath=FASTMATH,
    **options,
):
    """Mark a plain function as a lazily compiled Numba kernel or helper.

    Parameters
    ----------
    parallel : bool
        Also build a ``parallel=True`` variant, used for large inputs.
    helper : bool
        The function is a scalar helper called only from other kernels.
    template : bool
        Return a :class:`KernelTemplate` to be specialised per loss.
    fastmath : set of str
        Numba fast-math flags for this function alone.
    """
    # error_model="numpy": no ZeroDivisionError check on float division, which
    # would otherwise stop LLVM from vectorising any loop that divides.
    opts = {"error_model": "numpy", **options}
    if fastmath:
        opts["fastmath"] = set(fastmath)

    def decorate(func):
        if helper:
            return LazyHelper(func, opts)
        if template:
            return KernelTemplate(func, opts, parallel)
        return LazyKernel(func, opts, parallel)

    return decorate


def _materialise():
    """Build dispatchers for every pending lazy object and rebind module globals.

    Runs on the first kernel call, and again whenever a module imported since
    then has added lazy objects.
    """
    with _lock:
        if not _pending:
            return
        import numba

        from . import _cache

        cache = _cache.usable()
        if cache:
            _cache.install_locator(numba)
        # Helpers first: kernels' globals must point at helper dispatchers
        # before any kernel is typed.
        items = sorted(_pending, key=lambda obj: not isinstance(obj, LazyHelper))
        for obj in items:
            obj._build(numba, cache)
        for obj in items:
            _rebind(obj.py_func.__globals__, numba)
        for obj in items:
            obj.ready = True
        _pending.clear()


def _rebind(namespace, numba):
    for name, value in list(namespace.items()):
        if isinstance(value, LazyHelper):
            if value.dispatcher is None:  # pragma: no cover - built above
                raise RuntimeError(f"helper {name} was not built")
            namespace[name] = value.dispatcher
        elif isinstance(value, SerialRef):
            kernel = value.pair.numba
            if kernel.serial_dispatcher is None:  # pragma: no cover - built above
                raise RuntimeError(f"kernel {name} was not built")
            namespace[name] = kernel.serial_dispatcher
        elif value is prange:
            namespace[name] = numba.prange
