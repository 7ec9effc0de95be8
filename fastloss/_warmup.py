"""Ahead-of-time compilation of every kernel.

Numba compiles one function at a time in a process.  With a writable disk
cache and more than one core, :func:`warmup` therefore has a second Python
process compile kernels into the cache while this process compiles others,
then loads the second process's share from the cache: the same work, in
about half the wall time.  The two processes share the losses out as they
go (each claims the next loss by creating a file), so neither waits for
the other whatever the losses cost to compile.
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

_ALLOWED = ("float32", "float64")


def warmup(dtypes=("float32", "float64"), estimators: bool = False) -> dict:
    """Compile (or load from the disk cache) every kernel for ``dtypes``.

    Runs each public function and loss method once per dtype, with and without
    sample weights, on small inputs: large inputs run the same compiled code,
    split across threads.  With a writable kernel cache and two or more cores,
    a second process compiles half of the kernels at the same time.

    Parameters
    ----------
    dtypes : sequence of {"float32", "float64"}
        Floating dtypes of the inputs to compile for.
    estimators : bool, default=False
        Also compile the training loops of :mod:`fastloss.linear_model` (each
        estimator and loss, fitted once on a few dense and a few CSR rows;
        imports scikit-learn).

    Returns
    -------
    dict
        Seconds spent per dtype.

    Examples
    --------
    >>> import fastloss
    >>> sorted(fastloss.warmup(dtypes=("float64",)))
    ['float64']
    """
    from ._config import get_backend

    names = [str(name) for name in dtypes]
    for name in names:
        if name not in _ALLOWED:
            raise ValueError(f"warmup dtypes must be among {_ALLOWED}, got {name!r}.")
    spent = {}
    for name in names:
        start = time.perf_counter()
        if get_backend() == "numba":
            _compile_dtype(name, estimators)
        spent[name] = time.perf_counter() - start
    return spent


def _compile_dtype(name, estimators):
    import tempfile

    with tempfile.TemporaryDirectory(prefix="fastloss-warmup-") as claims:
        helper = _start_helper(name, claims)
        # The metrics and losses the helper has not claimed yet.
        _run_group("all", name, claims=claims if helper is not None else None)
        if estimators:
            _run_group("estimators", name)
        if helper is not None:
            _wait(helper)
    _run_group("all", name)  # loads what the helper compiled


def _claim(claims, name):
    """Whether this process takes loss ``name`` (first to create its file in ``claims``)."""
    try:
        os.close(os.open(os.path.join(claims, name), os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    return True


def _start_helper(dtype, claims):
    """A process compiling metrics and losses into the disk cache, or None where that cannot help."""
    from . import _cache, _jit

    # Here, not at import: it costs `import fastloss` 9 ms.  Under the lock
    # forks wait for (warmup often runs in a thread): a child forked in the
    # middle of an import would block for good on importing that module.
    with _jit._lock:
        import subprocess

    if _jit.get_num_threads() < 2 or not _cache.usable():
        return None
    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {
        **os.environ,
        "FASTLOSS_CACHE_DIR": _cache.cache_dir(),
        "FASTLOSS_BACKEND": "numba",
        "PYTHONPATH": os.pathsep.join(filter(None, [package_parent, os.environ.get("PYTHONPATH")])),
    }
    code = (
        "from fastloss._warmup import _run_group; "
        f"_run_group('all', {dtype!r}, claims={claims!r}); "
        # Its kernels are in the cache as soon as compiled: skip the
        # interpreter's teardown (Numba's, 0.6 s), which the caller waits for.
        "import os; os._exit(0)"
    )
    try:
        return subprocess.Popen(
            [sys.executable, "-c", code],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    except OSError:  # no subprocesses here: compile everything in this process
        return None


def _wait(helper, timeout=600):
    # Whatever the helper did not finish, this process compiles itself.
    import subprocess

    try:
        helper.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        helper.kill()
        helper.wait()


def _run_group(group, dtype_name, claims=None):
    """Call every public function of ``group`` once.

    Groups: "metrics", "losses" (every registered loss, at its declared
    defaults, on targets of its declared domain), "all" (both) and
    "estimators" (each estimator with each loss it declares).  With
    ``claims`` (a directory), only the metrics and losses this process
    claims there (see :func:`_claim`).
    """
    dtype = np.dtype(dtype_name)
    if group == "estimators":
        _fit_estimators(dtype)
        return
    for name, run in _units(dtype, group):
        if claims is not None and not _claim(claims, name):
            continue  # the other process has it
        run()


def _units(dtype, group):
    """``(name, call)`` per metric and loss of ``group``, the costliest to compile first.

    Two processes taking units in this order finish together: the last units
    are the cheapest.
    """
    from . import losses, metrics  # noqa: F401 - losses: registers the built-in losses
    from ._losses._cases import draw_inputs
    from ._registry import CLASS_METRICS, LOSSES, METRICS

    n = 16
    rng = np.random.default_rng(0)
    weights = rng.uniform(0.5, 1.5, size=n)
    labels = (np.arange(n) % 2).astype(np.int64)
    proba = rng.uniform(0.1, 0.9, size=n).astype(dtype)
    labels3 = (np.arange(n) % 3).astype(np.int64)
    proba3 = rng.dirichlet(np.ones(3), size=n).astype(dtype)

    def regression_metrics(declared):
        def run():
            from ._metric_core import SELECTION_MIN_SAMPLES, example_values

            for metric in declared:
                func = getattr(metrics, metric.name)
                # A selection sorts small inputs: its kernel needs a larger one.
                size = SELECTION_MIN_SAMPLES if metric.state.kind == "selection" else n
                y1, p1 = example_values(metric, rng, size, dtype)
                y2, p2 = example_values(metric, rng, (size, 2), dtype)
                big_weights = np.resize(weights, size)
                for w in (None, big_weights) if metric.weighted else (None,):
                    kwargs = {} if w is None else {"sample_weight": w}
                    func(y1, p1, **kwargs)
                    if not metric.single_output:
                        func(y2, p2, **kwargs)

        return run

    def log_loss():
        for w in (None, weights):
            metrics.log_loss(labels, proba, sample_weight=w)
            metrics.log_loss(labels * 2 - 1, proba, sample_weight=w)  # labels that need a search
            metrics.log_loss(labels3, proba3, sample_weight=w)

    def class_metrics():
        from ._class_metric_core import example_inputs

        for metric in CLASS_METRICS.values():
            func = getattr(metrics, metric.name)
            for n_classes in (2, 3):
                y, pred = example_inputs(metric, rng, n, n_classes, dtype)
                for w in (None, weights):
                    func(y, pred, sample_weight=w)
                    if n_classes == 2:
                        func(y * 2 - 1, pred, sample_weight=w)  # labels that need a search

    def loss_methods(cls):
        def run():
            loss = cls()  # the declared defaults
            # Targets of the declared domain (at the defaults), raw of the declared shape.
            target, raw = draw_inputs(loss, n, np.random.default_rng(1), dtype=dtype)
            if cls._raw_ndim == 2:  # integer labels, as classifiers pass them
                target = target.astype(np.int64)
            for w in (None, weights):
                loss.loss(target, raw, sample_weight=w)
                loss.loss_gradient(target, raw, sample_weight=w)
                loss.loss(target, raw, sample_weight=w, reduction="none")
                loss.loss_gradient(target, raw, sample_weight=w, reduction="none")
                loss.gradient_hessian(target, raw, sample_weight=w)

        return run

    # (n, k) raw predictions and log_loss's label handling cost the most.
    by_cost = sorted(LOSSES.items(), key=lambda item: (-item[1]._raw_ndim, item[0]))
    loss_units = [(f"loss-{name}", loss_methods(cls)) for name, cls in by_cost]
    # One unit per state kernel: metrics sharing one (mean_squared_error and
    # its root) in one unit, or the two processes would compile it twice.
    by_kernels: dict = {}  # id of the state's kernels (or state maker) -> its metrics
    for metric in METRICS.values():
        shared = getattr(metric.state, "kernels", metric.state)
        by_kernels.setdefault(id(shared), []).append(metric)
    def log_loss_and_class_metrics():
        # One unit: d2_log_loss_score runs log_loss's kernels too, which two
        # processes would otherwise both compile.
        log_loss()
        class_metrics()

    metric_units = [("metric-log_loss+classes", log_loss_and_class_metrics)] + [
        ("metric-" + "+".join(m.name for m in declared), regression_metrics(declared))
        for declared in by_kernels.values()
    ]
    # Sums of a loss's pointwise function are one plain loop, and a maximum
    # less: the cheapest units of all, last, so that the two processes
    # finish close together.  (The metric functions' kernel has a loop per
    # function, and the quantiles run several kernels: not cheap.)
    cheap = {"metric-" + "+".join(m.name for m in declared) for declared in by_kernels.values()
             if declared[0].state.kind in ("sums", "max")
             and not getattr(declared[0].state.kernels, "several_loops", False)}  # fmt: skip
    if group == "losses":
        return loss_units
    if group == "metrics":
        return metric_units
    costly = [unit for unit, (_, cls) in zip(loss_units, by_cost) if cls._raw_ndim == 2]
    rest = [unit for unit in loss_units if unit not in costly]
    last = [unit for unit in metric_units if unit[0] in cheap]
    return costly + [unit for unit in metric_units if unit not in last] + rest + last


def _estimator_losses(estimator_cls):
    """The loss names ``estimator_cls`` accepts, from its own parameter declaration.

    ``(None,)`` (its default loss) for an estimator without a ``loss`` parameter.
    """
    constraints = getattr(estimator_cls, "_parameter_constraints", {}).get("loss", ())
    # scikit-learn's StrOptions: the accepted strings, in .options
    names = [name for c in constraints for name in getattr(c, "options", ()) if isinstance(name, str)]
    return tuple(sorted(names)) or (None,)


def _fit_estimators(dtype):
    import warnings

    import scipy.sparse as sp

    from .linear_model import SGDClassifier, SGDRegressor

    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 3)).astype(dtype)
    weights = rng.uniform(0.5, 1.5, size=64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # max_iter reached on 64 rows
        for w in (None, weights):
            # Positive regression targets: in the domain of every regression loss.
            for estimator, targets in ((SGDRegressor, (np.abs(X[:, 0]) + 1,)),
                                       (SGDClassifier, (np.arange(64) % 2, np.arange(64) % 3))):  # fmt: skip
                for loss in _estimator_losses(estimator):
                    kwargs = {} if loss is None else {"loss": loss}
                    for y in targets:  # classifiers: binary and multinomial loops
                        for data in (X, sp.csr_matrix(X)):  # the dense and the CSR epoch
                            estimator(max_iter=1, **kwargs).fit(data, y, sample_weight=w)
