"""The training benchmark: fastloss's SGD estimators against scikit-learn.

Three problems (80/20 split, default settings everywhere, no tuning):

* binary, make_classification 1,000,000 x 100: test log loss vs
  ``LogisticRegression()``, fit time vs ``SGDClassifier(loss="log_loss",
  max_iter=5, tol=None)`` (target: log loss <= 1.01x, time <= 1/6);
* 10 classes, 500,000 x 100 (n_informative=40, n_clusters_per_class=1): test
  accuracy vs ``LogisticRegression()`` (>= -0.005), time vs the same
  SGDClassifier (<= 1/10);
* regression, make_regression 1,000,000 x 100 (noise=10): test MSE vs
  ``Ridge(alpha=1e-4)`` (<= 1.01x), time vs ``SGDRegressor(max_iter=5,
  tol=None)`` (<= 1/5).

fastloss's kernels are compiled (or loaded from the cache) on a small fit
first; its fit time is the best of ``repeat`` fits.  Run by ``fastloss bench
--full`` and by ``python bench/sgd.py``.
"""

from __future__ import annotations

import time
import warnings

import numpy as np

__all__ = ["run", "format_rows"]


def _timed(fit):
    start = time.perf_counter()
    model = fit()
    return model, time.perf_counter() - start


def run(scale=1.0, repeat=3, seed=0, progress=print):
    """Measure the three problems at ``scale`` times their sizes; return one dict per problem.

    ``progress`` receives the table's lines as the problems finish (None: quiet).
    """
    from sklearn import linear_model as sk
    from sklearn.datasets import make_classification, make_regression
    from sklearn.metrics import accuracy_score, log_loss, mean_squared_error
    from sklearn.model_selection import train_test_split

    from fastloss.linear_model import SGDClassifier, SGDRegressor

    n_bin = max(int(1_000_000 * scale), 2000)
    n_multi = max(int(500_000 * scale), 2000)
    n_reg = max(int(1_000_000 * scale), 2000)
    problems = [
        (
            f"binary {n_bin:,} x 100",
            lambda: make_classification(n_bin, 100, random_state=seed),
            lambda: SGDClassifier(loss="log_loss", random_state=seed),
            lambda: sk.LogisticRegression(),
            lambda: sk.SGDClassifier(loss="log_loss", max_iter=5, tol=None, random_state=seed),
            "test log loss",
            lambda m, X, y: log_loss(y, m.predict_proba(X)),
            lambda ours, ref: ours <= 1.01 * ref,
            6,
        ),
        (
            f"10 classes {n_multi:,} x 100",
            lambda: make_classification(
                n_multi, 100, n_classes=10, n_informative=40, n_clusters_per_class=1,
                random_state=seed,
            ),
            lambda: SGDClassifier(loss="log_loss", random_state=seed),
            lambda: sk.LogisticRegression(),
            lambda: sk.SGDClassifier(loss="log_loss", max_iter=5, tol=None, random_state=seed),
            "test accuracy",
            lambda m, X, y: accuracy_score(y, m.predict(X)),
            lambda ours, ref: ours >= ref - 0.005,
            10,
        ),
        (
            f"regression {n_reg:,} x 100",
            lambda: make_regression(n_reg, 100, noise=10, random_state=seed),
            lambda: SGDRegressor(random_state=seed),
            lambda: sk.Ridge(alpha=1e-4),
            lambda: sk.SGDRegressor(max_iter=5, tol=None, random_state=seed),
            "test MSE",
            lambda m, X, y: mean_squared_error(y, m.predict(X)),
            lambda ours, ref: ours <= 1.01 * ref,
            5,
        ),
    ]
    rows = []
    for name, make, ours, exact, sgd, metric_name, metric, good, speedup in problems:
        X, y = make()
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=0.2, random_state=seed
        )
        del X, y
        ours().fit(X_train[:5000], y_train[:5000])  # compile / load kernels
        best = np.inf
        for _ in range(repeat):
            model, seconds = _timed(lambda: ours().fit(X_train, y_train))
            best = min(best, seconds)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # lbfgs's ConvergenceWarning
            ref_model, ref_seconds = _timed(lambda: exact().fit(X_train, y_train))
            sgd_model, sgd_seconds = _timed(lambda: sgd().fit(X_train, y_train))
        row = {
            "problem": name,
            "metric": metric_name,
            "fastloss": metric(model, X_test, y_test),
            "exact": metric(ref_model, X_test, y_test),
            "sklearn_sgd": metric(sgd_model, X_test, y_test),
            "fastloss_s": best,
            "exact_s": ref_seconds,
            "sklearn_sgd_s": sgd_seconds,
            "epochs": model.n_iter_,
            "target_speedup": speedup,
        }
        row["quality_ok"] = bool(good(row["fastloss"], row["exact"]))
        row["speedup"] = sgd_seconds / best
        row["speed_ok"] = row["speedup"] >= speedup
        rows.append(row)
        if progress is not None:
            progress(format_rows([row], header=len(rows) == 1))
    return rows


def format_rows(rows, header=True) -> str:
    """The rows as the Markdown table of the README."""
    lines = []
    if header:
        lines += [
            "| problem | metric | fastloss | exact solver | sklearn SGD (5 epochs) "
            "| fastloss fit s (epochs) | exact fit s | sklearn SGD fit s "
            "| speed-up vs sklearn SGD (target) |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
    for r in rows:
        verdict = ("ok" if r["quality_ok"] else "MISSED", "ok" if r["speed_ok"] else "MISSED")
        lines.append(
            f"| {r['problem']} | {r['metric']} | {r['fastloss']:.5f} ({verdict[0]}) "
            f"| {r['exact']:.5f} | {r['sklearn_sgd']:.5f} "
            f"| {r['fastloss_s']:.3f} ({r['epochs']}) | {r['exact_s']:.2f} "
            f"| {r['sklearn_sgd_s']:.2f} | {r['speedup']:.1f}x "
            f"(>= {r['target_speedup']}x, {verdict[1]}) |"
        )
    return "\n".join(lines)
