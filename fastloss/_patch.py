"""``patch_sklearn()`` / ``unpatch_sklearn()``: fastloss's metrics in scikit-learn's place.

scikit-learn looks its metrics up in three ways: as attributes of
``sklearn.metrics`` (what user code and ``RegressorMixin.score`` import at
call time), as globals of the modules that define and use them
(``sklearn.metrics._regression``, ``_classification``, ``_scorer``), and as
the ``_score_func`` of the scorers in ``sklearn.metrics._scorer._SCORERS``
(what ``scoring="r2"`` and ``get_scorer`` copy).  Patching replaces each
occurrence of an original function by fastloss's function of the same name,
and records what it replaced; unpatching puts back exactly those objects
(where fastloss's function is still in place).  Code that imported a metric
by name before the patch, in a module other than those of ``_MODULES``,
keeps scikit-learn's.
scikit-learn is imported only when ``patch_sklearn()`` is called.
"""

from __future__ import annotations

import threading

__all__ = ["patch_sklearn", "unpatch_sklearn", "sklearn_is_patched"]

_lock = threading.Lock()
#: What patch_sklearn replaced: (object, attribute name, original, fastloss's).
_replaced: list = []

#: Modules whose globals hold scikit-learn's metric functions (the metrics'
#: own, and those importing a metric by name for an estimator's scores, such
#: as the forests' out-of-bag r2); the scorer registry's module last.
_MODULES = (
    "sklearn.metrics",
    "sklearn.metrics._regression",
    "sklearn.metrics._classification",
    "sklearn.ensemble._forest",
    "sklearn.ensemble._bagging",
    "sklearn.ensemble._weight_boosting",
    "sklearn.neural_network._multilayer_perceptron",
    "sklearn.metrics._scorer",
)


def _ours():
    """Name -> fastloss function, for every metric fastloss provides."""
    from . import metrics

    return {name: getattr(metrics, name) for name in metrics.__all__}


def patch_sklearn() -> list:
    """Put fastloss's metrics in place of scikit-learn's, where scikit-learn looks them up.

    Replaces each metric fastloss provides (``fastloss.metrics.__all__``) in
    ``sklearn.metrics``, the modules that define it and those that import it
    by name (the ensembles' and the MLP's out-of-bag and validation scores),
    and in the scorer registry, so that unchanged code (``cross_val_score(...,
    scoring="r2")``, ``GridSearchCV(..., scoring="neg_log_loss")``, a
    regressor's ``.score``) runs on fastloss with the same numbers.
    Idempotent and safe to call from any thread; undone by
    :func:`unpatch_sklearn`.

    Returns
    -------
    list of str
        The names of the patched metrics.

    Examples
    --------
    >>> import fastloss, sklearn.metrics
    >>> names = fastloss.patch_sklearn()
    >>> sklearn.metrics.r2_score is fastloss.r2_score
    True
    >>> fastloss.unpatch_sklearn()
    >>> sklearn.metrics.r2_score is fastloss.r2_score
    False
    """
    import importlib

    ours = _ours()
    with _lock:
        if _replaced:
            return sorted(ours)
        try:
            modules = [importlib.import_module(name) for name in _MODULES]
            skm = modules[0]
            originals = {}
            for name, func in ours.items():
                original = getattr(skm, name)
                originals[id(original)] = (original, func)
                for module in modules:
                    if getattr(module, name, None) is original:
                        _replaced.append((module, name, original, func))
                        setattr(module, name, func)
            for scorer in modules[-1]._SCORERS.values():
                found = originals.get(id(getattr(scorer, "_score_func", None)))
                if found is not None and found[0] is scorer._score_func:
                    _replaced.append((scorer, "_score_func", found[0], found[1]))
                    scorer._score_func = found[1]
        except BaseException:
            _restore()  # all or nothing
            raise
    return sorted(ours)


def unpatch_sklearn() -> None:
    """Restore exactly what :func:`patch_sklearn` replaced (a no-op when not patched)."""
    with _lock:
        _restore()


def _restore():
    # Only what still holds fastloss's function: what someone rebound since
    # is theirs to keep.
    while _replaced:
        target, name, original, ours = _replaced.pop()
        if getattr(target, name, None) is ours:
            setattr(target, name, original)


def sklearn_is_patched() -> bool:
    """Whether :func:`patch_sklearn` is in force."""
    return bool(_replaced)
