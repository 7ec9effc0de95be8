"""The ``fastloss`` command line."""

from __future__ import annotations

import argparse
import os
import platform
import sys


def _info(args) -> int:
    import numpy

    import fastloss
    from fastloss import _jit

    print(f"fastloss {fastloss.__version__}")
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores")
    print(f"numpy {numpy.__version__}")
    if _jit.numba_available():
        import numba

        print(f"numba {numba.__version__}")
    else:
        print(f"numba unavailable: {_jit._numba_error!r}")
    print(f"backend {fastloss.get_backend()}, {fastloss.get_num_threads()} threads for large inputs")
    return 0


def _positive_ints(text):
    try:
        values = [int(v.replace("_", "")) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}")
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected positive integers, got {text!r}")
    return values


def _bench(args) -> int:
    from . import benchmark

    return benchmark.main(args)


def _add_bench_parser(sub):
    from .benchmark import WORKLOADS

    bench = sub.add_parser(
        "bench",
        help="time fastloss against scikit-learn, NumPy, PyTorch and the memory-bandwidth floor",
        description="Time fastloss against its peers in one run and print one table of "
        "times, speed-ups, fraction of the bandwidth floor and peak extra memory.",
    )
    size = bench.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="small set, under a minute (default)")
    size.add_argument("--full", action="store_true", help="every workload, size and dtype")
    bench.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    bench.add_argument("--plot", metavar="PATH", help="also draw a PNG (needs matplotlib)")
    bench.add_argument("--backend", choices=("numba", "numpy"), default="numba",
                       help="backend of the fastloss column (default: numba)")
    bench.add_argument("--dtype", choices=("float32", "float64"), action="append",
                       help="dtype to measure (repeatable; default float64, --full both)")
    bench.add_argument("--threads", type=int, help="threads for fastloss, scikit-learn, torch")
    bench.add_argument("--workload", choices=sorted(WORKLOADS), action="append",
                       help="only this workload (repeatable)")
    bench.add_argument("--sizes", type=_positive_ints, metavar="N,N,...",
                       help="sizes to measure (elements, or rows of logits)")
    bench.add_argument("--classes", type=_positive_ints, metavar="K,K,...",
                       help="classes of the CrossEntropy workload")
    bench.add_argument("--budget", type=float, default=1.0, metavar="SECONDS",
                       help="sampling time per line (default 1.0)")
    bench.add_argument("--training-scale", type=float, default=1.0, metavar="FRACTION",
                       help="with --full: sizes of the SGD training comparison, as a "
                       "fraction of 1,000,000 x 100 (default 1; 0 leaves it out)")
    bench.set_defaults(func=_bench)


def main(argv=None) -> int:
    """Entry point of the ``fastloss`` console script."""
    parser = argparse.ArgumentParser(
        prog="fastloss", description="Fused, compiled loss functions and metrics."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("info", help="show versions, threads and the active backend").set_defaults(
        func=_info
    )
    _add_bench_parser(sub)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
