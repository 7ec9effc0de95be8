"""fastloss: fused, compiled loss functions and scikit-learn-exact metrics.

Importing fastloss is cheap: Numba is imported, and kernels compiled (or
loaded from the on-disk cache), only when a kernel first runs.
"""

from . import streaming
from ._patch import patch_sklearn, sklearn_is_patched, unpatch_sklearn
from ._config import get_backend, get_num_threads, set_backend, set_num_threads, use_backend
from ._warmup import warmup
from .losses import (
    BinaryCrossEntropy,
    CrossEntropy,
    EpsilonInsensitive,
    Exponential,
    HalfGamma,
    HalfPoisson,
    HalfTweedie,
    Hinge,
    Huber,
    LogCosh,
    MeanAbsoluteError,
    MeanSquaredError,
    ModifiedHuber,
    Pinball,
    SquaredEpsilonInsensitive,
    SquaredHinge,
)
from .metrics import *  # noqa: F403 - every metric, listed once in metrics.__all__
from .metrics import __all__ as _metric_names

__version__ = "0.1.0"


def __getattr__(name):
    # Lazy: these import scikit-learn / matplotlib, which `import fastloss` must not.
    if name == "linear_model":
        import importlib

        return importlib.import_module(".linear_model", __name__)
    if name == "pointwise_loss":
        from ._losses.user_defined import pointwise_loss

        return pointwise_loss
    if name == "plot_loss_curve":
        from .plotting import plot_loss_curve

        return plot_loss_curve
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = list(_metric_names) + [
    "MeanSquaredError",
    "MeanAbsoluteError",
    "BinaryCrossEntropy",
    "CrossEntropy",
    "Huber",
    "Pinball",
    "HalfPoisson",
    "HalfGamma",
    "HalfTweedie",
    "Exponential",
    "Hinge",
    "SquaredHinge",
    "ModifiedHuber",
    "EpsilonInsensitive",
    "SquaredEpsilonInsensitive",
    "LogCosh",
    "get_backend",
    "set_backend",
    "use_backend",
    "get_num_threads",
    "set_num_threads",
    "warmup",
    "patch_sklearn",
    "unpatch_sklearn",
    "sklearn_is_patched",
    "plot_loss_curve",
    "pointwise_loss",
    "streaming",
]
