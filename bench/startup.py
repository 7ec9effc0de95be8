"""Start-up costs: import time, first call with a warm cache, cold compile.

Run:  python bench/startup.py

Each figure comes from fresh interpreters (best of several), so nothing is
shared with this process.  Prints ratios to ``import numpy`` and the targets.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile


def seconds(code, env=None, repeat=5):
    """Best wall time of the timed section that ``code`` prints, over fresh processes."""
    best = float("inf")
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True,
            env={**os.environ, **(env or {})},
        ).stdout
        best = min(best, float(out.strip().splitlines()[-1]))
    return best


TIMED_IMPORT = "import time; t = time.perf_counter(); import {mod}; print(time.perf_counter() - t)"
FIRST_CALL = (
    "import numpy as np, fastloss, time\n"
    "y, p = np.random.default_rng(0).normal(size=(2, 1000))\n"
    "t = time.perf_counter(); fastloss.mean_squared_error(y, p); fastloss.log_loss(y > 0, "
    "np.full(1000, 0.5)); print(time.perf_counter() - t)"
)
WARMUP = "import fastloss, time; t = time.perf_counter(); fastloss.warmup(dtypes=({dtype!r},)); " \
         "print(time.perf_counter() - t)"


def main():
    numpy_import = seconds(TIMED_IMPORT.format(mod="numpy"), repeat=7)
    fastloss_import = seconds(TIMED_IMPORT.format(mod="fastloss"), repeat=7)
    # numpy is part of fastloss's import; compare the totals, as a user sees them.
    print(f"import numpy:    {numpy_import * 1e3:7.1f} ms")
    print(f"import fastloss: {fastloss_import * 1e3:7.1f} ms  "
          f"({fastloss_import / numpy_import:.2f}x import numpy; target <= 1.5x)")
    with tempfile.TemporaryDirectory() as cache:
        env = {"FASTLOSS_CACHE_DIR": cache}
        for dtype in ("float64", "float32"):
            cold = seconds(WARMUP.format(dtype=dtype), env, repeat=1)
            print(f"cold compile of every {dtype} kernel (warmup): {cold:6.1f} s (target <= 15 s)")
        warm = seconds(WARMUP.format(dtype="float64"), env, repeat=3)
        print(f"warmup with a warm cache (loads only): {warm:6.2f} s")
        first = seconds(FIRST_CALL, env, repeat=5)
        print(f"first call in a new process, warm cache: {first:6.3f} s (target <= 0.3 s)")


if __name__ == "__main__":
    main()
