"""fastloss.patch_sklearn(): scikit-learn's lookups reach fastloss; unpatch restores them."""

import importlib
import threading

import numpy as np
import pytest
import sklearn.metrics as skm
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import _scorer, get_scorer
from sklearn.model_selection import GridSearchCV, cross_val_score

import fastloss
from fastloss import _patch

NAMES = fastloss.metrics.__all__


def _snapshot():
    """Every place scikit-learn looks a metric up: module globals and scorer functions."""
    places = {}
    for module_name in _patch._MODULES:
        module = importlib.import_module(module_name)
        for name in NAMES:
            places[(module_name, name)] = getattr(module, name, None)
    for key, scorer in _scorer._SCORERS.items():
        places[("scorer", key)] = getattr(scorer, "_score_func", None)
    return places


@pytest.fixture
def unpatched():
    fastloss.unpatch_sklearn()
    before = _snapshot()
    yield before
    fastloss.unpatch_sklearn()
    assert _snapshot() == before


def test_patch_reaches_every_lookup_and_unpatch_restores_it(unpatched):
    originals = {name: getattr(skm, name) for name in NAMES}
    assert sorted(fastloss.patch_sklearn()) == sorted(NAMES)
    assert fastloss.sklearn_is_patched()
    for name in NAMES:
        assert getattr(skm, name) is getattr(fastloss, name)
    for (where, name), value in unpatched.items():
        if where == "scorer":
            if value in originals.values():  # a scorer of one of these metrics
                ours = getattr(fastloss, value.__name__)
                assert _scorer._SCORERS[name]._score_func is ours
                assert get_scorer(name)._score_func is ours
        elif value is not None and value is originals.get(name):
            assert getattr(importlib.import_module(where), name) is getattr(fastloss, name)
    scored = {v.__name__ for (w, _), v in unpatched.items() if w == "scorer" and v in originals.values()}
    assert {"r2_score", "log_loss", "mean_squared_error"} <= scored
    fastloss.unpatch_sklearn()
    assert not fastloss.sklearn_is_patched()
    assert _snapshot() == unpatched


def test_patch_is_idempotent_and_thread_safe(unpatched):
    fastloss.patch_sklearn()
    fastloss.patch_sklearn()
    fastloss.unpatch_sklearn()
    assert _snapshot() == unpatched
    errors = []

    def churn():
        try:
            for _ in range(50):
                fastloss.patch_sklearn()
                fastloss.unpatch_sklearn()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=churn) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    fastloss.unpatch_sklearn()
    assert _snapshot() == unpatched


def test_unchanged_sklearn_code_gives_the_same_numbers(unpatched, rng):
    X = rng.normal(size=(300, 6))
    y = X @ rng.normal(size=6) + rng.normal(size=300)
    labels = (X[:, 0] + rng.normal(size=300) > 0).astype(int)

    def run():
        r2 = cross_val_score(Ridge(), X, y, scoring="r2", cv=3)
        mse = cross_val_score(Ridge(), X, y, scoring="neg_root_mean_squared_error", cv=3)
        search = GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, scoring="neg_log_loss", cv=3)
        search.fit(X, labels)
        score = Ridge().fit(X, y).score(X, y)  # RegressorMixin.score: sklearn.metrics.r2_score
        return r2, mse, search.cv_results_["mean_test_score"], score

    theirs = run()
    fastloss.patch_sklearn()
    calls = []
    real = fastloss.metrics.r2_score
    # The patched lookups reach fastloss's function objects: count through them.
    skm.r2_score = lambda *a, **k: calls.append(1) or real(*a, **k)
    ours_score = Ridge().fit(X, y).score(X, y)
    assert calls and ours_score == pytest.approx(theirs[3], rel=1e-12)
    skm.r2_score = real
    ours = run()
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-12)
