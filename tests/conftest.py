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
