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

        print(f"numba {numba.__version__} ({numba.config.NUMBA_NUM_THREADS} threads)")
    else:
        print(f"numba unavailable: {_jit._numba_error!r}")
    print(f"backend {fastloss.get_backend()}")
    return 0


def main(argv=None) -> int:
    """Entry point of the ``fastloss`` console script."""
    parser = argparse.ArgumentParser(
        prog="fastloss", description="Fused, compiled loss functions and metrics."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("info", help="show versions, threads and the active backend").set_defaults(
        func=_info
    )
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
