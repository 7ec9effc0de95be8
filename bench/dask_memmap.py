"""Train on a memory-mapped float32 dataset larger than memory should need.

Writes an on-disk float32 dataset of ``--gigabytes`` (default 8) GB
(``make_classification``-like: 100 features, a linear logistic rule plus
noise), trains ``fastloss.linear_model.SGDClassifier`` on it through
``dask.array.from_array`` (blocks of ``--block-rows`` rows, streamed every
epoch), and reports rows/second and the process's peak resident memory.
Then the metrics: ``mean_squared_error`` between the two halves of the
columns and ``log_loss`` of the trained model's probabilities, streamed over
the same file, against single in-memory calls on a slice that fits.  The
file is deleted at the end.

    python bench/dask_memmap.py                 # 8 GB, a few minutes
    python bench/dask_memmap.py --gigabytes 0.2 # quick look

Memory: a NumPy memmap that stays open keeps every page it has read resident
(and counted in RSS) until the kernel needs it back, so the blocks are read
through :class:`MemmapRows`, which maps only the rows asked for and unmaps
them once copied.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import tempfile
import time

import numpy as np

N_FEATURES = 100


class MemmapRows:
    """Array-like over a C-ordered .npy-less raw file, for ``da.from_array``.

    Each read maps just the requested rows, copies them and unmaps them, so
    reading the whole file block by block keeps the resident set at about
    one block.
    """

    def __init__(self, path, dtype, shape):
        self.path, self.dtype, self.shape = path, np.dtype(dtype), tuple(shape)
        self.ndim = len(self.shape)

    def __getitem__(self, index):
        rows = index[0] if isinstance(index, tuple) else index
        rest = index[1:] if isinstance(index, tuple) else ()
        start, stop, step = rows.indices(self.shape[0])
        if stop <= start:
            return np.empty((0,) + self.shape[1:], self.dtype)[(slice(None),) + rest]
        row_bytes = self.dtype.itemsize * int(np.prod(self.shape[1:], dtype=np.int64))
        mm = np.memmap(
            self.path, dtype=self.dtype, mode="r", offset=start * row_bytes,
            shape=(stop - start,) + self.shape[1:],
        )
        try:
            return np.array(mm[(slice(None, None, step),) + rest])
        finally:
            mm._mmap.close()
            del mm


def peak_rss_gb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def write_dataset(directory, gigabytes, seed=0, chunk_rows=500_000):
    n_rows = int(gigabytes * 1e9 / (4 * N_FEATURES))
    x_path = os.path.join(directory, "X.f32")
    y_path = os.path.join(directory, "y.i8")
    rng = np.random.default_rng(seed)
    coef = rng.normal(size=N_FEATURES).astype(np.float32) * (rng.random(N_FEATURES) < 0.3)
    offsets = rng.normal(size=N_FEATURES).astype(np.float32) * 5
    scales = rng.uniform(0.5, 20, size=N_FEATURES).astype(np.float32)  # unscaled features
    with open(x_path, "wb") as fx, open(y_path, "wb") as fy:
        for start in range(0, n_rows, chunk_rows):
            m = min(chunk_rows, n_rows - start)
            z = rng.standard_normal((m, N_FEATURES), dtype=np.float32)
            logits = z @ coef + rng.standard_normal(m, dtype=np.float32)
            (z * scales + offsets).tofile(fx)
            (logits > 0).astype(np.int8).tofile(fy)
        # On disk before timing starts: write-back running during the fit
        # would be measured as slow training.
        for f in (fx, fy):
            f.flush()
            os.fsync(f.fileno())
    return x_path, y_path, n_rows


def run(gigabytes=8.0, block_rows=250_000, epochs=2, directory=None):
    import dask
    import dask.array as da

    import fastloss
    from fastloss.linear_model import SGDClassifier

    dask.config.set(scheduler="threads")
    owned = directory is None
    directory = directory or tempfile.mkdtemp(prefix="fastloss-bench-", dir=".")
    try:
        start = time.perf_counter()
        x_path, y_path, n = write_dataset(directory, gigabytes)
        size_gb = os.path.getsize(x_path) / 1e9
        print(f"wrote {size_gb:.2f} GB ({n:,} rows x {N_FEATURES} float32) in "
              f"{time.perf_counter() - start:.0f} s", flush=True)
        X = da.from_array(
            MemmapRows(x_path, np.float32, (n, N_FEATURES)),
            chunks=(block_rows, N_FEATURES), name="X-memmap", asarray=False, fancy=False,
        )
        y = da.from_array(
            MemmapRows(y_path, np.int8, (n,)), chunks=(block_rows,), name="y-memmap",
            asarray=False, fancy=False,
        )
        # Warm the kernels on small in-memory calls (not timed).
        small_X, small_y = X[:5000].compute(), y[:5000].compute()
        warm = SGDClassifier(loss="log_loss", max_iter=1, tol=None).fit(small_X, small_y)
        fastloss.mean_squared_error(small_X[:, : N_FEATURES // 2], small_X[:, N_FEATURES // 2 :])
        fastloss.log_loss(small_y, warm.predict_proba(small_X)[:, 1])
        rss_before = peak_rss_gb()

        clf = SGDClassifier(loss="log_loss", max_iter=epochs, tol=None, random_state=0)
        start = time.perf_counter()
        clf.fit(X, y)
        fit_s = time.perf_counter() - start
        rows_per_s = n * clf.n_iter_ / fit_s
        print(f"SGDClassifier: {clf.n_iter_} epochs over {n:,} rows in {fit_s:.1f} s = "
              f"{rows_per_s / 1e6:.2f} M rows/s ({size_gb * clf.n_iter_ / fit_s:.2f} GB/s); "
              f"training loss per epoch {[round(v, 4) for v in clf.loss_curve_]}", flush=True)

        half = N_FEATURES // 2
        start = time.perf_counter()
        mse = fastloss.mean_squared_error(X[:, :half], X[:, half:])
        mse_s = time.perf_counter() - start
        start = time.perf_counter()
        ll = fastloss.log_loss(y, clf.predict_proba(X)[:, 1])
        ll_s = time.perf_counter() - start
        peak = peak_rss_gb()

        # Single in-memory calls on a slice that fits (1/8 of the rows).
        m = n // 8
        Xm = X[:m].compute()
        ym = y[:m].compute()
        start = time.perf_counter()
        fastloss.mean_squared_error(Xm[:, :half], Xm[:, half:])
        mse_mem_s = time.perf_counter() - start
        pm = clf.predict_proba(Xm)[:, 1]
        start = time.perf_counter()
        fastloss.log_loss(ym, pm)
        ll_mem_s = time.perf_counter() - start
        del Xm, pm

        print(f"mean_squared_error over the file (Dask, {X.numblocks[0]} blocks): "
              f"{size_gb / mse_s:.2f} GB/s ({mse:.3f}); one in-memory call: "
              f"{size_gb / 8 / mse_mem_s:.2f} GB/s", flush=True)
        print(f"log_loss of predict_proba over the file (Dask): {n / ll_s / 1e6:.2f} M rows/s "
              f"({ll:.4f}, predict included); one in-memory log_loss call: "
              f"{m / ll_mem_s / 1e6:.1f} M rows/s", flush=True)
        print(f"peak RSS: {peak:.2f} GB during training and metrics over a {size_gb:.1f} GB "
              f"file (after start-up and warm-up: {rss_before:.2f} GB; target < 2 GB)")
        return {
            "size_gb": size_gb, "rows": n, "fit_s": fit_s, "rows_per_s": rows_per_s,
            "peak_rss_gb": peak, "mse_gb_per_s": size_gb / mse_s,
            "mse_in_memory_gb_per_s": size_gb / 8 / mse_mem_s,
            "log_loss_rows_per_s": n / ll_s, "log_loss_in_memory_rows_per_s": m / ll_mem_s,
        }
    finally:
        if owned:
            shutil.rmtree(directory, ignore_errors=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--gigabytes", type=float, default=8.0)
    parser.add_argument("--block-rows", type=int, default=250_000)
    parser.add_argument("--epochs", type=int, default=2)
    args = parser.parse_args(argv)
    run(args.gigabytes, args.block_rows, args.epochs)


if __name__ == "__main__":
    main()
