"""The metric family's targets at N = 10,000,000 and N = 100, as time ratios measured in one run.

Run:  python bench/metric_family.py [--n N] [--repeat R]

Every declared metric (read from the registries, nothing listed here),
float64, 2 threads, values of the metric's declared domain (metrics of class
predictions: binary labels 0/1 and 1-D predictions):

- ``vs sklearn``: scikit-learn's time over fastloss's, at N and (its own
  column) at N = 100, where every metric's target is 15x;
- ``weighted``: the same with uniform sample weights, for weighted metrics;
- ``of floor``: the bandwidth floor (a trivial compiled read of y and p)
  over fastloss's time;
- peak extra memory of one fastloss call (tracemalloc).

The targets are issue #14's, by metric (``TARGETS``); a metric without
one is measured all the same.  Each side of a row is timed in turn, R rounds;
ratios and verdicts are the median of the per-round ratios (see
``core_ratios.round_times``).
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from core_ratios import peak_extra_bytes, round_times  # noqa: E402

#: Issue #14's targets at N = 10M: metric -> (speed-up vs scikit-learn,
#: weighted or not, fraction of the floor or None).  Its text, not a list of
#: metrics to run: every declared metric runs.
TARGETS = {
    "r2_score": (10, False, None),
    "explained_variance_score": (10, False, None),
    "mean_absolute_percentage_error": (10, False, 0.8),
    "mean_pinball_loss": (10, False, 0.8),
    "mean_squared_log_error": (10, False, None),
    "mean_poisson_deviance": (10, False, None),
    "mean_gamma_deviance": (20, False, None),
    "median_absolute_error": (4, False, None),
    "d2_absolute_error_score": (20, False, None),
    "brier_score_loss": (20, False, None),
}
#: Weighted targets at N = 10M.
WEIGHTED_TARGETS = {"median_absolute_error": 20}
#: At N = 100, every metric.
SMALL_TARGET = 15


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)

    import sklearn
    import sklearn.metrics as skm

    import fastloss
    from fastloss._floor import read_floor
    from fastloss._class_metric_core import example_inputs
    from fastloss._metric_core import example_values
    from fastloss._registry import CLASS_METRICS, METRICS

    # Every declared metric: regression ones on values of their domain,
    # those of class predictions on binary labels 0/1 (1-D predictions).
    declared = [(name, metric, lambda n, metric=metric: example_values(metric, rng, n))
                for name, metric in METRICS.items()]
    declared += [(name, metric, lambda n, metric=metric: example_inputs(metric, rng, n, 2))
                 for name, metric in CLASS_METRICS.items()]  # fmt: skip

    fastloss.set_num_threads(2)
    rng = np.random.default_rng(0)
    print(f"fastloss {fastloss.__version__}, scikit-learn {sklearn.__version__}, "
          f"numpy {np.__version__}; N = {args.n:,}, median of {args.repeat} rounds")
    print(f"{'metric':32} {'vs sklearn':>10} {'target':>7} {'weighted':>9} {'target':>7} "
          f"{'of floor':>9} {'target':>7} {'N=100':>7} {'peak mem':>10}")
    missed = 0
    for name, metric, inputs in declared:
        ours, theirs = getattr(fastloss, name), getattr(skm, name)
        y, p = inputs(args.n)
        times = round_times([lambda: ours(y, p), lambda: theirs(y, p),
                             lambda: read_floor(y.size, y, p)], args.repeat)  # fmt: skip
        speedup = float(np.median(times[:, 1] / times[:, 0]))
        floor = float(np.median(times[:, 2] / times[:, 0]))
        weighted = None
        if getattr(metric, "weighted", True):
            w = rng.uniform(0.5, 1.5, size=args.n)
            wtimes = round_times([lambda: ours(y, p, sample_weight=w),
                                  lambda: theirs(y, p, sample_weight=w)], args.repeat)  # fmt: skip
            weighted = float(np.median(wtimes[:, 1] / wtimes[:, 0]))
        ys, ps = inputs(100)
        small = round_times([lambda: [ours(ys, ps) for _ in range(100)],
                             lambda: [theirs(ys, ps) for _ in range(100)]],
                            args.repeat, settle=0.0)  # fmt: skip
        small_speedup = float(np.median(small[:, 1] / small[:, 0]))
        peak = peak_extra_bytes(lambda: ours(y, p))
        target, _, floor_target = TARGETS.get(name, (None, False, None))
        weighted_target = WEIGHTED_TARGETS.get(name)
        verdicts = [
            target is None or speedup >= target,
            weighted_target is None or (weighted is not None and weighted >= weighted_target),
            floor_target is None or floor >= floor_target,
            small_speedup >= SMALL_TARGET,
        ]
        missed += verdicts.count(False)

        def fmt(value, spec, unit="x"):
            return "-" if value is None else format(value, spec) + unit

        print(f"{name:32} {fmt(speedup, '.1f'):>10} {fmt(target, 'd'):>7} "
              f"{fmt(weighted, '.1f'):>9} {fmt(weighted_target, 'd'):>7} "
              f"{floor:>9.2f} {fmt(floor_target, '.1f', ''):>7} {fmt(small_speedup, '.1f'):>7} "
              f"{peak / 1024:>8.0f}KiB" + ("" if all(verdicts) else "  MISSED"))
    print(f"{missed} target(s) missed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
