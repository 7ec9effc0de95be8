"""Threads and processes: same results as serial calls, no crash, any cache state.

Each scenario runs in a subprocess, so a crash or an abort fails the test
instead of killing the test run.  fastloss splits large calls across threads
of its own over ``nogil`` kernels, so Numba's threading layer (``workqueue``
aborts the process on concurrent parallel launches) is never started.
"""

import os
import subprocess
import sys
import textwrap

import pytest

CALLS = textwrap.dedent(
    """
    import numpy as np
    import fastloss

    def make_calls(n, seed):
        rng = np.random.default_rng(seed)
        y, p = rng.normal(size=n), rng.normal(size=n)
        w = rng.uniform(size=n)
        yb, pb = rng.integers(0, 2, size=n), rng.uniform(size=n)
        y3 = rng.integers(0, 4, size=n)
        p3 = rng.dirichlet(np.ones(4), size=n)
        logits = rng.normal(size=(n, 4))
        return [
            lambda: fastloss.mean_squared_error(y, p, sample_weight=w),
            lambda: fastloss.root_mean_squared_error(y, p),
            lambda: fastloss.mean_absolute_error(y, p),
            lambda: fastloss.log_loss(yb, pb, sample_weight=w),
            lambda: fastloss.log_loss(y3, p3),
            lambda: fastloss.MeanSquaredError().loss_gradient(y, p),
            lambda: fastloss.MeanAbsoluteError().loss(y, p, sample_weight=w),
            lambda: fastloss.BinaryCrossEntropy().loss_gradient(yb, p),
            lambda: fastloss.BinaryCrossEntropy().gradient(yb, p, sample_weight=w),
            lambda: fastloss.CrossEntropy().loss_gradient(y3, logits),
            lambda: fastloss.CrossEntropy().loss(y3, logits, sample_weight=w),
        ]

    def flatten(result):
        if isinstance(result, tuple):
            return np.concatenate([np.ravel(np.asarray(r, dtype=float)) for r in result])
        return np.ravel(np.asarray(result, dtype=float))
    """
)

THREADS = CALLS + textwrap.dedent(
    """
    import threading
    # Sizes on both sides of the parallel threshold.
    calls = make_calls(60_000, 0) + make_calls(500, 1)
    expected = [flatten(c()) for c in calls]
    errors = []

    def worker(t):
        try:
            for i in range(100):
                j = (i + t) % len(calls)
                got = flatten(calls[j]())
                if not np.allclose(got, expected[j], rtol=1e-12, atol=0):
                    errors.append((t, i, j))
        except Exception as exc:  # reported below
            errors.append(repr(exc))

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:5]
    import numba
    try:
        layer = numba.threading_layer()
    except ValueError:  # no Numba parallel region ever ran
        layer = "none"
    print("ok", layer)
    """
)


def run(code, env=None, timeout=900):
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=full_env,
        timeout=timeout,
    )


@pytest.mark.slow
@pytest.mark.parametrize("layer", [None, "workqueue", "omp"])
def test_eight_threads_match_serial(layer):
    env = {"NUMBA_THREADING_LAYER": layer} if layer else {}
    result = run(THREADS, env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == ["ok", "none"]


PROCESS = CALLS + textwrap.dedent(
    """
    import sys
    from sklearn.metrics import mean_squared_error, log_loss
    rng = np.random.default_rng(7)
    y, p = rng.normal(size=80_000), rng.normal(size=80_000)
    assert abs(fastloss.mean_squared_error(y, p) - mean_squared_error(y, p)) < 1e-12
    yb, pb = rng.integers(0, 2, 80_000), rng.uniform(size=80_000)
    assert abs(fastloss.log_loss(yb, pb) - log_loss(yb, pb)) < 1e-12
    for c in make_calls(100, 3):
        assert np.isfinite(flatten(c())).all()
    print("ok")
    """
)


@pytest.mark.slow
def test_four_processes_on_an_empty_cache(tmp_path):
    env = {**os.environ, "FASTLOSS_CACHE_DIR": str(tmp_path / "cache")}
    procs = [
        subprocess.Popen([sys.executable, "-c", PROCESS], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=env)
        for _ in range(4)
    ]
    outputs = [proc.communicate(timeout=900) for proc in procs]
    for proc, (out, err) in zip(procs, outputs):
        assert proc.returncode == 0, err[-3000:]
        assert out.strip() == "ok"
    assert any(name.endswith(".nbi") for _, _, files in os.walk(tmp_path / "cache")
               for name in files)
    # A fifth process loads what they wrote.
    again = run(PROCESS + "\nfrom fastloss._losses import squared_error\n"
                "k = squared_error.KERNELS.metric_sums.numba.dispatcher\n"
                "print(sum(k.stats.cache_hits.values()))",
                {"FASTLOSS_CACHE_DIR": str(tmp_path / "cache")})
    assert again.returncode == 0, again.stderr[-3000:]
    assert int(again.stdout.split()[-1]) >= 1


def test_unwritable_cache_still_works_with_one_warning(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    code = (
        "import warnings\nwarnings.simplefilter('always')\n" + PROCESS
    )
    result = run(code, {"FASTLOSS_CACHE_DIR": str(blocker / "cache")})
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith("ok")
    assert result.stderr.count("cannot write its kernel cache") == 1
    assert not (blocker.parent / "cache").exists()


def test_cache_lives_in_fastloss_cache_dir(tmp_path):
    code = (
        "import numpy as np, fastloss, os\n"
        "from fastloss import _cache\n"
        "fastloss.mean_squared_error(np.ones(10), np.zeros(10))\n"
        "print(_cache.cache_dir())\n"
    )
    result = run(code, {"FASTLOSS_CACHE_DIR": str(tmp_path / "kc")})
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == str(tmp_path / "kc")
    names = [n for _, _, files in os.walk(tmp_path / "kc") for n in files]
    assert any(n.startswith("_pointwise._metric_sums_squared_error") for n in names), names
