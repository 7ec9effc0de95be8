"""Kernel pairs (Numba kernel + NumPy twin) and the registry of losses."""

from __future__ import annotations

import numpy as np

from ._config import get_backend

__all__ = [
    "Kernel",
    "LOSSES",
    "METRICS",
    "CLASS_METRICS",
    "register_loss",
    "register_metric",
    "register_class_metric",
]


class Kernel:
    """A compiled Numba kernel and its NumPy twin, called the same way.

    ``kernel(size, *args)`` runs the kernel of the backend in force; ``size``
    (the number of elements) decides whether a Numba kernel is split across
    threads.
    """

    __slots__ = ("numba", "numpy", "__name__")

    def __init__(self, numba_kernel, numpy_twin):
        self.numba = numba_kernel
        self.numpy = numpy_twin
        self.__name__ = numpy_twin.__name__

    def __call__(self, size, *args):
        if get_backend() == "numba":
            return self.numba(size, *args)
        # NaN/inf in the inputs are reported as errors by the caller; NumPy's
        # RuntimeWarnings on the way there would only be noise (Numba has none).
        with np.errstate(all="ignore"):
            return self.numpy(*args)


#: Loss name (as the estimators spell it) -> fused loss class.
LOSSES: dict = {}


def register_loss(name: str):
    """Class decorator: register a fused loss under ``name``."""

    def decorate(cls):
        LOSSES[name] = cls
        cls.name = name
        return cls

    return decorate


#: Metric name (scikit-learn's function name) -> its declaration
#: (``fastloss._metric_core.RegressionMetric``).
METRICS: dict = {}


def register_metric(metric):
    """Register the metric declaration ``metric`` under its name; returns it."""
    METRICS[metric.name] = metric
    return metric


#: Metric name -> declaration of a metric of class predictions
#: (``fastloss._class_metric_core.ClassMetric``: probabilities or decisions
#: against class labels).
CLASS_METRICS: dict = {}


def register_class_metric(metric):
    """Register the class-prediction metric declaration ``metric``; returns it."""
    CLASS_METRICS[metric.name] = metric
    return metric
