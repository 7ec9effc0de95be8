"""Where compiled kernels are cached on disk.

fastloss keeps Numba's cache of its kernels in one directory of its own:
``$FASTLOSS_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/fastloss`` (by default
``~/.cache/fastloss``).  Entries are stamped with a fingerprint of the whole
package's source, not of one file as Numba does by default: a kernel inlines
helpers from other modules, so any change to fastloss must invalidate it.

If the directory cannot be written, kernels are compiled in memory for this
process and one warning says so.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
import warnings

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
_lock = threading.Lock()
_state: dict = {}


def cache_dir() -> str:
    """The directory fastloss caches compiled kernels in."""
    configured = os.environ.get("FASTLOSS_CACHE_DIR")
    if configured:
        return os.path.abspath(os.path.expanduser(configured))
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "fastloss")


def fingerprint() -> str:
    """SHA-256 of every source file of the package (computed once)."""
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
