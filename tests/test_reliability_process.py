"""Process-level reliability: forks at any moment, and a damaged kernel cache.

Every scenario runs in fresh interpreters (subprocesses with a timeout), so a
hang fails the test instead of stalling the run, and each starts from a cache
directory of its own.
"""

import json
import os
import shutil
import subprocess
import sys
import textwrap

import pytest


def _run(code, cache, timeout=600):
    env = {**os.environ, "FASTLOSS_CACHE_DIR": str(cache), "FASTLOSS_BACKEND": "numba"}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=timeout)


# A warmup thread starts compiling on an empty cache; meanwhile the main thread
# forks pools of workers at several moments (at once, while Numba is being
# imported, in the middle of compiles, after it ends).  Each worker computes
# metrics on the Numba backend, in both dtypes.
FORK = textwrap.dedent(
    """
    import multiprocessing, threading, time
    import numpy as np
    import fastloss

    def child(seed):
        rng = np.random.default_rng(seed)
        out = []
        for dtype in (np.float32, np.float64):
            y, p = rng.normal(size=200).astype(dtype), rng.normal(size=200).astype(dtype)
            got = fastloss.mean_squared_error(y, p)
            want = np.mean((y.astype(float) - p.astype(float)) ** 2)
            out.append(abs(got - want) <= 1e-12 * want)
        return all(out)

    ctx = multiprocessing.get_context("fork")
    warm = threading.Thread(target=lambda: fastloss.warmup(dtypes=("float32",)))
    warm.start()
    done = 0
    for delay in (0.0, 0.0, 0.02, 0.2, 0.5, 1.0, 2.0):
        time.sleep(delay)
        with ctx.Pool(2) as pool:
            assert all(pool.map(child, range(done, done + 2), chunksize=1))
        done += 2
    warm.join()
    # The parent still works too.
    assert fastloss.mean_squared_error([1.0, 2.0], [1.0, 4.0]) == 2.0
    print("ok", done)
    """
)


# About a minute (a cold warmup in a thread, seven fork pools): in the slow
# set (`python -m pytest -m slow`), which CI runs.
@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_fork_while_another_thread_compiles_leaves_working_children(tmp_path):
    # Without the fork handlers a child inherits Numba's compiler lock held by
    # the (vanished) warmup thread and blocks in its first compile: timeout.
    try:
        result = _run(FORK, tmp_path / "cache", timeout=400)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"a forked child hung: {exc}")
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == ["ok", "14"]


# Computes a few metrics (several kernels, both dtypes for one of them) and
# reports the results, every warning raised, and cache hits and misses of the
# squared-error kernel.
METRICS = textwrap.dedent(
    """
    import json, warnings
    import numpy as np
    warnings.simplefilter("always")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        import fastloss
        from fastloss._losses import squared_error
        rng = np.random.default_rng(0)
        y, p = rng.normal(size=300), rng.normal(size=300)
        yb, pb = rng.integers(0, 2, size=300), rng.uniform(0.05, 0.95, size=300)
        results = [
            fastloss.mean_squared_error(y, p),
            fastloss.mean_squared_error(y.astype(np.float32), p.astype(np.float32)),
            fastloss.mean_absolute_error(y, p),
            fastloss.log_loss(yb, pb),
        ]
    stats = squared_error.KERNELS.metric_sums.numba.dispatcher.stats
    print(json.dumps({
        "results": [float(r) for r in results],
        "warnings": [f"{w.category.__name__}: {w.message}" for w in caught],
        "hits": sum(stats.cache_hits.values()),
        "misses": sum(stats.cache_misses.values()),
    }))
    """
)


def _metrics(cache):
    result = _run(METRICS, cache)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def warm_cache(tmp_path_factory):
    cache = tmp_path_factory.mktemp("warm") / "cache"
    first = _metrics(cache)
    assert first["warnings"] == [] and first["misses"] == 2
    return cache, first["results"]


def _files(cache, suffix):
    return sorted(os.path.join(root, name) for root, _, names in os.walk(cache)
                  for name in names if name.endswith(suffix))


def _damage(path, kind):
    with open(path, "rb") as f:
        data = f.read()
    if kind == "empty":  # e.g. a power loss after a rename whose data never hit the disk
        data = b""
    elif kind == "garbage":
        data = b"\x00not a pickle\xff" * 64
    elif kind == "truncated":
        data = data[: len(data) // 2]
    with open(path, "wb") as f:
        f.write(data)


@pytest.mark.parametrize("scope", ["one", "all"])
@pytest.mark.parametrize("suffix,kind", [
    (".nbi", "empty"), (".nbi", "garbage"), (".nbc", "truncated"), (".nbc", "garbage"),
])
def test_a_damaged_cache_entry_is_recompiled_and_rewritten(warm_cache, tmp_path, suffix, kind, scope):
    source, expected = warm_cache
    cache = tmp_path / "cache"
    shutil.copytree(source, cache)
    files = _files(cache, suffix)
    if scope == "one":
        files = [f for f in files if "_metric_sums_squared_error" in os.path.basename(f)][:1]
    assert files
    for path in files:
        _damage(path, kind)

    second = _metrics(cache)
    assert second["results"] == expected
    assert len(second["warnings"]) == 1, second["warnings"]
    assert "could not load a cached kernel" in second["warnings"][0]
    assert second["misses"] >= 1  # the damaged squared-error entry was compiled again

    # That compile rewrote the entry: a third process loads it, silently.
    third = _metrics(cache)
    assert third["results"] == expected
    assert third["warnings"] == []
    assert (third["hits"], third["misses"]) == (2, 0)


def test_files_left_by_an_interrupted_write_are_harmless(warm_cache, tmp_path):
    # Entries are written to a temporary name and renamed over the real one,
    # so an interrupted write leaves only a stray temporary file behind.
    source, expected = warm_cache
    cache = tmp_path / "cache"
    shutil.copytree(source, cache)
    for path in _files(cache, ".nbi") + _files(cache, ".nbc"):
        with open(path + ".tmp.0123456789abcdef", "wb") as f:
            f.write(b"\x80\x04half a pick")
    again = _metrics(cache)
    assert again["results"] == expected
    assert again["warnings"] == []
    assert (again["hits"], again["misses"]) == (2, 0)
