import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

import fastloss

settings.register_profile(
    "default",
    max_examples=40,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.differing_executors,
        HealthCheck.function_scoped_fixture,  # the backend fixture holds for every example
    ],
)
settings.register_profile("long", parent=settings.get_profile("default"), max_examples=2000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(params=["numba", "numpy"])
def backend(request):
    """Run the test once on each backend."""
    with fastloss.use_backend(request.param):
        assert fastloss.get_backend() == request.param
        yield request.param


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


def assert_close(actual, expected, rtol=1e-12, atol=0.0):
    """Relative comparison that also checks NaN/inf agreement and shapes."""
    np.testing.assert_allclose(np.asarray(actual), np.asarray(expected), rtol=rtol, atol=atol)


@pytest.fixture
def restore_threads():
    """Puts fastloss's thread count back after the test."""
    before = fastloss.get_num_threads()
    yield
    fastloss.set_num_threads(before)


def results_by_threads(compute, counts=(1, 2)):
    """``{n: compute()}`` with fastloss's kernels split across ``n`` threads,
    for each ``n`` of ``counts``; the thread count is restored after."""
    before = fastloss.get_num_threads()
    results = {}
    try:
        for n in counts:
            fastloss.set_num_threads(n)
            results[n] = compute()
    finally:
        fastloss.set_num_threads(before)
    return results
