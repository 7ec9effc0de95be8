"""fastloss against scikit-learn at N = 10,000,000, as time ratios measured in one run.

Run:  python bench/core_ratios.py [--n N] [--repeat R]

Prints one table (best-of-R wall time of each side, and the ratio) and the
peak extra memory of one metric call measured with tracemalloc.
"""

from __future__ import annotations

import argparse
import os
import time
import tracemalloc

import numpy as np


def best_times(funcs, repeat):
    """Best wall time of each function, calling them in turn ``repeat`` times.

    Interleaving puts every side under the same machine conditions (a shared
    VM's noise moves all of them alike), so the ratios are comparable.
    """
    for func in funcs:
        func()  # warm-up: compilation, page faults of first allocations
    best = [float("inf")] * len(funcs)
    for _ in range(repeat):
        for i, func in enumerate(funcs):
            start = time.perf_counter()
            func()
            best[i] = min(best[i], time.perf_counter() - start)
    return best


def round_times(funcs, repeat, settle=0.02):
    """Wall times of each function in each of ``repeat`` rounds: a (repeat, k) array.

    Every round calls the functions one after the other, so a ratio of two
    sides taken within a round compares them under the same machine
    conditions; the median of those per-round ratios is steadier than the
    ratio of two best times, which may come from different moments of a
    drifting machine.  After each call the process sleeps ``settle``
    seconds, untimed: an OpenMP peer's (scikit-learn's) worker threads spin
    on both cores for a while after its call returns, and took a third of
    the next side's speed.
    """
    for func in funcs:
        func()  # warm-up: compilation, page faults of first allocations
    times = np.empty((repeat, len(funcs)))
    for r in range(repeat):
        for i, func in enumerate(funcs):
            start = time.perf_counter()
            func()
            times[r, i] = time.perf_counter() - start
            time.sleep(settle)
    return times


def peak_extra_bytes(func):
    func()
    tracemalloc.start()
    tracemalloc.reset_peak()
    func()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000_000)
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the k=10 logits")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)

    import sklearn
    import sklearn.metrics as skm
    from sklearn._loss.loss import HalfMultinomialLoss, HalfSquaredError

    import fastloss
    from fastloss import _floor

    threads = os.cpu_count()
    rng = np.random.default_rng(0)
    n = args.n
    y = rng.normal(size=n)
    p = y + rng.normal(size=n)
    yb = rng.integers(0, 2, size=n)
    pb = rng.uniform(size=n)
    rows, k = args.rows, 10
    logits = rng.normal(size=(rows, k))
    labels = rng.integers(0, k, size=rows).astype(np.float64)

    mse, ce = fastloss.MeanSquaredError(), fastloss.CrossEntropy()
    half_sq, half_mn = HalfSquaredError(), HalfMultinomialLoss(n_classes=k)
    # Preallocated outputs, as a training loop reuses them (both sides).
    g_sq, sk_g_sq, sk_l_sq = np.empty(n), np.empty(n), np.empty(n)
    g_mn, sk_g_mn, sk_l_mn = np.empty((rows, k)), np.empty((rows, k)), np.empty(rows)
    floor_out = np.empty(n)
    flat_logits, flat_out = logits.reshape(-1), np.empty(rows * k)
    read2 = lambda: _floor.read_floor(n, y, p)  # noqa: E731
    read2_write1 = lambda: _floor.read_write_floor(n, y, p, floor_out)  # noqa: E731
    read1_write1 = lambda: _floor.read_write_floor(  # noqa: E731
        rows * k, flat_logits, flat_logits, flat_out)
    # Floors of the calls that return a new gradient write a new array too
    # (its pages, zeroed by the OS on first touch, are part of the cost).
    read2_write1_new = lambda: _floor.read_write_floor(n, y, p, np.empty(n))  # noqa: E731
    read1_write1_new = lambda: _floor.read_write_floor(  # noqa: E731
        rows * k, flat_logits, flat_logits, np.empty(rows * k))
    cases = [
        ("mean_squared_error", f"{n:,}", 10, read2,
         lambda: fastloss.mean_squared_error(y, p), lambda: skm.mean_squared_error(y, p)),
        ("mean_absolute_error", f"{n:,}", 10, read2,
         lambda: fastloss.mean_absolute_error(y, p), lambda: skm.mean_absolute_error(y, p)),
        ("log_loss (binary)", f"{n:,}", 50, read2,
         lambda: fastloss.log_loss(yb, pb), lambda: skm.log_loss(yb, pb)),
        ("MeanSquaredError.loss_gradient", f"{n:,}", 2, read2_write1_new,
         lambda: mse.loss_gradient(y, p),
         lambda: half_sq.loss_gradient(y, p, n_threads=threads)),
        ("CrossEntropy.loss_gradient", f"{rows:,} x {k}", 3, read1_write1_new,
         lambda: ce.loss_gradient(labels, logits),
         lambda: half_mn.loss_gradient(labels, logits, n_threads=threads)),
        ("  same, outputs preallocated", f"{n:,}", 2, read2_write1,
         lambda: mse.loss_gradient(y, p, gradient_out=g_sq),
         lambda: half_sq.loss_gradient(
             y, p, loss_out=sk_l_sq, gradient_out=sk_g_sq, n_threads=threads)),
        ("  same, outputs preallocated", f"{rows:,} x {k}", 3, read1_write1,
         lambda: ce.loss_gradient(labels, logits, gradient_out=g_mn),
         lambda: half_mn.loss_gradient(
             labels, logits, loss_out=sk_l_mn, gradient_out=sk_g_mn, n_threads=threads)),
    ]
    print(f"fastloss {fastloss.__version__} ({fastloss.get_backend()}), scikit-learn "
          f"{sklearn.__version__}, numpy {np.__version__}, {threads} cores; best of {args.repeat}")
    print("loss_gradient rows: scikit-learn returns per-sample losses, fastloss their mean.")
    print("floor = a trivial parallel pass over the same bytes; 'of floor' = floor / fastloss.")
    print(f"{'workload':32} {'size':>16} {'fastloss ms':>12} {'sklearn ms':>11} "
          f"{'floor ms':>9} {'speed-up':>9} {'target':>7} {'of floor':>9}")
    failures = 0
    for name, size, target, floor, ours, theirs in cases:
        repeat = max(2, args.repeat // 2) if "log_loss" in name else args.repeat
        t_ours, t_theirs, t_floor = best_times([ours, theirs, floor], repeat)
        ratio = t_theirs / t_ours
        ok = ratio >= target
        failures += not ok
        print(f"{name:32} {size:>16} {t_ours * 1e3:12.2f} {t_theirs * 1e3:11.2f} "
              f"{t_floor * 1e3:9.2f} {ratio:8.1f}x {'>=' + str(target) + 'x':>7} "
              f"{t_floor / t_ours:9.2f}{'' if ok else '  MISSED'}")
    for name, func in [
        ("mean_squared_error", lambda: fastloss.mean_squared_error(y, p)),
        ("mean_absolute_error", lambda: fastloss.mean_absolute_error(y, p)),
        ("log_loss (binary)", lambda: fastloss.log_loss(yb, pb)),
    ]:
        peak = peak_extra_bytes(func)
        ok = peak < 1_000_000
        failures += not ok
        print(f"peak extra memory of {name} at N={n:,}: {peak / 1024:.1f} KiB "
              f"(target < 1 MB){'' if ok else '  MISSED'}")
    return failures


if __name__ == "__main__":
    raise SystemExit(1 if main() else 0)
