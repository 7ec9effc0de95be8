"""Where compiled kernels are cached on disk.

fastloss keeps Numba's cache of its kernels in one directory of its own:
``$FASTLOSS_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/fastloss`` (by default
``~/.cache/fastloss``).  Entries are stamped with a fingerprint of the whole
package's source, not of one file as Numba does by default: a kernel inlines
helpers from other modules, so any change to fastloss must invalidate it.

If the directory cannot be written, kernels are compiled in memory for this
process and one warning says so.

A damaged entry (an empty, truncated or garbage index or data file, whatever
left it so) counts as a cache miss: the kernel is compiled again and the entry
rewritten, with one warning per process.  Entries are written to a temporary
file, flushed to disk, then renamed over the old one, so a crash or a power
loss mid-write leaves the old entry or the new one, never a mix.
"""

from __future__ import annotations

import contextlib
import os
import threading
import warnings

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
# Re-entrant: fastloss holds it across forks once Numba is loaded (see
# _jit._fork_guard), and a thread forking while it holds it must not wait for itself.
_lock = threading.RLock()
_state: dict = {}


def _after_fork_in_child():
    # A fork before Numba is loaded (warmup's usable() in another thread) is
    # not guarded: a lock held by a thread that does not exist in the child is
    # renewed.  What it protects is only ever set once computed in full.
    global _lock
    _lock = threading.RLock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def cache_dir() -> str:
    """The directory fastloss caches compiled kernels in."""
    configured = os.environ.get("FASTLOSS_CACHE_DIR")
    if configured:
        return os.path.abspath(os.path.expanduser(configured))
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "fastloss")


def fingerprint() -> str:
    """SHA-256 of every source file of the package (computed once)."""
    import hashlib  # not at import: fastloss._jit imports this module, and hashlib costs 8 ms

    with _lock:
        if "fingerprint" not in _state:
            digest = hashlib.sha256()
            for root, dirs, files in os.walk(_PACKAGE_DIR):
                dirs[:] = sorted(d for d in dirs if d != "__pycache__")
                for name in sorted(files):
                    if name.endswith(".py"):
                        path = os.path.join(root, name)
                        digest.update(os.path.relpath(path, _PACKAGE_DIR).encode())
                        with open(path, "rb") as f:
                            digest.update(f.read())
            _state["fingerprint"] = digest.hexdigest()
        return _state["fingerprint"]


def usable() -> bool:
    """Whether kernels can be cached on disk; warns once when they cannot."""
    with _lock:
        if "usable" not in _state:
            path = cache_dir()
            try:
                os.makedirs(path, exist_ok=True)
                import tempfile  # here: it costs `import fastloss` 4 ms

                tempfile.TemporaryFile(dir=path).close()
                _state["usable"] = True
            except OSError as exc:
                _state["usable"] = False
                warnings.warn(
                    f"fastloss cannot write its kernel cache in {path!r} ({exc.strerror}); "
                    "kernels are compiled in memory for this process. Set "
                    "FASTLOSS_CACHE_DIR to a writable directory to keep them.",
                    RuntimeWarning,
                    stacklevel=4,
                )
        return _state["usable"]


def install_locator(numba) -> None:
    """Put fastloss's locator first in Numba's list (it declines other files)."""
    from numba.core import caching

    with _lock:
        if _state.get("locator"):
            return

        class FastlossCacheLocator(caching._CacheLocator):
            def __init__(self, py_func, py_file):
                self._py_file = py_file
                self._lineno = py_func.__code__.co_firstlineno
                relative = os.path.relpath(os.path.dirname(py_file), _PACKAGE_DIR)
                self._cache_path = os.path.normpath(os.path.join(cache_dir(), relative))

            def get_cache_path(self):
                return self._cache_path

            def get_source_stamp(self):
                return fingerprint()

            def get_disambiguator(self):
                return str(self._lineno)

            @classmethod
            def from_function(cls, py_func, py_file):
                path = os.path.abspath(py_file)
                if os.path.commonpath([path, _PACKAGE_DIR]) != _PACKAGE_DIR:
                    return None
                self = cls(py_func, path)
                try:
                    self.ensure_cache_path()
                except OSError:
                    return None
                return self

        # CacheImpl in current Numba, _CacheImpl in older releases.
        impl = getattr(caching, "CacheImpl", None) or caching._CacheImpl
        impl._locator_classes.insert(0, FastlossCacheLocator)
        _state["locator"] = FastlossCacheLocator


def _report_damage(path, exc) -> None:
    """Warn, once per process, that a cache entry could not be loaded."""
    with _lock:
        if _state.get("damage_reported"):
            return
        _state["damage_reported"] = True
    warnings.warn(
        f"fastloss could not load a cached kernel from {path!r} ({type(exc).__name__}: {exc}); "
        "it is compiled again and its cache entry rewritten (any other damaged entries "
        "are too, without more warnings).",
        RuntimeWarning,
        stacklevel=2,
    )


def cache_class(numba):
    """Numba's ``FunctionCache``, made to treat damaged entries as misses (built once)."""
    from numba.core import caching

    with _lock:
        if "cache_class" in _state:
            return _state["cache_class"]

        class FastlossCacheFile(caching.IndexDataCacheFile):
            """Index and data files whose damage reads as a miss; durable writes."""

            def _load_index(self):
                # Also read by save(): a damaged index is then replaced by one
                # holding just the new entry (the others compile again).
                try:
                    return super()._load_index()
                except Exception as exc:  # EOFError, UnpicklingError, ValueError, ...
                    _report_damage(self._index_path, exc)
                    return {}

            def _load_data(self, name):
                try:
                    return super()._load_data(name)
                except OSError:
                    raise  # a missing file: Numba's own miss
                except Exception as exc:
                    _report_damage(self._data_path(name), exc)
                    return None  # load() returns it: a miss, and save() rewrites the file

            @contextlib.contextmanager
            def _open_for_write(self, filepath):
                # Numba writes a temporary file and renames it over the entry;
                # without a flush to disk first, a power loss can leave the
                # renamed file empty or partly written.
                with super()._open_for_write(filepath) as f:
                    yield f
                    f.flush()
                    os.fsync(f.fileno())

        class FastlossFunctionCache(caching.FunctionCache):
            def __init__(self, py_func):
                super().__init__(py_func)
                self._cache_file = FastlossCacheFile(
                    cache_path=self._cache_path,
                    filename_base=self._impl.filename_base,
                    source_stamp=self._impl.locator.get_source_stamp(),
                )

            def _load_overload(self, sig, target_context):
                # Files that unpickle but cannot be rebuilt into a function.
                try:
                    return super()._load_overload(sig, target_context)
                except Exception as exc:
                    _report_damage(self._cache_path, exc)
                    return None

        _state["cache_class"] = FastlossFunctionCache
        return FastlossFunctionCache
