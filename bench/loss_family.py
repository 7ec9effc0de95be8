"""The loss family's targets at N = 10,000,000, as time ratios measured in one run.

Run:  python bench/loss_family.py [--n N] [--repeat R]

Every registered loss (read from the registry, nothing listed here), float64
and float32, 2 threads, outputs preallocated on every side:

- ``vs sklearn``: scikit-learn's ``_loss`` counterpart (where the loss
  declares one) ``loss_gradient(..., loss_out=, gradient_out=, n_threads=)``
  time over fastloss's ``loss_gradient(..., gradient_out=)`` (target >= 2x);
- ``of floor``: the bandwidth floor (read y and raw, write one array) over
  fastloss's time (target >= 0.8 for the losses declaring
  ``memory_bound = True``);
- ``f64/f32``: fastloss's float64 time over its float32 time (target >= 1.5x
  for the memory-bound losses), next to ``f32 of floor``, the float32
  floor over fastloss's float32 time: memory-bound losses at both floors
  gain what the floors' own ratio allows;
- a user-defined Huber (``fastloss.pointwise_loss``) against the built-in
  ``Huber`` (target: at most 1.2x its time).

All sides of a row (float64, its floor, float32, scikit-learn) are timed
in turn, R rounds; the times shown are each side's best, and every ratio
(and its verdict) is the median of the R per-round ratios: this machine's
speed drifts within a run, and two best times can come from different
moments of it.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from core_ratios import round_times  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)

    import sklearn

    import fastloss
    from fastloss import _floor
    from fastloss._losses._cases import draw_inputs, reference_object
    from fastloss.losses import LOSSES

    fastloss.set_num_threads(args.threads)
    n, threads = args.n, args.threads
    rng = np.random.default_rng(0)
    print(f"fastloss {fastloss.__version__} ({fastloss.get_backend()}), scikit-learn "
          f"{sklearn.__version__}, numpy {np.__version__}, {threads} threads, N = {n:,}; "
          f"{args.repeat} rounds: best times, median per-round ratios; outputs preallocated")
    print(f"{'loss':27} {'f64 ms':>8} {'sklearn ms':>10} {'vs sklearn':>10} {'floor ms':>8} "
          f"{'of floor':>8} {'f32 ms':>7} {'f64/f32':>7} {'f32 of floor':>12}  targets")
    failures = 0
    for name, cls in sorted(LOSSES.items()):
        if cls._raw_ndim != 1 or getattr(cls, "user_defined", False):
            continue  # CrossEntropy: bench/core_ratios.py; user losses: below
        loss = cls()
        # Every side of a row in one interleaved run (this machine's speed
        # drifts within a run: float64 and float32 timed apart differed by
        # the drift, not by the dtype).
        y, raw = draw_inputs(loss, n, rng, dtype=np.float64)
        y32, raw32 = draw_inputs(loss, n, rng, dtype=np.float32)
        grad, floor_out, grad32 = np.empty_like(raw), np.empty_like(raw), np.empty_like(raw32)
        floor_out32 = np.empty_like(raw32)
        sides = [lambda: loss.loss_gradient(y, raw, gradient_out=grad),
                 lambda: _floor.read_write_floor(n, y, raw, floor_out),
                 lambda: loss.loss_gradient(y32, raw32, gradient_out=grad32),
                 lambda: _floor.read_write_floor(n, y32, raw32, floor_out32)]
        peer = reference_object(loss)
        if peer is not None and type(peer).__module__.startswith("sklearn._loss"):
            loss_out, grad_out = np.empty(n), np.empty(n)
            sides.append(lambda: peer.loss_gradient(
                y, raw, loss_out=loss_out, gradient_out=grad_out, n_threads=threads))
        rounds = round_times(sides, args.repeat)
        best = rounds.min(axis=0)
        ours, floor, ours32 = best[:3]
        sk = best[4] if len(best) > 4 else None

        def ratio(a, b):  # the median of the per-round ratios of sides a and b
            return float(np.median(rounds[:, a] / rounds[:, b]))

        vs_sk = ratio(4, 0) if sk is not None else None
        of_floor, f64_f32, of_floor32 = ratio(1, 0), ratio(0, 2), ratio(3, 2)
        checks = []
        if sk is not None:
            checks.append(("vs sklearn >= 2x", vs_sk >= 2))
        if getattr(cls, "memory_bound", False):
            checks += [("of floor >= 0.8", of_floor >= 0.8),
                       ("f64/f32 >= 1.5x", f64_f32 >= 1.5)]
        missed = [label for label, ok in checks if not ok]
        failures += len(missed)
        print(f"{cls.__name__:27} {ours * 1e3:8.2f} "
              f"{'-' if sk is None else f'{sk * 1e3:.2f}':>10} "
              f"{'-' if sk is None else f'{vs_sk:.1f}x':>10} {floor * 1e3:8.2f} "
              f"{of_floor:8.2f} {ours32 * 1e3:7.2f} {f64_f32:6.2f}x {of_floor32:12.2f}  "
              + (", ".join(label for label, _ in checks) or "-")
              + (f"  MISSED: {', '.join(missed)}" if missed else ""))

    # A user-defined Huber, written with ufuncs only (so that the NumPy backend
    # runs it on whole arrays): m = min(|d|, delta) gives both branches.
    @fastloss.pointwise_loss
    def user_huber(y, raw, delta=1.0):
        d = raw - y
        a = np.abs(d)
        m = np.minimum(a, delta)
        return m * (a - 0.5 * m), np.maximum(np.minimum(d, delta), -delta)

    builtin, user = fastloss.Huber(), user_huber()
    y, raw = draw_inputs(builtin, n, rng)
    g1, g2 = np.empty(n), np.empty(n)
    rounds = round_times([lambda: builtin.loss_gradient(y, raw, gradient_out=g1),
                          lambda: user.loss_gradient(y, raw, gradient_out=g2)], args.repeat)
    assert np.allclose(g1, g2, rtol=1e-15, atol=0)
    t_builtin, t_user = rounds.min(axis=0)
    slower = float(np.median(rounds[:, 1] / rounds[:, 0]))
    ok = slower <= 1.2
    failures += not ok
    print(f"user-defined Huber (fastloss.pointwise_loss): {t_user * 1e3:.2f} ms against the "
          f"built-in Huber's {t_builtin * 1e3:.2f} ms: {slower:.2f}x "
          f"(target <= 1.2x){'' if ok else '  MISSED'}")
    return failures


if __name__ == "__main__":
    raise SystemExit(1 if main() else 0)
