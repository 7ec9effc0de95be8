"""Large calls split across threads: same results for any thread count, and the setting."""

import os
import subprocess
import sys

import numpy as np
import pytest
from sklearn import metrics as skm

import fastloss
from fastloss import _jit
from fastloss.losses import LOSSES
from registry_cases import make_case


def _calls(rng, n):
    y, p, w = rng.normal(size=n), rng.normal(size=n), rng.uniform(size=n)
    yb, pb = rng.integers(0, 2, size=n), rng.uniform(size=n)
    calls = {
        "mse": lambda: fastloss.mean_squared_error(y, p, sample_weight=w),
        "mae": lambda: fastloss.mean_absolute_error(y, p),
        "log_loss": lambda: fastloss.log_loss(yb, pb, sample_weight=w),
        "sklearn_mse": lambda: skm.mean_squared_error(y, p, sample_weight=w),
    }
    # Every registered loss: (n, k) losses on n // 3 rows, weighted.
    for name, cls in LOSSES.items():
        loss = cls()
        if cls._raw_ndim == 2:
            ty, raw = make_case(cls, loss, n // 3, rng)
            calls[name] = lambda loss=loss, ty=ty, raw=raw: loss.loss_gradient(ty, raw, sample_weight=w[: n // 3])
        else:
            ty, raw = make_case(cls, loss, n, rng)
            calls[name] = lambda loss=loss, ty=ty, raw=raw: loss.loss_gradient(ty, raw)
    return calls


@pytest.mark.parametrize("threads", [2, 3, 7])
def test_any_thread_count_gives_the_one_thread_result(restore_threads, threads):
    rng = np.random.default_rng(threads)
    n = 3 * 4096 * 11 + 5  # above the split threshold, ragged last block
    assert n >= _jit.PARALLEL_MIN_SIZE
    calls = _calls(rng, n)
    fastloss.set_num_threads(1)
    serial = {name: call() for name, call in calls.items()}
    fastloss.set_num_threads(threads)
    for name, call in calls.items():
        got = call()
        if isinstance(got, tuple):
            np.testing.assert_allclose(got[0], serial[name][0], rtol=1e-13)
            if LOSSES[name]._raw_ndim == 2:
                # Each chunk of rows shares one shift before the exponentials,
                # and a split moves chunk edges: equal to rounding.
                np.testing.assert_allclose(got[1], serial[name][1], rtol=1e-13, atol=1e-300)
            else:  # per element: the split changes no bit of them
                np.testing.assert_array_equal(got[1], serial[name][1])
        else:
            np.testing.assert_allclose(got, serial[name], rtol=1e-13)
    np.testing.assert_allclose(serial["mse"], serial["sklearn_mse"], rtol=1e-12)


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", True, None])
def test_set_num_threads_rejects_non_positive_integers(bad):
    with pytest.raises(ValueError, match="positive integer"):
        fastloss.set_num_threads(bad)


def test_thread_count_from_environment():
    code = "import fastloss; print(fastloss.get_num_threads())"
    env = {k: v for k, v in os.environ.items() if k not in ("FASTLOSS_NUM_THREADS", "NUMBA_NUM_THREADS")}
    for extra, expected in (
        ({"FASTLOSS_NUM_THREADS": "3"}, "3"),
        ({"NUMBA_NUM_THREADS": "5"}, "5"),
        ({"FASTLOSS_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "5"}, "1"),
        ({}, str(len(os.sched_getaffinity(0)))),
    ):
        out = subprocess.run([sys.executable, "-c", code], env={**env, **extra},
                             capture_output=True, text=True, check=True).stdout
        assert out.strip() == expected, extra


def _recording_run(seen):
    """``Rows.run`` that adds the id of every thread running a part to ``seen``."""
    import threading

    real = _jit.Rows.run

    def run(self, dispatcher, args, threads):
        def record(*chunk):
            seen.add(threading.get_ident())
            return dispatcher(*chunk)

        return real(self, record, args, threads)

    return run


def test_split_calls_run_on_helper_threads(restore_threads, monkeypatch):
    """With 2 threads a large call really runs part of its rows on another thread."""
    seen = set()
    monkeypatch.setattr(_jit.Rows, "run", _recording_run(seen))
    fastloss.set_num_threads(2)
    # A split call still running in another thread (an earlier test's
    # abandoned background work) holds the one slot, and this call would
    # then run serially: wait for the slot first (held for good: a leak).
    assert _jit._parallel_slot.acquire(timeout=60), "the split-call slot is held for good"
    _jit._parallel_slot.release()
    y = np.linspace(0, 1, 200_000)
    assert fastloss.mean_squared_error(y, y + 1) == pytest.approx(1.0)
    assert len(seen) == 2
    fastloss.set_num_threads(1)
    seen.clear()
    fastloss.mean_squared_error(y, y + 1)
    assert not seen  # one thread: not split at all


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_split_calls_work_in_a_forked_child_even_if_forked_mid_call(restore_threads):
    """A child forked while a split call runs in another thread can still split its own calls."""
    import multiprocessing
    import threading

    fastloss.set_num_threads(2)
    y = np.linspace(0, 1, 2_000_000)
    expected = fastloss.mean_squared_error(y, y + 0.5)
    stop = threading.Event()

    def busy():
        while not stop.is_set():
            fastloss.mean_squared_error(y, y + 0.5)

    thread = threading.Thread(target=busy)
    thread.start()
    try:
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(2) as pool:
            results = pool.starmap(_child_mse, [(y, 0.5)] * 4, chunksize=1)
    finally:
        stop.set()
        thread.join()
    for value, split in results:
        assert value == pytest.approx(expected, rel=1e-13)
        assert split  # the child's own call was split across its threads


def _child_mse(y, shift):
    seen = set()
    real = _jit.Rows.run
    _jit.Rows.run = _recording_run(seen)
    try:
        return fastloss.mean_squared_error(y, y + shift), len(seen) == 2
    finally:
        _jit.Rows.run = real
