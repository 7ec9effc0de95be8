"""fastloss SGD estimators against scikit-learn, measured in one run.

The problems and targets are described in :mod:`fastloss.benchmark_training`
(``fastloss bench --full`` runs the same).  Run::

    python bench/sgd.py            # the full sizes (a few minutes)
    python bench/sgd.py --scale 0.01   # a quick smoke run
"""

from __future__ import annotations

import argparse

from fastloss.benchmark_training import epoch_figures, format_epoch_figures, run


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the sizes")
    parser.add_argument("--repeat", type=int, default=3, help="fastloss fits to time")
    args = parser.parse_args(argv)
    # The epoch figures first, before the problems' gigabytes of arrays come
    # and go in this process (the order does not change what is measured).
    figures = epoch_figures(scale=args.scale)
    rows = run(scale=args.scale, repeat=args.repeat)
    print()
    print(format_epoch_figures(figures))
    missed = [r["problem"] for r in rows if not (r["quality_ok"] and r["speed_ok"])]
    missed += [r["problem"] + " vs oneDAL" for r in rows if r.get("onedal_ok") is False]
    missed += [name for name in ("of_floor_ok", "thread_speedup_ok") if not figures[name]]
    if missed:
        print("\nTargets missed: " + ", ".join(missed))


if __name__ == "__main__":
    main()
