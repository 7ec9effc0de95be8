"""fastloss SGD estimators against scikit-learn, measured in one run.

The problems and targets are described in :mod:`fastloss.benchmark_training`
(``fastloss bench --full`` runs the same).  Run::

    python bench/sgd.py            # the full sizes (a few minutes)
    python bench/sgd.py --scale 0.01   # a quick smoke run
"""

from __future__ import annotations

import argparse

from fastloss.benchmark_training import run


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the sizes")
    parser.add_argument("--repeat", type=int, default=3, help="fastloss fits to time")
    args = parser.parse_args(argv)
    rows = run(scale=args.scale, repeat=args.repeat)
    if not all(r["quality_ok"] and r["speed_ok"] for r in rows):
        print("\nSome targets were missed (see the table).")


if __name__ == "__main__":
    main()
