"""pytest plugin: run scikit-learn's own metric tests on fastloss's metrics.

    python -m pytest -p sklearn_parity_plugin --pyargs sklearn.metrics.tests.test_regression

(with ``tests/`` on ``PYTHONPATH``; see ``.ci/run``).  ``fastloss.patch_sklearn()``
is applied before any test module is imported (so names a test module imports
from ``sklearn.metrics`` are fastloss's too) and undone at the end; the
session header says so.
"""

import fastloss


def pytest_configure(config):
    fastloss.patch_sklearn()


def pytest_unconfigure(config):
    fastloss.unpatch_sklearn()


def pytest_report_header(config):
    import sklearn

    names = ", ".join(fastloss.metrics.__all__)
    return f"fastloss {fastloss.__version__} patched into scikit-learn {sklearn.__version__}: {names}"
