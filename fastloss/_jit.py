"""Lazy Numba compilation, and kernels split across threads by rows.

Kernels are written as plain Python functions and decorated with :func:`jit`.
Nothing is imported from Numba and nothing is compiled until a kernel is first
called on the Numba backend, so ``import fastloss`` stays cheap.

A decorated function becomes a :class:`LazyKernel`.  On first use every lazy
object created so far is materialised: a Numba dispatcher is built for it, and
each module global that still points at a lazy placeholder (helpers, kernels
called from kernels) is rebound to the real Numba object, so that Numba's
typing sees dispatchers.  Compilation itself still happens per signature, on
demand, and is cached on disk (see :mod:`fastloss._cache`).

Float32 paths.  A kernel with a loop in float32 arithmetic for float32 inputs
(8 lanes to a vector instead of 4) declares ``marks_float32=i``: each call
then gets one more argument, ``single``, True when argument ``i`` is float32
and None otherwise, which the kernel passes on to its helpers.  Numba prunes
an ``if single is not None:`` branch before typing when ``single`` is None,
so a float64 kernel does not type and compile its float32 loops (tested
through ``isinstance(x[0], np.float32)`` instead, they were compiled for
float64 too and dropped only by LLVM: 1.0-1.4 s of a cold compile's 28 s of
CPU).  Kernels calling a marked kernel pass it their own ``single``; left
out, it defaults to None: the float64 loops, for inputs of either dtype.

Parallelism.  Every kernel is compiled once, serially, with ``nogil=True``.  A
kernel declared with ``rows=`` (which of its arguments are indexed by sample,
and how its partial results combine) runs on large inputs as one call per
thread over contiguous row ranges, each returning its partial sums, which are
then combined.  Numba's own ``parallel=True`` ran no faster, but compiled each
kernel 3-10x slower (a cold compile of every float64 kernel took 117 s, against
about 10 s now in one process), needed a second compiled variant per kernel
for small inputs, and aborts the process under the ``workqueue`` threading
layer when two threads launch parallel work at once; plain threads over
``nogil`` code have none of these problems.
"""

from __future__ import annotations

import os
import threading
import types

import numpy as np

# Imported here, not when first needed: a child forked while another thread
# is in the middle of importing a module blocks for good on importing it.
from . import _cache

__all__ = [
    "jit",
    "float32_marker",
    "Rows",
    "Absent",
    "serial",
    "numba_available",
    "PARALLEL_MIN_SIZE",
    "ROW_ALIGN",
    "get_num_threads",
    "set_num_threads",
    "thread_pool",
    "parallel_slot",
    "available_cores",
]

#: Below this many elements a kernel runs in the calling thread: handing work
#: to another thread costs more than it saves.
PARALLEL_MIN_SIZE = 50_000

#: Row ranges given to threads start at multiples of this (the kernels' block
#: size), so a split changes no block's partial sum.
ROW_ALIGN = 4096

#: Float operations may be re-associated (lets LLVM vectorise reductions with
#: several accumulators) and contracted into FMAs: both change results only
#: by rounding.  Never ``nnan``/``ninf``: NaN and inf must propagate so that
#: the validation can see them.
FASTMATH = frozenset({"reassoc", "contract"})


#: Lazy objects not built yet (modules imported later add to it).
_pending: list = []
_lock = threading.RLock()
#: Held while a kernel runs split across threads (see LazyKernel.__call__).
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
    # Imported under _lock, which forks wait for (see _guard_forks): a child
    # forked in the middle of another thread's `import numba` would find it
    # half done, its import lock held by a thread that is not there, for good.
    with _lock:
        if _numba_ok or _numba_error is not None:
            return _numba_ok
        _guard_forks()
        try:
            import numba  # noqa: F401
            # Numba's typeof of every array reads np.ma, whose first access
            # imports numpy.ma: done here, under the lock forks wait for, not
            # in whichever thread calls a kernel first (a child forked during
            # that import would block on numpy.ma's module lock for good).
            import numpy.ma  # noqa: F401
        except Exception as exc:  # ImportError, or a broken llvmlite install
            _numba_error = exc
            return False
        _numba_locks[:] = _numba_fork_locks()
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
        # Inlined by LLVM into each kernel (alwaysinline), so that the kernels'
        # loops vectorise through it (a call would stop that).  Inlining at
        # Numba IR level instead (inline="always") types the helper again at
        # every call site: it doubled the compile time.  LLVM inlining keeps
        # the helper's own fast-math flags (none for the log/exp helpers).
        # Neither a cfunc nor a CPython wrapper: helpers are called only
        # from kernels, and the wrappers were 6 % of a cold compile.  No
        # machine code either (see _inline_only_pipeline).
        options = {"forceinline": True, "no_cfunc_wrapper": True, "no_cpython_wrapper": True}
        if numba.config.DISABLE_JIT:
            self.dispatcher = self.py_func
            return
        pipeline = _inline_only_pipeline()
        self.dispatcher = _helper_dispatcher_class(numba)(
            py_func=self.py_func,
            locals={},
            targetoptions={**options, **self.options, "nopython": True, "boundscheck": None},
            **({} if pipeline is None else {"pipeline_class": pipeline}),
        )
        _enable_cache(self.dispatcher, cache)

    def __call__(self, *args):
        # Pure-Python evaluation, used only when kernels run uncompiled.
        return self.py_func(*args)


_helper_dispatcher = []
_inline_only = []


def _inline_only_pipeline():
    """Numba's compiler, giving helpers optimised LLVM IR and no machine code.

    Kernels link a helper's optimised IR into their own module and inline
    it; the machine code Numba emits for every function it compiles is never
    run for a helper.  Emitting none saved 1.6 s of the 28 s of CPU a cold
    compile of every float64 kernel takes, with kernels as fast.  (Skipping
    the helpers' own optimisation as well saved more, but changed what the
    kernels compiled to: brier_score_loss ran 3x slower.)  So the helper's
    library stays out of Numba's execution engine, its Python-side entry
    point has no address (HelperDispatcher refuses calls from Python), and
    its disk cache entry holds the IR.  None (plain Numba helpers) where
    this Numba lacks an internal used here.
    """
    if _inline_only:
        return _inline_only[0]
    try:
        import functools

        import llvmlite.binding as llvm
        from numba import _dynfunc
        from numba.core import compiler
        from numba.core.base import BaseContext
        from numba.core.codegen import JITCodeLibrary, JITCPUCodegen

        needed = {
            JITCodeLibrary: ("_finalize_dynamic_globals", "_verify_declare_only_symbols",
                             "_get_module_for_linking", "_ensure_finalized"),
            JITCPUCodegen: ("_create_empty_module", "set_env"),
            BaseContext: ("get_env_name", "declare_env_global"),
        }  # fmt: skip
        for owner, names in needed.items():
            if not all(hasattr(owner, name) for name in names):
                raise AttributeError(f"Numba's {owner.__name__} changed")
    except (ImportError, AttributeError):
        _inline_only.append(None)
        return None

    class InlineOnlyLibrary(JITCodeLibrary):
        def _finalize_final_module(self):
            # Numba's, less adding the module to the execution engine
            # (which would emit its machine code).
            self._finalize_dynamic_globals()
            self._verify_declare_only_symbols()
            self._finalized = True

        #: Object code defining the helper's environment pointer alone.
        env_object = None

        def serialize_using_object_code(self):
            # Numba's cache entry: object code (here the environment's
            # alone, which loading it puts in the engine, so that the
            # pointer can be set) and the IR that kernels link in.
            return (self.name, "object", (self.env_object, self._get_module_for_linking().as_bitcode()))

    def entry_point(context, library, fndesc, env):
        # The target context's get_executable, less the function's address
        # (there is none).  The helper's environment, which its code reads
        # to make Python objects (to print one, say), is set all the same,
        # in object code of its own in the engine: the kernels inlining the
        # helper find it there (unset, such a kernel hung).
        library._ensure_finalized()
        codegen = library.codegen
        env_name = context.get_env_name(fndesc)
        holder = codegen._create_empty_module(env_name)
        # The environments of the helpers it calls too (linked into its
        # module): loading a cache entry sets them all.
        head, marker, _ = env_name.partition("NumbaEnv")
        prefix = head + marker if marker else env_name
        for gv in library._final_module.global_variables:
            if gv.name.startswith(prefix):
                context.declare_env_global(holder, gv.name)
        context.declare_env_global(holder, env_name)
        library.env_object = codegen._tm.emit_object(llvm.parse_assembly(str(holder)))
        codegen._engine._ee.add_object_file(llvm.ObjectFileRef.from_data(library.env_object))
        codegen._engine.finalize_object()
        codegen.set_env(env_name, env)
        name = fndesc.qualname.split(".")[-1]
        return _dynfunc.make_function(fndesc.lookup_module(), name, "", 0, env, (library,))

    class InlineOnlyCompiler(compiler.Compiler):
        def compile_extra(self, func):
            state = self.state
            if state.library is None:
                state.library = InlineOnlyLibrary(state.targetctx.codegen(), func.__qualname__)
            # state.targetctx is a copy made for this compilation alone.
            state.targetctx.get_executable = functools.partial(entry_point, state.targetctx)
            return super().compile_extra(func)

    _inline_only.append(InlineOnlyCompiler)
    return InlineOnlyCompiler


def _helper_dispatcher_class(numba):
    """Numba's CPU dispatcher, refusing calls from Python.

    Helpers have no CPython wrapper: Numba would call a missing entry point
    (and crash) where this raises.
    """
    if not _helper_dispatcher:
        from numba.core.registry import CPUDispatcher

        class HelperDispatcher(CPUDispatcher):
            def __call__(self, *args, **kwargs):
                raise TypeError(
                    f"{self.py_func.__qualname__} is a fastloss kernel helper, compiled to be "
                    "called from kernels only; call its .py_func for plain Python."
                )

        _helper_dispatcher.append(HelperDispatcher)
    return _helper_dispatcher[0]


def _enable_cache(dispatcher, cache_class):
    """What ``njit(cache=True)`` does, with fastloss's cache class (see _cache.cache_class)."""
    # No dispatcher (NUMBA_DISABLE_JIT gives back the function): nothing to cache.
    if cache_class is not None and hasattr(dispatcher, "enable_caching"):
        dispatcher._cache = cache_class(dispatcher.py_func)


class Rows:
    """How a kernel splits across threads: which arguments are per-sample, how results merge.

    Parameters
    ----------
    args : tuple of int
        Positions of the arguments indexed by sample along axis 0 (each is
        sliced to the thread's row range; ``None`` stays ``None``).  Outputs
        written per row (gradients) are sliced too, so each thread writes its
        own rows.
    merge : str or tuple of str
        How the partial results of the threads combine: ``"sum"``, ``"min"``,
        ``"max"`` (NaN wins), ``"minimum"``/``"maximum"`` (arrays,
        elementwise), ``"or"`` (bitwise) or ``"concat"`` (arrays, along axis 0, in row
        order), one per element of a returned tuple, or one
        string for a kernel returning a single value.
    """

    _OPS = {
        "sum": lambda a, b: a + b,
        "min": min,
        "max": lambda a, b: a if (a > b or a != a) else b,  # NaN wins
        "minimum": lambda a, b: np.minimum(a, b),  # arrays, elementwise
        "maximum": lambda a, b: np.maximum(a, b),
        "or": lambda a, b: a | b,
        "concat": lambda a, b: np.concatenate((a, b)),
    }

    def __init__(self, args, merge):
        ops = (merge,) if isinstance(merge, str) else tuple(merge)
        unknown = [op for op in ops if op not in self._OPS]
        if unknown or not args:
            raise ValueError(f"Rows needs argument positions and merges among {list(self._OPS)}")
        self.args = tuple(args)
        self.merge = merge

    def run(self, dispatcher, args, threads):
        """Run ``dispatcher`` over ``threads`` row ranges of ``args`` and merge."""
        n = args[self.args[0]].shape[0]
        step = -(-n // threads)
        step = -(-step // ROW_ALIGN) * ROW_ALIGN
        bounds = [(lo, min(lo + step, n)) for lo in range(0, n, step)]
        if len(bounds) <= 1:
            return dispatcher(*args)
        calls = [self._chunk_args(args, lo, hi) for lo, hi in bounds]
        pool = _thread_pool(threads - 1)
        futures = [pool.submit(dispatcher, *chunk) for chunk in calls[1:]]
        parts = [dispatcher(*calls[0])]
        parts += [future.result() for future in futures]
        return self._combine(parts)

    def _chunk_args(self, args, lo, hi):
        chunk = list(args)
        for i in self.args:
            if chunk[i] is not None:
                chunk[i] = chunk[i][lo:hi]
        return chunk

    def _combine(self, parts):
        if isinstance(self.merge, str):
            op = self._OPS[self.merge]
            total = parts[0]
            for part in parts[1:]:
                total = op(total, part)
            return total
        merged = list(parts[0])
        for part in parts[1:]:
            for i, name in enumerate(self.merge):
                merged[i] = self._OPS[name](merged[i], part[i])
        return tuple(merged)


class Absent:
    """Optional array arguments a kernel receives as empty arrays instead of None.

    A ``None`` argument is its own Numba type: a kernel called with and
    without sample weights (or with any combination of requested outputs)
    would be compiled once per combination.  Replaced by an empty array of
    the type the present argument has, every combination runs one compiled
    kernel, which tells "absent" from "present" at run time by the length
    (``_mathfn.weight``, ``store``, ``unweighted``).  (An input of no samples
    makes the two meanings coincide, harmlessly: there is nothing to weigh
    or to write.)

    Parameters
    ----------
    weights : tuple of int
        Positions of sample-weight arguments (float64 when present).
    outputs : tuple of int
        Positions of output arrays, present with the dtype and shape of
        argument ``like``.
    per_sample : tuple of int
        Positions of 1-D outputs (one value per sample, per row of ``like``),
        present with ``like``'s dtype.
    like : int
        Position of the argument whose dtype (and shape) outputs have.
    """

    def __init__(self, weights=(), outputs=(), per_sample=(), like=1):
        self.weights = tuple(weights)
        self.outputs = tuple(outputs)
        self.per_sample = tuple(per_sample)
        self.like = like
        self._positions = self.weights + self.outputs + self.per_sample

    def fill(self, args):
        """``args`` with each absent argument replaced by its empty array."""
        for i in self._positions:
            if args[i] is None:
                break
        else:
            return args
        args = list(args)
        like = args[self.like]
        for i in self.weights:
            if args[i] is None:
                args[i] = _no_weights()
        for i in self.outputs:
            if args[i] is None:
                args[i] = _empty((0, *like.shape[1:]), like.dtype)
        for i in self.per_sample:
            if args[i] is None:
                args[i] = _empty(0, like.dtype)
        return args


def _empty(shape, dtype):
    import numpy as np

    return np.empty(shape, dtype)


_NO_WEIGHTS = []


def _no_weights():
    # One shared empty float64 array.  Writeable, as weights usually are: a
    # read-only array is another Numba type (another compiled kernel); it
    # has no elements to write anyway.
    if not _NO_WEIGHTS:
        import numpy as np

        _NO_WEIGHTS.append(np.empty(0))
    return _NO_WEIGHTS[0]


class LazyKernel(_Lazy):
    """A kernel compiled once (serial, ``nogil``), optionally split across threads."""

    #: False keeps this kernel out of the on-disk cache (set before its first
    #: call): a kernel inlining code from a module a later process may not be
    #: able to import (a doctest's, say) cannot be loaded back.
    cacheable = True

    def __init__(self, func, options, rows, absent=None, marks_float32=None):
        super().__init__(func, options)
        self.rows = rows
        self.absent = absent
        self.marks_float32 = marks_float32
        self.dispatcher = None
        self.ready = False  # set once built *and* its globals rebound

    def _build(self, numba, cache):
        self.dispatcher = numba.njit(nogil=True, no_cfunc_wrapper=True, **self.options)(
            self.py_func
        )
        _enable_cache(self.dispatcher, cache if self.cacheable else None)

    def __call__(self, size, *args):
        """Run the kernel on ``args``; ``size`` (elements) decides whether to split it.

        One split kernel runs at a time: a call made while another thread's
        split kernel runs stays in its own thread instead, which keeps the
        cores from being oversubscribed by thread pools calling fastloss.
        """
        if not self.ready:
            _materialise()
        if self.absent is not None:
            args = self.absent.fill(args)
        if self.marks_float32 is not None:
            args = (*args, float32_marker(args[self.marks_float32]))
        if self.rows is not None and size >= PARALLEL_MIN_SIZE:
            threads = get_num_threads()
            # The lock object itself is released, not the module global: a
            # fork replaces the global in the child (see _after_fork_in_child).
            slot = _parallel_slot
            if threads > 1 and slot.acquire(False):
                try:
                    return self.rows.run(self.dispatcher, args, threads)
                finally:
                    slot.release()
        return self.dispatcher(*args)


_threads = {"count": None, "pool": None, "pool_key": None}


def available_cores() -> int:
    """The number of cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _default_threads() -> int:
    for var in ("FASTLOSS_NUM_THREADS", "NUMBA_NUM_THREADS"):
        value = os.environ.get(var, "").strip()
        if value.isdigit() and int(value) > 0:
            return int(value)
    return available_cores()


def get_num_threads() -> int:
    """Threads a large kernel call is split across.

    The default is ``$FASTLOSS_NUM_THREADS``, else ``$NUMBA_NUM_THREADS``, else
    the number of cores this process may run on.
    """
    count = _threads["count"]
    if count is None:
        count = _threads["count"] = _default_threads()
    return count


def set_num_threads(n: int) -> None:
    """Split large kernel calls across ``n`` threads (1: never split)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"The number of threads must be a positive integer, got {n!r}.")
    _threads["count"] = n


def _thread_pool(workers):
    """The helper threads (created on first use, again after a fork or a resize)."""
    key = (os.getpid(), workers)
    with _lock:
        if _threads["pool_key"] != key:
            from concurrent.futures import ThreadPoolExecutor

            old = _threads["pool"]
            if old is not None and _threads["pool_key"][0] == key[0]:
                old.shutdown(wait=False)
            # A pool inherited through fork has no live threads: replaced, not used.
            _threads["pool"] = ThreadPoolExecutor(workers, thread_name_prefix="fastloss")
            _threads["pool_key"] = key
        return _threads["pool"]


def thread_pool(workers):
    """fastloss's helper threads: a pool of ``workers`` threads (shared with split kernels)."""
    return _thread_pool(workers)


class parallel_slot:
    """``with parallel_slot() as got:``: the one slot for work split across threads.

    ``got`` is False when another split kernel holds it (run serially then):
    one split call at a time keeps the cores from being oversubscribed.
    """

    def __enter__(self):
        self.slot = _parallel_slot
        self.got = self.slot.acquire(False)
        return self.got

    def __exit__(self, *exc):
        if self.got:
            self.slot.release()


def _after_fork_in_child():
    # A fork taken while another thread held these locks would leave them held
    # for good in the child (multiprocessing and joblib fork worker processes).
    # Until fastloss first needs Numba (see _guard_forks), its lock is renewed
    # here rather than held across forks.  The split-call slot is never waited
    # for (a split call can run for seconds): a child forked during one gets a
    # free slot, and a pool of its own (_thread_pool keys it by pid).
    global _lock, _parallel_slot
    _lock = threading.RLock()
    _parallel_slot = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


#: Numba's locks, once fastloss has imported Numba (see _fork_locks).
_numba_locks: list = []
#: Locks held across the fork in progress, in the order they were taken.
_fork_held: list = []
_fork_guarded = False


def _numba_fork_locks():
    from numba.core.compiler_lock import global_compiler_lock

    locks = [global_compiler_lock]
    try:
        from llvmlite.binding import ffi

        # A context manager around a re-entrant lock, taken for every LLVM
        # call (LLVM objects freed by the garbage collector too, in any thread).
        locks.append(_EnterExit(ffi.lib._lock))
    except (ImportError, AttributeError):  # pragma: no cover - other llvmlite layouts
        pass
    return locks


def _fork_locks():
    """Locks a fork must not split, outermost first: the one order used everywhere.

    fastloss's ``_lock`` (held while Numba is imported and dispatchers are
    built) comes before Numba's compiler lock (held for a whole compile or
    cache load), which comes before llvmlite's lock, which comes before
    ``_cache._lock`` (taken inside compiles for the damaged-entry warning).
    No code takes two of them in another order.
    """
    return [_lock, *_numba_locks, _cache._lock]


def _fork_before():
    held = []
    try:
        for lock in _fork_locks():
            lock.acquire()
            held.append(lock)
    finally:
        # Whatever was taken is released after the fork, even if a lock failed
        # (an exception in a fork handler is printed, and the fork goes on).
        _fork_held[:] = held


def _fork_after():
    held = _fork_held[:]
    _fork_held.clear()
    for lock in reversed(held):
        lock.release()


def _guard_forks():
    """From now on, hold fastloss's and Numba's locks across every fork of this process.

    A thread forking while another thread imports Numba or compiles would give
    the child a lock held by a thread that does not exist there (and an LLVM
    caught mid-compile): the child blocked for good in its first import or
    compile.  Instead the fork waits for the import or compile in progress
    (one kernel: at most a few seconds), with every lock taken in the order of
    :func:`_fork_locks`; all are released in parent and child alike.  Each is
    re-entrant, so a thread that forks while holding one does not wait for itself.

    Registered just before fastloss first imports Numba (``import fastloss``
    must not), after importing ``logging``: fork handlers registered later run
    their ``before`` part first, so logging's lock is taken after ours, the
    order an import or compile takes them in (Numba logs from both).
    """
    global _fork_guarded
    if _fork_guarded or not hasattr(os, "register_at_fork"):
        return
    import logging  # noqa: F401  (for its fork handler's place, see above)

    os.register_at_fork(before=_fork_before, after_in_parent=_fork_after, after_in_child=_fork_after)
    _fork_guarded = True


class _EnterExit:
    """acquire()/release() for a lock that only has __enter__/__exit__."""

    def __init__(self, lock):
        self.lock = lock

    def acquire(self):
        self.lock.__enter__()

    def release(self):
        self.lock.__exit__(None, None, None)


class SerialRef:
    """A kernel called from inside another kernel (in that kernel's thread).

    Module globals holding a ``SerialRef`` are rebound to the Numba
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
    """Reference to ``kernel_pair``'s Numba kernel, for use inside kernels."""
    return SerialRef(kernel_pair)


class KernelTemplate:
    """A kernel whose helper functions are bound later, once per loss.

    ``template.specialise(suffix, elem=helper)`` clones the function with the
    global ``elem`` rebound, giving a separate kernel (and a separate on-disk
    cache entry, named after a digest of the bound helpers' code).
    """

    def __init__(self, func, options, rows, absent=None, marks_float32=None):
        self.py_func = func
        self.options = options
        self.rows = rows
        self.absent = absent
        self.marks_float32 = marks_float32

    def specialise(self, suffix: str, **bindings) -> LazyKernel:
        import zlib  # hashlib costs import fastloss 8 ms; this needs no cryptography

        func = self.py_func
        namespace = dict(func.__globals__)
        namespace.update(bindings)
        digest = 0
        for name in sorted(bindings):
            value = bindings[name]
            code = getattr(getattr(value, "py_func", value), "__code__", None)
            # The qualname too: clones of one template share its code, and
            # differ (in what they inline) by the digest in their qualname.
            qualname = getattr(getattr(value, "py_func", value), "__qualname__", "")
            blob = repr(value) if code is None else code.co_code + repr(code.co_consts).encode()
            blob = (blob.encode() if isinstance(blob, str) else blob) + qualname.encode()
            digest = zlib.crc32(name.encode() + blob, digest)
        clone = types.FunctionType(
            func.__code__, namespace, f"{func.__name__}_{suffix}", func.__defaults__
        )
        clone.__qualname__ = f"{func.__qualname__}_{suffix}_{digest:08x}"
        clone.__module__ = func.__module__
        clone.__doc__ = func.__doc__
        return LazyKernel(clone, self.options, self.rows, self.absent, self.marks_float32)


def jit(
    rows: Rows | None = None,
    absent: Absent | None = None,
    helper: bool = False,
    template: bool = False,
    marks_float32: int | None = None,
    fastmath=FASTMATH,
    **options,
):
    """Mark a plain function as a lazily compiled Numba kernel or helper.

    Parameters
    ----------
    rows : Rows, optional
        Split calls on large inputs across threads by rows (see :class:`Rows`).
    absent : Absent, optional
        Optional array arguments passed to the compiled kernel as empty
        arrays rather than None (see :class:`Absent`).
    helper : bool
        The function is a scalar helper called only from other kernels.
    template : bool
        Return a :class:`KernelTemplate` to be specialised per loss.
    marks_float32 : int, optional
        Pass the kernel a last argument ``single``: True when its argument
        at this position is float32, else None (see the module docstring).
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
            return KernelTemplate(func, opts, rows, absent, marks_float32)
        return LazyKernel(func, opts, rows, absent, marks_float32)

    return decorate


def float32_marker(array):
    """A marked kernel's ``single`` for ``array``: True when it is float32, else None."""
    return True if getattr(array, "dtype", None) == np.float32 else None


def _materialise():
    """Build dispatchers for every pending lazy object and rebind module globals.

    Runs on the first kernel call, and again whenever a module imported since
    then has added lazy objects.
    """
    with _lock:
        if not _pending:
            return
        numba_available()  # imports Numba the fork-safe way (raises below if it cannot)
        import numba

        cache = _cache.usable()
        if cache:
            _cache.install_locator(numba)
            cache = _cache.cache_class(numba)
        else:
            cache = None
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
            if kernel.dispatcher is None:  # pragma: no cover - built above
                raise RuntimeError(f"kernel {name} was not built")
            namespace[name] = kernel.dispatcher
